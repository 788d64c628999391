import Foundation
import HuitongCore
import HuitongCrypto
import HuitongTestSupport
import SQLKit
import Testing

@testable import HuitongStore

/// GB/T 39786-2021 8.4 b/c: every row of access-control data carries a MAC the store checks when it reads it, so a
/// row edited straight in the database is refused with a clear error, on every backend.
@Suite("Row integrity conformance")
struct RowIntegrityConformanceTests {
    /// Runs raw SQL as someone with access to the database but not to the node's key would.
    static func tamper(_ store: Store, _ statement: SQLQueryString) async throws {
        try await store.provider.transaction { sql in try await sql.raw(statement).run() }
    }

    static func expectRefused(
        _ table: String, _ id: Int64, sourceLocation: SourceLocation = #_sourceLocation,
        _ read: () async throws -> Void
    ) async {
        do {
            try await read()
            Issue.record("the edited \(table) row \(id) was read without complaint", sourceLocation: sourceLocation)
        } catch let error as StoreError {
            #expect(error == .integrityViolation(table: table, id: "\(id)"), sourceLocation: sourceLocation)
            #expect(error.kind == .forbidden, sourceLocation: sourceLocation)
            #expect(error.message.zh.hasPrefix("访问控制数据完整性校验失败"), sourceLocation: sourceLocation)
            #expect(
                error.message.zh.contains(table) && error.message.zh.contains("\(id)"), sourceLocation: sourceLocation)
            #expect(error.message.en.hasPrefix("access-control data failed its integrity check"))
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Two approved grants of the shared entry for the consumer county; returns their ids.
    static func twoGrants(_ store: Store, _ parties: SharingStoreConformanceTests.Parties) async throws -> [Int64] {
        let applicant = ChangeAuthor(userID: parties.consumerOfficer.id, name: "霍山 李")
        var ids: [Int64] = []
        for validTo in ["2026-06-30", "2026-12-31"] {
            let application = try await store.applications.create(
                SharingStoreConformanceTests.draft(parties.entry), consumerDepartmentID: parties.consumer.id,
                applicant: applicant, at: Date())
            var approved = application
            approved.state = .approved
            let done = try await store.applications.apply(
                ApplicationChange(
                    application: approved, expectedState: .draft, events: [],
                    grant: GrantDraft(
                        applicationID: application.id, entryID: parties.entry.id,
                        resourceCode: parties.entry.code.text, providerDepartmentID: parties.provider.id,
                        consumerDepartmentID: parties.consumer.id, systemIDs: [], items: ["xm"], rowFilter: nil,
                        masking: ["xm": .keep(first: 1, last: 0)], purpose: .workReference, purposeText: "参考",
                        channel: .api, rateLimit: 1, dailyQuota: 10, validFrom: CalendarDate(iso: "2026-01-01")!,
                        validTo: CalendarDate(iso: validTo)!)))
            ids.append(try #require(done.grantID))
        }
        return ids
    }

    @Test(
        "a grant whose items were widened in the database is refused; the untouched one still works",
        arguments: TestBackend.available)
    func grantWidened(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let ids = try await Self.twoGrants(store, parties)
            let day = CalendarDate(iso: "2026-03-01")!
            let code = parties.entry.code.text
            #expect(
                try await store.grants.activeGrants(
                    consumerDepartmentID: parties.consumer.id, resourceCode: code, on: day
                )
                .map(\.id) == ids)
            try await Self.tamper(store, "UPDATE grants SET items = '[\"xm\",\"sfzhm\"]' WHERE id = \(bind: ids[0])")
            await Self.expectRefused("grants", ids[0]) { _ = try await store.grants.find(id: ids[0]) }
            await Self.expectRefused("grants", ids[0]) {
                _ = try await store.grants.activeGrants(
                    consumerDepartmentID: parties.consumer.id, resourceCode: code, on: day)
            }
            await Self.expectRefused("grants", ids[0]) { _ = try await store.grants.list(.all) }
            // A reference read before the edit names the MAC the row still holds: the body is read and refused.
            let references = try await store.grants.activeGrantReferences(
                consumerDepartmentID: parties.consumer.id, resourceCode: code, on: day)
            await Self.expectRefused("grants", ids[0]) { _ = try await store.grants.find(reference: references[0]) }
            // Revoking needs the row to verify first: an edited grant is never re-MAC'd by a legitimate change.
            await Self.expectRefused("grants", ids[0]) {
                _ = try await store.grants.revoke(
                    id: ids[0], by: ChangeAuthor(userID: nil, name: "x"), reason: "r", at: Date(), notifications: [])
            }
            let untouched = try #require(try await store.grants.find(id: ids[1]))
            #expect(untouched.items == ["xm"])
            #expect(try await store.grants.find(reference: references[1])?.id == ids[1])
        }
    }

    @Test("a revocation undone in the database is refused, not served", arguments: TestBackend.available)
    func revocationUndone(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let ids = try await Self.twoGrants(store, parties)
            _ = try await store.grants.revoke(
                id: ids[1], by: ChangeAuthor(userID: nil, name: "李强"), reason: "停用", at: Date(), notifications: [])
            #expect(try await store.grants.find(id: ids[1])?.revokedAt != nil, "a revocation through the store re-MACs")
            try await Self.tamper(store, "UPDATE grants SET revoked_at = NULL WHERE id = \(bind: ids[1])")
            await Self.expectRefused("grants", ids[1]) { _ = try await store.grants.find(id: ids[1]) }
        }
    }

    @Test(
        "an account whose roles were raised in the database is refused, wherever it is read",
        arguments: TestBackend.available)
    func roleRaised(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let officer = parties.consumerOfficer
            try await Self.tamper(store, "UPDATE users SET roles = 'operator' WHERE id = \(bind: officer.id)")
            await Self.expectRefused("users", officer.id) { _ = try await store.users.find(id: officer.id) }
            await Self.expectRefused("users", officer.id) { _ = try await store.users.find(username: officer.username) }
            await Self.expectRefused("users", officer.id) {
                _ = try await store.users.credentials(username: officer.username)
            }
            await Self.expectRefused("users", officer.id) { _ = try await store.users.list(departmentID: nil) }
            await Self.expectRefused("users", officer.id) {
                _ = try await store.users.update(id: officer.id, UserChanges(displayName: "改名"))
            }
            // A password hash swapped in is refused the same way.
            let provider = parties.providerOfficer
            try await Self.tamper(store, "UPDATE users SET password_hash = 'known' WHERE id = \(bind: provider.id)")
            await Self.expectRefused("users", provider.id) {
                _ = try await store.users.credentials(username: provider.username)
            }
            // Changes through the store keep a row verifying.
            let admin = parties.operatorUser
            _ = try await store.users.update(id: admin.id, UserChanges(roles: [.operator, .provider]))
            try await store.users.setPasswordHash(id: admin.id, "new-hash")
            #expect(try await store.users.find(id: admin.id)?.roles == [.operator, .provider])
            #expect(try await store.users.credentials(username: admin.username)?.passwordHash == "new-hash")
        }
    }

    @Test("a session moved to another user in the database is refused", arguments: TestBackend.available)
    func sessionMoved(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let digest = Secrets.issue(.user).digest
            let session = try await store.sessions.create(
                userID: parties.consumerOfficer.id, digest: digest, csrfToken: "csrf",
                expiresAt: Date().addingTimeInterval(3_600))
            #expect(try await store.sessions.find(digest: digest, now: Date())?.userID == parties.consumerOfficer.id)
            try await Self.tamper(
                store, "UPDATE sessions SET user_id = \(bind: parties.operatorUser.id) WHERE id = \(bind: session.id)")
            await Self.expectRefused("sessions", session.id) {
                _ = try await store.sessions.find(digest: digest, now: Date())
            }
        }
    }

    @Test(
        "a credential moved to another system, or a system moved to another department, is refused",
        arguments: TestBackend.available)
    func credentialOwnerChanged(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let ours = try await store.applicationSystems.create(
                departmentID: parties.consumer.id, ApplicationSystemDraft(name: "低保审核系统", description: ""))
            let theirs = try await store.applicationSystems.create(
                departmentID: parties.provider.id, ApplicationSystemDraft(name: "户籍系统", description: ""))
            let secret = Secrets.issue(.system)
            let credential = try await store.tokens.createCredential(
                systemID: ours.id, TokenDraft(name: "生产", expiresAt: nil), secret: secret, keyID: "hk_test",
                sealedSecret: nil)
            let code = parties.entry.code.text
            let day = CalendarDate(iso: "2026-03-01")!
            #expect(
                try await store.gatewayAccess.gatewayAccess(
                    credentialDigest: secret.digest, resourceCode: code, on: day)?
                    .system.id == ours.id)

            try await Self.tamper(
                store, "UPDATE api_tokens SET system_id = \(bind: theirs.id) WHERE id = \(bind: credential.id)")
            await Self.expectRefused("api_tokens", credential.id) {
                _ = try await store.gatewayAccess.gatewayAccess(
                    credentialDigest: secret.digest, resourceCode: code, on: day)
            }
            await Self.expectRefused("api_tokens", credential.id) {
                _ = try await store.tokens.findSystemCredential(digest: secret.digest)
            }
            await Self.expectRefused("api_tokens", credential.id) {
                _ = try await store.tokens.find(digest: secret.digest)
            }
            await Self.expectRefused("api_tokens", credential.id) {
                _ = try await store.tokens.signingCredentials(keyID: "hk_test", now: Date())
            }
            try await Self.tamper(
                store, "UPDATE api_tokens SET system_id = \(bind: ours.id) WHERE id = \(bind: credential.id)")
            #expect(try await store.tokens.find(digest: secret.digest)?.id == credential.id, "restored, it verifies")

            try await Self.tamper(
                store,
                "UPDATE application_systems SET department_id = \(bind: parties.provider.id) WHERE id = \(bind: ours.id)"
            )
            await Self.expectRefused("application_systems", ours.id) {
                _ = try await store.gatewayAccess.gatewayAccess(
                    credentialDigest: secret.digest, resourceCode: code, on: day)
            }
            await Self.expectRefused("application_systems", ours.id) {
                _ = try await store.applicationSystems.find(id: ours.id)
            }
            #expect(try await store.applicationSystems.find(id: theirs.id)?.name == "户籍系统")
        }
    }

    @Test(
        "a grade label lowered in the database, of an entry or of the policy, is refused",
        arguments: TestBackend.available)
    func gradeLowered(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let entry = parties.entry
            #expect(entry.content.items.first?.grade == .general4)
            try await Self.tamper(
                store,
                "UPDATE catalog_entries SET content = REPLACE(content, '\"general4\"', '\"general1\"') WHERE id = \(bind: entry.id)"
            )
            await Self.expectRefused("catalog_entries", entry.id) { _ = try await store.catalog.find(id: entry.id) }
            await Self.expectRefused("catalog_entries", entry.id) {
                _ = try await store.catalog.find(code: entry.code.text)
            }
            await Self.expectRefused("catalog_entries", entry.id) {
                _ = try await store.catalog.entries(ids: [entry.id])
            }

            let policy = try JSONDecoder().decode(GradePolicy.self, from: Data(Self.policyJSON.utf8))
            _ = try await store.gradePolicy.save(policy, author: ChangeAuthor(userID: nil, name: "管理员"))
            #expect(try await store.gradePolicy.current()?.policy == policy)
            try await Self.tamper(
                store, "UPDATE grade_policy SET content = REPLACE(content, '\"all\"', '\"none\"') WHERE id = 1")
            await Self.expectRefused("grade_policy", 1) { _ = try await store.gradePolicy.current() }
        }
    }

    static let policyJSON = """
        {"grades": {
            "general1": {"shareType": "unconditional", "openness": "unconditional", "masking": "none"},
            "general2": {"shareType": "unconditional", "openness": "unconditional", "masking": "none"},
            "general3": {"shareType": "conditional", "openness": "closed", "masking": "byKind"},
            "general4": {"shareType": "conditional", "openness": "closed", "masking": "all"},
            "important": {"shareType": "conditional", "openness": "closed", "masking": "all"},
            "core": {"shareType": "notShared", "openness": "closed", "masking": "all"}
        }}
        """

    @Test(
        "a MAC names its suite: rows written under intl still verify after the node switches to gm",
        arguments: TestBackend.available)
    func suiteSwitch(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            store.rowIntegrity.suite = .intl
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let officer = parties.consumerOfficer
            func storedMAC(_ id: Int64) async throws -> String {
                try await store.provider.read { sql in
                    try await sql.raw("SELECT row_mac FROM users WHERE id = \(bind: id)").first()!
                        .decode(column: "row_mac", as: String.self)
                }
            }
            #expect(try await storedMAC(officer.id).hasPrefix("intl:"))
            store.rowIntegrity.suite = .gm
            #expect(try await store.users.find(id: officer.id)?.username == officer.username)
            _ = try await store.users.update(id: officer.id, UserChanges(displayName: "李四"))
            #expect(try await storedMAC(officer.id).hasPrefix("gm:"), "a change re-MACs under the node's suite")
            #expect(try await storedMAC(parties.providerOfficer.id).hasPrefix("intl:"))
            #expect(try await store.users.find(id: parties.providerOfficer.id) != nil)
            // A MAC relabelled with the other suite does not verify: the label picks the key and algorithm.
            let relabelled = "gm:" + (try await storedMAC(parties.providerOfficer.id)).dropFirst("intl:".count)
            try await Self.tamper(
                store, "UPDATE users SET row_mac = \(bind: relabelled) WHERE id = \(bind: parties.providerOfficer.id)")
            await Self.expectRefused("users", parties.providerOfficer.id) {
                _ = try await store.users.find(id: parties.providerOfficer.id)
            }
        }
    }

    @Test("a row's MAC does not fit another row, and another key does not verify it", arguments: TestBackend.available)
    func macBoundToRowAndKey(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let (a, b) = (parties.providerOfficer, parties.consumerOfficer)
            // Copy every column the MAC covers from a to b but the key: b's row now equals a's under b's id.
            try await Self.tamper(
                store,
                """
                UPDATE users SET row_mac = (SELECT row_mac FROM users WHERE id = \(bind: a.id)),
                    department_id = \(bind: a.departmentID), roles = 'provider'
                WHERE id = \(bind: b.id)
                """)
            await Self.expectRefused("users", b.id) { _ = try await store.users.find(id: b.id) }
            let otherKey = Store(provider: store.provider)
            await #expect(throws: StoreError.integrityKeyMissing) { _ = try await otherKey.users.find(id: a.id) }
            otherKey.rowIntegrity.use(SealingKey.random())
            await Self.expectRefused("users", a.id) { _ = try await otherKey.users.find(id: a.id) }
            #expect(try await store.users.find(id: a.id)?.id == a.id)
        }
    }

    @Test(
        "the start-up backfill MACs rows from before the migration once, and never again",
        arguments: TestBackend.available)
    func backfillOnce(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let ids = try await Self.twoGrants(store, parties)
            // The state migration 26 leaves: every row without a MAC, no record of a backfill.
            try await store.provider.transaction { sql in
                for table in ProtectedTable.all {
                    try await sql.raw("UPDATE \(ident: table.name) SET row_mac = NULL").run()
                }
                try await sql.raw("DELETE FROM row_integrity").run()
            }
            await Self.expectRefused("grants", ids[0]) { _ = try await store.grants.find(id: ids[0]) }
            guard case .sealed(let counts) = try await store.rowIntegrity.backfill(store.provider) else {
                Issue.record("the first backfill did not run")
                return
            }
            #expect(counts["grants"] == 2 && counts["users"] == 3 && counts["catalog_entries"] == 1)
            #expect(try await store.grants.find(id: ids[0])?.items == ["xm"])
            #expect(try await store.users.list(departmentID: nil).count == 3)
            #expect(try await store.rowIntegrity.backfill(store.provider) == .alreadyDone)

            // Afterwards a missing MAC is refused, and the next start does not fill it in.
            try await Self.tamper(
                store, "UPDATE grants SET row_mac = NULL, items = '[\"xm\",\"sfzhm\"]' WHERE id = \(bind: ids[0])")
            #expect(try await store.rowIntegrity.backfill(store.provider) == .alreadyDone)
            await Self.expectRefused("grants", ids[0]) { _ = try await store.grants.find(id: ids[0]) }
            // Nor when the record of the backfill is deleted too: other rows still carry their MACs.
            try await Self.tamper(store, "DELETE FROM row_integrity")
            guard case .refused = try await store.rowIntegrity.backfill(store.provider) else {
                Issue.record("a backfill ran over rows that already carry MACs")
                return
            }
            await Self.expectRefused("grants", ids[0]) { _ = try await store.grants.find(id: ids[0]) }
            // A forged record (without the key) is refused as well.
            try await Self.tamper(
                store, "INSERT INTO row_integrity (id, state, row_mac) VALUES (1, 'backfilled', 'gm:AAAA')")
            guard case .refused = try await store.rowIntegrity.backfill(store.provider) else {
                Issue.record("a forged backfill record was accepted")
                return
            }
        }
    }

    @Test(
        "a database from before the migration gets the MAC columns, and its rows their MACs at the first start",
        arguments: TestBackend.available)
    func upgradeFromBeforeTheMigration(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let ids = try await Self.twoGrants(store, parties)
            // The schema as it stood before `Schema.rowIntegrity`: no MAC columns, no record.
            try await store.provider.transaction { sql in
                for table in ProtectedTable.all {
                    try await sql.raw("ALTER TABLE \(ident: table.name) DROP COLUMN row_mac").run()
                }
                try await sql.raw("DROP TABLE row_integrity").run()
                try await sql.raw(
                    "DELETE FROM schema_migrations WHERE version = \(bind: Schema.rowIntegrity.version)"
                ).run()
            }
            let upgraded = Store(
                provider: try await DatabaseConnector.open(
                    location, maximumConnections: TestBackend.connectionsPerStore, logger: .init(label: "upgrade")),
                rowIntegrity: store.rowIntegrity)
            do {
                // Every reader sees the new column at once (SQLite's readers loaded the schema before the migration).
                for _ in 0..<4 {
                    let columns = try await upgraded.provider.read { sql in
                        try await sql.raw("SELECT * FROM grants").first()!.allColumns
                    }
                    #expect(columns.contains("row_mac"))
                }
                await Self.expectRefused("grants", ids[0]) { _ = try await upgraded.grants.find(id: ids[0]) }
                let backfill = try await upgraded.rowIntegrity.backfill(upgraded.provider)
                #expect(backfill == .sealed(["grants": 2, "users": 3, "catalog_entries": 1]))
                #expect(try await upgraded.grants.find(id: ids[0])?.items == ["xm"])
                #expect(try await upgraded.users.find(id: parties.operatorUser.id)?.roles == [.operator])
                #expect(try await upgraded.rowIntegrity.backfill(upgraded.provider) == .alreadyDone)
                await upgraded.provider.shutdown()
            } catch {
                await upgraded.provider.shutdown()
                throw error
            }
        }
    }

    @Test(
        "a new database is recorded as backfilled at its first start, with nothing to MAC",
        arguments: TestBackend.available)
    func backfillOnNewDatabase(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let first = try await store.rowIntegrity.backfill(store.provider)
            let second = try await store.rowIntegrity.backfill(store.provider)
            #expect(first == .sealed([:]) && second == .alreadyDone)
        }
    }

    @Test(
        "the open-data portal's access data is protected too: a key un-revoked, an approval turned or extended, a password hash swapped, a session moved — each refused",
        arguments: TestBackend.available)
    func developerData(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let time = DeveloperStoreConformanceTests.time
            let developer = try await store.developers.create(
                try DeveloperStoreConformanceTests.registration("dev@example.com"), passwordHash: "hash", at: time)
            let other = try await store.developers.create(
                try DeveloperStoreConformanceTests.registration("other@example.com"), passwordHash: "h2", at: time)
            let key = try await store.developers.createKey(
                developerID: developer.id, label: "app", digest: "k1", hint: "hdk_abc", limit: 2, at: time)
            _ = try await store.developers.revokeKey(id: key.id, developerID: developer.id, at: time)
            let session = try await store.developers.createSession(
                developerID: developer.id, digest: "s1", csrfToken: "c", expiresAt: time.addingTimeInterval(3600))
            let refused = try await store.developers.createRequest(
                DeveloperStoreConformanceTests.draft(parties.entry), developer: developer, entry: parties.entry,
                deadline: time.addingTimeInterval(86_400), at: time)
            _ = try await store.developers.decide(
                id: refused.id, OpenAccessDecision(approve: false, comment: "用途不明"), by: parties.providerOfficer.id,
                at: time)
            // Untouched, everything reads.
            #expect(try await store.developers.keyOwner(digest: "k1") == nil, "revoked")
            #expect(try await store.developers.session(digest: "s1", now: time)?.developerID == developer.id)
            #expect(try await store.developers.credentials(email: "dev@example.com")?.passwordHash == "hash")
            // Logging in and using a key change what the MAC leaves out, and still read.
            try await store.developers.recordFailedLogin(id: developer.id, lockedUntil: nil)
            #expect(try await store.developers.find(id: developer.id) != nil)

            try await Self.tamper(store, "UPDATE developer_keys SET revoked_at = NULL WHERE id = \(bind: key.id)")
            await Self.expectRefused("developer_keys", key.id) { _ = try await store.developers.keyOwner(digest: "k1") }
            try await Self.tamper(
                store,
                "UPDATE open_access_requests SET state = 'approved', valid_until = \(bind: time.addingTimeInterval(9e7)) WHERE id = \(bind: refused.id)"
            )
            await Self.expectRefused("open_access_requests", refused.id) {
                _ = try await store.developers.access(developerID: developer.id, entryID: parties.entry.id, at: time)
            }
            try await Self.tamper(
                store, "UPDATE developers SET password_hash = 'h2' WHERE id = \(bind: developer.id)")
            await Self.expectRefused("developers", developer.id) {
                _ = try await store.developers.credentials(email: "dev@example.com")
            }
            try await Self.tamper(
                store, "UPDATE developer_sessions SET developer_id = \(bind: other.id) WHERE id = \(bind: session.id)")
            await Self.expectRefused("developer_sessions", session.id) {
                _ = try await store.developers.session(digest: "s1", now: time)
            }
        }
    }

    @Test(
        "a database backfilled before the portal's tables were protected MACs their rows at its next start, once",
        arguments: TestBackend.available)
    func secondGeneration(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let time = DeveloperStoreConformanceTests.time
            let developer = try await store.developers.create(
                try DeveloperStoreConformanceTests.registration("dev@example.com"), passwordHash: "hash", at: time)
            let key = try await store.developers.createKey(
                developerID: developer.id, label: "app", digest: "k1", hint: "hdk_abc", limit: 2, at: time)
            // The state migration 28 leaves on a database whose first backfill ran: the record says `backfilled`
            // (MAC'd), the portal's rows have no MAC.
            try await store.provider.transaction { sql in
                for table in ProtectedTable.developerTables {
                    try await sql.raw("UPDATE \(ident: table.name) SET row_mac = NULL").run()
                }
                try await sql.raw("UPDATE row_integrity SET state = 'backfilled' WHERE id = 1").run()
                try await store.rowIntegrity.seal(.backfillRecord, id: 1, sql)
            }
            await Self.expectRefused("developer_keys", key.id) { _ = try await store.developers.keyOwner(digest: "k1") }
            #expect(
                try await store.rowIntegrity.backfill(store.provider)
                    == .sealed(["developers": 1, "developer_keys": 1]))
            #expect(try await store.developers.keyOwner(digest: "k1")?.developer.id == developer.id)
            #expect(try await store.rowIntegrity.backfill(store.provider) == .alreadyDone)
            try await Self.tamper(store, "UPDATE developer_keys SET row_mac = NULL WHERE id = \(bind: key.id)")
            #expect(try await store.rowIntegrity.backfill(store.provider) == .alreadyDone)
            await Self.expectRefused("developer_keys", key.id) { _ = try await store.developers.keyOwner(digest: "k1") }
        }
    }
}
