import Foundation

/// A display-masking rule (domain.md §4.3): which characters of a value stay visible.
///
/// The defaults are those of the widely used Hutool `DesensitizedUtil`; bureaus may configure others, so rules are
/// values, not code paths.
public enum MaskingRule: Sendable, Hashable, Codable {
    /// Keep the first `first` and last `last` characters; replace the rest with `*`.
    case keep(first: Int, last: Int)
    /// Mask the trailing `count` characters (addresses).
    case maskTail(count: Int)
    /// Keep the first character of the local part of an e-mail address, mask the rest of it.
    case email
    /// Keep the first 4 and last 4 digits, masked digits in groups of four (bank cards).
    case bankCard
    /// Replace everything.
    case all
    /// Show the value as it is.
    case none

    /// The default rule for a semantic kind of data item.
    public static func `default`(for kind: SemanticKind) -> MaskingRule {
        switch kind {
        case .personName: .keep(first: 1, last: 0)
        case .residentID: .keep(first: 1, last: 2)
        case .mobilePhone: .keep(first: 3, last: 4)
        case .address: .maskTail(count: 8)
        case .bankCard: .bankCard
        case .email: .email
        case .licensePlate: .keep(first: 3, last: 1)
        case .creditCode, .regionCode, .other: .none
        }
    }

    public func apply(to value: String) -> String {
        let characters = Array(value)
        switch self {
        case .none:
            return value
        case .all:
            return String(repeating: "*", count: characters.count)
        case .keep(let first, let last):
            guard characters.count > first + last else {
                // Too short to show anything safely: keep at most the first character.
                return characters.isEmpty
                    ? "" : String(characters[0]) + String(repeating: "*", count: characters.count - 1)
            }
            return String(characters.prefix(first))
                + String(repeating: "*", count: characters.count - first - last) + String(characters.suffix(last))
        case .maskTail(let count):
            let kept = max(0, characters.count - count)
            let visible = kept == 0 ? min(1, characters.count) : kept
            return String(characters.prefix(visible)) + String(repeating: "*", count: characters.count - visible)
        case .email:
            guard let at = characters.firstIndex(of: "@"), at > 0 else { return MaskingRule.all.apply(to: value) }
            return String(characters[0]) + String(repeating: "*", count: at - 1) + String(characters[at...])
        case .bankCard:
            let digits = characters.filter { $0 != " " }
            guard digits.count > 8 else { return MaskingRule.all.apply(to: value) }
            let masked =
                Array(digits.prefix(4)) + Array(repeating: "*", count: digits.count - 8) + Array(digits.suffix(4))
            return stride(from: 0, to: masked.count, by: 4).map { String(masked[$0..<min($0 + 4, masked.count)]) }
                .joined(separator: " ")
        }
    }
}
