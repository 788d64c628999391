import Foundation
import HuitongCore
import Testing

private func day(_ text: String) -> CalendarDate { CalendarDate(iso: text)! }

/// The 2025 and 2026 State Council arrangements, as in the seed file.
private let officialYears = [
    HolidayYear(
        year: 2025, source: "国办发明电〔2024〕12号",
        holidays: [
            HolidayPeriod(name: "元旦", from: day("2025-01-01"), to: day("2025-01-01")),
            HolidayPeriod(name: "春节", from: day("2025-01-28"), to: day("2025-02-04")),
            HolidayPeriod(name: "国庆节、中秋节", from: day("2025-10-01"), to: day("2025-10-08")),
        ],
        workdays: [day("2025-01-26"), day("2025-02-08"), day("2025-09-28"), day("2025-10-11")]),
    HolidayYear(
        year: 2026, source: "国务院办公厅关于2026年部分节假日安排的通知",
        holidays: [
            HolidayPeriod(name: "元旦", from: day("2026-01-01"), to: day("2026-01-03")),
            HolidayPeriod(name: "春节", from: day("2026-02-15"), to: day("2026-02-23")),
        ],
        workdays: [day("2026-01-04"), day("2026-02-14"), day("2026-02-28")]),
]

@Suite("Working-day calendar")
struct WorkingDayCalendarTests {
    let calendar = WorkingDayCalendar(years: officialYears)

    @Test("春节 2026 and its make-up Saturdays")
    func springFestival() {
        #expect(calendar.isWorkingDay(day("2026-02-14")), "Saturday 14 February 2026 is worked (调休)")
        #expect(calendar.isWorkingDay(day("2026-02-28")), "Saturday 28 February 2026 is worked (调休)")
        #expect(!calendar.isWorkingDay(day("2026-02-23")), "Monday 23 February 2026 is a holiday")
        #expect(!calendar.isWorkingDay(day("2026-02-21")))
        #expect(!calendar.isWorkingDay(day("2026-03-01")), "an ordinary Sunday")
        #expect(calendar.addingWorkingDays(1, to: day("2026-02-13")) == day("2026-02-14"))
        #expect(calendar.addingWorkingDays(2, to: day("2026-02-13")) == day("2026-02-24"))
        // 51号's ten working days from Tuesday 10 February run across the festival and both make-up Saturdays.
        #expect(calendar.addingWorkingDays(10, to: day("2026-02-10")) == day("2026-03-02"))
        #expect(calendar.workingDays(from: day("2026-02-10"), to: day("2026-03-02")) == 10)
        #expect(calendar.workingDays(from: day("2026-03-02"), to: day("2026-02-10")) == -10)
        #expect(calendar.addingWorkingDays(0, to: day("2026-02-15")) == day("2026-02-15"))
    }

    @Test("国庆 2025 with its make-up Sunday and Saturday; unknown years count Monday to Friday")
    func nationalDay() {
        #expect(calendar.addingWorkingDays(1, to: day("2025-09-26")) == day("2025-09-28"))
        #expect(calendar.addingWorkingDays(10, to: day("2025-09-26")) == day("2025-10-16"))
        #expect(!calendar.isWorkingDay(day("2025-10-08")))
        #expect(calendar.coveredYears == [2025, 2026])
        // 2030-01-04 is a Friday; without an arrangement the next working day is Monday the 7th.
        #expect(calendar.addingWorkingDays(1, to: day("2030-01-04")) == day("2030-01-07"))
    }

    @Test("a time limit ends at midnight China time after its last working day")
    func deadline() {
        let start = day("2026-02-13").startOfDay().addingTimeInterval(10 * 3600)
        let deadline = calendar.deadline(addingWorkingDays: 2, to: start)
        #expect(deadline == day("2026-02-25").startOfDay())
        #expect(CalendarDate(deadline.addingTimeInterval(-1)) == day("2026-02-24"))
    }

    @Test("date arithmetic agrees with the calendar across years and leap days")
    func arithmetic() {
        #expect(day("2024-02-28").addingDays(1) == day("2024-02-29"))
        #expect(day("2024-12-31").addingDays(1) == day("2025-01-01"))
        #expect(day("2025-03-01").addingDays(-1) == day("2025-02-28"))
        #expect(day("1970-01-01").dayNumber == 0)
        #expect(day("2026-02-13").weekday == 5)
        #expect(day("2026-02-14").isWeekend)
    }

    @Test("an arrangement is checked: make-up days are weekends, nothing is both off and worked")
    func validation() throws {
        let bad = HolidayYear(
            year: 2027, source: "",
            holidays: [
                HolidayPeriod(name: "春节", from: day("2027-02-06"), to: day("2027-02-13")),
                HolidayPeriod(name: "", from: day("2027-05-05"), to: day("2027-05-01")),
            ],
            workdays: [day("2027-02-10"), day("2027-02-13"), day("2028-01-08")])
        #expect {
            try bad.validated()
        } throws: { error in
            Set((error as? ValidationError)?.issues.map(\.field) ?? [])
                == ["holidays[1].name", "holidays[1].to", "workdays[0]", "workdays[1]", "workdays[2]"]
        }
        let sorted = try officialYears[1].validated()
        #expect(sorted.holidays.map(\.name) == ["元旦", "春节"])
    }
}

/// An entry of another department with a withheld item, and the negative-list row that withholds it.
enum SharingFixture {
    static let negativeRow = NegativeListRow(
        id: 12, departmentID: 2,
        content: NegativeListDraft(
            kind: .notShared, resource: "常住人口登记表信息", items: "宗教信仰", reason: "敏感个人信息",
            legalBasis: "《中华人民共和国个人信息保护法》第二十八条"),
        createdAt: Date(), updatedAt: Date())

    static func entry(shareType: ShareType = .conditional, status: EntryStatus = .published) -> CatalogEntry {
        CatalogEntry(
            id: 7, code: ResourceCode(classificationPath: "101001", sequence: "0007"),
            provider: EntryProvider(
                departmentID: 2, name: "六安市公安局", code: "GAJ", creditCode: nil, regionCode: "341500"),
            status: status, version: 1,
            content: CatalogEntryContent(
                classificationCode: "101001", name: "常住人口登记表信息", abstract: "…", formats: [],
                items: [
                    InfoItem(
                        name: "身份证号码", columnName: "sfzhm", dataType: .character, isKey: true, shareType: shareType,
                        grade: .general4, semanticKind: .residentID),
                    InfoItem(
                        name: "姓名", columnName: "xm", dataType: .character, shareType: shareType,
                        semanticKind: .personName),
                    InfoItem(
                        name: "宗教信仰", columnName: "zjxy", dataType: .character, shareType: .notShared,
                        negativeListID: 12),
                    InfoItem(
                        name: "行政区划代码", columnName: "xzqhdm", dataType: .character, shareType: shareType,
                        semanticKind: .regionCode),
                    InfoItem(name: "出生日期", columnName: "csrq", dataType: .date, shareType: shareType),
                ],
                shareType: shareType, updateCycle: .daily),
            publishedOn: nil, recordCount: nil, dataUpdatedAt: nil, mount: nil, createdAt: Date(), updatedAt: Date())
    }

    static func draft(items: [String] = ["sfzhm", "xm", "xzqhdm"], calls: Int = 1000) -> ApplicationDraft {
        ApplicationDraft(
            entryID: 7, items: items, purpose: .dataVerification, purposeText: "低保对象身份核验",
            legalBasis: "《社会救助暂行办法》第十一条", scenario: "最低生活保障审核", validFrom: day("2026-03-01"),
            validTo: day("2026-12-31"), expectedDailyCalls: calls)
    }
}

@Suite("Sharing applications and the workflow")
struct SharingWorkflowTests {
    @Test("an application checks its own fields, all at once")
    func draftValidation() {
        var draft = SharingFixture.draft(items: [])
        draft.legalBasis = " "
        draft.validTo = day("2026-02-01")
        draft.expectedDailyCalls = 0
        #expect {
            try draft.validated(today: day("2026-02-10"), maximumPeriodDays: 1096)
        } throws: { error in
            (error as? ValidationError)?.issues.map(\.field) == [
                "items", "legalBasis", "validTo", "expectedDailyCalls",
            ]
        }
        #expect(throws: ValidationError.self) {
            try SharingFixture.draft().validated(today: day("2026-02-10"), maximumPeriodDays: 30)
        }
        #expect(throws: Never.self) {
            try SharingFixture.draft().validated(today: day("2026-02-10"), maximumPeriodDays: 1096)
        }
    }

    @Test("a 不予共享 item cannot be requested, and the refusal cites the negative-list row and its law")
    func negativeList() {
        let entry = SharingFixture.entry()
        #expect {
            try SharingFixture.draft(items: ["sfzhm", "zjxy"]).checkEligible(
                entry: entry, consumerDepartmentID: 5, negativeList: [SharingFixture.negativeRow])
        } throws: { error in
            let issue = (error as? ValidationError)?.issues.first
            return issue?.field == "items[1]" && issue!.message.contains("负面清单第 12 条")
                && issue!.message.contains("个人信息保护法")
        }
        // A row of the provider's negative list that names an item by text withholds it even when the item does
        // not cite it.
        var textual = SharingFixture.negativeRow
        textual.id = 13
        textual.content.items = "出生日期、婚姻状况"
        #expect {
            try SharingFixture.draft(items: ["csrq"]).checkEligible(
                entry: entry, consumerDepartmentID: 5, negativeList: [textual])
        } throws: { error in
            (error as? ValidationError)?.issues.first?.message.contains("第 13 条") == true
        }
        #expect(throws: Never.self) {
            try SharingFixture.draft().checkEligible(
                entry: entry, consumerDepartmentID: 5, negativeList: [SharingFixture.negativeRow, textual])
        }
    }

    @Test("only published entries of other departments, and only their items, can be requested")
    func eligibility() {
        #expect {
            try SharingFixture.draft().checkEligible(
                entry: SharingFixture.entry(), consumerDepartmentID: 2, negativeList: [])
        } throws: { error in (error as? ValidationError)?.issues.map(\.field) == ["entryID"] }
        #expect {
            try SharingFixture.draft(items: ["sfzhm", "nothing"]).checkEligible(
                entry: SharingFixture.entry(status: .offline), consumerDepartmentID: 5, negativeList: [])
        } throws: { error in (error as? ValidationError)?.issues.map(\.field) == ["entryID", "items[1]"] }
    }

    @Test("legal steps lead where the diagram says; illegal ones are conflicts")
    func stateMachine() throws {
        let plain = ApplicationWorkflow(complianceReview: false)
        let reviewed = ApplicationWorkflow(complianceReview: true)
        #expect(try plain.submission(from: .draft, shareType: .conditional).map(\.to) == [.submitted, .providerReview])
        #expect(
            try reviewed.submission(from: .draft, shareType: .conditional).map(\.to) == [.submitted, .complianceReview])
        let automatic = try plain.submission(from: .draft, shareType: .unconditional)
        #expect(automatic.map(\.action) == [.submit, .autoApprove] && automatic.last?.to == .approved)
        #expect(try plain.submission(from: .returnedForInfo, shareType: .conditional).first?.action == .resubmit)
        #expect(try reviewed.apply(.passCompliance, to: .complianceReview) == .providerReview)
        #expect(try plain.apply(.approvePartially, to: .providerReview) == .partiallyApproved)
        #expect(try plain.apply(.escalate, to: .rejected) == .coordination)
        #expect(try plain.apply(.resolveApproved, to: .coordination, comment: "同意") == .resolvedApproved)

        #expect(throws: WorkflowError.transitionNotAllowed(.approve, from: .draft)) {
            try plain.apply(.approve, to: .draft)
        }
        #expect(throws: WorkflowError.transitionNotAllowed(.submit, from: .approved)) {
            try plain.submission(from: .approved, shareType: .conditional)
        }
        #expect(throws: WorkflowError.transitionNotAllowed(.resolveRejected, from: .providerReview)) {
            try plain.apply(.resolveRejected, to: .providerReview, comment: "x")
        }
        #expect(throws: WorkflowError.commentRequired(.refuse)) { try plain.apply(.refuse, to: .providerReview) }
        #expect(WorkflowError.transitionNotAllowed(.approve, from: .draft).kind == .conflict)
    }

    @Test("a partial approval can only narrow what was asked")
    func partialOnlyNarrows() throws {
        let request = SharingFixture.draft()
        func fields(_ decision: ProviderDecision) -> [String] {
            do {
                _ = try decision.validated(for: request, maximumRateLimit: 100)
                return []
            } catch {
                return error.issues.map(\.field)
            }
        }
        let narrower = GrantTerms(items: ["sfzhm", "xm"], validTo: day("2026-06-30"), dailyQuota: 500)
        #expect(fields(ProviderDecision(kind: .approvePartially, terms: narrower)) == [])
        #expect(fields(ProviderDecision(kind: .approve, terms: narrower)) == ["kind"])
        #expect(fields(ProviderDecision(kind: .approvePartially)) == ["terms"])
        #expect(
            fields(
                ProviderDecision(
                    kind: .approvePartially,
                    terms: GrantTerms(
                        items: ["sfzhm", "csrq"], validFrom: day("2026-01-01"), validTo: day("2027-06-30"),
                        dailyQuota: 5000))) == ["terms.items", "terms.validFrom", "terms.validTo", "terms.dailyQuota"])
        #expect(fields(ProviderDecision(kind: .approve, terms: GrantTerms(rateLimit: 1000))) == ["terms.rateLimit"])
        #expect(
            fields(
                ProviderDecision(kind: .approvePartially, terms: GrantTerms(items: ["xm"], masking: ["sfzhm": .all])))
                == ["terms.masking.sfzhm"])
    }

    @Test("a refusal needs a reason and words; some reasons call for another answer")
    func refusals() throws {
        let request = SharingFixture.draft()
        #expect {
            try ProviderDecision(kind: .refuse).validated(for: request, maximumRateLimit: 10)
        } throws: { error in (error as? ValidationError)?.issues.map(\.field) == ["comment", "refusalReason"] }
        #expect {
            try ProviderDecision(kind: .refuse, comment: "多要了", refusalReason: .beyondNecessary)
                .validated(for: request, maximumRateLimit: 10)
        } throws: { error in (error as? ValidationError)?.issues.first?.message.contains("部分同意") == true }
        #expect(throws: ValidationError.self) {
            try ProviderDecision(kind: .refuse, comment: "材料不全", refusalReason: .incompleteMaterials)
                .validated(for: request, maximumRateLimit: 10)
        }
        #expect(throws: ValidationError.self) {
            try ProviderDecision(kind: .returnForInfo).validated(for: request, maximumRateLimit: 10)
        }
        let refused = try ProviderDecision(kind: .refuse, comment: " 依法不能提供 ", refusalReason: .prohibitedByLaw)
            .validated(for: request, maximumRateLimit: 10)
        #expect(refused.comment == "依法不能提供")
    }
}

@Suite("Grants")
struct GrantTests {
    let now = day("2026-06-01").startOfDay().addingTimeInterval(3600)

    func application(_ draft: ApplicationDraft = SharingFixture.draft()) -> SharingApplication {
        SharingApplication(
            id: 3, number: "SQ-2026-0003", consumerDepartmentID: 5, applicantID: 9, applicantName: "民政局 赵磊",
            providerDepartmentID: 2, resourceCode: "101001/0007", content: draft, state: .providerReview,
            deadline: nil, decision: nil, grantID: nil, submittedAt: nil, createdAt: Date(), updatedAt: Date())
    }

    func grant(_ draft: GrantDraft, revokedAt: Date? = nil) -> Grant {
        Grant(
            id: 1, applicationID: draft.applicationID, entryID: draft.entryID, resourceCode: draft.resourceCode,
            providerDepartmentID: draft.providerDepartmentID, consumerDepartmentID: draft.consumerDepartmentID,
            systemIDs: draft.systemIDs, items: draft.items, rowFilter: draft.rowFilter, masking: draft.masking,
            purpose: draft.purpose, purposeText: draft.purposeText, channel: draft.channel, rateLimit: draft.rateLimit,
            dailyQuota: draft.dailyQuota, validFrom: draft.validFrom, validTo: draft.validTo, createdAt: Date(),
            revokedAt: revokedAt)
    }

    func system(_ id: Int64, department: Int64 = 5, active: Bool = true) -> ApplicationSystem {
        ApplicationSystem(
            id: id, departmentID: department, name: "低保系统", description: "", isActive: active, createdAt: Date())
    }

    @Test("an approval compiles the granted items, default masking by kind of data, and the consumer's region")
    func compile() throws {
        let compiled = try GrantDraft.compile(
            application: application(), entry: SharingFixture.entry(), consumerRegion: "341502",
            terms: GrantTerms(items: ["xzqhdm", "xm", "sfzhm"], dailyQuota: 300, rowFilter: .consumerRegion),
            defaultRateLimit: 10)
        #expect(compiled.items == ["sfzhm", "xm", "xzqhdm"], "in the entry's order")
        #expect(compiled.masking == ["sfzhm": .keep(first: 1, last: 2), "xm": .keep(first: 1, last: 0)])
        #expect(compiled.rowFilter == RowFilter(column: "xzqhdm", prefix: "341502"))
        #expect(compiled.dailyQuota == 300 && compiled.rateLimit == 10)
        #expect(compiled.validFrom == day("2026-03-01") && compiled.validTo == day("2026-12-31"))

        let city = try GrantDraft.compile(
            application: application(), entry: SharingFixture.entry(), consumerRegion: "341500",
            terms: GrantTerms(rowFilter: .consumerRegion, masking: ["xm": .none, "sfzhm": .all]), defaultRateLimit: 5)
        #expect(city.rowFilter?.prefix == "3415", "a city sees its counties")
        #expect(city.masking == ["sfzhm": .all], "the provider's overrides replace the defaults")
        #expect(city.dailyQuota == 1000, "the quota defaults to the expected volume")

        var noRegion = SharingFixture.entry()
        noRegion.content.items.removeAll { $0.semanticKind == .regionCode }
        #expect {
            try GrantDraft.compile(
                application: application(SharingFixture.draft(items: ["sfzhm"])), entry: noRegion,
                consumerRegion: "341502", terms: GrantTerms(rowFilter: .consumerRegion), defaultRateLimit: 5)
        } throws: { error in (error as? ValidationError)?.issues.map(\.field) == ["terms.rowFilter"] }
    }

    @Test("a grant allows calls only in its period, unrevoked, from the consumer's named systems")
    func evaluation() throws {
        var draft = try GrantDraft.compile(
            application: application(), entry: SharingFixture.entry(), consumerRegion: "341502", terms: GrantTerms(),
            defaultRateLimit: 10)
        draft.systemIDs = [41]
        let active = grant(draft)
        #expect(active.status(at: now) == .active)
        #expect(active.check(system: system(41), at: now) == .allowed)
        #expect(active.check(system: system(42), at: now) == .denied(.systemNotNamed))
        #expect(active.check(system: system(41, department: 6), at: now) == .denied(.otherDepartment))
        #expect(active.check(system: system(41, active: false), at: now) == .denied(.systemInactive))
        #expect(
            active.check(system: system(41), items: ["sfzhm", "csrq"], channel: .api, at: now)
                == .denied(.itemsNotGranted(["csrq"])))
        #expect(
            active.check(system: system(41), items: ["xm"], channel: .bulkExtract, at: now)
                == .denied(.channelNotGranted(.bulkExtract)))
        #expect(active.allows(items: ["xm", "sfzhm"]) && !active.allows(items: ["zjxy"]))

        let afterEnd = day("2027-01-01").startOfDay()
        #expect(active.check(system: system(41), at: afterEnd) == .denied(.expired(validTo: day("2026-12-31"))))
        #expect(
            active.check(system: system(41), at: day("2026-12-31").startOfDay().addingTimeInterval(86_399))
                == .allowed, "the last day counts to its end, China time")
        #expect(
            active.check(system: system(41), at: day("2026-02-28").startOfDay())
                == .denied(.notYetValid(validFrom: day("2026-03-01"))))
        let revoked = grant(draft, revokedAt: now)
        #expect(revoked.status(at: now) == .revoked && revoked.check(system: system(41), at: now) == .denied(.revoked))
        #expect(GrantDenial.revoked.message.zh == "授权已被撤销")

        // With no systems named, every system of the department may call.
        draft.systemIDs = []
        #expect(grant(draft).check(system: system(99), at: now) == .allowed)
    }

    @Test("rows are projected to the granted items, masked, and filtered by region")
    func projection() throws {
        let compiled = try GrantDraft.compile(
            application: application(), entry: SharingFixture.entry(), consumerRegion: "341502",
            terms: GrantTerms(rowFilter: .consumerRegion), defaultRateLimit: 10)
        let granted = grant(compiled)
        let row: [String: String?] = [
            "sfzhm": "34150219900101123X", "xm": "张三丰", "xzqhdm": "341502", "zjxy": "无", "csrq": nil,
        ]
        let projected = granted.project(row: row)
        #expect(projected == ["sfzhm": "3***************3X", "xm": "张**", "xzqhdm": "341502"])
        let nullName: [String: String?] = ["xm": String?.none]
        #expect(granted.project(row: nullName) == nullName, "null stays null")
        #expect(granted.admits(row: row))
        #expect(!granted.admits(row: ["xzqhdm": "341503"]))
        #expect(!granted.admits(row: ["xm": "无区划"]))

        let filter = RowFilter(column: "bm", prefix: "10%_\\")
        #expect(filter.likePattern == "10\\%\\_\\\\%")
        #expect(RowFilter.regionPrefix(for: try RegionCode("340000")) == "34")
    }
}
