import Foundation

/// A closed set of values that people see by their Chinese or English name and machines by a stable raw value.
///
/// Spreadsheets written by bureaus name values in Chinese (`有条件共享`), clients of the API use the raw value
/// (`conditional`); `parse` accepts all three spellings so imports and API calls agree.
public protocol LabeledValue: CaseIterable, RawRepresentable, Codable, Sendable, Hashable
where RawValue == String, AllCases: Sendable {
    var label: BilingualText { get }
}

extension LabeledValue {
    /// The value whose raw value, Chinese or English label equals `text` (ignoring case and surrounding space).
    public static func parse(_ text: String) -> Self? {
        let wanted = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if wanted.isEmpty { return nil }
        let lowered = wanted.lowercased()
        return allCases.first {
            $0.rawValue.lowercased() == lowered || $0.label.zh == wanted || $0.label.en.lowercased() == lowered
        }
    }

    /// Every accepted value, for error messages: `无条件共享 (unconditional)、…`.
    public static var choices: BilingualText {
        BilingualText(
            zh: allCases.map { "\($0.label.zh)（\($0.rawValue)）" }.joined(separator: "、"),
            en: allCases.map { "\($0.label.en) (\($0.rawValue))" }.joined(separator: ", "))
    }
}

/// 共享属性.共享类型 (domain.md §1.3 #9).
public enum ShareType: String, LabeledValue {
    case unconditional
    case conditional
    case notShared

    public var label: BilingualText {
        switch self {
        case .unconditional: BilingualText(zh: "无条件共享", en: "unconditional sharing")
        case .conditional: BilingualText(zh: "有条件共享", en: "conditional sharing")
        case .notShared: BilingualText(zh: "不予共享", en: "not shared")
        }
    }
}

/// 开放属性 (domain.md §1.3 #12 and §7.2).
public enum Openness: String, LabeledValue {
    case unconditional
    case conditional
    case closed

    public var label: BilingualText {
        switch self {
        case .unconditional: BilingualText(zh: "无条件开放", en: "open")
        case .conditional: BilingualText(zh: "有条件开放", en: "open on conditions")
        case .closed: BilingualText(zh: "不予开放", en: "not open")
        }
    }

    /// Whether entries with this openness appear on the public portal and its DCAT/CKAN endpoints.
    public var isPublic: Bool { self != .closed }
}

/// 更新周期 (domain.md §1.3 #13); 不定期 is the platform's extension.
public enum UpdateCycle: String, LabeledValue {
    case realtime
    case daily
    case weekly
    case monthly
    case quarterly
    case halfYearly
    case yearly
    case irregular

    public var label: BilingualText {
        switch self {
        case .realtime: BilingualText(zh: "实时", en: "real time")
        case .daily: BilingualText(zh: "每日", en: "daily")
        case .weekly: BilingualText(zh: "每周", en: "weekly")
        case .monthly: BilingualText(zh: "每月", en: "monthly")
        case .quarterly: BilingualText(zh: "每季度", en: "quarterly")
        case .halfYearly: BilingualText(zh: "每半年", en: "half-yearly")
        case .yearly: BilingualText(zh: "每年", en: "yearly")
        case .irregular: BilingualText(zh: "不定期", en: "irregular")
        }
    }

    /// The longest a resource may go without an update before it counts as stale; nil when there is no promise.
    public var expectedIntervalDays: Int? {
        switch self {
        case .realtime, .daily: 1
        case .weekly: 7
        case .monthly: 31
        case .quarterly: 92
        case .halfYearly: 183
        case .yearly: 366
        case .irregular: nil
        }
    }
}

/// 数据类型 of an InfoItem, with the VFP-style one-letter codes used by 编制指南 spreadsheets (domain.md §1.4).
public enum DataType: String, LabeledValue {
    case character = "C"
    case numeric = "N"
    case currency = "Y"
    case date = "D"
    case dateTime = "T"
    case logical = "L"
    case memo = "M"
    case general = "G"
    case double = "B"
    case integer = "I"
    case float = "F"

    public var label: BilingualText {
        switch self {
        case .character: BilingualText(zh: "字符型", en: "character")
        case .numeric: BilingualText(zh: "数值型", en: "numeric")
        case .currency: BilingualText(zh: "货币型", en: "currency")
        case .date: BilingualText(zh: "日期型", en: "date")
        case .dateTime: BilingualText(zh: "日期时间型", en: "date-time")
        case .logical: BilingualText(zh: "逻辑型", en: "logical")
        case .memo: BilingualText(zh: "备注型", en: "memo")
        case .general: BilingualText(zh: "通用型", en: "general")
        case .double: BilingualText(zh: "双精度型", en: "double")
        case .integer: BilingualText(zh: "整型", en: "integer")
        case .float: BilingualText(zh: "浮点型", en: "float")
        }
    }
}

/// What an InfoItem's values are, beyond their storage type; drives validation on ingest and default masking.
public enum SemanticKind: String, LabeledValue {
    /// Whether a value of this kind is a number or handle that singles out one person or reaches them directly (an
    /// ID number, a phone number, a bank card, an e-mail address, a plate): what `GradeEncryption.byKind` encrypts.
    /// Names and addresses are masked, not encrypted, unless a grade's rule encrypts every column.
    public var isPersonalIdentifier: Bool {
        switch self {
        case .residentID, .mobilePhone, .landline, .bankCard, .email, .licensePlate: true
        case .personName, .address, .creditCode, .regionCode, .other: false
        }
    }

    case residentID
    case creditCode
    case regionCode
    case mobilePhone
    case landline
    case personName
    case address
    case bankCard
    case email
    case licensePlate
    case other

    public var label: BilingualText {
        switch self {
        case .residentID: BilingualText(zh: "身份证号", en: "resident ID number")
        case .creditCode: BilingualText(zh: "统一社会信用代码", en: "unified social credit code")
        case .regionCode: BilingualText(zh: "行政区划代码", en: "region code")
        case .mobilePhone: BilingualText(zh: "手机号", en: "mobile phone")
        case .landline: BilingualText(zh: "固定电话", en: "landline phone")
        case .personName: BilingualText(zh: "姓名", en: "person name")
        case .address: BilingualText(zh: "地址", en: "address")
        case .bankCard: BilingualText(zh: "银行卡", en: "bank card")
        case .email: BilingualText(zh: "邮箱", en: "e-mail")
        case .licensePlate: BilingualText(zh: "车牌", en: "licence plate")
        case .other: BilingualText(zh: "其他", en: "other")
        }
    }
}

/// 安全级别 per GB/T 43697-2024: 核心 > 重要 > 一般, with 一般数据 in four sub-levels (domain.md §4.1).
public enum SecurityGrade: String, LabeledValue, Comparable {
    case general1
    case general2
    case general3
    case general4
    case important
    case core

    public var label: BilingualText {
        switch self {
        case .general1: BilingualText(zh: "一般数据1级", en: "general, level 1")
        case .general2: BilingualText(zh: "一般数据2级", en: "general, level 2")
        case .general3: BilingualText(zh: "一般数据3级", en: "general, level 3")
        case .general4: BilingualText(zh: "一般数据4级", en: "general, level 4")
        case .important: BilingualText(zh: "重要数据", en: "important data")
        case .core: BilingualText(zh: "核心数据", en: "core data")
        }
    }

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (lhs: SecurityGrade, rhs: SecurityGrade) -> Bool { lhs.rank < rhs.rank }
}

/// 目录状态: the lifecycle of a catalog entry.
public enum EntryStatus: String, LabeledValue {
    case draft
    case submitted
    case returned
    case published
    case offline

    public var label: BilingualText {
        switch self {
        case .draft: BilingualText(zh: "草稿", en: "draft")
        case .submitted: BilingualText(zh: "待审核", en: "awaiting review")
        case .returned: BilingualText(zh: "已退回", en: "returned")
        case .published: BilingualText(zh: "已发布", en: "published")
        case .offline: BilingualText(zh: "已下架", en: "withdrawn")
        }
    }

    /// Whether the provider may change the entry's content in this state without a new version.
    public var isEditableDraft: Bool { self == .draft || self == .returned }
}

/// 共享方式 (domain.md §1.3 #11): through the platform (by table, interface or file) or by other means.
public enum ShareChannel: String, LabeledValue {
    case database
    case interface
    case file
    case otherMeans

    public var label: BilingualText {
        switch self {
        case .database: BilingualText(zh: "共享平台/库表", en: "platform: database table")
        case .interface: BilingualText(zh: "共享平台/接口", en: "platform: API")
        case .file: BilingualText(zh: "共享平台/文件", en: "platform: file")
        case .otherMeans: BilingualText(zh: "其他方式", en: "other means")
        }
    }
}

/// 信息资源格式 category (domain.md §1.3 #7).
public enum FormatCategory: String, LabeledValue {
    case document
    case spreadsheet
    case database
    case image
    case media
    case selfDescribing

    public var label: BilingualText {
        switch self {
        case .document: BilingualText(zh: "电子文件", en: "document")
        case .spreadsheet: BilingualText(zh: "电子表格", en: "spreadsheet")
        case .database: BilingualText(zh: "数据库", en: "database")
        case .image: BilingualText(zh: "图形图像", en: "image")
        case .media: BilingualText(zh: "流媒体", en: "streaming media")
        case .selfDescribing: BilingualText(zh: "自描述格式", en: "self-describing")
        }
    }
}

/// How a catalog entry's data is mounted (挂接资源): a pool table on this platform, a provider-hosted API, or a file.
public enum MountKind: String, LabeledValue {
    case table
    case api
    case file

    public var label: BilingualText {
        switch self {
        case .table: BilingualText(zh: "库表", en: "table")
        case .api: BilingualText(zh: "接口", en: "API")
        case .file: BilingualText(zh: "文件", en: "file")
        }
    }
}
