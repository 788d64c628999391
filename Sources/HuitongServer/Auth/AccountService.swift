import Foundation
import HuitongCore
import HuitongStore
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// Passwords, sign-in and credentials: the rules shared by the API, the pages and the CLI.
public struct AccountService: Sendable {
    public let store: Store
    public let bcryptCost: UInt8
    let maximumFailedLogins: Int
    let lockoutDuration: Duration
    let uses: TokenUseRecorder

    public init(
        store: Store, bcryptCost: UInt8 = 12, maximumFailedLogins: Int = 5, lockoutDuration: Duration = .seconds(900)
    ) {
        self.store = store
        self.bcryptCost = bcryptCost
        self.maximumFailedLogins = maximumFailedLogins
        self.lockoutDuration = lockoutDuration
        self.uses = TokenUseRecorder(store: store)
    }

    /// bcrypt is deliberately slow: run it off the request threads.
    public func hash(_ password: String) async throws -> String {
        let cost = bcryptCost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash of nothing, checked when the username is unknown so that timing does not reveal which names exist.
    ///
    /// It is hashed at the node's own cost, so that an unknown name takes as long as a wrong password; made once per
    /// cost, off the request threads.
    func decoyHash() async throws -> String {
        let cost = bcryptCost
        if let known = Self.decoys.withLock({ $0[cost] }) { return known }
        let hash = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash("decoy-password-0", cost: cost) }
        Self.decoys.withLock { $0[cost] = hash }
        return hash
    }

    private static let decoys = Mutex<[UInt8: String]>([:])

    /// Checks a username and password; counts failures and locks the account after too many.
    public func authenticate(username: String, password: String, now: Date = Date()) async throws -> User {
        guard let stored = try await store.users.credentials(username: username) else {
            _ = try await verify(password, against: try await decoyHash())
            throw APIError.loginFailed
        }
        if let lockedUntil = stored.lockedUntil, lockedUntil > now {
            throw APIError.accountLocked(until: lockedUntil)
        }
        guard try await verify(password, against: stored.passwordHash), stored.user.isActive else {
            let reachesLimit = stored.failedLogins + 1 >= maximumFailedLogins
            let lockUntil = reachesLimit ? now.addingTimeInterval(lockoutDuration.timeInterval) : nil
            try await store.users.recordFailedLogin(id: stored.user.id, lockedUntil: lockUntil)
            if let lockUntil { throw APIError.accountLocked(until: lockUntil) }
            throw APIError.loginFailed
        }
        try await store.users.recordSuccessfulLogin(id: stored.user.id, at: now)
        return stored.user
    }

    /// Creates a user with a password; returns the user and the password (generated unless given).
    public func createUser(_ draft: UserDraft, password: String? = nil) async throws -> (User, String) {
        let draft = try draft.validated()
        let password = password ?? Secrets.generatePassword()
        if let problem = PasswordRule.problem(with: password) { throw ValidationError(field: "password", problem) }
        let user = try await store.users.create(draft, passwordHash: try await hash(password))
        return (user, password)
    }

    /// Sets a new password (generated unless given) and ends the user's sessions; returns the password.
    public func resetPassword(userID: Int64, to password: String? = nil) async throws -> String {
        let password = password ?? Secrets.generatePassword()
        if let problem = PasswordRule.problem(with: password) { throw ValidationError(field: "password", problem) }
        try await store.users.setPasswordHash(id: userID, try await hash(password))
        return password
    }

    /// The principal behind a presented bearer secret, or `invalidToken`.
    func principal(forBearer secret: String, now: Date = Date()) async throws -> Principal {
        let kind = Secrets.kind(of: secret)
        guard kind != nil else { throw APIError.invalidToken }
        let principal: Principal
        let token: APIToken
        if kind == .system {
            // Application systems call the gateway on every request: their credential and system in one read.
            guard
                let (credential, system) = try await store.tokens.findSystemCredential(
                    digest: Secrets.digest(of: secret)),
                credential.isUsable(at: now), system.isActive
            else {
                throw APIError.invalidToken
            }
            token = credential
            principal = .system(system, credential)
        } else {
            guard let found = try await store.tokens.find(digest: Secrets.digest(of: secret)), found.isUsable(at: now)
            else {
                throw APIError.invalidToken
            }
            token = found
            switch found.owner {
            case .user(let id):
                guard let user = try await store.users.find(id: id), user.isActive else { throw APIError.invalidToken }
                principal = .user(user, .token(found))
            case .system(let id):
                guard let system = try await store.applicationSystems.find(id: id), system.isActive else {
                    throw APIError.invalidToken
                }
                principal = .system(system, found)
            }
        }
        uses.record(token, at: now)
        return principal
    }
}
