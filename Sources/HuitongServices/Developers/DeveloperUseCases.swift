import Crypto
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore
import Logging

extension AuditAction {
    /// A developer applied for conditionally open data.
    public static let openAccessRequested = AuditAction(rawValue: "open_access.requested")
    /// A provider answered such an application.
    public static let openAccessDecided = AuditAction(rawValue: "open_access.decided")
    /// A provider withdrew an approval before it ran out.
    public static let openAccessRevoked = AuditAction(rawValue: "open_access.revoked")
    /// A developer's key read rows through the open-data API. Counted with the gateway's calls.
    public static let gatewayOpenRows = AuditAction(rawValue: "gateway.open_rows")
    /// An approved developer downloaded conditionally open data from the portal.
    public static let openDownload = AuditAction(rawValue: "gateway.open_download")
}

/// Portal developers (开发者): real-name registration, sign-in, self-service API keys, and applications for
/// conditionally open data (有条件开放) with their provider's answer, published once answered.
public struct DeveloperUseCases: Sendable {
    public let store: Store
    public let settings: DeveloperSettings
    package let accounts: AccountUseCases
    /// What the public may see of the catalog; the portal, open-data API and DCAT/CKAN pages read it from here.
    package let openCatalog: OpenCatalog
    package let audit: AuditLog
    /// Digests registered ID numbers: keyed by the node key, so that the same person is recognised on every node of
    /// a cluster while a copy of the database alone cannot test guesses.
    package let identityDigests: IdentityDigests
    package let logger = Logger(label: "huitong.developers")

    /// `readStore`: where the open catalog is read from (a replica-backed store on a node with read replicas).
    public init(
        store: Store, settings: DeveloperSettings, accounts: AccountUseCases, audit: AuditTrail, readStore: Store? = nil
    ) {
        openCatalog = OpenCatalog(store: readStore ?? store)
        self.store = store
        self.settings = settings
        self.accounts = accounts
        self.audit = audit.log
        self.identityDigests = IdentityDigests(nodeKey: audit.nodeKey, suite: audit.suite)
    }

    // MARK: Accounts

    /// Registers a developer; the ID number is checked and dropped, only its hint is kept.
    public func register(_ registration: DeveloperRegistration, at now: Date = Date()) async throws -> Developer {
        let digests = identityDigests
        var earlier: [String] = []
        let checked = try registration.validated(today: CalendarDate(now)) { number in
            earlier = digests.underOtherSuites(number)
            return digests.digest(number)
        }
        // Not the e-mail address or its local part, nor a common password (ASVS 2.1.7), like officers' passwords.
        let names = [checked.email, String(checked.email.split(separator: "@").first ?? "")]
        if let problem = try accounts.passwordProblem(checked.password, names: names) {
            throw ValidationError(field: "password", problem)
        }
        return try await store.developers.create(
            checked, earlierIdentityDigests: earlier, passwordHash: try await accounts.hash(checked.password), at: now)
    }

    /// Checks an e-mail address and password from a client `address`, throttled like the console's sign-in (the
    /// same `SignInThrottle`, in the portal's realm): never a lock, and an unknown address answers as a known one.
    public func authenticate(email: String, password: String, address: String?, now: Date = Date()) async throws
        -> Developer
    {
        let email = email.trimmingCharacters(in: .whitespaces)
        let developer = try await accounts.checkedSignIn(
            .portal, account: email, password: password, address: address,
            lookUp: {
                try await store.developers.credentials(email: email).map {
                    ($0.developer, $0.passwordHash, $0.developer.isActive)
                }
            },
            replaceHash: { developer, hash in try await store.developers.replacePasswordHash(id: developer.id, hash) })
        try await store.developers.recordSuccessfulLogin(id: developer.id, at: now)
        return developer
    }

    // MARK: Keys

    /// Issues a key; the plaintext is returned once and never stored.
    public func createKey(for developer: Developer, label: String, at now: Date = Date()) async throws
        -> (key: DeveloperKey, secret: String)
    {
        let label = try DeveloperKey.checkedLabel(label)
        let secret = Secrets.issue(.developer, suite: accounts.suite)
        let key = try await store.developers.createKey(
            developerID: developer.id, label: label, digest: secret.digest, hint: secret.hint,
            limit: settings.keysPerDeveloper, at: now)
        return (key, secret.plaintext)
    }

    /// The developer and key behind a presented key, or nil for anything that is not a live key.
    public func owner(ofKey presented: String) async throws -> (key: DeveloperKey, developer: Developer)? {
        guard presented.count <= 100, Secrets.kind(of: presented) == .developer else { return nil }
        return try await store.developers.keyOwner(digest: Secrets.digest(of: presented))
    }

    // MARK: Applications for conditionally open data

    /// Files a developer's application for a conditionally open dataset; the providing department is told.
    public func apply(_ draft: OpenAccessDraft, by developer: Developer, at now: Date = Date()) async throws
        -> OpenAccessRequest
    {
        guard let entry = try await openCatalog.entry(id: draft.entryID) else {
            throw StoreError.notFound(entity: "open dataset", key: "\(draft.entryID)")
        }
        guard entry.content.openness == .conditional else { throw OpenAccessError.notConditional }
        let draft = try draft.validated(maximumMonths: settings.maximumMonths)
        let deadline = try await store.holidays.calendar().deadline(addingWorkingDays: settings.answerDays, to: now)
        let request = try await store.developers.createRequest(
            draft, developer: developer, entry: entry, deadline: deadline, at: now)
        _ = try await audit.append(
            AuditEvent(
                action: .openAccessRequested, time: now, providerDepartmentID: entry.provider.departmentID,
                resourceCode: entry.code.text, purpose: String(draft.purpose.prefix(200)), outcome: .allowed,
                detail: ["request": request.number, "developer": String(developer.id)]))
        let due = CalendarDate(deadline.addingTimeInterval(-1)).description
        do {
            _ = try await store.notifications.send(
                [
                    NotificationDraft(
                        audience: .department(entry.provider.departmentID, .provider), kind: .openAccessToReview,
                        title: BilingualText(
                            zh: "开放数据申请 \(request.number)（\(entry.code.text)）",
                            en: "open-data application \(request.number) (\(entry.code.text))"),
                        body: BilingualText(
                            zh: "\(request.applicant) 申请使用有条件开放数据，请于 \(due) 前审核",
                            en: "\(request.applicant) applied for conditionally open data; answer by \(due)"))
                ], at: now)
        } catch {
            // The application stands and the console lists it; only the reminder is lost.
            logger.warning("open-access notification failed", metadata: ["request": "\(request.number)"])
        }
        return request
    }

    /// The provider's answer. Only an officer of the providing department with the provider role may give it.
    public func decide(id: Int64, _ decision: OpenAccessDecision, by user: User, at now: Date = Date()) async throws
        -> OpenAccessRequest
    {
        guard let request = try await store.developers.request(id: id),
            Self.may(user, .developersDecideOpenAccess, request)
        else {
            throw StoreError.notFound(entity: "open access request", key: "\(id)")
        }
        let decision = try decision.validated()
        let decided = try await store.developers.decide(id: id, decision, by: user.id, at: now)
        _ = try await audit.append(
            AuditEvent(
                action: .openAccessDecided, time: now, userID: user.id,
                providerDepartmentID: request.providerDepartmentID, resourceCode: request.resourceCode,
                outcome: .allowed,
                detail: ["request": decided.number, "state": decided.state.rawValue]))
        return decided
    }

    /// The provider withdraws an approval in force, with a reason the applicant and the public see; the
    /// developer's downloads and API calls stop at once.
    public func revoke(id: Int64, reason: String, by user: User, at now: Date = Date()) async throws
        -> OpenAccessRequest
    {
        guard let request = try await store.developers.request(id: id),
            Self.may(user, .developersRevokeOpenAccess, request)
        else {
            throw StoreError.notFound(entity: "open access request", key: "\(id)")
        }
        let reason = try OpenAccessDecision.checkedRevocationReason(reason)
        let revoked = try await store.developers.revoke(id: id, reason: reason, by: user.id, at: now)
        _ = try await audit.append(
            AuditEvent(
                action: .openAccessRevoked, time: now, userID: user.id,
                providerDepartmentID: request.providerDepartmentID, resourceCode: request.resourceCode,
                outcome: .allowed, detail: ["request": revoked.number]))
        return revoked
    }

    /// Puts applications left unanswered past their deadline before the operators (and reminds the provider),
    /// once each.
    public func sweepOverdue(at now: Date = Date()) async throws -> [OpenAccessRequest] {
        try await store.developers.escalateOverdue(at: now) { request in
            let title = BilingualText(
                zh: "开放数据申请 \(request.number) 逾期未审核", en: "open-data application \(request.number) is overdue")
            let body = BilingualText(
                zh: "\(request.entryName)（\(request.resourceCode)）的有条件开放申请已超过审核期限",
                en: "the application for \(request.entryName) (\(request.resourceCode)) is past its deadline")
            return [
                NotificationDraft(audience: .role(.operator), kind: .openAccessEscalated, title: title, body: body),
                NotificationDraft(
                    audience: .department(request.providerDepartmentID, .provider), kind: .openAccessEscalated,
                    title: title, body: body),
            ]
        }
    }

    /// The request, if `user` is a provider officer of the department whose dataset it asks for; 404 otherwise.
    package func decidableRequest(_ id: Int64, by user: User) async throws -> OpenAccessRequest {
        guard let request = try await store.developers.request(id: id),
            Self.may(user, .developersDecideOpenAccess, request)
        else {
            throw StoreError.notFound(entity: "open access request", key: "\(id)")
        }
        return request
    }

    /// Whether `user` may do `action` to `request` (its provider department's provider officers); a request
    /// they may not answer is not theirs to see either, so callers answer 404.
    package static func may(_ user: User, _ action: OfficerAction, _ request: OpenAccessRequest) -> Bool {
        AccessPolicy.allows(user, action, department: request.providerDepartmentID)
    }
}

/// Keyed digests of ID numbers, one per suite: HMAC-SM3 under `gm` (recorded with an `sm3:` prefix), HMAC-SHA256
/// under `intl` (as before suites), each under a key derived from the node key for this purpose alone.
package struct IdentityDigests: Sendable {
    private let suite: CryptoSuiteID
    private let authenticators: [CryptoSuiteID: any MessageAuthenticator]

    package init(nodeKey: NodeIdentityKey, suite: CryptoSuiteID) {
        self.suite = suite
        var authenticators: [CryptoSuiteID: any MessageAuthenticator] = [:]
        for each in CryptoSuiteID.allCases {
            authenticators[each] = each.suite.authenticator(
                key: nodeKey.derivedSecret(purpose: "huitong developer identity v1", suite: each))
        }
        self.authenticators = authenticators
    }

    /// The digest stored for `number` under the node's suite.
    package func digest(_ number: String) -> String { digest(number, under: suite) }

    /// The digests `number` would have been stored under by the other suites.
    package func underOtherSuites(_ number: String) -> [String] {
        CryptoSuiteID.allCases.filter { $0 != suite }.map { digest(number, under: $0) }
    }

    private func digest(_ number: String, under suite: CryptoSuiteID) -> String {
        let code = Hex.lowercase(authenticators[suite]!.authenticationCode(for: Array(number.utf8)))
        return suite == .gm ? "sm3:" + code : code
    }
}
