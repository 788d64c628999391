import Foundation

/// 信息项 (domain.md §1.4): one column of a resource.
public struct InfoItem: Sendable, Hashable, Codable {
    /// 信息项名称, e.g. 身份证号码.
    public var name: String
    /// The column name used in pool tables, files and the gateway, e.g. `sfzhm`.
    public var columnName: String
    public var dataType: DataType
    public var length: Int?
    public var isKey: Bool
    public var isRequired: Bool
    /// Item-level 共享属性: the same as the entry's or stricter.
    public var shareType: ShareType
    public var grade: SecurityGrade
    public var semanticKind: SemanticKind
    /// 标准数据元 reference, e.g. `DE00001`.
    public var standardElement: String?
    public var note: String?
    /// The negative-list row that justifies `shareType == .notShared`.
    public var negativeListID: Int64?
    /// The id of the code set (代码集) the item's values come from, e.g. `GB/T 2261.1-2003`. Absent from entries
    /// saved before code sets existed, which therefore still decode.
    public var codeSet: String?

    public init(
        name: String, columnName: String, dataType: DataType, length: Int? = nil, isKey: Bool = false,
        isRequired: Bool = false, shareType: ShareType = .conditional, grade: SecurityGrade = .general2,
        semanticKind: SemanticKind = .other, standardElement: String? = nil, note: String? = nil,
        negativeListID: Int64? = nil, codeSet: String? = nil
    ) {
        self.name = name
        self.columnName = columnName
        self.dataType = dataType
        self.length = length
        self.isKey = isKey
        self.isRequired = isRequired
        self.shareType = shareType
        self.grade = grade
        self.semanticKind = semanticKind
        self.standardElement = standardElement
        self.note = note
        self.negativeListID = negativeListID
        self.codeSet = codeSet
    }
}

/// One entry of 信息资源格式: a category and a concrete type, e.g. 电子表格 / XLSX.
public struct ResourceFormat: Sendable, Hashable, Codable {
    public var category: FormatCategory
    public var type: String

    public init(category: FormatCategory, type: String) {
        self.category = category
        self.type = type
    }
}

/// 联系人 of an entry.
public struct ContactPoint: Sendable, Hashable, Codable {
    public var name: String
    public var phone: String?
    public var email: String?

    public init(name: String, phone: String? = nil, email: String? = nil) {
        self.name = name
        self.phone = phone
        self.email = email
    }
}

/// 挂接资源: where the entry's data can be read.
public struct MountedResource: Sendable, Hashable, Codable {
    public var kind: MountKind
    /// A pool table name, an upstream API URL or a file name.
    public var locator: String

    public init(kind: MountKind, locator: String) {
        self.kind = kind
        self.locator = locator
    }
}

/// Everything a provider writes about a resource: the 编制指南 fields that are not assigned by the platform.
/// Versions of an entry are snapshots of this.
public struct CatalogEntryContent: Sendable, Hashable, Codable {
    /// 信息资源分类: a 编制指南 classification code of level 目 or deeper, e.g. `101001`.
    public var classificationCode: String
    public var name: String
    public var abstract: String
    public var formats: [ResourceFormat]
    public var items: [InfoItem]
    public var shareType: ShareType
    /// 共享条件 (conditional), 使用要求 (unconditional) or 相关依据 (not shared).
    public var shareCondition: String
    public var shareChannel: ShareChannel
    public var shareChannelNote: String
    public var openness: Openness
    public var openCondition: String
    public var updateCycle: UpdateCycle
    public var relatedCodes: [String]
    public var keywords: [String]
    /// 安全级别: never lower than the highest item grade (就高从严).
    public var grade: SecurityGrade
    public var contact: ContactPoint?
    /// The information system the data comes from.
    public var sourceSystemID: Int64?
    /// The negative-list row that justifies `shareType == .notShared`.
    public var negativeListID: Int64?

    public init(
        classificationCode: String, name: String, abstract: String, formats: [ResourceFormat], items: [InfoItem],
        shareType: ShareType, shareCondition: String = "", shareChannel: ShareChannel = .interface,
        shareChannelNote: String = "", openness: Openness = .closed, openCondition: String = "",
        updateCycle: UpdateCycle, relatedCodes: [String] = [], keywords: [String] = [],
        grade: SecurityGrade = .general1, contact: ContactPoint? = nil, sourceSystemID: Int64? = nil,
        negativeListID: Int64? = nil
    ) {
        self.classificationCode = classificationCode
        self.name = name
        self.abstract = abstract
        self.formats = formats
        self.items = items
        self.shareType = shareType
        self.shareCondition = shareCondition
        self.shareChannel = shareChannel
        self.shareChannelNote = shareChannelNote
        self.openness = openness
        self.openCondition = openCondition
        self.updateCycle = updateCycle
        self.relatedCodes = relatedCodes
        self.keywords = keywords
        self.grade = grade
        self.contact = contact
        self.sourceSystemID = sourceSystemID
        self.negativeListID = negativeListID
    }

    /// The key items, in order; ingest and the gateway look rows up by them.
    public var keyItems: [InfoItem] { items.filter(\.isKey) }

    /// Every negative-list row this content cites, with the field that cites it.
    public var negativeListCitations: [(field: String, id: Int64)] {
        var citations: [(String, Int64)] = []
        if let negativeListID { citations.append(("negativeListID", negativeListID)) }
        for (index, item) in items.enumerated() {
            if let id = item.negativeListID { citations.append(("items[\(index)].negativeListID", id)) }
        }
        return citations
    }
}

/// The department that provides an entry, as shown with it (信息资源提供方 and its codes).
public struct EntryProvider: Sendable, Hashable, Codable {
    public var departmentID: Int64
    public var name: String
    /// 信息资源提供方代码.
    public var code: String
    public var creditCode: String?
    public var regionCode: String

    public init(departmentID: Int64, name: String, code: String, creditCode: String?, regionCode: String) {
        self.departmentID = departmentID
        self.name = name
        self.code = code
        self.creditCode = creditCode
        self.regionCode = regionCode
    }
}

/// A catalog entry (政务信息资源目录条目): the provider's content plus what the platform assigns and tracks.
public struct CatalogEntry: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var code: ResourceCode
    public var provider: EntryProvider
    public var status: EntryStatus
    /// 版本号: 1 until the entry is first published; every later change of a published entry adds one.
    public var version: Int
    public var content: CatalogEntryContent
    /// 发布日期, the day the entry was first published.
    public var publishedOn: CalendarDate?
    /// 数据量/记录数 of the mounted resource.
    public var recordCount: Int64?
    /// 最近更新时间 of the data (not of the metadata).
    public var dataUpdatedAt: Date?
    public var mount: MountedResource?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64, code: ResourceCode, provider: EntryProvider, status: EntryStatus, version: Int,
        content: CatalogEntryContent, publishedOn: CalendarDate?, recordCount: Int64?, dataUpdatedAt: Date?,
        mount: MountedResource?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.code = code
        self.provider = provider
        self.status = status
        self.version = version
        self.content = content
        self.publishedOn = publishedOn
        self.recordCount = recordCount
        self.dataUpdatedAt = dataUpdatedAt
        self.mount = mount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether the public may see the entry (portal, DCAT, CKAN API).
    public var isOpenToPublic: Bool { status == .published && content.openness.isPublic }
}
