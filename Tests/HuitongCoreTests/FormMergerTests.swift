import Foundation
import HuitongCore
import Testing

/// 一表制 (domain-services.md §3.4): what an applicant of a 一件事 fills in once, and what stays separate.
@Suite("一件事 form merging")
struct FormMergerTests {
    static let nameItem = ItemReference(resourceCode: "101001/0001", column: "xm")
    static let idItem = ItemReference(resourceCode: "101001/0001", column: "sfzhm")

    static func matter(_ code: String, _ elements: [FormElement], materials: [MatterMaterial] = []) -> MatterDraft {
        MatterDraft(
            implementationCode: code, name: "事项\(code)", legalBasis: "《某条例》", materials: materials,
            elements: elements)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var left: FormElement
        var right: FormElement
        /// How many fields the two elements become.
        var fields: Int
        var required: Bool?
        var maxLength: Int?
        var dictionaryValues: [String]?
        var conflict: MergeConflictKind?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "the same item for different roles stays twice",
            left: FormElement(key: "xm", label: "申请人姓名", role: "申请人", catalogItem: nameItem),
            right: FormElement(key: "mqxm", label: "母亲姓名", role: "母亲", catalogItem: nameItem), fields: 2),
        Case(
            name: "the same item under different keys merges",
            left: FormElement(key: "sqrxm", label: "申请人姓名", catalogItem: nameItem),
            right: FormElement(key: "name", label: "姓名", catalogItem: nameItem), fields: 1),
        Case(
            name: "required wins over optional, the shorter length wins",
            left: FormElement(key: "lxdh", label: "联系电话", maxLength: 20, isRequired: false),
            right: FormElement(key: "lxdh", label: "联系电话", maxLength: 11, isRequired: true), fields: 1,
            required: true, maxLength: 11),
        Case(
            name: "listed dictionary values are intersected",
            left: FormElement(
                key: "hyzk", label: "婚姻状况", dictionary: FormDictionary(code: "GB/T 2261.2", values: ["10", "20", "30"])),
            right: FormElement(
                key: "hyzk", label: "婚姻状况", dictionary: FormDictionary(code: "GB/T 2261.2", values: ["20", "30", "40"])),
            fields: 1, dictionaryValues: ["20", "30"]),
        Case(
            name: "dictionaries with no common value are a conflict",
            left: FormElement(
                key: "xb", label: "性别", dictionary: FormDictionary(code: "XB", values: ["1", "2"]),
                catalogItem: ItemReference(resourceCode: "101001/0001", column: "xb")),
            right: FormElement(
                key: "xb", label: "性别", dictionary: FormDictionary(code: "XB", values: ["男", "女"]),
                catalogItem: ItemReference(resourceCode: "101001/0001", column: "xb")),
            fields: 1, conflict: .dictionary),
        Case(
            name: "the same item under different dictionaries is a conflict, even where values coincide",
            left: FormElement(
                key: "mz", label: "民族", dictionary: FormDictionary(code: "GB/T 3304", values: ["01", "02"]),
                catalogItem: ItemReference(resourceCode: "101001/0001", column: "mz")),
            right: FormElement(
                key: "mz", label: "民族", dictionary: FormDictionary(code: "LOCAL-MZ", values: ["01", "03"]),
                catalogItem: ItemReference(resourceCode: "101001/0001", column: "mz")),
            fields: 1, conflict: .dictionary),
        Case(
            name: "unlinked elements with different dictionaries are different elements",
            left: FormElement(key: "lb", label: "类别", dictionary: FormDictionary(code: "A")),
            right: FormElement(key: "lb", label: "类别", dictionary: FormDictionary(code: "B")), fields: 2),
        Case(
            name: "an element on a standard data element merges with its twin",
            left: FormElement(key: "csrq", label: "出生日期", type: .date, standardElement: "DE00005"),
            right: FormElement(key: "birth", label: "出生日期", type: .date, standardElement: "de00005"), fields: 1),
        Case(
            name: "the same item with different value types is a conflict",
            left: FormElement(key: "zczb", label: "注册资本", type: .decimal, catalogItem: idItem),
            right: FormElement(key: "zczb", label: "注册资本", type: .text, catalogItem: idItem), fields: 1,
            conflict: .valueType),
    ]

    @Test("the de-duplication rule", arguments: cases)
    func deduplication(_ example: Case) {
        let form = FormMerger.merge([Self.matter("A", [example.left]), Self.matter("B", [example.right])])
        #expect(form.fields.count == example.fields)
        #expect(form.report.elementsBefore == 2)
        #expect(form.report.elementsAfter == example.fields)
        if example.fields == 1 {
            let field = form.fields[0]
            #expect(
                field.sources == [
                    ElementSource(matterCode: "A", key: example.left.key),
                    ElementSource(matterCode: "B", key: example.right.key),
                ])
            if let required = example.required { #expect(field.isRequired == required) }
            if let length = example.maxLength { #expect(field.maxLength == length) }
            if let values = example.dictionaryValues { #expect(field.dictionary?.values == values) }
            #expect(field.conflicts.map(\.kind) == (example.conflict.map { [$0] } ?? []))
            #expect(form.report.conflicts == (example.conflict == nil ? 0 : 1))
        }
    }

    @Test("a person's choice of dictionary resolves a conflict")
    func resolution() {
        let matters = [
            Self.matter(
                "A",
                [
                    FormElement(
                        key: "xb", label: "性别", dictionary: FormDictionary(code: "XB", values: ["1", "2"]),
                        catalogItem: Self.idItem)
                ]),
            Self.matter(
                "B",
                [
                    FormElement(
                        key: "xb", label: "性别", dictionary: FormDictionary(code: "XB", values: ["男", "女"]),
                        catalogItem: Self.idItem)
                ]),
        ]
        let id = FormMerger.merge(matters).fields[0].id
        let chosen = FormDictionary(code: "GB/T 2261.1", values: ["1", "2"])
        let form = FormMerger.merge(matters, resolutions: [id: chosen])
        #expect(form.fields[0].dictionary == chosen)
        #expect(form.fields[0].conflicts.map(\.isResolved) == [true])
        #expect(form.report.conflicts == 0)
    }

    @Test("each department keeps its own form's fields")
    func projection() {
        let form = FormMerger.merge([
            Self.matter(
                "A",
                [
                    FormElement(key: "sqrxm", label: "姓名", catalogItem: Self.nameItem),
                    FormElement(key: "dz", label: "地址"),
                ]),
            Self.matter("B", [FormElement(key: "name", label: "姓名", catalogItem: Self.nameItem)]),
        ])
        #expect(form.projection(for: "A").map(\.key) == ["sqrxm", "dz"])
        #expect(form.projection(for: "B").map(\.key) == ["name"])
        #expect(form.projection(for: "B")[0].field.id == form.projection(for: "A")[0].field.id)
    }

    @Test("materials asked for twice are handed in once, and shared data exempts them")
    func materials() {
        let birthCertificate = "111000000000133970001"
        let matters = [
            Self.matter(
                "A", [],
                materials: [
                    MatterMaterial(name: "出生医学证明", need: .must, licenceTypeCode: birthCertificate),
                    MatterMaterial(name: "户口簿", need: .optional, catalogItems: [Self.nameItem, Self.idItem]),
                    MatterMaterial(name: "结婚证", need: .conditional, condition: "父母已婚"),
                ]),
            Self.matter(
                "B", [],
                materials: [
                    MatterMaterial(name: "出生证明", need: .optional, licenceTypeCode: birthCertificate),
                    MatterMaterial(name: "户口簿", need: .must),
                ]),
        ]
        let none = FormMerger.merge(matters)
        // 户口簿 named by B without its licence is the same material A replaces by nothing: one row, not two.
        #expect(none.materials.map(\.name) == ["出生医学证明", "户口簿", "结婚证"])
        #expect(none.materials.map(\.need) == [.must, .must, .conditional])
        #expect(none.report.materialsBefore == 5)
        #expect(none.report.materialsAfter == 3)
        #expect(none.report.materialsExempted == 0)

        let shared = FormMerger.merge(
            matters,
            availability: SharedDataAvailability(licenceTypes: [birthCertificate], items: [Self.nameItem, Self.idItem]))
        #expect(shared.materials.map(\.exemption) == [.licence, .sharedData, nil])
        #expect(shared.report.materialsAfter == 1)
        #expect(shared.report.materialsExempted == 2)
        #expect(shared.report.materialReduction == 80)
    }

    @Test("fields shared data holds can be filled in, and authoritative ones are read-only")
    func prefill() {
        let form = FormMerger.merge(
            [
                Self.matter(
                    "A",
                    [
                        FormElement(key: "xm", label: "姓名", catalogItem: Self.nameItem),
                        FormElement(key: "dh", label: "电话"),
                    ]),
                Self.matter("B", [FormElement(key: "sfzhm", label: "身份证号", catalogItem: Self.idItem)]),
            ],
            availability: SharedDataAvailability(
                items: [Self.nameItem, Self.idItem], authoritativeItems: [Self.idItem]))
        #expect(form.fields.map(\.isPrefillable) == [true, false, true])
        #expect(form.fields.map(\.isReadOnly) == [false, false, true])
        #expect(form.report.prefillable == 2)
        #expect(form.report.elementsToFill == 1)
    }
}

/// The 办事指南 sheet: good matters import, a matter with a bad row does not, and each problem names its row.
@Suite("Matter sheets")
struct MatterSheetTests {
    static let header = MatterSheet.columns.map(\.header)

    static func row(_ values: [String: String]) -> [String] { header.map { values[$0] ?? "" } }

    @Test("a guide sheet reads into matters, with row-level errors for bad rows")
    func rowErrors() {
        let rows: [[String]] = [
            Self.header,
            Self.row([
                "实施编码": "11440100MB2C00001A3442199806001", "事项名称": "出生登记", "设定依据": "《户口登记条例》", "事项类型": "行政确认",
                "实施部门": "公安局",
            ]),
            Self.row(["行类型": "要素", "名称": "新生儿姓名", "字段标识": "xsexm", "主体角色": "新生儿", "必填": "是", "长度": "50"]),
            Self.row(["行类型": "材料", "名称": "出生医学证明", "必要性": "必要", "替代证照": "111000000000133970001"]),
            Self.row(["实施编码": "B-2", "事项名称": "医保参保", "设定依据": "《社会保险法》"]),
            Self.row(["行类型": "要素", "名称": "参保人", "字段标识": "Bad Key", "数据类型": "文字"]),
            Self.row(["行类型": "材料", "名称": "户口簿", "必要性": "情形必要"]),
            Self.row(["行类型": "要素", "名称": "身份证号", "字段标识": "sfzhm", "关联信息项": "101001:sfzhm"]),
        ]
        let result = MatterSheet.parse(numberedRows: rows.enumerated().map { ($0.offset + 1, $0.element) })
        #expect(result.matters.map(\.content.implementationCode) == ["11440100MB2C00001A3442199806001", "B-2"])
        #expect(result.matters.map(\.isRejected) == [false, true])
        let first = result.matters[0].content
        #expect(first.elements.map(\.role) == ["新生儿"])
        #expect(first.elements[0].maxLength == 50)
        #expect(first.materials[0].licenceTypeCode == "111000000000133970001")
        #expect(result.matters[0].department == "公安局")
        let places = result.issues.map { "\($0.row) \($0.column)" }
        #expect(places == ["6 字段标识", "6 数据类型", "7 适用情形", "8 关联信息项"])
        #expect(result.issues[1].message.contains("文本"))
    }

    @Test("a sheet written from matters reads back the same")
    func roundTrip() throws {
        let matter = try MatterDraft(
            implementationCode: "A-1", basicCode: "000123", name: "公积金提取", type: .payment, legalTimeLimitDays: 10,
            promisedTimeLimitDays: 3, legalBasis: "《住房公积金管理条例》",
            materials: [
                MatterMaterial(
                    name: "不动产权证书", need: .conditional, condition: "购房提取", form: "电子",
                    catalogItems: [FormMergerTests.idItem])
            ],
            elements: [
                FormElement(
                    key: "hyzk", label: "婚姻状况", maxLength: 2, isRequired: true,
                    dictionary: FormDictionary(code: "GB/T 2261.2", values: ["10", "20"]),
                    catalogItem: FormMergerTests.nameItem)
            ]
        ).validated()
        let rows = MatterSheet.rows(for: [(matter, "住房公积金中心")])
        let parsed = MatterSheet.parse(numberedRows: rows.enumerated().map { ($0.offset + 1, $0.element) })
        #expect(parsed.issues.isEmpty)
        #expect(parsed.matters.first?.content == matter)
    }

    @Test("a matter's rows kept apart, or a missing column, are refused with the place")
    func structure() {
        let missing = MatterSheet.parse(numberedRows: [(1, ["实施编码", "事项名称"])])
        #expect(missing.issues.map(\.column) == ["设定依据"])
        let apart = MatterSheet.parse(numberedRows: [
            (1, Self.header),
            (2, Self.row(["实施编码": "A-1", "事项名称": "甲", "设定依据": "依据"])),
            (3, Self.row(["实施编码": "A-2", "事项名称": "乙", "设定依据": "依据"])),
            (4, Self.row(["实施编码": "A-1", "行类型": "要素", "名称": "姓名", "字段标识": "xm"])),
        ])
        #expect(apart.issues.map(\.row) == [4])
        #expect(apart.matters.map(\.isRejected) == [true, false])
        // Rows after the misplaced one, their code left blank, go with it, not with the matter before.
        let continued = MatterSheet.parse(numberedRows: [
            (1, Self.header),
            (2, Self.row(["实施编码": "A-1", "事项名称": "甲", "设定依据": "依据"])),
            (3, Self.row(["实施编码": "A-2", "事项名称": "乙", "设定依据": "依据"])),
            (4, Self.row(["实施编码": "A-1", "行类型": "要素", "名称": "姓名", "字段标识": "xm"])),
            (5, Self.row(["行类型": "要素", "名称": "电话", "字段标识": "dh"])),
        ])
        #expect(continued.matters.map(\.content.elements.count) == [1, 0])
        #expect(continued.matters.map(\.isRejected) == [true, false])
        // A repeated matter column that says the same in other words is no conflict.
        let repeated = MatterSheet.parse(numberedRows: [
            (1, Self.header),
            (2, Self.row(["实施编码": "A-1", "事项名称": "甲", "设定依据": "依据", "事项类型": "行政许可", "法定时限": "5"])),
            (3, Self.row(["实施编码": "A-1", "事项类型": "licensing", "法定时限": "05", "行类型": "要素", "名称": "姓名", "字段标识": "xm"])),
        ])
        #expect(repeated.issues.isEmpty)
    }
}
