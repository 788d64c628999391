import Foundation
import HuitongCrypto
import HuitongTestSupport
import Testing

/// The node's certificate authority and its seal certificates, checked by the `openssl` command line as a verifier
/// outside Huitong would check them.
@Suite
struct SM2CertificateTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)

    static func authority() throws -> (SM2Certificate, SM2PrivateKey) {
        let key = try SM2PrivateKey.generate()
        let certificate = try SM2Certificate.selfSigned(
            SM2Certificate.Profile(
                subject: [.init("C", "CN"), .init("O", "六安市数据资源管理局"), .init("CN", "六安市 电子证照 CA")],
                serial: [0x01], notBefore: now, notAfter: now.addingTimeInterval(86_400 * 3650), isAuthority: true),
            key: key)
        return (certificate, key)
    }

    static func seal(by authority: (SM2Certificate, SM2PrivateKey)) throws -> (SM2Certificate, SM2PrivateKey) {
        let key = try SM2PrivateKey.generate()
        let certificate = try SM2Certificate.issue(
            SM2Certificate.Profile(
                subject: [
                    .init("C", "CN"), .init("O", "六安市市场监督管理局"), .init("CN", "六安市市场监督管理局 电子证照专用章"),
                    .init("serialNumber", "11341500MB1234567X"),
                ],
                serial: [0x5A, 0x01, 0xFF], notBefore: now, notAfter: now.addingTimeInterval(86_400 * 365),
                isAuthority: false),
            for: key.publicKey, by: authority.0, issuerKey: authority.1)
        return (certificate, key)
    }

    @Test func aSealCertificateVerifiesWithOpenSSLUnderTheGMUserIDAndReadsBack() throws {
        let authority = try Self.authority()
        let (seal, _) = try Self.seal(by: authority)
        let scratch = try Scratch()
        let caPath = try scratch.write("ca.pem", Array(authority.0.pemRepresentation.utf8))
        let sealPath = try scratch.write("seal.pem", Array(seal.pemRepresentation.utf8))
        let verified = try OpenSSLCommand.run([
            "verify", "-attime", "\(Int(Self.now.timeIntervalSince1970) + 60)", "-CAfile", caPath, "-vfyopt",
            OpenSSLInteropTests.distid, sealPath,
        ])
        #expect(verified.status == 0 && verified.output.contains("OK"), "\(verified)")
        let text = try OpenSSLCommand.run(["x509", "-in", sealPath, "-noout", "-text", "-nameopt", "utf8"])
        #expect(text.output.contains("SM2-with-SM3"), "\(text.output)")
        #expect(text.output.contains("Digital Signature, Non Repudiation"), "\(text.output)")
        #expect(text.output.contains("六安市市场监督管理局 电子证照专用章"), "\(text.output)")

        let read = try SM2Certificate(pemRepresentation: seal.pemRepresentation)
        #expect(read == seal)
        #expect(read.serialHex == "5A01FF")
        #expect(read.subject("CN") == "六安市市场监督管理局 电子证照专用章")
        #expect(read.subject("serialNumber") == "11341500MB1234567X")
        #expect(read.issuer.first { $0.type == "CN" }?.value == "六安市 电子证照 CA")
        #expect(read.notBefore == Self.now && read.isValid(at: Self.now.addingTimeInterval(10)))
        #expect(!read.isValid(at: Self.now.addingTimeInterval(86_400 * 366)))
        #expect(!read.isAuthority && authority.0.isAuthority)
        #expect(read.isSigned(by: authority.0))
    }

    @Test func aCertificateOfAnotherAuthorityOrAlteredIsRefused() throws {
        let authority = try Self.authority()
        let stranger = try Self.authority()
        let (seal, _) = try Self.seal(by: authority)
        #expect(!seal.isSigned(by: stranger.0), "same name, other key")
        var altered = seal.der
        // A byte inside the subject's organisation name, within the signed part.
        let marker = Array("六安市市场监督管理局".utf8)
        let index = try #require(altered.firstRange(of: marker)?.lowerBound)
        altered[index + 3] ^= 0x01
        let tampered = try SM2Certificate(der: altered)
        #expect(!tampered.isSigned(by: authority.0))

        let scratch = try Scratch()
        let caPath = try scratch.write("ca.pem", Array(stranger.0.pemRepresentation.utf8))
        let sealPath = try scratch.write("seal.pem", Array(seal.pemRepresentation.utf8))
        let refused = try OpenSSLCommand.run([
            "verify", "-attime", "\(Int(Self.now.timeIntervalSince1970) + 60)", "-CAfile", caPath, "-vfyopt",
            OpenSSLInteropTests.distid, sealPath,
        ])
        #expect(refused.status != 0)
    }

    @Test func anIssuerKeyThatIsNotTheAuthoritysAndBadBytesAreRefused() throws {
        let authority = try Self.authority()
        let other = try SM2PrivateKey.generate()
        #expect(throws: CryptographyError.self) {
            try SM2Certificate.issue(
                SM2Certificate.Profile(
                    subject: [.init("CN", "x")], serial: [1], notBefore: Self.now, notAfter: Self.now,
                    isAuthority: false),
                for: other.publicKey, by: authority.0, issuerKey: other)
        }
        #expect(throws: CryptographyError.malformedCertificate(expected: "a DER X.509 certificate")) {
            try SM2Certificate(der: [0x30, 0x03, 0x02, 0x01, 0x01])
        }
        #expect(throws: CryptographyError.self) { try SM2Certificate(pemRepresentation: "no certificate") }
    }
}
