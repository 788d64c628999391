import Foundation
import HuitongCore
import HuitongTestSupport
import SQLKit
import Testing

@testable import HuitongStore

/// The same behaviour, proven on every backend: SQLite always, PostgreSQL when HUITONG_TEST_DATABASE_URL is set.
@Suite("Account store conformance")
struct AccountStoreConformanceTests {
    static let bureau = DepartmentDraft(
        name: "六安市数据资源管理局", code: "SJJ", creditCode: "11341500003010087Y", regionCode: "341500", parentID: nil)

    @Test("backends under test", arguments: [TestBackend.available])
    func reportsBackends(_ backends: [TestBackend]) {
        // Printed so that the CI log shows which backends really ran.
        print("store conformance backends: \(backends.map(\.rawValue).joined(separator: ", "))")
        #expect(backends.contains(.sqlite))
    }

    @Test("departments are created, found, changed and listed", arguments: TestBackend.available)
    func departmentRoundTrip(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let created = try await store.departments.create(Self.bureau)
            #expect(created.id > 0)
            #expect(try await store.departments.find(code: "SJJ") == created)
            var draft = Self.bureau
            draft.name = "六安市数据资源管理局（政务服务管理局）"
            let changed = try await store.departments.update(id: created.id, with: draft)
            #expect(changed.name == draft.name)
            #expect(
                changed.createdAt.timeIntervalSince1970.rounded() == created.createdAt.timeIntervalSince1970.rounded())
            #expect(try await store.departments.list().map(\.code) == ["SJJ"])
            #expect(try await store.departments.count() == 1)
        }
    }

    @Test("a duplicate department code or credit code is a conflict naming the field", arguments: TestBackend.available)
    func duplicateDepartment(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            _ = try await store.departments.create(Self.bureau)
            var sameCode = Self.bureau
            sameCode.creditCode = nil
            await #expect(throws: StoreError.duplicate(field: "code", value: "SJJ")) {
                try await store.departments.create(sameCode)
            }
            var sameCredit = Self.bureau
            sameCredit.code = "OTHER"
            await #expect(throws: StoreError.duplicate(field: "creditCode", value: "11341500003010087Y")) {
                try await store.departments.create(sameCredit)
            }
            // The failed writes left nothing behind.
            #expect(try await store.departments.count() == 1)
        }
    }

    @Test("parents must exist and cannot form a cycle", arguments: TestBackend.available)
    func departmentHierarchy(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let city = try await store.departments.create(Self.bureau)
            let child = try await store.departments.create(
                DepartmentDraft(
                    name: "金安区数据资源局", code: "JA-SJJ", creditCode: nil, regionCode: "341502", parentID: city.id))
            await #expect(throws: StoreError.missingReference(field: "parentID", value: "999")) {
                _ = try await store.departments.create(
                    DepartmentDraft(name: "x", code: "X", creditCode: nil, regionCode: "341502", parentID: 999))
            }
            var cyclic = Self.bureau
            cyclic.parentID = child.id
            await #expect(throws: StoreError.self) { _ = try await store.departments.update(id: city.id, with: cyclic) }
            #expect(try await store.departments.find(id: city.id)?.parentID == nil)
            await #expect(throws: StoreError.self) { try await store.departments.delete(id: city.id) }
            try await store.departments.delete(id: child.id)
            try await store.departments.delete(id: city.id)
            #expect(try await store.departments.count() == 0)
        }
    }

    @Test("users keep roles, log-in counters and lose sessions on password change", arguments: TestBackend.available)
    func users(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await store.departments.create(Self.bureau)
            let user = try await store.users.create(
                UserDraft(
                    username: "gaj.provider", displayName: "李强", departmentID: department.id,
                    roles: [.provider, .consumer]),
                passwordHash: "hash-1")
            #expect(user.roles == [.provider, .consumer])
            #expect(user.isActive)
            await #expect(throws: StoreError.duplicate(field: "username", value: "gaj.provider")) {
                _ = try await store.users.create(
                    UserDraft(
                        username: "gaj.provider", displayName: "x", departmentID: department.id, roles: [.auditor]),
                    passwordHash: "h")
            }
            await #expect(throws: StoreError.missingReference(field: "departmentID", value: "42")) {
                _ = try await store.users.create(
                    UserDraft(username: "nobody", displayName: "x", departmentID: 42, roles: [.auditor]),
                    passwordHash: "h")
            }
            try await store.users.recordFailedLogin(id: user.id, lockedUntil: nil)
            try await store.users.recordFailedLogin(id: user.id, lockedUntil: nil)
            #expect(try await store.users.credentials(username: "GAJ.PROVIDER")?.failedLogins == 2)
            let lock = Date().addingTimeInterval(600)
            try await store.users.recordFailedLogin(id: user.id, lockedUntil: lock)
            let locked = try #require(try await store.users.credentials(username: "gaj.provider"))
            #expect(abs((locked.lockedUntil ?? .distantPast).timeIntervalSince(lock)) < 1)

            let session = try await store.sessions.create(
                userID: user.id, digest: "d1", csrfToken: "c1", expiresAt: Date().addingTimeInterval(3600))
            #expect(try await store.sessions.find(digest: "d1", now: Date())?.id == session.id)
            try await store.users.setPasswordHash(id: user.id, "hash-2")
            let reset = try #require(try await store.users.credentials(username: "gaj.provider"))
            #expect(reset.passwordHash == "hash-2")
            #expect(reset.lockedUntil == nil && reset.failedLogins == 0)
            #expect(try await store.sessions.find(digest: "d1", now: Date()) == nil)

            let changed = try await store.users.update(id: user.id, UserChanges(roles: [.auditor], isActive: false))
            #expect(changed.roles == [.auditor] && !changed.isActive)
            #expect(try await store.users.list(departmentID: department.id).count == 1)
            #expect(try await store.users.list(departmentID: department.id + 1).isEmpty)
        }
    }

    @Test("tokens are found by digest, revoked and owned by users or systems", arguments: TestBackend.available)
    func tokens(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await store.departments.create(Self.bureau)
            let user = try await store.users.create(
                UserDraft(username: "rsj.officer", displayName: "刘洋", departmentID: department.id, roles: [.consumer]),
                passwordHash: "h")
            let system = try await store.applicationSystems.create(
                departmentID: department.id, ApplicationSystemDraft(name: "社保认证", description: ""))
            let secret = Secrets.issue(.system)
            let token = try await store.tokens.create(
                owner: .system(system.id), TokenDraft(name: "生产", expiresAt: nil), secret: secret)
            #expect(token.owner == .system(system.id))
            #expect(try await store.tokens.find(digest: secret.digest)?.id == token.id)
            #expect(try await store.tokens.find(digest: Secrets.digest(of: secret.plaintext + "x")) == nil)
            let personal = try await store.tokens.create(
                owner: .user(user.id), TokenDraft(name: "cli", expiresAt: Date().addingTimeInterval(60)),
                secret: Secrets.issue(.user))
            #expect(try await store.tokens.list(owner: .user(user.id)).map(\.id) == [personal.id])

            let revoked = try await store.tokens.revoke(id: token.id, at: Date())
            #expect(revoked.revokedAt != nil && !revoked.isUsable(at: Date()))
            // Deactivating a system revokes its remaining credentials at once.
            let second = try await store.tokens.create(
                owner: .system(system.id), TokenDraft(name: "备用", expiresAt: nil), secret: Secrets.issue(.system))
            _ = try await store.applicationSystems.update(id: system.id, draft: nil, isActive: false)
            #expect(try await store.tokens.find(id: second.id)?.revokedAt != nil)
            try await store.applicationSystems.delete(id: system.id)
            #expect(try await store.tokens.find(id: second.id) == nil)
        }
    }

    @Test("data written before closing is there after reopening", arguments: TestBackend.available)
    func survivesRestart(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            _ = try await store.departments.create(Self.bureau)
            await store.provider.shutdown()
            let reopened = Store(
                provider: try await DatabaseConnector.open(
                    location, maximumConnections: TestBackend.connectionsPerStore, logger: .init(label: "t")),
                rowIntegrity: store.rowIntegrity)
            #expect(try await reopened.departments.find(code: "SJJ")?.name == Self.bureau.name)
            await reopened.provider.shutdown()
        }
    }

    @Test("SQLite databases open in WAL mode with synchronous=FULL, so a crash loses no committed write")
    func sqliteDurability() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let (mode, synchronous) = try await store.provider.read { sql in
                (
                    try await sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self),
                    try await sql.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
                )
            }
            #expect(mode == "wal")
            #expect(synchronous == 2)
        }
    }

    @Test("a failing transaction leaves nothing behind", arguments: TestBackend.available)
    func rollback(_ backend: TestBackend) async throws {
        struct Boom: Error {}
        try await backend.withFreshDatabase { (store, _) async throws in
            await #expect(throws: Boom.self) {
                try await store.provider.transaction { sql in
                    try await sql.insert(into: "departments")
                        .columns("name", "code", "region_code", "created_at", "updated_at")
                        .values(SQLBind("x"), SQLBind("X"), SQLBind("341500"), SQLBind(Date()), SQLBind(Date()))
                        .run()
                    throw Boom()
                }
            }
            #expect(try await store.departments.count() == 0)
        }
    }

    @Test("migrations run once and can be re-run", arguments: TestBackend.available)
    func migrationsIdempotent(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            _ = try await store.departments.create(Self.bureau)
            let again = try await DatabaseConnector.open(
                location, maximumConnections: TestBackend.connectionsPerStore, logger: .init(label: "t"))
            let (applied, distinct, highest) = try await again.read { sql in
                let row = try await sql.raw(
                    "SELECT COUNT(*) AS n, COUNT(DISTINCT version) AS d, MAX(version) AS m FROM schema_migrations"
                ).first()!
                return (
                    try row.decode(column: "n", as: Int.self), try row.decode(column: "d", as: Int.self),
                    try row.decode(column: "m", as: Int.self)
                )
            }
            // Every migration applied exactly once, none skipped, by the first open; the second added nothing. (Numbers
            // are compared with the schema's own list: branches reserve numbers, so one may land before another.)
            let versions = Schema.migrations.map(\.version)
            #expect(applied == distinct && applied == versions.count && highest == versions.max() && applied >= 2)
            await again.shutdown()
        }
    }

    @Test("database URLs are parsed and passwords never printed")
    func databaseLocations() throws {
        #expect(try DatabaseLocation(parsing: "sqlite:./data/h.sqlite") == .sqlite(path: "./data/h.sqlite"))
        let postgres = try DatabaseLocation(parsing: "postgres://huitong:s3cret@127.0.0.1:5432/huitong")
        #expect(postgres.backend == .postgres)
        #expect(!postgres.description.contains("s3cret"))
        #expect(throws: StoreError.self) { try DatabaseLocation(parsing: "mysql://x") }
        #expect(throws: StoreError.self) { try DatabaseLocation(parsing: "sqlite:") }
    }
}
