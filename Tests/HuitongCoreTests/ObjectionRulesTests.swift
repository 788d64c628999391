import Foundation
import HuitongCore
import Testing

@Suite("Objection rules")
struct ObjectionRulesTests {
    static let items = [
        InfoItem(
            name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true, grade: .general4,
            semanticKind: .residentID),
        InfoItem(name: "姓名", columnName: "xm", dataType: .character, length: 50, semanticKind: .personName),
        InfoItem(name: "出生日期", columnName: "csrq", dataType: .date),
        InfoItem(name: "手机号码", columnName: "sjhm", dataType: .character, length: 11, semanticKind: .mobilePhone),
        InfoItem(name: "病史", columnName: "bs", dataType: .character, length: 100, grade: .general4),
    ]

    static var entry: CatalogEntry {
        CatalogEntry(
            id: 7, code: ResourceCode(classificationPath: "101001", sequence: "0001"),
            provider: EntryProvider(departmentID: 1, name: "公安局", code: "GAJ", creditCode: nil, regionCode: "341500"),
            status: .published, version: 1,
            content: CatalogEntryContent(
                classificationCode: "101001", name: "人口", abstract: "人口", formats: [], items: items,
                shareType: .conditional, shareCondition: "核验", updateCycle: .daily),
            publishedOn: nil, recordCount: nil, dataUpdatedAt: nil, mount: nil, createdAt: Date(), updatedAt: Date())
    }

    @Test("every step is allowed exactly from the states the loop defines, and leads where it says")
    func transitions() throws {
        let workflow = ObjectionWorkflow(answerDays: 10)
        let legal: [ObjectionAction: [ObjectionState: ObjectionState]] = [
            .escalate: [.open: .escalated],
            .correct: [.open: .corrected, .escalated: .corrected],
            .confirm: [.open: .confirmed, .escalated: .confirmed],
            .reject: [.open: .rejected, .escalated: .rejected],
            .withdraw: [.open: .withdrawn, .escalated: .withdrawn],
            .raise: [:],
        ]
        for action in ObjectionAction.allCases {
            for state in ObjectionState.allCases {
                if let target = legal[action]?[state] {
                    #expect(try workflow.apply(action, to: state, comment: "理由") == target, "\(action) from \(state)")
                } else {
                    #expect(throws: ObjectionError.transitionNotAllowed(action, from: state)) {
                        try workflow.apply(action, to: state, comment: "理由")
                    }
                }
            }
        }
        // Closed objections are final: nothing moves them again.
        for state in [ObjectionState.corrected, .confirmed, .rejected, .withdrawn] {
            #expect(!state.isOpen)
        }
        #expect(ObjectionState.open.isOpen && ObjectionState.escalated.isOpen)
        let error = ObjectionError.transitionNotAllowed(.correct, from: .rejected)
        #expect(error.message.zh.contains("不予采纳") && error.message.en.contains("rejected"))
        #expect(error.kind == .conflict)
    }

    @Test("a rejection needs a reason; a confirmation may stand without one")
    func reasons() throws {
        let workflow = ObjectionWorkflow(answerDays: 10)
        #expect(throws: ObjectionError.reasonRequired) { try workflow.apply(.reject, to: .open, comment: "  \n ") }
        #expect(ObjectionError.reasonRequired.details.map(\.field) == ["comment"])
        #expect(try workflow.apply(.confirm, to: .open) == .confirmed)
    }

    @Test("escalation waits for the deadline")
    func escalation() throws {
        let workflow = ObjectionWorkflow(answerDays: 10)
        let deadline = Date(timeIntervalSince1970: 1_000_000)
        #expect(throws: ObjectionError.notOverdue) {
            try workflow.escalate(.open, deadline: deadline, at: deadline.addingTimeInterval(-1))
        }
        #expect(try workflow.escalate(.open, deadline: deadline, at: deadline) == .escalated)
        #expect(throws: ObjectionError.transitionNotAllowed(.escalate, from: .escalated)) {
            try workflow.escalate(.escalated, deadline: deadline, at: deadline)
        }
    }

    @Test("the deadline counts working days past the weekend, a holiday and onto a make-up Saturday")
    func deadline() throws {
        // Friday 2026-04-03; Monday 04-06 off; Saturday 04-11 worked instead.
        let year = try HolidayYear(
            year: 2026, source: "test",
            holidays: [
                HolidayPeriod(name: "清明节", from: CalendarDate(iso: "2026-04-06")!, to: CalendarDate(iso: "2026-04-06")!)
            ],
            workdays: [CalendarDate(iso: "2026-04-11")!]
        ).validated()
        let calendar = WorkingDayCalendar(years: [year])
        let raised = CalendarDate(iso: "2026-04-03")!.startOfDay().addingTimeInterval(10 * 3600)
        // Tue 7, Wed 8 → due by the end of Wednesday.
        #expect(
            ObjectionWorkflow(answerDays: 2).deadline(raisedAt: raised, calendar: calendar)
                == CalendarDate(iso: "2026-04-09")!.startOfDay())
        // Tue 7 … Fri 10 are four, the make-up Saturday 11 the fifth.
        #expect(
            ObjectionWorkflow(answerDays: 5).deadline(raisedAt: raised, calendar: calendar)
                == CalendarDate(iso: "2026-04-12")!.startOfDay())
    }

    @Test("a draft must name a whole key and existing items, and refuses markup without repeating it")
    func drafts() throws {
        let good = try ObjectionDraft(
            entryID: 7, recordKey: ["sfzhm": " 34150119900101001X "], items: ["csrq", "xm"],
            description: " 出生日期与户口簿不符 ", evidence: "户口簿第 3 页"
        ).validated(for: Self.entry)
        #expect(good.recordKey == ["sfzhm": "34150119900101001X"])
        #expect(good.items == ["xm", "csrq"], "items come back in the entry's order")
        #expect(good.description == "出生日期与户口簿不符")

        let bad = ObjectionDraft(
            entryID: 7, recordKey: ["xm": "张三"], items: ["nope"], description: "<script>alert(1)</script>",
            evidence: String(repeating: "证", count: 4_001))
        #expect {
            try bad.validated(for: Self.entry)
        } throws: { error in
            guard let error = error as? ValidationError else { return false }
            let text = error.issues.map(\.message).joined() + error.message.combined
            return Set(error.issues.map(\.field)) == ["recordKey", "items", "description", "evidence"]
                && !text.contains("alert") && !text.contains("张三")
        }
        // Items alone (without a record) are allowed: the whole column may be in doubt.
        #expect(
            try ObjectionDraft(entryID: 7, items: ["csrq"], description: "日期格式错误").validated(for: Self.entry).recordKey
                .isEmpty)
        #expect(throws: ValidationError.self) {
            try ObjectionDraft(entryID: 7, description: " ").validated(for: Self.entry)
        }
    }

    @Test("a portal contact needs a name and a phone or an e-mail that look real")
    func contacts() throws {
        #expect(try ObjectionContact(name: " 王五 ", phone: "13800138000").validated().name == "王五")
        #expect(try ObjectionContact(name: "王五", phone: "0564-3371234").validated().phone == "0564-3371234")
        #expect(try ObjectionContact(name: "王五", email: "w@example.cn").validated().email == "w@example.cn")
        #expect {
            try ObjectionContact(name: "<b>王五</b>", phone: "12345", email: "no-at-sign").validated()
        } throws: { error in
            Set((error as? ValidationError)?.issues.map(\.field) ?? []) == [
                "contact.name", "contact.phone", "contact.email",
            ]
        }
        #expect {
            try ObjectionContact(name: "王五").validated()
        } throws: { error in (error as? ValidationError)?.issues.map(\.field) == ["contact"] }
    }

    @Test("a correction is checked like an ingested value and comes back in canonical form")
    func corrections() throws {
        let current: [String: String?] = [
            "sfzhm": "34150119900101001X", "xm": "张三", "csrq": "1990-01-02", "sjhm": nil, "bs": "无",
        ]
        let correction = try ObjectionCorrection.make(
            values: ["csrq": "1990/1/1", "sjhm": "13800138000"], current: current, items: Self.items)
        #expect(correction.row == ["34150119900101001X", "张三", "1990-01-01", "13800138000", "无"])
        #expect(
            correction.changes == [
                ItemChange(column: "csrq", old: "1990-01-02", new: "1990-01-01"),
                ItemChange(column: "sjhm", old: nil, new: "13800138000"),
            ])

        #expect {
            try ObjectionCorrection.make(
                values: ["csrq": "1990-02-30", "sjhm": "12", "xm": String(repeating: "名", count: 51)], current: current,
                items: Self.items)
        } throws: { error in
            Set((error as? ValidationError)?.issues.map(\.field) ?? []) == ["values.csrq", "values.sjhm", "values.xm"]
        }
        #expect {
            try ObjectionCorrection.make(values: ["sfzhm": "341501199001010028"], current: current, items: Self.items)
        } throws: { error in (error as? ValidationError)?.issues.map(\.field) == ["values.sfzhm"] }
        #expect {
            try ObjectionCorrection.make(values: ["zz": "1"], current: current, items: Self.items)
        } throws: { error in (error as? ValidationError)?.issues.map(\.field) == ["values.zz"] }
        #expect(throws: ObjectionError.nothingChanged) {
            try ObjectionCorrection.make(values: ["csrq": "1990-01-02"], current: current, items: Self.items)
        }
        #expect(throws: ValidationError.self) {
            try ObjectionCorrection.make(values: [:], current: current, items: Self.items)
        }
    }

    @Test("anyone but the provider sees the record's key and corrected values masked")
    func masking() {
        let objection = Objection(
            id: 1, number: "YY-2026-0001", entryID: 7, resourceCode: "101001/0001", providerDepartmentID: 1,
            raiser: .portal(ObjectionContact(name: "王小明", phone: "13800138000")),
            recordKey: ["sfzhm": "34150119900101001X"], items: ["bs"], description: "病史有误", evidence: "",
            state: .corrected, deadline: Date(), escalatedAt: nil,
            answer: ObjectionAnswer(
                kind: .correct, comment: "", actorID: 2, actorName: "李", at: Date(), poolVersion: 2,
                changes: [
                    ItemChange(column: "bs", old: "高血压", new: "无"), ItemChange(column: "xm", old: "张三", new: "张叁"),
                ]),
            createdAt: Date(), updatedAt: Date())
        let masked = objection.masked(for: Self.items, keepContact: false)
        #expect(masked.recordKey["sfzhm"] == "3***************1X")
        #expect(
            masked.answer?.changes == [
                ItemChange(column: "bs", old: "***", new: "*"), ItemChange(column: "xm", old: "张*", new: "张*"),
            ])
        #expect(masked.raiser.contact?.phone == "138****8000" && masked.raiser.name == "王**")
        #expect(objection.masked(for: Self.items, keepContact: true).raiser.contact?.phone == "13800138000")
    }

    @Test("open objections take points off a score, up to the cap, and never below zero")
    func penalty() {
        let penalty = ObjectionPenalty(perObjection: 5, cap: 20)
        #expect(penalty.adjusted(score: 90, openObjections: 0) == 90)
        #expect(penalty.adjusted(score: 90, openObjections: 2) == 80)
        #expect(penalty.adjusted(score: 90, openObjections: 10) == 70)
        #expect(penalty.adjusted(score: 12, openObjections: 4) == 0)
        #expect(penalty.adjusted(score: nil, openObjections: 3) == nil)
    }
}
