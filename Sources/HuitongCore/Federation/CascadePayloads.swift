import Crypto
import Foundation

/// The department that provides a registered entry, as the owning node names it.
public struct RegisteredProvider: Sendable, Hashable, Codable {
    public var name: String
    public var code: String
    public var creditCode: String?
    public var regionCode: String

    public init(name: String, code: String, creditCode: String?, regionCode: String) {
        self.name = name
        self.code = code
        self.creditCode = creditCode
        self.regionCode = regionCode
    }
}

/// A published entry as it is registered upward (目录上报): its metadata and items, and the kind of resource
/// mounted behind it — never the mount's locator, which is an address inside the owning bureau's network.
public struct RegisteredEntry: Sendable, Hashable, Codable {
    public var code: String
    public var version: Int
    public var provider: RegisteredProvider
    public var content: CatalogEntryContent
    public var mountKind: MountKind?
    public var recordCount: Int64?
    public var dataUpdatedAt: Date?
    public var publishedOn: CalendarDate?

    public init(
        code: String, version: Int, provider: RegisteredProvider, content: CatalogEntryContent, mountKind: MountKind?,
        recordCount: Int64?, dataUpdatedAt: Date?, publishedOn: CalendarDate?
    ) {
        self.code = code
        self.version = version
        self.provider = provider
        self.content = content
        self.mountKind = mountKind
        self.recordCount = recordCount
        self.dataUpdatedAt = dataUpdatedAt
        self.publishedOn = publishedOn
    }

    /// The registration of a published entry. Ids that only mean something on the owning node (its information
    /// system, its negative-list rows) are dropped.
    public init(_ entry: CatalogEntry) {
        var content = entry.content
        content.sourceSystemID = nil
        content.negativeListID = nil
        content.items = content.items.map { item in
            var item = item
            item.negativeListID = nil
            return item
        }
        self.init(
            code: entry.code.text, version: entry.version,
            provider: RegisteredProvider(
                name: entry.provider.name, code: entry.provider.code, creditCode: entry.provider.creditCode,
                regionCode: entry.provider.regionCode),
            content: content, mountKind: entry.mount?.kind, recordCount: entry.recordCount,
            dataUpdatedAt: entry.dataUpdatedAt, publishedOn: entry.publishedOn)
    }
}

/// One catalog registration message: entries published or changed since the last one, and entries withdrawn.
public struct CatalogRegistration: Sendable, Hashable, Codable {
    /// Increases with every registration a node sends. Messages may arrive out of order (a retried one after a
    /// later one), so the parent applies a registration to an entry only when it is newer than the last applied.
    public var sequence: Int64
    public var entries: [RegisteredEntry]
    public var withdrawn: [String]

    public init(sequence: Int64, entries: [RegisteredEntry], withdrawn: [String]) {
        self.sequence = sequence
        self.entries = entries
        self.withdrawn = withdrawn
    }
}

/// What the parent did with one registered entry.
public enum RegistrationStatus: String, LabeledValue {
    case registered
    case withdrawn
    case rejected

    public var label: BilingualText {
        switch self {
        case .registered: BilingualText(zh: "已上报", en: "registered")
        case .withdrawn: BilingualText(zh: "已撤回", en: "withdrawn")
        case .rejected: BilingualText(zh: "上报被退回", en: "rejected")
        }
    }
}

/// The parent's code for a child's entry (code mapping, §8): kept by both sides so that either can name the
/// entry in the other's terms.
public struct CodeMapping: Sendable, Hashable, Codable {
    public var localCode: String
    public var upperCode: String
    public var version: Int
    public var status: RegistrationStatus
    public var reason: String?

    public init(localCode: String, upperCode: String, version: Int, status: RegistrationStatus, reason: String? = nil) {
        self.localCode = localCode
        self.upperCode = upperCode
        self.version = version
        self.status = status
        self.reason = reason
    }

    /// The parent's code for `localCode` registered by `origin`: the same classification path, and a sequence
    /// prefixed by the origin's region code. Codes from different children, and the parent's own (whose
    /// sequences are short), can then never collide, and the mapping is stable across re-registrations.
    public static func upperCode(for localCode: String, from origin: NodeRegion) throws(FederationError) -> String {
        let parsed: ResourceCode
        do {
            parsed = try NationalResourceCodeScheme().parse(localCode)
        } catch {
            throw .malformed(error.message)
        }
        return "\(parsed.classificationPath)/\(origin.code)\(parsed.sequence)"
    }
}

/// The parent's answer to a `CatalogRegistration`.
public struct CatalogAcknowledgement: Sendable, Hashable, Codable {
    public var mappings: [CodeMapping]

    public init(mappings: [CodeMapping]) {
        self.mappings = mappings
    }
}

/// One batch of records returned downward (回流): part `sequence` of one run, which the receiver applies in one
/// new pool version once it holds every part up to the last, so a run interrupted half-way changes nothing.
public struct ReflowBatch: Sendable, Hashable, Codable {
    /// The run this batch belongs to; one run sends one snapshot of the source, filtered to the receiver.
    public var runID: String
    /// The source entry's code on the sending node.
    public var sourceCode: String
    /// The source pool version the rows come from: the watermark, so the next run can skip an unchanged source.
    public var sourceVersion: Int
    public var regionColumn: String
    public var regionPrefix: String
    public var columns: [String]
    public var keyColumns: [String]
    public var sequence: Int
    /// Set on the run's final part; the sender streams the source and learns the count only at its end.
    public var isLast: Bool
    public var rows: [[String?]]

    public init(
        runID: String, sourceCode: String, sourceVersion: Int, regionColumn: String, regionPrefix: String,
        columns: [String], keyColumns: [String], sequence: Int, isLast: Bool, rows: [[String?]]
    ) {
        self.runID = runID
        self.sourceCode = sourceCode
        self.sourceVersion = sourceVersion
        self.regionColumn = regionColumn
        self.regionPrefix = regionPrefix
        self.columns = columns
        self.keyColumns = keyColumns
        self.sequence = sequence
        self.isLast = isLast
        self.rows = rows
    }

    /// Checks the batch is self-consistent before anything from it is stored.
    public func check() throws(FederationError) {
        func fail(_ zh: String, _ en: String) -> FederationError { .malformed(BilingualText(zh: zh, en: en)) }
        guard sequence >= 0 else {
            throw fail("回流批次序号 \(sequence) 无效", "reflow part number \(sequence) is invalid")
        }
        guard !columns.isEmpty, Set(columns).count == columns.count else {
            throw fail("回流批次的列为空或重复", "the reflow batch's columns are empty or repeated")
        }
        guard !keyColumns.isEmpty, keyColumns.allSatisfy(columns.contains), columns.contains(regionColumn) else {
            throw fail("回流批次的主键列或区划列不在列中", "the reflow batch's key or region column is not among its columns")
        }
        let regionIndex = columns.firstIndex(of: regionColumn)!
        for (offset, row) in rows.enumerated() {
            guard row.count == columns.count else {
                throw fail(
                    "回流批次第 \(offset + 1) 行有 \(row.count) 个值，应为 \(columns.count) 个",
                    "row \(offset + 1) of the reflow batch has \(row.count) values, expected \(columns.count)")
            }
            // The receiver holds only its own locality's records; a sender bug must not leak another's.
            guard let region = row[regionIndex], region.hasPrefix(regionPrefix) else {
                throw fail(
                    "回流批次第 \(offset + 1) 行不属于区划 \(regionPrefix)",
                    "row \(offset + 1) of the reflow batch lies outside region \(regionPrefix)")
            }
        }
    }
}

/// A node's running figures, reported upward (运行监测).
public struct MonitoringReport: Sendable, Hashable, Codable {
    public var node: NodeProfile
    public var generatedAt: Date
    public var publishedEntries: Int
    public var mountedResources: Int
    public var applications: Int
    public var approvedApplications: Int
    public var gatewayCalls: Int64
    /// The average quality score of the node's scored entries, if any are scored.
    public var averageQuality: Double?

    public init(
        node: NodeProfile, generatedAt: Date, publishedEntries: Int, mountedResources: Int, applications: Int,
        approvedApplications: Int, gatewayCalls: Int64, averageQuality: Double?
    ) {
        self.node = node
        self.generatedAt = generatedAt
        self.publishedEntries = publishedEntries
        self.mountedResources = mountedResources
        self.applications = applications
        self.approvedApplications = approvedApplications
        self.gatewayCalls = gatewayCalls
        self.averageQuality = averageQuality
    }
}

/// The department that applies, or calls, from another node: as its own node names it.
public struct RemoteConsumer: Sendable, Hashable, Codable {
    public var name: String
    public var code: String
    public var creditCode: String?
    public var regionCode: String

    public init(name: String, code: String, creditCode: String?, regionCode: String) {
        self.name = name
        self.code = code
        self.creditCode = creditCode
        self.regionCode = regionCode
    }

    /// The code the owning node files this department under: its node's region and its own code, so that
    /// departments of different nodes never share one (two counties both have a 民政局 coded MZJ).
    ///
    /// Department codes take 32 characters; a code too long to fit whole is shortened to its first characters and
    /// a digest of all of it, so that two long codes never share a stand-in.
    public func localCode(origin: NodeRegion) -> String {
        let whole = "N\(origin.code)-\(code)"
        if whole.count <= 32 { return whole }
        let digest = SHA256.hash(data: Array(code.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return "N\(origin.code)-\(code.prefix(15))-\(digest)"
    }
}

/// A consumer's application for an entry another node owns (跨层级申请, §8). The owner files it as an ordinary
/// application of a department standing for the consumer, reviewed by the entry's provider like any other.
public struct ApplicationSubmission: Sendable, Hashable, Codable {
    /// The applying node's id for the application; the owner's decision comes back under it.
    public var reference: String
    public var resourceCode: String
    public var consumer: RemoteConsumer
    public var applicantName: String
    /// What is asked, as a local application would ask it; its `entryID` and `systemIDs` mean nothing on the
    /// owning node, which finds the entry by `resourceCode` and names no systems (the consumer's node
    /// authenticates its own systems and answers for them).
    public var draft: ApplicationDraft

    public init(
        reference: String, resourceCode: String, consumer: RemoteConsumer, applicantName: String,
        draft: ApplicationDraft
    ) {
        self.reference = reference
        self.resourceCode = resourceCode
        self.consumer = consumer
        self.applicantName = applicantName
        self.draft = draft
    }
}

/// The terms of a grant made on another node, as the consumer's node shows them.
public struct RemoteGrantTerms: Sendable, Hashable, Codable {
    public var grantID: Int64
    public var items: [String]
    public var validFrom: CalendarDate
    public var validTo: CalendarDate
    public var rateLimit: Int
    public var dailyQuota: Int
    /// The region prefix rows are limited to, when the grant has a row filter.
    public var rowFilterPrefix: String?

    public init(
        grantID: Int64, items: [String], validFrom: CalendarDate, validTo: CalendarDate, rateLimit: Int,
        dailyQuota: Int, rowFilterPrefix: String?
    ) {
        self.grantID = grantID
        self.items = items
        self.validFrom = validFrom
        self.validTo = validTo
        self.rateLimit = rateLimit
        self.dailyQuota = dailyQuota
        self.rowFilterPrefix = rowFilterPrefix
    }
}

/// The owning node's decision on a routed application.
public struct ApplicationDecisionNotice: Sendable, Hashable, Codable {
    public var reference: String
    /// The application's number on the owning node, for people who talk to its provider.
    public var applicationNumber: String
    public var state: ApplicationState
    public var reason: String?
    public var grant: RemoteGrantTerms?

    public init(
        reference: String, applicationNumber: String, state: ApplicationState, reason: String?,
        grant: RemoteGrantTerms?
    ) {
        self.reference = reference
        self.applicationNumber = applicationNumber
        self.state = state
        self.reason = reason
        self.grant = grant
    }
}

/// A key lookup on an entry another node owns, forwarded by the caller's node.
public struct RemoteCall: Sendable, Hashable, Codable {
    public var resourceCode: String
    public var consumer: RemoteConsumer
    /// The calling application system, as its own node names it (for both nodes' audit logs).
    public var systemName: String
    /// Values of the entry's key items, one list per key looked up, each in key-item order.
    public var keys: [[String]]
    public var purpose: String?

    public init(resourceCode: String, consumer: RemoteConsumer, systemName: String, keys: [[String]], purpose: String?)
    {
        self.resourceCode = resourceCode
        self.consumer = consumer
        self.systemName = systemName
        self.keys = keys
        self.purpose = purpose
    }
}

/// The owning node's answer to a `RemoteCall`: the granted columns, masked as its grant says.
public struct RemoteCallResult: Sendable, Hashable, Codable {
    public var columns: [String]
    public var records: [[String?]]

    public init(columns: [String], records: [[String?]]) {
        self.columns = columns
        self.records = records
    }
}
