import Foundation
import HuitongCore
import HuitongServices

/// Every public address the open-data metadata points at, in one place.
///
/// The portal (`PortalPages`) serves the dataset pages, downloads and licence page at these addresses; DCAT and CKAN
/// clients store them, so the scheme is decided here once and only changed here.
struct OpenDataLinks: Sendable {
    /// The node's public base, without a trailing slash (`ServerConfiguration.baseURL`).
    let base: String

    var home: String { "\(base)/" }
    /// The IRI of the one `dcat:Catalog`; `/catalog.ttl` and `/catalog.jsonld` both describe it.
    var catalog: String { "\(base)/catalog" }
    var catalogTurtle: String { "\(base)/catalog.ttl" }
    var catalogJSONLD: String { "\(base)/catalog.jsonld" }

    /// The portal page of an entry: DCAT's landing page, CKAN's `url`, and where conditional access is applied for.
    func landingPage(_ entryID: Int64) -> String { "\(base)/datasets/\(entryID)" }
    /// The IRI of the `dcat:Dataset` (the thing, apart from its page).
    func dataset(_ entryID: Int64) -> String { "\(landingPage(entryID))#dataset" }
    func distribution(_ entryID: Int64, _ kind: OpenDistributionKind) -> String {
        "\(landingPage(entryID))#\(kind.rawValue)"
    }
    /// The bulk download of an entry's data in one format.
    func download(_ entryID: Int64, _ format: OpenDownloadFormat) -> String {
        "\(landingPage(entryID))/download.\(format.fileExtension)"
    }

    /// The open-data API's rows of an entry, read with a developer's key.
    func openRows(_ entryID: Int64) -> String { "\(base)/api/v1/open/datasets/\(entryID)/rows" }

    func licence(_ licence: OpenLicence) -> String { "\(base)/licence\(licence.fragment)" }

    func ckanAction(_ name: String) -> String { "\(base)/api/3/action/\(name)" }
    /// CKAN's `help` member: where the action's documentation is.
    func ckanHelp(_ action: String) -> String {
        let name = action.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? action
        return "\(ckanAction("help_show"))?name=\(name)"
    }
}

/// The formats every open entry is downloadable in (the portal converts the mounted data on the way out).
enum OpenDownloadFormat: String, Sendable, CaseIterable {
    case csv
    case json

    var fileExtension: String { rawValue }
    /// The name CKAN shows and filters on (`res_format:CSV`).
    var label: String { rawValue.uppercased() }
    var mediaType: String {
        switch self {
        case .csv: "text/csv"
        case .json: "application/json"
        }
    }
    /// The EU file-type authority entry, which DCAT-AP harvesters expect in `dct:format`.
    var fileType: String { "http://publications.europa.eu/resource/authority/file-type/\(label)" }
}

/// The distributions an open entry has: one per download format, and for conditionally open entries one more
/// that only leads to the page where access is applied for.
enum OpenDistributionKind: String, Sendable {
    case csv
    case json
    case access

    static func kinds(for openness: Openness) -> [OpenDistributionKind] {
        openness == .conditional ? [.csv, .json, .access] : [.csv, .json]
    }

    var downloadFormat: OpenDownloadFormat? {
        switch self {
        case .csv: .csv
        case .json: .json
        case .access: nil
        }
    }
}

/// The licence an open entry is published under: the node's open-data licence for unconditionally open entries,
/// and its data-use agreement for conditionally open ones (domain.md §7.2: 签署数据利用协议).
struct OpenLicence: Sendable, Hashable {
    let id: String
    let title: String
    /// Appended to the licence page's address; both texts live on one page.
    let fragment: String
    /// Whether anyone may reuse the data without asking (CKAN's `isopen`).
    let isOpen: Bool

    static let open = OpenLicence(
        id: "huitong-open", title: "Huitong 开放数据授权协议 (Huitong Open Data Licence)", fragment: "", isOpen: true)
    static let conditional = OpenLicence(
        id: "huitong-conditional", title: "Huitong 有条件开放数据利用协议 (Huitong conditional data-use agreement)",
        fragment: "#conditional", isOpen: false)

    init(id: String, title: String, fragment: String, isOpen: Bool) {
        self.id = id
        self.title = title
        self.fragment = fragment
        self.isOpen = isOpen
    }

    init(_ openness: Openness) {
        self = openness == .unconditional ? .open : .conditional
    }
}
