import Foundation
import HuitongCrypto
import HuitongTestSupport
import Testing

/// A folder of files for one test, removed afterwards.
final class Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("huitong-gm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: url.appendingPathComponent(name))
        return path(name)
    }

    func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: url.appendingPathComponent(name))) }
}

/// Our primitives against the `openssl` command line (OpenSSL 3), the outside tool a 密评 assessor would use.
@Suite
struct OpenSSLInteropTests {
    static let distid = "distid:1234567812345678"

    @Test func ourSM2SignatureVerifiesWithOpenSSLOnlyUnderTheGMDefaultID() throws {
        let scratch = try Scratch()
        let key = try SM2PrivateKey.generate()
        let message = Array("huitong.audit.checkpoint 汇通".utf8)
        let messagePath = try scratch.write("m", message)
        let signaturePath = try scratch.write("m.sig", try key.signature(for: message))
        let publicPath = try scratch.write("p.pem", Array(key.publicKey.pemRepresentation.utf8))
        let verified = try OpenSSLCommand.run([
            "pkeyutl", "-verify", "-pubin", "-inkey", publicPath, "-rawin", "-digest", "sm3", "-pkeyopt",
            Self.distid, "-in", messagePath, "-sigfile", signaturePath,
        ])
        #expect(verified.status == 0 && verified.output.contains("Signature Verified Successfully"), "\(verified)")
        let withoutID = try OpenSSLCommand.run([
            "pkeyutl", "-verify", "-pubin", "-inkey", publicPath, "-rawin", "-digest", "sm3", "-in", messagePath,
            "-sigfile", signaturePath,
        ])
        #expect(withoutID.status != 0, "OpenSSL's empty default ID must not verify our signature: \(withoutID)")
    }

    @Test func anOpenSSLMadeSM2KeyAndSignatureVerifyWithOurs() throws {
        let scratch = try Scratch()
        let keyPath = scratch.path("k.pem")
        let generated = try OpenSSLCommand.run([
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", keyPath,
        ])
        try #require(generated.status == 0, "\(generated)")
        let message = Array("a cascade message".utf8)
        let messagePath = try scratch.write("m", message)
        let signed = try OpenSSLCommand.run([
            "pkeyutl", "-sign", "-inkey", keyPath, "-rawin", "-digest", "sm3", "-pkeyopt", Self.distid, "-in",
            messagePath, "-out", scratch.path("m.sig"),
        ])
        try #require(signed.status == 0, "\(signed)")
        let publicOut = try OpenSSLCommand.run(["pkey", "-in", keyPath, "-pubout", "-out", scratch.path("p.pem")])
        try #require(publicOut.status == 0, "\(publicOut)")
        let publicKey = try SM2PublicKey(
            pemRepresentation: String(decoding: try scratch.read("p.pem"), as: UTF8.self))
        let signature = try scratch.read("m.sig")
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: Array("a cascade messagE".utf8)))
        let privateKey = try SM2PrivateKey(
            pemRepresentation: String(decoding: try scratch.read("k.pem"), as: UTF8.self))
        #expect(privateKey.publicKey == publicKey, "the PKCS#8 file openssl writes is the key file format we read")
    }

    @Test func openSSLDigestEqualsOurSM3() throws {
        let scratch = try Scratch()
        for length in [0, 3, 64, 1000, 65_537] {
            let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let path = try scratch.write("d\(length)", data)
            let digest = try OpenSSLCommand.run(["dgst", "-sm3", "-r", path])
            try #require(digest.status == 0, "\(digest)")
            #expect(
                digest.output.hasPrefix(Bytes.hexString(SM3.hash(data)) + " "), "length \(length): \(digest.output)")
        }
    }

    @Test func openSSLHMACWithSM3EqualsOurs() throws {
        let scratch = try Scratch()
        let data = Array("what do ya want for nothing?".utf8)
        let path = try scratch.write("d", data)
        let mac = try OpenSSLCommand.run(["dgst", "-sm3", "-hmac", "Jefe", "-r", path])
        try #require(mac.status == 0, "\(mac)")
        #expect(mac.output.hasPrefix(Bytes.hexString(HMACSM3.authenticationCode(for: data, key: Array("Jefe".utf8)))))
    }

    @Test func openSSLKDFsEqualOurPBKDF2AndHKDFWithSM3() throws {
        let pbkdf2 = try OpenSSLCommand.run([
            "kdf", "-keylen", "32", "-kdfopt", "digest:SM3", "-kdfopt", "pass:password", "-kdfopt", "salt:salt",
            "-kdfopt", "iter:1000", "PBKDF2",
        ])
        try #require(pbkdf2.status == 0, "\(pbkdf2)")
        let ours = try PBKDF2SM3.deriveKey(
            password: Bytes.utf8("password"), salt: Bytes.utf8("salt"), iterations: 1000, byteCount: 32)
        #expect(pbkdf2.output.replacingOccurrences(of: ":", with: "").lowercased().contains(Bytes.hexString(ours)))
        let hkdf = try OpenSSLCommand.run([
            "kdf", "-keylen", "32", "-kdfopt", "digest:SM3", "-kdfopt", "hexkey:000102030405", "-kdfopt",
            "hexsalt:0a0b", "-kdfopt", "hexinfo:68756974", "HKDF",
        ])
        try #require(hkdf.status == 0, "\(hkdf)")
        let derived = try HKDFSM3.deriveKey(
            inputKeyMaterial: Array(0...5), salt: [0x0a, 0x0b], info: Bytes.utf8("huit"), byteCount: 32)
        #expect(hkdf.output.replacingOccurrences(of: ":", with: "").lowercased().contains(Bytes.hexString(derived)))
    }

    @Test func ourSM4CBCDecryptsWithOpenSSLAndTheirsWithOurs() throws {
        let scratch = try Scratch()
        let key = Bytes.hex("0123456789abcdeffedcba9876543210")
        let iv = Bytes.hex("00112233445566778899aabbccddeeff")
        let plaintext = Array("身份证号 110101199003071234, phone 13800138000".utf8)
        let ours = try scratch.write("c", try SM4.encryptCBC(key: key, iv: iv, plaintext: plaintext))
        let decrypted = try OpenSSLCommand.run([
            "enc", "-d", "-sm4-cbc", "-K", Bytes.hexString(key), "-iv", Bytes.hexString(iv), "-in", ours, "-out",
            scratch.path("p"),
        ])
        try #require(decrypted.status == 0, "\(decrypted)")
        #expect(try scratch.read("p") == plaintext)
        let encrypted = try OpenSSLCommand.run([
            "enc", "-sm4-cbc", "-K", Bytes.hexString(key), "-iv", Bytes.hexString(iv), "-in", scratch.path("p"),
            "-out", scratch.path("c2"),
        ])
        try #require(encrypted.status == 0, "\(encrypted)")
        #expect(try SM4.decryptCBC(key: key, iv: iv, ciphertext: try scratch.read("c2")) == plaintext)
    }

    @Test func sm2EncryptionInteroperatesBothWays() throws {
        let scratch = try Scratch()
        let key = try SM2PrivateKey.generate()
        let keyPath = try scratch.write("k.pem", Array(key.pemRepresentation.utf8))
        let sessionKey: [UInt8] = Array(100..<148)
        let ours = try scratch.write("c", try key.publicKey.encrypt(sessionKey))
        let decrypted = try OpenSSLCommand.run([
            "pkeyutl", "-decrypt", "-inkey", keyPath, "-in", ours, "-out", scratch.path("p"),
        ])
        try #require(decrypted.status == 0, "\(decrypted)")
        #expect(try scratch.read("p") == sessionKey)
        let publicPath = try scratch.write("pub.pem", Array(key.publicKey.pemRepresentation.utf8))
        let encrypted = try OpenSSLCommand.run([
            "pkeyutl", "-encrypt", "-pubin", "-inkey", publicPath, "-in", scratch.path("p"), "-out", scratch.path("c2"),
        ])
        try #require(encrypted.status == 0, "\(encrypted)")
        #expect(try key.decrypt(try scratch.read("c2")) == sessionKey)
    }
}
