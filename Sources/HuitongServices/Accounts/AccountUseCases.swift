import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// Passwords, sign-in and credentials: the rules shared by the API, the pages and the CLI.
public struct AccountUseCases: Sendable {
    public let store: Store
    public let bcryptCost: UInt8
    /// The suite new password hashes are made under: PBKDF2-HMAC-SM3 under gm, bcrypt under intl. Hashes of either
    /// kind verify whatever the suite; one of another kind (or with fewer iterations) is replaced at its next sign-in.
    public let suite: CryptoSuiteID
    /// PBKDF2-HMAC-SM3 iterations for new hashes (`HUITONG_PASSWORD_ITERATIONS`).
    public let passwordIterations: Int
    /// Slows password guessing on the console and the portal alike (one throttle, two realms).
    package let throttle: SignInThrottle
    /// Reverse proxies whose `X-Forwarded-For` names the client; any other peer is the client itself.
    package let trustedProxies: [AddressNetwork]
    /// A personal token's life when none is asked for, and the longest that may be asked for.
    package let tokenDefaultLifetime: Duration
    package let tokenMaximumLifetime: Duration
    package let uses: TokenUseRecorder

    /// Without a suite, passwords are hashed with bcrypt (`intl`), as for accounts made by tools that do not know
    /// the node's suite; the node's sign-in moves them to its own suite.
    public init(
        store: Store, bcryptCost: UInt8 = 12, suite: CryptoSuiteID = .intl,
        passwordIterations: Int = PasswordHashing.defaultIterations, trustedProxies: [AddressNetwork] = [],
        tokenDefaultLifetime: Duration = .seconds(90 * 86400), tokenMaximumLifetime: Duration = .seconds(365 * 86400)
    ) {
        self.init(
            store: store, bcryptCost: bcryptCost, suite: suite, passwordIterations: passwordIterations,
            throttle: SignInThrottle(), trustedProxies: trustedProxies, tokenDefaultLifetime: tokenDefaultLifetime,
            tokenMaximumLifetime: tokenMaximumLifetime)
    }

    package init(
        store: Store, bcryptCost: UInt8, suite: CryptoSuiteID, passwordIterations: Int, throttle: SignInThrottle,
        trustedProxies: [AddressNetwork], tokenDefaultLifetime: Duration, tokenMaximumLifetime: Duration
    ) {
        self.store = store
        self.bcryptCost = bcryptCost
        self.suite = suite
        self.passwordIterations = passwordIterations
        self.throttle = throttle
        self.trustedProxies = trustedProxies
        self.tokenDefaultLifetime = tokenDefaultLifetime
        self.tokenMaximumLifetime = tokenMaximumLifetime
        self.uses = TokenUseRecorder(store: store)
    }

    /// A new hash under the node's suite. Both algorithms are deliberately slow: run them off the request threads.
    public func hash(_ password: String) async throws -> String {
        let (cost, suite, iterations) = (bcryptCost, suite, passwordIterations)
        return try await NIOThreadPool.singleton.runIfActive {
            switch suite {
            case .gm: try PasswordHashing.pbkdf2SM3(password, iterations: iterations)
            case .intl: Bcrypt.hash(password, cost: cost)
            }
        }
    }

    /// Whether `password` gives `hash`, whichever algorithm the hash names.
    package func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive {
            switch PasswordHashing.algorithm(of: hash) {
            case .bcrypt: Bcrypt.verify(password, hash: hash)
            case .pbkdf2SM3: PasswordHashing.verifyPBKDF2SM3(password, against: hash) ?? false
            case .unknown: false
            }
        }
    }

    /// A hash of nothing, checked when the username is unknown so that timing does not reveal which names exist.
    ///
    /// It is hashed as the node hashes now (suite, cost, iterations), so that an unknown name takes as long as a
    /// wrong password; made once per setting, off the request threads.
    package func decoyHash() async throws -> String {
        let setting = suite == .gm ? "pbkdf2-sm3/\(passwordIterations)" : "bcrypt/\(bcryptCost)"
        if let known = Self.decoys.withLock({ $0[setting] }) { return known }
        let hash = try await self.hash("decoy-password-0")
        Self.decoys.withLock { $0[setting] = hash }
        return hash
    }

    private static let decoys = Mutex<[String: String]>([:])

    /// Checks a username and password from a client `address`. Failures are throttled per address and name
    /// together, per address and per name (`SignInThrottle`): never a lock, and an unknown name is answered, and
    /// takes, exactly as a known one.
    public func authenticate(username: String, password: String, address: String?, now: Date = Date()) async throws
        -> User
    {
        let user = try await checkedSignIn(
            .console, account: username, password: password, address: address,
            lookUp: {
                try await store.users.credentials(username: username).map {
                    ($0.user, $0.passwordHash, $0.user.isActive)
                }
            },
            replaceHash: { user, hash in try await store.users.setPasswordHash(id: user.id, hash, keeping: .everything)
            })
        try await store.users.recordSuccessfulLogin(id: user.id, at: now)
        return user
    }

    /// The one sign-in check of both realms: throttled first, the password compared against the stored hash (or a
    /// decoy of the same cost when `lookUp` finds no one, so that time does not tell which names exist), the
    /// failure counted, and `signInFailed` whatever was wrong. A password that matched a hash the node no longer
    /// makes (bcrypt under gm, fewer iterations than configured) is hashed anew and stored with `replaceHash`.
    package func checkedSignIn<Account: Sendable>(
        _ realm: SignInThrottle.Realm, account name: String, password: String, address: String?,
        lookUp: () async throws -> (account: Account, passwordHash: String, isActive: Bool)?,
        replaceHash: (Account, String) async throws -> Void
    ) async throws -> Account {
        try throttle.check(realm, account: name, address: address)
        let stored = try await lookUp()
        let hash: String
        if let stored { hash = stored.passwordHash } else { hash = try await decoyHash() }
        let matches = try await verify(password, against: hash)
        guard let stored, matches, stored.isActive else {
            throttle.failed(realm, account: name, address: address)
            throw AccessError.signInFailed
        }
        throttle.succeeded(realm, account: name, address: address)
        if PasswordHashing.needsRehash(stored.passwordHash, suite: suite, iterations: passwordIterations) {
            // The password is known to be right only now, at sign-in: the one moment an old hash can be replaced.
            // A failed write leaves the old hash, which still verifies; the next sign-in tries again.
            try? await replaceHash(stored.account, try await self.hash(password))
        }
        return stored.account
    }

    /// Why a password a person chose may not be used (form, the common-password list, the account's names), or nil.
    package func passwordProblem(_ password: String, names: [String]) throws -> BilingualText? {
        let common = try CommonPasswords.all()
        return PasswordRule.problem(with: password, names: names) { common.contains($0) }
    }

    /// Creates a user with a password; returns the user and the password (generated unless given).
    public func createUser(_ draft: UserDraft, password: String? = nil) async throws -> (User, String) {
        let draft = try draft.validated()
        if let password, let problem = try passwordProblem(password, names: [draft.username]) {
            throw ValidationError(field: "password", problem)
        }
        let password = password ?? Secrets.generatePassword()
        let user = try await store.users.create(draft, passwordHash: try await hash(password))
        return (user, password)
    }

    /// Sets a new password (generated unless given); returns the password. Unless `keeping` says otherwise the
    /// user's sessions end and their personal tokens are revoked, all but the session or token the user is
    /// changing their own password with.
    public func resetPassword(userID: Int64, to password: String? = nil, keeping: PasswordChangeKeeps = .none)
        async throws -> String
    {
        guard let user = try await store.users.find(id: userID) else {
            throw StoreError.notFound(entity: "user", key: "\(userID)")
        }
        if let password, let problem = try passwordProblem(password, names: [user.username]) {
            throw ValidationError(field: "password", problem)
        }
        let password = password ?? Secrets.generatePassword()
        try await store.users.setPasswordHash(id: userID, try await hash(password), keeping: keeping)
        return password
    }

    /// The principal behind a presented bearer secret, or `invalidToken`.
    package func principal(forBearer secret: String, now: Date = Date()) async throws -> Principal {
        let kind = Secrets.kind(of: secret)
        guard kind != nil else { throw AccessError.invalidToken }
        let principal: Principal
        let token: APIToken
        if kind == .system {
            // Application systems call the gateway on every request: their credential and system in one read.
            guard
                let (credential, system) = try await store.tokens.findSystemCredential(
                    digest: Secrets.digest(of: secret)),
                credential.isUsable(at: now), system.isActive
            else {
                throw AccessError.invalidToken
            }
            token = credential
            principal = .system(system, credential)
        } else {
            guard let found = try await store.tokens.find(digest: Secrets.digest(of: secret)), found.isUsable(at: now)
            else {
                throw AccessError.invalidToken
            }
            token = found
            switch found.owner {
            case .user(let id):
                guard let user = try await store.users.find(id: id), user.isActive else {
                    throw AccessError.invalidToken
                }
                principal = .user(user, .token(found))
            case .system(let id):
                guard let system = try await store.applicationSystems.find(id: id), system.isActive else {
                    throw AccessError.invalidToken
                }
                principal = .system(system, found)
            }
        }
        uses.record(token, at: now)
        return principal
    }
}
