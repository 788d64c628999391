import Foundation
import HuitongCore
import HuitongCrypto
import Testing

@Suite struct FederationTests {
    let province = try! NodeRegion("340000")
    let city = try! NodeRegion("341500")
    let county = try! NodeRegion("341502")
    let otherCity = try! NodeRegion("340100")

    @Test func regionsKnowTheirLevelAndJurisdiction() throws {
        #expect(try NodeRegion("000000").level == .national)
        #expect(province.level == .province && city.level == .city && county.level == .county)
        #expect(province.contains(county) && city.contains(county) && !otherCity.contains(county))
        #expect(NodeRegion.national.contains(county) && !county.contains(.national))
        #expect(city.codePrefix == "3415" && county.codePrefix == "341502" && province.codePrefix == "34")
        #expect(throws: FederationError.self) { try NodeRegion("991500") }
    }

    @Test func aParentMustBeAboveAndAroundTheChild() throws {
        try PeerRelation.check(.parent, local: city, peer: province)
        try PeerRelation.check(.child, local: city, peer: county)
        try PeerRelation.check(.parent, local: county, peer: province)  // a province may take a county directly
        #expect(throws: FederationError.self) { try PeerRelation.check(.parent, local: city, peer: county) }
        #expect(throws: FederationError.self) { try PeerRelation.check(.parent, local: county, peer: otherCity) }
        #expect(throws: FederationError.self) { try PeerRelation.check(.child, local: city, peer: city) }
    }

    @Test func messagesClimbAndDescendTheTree() throws {
        let atCity = FederationRoute(local: city, parent: province, children: [county])
        #expect(try atCity.nextHop(to: county) == county)
        #expect(try atCity.nextHop(to: province) == province)
        #expect(try atCity.nextHop(to: otherCity) == province)
        #expect(try atCity.nextHop(to: city) == nil)
        // Inside the city's jurisdiction but under no registered child: there is nowhere to send it.
        #expect(throws: FederationError.unknownNode("341503")) { try atCity.nextHop(to: try NodeRegion("341503")) }
        let atProvince = FederationRoute(local: province, parent: nil, children: [city])
        #expect(try atProvince.nextHop(to: county) == city)
        #expect(throws: FederationError.self) { try atProvince.nextHop(to: try NodeRegion("110000")) }
    }

    func signed(
        body: String = #"{"entries":[]}"#, from: NodeRegion? = nil, to: NodeRegion? = nil, at time: Date = Date(),
        key: NodeIdentityKey
    ) throws -> SignedFederationMessage {
        try SignedFederationMessage.sign(
            id: "6f1c2a4e-0d7b-4c55-9a51-3e8f0b1d2c3a", kind: .catalogRegistration, origin: county,
            destination: province, from: from ?? county, to: to ?? city, body: Array(body.utf8), at: time, with: key)
    }

    @Test func aSignedMessageVerifiesOnlyUnchangedFromItsSender() throws {
        let key = NodeIdentityKey.generate()
        let verifier = FederationVerifier(clockTolerance: 300)
        let message = try signed(key: key)
        try verifier.verify(message, local: city, senderKey: key.publicKey)

        var tamperedBody = message
        tamperedBody.body = Array(#"{"entries":[1]}"#.utf8)
        #expect(throws: FederationError.badDigest("341502"), "a body changed on the way, not a wrong key") {
            try verifier.verify(tamperedBody, local: city, senderKey: key.publicKey)
        }
        var redirected = message
        redirected.envelope.destination = otherCity
        #expect(throws: FederationError.badSignature("341502")) {
            try verifier.verify(redirected, local: city, senderKey: key.publicKey)
        }
        #expect(throws: FederationError.badSignature("341502")) {
            try verifier.verify(message, local: city, senderKey: NodeIdentityKey.generate().publicKey)
        }
        #expect(throws: FederationError.unknownNode("341502")) {
            try verifier.verify(message, local: city, senderKey: nil)
        }
        #expect(throws: FederationError.wrongRecipient("341500")) {
            try verifier.verify(message, local: province, senderKey: key.publicKey)
        }
    }

    /// The bytes README.md documents for another implementation: each field as a 4-byte big-endian length and
    /// its UTF-8 bytes, the time as 8 bytes big-endian, the digest as a length and its 32 bytes.
    @Test func theSignedBytesAreTheDocumentedLayout() throws {
        let message = try signed(at: Date(timeIntervalSince1970: 1_700_000_000.000001), key: .generate())
        var expected: [UInt8] = []
        func field(_ bytes: [UInt8]) {
            let count = UInt32(bytes.count)
            expected += [UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)]
            expected += bytes
        }
        let envelope = message.envelope
        for text in [
            "huitong.federation.message.v1", envelope.id, "catalog.registration", "341502", "340000", "341502",
            "341500",
        ] {
            field(Array(text.utf8))
        }
        let time = UInt64(envelope.sentAtMicroseconds)
        expected += stride(from: 56, through: 0, by: -8).map { UInt8(time >> UInt64($0) & 0xff) }
        #expect(envelope.bodyDigest.count == 32)
        field(envelope.bodyDigest)
        #expect(envelope.signedBytes == expected)
    }

    @Test func anSM2SignedHopNamesItsAlgorithmAndVerifiesOnlyWithThePeersSM2Key() throws {
        let identity = NodeIdentityKey.generate()
        let sm2 = SigningPrivateKey(sm2: try SM2PrivateKey.generate())
        let verifier = FederationVerifier(clockTolerance: 300)
        let body = Array(#"{"entries":[]}"#.utf8)
        let message = try SignedFederationMessage.sign(
            id: "6f1c2a4e-0d7b-4c55-9a51-3e8f0b1d2c3a", kind: .catalogRegistration, origin: county,
            destination: province, from: county, to: city, body: body, with: sm2)
        #expect(message.envelope.algorithm == .sm2 && message.envelope.bodyDigest == SM3.hash(body))
        let both = [identity.publicKey.signingKey, sm2.publicKey]
        try verifier.verify(message, local: city, senderKeys: both)
        #expect(throws: FederationError.keyNotRegistered(node: "341502", algorithm: .sm2)) {
            try verifier.verify(message, local: city, senderKeys: [identity.publicKey.signingKey])
        }
        // Relabelled as Ed25519 it is checked with the Ed25519 key over other bytes, and fails.
        var relabelled = message
        relabelled.envelope.algorithm = .ed25519
        #expect(throws: FederationError.badSignature("341502")) {
            try verifier.verify(relabelled, local: city, senderKeys: both)
        }
        #expect(throws: FederationError.unknownNode("341502")) {
            try verifier.verify(message, local: city, senderKeys: [])
        }
        // On the wire an Ed25519 envelope looks as it did before suites; an SM2 one names its algorithm.
        let old = try signed(key: identity).envelope
        let oldJSON = String(decoding: try JSONEncoder().encode(old), as: UTF8.self)
        #expect(!oldJSON.contains("algorithm"))
        #expect(try JSONDecoder().decode(FederationEnvelope.self, from: Data(oldJSON.utf8)) == old)
        let newJSON = try JSONEncoder().encode(message.envelope)
        #expect(String(decoding: newJSON, as: UTF8.self).contains("SM2-with-SM3"))
        #expect(try JSONDecoder().decode(FederationEnvelope.self, from: newJSON) == message.envelope)
    }

    @Test func aPeersKeysAreReadAsOperatorsPasteThem() throws {
        let identity = NodeIdentityKey.generate().publicKey.signingKey
        let sm2 = try SM2PrivateKey.generate().publicKey
        let sm2Key = SigningPublicKey(sm2: sm2)
        let stored = try PeerKeys([sm2Key, identity]).stored
        #expect(stored == "\(identity.base64) sm2:\(sm2Key.base64)")
        for pasted in [
            stored, "\(identity.base64),\n\(sm2.pemRepresentation)", "\(sm2.pemRepresentation)\n\(identity.base64)",
            "\(identity.base64) \(Data(sm2.subjectPublicKeyInfo).base64EncodedString())",
        ] {
            let keys = try PeerKeys(parsing: pasted)
            #expect(keys.keys == [identity, sm2Key] && keys.sm2 == sm2, "\(pasted)")
        }
        #expect(try PeerKeys(parsing: identity.base64).sm2 == nil, "an intl peer registers its Ed25519 key alone")
        for (pasted, says) in [
            ("", "required"), ("not base64!", "base64"), ("AAAA", "bytes"),
            ("\(identity.base64) \(NodeIdentityKey.generate().publicKey.base64)", "one key per algorithm"),
            ("-----BEGIN PUBLIC KEY-----\nMFkw", "PEM"),
        ] {
            let problem = #expect(throws: PeerKeys.Problem.self) { try PeerKeys(parsing: pasted) }
            #expect(problem?.message.en.contains(says) == true, "\(pasted): \(problem?.message.en ?? "")")
        }
    }

    @Test func clocksMayDriftWithinTheTolerance() throws {
        let key = NodeIdentityKey.generate()
        let verifier = FederationVerifier(clockTolerance: 300)
        let now = Date()
        try verifier.verify(
            try signed(at: now.addingTimeInterval(-290), key: key), local: city, senderKey: key.publicKey, now: now)
        try verifier.verify(
            try signed(at: now.addingTimeInterval(290), key: key), local: city, senderKey: key.publicKey, now: now)
        #expect(throws: FederationError.clockSkew(seconds: 400, tolerance: 300)) {
            try verifier.verify(
                try signed(at: now.addingTimeInterval(-400), key: key), local: city, senderKey: key.publicKey, now: now)
        }
    }

    @Test func retriesBackOffExponentiallyUpToACap() {
        let schedule = RetrySchedule(initialDelay: 2, multiplier: 2, maximumDelay: 60, jitter: 0.2)
        #expect(schedule.delay(afterFailures: 1, unit: 0.5) == 2)
        #expect(schedule.delay(afterFailures: 4, unit: 0.5) == 16)
        #expect(schedule.delay(afterFailures: 50, unit: 0.5) == 60)
        #expect(schedule.delay(afterFailures: 4, unit: 0) == 16 * 0.8)
        #expect(schedule.delay(afterFailures: 4, unit: 0.999_999) <= 16 * 1.2)
        #expect(schedule.delay(afterFailures: 10_000, unit: 0.999) == 60)
    }

    @Test func upperCodesKeepThePathAndNameTheOrigin() throws {
        #expect(try CodeMapping.upperCode(for: "101001/0003", from: county) == "101001/3415020003")
        #expect(
            try CodeMapping.upperCode(for: "101001/0003", from: city)
                != CodeMapping.upperCode(for: "101001/0003", from: county))
        #expect(throws: FederationError.self) { try CodeMapping.upperCode(for: "nonsense", from: county) }
    }

    @Test func aReflowBatchCarriesOnlyTheReceiversRecords() throws {
        var batch = ReflowBatch(
            runID: "run-1", sourceCode: "101001/0001", sourceVersion: 3, regionColumn: "xzqh", regionPrefix: "341502",
            columns: ["sfzh", "xm", "xzqh"], keyColumns: ["sfzh"], sequence: 0, isLast: true,
            rows: [["341502199001011234", "张三", "341502"]])
        try batch.check()
        batch.rows.append(["341503199001011234", "李四", "341503"])
        #expect(throws: FederationError.self) { try batch.check() }
        batch.rows = [["341502199001011234", "张三"]]
        #expect(throws: FederationError.self) { try batch.check() }
        batch.rows = []
        batch.sequence = -1
        #expect(throws: FederationError.self) { try batch.check() }
    }

    @Test func standInCodesFitAndNeverCollide() {
        let short = RemoteConsumer(name: "民政局", code: "MZJ", creditCode: nil, regionCode: "341502")
        #expect(short.localCode(origin: county) == "N341502-MZJ")
        let long1 = RemoteConsumer(
            name: "甲", code: "DEPARTMENT-OF-CIVIL-AFFAIRS-A1", creditCode: nil, regionCode: "341502")
        let long2 = RemoteConsumer(
            name: "乙", code: "DEPARTMENT-OF-CIVIL-AFFAIRS-B2", creditCode: nil, regionCode: "341502")
        let (a, b) = (long1.localCode(origin: county), long2.localCode(origin: county))
        #expect(a.count <= 32 && b.count <= 32)
        #expect(a != b, "codes sharing their first characters keep distinct stand-ins")
        #expect(a == long1.localCode(origin: county), "and the same code always maps alike")
    }
}
