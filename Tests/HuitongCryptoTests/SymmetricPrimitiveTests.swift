import HuitongCrypto
import Testing

/// The SM3, HMAC-SM3, PBKDF2-HMAC-SM3 and SM4 vectors of domain-services.md §1.5–1.7.
@Suite struct SM3Tests {
    @Test(arguments: [
        ("abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        (String(repeating: "abcd", count: 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
        ("", "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"),
    ])
    func standardVectors(input: String, expected: String) {
        #expect(Bytes.hexString(SM3.hash(Bytes.utf8(input))) == expected)
    }

    @Test func gmSuiteDigestIsSM3AndIntlIsSHA256() {
        let abc = Bytes.utf8("abc")
        #expect(
            Bytes.hexString(GMSuite().digest(abc)) == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        )
        #expect(
            Bytes.hexString(InternationalSuite().digest(abc))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

@Suite struct HMACSM3Tests {
    @Test func rfc2104StyleVectors() {
        #expect(
            Bytes.hexString(
                HMACSM3.authenticationCode(for: Bytes.utf8("what do ya want for nothing?"), key: Bytes.utf8("Jefe")))
                == "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882")
        #expect(
            Bytes.hexString(
                HMACSM3.authenticationCode(for: Bytes.utf8("Hi There"), key: [UInt8](repeating: 0x0b, count: 20)))
                == "51b00d1fb49832bfb01c3ce27848e59f871d9ba938dc563b338ca964755cce70")
    }

    @Test func aKeyedInstanceGivesTheSameCodeEveryTime() {
        let mac = HMACSM3(key: Bytes.utf8("Jefe"))
        let message = Bytes.utf8("what do ya want for nothing?")
        let first = mac.authenticationCode(for: message)
        #expect(mac.authenticationCode(for: message) == first, "the keyed state must not be consumed by a code")
        #expect(mac.authenticationCode(for: Bytes.utf8("another message")) != first)
        #expect(GMSuite().authenticationCode(for: message, key: Bytes.utf8("Jefe")) == first)
    }
}

@Suite struct PBKDF2SM3Tests {
    @Test(arguments: [
        (1, "4612f922a1fdcefaf4312fc6f8f3322b489cbf24f2ea361b44c2bd8fa2c6dcb0"),
        (1000, "e8b635a41dfe5aaab7cf828cff6f3608e22cac59ba16edd70e000b293d00bc91"),
    ])
    func vectors(iterations: Int, expected: String) throws {
        let key = try PBKDF2SM3.deriveKey(
            password: Bytes.utf8("password"), salt: Bytes.utf8("salt"), iterations: iterations, byteCount: 32)
        #expect(Bytes.hexString(key) == expected)
    }

    @Test func zeroIterationsIsRefused() {
        #expect(throws: CryptographyError.self) {
            try PBKDF2SM3.deriveKey(password: [1], salt: [2], iterations: 0, byteCount: 32)
        }
    }
}

@Suite struct SM4Tests {
    static let key = Bytes.hex("0123456789abcdeffedcba9876543210")

    @Test func example1OneBlock() throws {
        #expect(
            Bytes.hexString(try SM4.encryptECB(key: Self.key, blocks: Self.key)) == "681edf34d206965e86b3e94f536e4246")
    }

    @Test func example2OneMillionEncryptions() throws {
        var block = Self.key
        for _ in 0..<1_000_000 { block = try SM4.encryptECB(key: Self.key, blocks: block) }
        #expect(Bytes.hexString(block) == "595298c7c6fd271f0402f804c33d3f66")
    }

    @Test func cbcRoundTripsAndPads() throws {
        let iv = Bytes.hex("000102030405060708090a0b0c0d0e0f")
        for length in [0, 1, 15, 16, 17, 100] {
            let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let ciphertext = try SM4.encryptCBC(key: Self.key, iv: iv, plaintext: plaintext)
            #expect(ciphertext.count == (length / 16 + 1) * 16, "PKCS#7 always adds 1–16 bytes")
            #expect(try SM4.decryptCBC(key: Self.key, iv: iv, ciphertext: ciphertext) == plaintext)
        }
    }

    @Test func aKeyOfTheWrongLengthIsRefused() {
        #expect(throws: CryptographyError.malformedKey(expected: "a 16-byte SM4 key")) {
            try SM4.encryptCBC(
                key: [UInt8](repeating: 1, count: 32), iv: [UInt8](repeating: 0, count: 16), plaintext: [1])
        }
    }
}

@Suite struct HT1EnvelopeTests {
    static let envelope = try! HT1Envelope(
        encryptionKey: Bytes.hex("0123456789abcdeffedcba9876543210"), authenticationKey: Array(0..<32))

    @Test func domainServicesVector() throws {
        let sealed = try Self.envelope.seal(Bytes.utf8("Huitong 汇通"), iv: Array(0..<16))
        #expect(Array(sealed.prefix(3)) == Bytes.utf8("HT1"))
        #expect(Array(sealed[3..<19]) == Array(0..<16))
        #expect(Bytes.hexString(Array(sealed[19..<35])) == "7e58e8c556ab2d815645d3d6032bf8c4")
        #expect(
            Bytes.hexString(Array(sealed.suffix(32)))
                == "f61f0bf4b8d95e941fa31e9df2f37749991565c9f332ab260d6a75c2ee39b68d")
        #expect(sealed.count == 3 + 16 + 16 + 32)
        #expect(String(decoding: try Self.envelope.open(sealed), as: UTF8.self) == "Huitong 汇通")
    }

    @Test func everySealUsesAFreshIV() throws {
        let first = try Self.envelope.seal(Bytes.utf8("secret"))
        let second = try Self.envelope.seal(Bytes.utf8("secret"))
        #expect(first != second)
        #expect(try Self.envelope.open(first) == Bytes.utf8("secret"))
        #expect(try Self.envelope.open(second) == Bytes.utf8("secret"))
    }

    @Test func anAlteredByteAnywhereIsRefusedBeforeDecrypting() throws {
        let sealed = try Self.envelope.seal(Bytes.utf8("source password"), context: Bytes.utf8("source 7"))
        for index in sealed.indices.dropFirst(3) {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(throws: CryptographyError.authenticationFailed) {
                try Self.envelope.open(altered, context: Bytes.utf8("source 7"))
            }
        }
    }

    @Test func aValueMovedToAnotherContextOrKeyDoesNotOpen() throws {
        let sealed = try Self.envelope.seal(Bytes.utf8("source password"), context: Bytes.utf8("source 7"))
        #expect(throws: CryptographyError.authenticationFailed) {
            try Self.envelope.open(sealed, context: Bytes.utf8("source 8"))
        }
        let other = try HT1Envelope(encryptionKey: Array(0..<16), authenticationKey: Array(1..<33))
        #expect(throws: CryptographyError.authenticationFailed) {
            try other.open(sealed, context: Bytes.utf8("source 7"))
        }
        #expect(throws: CryptographyError.malformedEnvelope) { try Self.envelope.open(Array(sealed.prefix(40))) }
        #expect(throws: CryptographyError.malformedEnvelope) {
            try Self.envelope.open(Bytes.utf8("HT2") + sealed.dropFirst(3))
        }
    }
}

@Suite struct HKDFSM3Tests {
    /// RFC 5869 test case 1's inputs with SM3 in place of SHA-256; the output was computed independently with
    /// Python's `hmac` module (RFC 5869 written out by hand over `hmac.new(…, 'sm3')`).
    @Test func rfc5869Case1InputsUnderSM3() throws {
        let key = try HKDFSM3.deriveKey(
            inputKeyMaterial: [UInt8](repeating: 0x0b, count: 22), salt: Array(0...12), info: Array(0xf0...0xf9),
            byteCount: 42)
        #expect(
            Bytes.hexString(key)
                == "c69fe91b7aaee2dd5718d72dcaee0cce93f1b8e41f792da51261b6a517e68b36ed2c595572b01dfa359b")
    }

    @Test func differentInfoGivesUnrelatedKeys() throws {
        let secret: [UInt8] = Array(0..<32)
        let first = try HKDFSM3.deriveKey(inputKeyMaterial: secret, salt: [], info: Bytes.utf8("a"), byteCount: 32)
        let second = try HKDFSM3.deriveKey(inputKeyMaterial: secret, salt: [], info: Bytes.utf8("b"), byteCount: 32)
        #expect(first != second && first.count == 32)
    }
}
