import Foundation

/// The common and breached passwords a person may not choose: `Resources/seed/common-passwords.txt` (zxcvbn's list
/// of the 30,000 most common, MIT; see the README beside it), lower-case, one per line.
package enum CommonPasswords {
    /// Read once, on the first password set.
    private static let list: Result<Set<String>, SeedFileError> = SeedFileError.load("seed/common-passwords.txt") {
        data in
        Set(String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init))
    }

    /// Every listed password; throws when the resource is missing, so that a broken install refuses to set
    /// passwords rather than letting common ones through.
    package static func all() throws -> Set<String> {
        try list.get()
    }
}
