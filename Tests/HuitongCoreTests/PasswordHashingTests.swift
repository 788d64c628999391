import HuitongCore
import HuitongCrypto
import Testing

@Suite("Password hashes under the crypto suites")
struct PasswordHashingTests {
    @Test("PBKDF2-HMAC-SM3 is stored as pbkdf2-sm3$iterations$salt$hash with the §1.7 vector inside")
    func storedForm() throws {
        let stored = try PasswordHashing.pbkdf2SM3("password", iterations: 1000, salt: Array("salt".utf8))
        // e8b635a4…3d00bc91 of domain-services.md §1.7 (P=password, S=salt, c=1000), in unpadded base64.
        #expect(stored == "pbkdf2-sm3$1000$c2FsdA$6LY1pB3+Wqq3z4KM/282COIsrFm6Fu3XDgALKT0AvJE")
        #expect(PasswordHashing.verifyPBKDF2SM3("password", against: stored) == true)
        #expect(PasswordHashing.verifyPBKDF2SM3("Password", against: stored) == false)
        #expect(PasswordHashing.algorithm(of: stored) == .pbkdf2SM3(iterations: 1000))
    }

    @Test("every new hash has its own salt, and a changed field no longer verifies")
    func saltsAndTampering() throws {
        let first = try PasswordHashing.pbkdf2SM3("correct horse", iterations: 1000)
        let second = try PasswordHashing.pbkdf2SM3("correct horse", iterations: 1000)
        #expect(first != second)
        #expect(PasswordHashing.verifyPBKDF2SM3("correct horse", against: second) == true)
        let fewer = first.replacingOccurrences(of: "$1000$", with: "$1001$")
        #expect(PasswordHashing.verifyPBKDF2SM3("correct horse", against: fewer) == false)
    }

    @Test("bcrypt and malformed hashes are told apart from PBKDF2 ones")
    func algorithms() {
        let bcrypt = "$2b$04$abcdefghijklmnopqrstuuJ0vHnE3BvVYB2.dEc.eVzQ9Xz6dUJmq"
        #expect(PasswordHashing.algorithm(of: bcrypt) == .bcrypt)
        #expect(PasswordHashing.verifyPBKDF2SM3("x", against: bcrypt) == nil)
        for malformed in [
            "", "pbkdf2-sm3$1000$c2FsdA", "pbkdf2-sm3$10$c2FsdA$6LY1pB3+Wqq3z4KM/282COIsrFm6Fu3XDgALKT0AvJE",
            "pbkdf2-sha256$1000$c2FsdA$6LY1pB3+Wqq3z4KM/282COIsrFm6Fu3XDgALKT0AvJE", "pbkdf2-sm3$1000$c2FsdA$AAAA",
        ] {
            #expect(PasswordHashing.algorithm(of: malformed) == .unknown, "\(malformed)")
        }
    }

    @Test("a hash the node no longer makes is due for replacement at its next sign-in")
    func rehashing() throws {
        let bcrypt = "$2b$04$abcdefghijklmnopqrstuuJ0vHnE3BvVYB2.dEc.eVzQ9Xz6dUJmq"
        let pbkdf2 = try PasswordHashing.pbkdf2SM3("p", iterations: 2000)
        #expect(PasswordHashing.needsRehash(bcrypt, suite: .gm, iterations: 2000))
        #expect(!PasswordHashing.needsRehash(pbkdf2, suite: .gm, iterations: 2000))
        #expect(PasswordHashing.needsRehash(pbkdf2, suite: .gm, iterations: 3000), "more iterations asked for")
        #expect(!PasswordHashing.needsRehash(pbkdf2, suite: .gm, iterations: 1000), "never fewer")
        #expect(!PasswordHashing.needsRehash(bcrypt, suite: .intl, iterations: 2000))
        #expect(PasswordHashing.needsRehash(pbkdf2, suite: .intl, iterations: 2000))
    }
}
