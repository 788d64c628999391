import Foundation
import HuitongCore
import Testing

@Suite("Signed requests (HUITONG-HMAC-SM3, HUITONG-HMAC-SHA256)")
struct RequestSignatureTests {
    static let keyID = "hk_0123456789abcdef0123456789abcdef"
    static let secret = "hts_test-secret-for-vector"

    static func request(
        scheme: SignatureScheme = .hmacSHA256, method: String = "POST", path: String = "/api/v1/things",
        query: String? = "b=2&a=1", timestamp: Int64 = 1_700_000_000, nonce: String = "0123456789abcdef0123",
        body: String = #"{"name":"张三"}"#
    ) -> SignedRequest {
        SignedRequest(
            scheme: scheme, keyID: keyID, method: method, path: path, query: query, timestamp: timestamp,
            nonce: nonce, bodyDigest: scheme.bodyDigest(Data(body.utf8)))
    }

    @Test("HUITONG-HMAC-SM3 matches openssl: dgst -sm3 of the body, dgst -sm3 -hmac of the canonical string")
    func sm3Vector() {
        // body=$(printf '%s' '{"name":"张三"}' | openssl dgst -sm3); the canonical string built as below; then
        // printf '%s' "$CANONICAL" | openssl dgst -sm3 -hmac "$SECRET" (OpenSSL 3.0.19).
        let request = Self.request(scheme: .hmacSM3)
        #expect(request.bodyDigest == "be3682aeece527bb92d995a6faf02dc25e16000e2e60a4fde94daba2de8e940b")
        #expect(RequestSignature.canonicalString(for: request).hasPrefix("HUITONG-HMAC-SM3\nhk_"))
        #expect(
            RequestSignature.signature(for: request, secret: Self.secret)
                == "28723bd841e85c794a59d68e06406852041e170c5a806e812f73a92d0c428a4c")
        #expect(
            Self.request(scheme: .hmacSM3, body: "").bodyDigest
                == "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b")
        // A signature under one scheme never passes under the other, even over the same parts.
        let sha = RequestSignature.signature(for: Self.request(), secret: Self.secret)
        var claimed = Self.request()
        claimed.scheme = .hmacSM3
        #expect(!RequestSignature.isValid(sha, for: claimed, secret: Self.secret))
    }

    @Test("the signature matches the openssl recipe in the README")
    func opensslVector() {
        // printf '%s' "$CANONICAL" | openssl dgst -sha256 -hmac "$SECRET", with the canonical string built by the
        // README's printf line from the same values.
        let request = Self.request()
        #expect(request.bodyDigest == "ff243a693d2a9e1d4fb0235c40a8879fc19a860ce52d138d7a2e05c1fbded69b")
        #expect(
            RequestSignature.canonicalString(for: request)
                == """
                HUITONG-HMAC-SHA256
                hk_0123456789abcdef0123456789abcdef
                POST
                /api/v1/things
                a=1&b=2
                1700000000
                0123456789abcdef0123
                ff243a693d2a9e1d4fb0235c40a8879fc19a860ce52d138d7a2e05c1fbded69b
                """)
        #expect(
            RequestSignature.signature(for: request, secret: Self.secret)
                == "8a6a3cc3a56cc34400af8f7cadf0af1dc22804931273df5de131665f1d01ad7f")
    }

    @Test(
        "the query is sorted by name, exactly as sent, with repeated names in their order",
        arguments: [
            ("b=2&a=1&c", "a=1&b=2&c"),
            ("a=2&a=1", "a=2&a=1"),
            ("&&z=1&", "z=1"),
            ("q=%E5%85%AC&b=x+y", "b=x+y&q=%E5%85%AC"),
            ("", ""),
        ])
    func canonicalQuery(query: String, canonical: String) {
        #expect(RequestSignature.canonicalQuery(query) == canonical)
    }

    @Test("a GET without a body or query signs the empty body's hash and an empty query line")
    func emptyBody() {
        let request = Self.request(method: "get", query: nil, body: "")
        #expect(request.bodyDigest == RequestSignature.emptyBodySHA256)
        let lines = RequestSignature.canonicalString(for: request).split(
            separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[2] == "GET" && lines[4] == "" && lines[7] == Substring(RequestSignature.emptyBodySHA256))
        #expect(
            RequestSignature.signature(for: request, secret: Self.secret)
                == RequestSignature.signature(
                    for: Self.request(method: "GET", query: "", body: ""), secret: Self.secret))
    }

    @Test("verification fails for any change to the signed parts, and for another secret")
    func verificationFailures() {
        let signature = RequestSignature.signature(for: Self.request(), secret: Self.secret)
        #expect(RequestSignature.isValid(signature, for: Self.request(), secret: Self.secret))
        #expect(RequestSignature.isValid(signature.uppercased(), for: Self.request(), secret: Self.secret))
        #expect(RequestSignature.isValid(signature, for: Self.request(query: "a=1&b=2"), secret: Self.secret))
        let changed = [
            Self.request(method: "PUT"), Self.request(path: "/api/v1/other"), Self.request(query: "a=1&b=3"),
            Self.request(timestamp: 1_700_000_001), Self.request(nonce: "0123456789abcdef0124"),
            Self.request(body: #"{"name":"李四"}"#),
        ]
        for request in changed {
            #expect(!RequestSignature.isValid(signature, for: request, secret: Self.secret))
        }
        #expect(!RequestSignature.isValid(signature, for: Self.request(), secret: Self.secret + "x"))
        #expect(!RequestSignature.isValid(String(signature.dropLast()), for: Self.request(), secret: Self.secret))
    }

    @Test("the Authorization header parses in either order and refuses anything else by name")
    func authorizationHeader() throws {
        let signature = String(repeating: "ab", count: 32)
        let header = RequestSignature.authorization(keyID: Self.keyID, signature: signature)
        #expect(header == "HUITONG-HMAC-SHA256 Credential=\(Self.keyID), Signature=\(signature)")
        let parsed = try RequestSignature.parseAuthorization(header)
        #expect(parsed.keyID == Self.keyID && parsed.signature == signature)
        let swapped = try RequestSignature.parseAuthorization(
            "huitong-hmac-sha256 Signature=\(signature.uppercased()),Credential=\(Self.keyID)")
        #expect(swapped.keyID == Self.keyID && swapped.signature == signature)
        #expect(!RequestSignature.isSigned("Bearer hts_x") && !RequestSignature.isSigned("HUITONG-HMAC-SHA256X a"))
        let sm3 = try RequestSignature.parseAuthorization(
            RequestSignature.authorization(scheme: .hmacSM3, keyID: Self.keyID, signature: signature))
        #expect(sm3.scheme == .hmacSM3 && sm3.keyID == Self.keyID && parsed.scheme == .hmacSHA256)
        #expect(RequestSignature.scheme(of: "huitong-hmac-sm3 Credential=x") == .hmacSM3)
        let bad = [
            "HUITONG-HMAC-SHA256 Credential=\(Self.keyID)",
            "HUITONG-HMAC-SHA256 Credential=\(Self.keyID), Signature=abc",
            "HUITONG-HMAC-SHA256 Credential=hts_secret, Signature=\(signature)",
            "HUITONG-HMAC-SHA256 Credential=\(Self.keyID), Signature=\(signature), Scope=x",
            "HUITONG-HMAC-SHA256 Credential=\(Self.keyID), Credential=\(Self.keyID), Signature=\(signature)",
            "HUITONG-HMAC-SHA256 Credential",
        ]
        for header in bad {
            #expect(throws: SignatureError.self, "\(header)") { try RequestSignature.parseAuthorization(header) }
        }
    }

    @Test("timestamps outside the window either way, and malformed nonces, are refused with what is wrong")
    func timestampAndNonce() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(try RequestSignature.checkTimestamp("1699999700", now: now, window: 300) == 1_699_999_700)
        #expect(try RequestSignature.checkTimestamp("1700000300", now: now, window: 300) == 1_700_000_300)
        #expect(throws: SignatureError.timestampOutOfWindow(skew: 301, window: 300)) {
            try RequestSignature.checkTimestamp("1699999699", now: now, window: 300)
        }
        #expect(throws: SignatureError.timestampOutOfWindow(skew: -301, window: 300)) {
            try RequestSignature.checkTimestamp("1700000301", now: now, window: 300)
        }
        #expect(throws: SignatureError.missingHeader(RequestSignature.timestampHeader)) {
            try RequestSignature.checkTimestamp(nil, now: now, window: 300)
        }
        #expect(throws: SignatureError.self) {
            try RequestSignature.checkTimestamp("2023-11-14", now: now, window: 300)
        }
        #expect(
            try RequestSignature.checkNonce("6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
                == "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
        #expect(throws: SignatureError.self) { try RequestSignature.checkNonce("short") }
        #expect(throws: SignatureError.self) { try RequestSignature.checkNonce("0123456789abcdef\n0123") }
        #expect(throws: SignatureError.missingHeader(RequestSignature.nonceHeader)) {
            try RequestSignature.checkNonce(nil)
        }
    }

    @Test("a sealed secret opens only under the same key and for the same credential")
    func sealing() throws {
        let key = SealingKey.random()
        let sealed = key.seal("hts_secret", context: Self.keyID)
        #expect(!sealed.contains("hts_secret"))
        #expect(try key.open(sealed, context: Self.keyID) == "hts_secret")
        #expect(try SealingKey(base64: key.base64).open(sealed, context: Self.keyID) == "hts_secret")
        #expect(throws: SealingError.unsealFailed) { try key.open(sealed, context: "hk_other") }
        #expect(throws: SealingError.unsealFailed) { try SealingKey.random().open(sealed, context: Self.keyID) }
        #expect(throws: SealingError.unsealFailed) { try key.open("not base64!", context: Self.keyID) }
        #expect(throws: SealingError.self) { try SealingKey(base64: "c2hvcnQ=") }
        #expect(throws: SealingError.self) { try SealingKey(base64: "%%%") }
        #expect(CredentialKeyID.isWellFormed(CredentialKeyID.generate()))
        #expect(CredentialKeyID.generate() != CredentialKeyID.generate())
    }

    @Test("under gm a secret is sealed in an HT1 envelope (SM4-CBC + HMAC-SM3) and opens by the suite it names")
    func sealingUnderGM() throws {
        var key = SealingKey.random()
        let sealedBefore = key.seal("hts_before", context: Self.keyID)
        key.suite = .gm
        let sealed = key.seal("hts_secret", context: Self.keyID)
        #expect(sealed.hasPrefix("gm:") && !sealed.contains("hts_secret"))
        #expect(key.seal("hts_secret", context: Self.keyID) != sealed, "a fresh IV each time")
        // The envelope of domain-services.md §1.6: "HT1" ‖ IV ‖ ciphertext ‖ tag, 16 + 16 + 32 bytes around "hts_secret".
        let envelope = try #require(Data(base64Encoded: String(sealed.dropFirst(3))))
        #expect(envelope.prefix(3) == Data("HT1".utf8) && envelope.count == 3 + 16 + 16 + 32)
        #expect(try key.open(sealed, context: Self.keyID) == "hts_secret")
        // A secret sealed under intl before the switch still opens, and a gm one opens after switching back.
        #expect(try key.open(sealedBefore, context: Self.keyID) == "hts_before")
        var back = try SealingKey(base64: key.base64)
        back.suite = .intl
        #expect(try back.open(sealed, context: Self.keyID) == "hts_secret")
        #expect(throws: SealingError.unsealFailed) { try key.open(sealed, context: "hk_other") }
        #expect(throws: SealingError.unsealFailed) { try SealingKey.random().open(sealed, context: Self.keyID) }
        var altered = Array(envelope)
        altered[20] ^= 1
        #expect(throws: SealingError.unsealFailed) {
            try key.open("gm:" + Data(altered).base64EncodedString(), context: Self.keyID)
        }
        #expect(throws: SealingError.unsealFailed) { try key.open("gm:not base64!", context: Self.keyID) }
    }
}
