import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The licence pages: `/licences/verify` for anyone (an identifier typed in, or the link a licence's QR code
/// opens), and `/licences/{identifier}/print`, the printable licence with its seal and the QR code of its
/// verification, for its issuer.
struct LicencePages {
    let service: LicenceUseCases
    let pages: PageRenderer
    /// Shared with the verification API: one allowance per address.
    let limiter: PublicRequestLimiter
    /// Where the QR code on a printed licence points.
    let baseURL: String

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/licences/verify", use: verify)
        router.get("/licences/:identifier/print", use: print)
    }

    func verify(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let language = context.language
        let text = request.uri.queryParameters["identifier"].map { String($0).trimmingCharacters(in: .whitespaces) }
        var page = LicenceVerifyPage(identifier: text ?? "")
        if let token = request.uri.queryParameters["token"].map(String.init) {
            // A 亮证 code: the licence's identifier stays off the page, as the holder showed only the code.
            guard limiter.take(context.peerAddress ?? "unknown") else {
                page.problem = LicenceVerificationLimitError(window: limiter.window).message.text(language)
                return pages.render(.licenceVerify, page, context: context, status: .tooManyRequests)
            }
            do {
                var verification = try await service.verify(token: token)
                verification.identifier = nil
                page.result = LicenceVerifyPage.Result(verification, language: language)
            } catch let error as LicenceShowTokenError {
                page.problem = error.message.text(language)
                return pages.render(.licenceVerify, page, context: context, status: .badRequest)
            }
            var response = pages.render(.licenceVerify, page, context: context)
            response.headers[.cacheControl] = "no-store"
            return response
        }
        guard let text, !text.isEmpty else { return pages.render(.licenceVerify, page, context: context) }
        guard limiter.take(context.peerAddress ?? "unknown") else {
            page.problem = LicenceVerificationLimitError(window: limiter.window).message.text(language)
            return pages.render(.licenceVerify, page, context: context, status: .tooManyRequests)
        }
        let identifier: LicenceIdentifier
        do throws(IdentifierError) { identifier = try LicenceIdentifier(text) } catch {
            page.problem = error.message.text(language)
            return pages.render(.licenceVerify, page, context: context, status: .badRequest)
        }
        do {
            page.result = LicenceVerifyPage.Result(try await service.seals.verify(identifier), language: language)
        } catch let error as StoreError {
            guard case .notFound = error else { throw error }
            page.problem = BilingualText(
                zh: "证照库中没有标识为 \(identifier.text) 的证照", en: "the library holds no licence \(identifier.text)"
            ).text(language)
            return pages.render(.licenceVerify, page, context: context, status: .notFound)
        }
        var response = pages.render(.licenceVerify, page, context: context)
        // Status is live: a revoked licence must not be shown valid from a cache.
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func print(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        guard let user = context.principal?.user else {
            return .redirect(to: "/login?next=\(request.uri.path)", type: .normal)
        }
        let identifier = try LicencesAPI.identifier(context)
        let sealed = try await service.sealedPackage(identifier, readBy: user)
        let licence = sealed.licence
        let link = "\(baseURL)/licences/verify?identifier=\(identifier.text)"
        guard let qr = QRCode(link) else {
            throw StoreError.unavailable("the verification link is too long for a QR code")
        }
        let language = context.language
        let status = licence.status(on: CalendarDate.today())
        let page = LicencePrintPage(
            typeName: sealed.type.name, identifier: identifier.text, holderName: licence.holder.name,
            holderCode: licence.holder.code,
            face: sealed.type.fields.compactMap { field in
                licence.face[field.key].map { LicencePrintPage.Line(label: field.label, value: $0) }
            },
            issuedOn: licence.issuedOn.description,
            validUntil: licence.validUntil?.description ?? pages.text("licence_permanent", language),
            issuerName: sealed.issuerName, status: status.label.text(language), isValid: status == .valid,
            sealImage: sealed.seal.image,
            qrCode: qr.svg(size: 160, label: pages.text("licence_print_scan", language)), verifyLink: link,
            sealSerial: sealed.package.sealSerial)
        var response = pages.render(.licencePrint, page, context: context)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

struct LicenceVerifyPage: PageModel {
    var identifier: String
    var problem: String?
    var result: Result?

    struct Result: Sendable {
        var valid: Bool
        var checks: [Check]
        var typeName: String?
        var issuerName: String?
        var holderName: String?
        var issuedOn: String?
        var validUntil: String?
        var status: String?
        var face: [LicenceVerification.Line]

        struct Check: Sendable {
            var kind: String
            var passed: Bool
            var message: String
        }

        init(_ verification: LicenceVerification, language: Language) {
            valid = verification.isValid
            checks = verification.checks.map {
                Check(kind: $0.kind.rawValue, passed: $0.passed, message: $0.message.text(language))
            }
            typeName = verification.typeName
            issuerName = verification.issuerName
            holderName = verification.holderName
            issuedOn = verification.issuedOn
            validUntil = verification.validUntil
            status = verification.status?.label.text(language)
            face = verification.face
        }
    }
}

struct LicencePrintPage: PageModel {
    var typeName: String
    var identifier: String
    var holderName: String
    var holderCode: String
    var face: [Line]
    var issuedOn: String
    var validUntil: String
    var issuerName: String
    var status: String
    var isValid: Bool
    /// SVG made by the node (`SealImage`, `QRCode`): names in it are escaped.
    var sealImage: String
    var qrCode: String
    var verifyLink: String
    var sealSerial: String

    struct Line: Sendable {
        var label: String
        var value: String
    }
}
