import Foundation
import HuitongCore
import HuitongCrypto
import Synchronization
import Testing

@testable import HuitongFederation

/// The encryption of 回流 and routed calls on a 国密 link, below the HTTP layer.
@Suite("link sealing (SM2 session keys, HT1 bodies)")
struct LinkSealingTests {
    static let hop = HopHeader(
        id: "run-0001-0", kind: .reflowBatch, origin: .national, destination: try! NodeRegion("341502"),
        from: try! NodeRegion("340000"), to: try! NodeRegion("341500"))

    static func wrappedKey(_ sealed: String) -> Substring {
        sealed.dropFirst(LinkSealer.prefix.count).split(separator: ".")[0]
    }

    @Test("a peer's session key is encrypted to it once an hour, and a new key of the peer gets a new session at once")
    func sessions() throws {
        let now = Mutex(ContinuousClock.now)
        let sender = LinkSealer(decryption: [], clock: { now.withLock { $0 } })
        let city = try SM2PrivateKey.generate()
        let receiver = LinkSealer(decryption: [city])
        let first = try sender.seal(#"{"rows":1}"#, Self.hop, to: city.publicKey)
        let second = try sender.seal(#"{"rows":2}"#, Self.hop, to: city.publicKey)
        #expect(Self.wrappedKey(first) == Self.wrappedKey(second), "SM2 is paid once per peer, not per message")
        #expect(first != second, "each body has its own IV")
        #expect(try receiver.open(first, Self.hop) == #"{"rows":1}"#)
        #expect(try receiver.open(second, Self.hop) == #"{"rows":2}"#)

        now.withLock { $0 += .seconds(3601) }
        let later = try sender.seal(#"{"rows":3}"#, Self.hop, to: city.publicKey)
        #expect(Self.wrappedKey(later) != Self.wrappedKey(first), "a new session after an hour")
        #expect(try receiver.open(later, Self.hop) == #"{"rows":3}"#)

        let rotated = try SM2PrivateKey.generate()
        let forRotated = try sender.seal("{}", Self.hop, to: rotated.publicKey)
        #expect(Self.wrappedKey(forRotated) != Self.wrappedKey(later))
        #expect(throws: FederationError.self, "the old key cannot open what was sealed to the new one") {
            try receiver.open(forRotated, Self.hop)
        }
        #expect(try LinkSealer(decryption: [rotated]).open(forRotated, Self.hop) == "{}")
        // After its rotation the city keeps the retired key beside the new one: what was sealed before still opens.
        let afterRotation = LinkSealer(decryption: [rotated, city])
        #expect(try afterRotation.open(later, Self.hop) == #"{"rows":3}"#)
        #expect(try afterRotation.open(forRotated, Self.hop) == "{}")
    }

    @Test("a sealed body opens only unchanged, on the hop it was sealed for, at the node it was sealed to")
    func integrity() throws {
        let city = try SM2PrivateKey.generate()
        let sealed = try LinkSealer(decryption: []).seal("回流甲 341502199001010011", Self.hop, to: city.publicKey)
        #expect(!sealed.contains("回流甲") && !sealed.contains("341502199001010011"))
        let receiver = LinkSealer(decryption: [city])
        #expect(try receiver.open("{\"clear\": true}", Self.hop) == nil, "a clear body is not taken for a sealed one")

        var otherHop = Self.hop
        otherHop.to = try NodeRegion("341800")
        let moved = #expect(throws: FederationError.self) { try receiver.open(sealed, otherHop) }
        #expect(moved?.message.en.contains("integrity") == true)

        var bytes = Array(Data(base64Encoded: String(sealed.split(separator: ".")[1]))!)
        bytes[bytes.count / 2] ^= 1
        let tampered = sealed.split(separator: ".")[0] + "." + Data(bytes).base64EncodedString()
        let changed = #expect(throws: FederationError.self) { try receiver.open(String(tampered), Self.hop) }
        #expect(changed?.message.en.contains("HMAC-SM3") == true)

        let garbled = #expect(throws: FederationError.self) { try receiver.open(LinkSealer.prefix + "%%", Self.hop) }
        #expect(garbled?.message.en.contains("malformed") == true)
        let keyless = #expect(throws: FederationError.self) { try LinkSealer(decryption: []).open(sealed, Self.hop) }
        #expect(keyless?.message.en.contains("no SM2 key") == true)
    }
}
