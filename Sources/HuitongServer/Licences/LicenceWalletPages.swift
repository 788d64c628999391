import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// 我的证照 in the portal, for an account the operator verified as a holder: the holder's licences, 亮证 as a
/// short-lived QR code, the uses of their licences (用证记录), and the consents they grant and revoke.
struct LicenceWalletPages {
    let service: LicenceUseCases
    let pages: PageRenderer
    let baseURL: String

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/portal/licences", use: wallet)
        router.post("/portal/licences/consents", use: grant)
        router.post("/portal/licences/consents/:id/revoke", use: revoke)
        router.get("/portal/licences/show", use: show)
    }

    private func signedIn(
        _ request: Request, _ context: HuitongRequestContext, _ build: (Developer) async throws -> Response
    ) async throws -> Response {
        guard let developer = context.developer else {
            return .redirect(to: "/portal/login?next=\(request.uri.path)", type: .normal)
        }
        var response = try await build(developer)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func wallet(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await signedIn(request, context) { developer in
            let done = request.uri.queryParameters["done"].map(String.init)
            return try await render(
                developer, context, notice: done.map { pages.text("wallet_done_\($0)", context.language) },
                message: nil, status: .ok)
        }
    }

    private func render(
        _ developer: Developer, _ context: HuitongRequestContext, notice: String?, message: String?,
        status: HTTPResponse.Status
    ) async throws -> Response {
        let language = context.language
        let wallet: LicenceWallet
        do { wallet = try await service.wallet(of: developer) } catch let error as LicenceHolderError {
            return pages.render(
                .portalLicences, PortalLicencesPage(message: error.message.text(language)), context: context,
                status: .forbidden)
        }
        let today = CalendarDate.today()
        let now = Date()
        var page = PortalLicencesPage(notice: notice, message: message)
        page.verified = PortalLicencesPage.Verified(
            licences: wallet.licences.map { licence in
                let status = licence.status(on: today)
                return PortalLicencesPage.LicenceRow(
                    identifier: licence.identifier.text,
                    typeName: wallet.typeNames[licence.typeCode] ?? licence.typeCode,
                    issuedOn: licence.issuedOn.description,
                    validUntil: licence.validUntil?.description ?? pages.text("licence_permanent", language),
                    status: status.label.text(language), valid: status == .valid)
            },
            uses: wallet.uses.map { use in
                PortalLicencesPage.UseRow(
                    at: PortalPages.dateTime(use.at), department: wallet.departmentNames[use.userDepartmentID] ?? "",
                    matter: use.matter, caseNumber: use.caseNumber,
                    outcome: pages.text(use.outcome == .allowed ? "wallet_use_allowed" : "wallet_use_refused", language)
                )
            },
            consents: wallet.consents.map { consent in
                PortalLicencesPage.ConsentRow(
                    id: consent.id, typeName: wallet.typeNames[consent.typeCode] ?? consent.typeCode,
                    grantee: wallet.departmentNames[consent.granteeDepartmentID] ?? "", matter: consent.matter,
                    scope: consent.scope.label.text(language),
                    expires: CalendarDate(consent.expiresAt.addingTimeInterval(-1)).description,
                    inForce: consent.isInForce(at: now))
            },
            types: wallet.typeNames.sorted { $0.key < $1.key }.map {
                OptionModel(value: $0.key, label: $0.value, selected: false)
            },
            departments: wallet.departmentNames.sorted { $0.value < $1.value }.map {
                OptionModel(value: String($0.key), label: $0.value, selected: false)
            },
            defaultExpiry: today.addingDays(30).description)
        return pages.render(.portalLicences, page, context: context, status: status)
    }

    func grant(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await signedIn(request, context) { developer in
            let form = try await PortalForm.developer(request, context: context)
            let consent = LicenceConsentRequest(
                typeCode: form["typeCode"], granteeDepartmentID: Int64(form["granteeDepartmentID"]) ?? 0,
                matter: form["matter"], scope: LicenceUseScope(rawValue: form["scope"]) ?? .face,
                expiresOn: form["expiresOn"])
            do {
                _ = try await service.grant(consent, by: developer)
            } catch let error as ValidationError {
                return try await render(
                    developer, context, notice: nil,
                    message: error.issues.map { $0.text.text(context.language) }.joined(separator: "；"),
                    status: .badRequest)
            }
            return .redirect(to: "/portal/licences?done=granted", type: .normal)
        }
    }

    func revoke(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await signedIn(request, context) { developer in
            _ = try await PortalForm.developer(request, context: context)
            guard let id = context.parameters.get("id").flatMap(Int64.init) else {
                throw StoreError.notFound(entity: "licence consent", key: context.parameters.get("id") ?? "")
            }
            _ = try await service.revokeConsent(id, by: developer)
            return .redirect(to: "/portal/licences?done=revoked", type: .normal)
        }
    }

    func show(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await signedIn(request, context) { developer in
            let text = request.uri.queryParameters["identifier"].map(String.init) ?? ""
            let identifier: LicenceIdentifier
            do throws(IdentifierError) { identifier = try LicenceIdentifier(text) } catch {
                throw ValidationError(field: "identifier", error.message)
            }
            let (token, expiresAt, _, type) = try await service.showToken(for: identifier, by: developer)
            let link = "\(baseURL)/licences/verify?token=\(token)"
            guard let qr = QRCode(link) else {
                throw StoreError.unavailable("the verification link is too long for a QR code")
            }
            let typeName = type.name
            return pages.render(
                .portalLicenceShow,
                PortalLicenceShowPage(
                    typeName: typeName,
                    qrCode: qr.svg(size: 240, label: pages.text("licence_print_scan", context.language)),
                    verifyLink: link, expires: PortalPages.dateTime(expiresAt)),
                context: context)
        }
    }
}

struct PortalLicencesPage: PageModel {
    var notice: String?
    var message: String?
    var verified: Verified?

    init(notice: String? = nil, message: String? = nil) {
        self.notice = notice
        self.message = message
    }

    struct Verified: Sendable {
        var licences: [LicenceRow]
        var uses: [UseRow]
        var consents: [ConsentRow]
        var types: [OptionModel]
        var departments: [OptionModel]
        var defaultExpiry: String
    }

    struct LicenceRow: Sendable {
        var identifier: String
        var typeName: String
        var issuedOn: String
        var validUntil: String
        var status: String
        var valid: Bool
    }

    struct UseRow: Sendable {
        var at: String
        var department: String
        var matter: String
        var caseNumber: String
        var outcome: String
    }

    struct ConsentRow: Sendable {
        var id: Int64
        var typeName: String
        var grantee: String
        var matter: String
        var scope: String
        var expires: String
        var inForce: Bool
    }
}

struct PortalLicenceShowPage: PageModel {
    var typeName: String
    /// SVG made by the node (`QRCode`).
    var qrCode: String
    var verifyLink: String
    var expires: String
}
