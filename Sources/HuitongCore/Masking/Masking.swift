import Foundation

/// A display-masking rule (domain.md §4.3): which characters of a value stay visible.
///
/// The defaults are those of the widely used Hutool `DesensitizedUtil`; bureaus may configure others
/// (`MaskingPolicy`), so rules are values, not code paths. Rules count characters as people see them (a Chinese
/// character or an emoji is one), and never show more than the rule allows: a value too short for its rule shows
/// fewer characters, not all of them.
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
    /// Replace the value by its keyed pseudonym for the consumer (`Pseudonymizer`), so that it can still join.
    case pseudonym

    /// The 身份证号 rule many bureaus use instead of Hutool's: the region and the check part stay visible.
    public static let residentIDFirst6Last4 = MaskingRule.keep(first: 6, last: 4)

    /// The default rule for a semantic kind of data item: Hutool's. A node's configured rules are in
    /// `MaskingPolicy`; this stays the built-in fallback.
    public static func `default`(for kind: SemanticKind) -> MaskingRule {
        switch kind {
        case .personName: .keep(first: 1, last: 0)
        case .residentID: .keep(first: 1, last: 2)
        case .mobilePhone: .keep(first: 3, last: 4)
        case .landline: .keep(first: 4, last: 2)
        case .address: .maskTail(count: 8)
        case .bankCard: .bankCard
        case .email: .email
        case .licensePlate: .keep(first: 3, last: 1)
        case .creditCode, .regionCode, .other: .none
        }
    }

    /// The value as a caller without clearance may see it. `.pseudonym` has no key here, so it hides everything.
    public func apply(to value: String) -> String {
        apply(to: value, pseudonymizer: nil)
    }

    /// The value as a caller without clearance may see it; `.pseudonym` uses `pseudonymizer` (the consumer's),
    /// and hides everything when there is none rather than show the value.
    public func apply(to value: String, pseudonymizer: Pseudonymizer?) -> String {
        if value.isEmpty { return value }
        switch self {
        case .none:
            return value
        case .all:
            return MaskedText.stars(MaskedText.characterCount(value))
        case .keep(let first, let last):
            return MaskedText.keep(value, first: max(0, first), last: max(0, last))
        case .maskTail(let count):
            if count <= 0 { return value }
            let length = MaskedText.characterCount(value)
            let shown = length - count
            // A value no longer than the masked tail would otherwise come out whole: hide all of it.
            guard shown > 0 else { return MaskedText.stars(length) }
            return MaskedText.keep(value, first: shown, last: 0, length: length)
        case .email:
            return MaskedText.email(value)
        case .bankCard:
            return MaskedText.bankCard(value)
        case .pseudonym:
            return pseudonymizer?.pseudonym(for: value) ?? MaskedText.stars(MaskedText.characterCount(value))
        }
    }
}

/// The string work behind `MaskingRule`. The gateway masks every cell it serves, so ASCII values (phone numbers,
/// ID numbers, e-mail addresses: most of them) are handled as bytes, without grapheme breaking.
enum MaskedText {
    static func isASCII(_ value: String) -> Bool {
        value.utf8.withContiguousStorageIfAvailable { bytes in bytes.allSatisfy { $0 < 0x80 } }
            ?? value.utf8.allSatisfy { $0 < 0x80 }
    }

    static func characterCount(_ value: String) -> Int {
        isASCII(value) ? value.utf8.count : value.count
    }

    static func stars(_ count: Int) -> String {
        String(repeating: "*", count: max(0, count))
    }

    /// Keeps `first` leading and `last` trailing characters. When the value has no more characters than that,
    /// fewer than half of them stay visible (at least one is always hidden), so that a short or truncated value
    /// is not shown whole.
    static func keep(_ value: String, first: Int, last: Int, length: Int? = nil) -> String {
        let ascii = isASCII(value)
        let length = length ?? (ascii ? value.utf8.count : value.count)
        var first = first
        var last = last
        if length <= first + last {
            let budget = (length - 1) / 2
            first = min(first, budget)
            last = min(last, budget - first)
        }
        let hidden = length - first - last
        if ascii {
            return String(unsafeUninitializedCapacity: length) { buffer in
                let utf8 = value.utf8
                var written = 0
                for byte in utf8.prefix(first) {
                    buffer[written] = byte
                    written += 1
                }
                for _ in 0..<hidden {
                    buffer[written] = UInt8(ascii: "*")
                    written += 1
                }
                for byte in utf8.suffix(last) {
                    buffer[written] = byte
                    written += 1
                }
                return written
            }
        }
        return String(value.prefix(first)) + stars(hidden) + String(value.suffix(last))
    }

    /// `duandazhi-jack@gmail.com.cn` → `d*************@gmail.com.cn`. The domain stays, the local part keeps its
    /// first character only (none when it has just one); a value without a local part is hidden whole.
    static func email(_ value: String) -> String {
        if isASCII(value), let masked = value.utf8.withContiguousStorageIfAvailable(asciiEmail) { return masked }
        // `@` is ASCII, so it cannot appear inside a multi-byte character: a byte search is exact. The last `@`
        // separates the domain, as a quoted local part may contain others.
        guard let at = value.utf8.lastIndex(of: UInt8(ascii: "@")), at != value.utf8.startIndex else {
            return stars(characterCount(value))
        }
        let local = value[..<at]
        let localLength = local.utf8.allSatisfy { $0 < 0x80 } ? local.utf8.count : local.count
        guard localLength > 1 else { return "*" + value[at...] }
        return String(local.prefix(1)) + stars(localLength - 1) + value[at...]
    }

    /// `6222021234567890123` → `6222 **** **** ***0 123`: spaces and hyphens are dropped, the first and last four
    /// digits stay, and the result is grouped by four from the start as cards are printed. A number of eight
    /// digits or fewer would show whole, so it is hidden whole.
    static func bankCard(_ value: String) -> String {
        if isASCII(value), let masked = value.utf8.withContiguousStorageIfAvailable(asciiBankCard) { return masked }
        var digits: [Character] = []
        digits.reserveCapacity(value.utf8.count)
        for character in value where !(character.isWhitespace || character == "-") { digits.append(character) }
        let visible = digits.count > 8
        var result = ""
        result.reserveCapacity(digits.count + digits.count / 4)
        for (index, digit) in digits.enumerated() {
            if index > 0 && index % 4 == 0 { result.append(" ") }
            result.append(visible && (index < 4 || index >= digits.count - 4) ? digit : "*")
        }
        return result
    }

    private static func asciiEmail(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")), at > 0 else { return stars(bytes.count) }
        return String(unsafeUninitializedCapacity: bytes.count) { output in
            output[0] = at > 1 ? bytes[0] : UInt8(ascii: "*")
            for index in 1..<at { output[index] = UInt8(ascii: "*") }
            for index in at..<bytes.count { output[index] = bytes[index] }
            return bytes.count
        }
    }

    private static func asciiBankCard(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        func isSeparator(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") || (0x09...0x0d).contains(byte)
        }
        let count = bytes.reduce(0) { isSeparator($1) ? $0 : $0 + 1 }
        if count == 0 { return "" }
        let visible = count > 8
        return String(unsafeUninitializedCapacity: count + (count - 1) / 4) { output in
            var written = 0
            var index = 0
            for byte in bytes where !isSeparator(byte) {
                if index > 0 && index % 4 == 0 {
                    output[written] = UInt8(ascii: " ")
                    written += 1
                }
                output[written] = visible && (index < 4 || index >= count - 4) ? byte : UInt8(ascii: "*")
                written += 1
                index += 1
            }
            return written
        }
    }
}
