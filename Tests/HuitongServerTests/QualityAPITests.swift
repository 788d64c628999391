import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Data quality through the real application: crafted files loaded by upload, the rules run over the pools, the
/// queue, reports, ranking and comparison as providers and operators see them.
@Suite("Quality API")
struct QualityAPITests {
    static let author = ChangeAuthor(userID: nil, name: "测试")

    /// A valid 身份证号 for a birth date and sequence number.
    static func residentID(_ region: String = "341502", born: String, sequence: Int) throws -> String {
        let body = region + born + String(format: "%03d", sequence)
        return body + String(try ResidentIDNumber.checkCharacter(forFirst17: body))
    }

    /// A valid 统一社会信用代码 with this organisation-code part.
    static func creditCode(_ organisation: String) throws -> String {
        let body = "91341502" + organisation
        return body + String(try UnifiedSocialCreditCode.checkCharacter(forFirst17: body))
    }

    static func entry(
        _ node: TestNode, department: Department, name: String, items: [InfoItem], cycle: UpdateCycle = .daily
    ) async throws -> CatalogEntry {
        try await node.store.catalog.saveClassifications([
            ClassificationNode(scheme: "guide", code: "1", name: "基础信息资源目录"),
            ClassificationNode(scheme: "guide", code: "101", name: "国家人口基础信息资源"),
            ClassificationNode(scheme: "guide", code: "101001", name: "人口基本信息"),
        ])
        return try await node.store.catalog.create(
            try CatalogEntryContent(
                classificationCode: "101001", name: name, abstract: "\(name)。",
                formats: [ResourceFormat(category: .database, type: "Oracle")], items: items,
                shareType: .conditional, shareCondition: "核验", updateCycle: cycle
            ).validated(), departmentID: department.id, author: author)
    }

    typealias Run = QualityAPI.RunBody
    typealias Spec = QualityRuleSpec

    /// Uploads a CSV into the entry and waits for its load and for the quality run the load starts.
    static func load(
        _ client: some TestClientProtocol, entry: CatalogEntry, token: String, csv: String
    ) async throws -> Run? {
        let (status, accepted) = try await IngestAPITests.upload(
            client, "/api/v1/catalog/entries/\(entry.id)/uploads?fileName=data.csv&mode=replace", token: token,
            contentType: nil, body: csv)
        #expect(status == .accepted)
        let job = try await IngestAPITests.finished(client, job: accepted.job.id, token: token)
        #expect(job?.status.rawValue == "succeeded", "\(String(describing: job))")
        return try await finishedRun(client, entryID: entry.id, token: token, trigger: "ingest")
    }

    /// The entry's newest run with this trigger, once it is no longer running.
    static func finishedRun(
        _ client: some TestClientProtocol, entryID: Int64, token: String, trigger: String
    ) async throws -> Run? {
        for _ in 0..<400 {
            let (_, list) = try await client.send(
                .get, "/api/v1/catalog/entries/\(entryID)/quality/runs", token: token,
                as: QualityAPI.ListBody<Run>.self)
            if let run = list.items.first(where: { $0.trigger.rawValue == trigger }), run.status.rawValue != "running" {
                return try await client.send(.get, "/api/v1/quality/runs/\(run.id)", token: token, as: Run.self).1
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("no finished \(trigger) run for entry \(entryID)")
        return nil
    }

    /// Starts a run by API and waits for it.
    static func runNow(_ client: some TestClientProtocol, entryID: Int64, token: String) async throws -> Run? {
        let (status, started) = try await client.send(
            .post, "/api/v1/catalog/entries/\(entryID)/quality/runs", token: token, as: Run.self)
        #expect(status == .accepted && started.trigger.rawValue == "manual")
        let id = started.id
        for _ in 0..<400 {
            let (_, run) = try await client.send(.get, "/api/v1/quality/runs/\(id)", token: token, as: Run.self)
            if run.status.rawValue != "running" { return run }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("run \(id) did not finish")
        return nil
    }

    /// checked and failed counts by rule id.
    static func counts(_ run: Run?) -> [String: [Int]] {
        var counts: [String: [Int]] = [:]
        for result in run?.rules ?? [] {
            counts[result.rule.id ?? ""] = [result.checked, result.failed]
        }
        return counts
    }

    /// Adds a custom rule and returns the status and the answer's text (a rule, or the error).
    static func addRule(
        _ client: some TestClientProtocol, entryID: Int64, token: String, _ spec: Spec
    ) async throws -> (HTTPResponse.Status, String) {
        try await client.text(
            .post, "/api/v1/catalog/entries/\(entryID)/quality/rules", token: token, input: spec)
    }

    /// The fields an error answer names.
    static func fields(_ text: String) throws -> [String] { try WireJSON.read(ErrorBody.self, text).fields }

    static func text(_ client: some TestClientProtocol, _ uri: String, token: String, headers: HTTPFields = [:])
        async throws -> (HTTPResponse.Status, String, HTTPFields)
    {
        var headers = headers
        headers[.authorization] = "Bearer \(token)"
        return try await client.execute(uri: uri, method: .get, headers: headers) {
            ($0.status, String(buffer: $0.body), $0.headers)
        }
    }

    @Test(
        "each rule kind catches its defect in a crafted file, samples and queue masked, the queue resolved, CSV report",
        arguments: TestBackend.available)
    func everyRuleKind(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let police = try await node.department("GAJ")
            let other = try await node.department("RSJ")
            let (_, provider) = try await node.user("gaj.provider", department: police, roles: [.provider])
            let (_, outsider) = try await node.user("rsj.provider", department: other, roles: [.provider])
            // Items lenient enough for the defects to load: the rules, not ingest, are to find them.
            let entry = try await Self.entry(
                node, department: police, name: "人员信息",
                items: [
                    InfoItem(name: "编号", columnName: "bh", dataType: .character, isKey: true),
                    InfoItem(name: "身份证号码", columnName: "sfzhm", dataType: .character),
                    InfoItem(name: "姓名", columnName: "xm", dataType: .character, length: 50, semanticKind: .personName),
                    InfoItem(name: "出生日期", columnName: "csrq", dataType: .date),
                    InfoItem(name: "年龄", columnName: "nl", dataType: .integer),
                    InfoItem(name: "性别", columnName: "xb", dataType: .character),
                    InfoItem(name: "手机号码", columnName: "sjhm", dataType: .character, semanticKind: .mobilePhone),
                ])
            let ids = try (1...9).map { try Self.residentID(born: "19800101", sequence: $0) }
            let badCheckDigit = String(ids[2].dropLast()) + (ids[2].last == "1" ? "2" : "1")
            let rows = [
                "P001,\(ids[0]),张三,1980-01-01,40,男,13900000001",
                "P002,\(ids[1]),,1980-01-01,40,女,13900000002",  // name missing
                "P003,\(badCheckDigit),李四,1980-01-01,40,男,13900000003",  // check digit wrong
                "P004,\(ids[3]),王五,1980-01-02,40,男,13900000004",  // birth date differs from the ID's
                "P005,\(ids[4]),赵六,1980-01-01,200,男,13900000005",  // age out of range
                "P006,\(ids[5]),钱七,1980-01-01,40,X,13900000006",  // not a sex code
                "Q007,\(ids[6]),孙八,1980-01-01,40,女,13900000007",  // number breaks the pattern
                "P008,\(ids[7]),周九,1980-01-01,40,女,13900000001",  // phone repeats P001's
                "P009,\(ids[8]),欧阳娜娜娜,1980-01-01,40,女,13900000009",  // longer than the tightened length
            ]
            let csv = "bh,sfzhm,xm,csrq,nl,xb,sjhm\n" + rows.joined(separator: "\n") + "\n"

            // Custom rules are checked against the entry before anything is stored.
            let uri = "/api/v1/catalog/entries/\(entry.id)/quality/rules"
            var (status, body) = try await Self.addRule(
                client, entryID: entry.id, token: provider, Spec(kind: .notNull, columns: ["nosuch"]))
            #expect(try status == .badRequest && Self.fields(body) == ["columns"], "\(body)")
            (status, body) = try await Self.addRule(
                client, entryID: entry.id, token: provider, Spec(kind: .pattern, columns: ["bh"], pattern: "P(\\d"))
            #expect(try status == .badRequest && Self.fields(body) == ["pattern"], "\(body)")
            (status, body) = try await Self.addRule(
                client, entryID: entry.id, token: provider,
                Spec(kind: .range, columns: ["nl"], minimum: 150, maximum: 0))
            #expect(try status == .badRequest && Self.fields(body) == ["minimum"], "\(body)")
            (status, body) = try await Self.addRule(
                client, entryID: entry.id, token: provider, Spec(kind: .codeSet, columns: ["xb"], codeSet: "GB/T 0"))
            #expect(try status == .badRequest && Self.fields(body) == ["codeSet"], "\(body)")
            (status, body) = try await Self.addRule(
                client, entryID: entry.id, token: outsider, Spec(kind: .notNull, columns: ["xm"]))
            #expect(status == .notFound, "another department's entry is not there for its providers")
            #expect(try await node.store.quality.customRules(entryID: entry.id).isEmpty, "nothing half-written")

            let specs = [
                Spec(kind: .notNull, columns: ["xm"]),
                Spec(kind: .identifierCheck, columns: ["sfzhm"], identifier: .residentID),
                Spec(kind: .crossField, columns: ["sfzhm", "csrq"]),
                Spec(kind: .range, columns: ["nl"], minimum: 0, maximum: 150),
                Spec(kind: .codeSet, columns: ["xb"], codeSet: "GB/T 2261.1-2003"),
                Spec(kind: .pattern, columns: ["bh"], pattern: "P\\d{3}"),
                Spec(kind: .uniqueness, columns: ["sjhm"]),
                Spec(id: "disabled.notNull", kind: .notNull, columns: ["nl"]),
                Spec(id: "=HYPERLINK(\"http://x\")", kind: .notNull, columns: ["bh"]),
            ]
            var customIDs: [Int64] = []
            for spec in specs {
                let (status, body) = try await Self.addRule(client, entryID: entry.id, token: provider, spec)
                #expect(status == .created, "\(spec): \(body)")
                customIDs.append(try WireJSON.read(QualityAPI.CustomRuleBody.self, body).id)
            }
            (status, body) = try await Self.addRule(
                client, entryID: entry.id, token: provider, Spec(kind: .notNull, columns: ["xm"]))
            #expect(status == .conflict, "the same rule id twice")
            let disabled = try await client.status(
                .patch, "\(uri)/\(customIDs[7])", token: provider, input: QualityAPI.EnabledChange(enabled: false))
            #expect(disabled == .ok)

            let ingestRun = try #require(try await Self.load(client, entry: entry, token: provider, csv: csv))
            #expect(ingestRun.status.rawValue == "succeeded" && ingestRun.rowsChecked == 9)
            #expect(ingestRun.trigger.rawValue == "ingest" && ingestRun.percent == 100)

            // The standard tightened after the load, and the data aged: the next run judges both.
            var content = try #require(try await node.store.catalog.find(id: entry.id)).content
            content.items[2].length = 4
            _ = try await node.store.catalog.update(id: entry.id, with: content, author: Self.author, note: "收紧长度")
            _ = try await node.store.catalog.setMount(
                id: entry.id, try #require(try await node.store.catalog.find(id: entry.id)).mount, recordCount: 9,
                dataUpdatedAt: Date().addingTimeInterval(-3 * 86_400), author: Self.author)
            let run = try #require(try await Self.runNow(client, entryID: entry.id, token: provider))
            #expect(run.status.rawValue == "succeeded", "\(run)")
            let counts = Self.counts(run)
            #expect(counts["xm.notNull"] == [9, 1])
            #expect(counts["sfzhm.identifierCheck"] == [9, 1])
            #expect(counts["sfzhm+csrq.crossField"] == [8, 1], "an invalid ID has no birth date to compare")
            #expect(counts["nl.range"] == [9, 1])
            #expect(counts["xb.codeSet"] == [9, 1])
            #expect(counts["bh.pattern"] == [9, 1])
            #expect(counts["sjhm.uniqueness"] == [9, 1])
            #expect(counts["xm.typeAndLength"] == [8, 1], "the empty name is not-null's business")
            #expect(counts["updateCycle.freshness"] == [1, 1])
            #expect(counts["bh.uniqueness"] == [9, 0])
            #expect(counts["disabled.notNull"] == nil, "a disabled rule does not run")
            let score = try #require(run.score)
            #expect(score > 0 && score < 100)

            let results = run.rules ?? []
            func samples(_ id: String) -> [QualitySample] { results.first { $0.rule.id == id }?.samples ?? [] }
            #expect(
                samples("sfzhm.identifierCheck").first?.maskedValue == "3***************"
                    + String(badCheckDigit.suffix(2)))
            #expect(samples("sfzhm.identifierCheck").first?.row == 3)
            #expect(samples("sjhm.uniqueness").first?.maskedValue == "139****0001")
            #expect(samples("xm.typeAndLength").first?.maskedValue == "欧****")
            let note = results.first { $0.rule.id == "updateCycle.freshness" }?.note?.zh
            #expect(note?.contains("超过") == true)

            // The queue: the failing rows of the latest run, masked, paged, resolved.
            let problems = "/api/v1/catalog/entries/\(entry.id)/quality/problems"
            let (_, page) = try await client.send(
                .get, "\(problems)?limit=5", token: provider, as: QualityAPI.ProblemsBody.self)
            #expect(page.total == 8 && page.items.count == 5)
            let (_, all) = try await client.send(
                .get, "\(problems)?limit=100", token: provider, as: QualityAPI.ProblemsBody.self)
            let items = all.items
            #expect(Set(items.map(\.rowKey)).contains("bh=P003"))
            let crossField = try #require(items.first { $0.ruleID == "sfzhm+csrq.crossField" })
            #expect(crossField.row == 4 && crossField.status.rawValue == "open")
            let problemID = crossField.id
            let (noNote, noNoteBody) = try await client.failure(
                .patch, "/api/v1/quality/problems/\(problemID)", token: provider,
                input: QualityAPI.Resolution(status: .ignored))
            #expect(noNote == .badRequest && noNoteBody.fields == ["note"])
            let foreign = try await client.status(
                .patch, "/api/v1/quality/problems/\(problemID)", token: outsider,
                input: QualityAPI.Resolution(status: .handled, note: "x"))
            #expect(foreign == .notFound)
            let (ignored, resolved) = try await client.send(
                .patch, "/api/v1/quality/problems/\(problemID)", token: provider,
                input: QualityAPI.Resolution(status: .ignored, note: "户籍登记日期以出生证明为准"), as: QualityProblem.self)
            #expect(ignored == .ok && resolved.status.rawValue == "ignored")
            let (_, open) = try await client.send(
                .get, "\(problems)?status=open", token: provider, as: QualityAPI.ProblemsBody.self)
            #expect(open.total == 7)
            let (badQuery, badBody) = try await client.failure(
                .get, "\(problems)?status=closed&limit=0", token: provider)
            #expect(badQuery == .badRequest && Set(badBody.fields) == ["status", "limit"])

            // Reports, as JSON and as CSV; neither shows an ID number in full.
            let (_, report) = try await client.send(
                .get, "/api/v1/catalog/entries/\(entry.id)/quality/report", token: provider,
                as: QualityAPI.EntryReportBody.self)
            #expect(report.openProblems == 7 && report.score.map { abs($0 - score) < 1e-9 } == true)
            let (csvStatus, csvText, csvHeaders) = try await Self.text(
                client, "/api/v1/catalog/entries/\(entry.id)/quality/report", token: provider,
                headers: [.accept: "text/csv"])
            #expect(csvStatus == .ok && csvHeaders[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csvText.contains("sfzhm+csrq.crossField") && csvText.contains("完整性 completeness"))
            #expect(csvText.contains("'=HYPERLINK") && !csvText.contains("\"=HYPERLINK"), "formulas neutralised")
            let (_, runJSON, _) = try await Self.text(client, "/api/v1/quality/runs/\(run.id)", token: provider)
            let (_, queueJSON, _) = try await Self.text(client, "\(problems)?limit=100", token: provider)
            for id in ids + [badCheckDigit] {
                #expect(!csvText.contains(id) && !runJSON.contains(id) && !queueJSON.contains(id), "\(id) leaked")
            }
            #expect(!runJSON.contains("13900000001"), "phone numbers are masked too")

            // Removing a rule takes it out of the next run.
            let deleted = try await client.status(.delete, "\(uri)/\(customIDs[0])", token: provider)
            #expect(deleted == .noContent)
            let (_, rules) = try await client.send(.get, uri, token: provider, as: QualityAPI.RulesBody.self)
            let effective = rules.effective.compactMap(\.id)
            #expect(!effective.contains("xm.notNull") && effective.contains("xm.typeAndLength"))
            #expect(!effective.contains("disabled.notNull"))
        }
    }

    @Test(
        "referential and cross-field rules across two real pools: licences against the enterprise pool",
        arguments: TestBackend.available)
    func referentialAcrossPools(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let market = try await node.department("SCJGJ")
            let (_, provider) = try await node.user("scj.provider", department: market, roles: [.provider])
            let enterprises = try await Self.entry(
                node, department: market, name: "企业基本信息",
                items: [
                    InfoItem(
                        name: "统一社会信用代码", columnName: "tyshxydm", dataType: .character, isKey: true,
                        semanticKind: .creditCode),
                    InfoItem(name: "企业名称", columnName: "qymc", dataType: .character),
                ], cycle: .monthly)
            let licences = try await Self.entry(
                node, department: market, name: "食品经营许可证信息",
                items: [
                    InfoItem(name: "许可证编号", columnName: "xkzbh", dataType: .character, isKey: true),
                    InfoItem(
                        name: "统一社会信用代码", columnName: "tyshxydm", dataType: .character, semanticKind: .creditCode),
                    InfoItem(
                        name: "法定代表人身份证号码", columnName: "fddbrsfzh", dataType: .character,
                        semanticKind: .residentID),
                    InfoItem(name: "法定代表人出生日期", columnName: "fddbrcsrq", dataType: .date),
                ], cycle: .monthly)
            let codes = try ["MA2N00010", "MA2N00020", "MA2N00030", "MA2N00090"].map(Self.creditCode)
            let people = try (1...3).map { try Self.residentID(born: "19750607", sequence: $0) }

            // Before the enterprise pool exists, the rule cannot be checked: the run says why.
            let rule = Spec(kind: .referential, columns: ["tyshxydm"], referencedEntryID: enterprises.id)
            let (created, createdBody) = try await Self.addRule(client, entryID: licences.id, token: provider, rule)
            #expect(created == .created, "\(createdBody)")
            let (selfRef, selfBody) = try await Self.addRule(
                client, entryID: licences.id, token: provider,
                Spec(id: "self", kind: .referential, columns: ["tyshxydm"], referencedEntryID: licences.id))
            #expect(try selfRef == .badRequest && Self.fields(selfBody) == ["referencedEntryID"])
            let licenceCSV = """
                xkzbh,tyshxydm,fddbrsfzh,fddbrcsrq
                JY001,\(codes[0]),\(people[0]),1975-06-07
                JY002,\(codes[1]),\(people[1]),1975-06-08
                JY003,\(codes[3]),\(people[2]),1975-06-07

                """
            let early = try #require(try await Self.load(client, entry: licences, token: provider, csv: licenceCSV))
            #expect(early.status.rawValue == "failed")
            #expect(early.message.contains("尚无数据"), "\(early)")

            _ = try await Self.load(
                client, entry: enterprises, token: provider,
                csv: "tyshxydm,qymc\n\(codes[0]),甲公司\n\(codes[1]),乙公司\n\(codes[2]),丙公司\n")
            let run = try #require(try await Self.runNow(client, entryID: licences.id, token: provider))
            #expect(run.status.rawValue == "succeeded", "\(run)")
            let counts = Self.counts(run)
            #expect(counts["tyshxydm.referential"] == [3, 1])
            #expect(counts["fddbrsfzh~fddbrcsrq.crossField"] == [3, 1], "derived from the items")
            let results = run.rules ?? []
            let dangling = results.first { $0.rule.id == "tyshxydm.referential" }
            let sample = dangling?.samples.first
            #expect(sample?.row == 3)
            #expect(
                run.dimensions?.contains { $0.dimension.rawValue == "referential" && $0.failed == 1 } == true)
            let (_, queue) = try await client.send(
                .get, "/api/v1/catalog/entries/\(licences.id)/quality/problems", token: provider,
                as: QualityAPI.ProblemsBody.self)
            let keys = queue.items.map { "\($0.rowKey)|\($0.ruleID)" }
            #expect(Set(keys) == ["xkzbh=JY003|tyshxydm.referential", "xkzbh=JY002|fddbrsfzh~fddbrcsrq.crossField"])
        }
    }

    @Test(
        "department ranking and report; multi-source comparison reports disagreeing items per key, masked",
        arguments: TestBackend.available)
    func rankingAndComparison(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let police = try await node.department("GAJ")
            let social = try await node.department("RSJ")
            let (_, policeToken) = try await node.user("gaj.provider", department: police, roles: [.provider])
            let (_, socialToken) = try await node.user("rsj.provider", department: social, roles: [.provider])
            func items() -> [InfoItem] {
                [
                    InfoItem(
                        name: "身份证号码", columnName: "sfzhm", dataType: .character, isKey: true,
                        semanticKind: .residentID),
                    InfoItem(
                        name: "姓名", columnName: "xm", dataType: .character, isRequired: false,
                        semanticKind: .personName),
                    InfoItem(name: "出生日期", columnName: "csrq", dataType: .date),
                ]
            }
            let population = try await Self.entry(node, department: police, name: "人口基础信息", items: items())
            let insured = try await Self.entry(node, department: social, name: "参保人员信息", items: items())
            let id = try (1...5).map { try Self.residentID(born: "19900101", sequence: $0) }
            _ = try await Self.load(
                client, entry: population, token: policeToken,
                csv: "sfzhm,xm,csrq\n\(id[0]),张三,1990-01-01\n\(id[1]),李四,1990-01-01\n"
                    + "\(id[2]),王五,1990-01-01\n\(id[3]),赵六,1990-01-01\n")
            _ = try await Self.load(
                client, entry: insured, token: socialToken,
                csv: "sfzhm,xm,csrq\n\(id[1]),李四,1990-01-01\n\(id[2]),王武,1990-01-01\n"
                    + "\(id[3]),赵六,1990-01-02\n\(id[4]),孙七,\n")

            let (_, ranking) = try await client.send(
                .get, "/api/v1/quality/ranking", token: policeToken,
                as: QualityAPI.ListBody<QualityUseCases.DepartmentScore>.self)
            let ranked = ranking.items
            #expect(ranked.map(\.departmentID) == [police.id, social.id], "\(ranking)")
            #expect(ranked.map(\.rank) == [1, 2])
            #expect(ranked.allSatisfy { $0.entriesScored == 1 })
            let policeScore = try #require(ranked.first?.score)
            #expect(policeScore == 100, "every rule of the clean pool passes")
            let socialScore = try #require(ranked.last?.score)
            #expect(socialScore < 100, "the mismatched birth date costs consistency")

            let (_, department) = try await client.send(
                .get, "/api/v1/departments/\(social.id)/quality/report", token: socialToken,
                as: QualityAPI.DepartmentReportBody.self)
            #expect(department.entriesScored == 1 && department.score == socialScore)
            let foreign = try await client.status(
                .get, "/api/v1/departments/\(social.id)/quality/report", token: policeToken)
            #expect(foreign == .notFound, "a provider sees its own department's report")
            let (csvStatus, csv, _) = try await Self.text(
                client, "/api/v1/departments/\(social.id)/quality/report?format=csv", token: node.operatorToken)
            #expect(csvStatus == .ok && csv.contains("参保人员信息") && csv.contains(String(format: "%.2f", socialScore)))

            typealias Pair = QualityComparisonRequest.Pair
            let comparison = QualityComparisonRequest(
                left: .init(entryID: population.id), right: .init(entryID: insured.id),
                key: [Pair(left: "sfzhm", right: "sfzhm")],
                items: [Pair(left: "xm", right: "xm"), Pair(left: "csrq", right: "csrq")])
            let denied = try await client.status(
                .post, "/api/v1/quality/comparisons", token: policeToken, input: comparison)
            #expect(denied == .notFound, "a provider cannot read another department's pool")
            let (status, raw) = try await client.text(
                .post, "/api/v1/quality/comparisons", token: node.operatorToken, input: comparison)
            #expect(status == .ok, "\(raw)")
            let result = try WireJSON.read(QualityComparisonResult.self, raw)
            #expect(result.onlyInLeft == 1 && result.onlyInRight == 1)
            #expect(result.agreeing == 1 && result.disagreeing == 2)
            let disagreements = result.disagreements
            #expect(disagreements.count == 2 && result.truncated == false)
            let names = disagreements.flatMap(\.differences).filter { $0.left == "xm" }
            #expect(names.count == 1 && names.first?.leftValue == "王*" && names.first?.rightValue == "王*")
            let dates = disagreements.flatMap(\.differences).filter { $0.left == "csrq" }
            #expect(dates.first?.rightValue == "1990-01-02")
            for value in id { #expect(!raw.contains(value), "an ID number in full") }
            #expect(disagreements.first?.key == "sfzhm=3***************" + String(id[2].suffix(2)))

            var limited = comparison
            limited.limit = 1
            let (limitedStatus, limitedBody) = try await client.send(
                .post, "/api/v1/quality/comparisons", token: node.operatorToken, input: limited,
                as: QualityComparisonResult.self)
            #expect(limitedStatus == .ok && limitedBody.disagreements.count == 1)
            #expect(limitedBody.truncated == true && limitedBody.disagreeing == 2)
            var unknownItem = comparison
            unknownItem.items[0].right = "nosuch"
            let (bad, badBody) = try await client.failure(
                .post, "/api/v1/quality/comparisons", token: node.operatorToken, input: unknownItem)
            #expect(bad == .badRequest && badBody.fields == ["items[0].right"])
        }
    }
}
