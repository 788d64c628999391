import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

@Suite("Credential store conformance")
struct CredentialStoreConformanceTests {
    static func system(_ store: Store) async throws -> ApplicationSystem {
        let department = try await store.departments.create(
            DepartmentDraft(name: "六安市人社局", code: "RSJ", creditCode: nil, regionCode: "341500", parentID: nil))
        return try await store.applicationSystems.create(
            departmentID: department.id, ApplicationSystemDraft(name: "社保认证", description: ""))
    }

    @Test(
        "a rotation keeps the key id, ends the old secret at the grace period, and happens once per generation",
        arguments: TestBackend.available)
    func rotation(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let system = try await Self.system(store)
            let keyID = CredentialKeyID.generate()
            let expiry = Date().addingTimeInterval(90 * 86400)
            let first = try await store.tokens.createCredential(
                systemID: system.id, TokenDraft(name: "生产", expiresAt: expiry), secret: Secrets.issue(.system),
                keyID: keyID, sealedSecret: "sealed-1")
            #expect(first.keyID == keyID && first.canSign && first.owner == .system(system.id))

            let now = Date()
            let secret = Secrets.issue(.system)
            let rotated = try await store.tokens.rotate(
                id: first.id, secret: secret, sealedSecret: "sealed-2", graceEnds: now.addingTimeInterval(3600),
                now: now)
            #expect(rotated.current.keyID == keyID && rotated.current.name == "生产")
            #expect(abs((rotated.current.expiresAt ?? .distantPast).timeIntervalSince(expiry)) < 1)
            #expect(rotated.previous.replacedBy == rotated.current.id)
            #expect(abs((rotated.previous.expiresAt ?? .distantPast).timeIntervalSince(now) - 3600) < 1)
            #expect(try await store.tokens.find(digest: secret.digest)?.id == rotated.current.id)

            // Both generations sign during the grace period, newest first; after it only the new one.
            let live = try await store.tokens.signingCredentials(keyID: keyID, now: now)
            #expect(live.map(\.token.id) == [rotated.current.id, first.id])
            #expect(live.map(\.sealedSecret) == ["sealed-2", "sealed-1"])
            let later = try await store.tokens.signingCredentials(keyID: keyID, now: now.addingTimeInterval(3601))
            #expect(later.map(\.token.id) == [rotated.current.id])

            await #expect(throws: StoreError.self) {
                try await store.tokens.rotate(
                    id: first.id, secret: Secrets.issue(.system), sealedSecret: nil, graceEnds: now, now: now)
            }
            // A grace longer than the old secret had left does not extend it.
            let short = try await store.tokens.createCredential(
                systemID: system.id, TokenDraft(name: "短期", expiresAt: now.addingTimeInterval(60)),
                secret: Secrets.issue(.system), keyID: CredentialKeyID.generate(), sealedSecret: nil)
            let shortRotated = try await store.tokens.rotate(
                id: short.id, secret: Secrets.issue(.system), sealedSecret: nil,
                graceEnds: now.addingTimeInterval(86400), now: now)
            #expect(abs((shortRotated.previous.expiresAt ?? .distantFuture).timeIntervalSince(now) - 60) < 1)

            // Revoking any generation ends all of them at once.
            let revoked = try await store.tokens.revokeCredential(id: rotated.current.id, at: Date())
            #expect(revoked.revokedAt != nil)
            #expect(try await store.tokens.find(id: first.id)?.revokedAt != nil)
            #expect(try await store.tokens.signingCredentials(keyID: keyID, now: now).isEmpty)
            #expect(try await store.tokens.find(id: short.id)?.revokedAt == nil)
            await #expect(throws: StoreError.self) {
                try await store.tokens.rotate(
                    id: rotated.current.id, secret: Secrets.issue(.system), sealedSecret: nil, graceEnds: now,
                    now: now)
            }
        }
    }

    @Test("personal tokens have no key id; system tokens made the old way get one", arguments: TestBackend.available)
    func keyIDs(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let system = try await Self.system(store)
            let user = try await store.users.create(
                UserDraft(
                    username: "rsj.officer", displayName: "刘洋", departmentID: system.departmentID, roles: [.consumer]),
                passwordHash: "h")
            let personal = try await store.tokens.create(
                owner: .user(user.id), TokenDraft(name: "cli", expiresAt: nil), secret: Secrets.issue(.user))
            #expect(personal.keyID == nil && !personal.canSign)
            let bearer = try await store.tokens.create(
                owner: .system(system.id), TokenDraft(name: "旧", expiresAt: nil), secret: Secrets.issue(.system))
            #expect(bearer.keyID.map(CredentialKeyID.isWellFormed) == true && !bearer.canSign)
            await #expect(throws: StoreError.self) {
                try await store.tokens.rotate(
                    id: personal.id, secret: Secrets.issue(.user), sealedSecret: nil, graceEnds: Date(), now: Date())
            }
        }
    }

    @Test("a nonce is accepted once per key, on every node, until it is purged", arguments: TestBackend.available)
    func nonces(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let now = Date()
            let keyID = CredentialKeyID.generate()
            #expect(try await store.requestNonces.record(keyID: keyID, nonce: "n-0001", expiresAt: now))
            #expect(try await !store.requestNonces.record(keyID: keyID, nonce: "n-0001", expiresAt: now))
            // Another credential may happen to pick the same nonce.
            #expect(
                try await store.requestNonces.record(keyID: CredentialKeyID.generate(), nonce: "n-0001", expiresAt: now)
            )
            #expect(
                try await store.requestNonces.record(
                    keyID: keyID, nonce: "n-0002", expiresAt: now.addingTimeInterval(600)))

            try await store.requestNonces.purge(expiredBefore: now.addingTimeInterval(1))
            #expect(try await store.requestNonces.record(keyID: keyID, nonce: "n-0001", expiresAt: now))
            #expect(try await !store.requestNonces.record(keyID: keyID, nonce: "n-0002", expiresAt: now))
        }
    }
}
