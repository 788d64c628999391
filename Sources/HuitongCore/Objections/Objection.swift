import Foundation

/// How to reach someone who raised an objection on the public portal without an account.
public struct ObjectionContact: Sendable, Hashable, Codable {
    public var name: String
    public var phone: String?
    public var email: String?

    public init(name: String, phone: String? = nil, email: String? = nil) {
        self.name = name
        self.phone = phone
        self.email = email
    }
}

/// Who raised an objection: an officer of a department, or a member of the public who left a contact.
public struct ObjectionRaiser: Sendable, Hashable, Codable {
    public var userID: Int64?
    public var departmentID: Int64?
    public var name: String
    public var contact: ObjectionContact?

    public init(userID: Int64?, departmentID: Int64?, name: String, contact: ObjectionContact? = nil) {
        self.userID = userID
        self.departmentID = departmentID
        self.name = name
        self.contact = contact
    }

    public static func portal(_ contact: ObjectionContact) -> ObjectionRaiser {
        ObjectionRaiser(userID: nil, departmentID: nil, name: contact.name, contact: contact)
    }

    public var isPortalUser: Bool { userID == nil && departmentID == nil }
}

/// What a raiser says is wrong: an entry, optionally one record of it (by its key values) and some of its items.
public struct ObjectionDraft: Sendable, Hashable, Codable {
    public var entryID: Int64
    /// Key column → value; empty when the objection is about the entry as a whole.
    public var recordKey: [String: String]
    /// Column names of the items in doubt; empty for the whole record (or entry).
    public var items: [String]
    public var description: String
    /// What shows the data is wrong (a document number, another register's value, …), as text.
    public var evidence: String

    public init(
        entryID: Int64, recordKey: [String: String] = [:], items: [String] = [], description: String,
        evidence: String = ""
    ) {
        self.entryID = entryID
        self.recordKey = recordKey
        self.items = items
        self.description = description
        self.evidence = evidence
    }

    public static let limits = (description: 2_000, evidence: 4_000, keyValue: 128, items: 100)

    /// The draft in canonical form (trimmed, items in entry order), checked against the entry's items: the key
    /// must be whole and the items must exist. Nothing in a refusal repeats what was typed.
    public func validated(for entry: CatalogEntry) throws(ValidationError) -> ObjectionDraft {
        var issues = ValidationCollector()
        var result = self
        result.description = ObjectionText.tidy(description)
        result.evidence = ObjectionText.tidy(evidence)
        ObjectionText.check(result.description, "description", limit: Self.limits.description, required: true, &issues)
        ObjectionText.check(result.evidence, "evidence", limit: Self.limits.evidence, required: false, &issues)
        let columns = entry.content.items.map(\.columnName)
        let keyColumns = entry.content.keyItems.map(\.columnName)
        var key: [String: String] = [:]
        for (column, value) in recordKey {
            let value = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard keyColumns.contains(column) else {
                issues.add(
                    "recordKey",
                    BilingualText(
                        zh: "记录只能以主键信息项（\(keyColumns.joined(separator: "、"))）指明",
                        en: "a record is named by its key items (\(keyColumns.joined(separator: ", "))) only"))
                continue
            }
            if value.isEmpty || value.count > Self.limits.keyValue || ObjectionText.hasControlOrMarkup(value) {
                issues.add(
                    "recordKey.\(column)",
                    BilingualText(
                        zh: "须为 1–\(Self.limits.keyValue) 个字符，不含控制字符或尖括号",
                        en: "must be 1–\(Self.limits.keyValue) characters without control characters or angle brackets"
                    ))
            }
            key[column] = value
        }
        if !key.isEmpty {
            let missing = keyColumns.filter { key[$0] == nil }
            if !missing.isEmpty {
                issues.add(
                    "recordKey",
                    BilingualText(
                        zh: "缺少主键信息项：\(missing.joined(separator: "、"))",
                        en: "the key lacks: \(missing.joined(separator: ", "))"))
            }
        }
        result.recordKey = key
        if items.count > Self.limits.items {
            issues.add("items", BilingualText(zh: "信息项过多", en: "too many items"))
        }
        let unknown = items.filter { !columns.contains($0) }
        if !unknown.isEmpty {
            issues.add(
                "items",
                BilingualText(
                    zh: "目录没有这些信息项（应为字段名：\(columns.joined(separator: "、"))）",
                    en: "the entry has no such items (use column names: \(columns.joined(separator: ", ")))"))
        }
        result.items = columns.filter(items.contains)
        try issues.throwIfAny()
        return result
    }
}

extension ObjectionContact {
    /// The contact in canonical form: a name, and a valid mobile or landline number or e-mail address (at least
    /// one), so that the provider can reach someone without an account.
    public func validated() throws(ValidationError) -> ObjectionContact {
        var issues = ValidationCollector()
        let name = ObjectionText.tidy(self.name)
        ObjectionText.check(name, "contact.name", limit: 50, required: true, &issues)
        let phone = phone.map(ObjectionText.tidy).flatMap { $0.isEmpty ? nil : $0 }
        let email = email.map(ObjectionText.tidy).flatMap { $0.isEmpty ? nil : $0 }
        if let phone, !Self.isPhone(phone) {
            issues.add(
                "contact.phone",
                BilingualText(
                    zh: "应为 11 位手机号码或带区号的固定电话", en: "must be an 11-digit mobile number or a landline with its area code"
                ))
        }
        if let email, !Self.isEmail(email) {
            issues.add("contact.email", BilingualText(zh: "不是有效的电子邮箱", en: "is not a valid e-mail address"))
        }
        if phone == nil && email == nil {
            issues.add(
                "contact", BilingualText(zh: "请留下电话或电子邮箱", en: "leave a phone number or an e-mail address"))
        }
        try issues.throwIfAny()
        return ObjectionContact(name: name, phone: phone, email: email)
    }

    static func isPhone(_ text: String) -> Bool {
        let digits = text.replacingOccurrences(of: "-", with: "")
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        if digits.count == 11 && digits.hasPrefix("1") { return true }
        // 区号 (3–4 digits starting with 0) and a 7–8 digit number.
        return digits.hasPrefix("0") && (10...12).contains(digits.count)
    }

    static func isEmail(_ text: String) -> Bool {
        guard text.count <= 100, text.allSatisfy({ $0.isASCII && !$0.isWhitespace }), !text.contains("<"),
            !text.contains(">")
        else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".")
            && !parts[1].hasSuffix(".")
    }
}

/// Checks on the free text of objections. Text is stored and shown as typed, so anything that could be taken for
/// markup (angle brackets) or hide itself (control characters) is refused rather than escaped.
enum ObjectionText {
    static func tidy(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func hasControlOrMarkup(_ text: String, allowingNewlines: Bool = false) -> Bool {
        text.unicodeScalars.contains { scalar in
            if scalar == "<" || scalar == ">" { return true }
            if allowingNewlines && (scalar == "\n" || scalar == "\r" || scalar == "\t") { return false }
            return scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
        }
    }

    static func check(
        _ text: String, _ field: String, limit: Int, required: Bool, _ issues: inout ValidationCollector
    ) {
        if required && text.isEmpty {
            issues.add(field, BilingualText(zh: "不能为空", en: "is required"))
        } else if text.count > limit {
            issues.add(field, BilingualText(zh: "不能超过 \(limit) 个字符", en: "must be at most \(limit) characters"))
        } else if hasControlOrMarkup(text, allowingNewlines: true) {
            issues.add(
                field,
                BilingualText(
                    zh: "不能含尖括号（< >）或控制字符", en: "must not contain angle brackets (< >) or control characters"))
        }
    }
}

/// One changed value of a correction.
public struct ItemChange: Sendable, Hashable, Codable {
    public var column: String
    public var old: String?
    public var new: String?

    public init(column: String, old: String?, new: String?) {
        self.column = column
        self.old = old
        self.new = new
    }
}

/// Why a pool version exists when an objection's correction made it: which objection, who, and what changed.
public struct PoolProvenance: Sendable, Hashable, Codable {
    public var entryID: Int64
    public var version: Int
    public var objectionID: Int64
    public var objectionNumber: String
    public var actorID: Int64?
    public var actorName: String
    public var recordKey: [String: String]
    public var changes: [ItemChange]
    public var createdAt: Date

    public init(
        entryID: Int64, version: Int, objectionID: Int64, objectionNumber: String, actorID: Int64?, actorName: String,
        recordKey: [String: String], changes: [ItemChange], createdAt: Date
    ) {
        self.entryID = entryID
        self.version = version
        self.objectionID = objectionID
        self.objectionNumber = objectionNumber
        self.actorID = actorID
        self.actorName = actorName
        self.recordKey = recordKey
        self.changes = changes
        self.createdAt = createdAt
    }

    /// The provenance as someone other than the entry's provider may see it: key and values masked by the items'
    /// rules (`ObjectionMasking`).
    public func masked(for items: [InfoItem]) -> PoolProvenance {
        var copy = self
        copy.recordKey = ObjectionMasking.mask(recordKey, items)
        copy.changes = changes.map { change in
            let rule = ObjectionMasking.rule(for: items.first { $0.columnName == change.column })
            return ItemChange(
                column: change.column, old: change.old.map { rule.apply(to: $0) },
                new: change.new.map { rule.apply(to: $0) })
        }
        return copy
    }
}

/// The provider's answer, once given.
public struct ObjectionAnswer: Sendable, Hashable, Codable {
    public var kind: ObjectionAnswerKind
    public var comment: String
    public var actorID: Int64?
    public var actorName: String
    public var at: Date
    /// The pool version a correction made.
    public var poolVersion: Int?
    public var changes: [ItemChange]

    public init(
        kind: ObjectionAnswerKind, comment: String, actorID: Int64?, actorName: String, at: Date,
        poolVersion: Int? = nil, changes: [ItemChange] = []
    ) {
        self.kind = kind
        self.comment = comment
        self.actorID = actorID
        self.actorName = actorName
        self.at = at
        self.poolVersion = poolVersion
        self.changes = changes
    }
}

/// 异议: a report that an entry's data (a record, some items) is wrong, and its answer.
public struct Objection: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    /// `YY-YYYY-NNNN`, shown to the raiser (a portal user follows the objection by it).
    public var number: String
    public var entryID: Int64
    public var resourceCode: String
    public var providerDepartmentID: Int64
    public var raiser: ObjectionRaiser
    public var recordKey: [String: String]
    public var items: [String]
    public var description: String
    public var evidence: String
    public var state: ObjectionState
    /// When the provider's answer is due.
    public var deadline: Date
    public var escalatedAt: Date?
    public var answer: ObjectionAnswer?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64, number: String, entryID: Int64, resourceCode: String, providerDepartmentID: Int64,
        raiser: ObjectionRaiser, recordKey: [String: String], items: [String], description: String, evidence: String,
        state: ObjectionState, deadline: Date, escalatedAt: Date?, answer: ObjectionAnswer?, createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.number = number
        self.entryID = entryID
        self.resourceCode = resourceCode
        self.providerDepartmentID = providerDepartmentID
        self.raiser = raiser
        self.recordKey = recordKey
        self.items = items
        self.description = description
        self.evidence = evidence
        self.state = state
        self.deadline = deadline
        self.escalatedAt = escalatedAt
        self.answer = answer
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Open and past its deadline.
    public func isOverdue(at now: Date) -> Bool { state.isOpen && deadline <= now }

    /// The objection as someone other than the entry's provider may see it: the record's key and the corrected
    /// values masked by the items' rules. The raiser's contact is kept only for `keepContact` (the operator, who
    /// may have to reach them).
    public func masked(for items: [InfoItem], keepContact: Bool) -> Objection {
        var copy = self
        copy.recordKey = ObjectionMasking.mask(recordKey, items)
        if let answer {
            copy.answer?.changes = answer.changes.map { change in
                let rule = ObjectionMasking.rule(for: items.first { $0.columnName == change.column })
                return ItemChange(
                    column: change.column, old: change.old.map { rule.apply(to: $0) },
                    new: change.new.map { rule.apply(to: $0) })
            }
        }
        if !keepContact, let contact = raiser.contact {
            copy.raiser.contact = ObjectionContact(
                name: MaskingRule.default(for: .personName).apply(to: contact.name),
                phone: contact.phone.map { MaskingRule.default(for: .mobilePhone).apply(to: $0) },
                email: contact.email.map { MaskingRule.default(for: .email).apply(to: $0) })
            copy.raiser.name = copy.raiser.contact?.name ?? ""
        }
        return copy
    }
}

/// One step in an objection's history: who, when, what.
public struct ObjectionEvent: Sendable, Hashable, Codable {
    public var action: ObjectionAction
    public var from: ObjectionState?
    public var to: ObjectionState
    public var actorID: Int64?
    public var actorName: String
    public var comment: String
    public var at: Date

    public init(
        action: ObjectionAction, from: ObjectionState?, to: ObjectionState, actorID: Int64?, actorName: String,
        comment: String, at: Date
    ) {
        self.action = action
        self.from = from
        self.to = to
        self.actorID = actorID
        self.actorName = actorName
        self.comment = comment
        self.at = at
    }
}

/// How values of an objection's record are shown to anyone but the entry's provider: the item's default display
/// rule (domain.md §4.3), and nothing at all of an item graded 一般4级 or above that has no rule of its own.
public enum ObjectionMasking {
    public static func rule(for item: InfoItem?) -> MaskingRule {
        guard let item else { return .all }
        let rule = MaskingRule.default(for: item.semanticKind)
        if rule == .none && item.grade >= .general4 { return .all }
        return rule
    }

    static func mask(_ values: [String: String], _ items: [InfoItem]) -> [String: String] {
        var masked: [String: String] = [:]
        for (column, value) in values {
            masked[column] = rule(for: items.first { $0.columnName == column }).apply(to: value)
        }
        return masked
    }
}

/// How much open objections lower an entry's quality score: a fixed deduction per objection not yet answered,
/// up to a cap. The figures are a policy choice of the bureau, not a standard, so they come from configuration.
public struct ObjectionPenalty: Sendable, Hashable, Codable {
    /// Points (of 100) taken off per open objection.
    public var perObjection: Double
    /// The most points open objections may take off together.
    public var cap: Double

    public init(perObjection: Double, cap: Double) {
        self.perObjection = perObjection
        self.cap = cap
    }

    /// The score with the deduction applied, never below zero; nil stays nil (an entry without a score gets
    /// none from objections alone).
    public func adjusted(score: Double?, openObjections: Int) -> Double? {
        guard let score else { return nil }
        return max(0, score - deduction(openObjections: openObjections))
    }

    public func deduction(openObjections: Int) -> Double {
        min(max(0, cap), max(0, perObjection) * Double(max(0, openObjections)))
    }
}
