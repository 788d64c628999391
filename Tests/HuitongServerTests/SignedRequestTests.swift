import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Signs requests the way a consumer's system would, from the key id and secret it was given.
struct TestSigner: Sendable {
    var keyID: String
    var secret: String
    var scheme = SignatureScheme.hmacSHA256

    func headers(
        _ method: HTTPRequest.Method, _ uri: String, body: String = "",
        timestamp: Int64 = Int64(Date().timeIntervalSince1970), nonce: String = UUID().uuidString
    ) -> HTTPFields {
        let parts = uri.split(separator: "?", maxSplits: 1).map(String.init)
        let request = SignedRequest(
            scheme: scheme, keyID: keyID, method: method.rawValue, path: parts[0],
            query: parts.count > 1 ? parts[1] : nil, timestamp: timestamp, nonce: nonce,
            bodyDigest: scheme.bodyDigest(Data(body.utf8)))
        let signature = RequestSignature.signature(for: request, secret: secret)
        var headers = HTTPFields()
        headers[.authorization] = RequestSignature.authorization(scheme: scheme, keyID: keyID, signature: signature)
        headers[HTTPField.Name(RequestSignature.timestampHeader)!] = String(timestamp)
        headers[HTTPField.Name(RequestSignature.nonceHeader)!] = nonce
        return headers
    }
}

@Suite("Application-system credentials and signed requests")
struct SignedRequestTests {
    /// A route that only application systems may call and that echoes the body it received, to show that the
    /// body read for hashing still reaches the handler.
    static let echoRoute: @Sendable (Router<HuitongRequestContext>) -> Void = { router in
        router.post("test/echo") { request, context -> Response in
            let (_, credential) = try context.requireSystem()
            let body = try await request.body.collect(upTo: 1 << 20)
            var response = Response(status: .ok, body: .init(byteBuffer: body))
            response.headers[.keyID] = credential.keyID
            return response
        }
    }

    typealias Me = AccountsAPI.MeResponse

    /// A consumer officer with a registered application system.
    static func consumerSystem(_ node: TestNode, _ client: any TestClientProtocol) async throws -> (String, Int64) {
        let social = try await node.department("RSJ")
        let (_, consumer) = try await node.user("rsj.consumer", department: social, roles: [.consumer])
        let (_, system) = try await client.send(
            .post, "/api/v1/application-systems", token: consumer, input: AccountsAPI.SystemInput(name: "社保认证"),
            as: ApplicationSystem.self)
        return (consumer, system.id)
    }

    static func issue(_ client: any TestClientProtocol, system: Int64, officer: String) async throws
        -> (TestSigner, Int64)
    {
        let (status, issued) = try await client.send(
            .post, "/api/v1/application-systems/\(system)/credentials", token: officer,
            input: AccountsAPI.TokenInput(name: "生产"), as: AccountsAPI.CreatedToken.self)
        #expect(status == .created)
        let credential = issued.token
        let keyID = try #require(issued.keyID)
        #expect(credential.keyID == keyID && keyID.hasPrefix("hk_"))
        #expect(credential.canSign == true)
        return (TestSigner(keyID: keyID, secret: issued.secret), credential.id)
    }

    @Test(
        "signed calls succeed once per nonce, within the window, with the body signed; rotation and revocation",
        arguments: TestBackend.available)
    func signedLifecycle(_ backend: TestBackend) async throws {
        try await TestNode.run(backend, routes: Self.echoRoute) { node, client in
            let (officer, systemID) = try await Self.consumerSystem(node, client)
            let (signer, credentialID) = try await Self.issue(client, system: systemID, officer: officer)

            // A new node runs the gm suite: the secret is sealed at rest in an HT1 envelope, and opens for the call.
            let sealed = try await node.store.provider.read { sql in
                try await sql.raw("SELECT sealed_secret FROM api_tokens WHERE key_id = \(bind: signer.keyID)").first()
            }?.decode(column: "sealed_secret", as: String.self)
            #expect(sealed?.hasPrefix("gm:") == true, "\(sealed ?? "no sealed secret")")

            let headers = signer.headers(.get, "/api/v1/me")
            let (ok, meText) = try await client.text(.get, "/api/v1/me", headers: headers)
            #expect(ok == .ok)
            let me = try WireJSON.read(Me.self, meText)
            #expect(me.system?.name == "社保认证")
            #expect(me.credential?.keyID == signer.keyID)
            #expect(me.user == nil)
            #expect(!meText.contains(signer.secret))

            // The same credential signs under 国密 (HUITONG-HMAC-SM3), the body hashed with SM3; a signature made
            // under one scheme and claimed under the other is refused.
            var sm3Signer = signer
            sm3Signer.scheme = .hmacSM3
            let body3 = #"{"idNumber":"51343620000320711X"}"#
            let sm3Echo = try await client.execute(
                uri: "/test/echo", method: .post, headers: sm3Signer.headers(.post, "/test/echo", body: body3),
                body: ByteBuffer(string: body3)
            ) { response in (response.status, String(buffer: response.body)) }
            #expect(sm3Echo.0 == .ok && sm3Echo.1 == body3)
            var claimed = signer.headers(.get, "/api/v1/me")
            claimed[.authorization] = claimed[.authorization]?.replacingOccurrences(
                of: "HUITONG-HMAC-SHA256", with: "HUITONG-HMAC-SM3")
            let (crossed, crossedBody) = try await client.failure(.get, "/api/v1/me", headers: claimed)
            #expect(crossed == .unauthorized && crossedBody.code == "signature_mismatch")

            // The same request again: its nonce was used.
            let (replayed, replayBody) = try await client.failure(.get, "/api/v1/me", headers: headers)
            #expect(replayed == .unauthorized)
            #expect(replayBody.code == "replayed_nonce")

            let stale = signer.headers(.get, "/api/v1/me", timestamp: Int64(Date().timeIntervalSince1970) - 301)
            let (old, oldBody) = try await client.failure(.get, "/api/v1/me", headers: stale)
            #expect(old == .unauthorized)
            #expect(oldBody.code == "timestamp_out_of_window")

            // The handler gets the body that was hashed; a different body breaks the signature.
            let body = #"{"idNumber":"51343620000320711X"}"#
            let echoed = try await client.execute(
                uri: "/test/echo", method: .post, headers: signer.headers(.post, "/test/echo", body: body),
                body: ByteBuffer(string: body)
            ) { response in (response.status, String(buffer: response.body), response.headers[.keyID]) }
            #expect(echoed.0 == .ok && echoed.1 == body && echoed.2 == signer.keyID)
            let tamperedHeaders = signer.headers(.post, "/test/echo", body: body)
            let tampered = #"{"idNumber":"51343620000320712X"}"#
            let (mismatch, mismatchText) = try await client.execute(
                uri: "/test/echo", method: .post, headers: tamperedHeaders, body: ByteBuffer(string: tampered)
            ) { response in (response.status, String(buffer: response.body)) }
            #expect(mismatch == .unauthorized)
            #expect(mismatchText.contains("signature_mismatch"))
            // The answer does not tell the caller which signature would have passed.
            let expected = RequestSignature.signature(
                for: SignedRequest(
                    keyID: signer.keyID, method: "POST", path: "/test/echo", query: nil,
                    timestamp: Int64(tamperedHeaders[HTTPField.Name(RequestSignature.timestampHeader)!]!)!,
                    nonce: tamperedHeaders[HTTPField.Name(RequestSignature.nonceHeader)!]!,
                    bodyDigest: SignatureScheme.hmacSHA256.bodyDigest(Data(tampered.utf8))), secret: signer.secret)
            #expect(!mismatchText.contains(expected))

            // Query parameters may be sent in another order than signed.
            let reordered = signer.headers(.get, "/api/v1/me?b=2&a=1")
            #expect(try await client.status(.get, "/api/v1/me?a=1&b=2", headers: reordered) == .ok)
            let unknown = TestSigner(keyID: CredentialKeyID.generate(), secret: signer.secret)
            let (unknownStatus, unknownBody) = try await client.failure(
                .get, "/api/v1/me", headers: unknown.headers(.get, "/api/v1/me"))
            #expect(unknownStatus == .unauthorized && unknownBody.code == "unknown_key")
            let wrongSecret = TestSigner(keyID: signer.keyID, secret: signer.secret + "x")
            let (wrongStatus, wrongBody) = try await client.failure(
                .get, "/api/v1/me", headers: wrongSecret.headers(.get, "/api/v1/me"))
            #expect(wrongStatus == .unauthorized && wrongBody.code == "signature_mismatch")

            // The same secret still works as a bearer token.
            #expect(try await client.status(.get, "/api/v1/me", token: signer.secret) == .ok)

            // Rotation: the old secret keeps working through the grace period, the new one at once.
            let base = "/api/v1/application-systems/\(systemID)/credentials"
            let (rotatedStatus, rotated) = try await client.send(
                .post, "\(base)/\(credentialID)/rotate", token: officer, as: AccountsAPI.CreatedToken.self)
            #expect(rotatedStatus == .created)
            let second = TestSigner(keyID: signer.keyID, secret: rotated.secret)
            #expect(rotated.keyID == signer.keyID && second.secret != signer.secret)
            let secondID = rotated.token.id
            let previous = try #require(rotated.previous)
            #expect(previous.replacedBy == secondID && previous.expiresAt != nil)
            for current in [signer, second] {
                #expect(
                    try await client.status(.get, "/api/v1/me", headers: current.headers(.get, "/api/v1/me")) == .ok)
                #expect(try await client.status(.get, "/api/v1/me", token: current.secret) == .ok)
            }
            let (again, againBody) = try await client.failure(.post, "\(base)/\(credentialID)/rotate", token: officer)
            #expect(again == .conflict && againBody.code == "conflict")
            let (badGrace, badGraceBody) = try await client.failure(
                .post, "\(base)/\(secondID)/rotate", token: officer, input: AccountsAPI.RotateInput(graceSeconds: -1))
            #expect(badGrace == .badRequest && badGraceBody.fields == ["graceSeconds"])

            // With no grace, the replaced secret stops at once.
            let (_, third) = try await client.send(
                .post, "\(base)/\(secondID)/rotate", token: officer, input: AccountsAPI.RotateInput(graceSeconds: 0),
                as: AccountsAPI.CreatedToken.self)
            let thirdSigner = TestSigner(keyID: signer.keyID, secret: third.secret)
            let thirdID = third.token.id
            let (ended, endedBody) = try await client.failure(
                .get, "/api/v1/me", headers: second.headers(.get, "/api/v1/me"))
            #expect(ended == .unauthorized && endedBody.code == "signature_mismatch")
            #expect(try await client.status(.get, "/api/v1/me", token: second.secret) == .unauthorized)
            #expect(
                try await client.status(.get, "/api/v1/me", headers: thirdSigner.headers(.get, "/api/v1/me")) == .ok)

            let (_, listedText) = try await client.text(.get, base, token: officer)
            let items = try WireJSON.read(ListBody<APIToken>.self, listedText).items
            #expect(items.count == 3)
            #expect(Set(items.compactMap(\.keyID)) == [signer.keyID])
            #expect(items.allSatisfy { !$0.hint.isEmpty }, "each credential shows its hint")
            #expect(!listedText.contains("\"secret\""), "no credential in the list carries a secret")
            for secret in [signer.secret, second.secret, thirdSigner.secret] {
                #expect(!listedText.contains(secret))
            }
            let (_, otherOfficer) = try await node.user(
                "gaj.consumer", department: try await node.department("GAJ"), roles: [.consumer])
            #expect(try await client.status(.post, "\(base)/\(thirdID)/rotate", token: otherOfficer) == .forbidden)

            // Revoking ends every generation at once, the one still in its grace period too.
            let revoked = try await client.status(.delete, "\(base)/\(thirdID)", token: officer)
            #expect(revoked == .ok)
            for current in [signer, thirdSigner] {
                let (status, body) = try await client.failure(
                    .get, "/api/v1/me", headers: current.headers(.get, "/api/v1/me"))
                #expect(status == .unauthorized && body.code == "unknown_key")
                #expect(try await client.status(.get, "/api/v1/me", token: current.secret) == .unauthorized)
            }
        }
    }

    @Test("headers that are missing or malformed are named in the 401")
    func malformedHeaders() async throws {
        try await TestNode.run { node, client in
            let (officer, systemID) = try await Self.consumerSystem(node, client)
            let (signer, _) = try await Self.issue(client, system: systemID, officer: officer)
            var headers = signer.headers(.get, "/api/v1/me")
            headers[HTTPField.Name(RequestSignature.nonceHeader)!] = nil
            let (missing, missingBody) = try await client.failure(.get, "/api/v1/me", headers: headers)
            #expect(missing == .unauthorized && missingBody.code == "missing_signature_header")
            headers = signer.headers(.get, "/api/v1/me")
            headers[.authorization] = "HUITONG-HMAC-SHA256 Credential=\(signer.keyID)"
            let (malformed, malformedBody) = try await client.failure(.get, "/api/v1/me", headers: headers)
            #expect(malformed == .unauthorized && malformedBody.code == "malformed_authorization")
        }
    }

    @Test("a body over the signed-body limit is refused before it is hashed")
    func bodyLimit() async throws {
        var configuration = TestNode.configuration
        configuration.signedBodyLimit = 64
        try await TestNode.run(configuration: configuration, routes: Self.echoRoute) { node, client in
            let (officer, systemID) = try await Self.consumerSystem(node, client)
            let (signer, _) = try await Self.issue(client, system: systemID, officer: officer)
            let body = String(repeating: "x", count: 65)
            let status = try await client.execute(
                uri: "/test/echo", method: .post, headers: signer.headers(.post, "/test/echo", body: body),
                body: ByteBuffer(string: body)
            ) { $0.status }
            #expect(status == .contentTooLarge)
        }
    }

    @Test("without a sealing key, credentials are bearer tokens only and signed calls say why they fail")
    func withoutSealingKey() async throws {
        try await TestNode.run(configuration: ServerConfiguration(bcryptCost: 4)) { node, client in
            let (officer, systemID) = try await Self.consumerSystem(node, client)
            let (status, issued) = try await client.send(
                .post, "/api/v1/application-systems/\(systemID)/credentials", token: officer,
                input: AccountsAPI.TokenInput(name: "x"), as: AccountsAPI.CreatedToken.self)
            #expect(status == .created)
            #expect(issued.token.canSign == false)
            let signer = TestSigner(keyID: try #require(issued.keyID), secret: issued.secret)
            let (refused, body) = try await client.failure(
                .get, "/api/v1/me", headers: signer.headers(.get, "/api/v1/me"))
            #expect(refused == .unauthorized && body.code == "credential_cannot_sign")
            #expect(try await client.status(.get, "/api/v1/me", token: signer.secret) == .ok)
        }
    }

    @Test("the sealing key file is created owner-only once and read back; the variable takes precedence")
    func sealingKeyLoader() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("huitong-key-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (created, origin) = try SealingKeyLoader.load(base64: nil, dataDirectory: directory)
        let path = directory + "/sealing.key"
        #expect(origin == .created(path))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let (reread, second) = try SealingKeyLoader.load(base64: nil, dataDirectory: directory)
        #expect(second == .file(path) && reread.fingerprint == created.fingerprint)

        let fromEnvironment = SealingKey.random()
        let (chosen, third) = try SealingKeyLoader.load(base64: fromEnvironment.base64, dataDirectory: directory)
        #expect(third == .environment && chosen.fingerprint == fromEnvironment.fingerprint)
        #expect(throws: SealingKeyFileError.self) {
            try SealingKeyLoader.load(base64: "short", dataDirectory: directory)
        }

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: SealingKeyFileError.self) { try SealingKeyLoader.load(base64: nil, dataDirectory: directory) }
    }

    @Test("the seeded masking policy is Hutool's, with the 6 + 4 ID alternative")
    func seededMasking() throws {
        let policy = try MaskingPolicy.seeded()
        for kind in SemanticKind.allCases {
            #expect(policy.rule(for: kind) == MaskingRule.default(for: kind), "\(kind)")
        }
        #expect(policy.rules.count == SemanticKind.allCases.count)
        #expect(policy.choices(for: .residentID).contains(.residentIDFirst6Last4))
    }
}

extension HTTPField.Name {
    fileprivate static let keyID = HTTPField.Name("X-Key-ID")!
}
