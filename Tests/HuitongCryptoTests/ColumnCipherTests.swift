import Foundation
import HuitongCrypto
import HuitongTestSupport
import Testing

/// The deterministic column cipher of pools encrypted at rest (SM4-CTR from an HMAC-SM3 synthetic IV).
@Suite
struct ColumnCipherTests {
    static let material = Array(0..<UInt8(48))
    static let cipher = try! ColumnCipher(keyMaterial: material)
    static let column = Array("pool 7 sfzhm".utf8)

    @Test func aValueEncryptsTheSameEveryTimeAndOpensOnlyInItsOwnColumnUnderItsOwnKey() throws {
        let id = "11010519491231002X"
        let stored = try Self.cipher.encrypt(id, context: Self.column)
        #expect(stored.hasPrefix("HC1:") && !stored.contains(id))
        #expect(stored.count == 4 + 48, "16 bytes of IV and 18 of ciphertext, in base64")
        #expect(
            try Self.cipher.encrypt(id, context: Self.column) == stored, "equal values, equal ciphertext: the index")
        #expect(try Self.cipher.encrypt("110105195001010018", context: Self.column) != stored)
        #expect(try Self.cipher.decrypt(stored, context: Self.column) == id)
        for value in ["", "张三", String(repeating: "长", count: 300)] {
            #expect(
                try Self.cipher.decrypt(try Self.cipher.encrypt(value, context: Self.column), context: Self.column)
                    == value)
        }
        #expect(throws: CryptographyError.authenticationFailed) {
            try Self.cipher.decrypt(stored, context: Array("pool 7 sjhm".utf8))
        }
        let otherKey = try ColumnCipher(keyMaterial: Array(repeating: 7, count: 48))
        #expect(throws: CryptographyError.authenticationFailed) { try otherKey.decrypt(stored, context: Self.column) }
        var bytes = Array(Data(base64Encoded: String(stored.dropFirst(4)))!)
        bytes[bytes.count - 1] ^= 1
        #expect(throws: CryptographyError.authenticationFailed) {
            try Self.cipher.decrypt("HC1:" + Data(bytes).base64EncodedString(), context: Self.column)
        }
        #expect(throws: CryptographyError.malformedEnvelope) { try Self.cipher.decrypt(id, context: Self.column) }
    }

    /// An assessor can check the construction with openssl alone: the IV is the HMAC-SM3 of label, context and
    /// value, and the rest is `openssl enc -sm4-ctr` from that IV.
    @Test func openSSLReproducesTheIVAndDecryptsTheCiphertext() throws {
        let scratch = try Scratch()
        let id = "11010519491231002X"
        let bytes = Array(Data(base64Encoded: String(try Self.cipher.encrypt(id, context: Self.column).dropFirst(4)))!)
        let (iv, ciphertext) = (Array(bytes.prefix(16)), Array(bytes.dropFirst(16)))
        let count = UInt8(Self.column.count)
        let message = try scratch.write("m", Array("HC1".utf8) + [0, 0, 0, count] + Self.column + Array(id.utf8))
        let mac = try OpenSSLCommand.run([
            "mac", "-digest", "SM3", "-macopt", "hexkey:" + Bytes.hexString(Array(Self.material.suffix(32))), "-in",
            message, "HMAC",
        ])
        try #require(mac.status == 0, "\(mac)")
        #expect(mac.output.lowercased().hasPrefix(Bytes.hexString(iv)))
        let decrypted = try OpenSSLCommand.run([
            "enc", "-d", "-sm4-ctr", "-K", Bytes.hexString(Array(Self.material.prefix(16))), "-iv",
            Bytes.hexString(iv), "-in", try scratch.write("c", ciphertext), "-out", scratch.path("p"),
        ])
        try #require(decrypted.status == 0, "\(decrypted)")
        #expect(String(decoding: try scratch.read("p"), as: UTF8.self) == id)
    }
}
