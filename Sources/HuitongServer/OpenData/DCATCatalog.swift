import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird
import NIOCore

/// The open catalog in W3C DCAT 3 (with the EU authority vocabularies DCAT-AP harvesters expect), as Turtle at
/// `/catalog.ttl` and JSON-LD at `/catalog.jsonld`: one `dcat:Catalog` and one `dcat:Dataset` per open entry.
struct DCATCatalog: Sendable {
    let catalog: OpenCatalog
    let links: OpenDataLinks

    enum Syntax: Sendable {
        case turtle
        case jsonLD

        var contentType: String {
            switch self {
            case .turtle: "text/turtle; charset=utf-8"
            case .jsonLD: "application/ld+json"
            }
        }
    }

    /// The whole catalog, streamed one search page at a time so that a catalog of thousands of entries never sits
    /// in memory as one document.
    func response(_ syntax: Syntax) async throws -> Response {
        // Read before the first byte goes out, so that a failing database still answers with an error status.
        let publisher = try await catalog.publisher()
        let classificationNames = try await catalog.classificationNames()
        let header = catalogNode(publisher: publisher)
        let body = ResponseBody { writer in
            switch syntax {
            case .turtle:
                try await writer.write(ByteBuffer(string: TurtleWriter.prologue + TurtleWriter.block(header)))
                try await catalog.forEachPage { entries in
                    let datasets = entries.map { dataset($0, classificationNames: classificationNames) }
                    var text = TurtleWriter.statement(
                        subject: links.catalog, predicate: "dcat:dataset",
                        objects: datasets.map { .iri($0.iri ?? "") })
                    for dataset in datasets { text += TurtleWriter.block(dataset) }
                    try await writer.write(ByteBuffer(string: text))
                }
            case .jsonLD:
                // The catalog node is written without its closing brace; the datasets follow, nested in its
                // `dcat:dataset` array, as they are read.
                var opening = JSONLDWriter.node(header).withContext().serialized
                opening.removeLast()
                try await writer.write(ByteBuffer(string: opening + ",\"dcat:dataset\":["))
                var isFirst = true
                try await catalog.forEachPage { entries in
                    var text = ""
                    for entry in entries {
                        if !isFirst { text += "," }
                        isFirst = false
                        JSONLDWriter.node(dataset(entry, classificationNames: classificationNames)).write(to: &text)
                    }
                    try await writer.write(ByteBuffer(string: text))
                }
                try await writer.write(ByteBuffer(string: "]}"))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: syntax.contentType], body: body)
    }

    // MARK: Mapping

    static let chineseLanguage = "http://publications.europa.eu/resource/authority/language/ZHO"

    func catalogNode(publisher: Department?) -> RDFResource {
        var node = RDFResource(iri: links.catalog, types: ["dcat:Catalog"])
        node.add("dct:title", [.chinese(OpenCatalog.title.zh), .text(OpenCatalog.title.en, language: "en")])
        node.add("dct:description", [.chinese(OpenCatalog.summary.zh), .text(OpenCatalog.summary.en, language: "en")])
        if let publisher {
            node.add(
                "dct:publisher",
                .resource(Self.agent(name: publisher.name, identifier: publisher.creditCode ?? publisher.code)))
        }
        node.add("foaf:homepage", .iri(links.home))
        node.add("dct:language", .iri(Self.chineseLanguage))
        return node
    }

    func dataset(_ entry: CatalogEntry, classificationNames: [String: String]) -> RDFResource {
        let content = entry.content
        var node = RDFResource(iri: links.dataset(entry.id), types: ["dcat:Dataset"])
        node.add("dct:identifier", .text(entry.code.text, language: nil))
        node.add("dct:title", .chinese(content.name))
        node.add("dct:description", .chinese(ifPresent: content.abstract))
        node.add(
            "dct:publisher",
            .resource(
                Self.agent(name: entry.provider.name, identifier: entry.provider.creditCode ?? entry.provider.code))
        )
        node.add("dcat:keyword", content.keywords.compactMap { RDFObject.chinese(ifPresent: $0) })
        node.add("dcat:theme", .resource(Self.concept(content.classificationCode, classificationNames)))
        node.add("dct:issued", entry.publishedOn.map { .typed($0.description, datatype: "xsd:date") })
        node.add("dct:modified", .typed(Self.dateTime(entry.lastModified), datatype: "xsd:dateTime"))
        node.add("dct:accrualPeriodicity", .iri(Self.frequency(content.updateCycle)))
        node.add("dct:accessRights", .iri(Self.accessRights(content.openness)))
        node.add("dct:language", .iri(Self.chineseLanguage))
        node.add("dcat:version", .text(String(entry.version), language: nil))
        node.add("dcat:contactPoint", content.contact.flatMap(Self.contactPoint).map(RDFObject.resource))
        node.add("dcat:landingPage", .iri(links.landingPage(entry.id)))
        node.add(
            "dcat:distribution",
            OpenDistributionKind.kinds(for: content.openness).map { .resource(distribution($0, of: entry)) })
        return node
    }

    func distribution(_ kind: OpenDistributionKind, of entry: CatalogEntry) -> RDFResource {
        let openness = entry.content.openness
        var node = RDFResource(iri: links.distribution(entry.id, kind), types: ["dcat:Distribution"])
        if let format = kind.downloadFormat {
            node.add("dct:title", .chinese("\(entry.content.name)（\(format.label)）"))
            node.add("dcat:accessURL", .iri(links.landingPage(entry.id)))
            node.add("dcat:downloadURL", .iri(links.download(entry.id, format)))
            node.add("dcat:mediaType", .iri("http://www.iana.org/assignments/media-types/\(format.mediaType)"))
            node.add("dct:format", .iri(format.fileType))
        } else {
            node.add("dct:title", [.chinese("申请使用"), .text("Apply for access", language: "en")])
            var description = "有条件开放，须在数据页面提交申请，获准后使用。"
            if !entry.content.openCondition.isEmpty { description += "开放条件：\(entry.content.openCondition)" }
            node.add("dct:description", .chinese(description))
            node.add("dcat:accessURL", .iri(links.landingPage(entry.id)))
        }
        node.add("dct:license", .iri(links.licence(OpenLicence(openness))))
        node.add("dct:accessRights", .iri(Self.accessRights(openness)))
        return node
    }

    static func agent(name: String, identifier: String) -> RDFResource {
        var agent = RDFResource(types: ["foaf:Agent", "foaf:Organization"])
        agent.add("foaf:name", .chinese(name))
        agent.add("dct:identifier", .text(identifier, language: nil))
        return agent
    }

    /// The entry's 编制指南 classification (信息资源分类) as a SKOS concept.
    static func concept(_ code: String, _ names: [String: String]) -> RDFResource {
        var concept = RDFResource(types: ["skos:Concept"])
        concept.add("skos:notation", .text(code, language: nil))
        concept.add("skos:prefLabel", RDFObject.chinese(ifPresent: names[code]))
        return concept
    }

    /// A vCard for 联系人; e-mail and telephone only when they can be written as valid IRIs.
    static func contactPoint(_ contact: ContactPoint) -> RDFResource? {
        let name = contact.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { return nil }
        var card = RDFResource(types: ["vcard:Kind"])
        card.add("vcard:fn", .chinese(name))
        if let email = contact.email?.trimmingCharacters(in: .whitespaces), email.contains("@"),
            !email.contains(where: { $0.isWhitespace || "<>\"".contains($0) })
        {
            card.add("vcard:hasEmail", .iri("mailto:\(email)"))
        }
        let phone = (contact.phone ?? "").filter { $0.isASCII && ($0.isNumber || $0 == "+" || $0 == "-") }
        if phone.contains(where: \.isNumber) { card.add("vcard:hasTelephone", .iri("tel:\(phone)")) }
        return card
    }

    /// 更新周期 on the EU frequency authority table.
    static func frequency(_ cycle: UpdateCycle) -> String {
        let code =
            switch cycle {
            case .realtime: "UPDATE_CONT"
            case .daily: "DAILY"
            case .weekly: "WEEKLY"
            case .monthly: "MONTHLY"
            case .quarterly: "QUARTERLY"
            case .halfYearly: "ANNUAL_2"
            case .yearly: "ANNUAL"
            case .irregular: "IRREG"
            }
        return "http://publications.europa.eu/resource/authority/frequency/\(code)"
    }

    /// 无条件开放 is public; 有条件开放 is restricted (used after an application).
    static func accessRights(_ openness: Openness) -> String {
        let code = openness == .unconditional ? "PUBLIC" : "RESTRICTED"
        return "http://publications.europa.eu/resource/authority/access-right/\(code)"
    }

    static func dateTime(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

extension CatalogEntry {
    /// When the entry last changed, in its metadata or its data.
    var lastModified: Date { max(updatedAt, dataUpdatedAt ?? updatedAt) }
}

extension JSONValue {
    /// The node as a top-level JSON-LD document: its members preceded by the vocabulary context.
    func withContext() -> JSONValue {
        guard case .object(let members) = self else { return self }
        return .object([JSONMember("@context", JSONLDWriter.context)] + members)
    }
}
