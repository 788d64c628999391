import HuitongCrypto
import Testing

/// SM2 against the GM/T 0003.5 example of domain-services.md §1.3.
@Suite struct SM2Tests {
    static let privateScalar = Bytes.hex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
    static let publicX = "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
    static let publicY = "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
    static let message = Bytes.utf8("message digest")
    static let r = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    static let s = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"

    static var vectorSignature: [UInt8] { SM2Signature.der(fromRaw: Bytes.hex(r + s))! }

    @Test func thePublicKeyOfTheExampleScalar() throws {
        let key = try SM2PrivateKey(scalar: Self.privateScalar)
        #expect(Bytes.hexString(key.publicKey.uncompressedPoint) == "04" + Self.publicX + Self.publicY)
    }

    /// Z_A and e recomputed from the curve of §1.2 with our SM3 and the key libcrypto derived: the values the
    /// signature is made over.
    @Test func zAAndEOfTheExample() throws {
        let point = try SM2PrivateKey(scalar: Self.privateScalar).publicKey.uncompressedPoint
        let curve = Bytes.hex(
            """
            FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
            28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
            32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
            BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0
            """)
        let zA = SM3.hash([0x00, 0x80] + SM2.defaultUserID + curve + point.dropFirst())
        #expect(Bytes.hexString(zA) == "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3")
        #expect(
            Bytes.hexString(SM3.hash(zA + Self.message))
                == "f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640")
    }

    @Test func theExampleSignatureVerifiesOnlyWithTheDefaultID() throws {
        let key = try SM2PrivateKey(scalar: Self.privateScalar).publicKey
        #expect(key.isValidSignature(Self.vectorSignature, for: Self.message))
        #expect(
            !key.isValidSignature(Self.vectorSignature, for: Self.message, userID: []), "OpenSSL's empty default ID")
        #expect(
            !key.isValidSignature(Self.vectorSignature, for: Self.message, userID: Bytes.utf8("ALICE123@YAHOO.COM")))
        #expect(!key.isValidSignature(Self.vectorSignature, for: Bytes.utf8("message digesT")))
        var altered = Self.vectorSignature
        altered[altered.count - 1] ^= 1
        #expect(!key.isValidSignature(altered, for: Self.message))
        #expect(!key.isValidSignature([0x30, 0x00], for: Self.message), "malformed DER is simply invalid")
    }

    @Test func signaturesWeMakeVerifyAndDiffer() throws {
        let key = try SM2PrivateKey.generate()
        let first = try key.signature(for: Self.message)
        let second = try key.signature(for: Self.message)
        #expect((70...72).contains(first.count))
        #expect(first != second, "SM2 signatures are randomised")
        #expect(key.publicKey.isValidSignature(first, for: Self.message))
        #expect(key.publicKey.isValidSignature(second, for: Self.message))
        #expect(!(try SM2PrivateKey.generate()).publicKey.isValidSignature(first, for: Self.message))
    }

    @Test func rawAndDERSignaturesConvertBothWays() throws {
        #expect(Bytes.hexString(SM2Signature.raw(fromDER: Self.vectorSignature)!) == (Self.r + Self.s).lowercased())
        let ours = try SM2PrivateKey.generate().signature(for: Self.message)
        #expect(SM2Signature.der(fromRaw: SM2Signature.raw(fromDER: ours)!) == ours)
        #expect(SM2Signature.raw(fromDER: Array(ours.dropLast())) == nil)
    }

    @Test func keysSurviveTheirPEMForms() throws {
        let key = try SM2PrivateKey.generate()
        let restored = try SM2PrivateKey(pemRepresentation: key.pemRepresentation)
        #expect(restored.publicKey == key.publicKey)
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let publicPEM = key.publicKey.pemRepresentation
        #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE"))
        #expect(try SM2PublicKey(pemRepresentation: publicPEM) == key.publicKey)
        #expect(throws: CryptographyError.self) {
            try SM2PublicKey(pemRepresentation: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
        }
    }

    @Test func encryptionRoundTripsAndOnlyTheRightKeyDecrypts() throws {
        let key = try SM2PrivateKey.generate()
        let sessionKey: [UInt8] = Array(0..<48)
        let ciphertext = try key.publicKey.encrypt(sessionKey)
        #expect(ciphertext.count > sessionKey.count + 96)
        #expect(try key.decrypt(ciphertext) == sessionKey)
        #expect(throws: CryptographyError.self) { try SM2PrivateKey.generate().decrypt(ciphertext) }
    }
}

@Suite struct SigningKeyTests {
    @Test(arguments: CryptoSuiteID.allCases)
    func eachSuiteSignsWithItsAlgorithmAndVerifies(suiteID: CryptoSuiteID) throws {
        let suite = suiteID.suite
        let key = try suite.generateSigningKey()
        #expect(key.algorithm == suite.signatureAlgorithm)
        #expect(key.algorithm.suite == suiteID)
        let signature = try key.signature(for: Bytes.utf8("checkpoint"))
        #expect(key.publicKey.isValidSignature(signature, for: Bytes.utf8("checkpoint")))
        #expect(!key.publicKey.isValidSignature(signature, for: Bytes.utf8("checkpoinT")))
        let restored = try SigningPublicKey(pemRepresentation: key.publicKey.pemRepresentation)
        #expect(restored == key.publicKey)
        #expect(restored.keyID == key.publicKey.keyID && key.publicKey.keyID.count == 16)
        let fromRaw = try SigningPublicKey(algorithm: key.algorithm, rawRepresentation: key.publicKey.rawRepresentation)
        #expect(fromRaw.isValidSignature(signature, for: Bytes.utf8("checkpoint")))
    }

    @Test func suiteNamesParseAndUnknownOnesAreRefused() throws {
        #expect(try CryptoSuiteID(parsing: " GM ") == .gm)
        #expect(try CryptoSuiteID(parsing: "intl") == .intl)
        #expect(throws: CryptographyError.unknownSuite("sm9")) { try CryptoSuiteID(parsing: "sm9") }
        #expect(CryptoSuiteID.forNewNodes == .gm)
    }
}
