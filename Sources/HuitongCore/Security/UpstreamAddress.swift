import Foundation

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, parsed without any I/O.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// An address written the usual way: four decimal numbers 0–255 without leading zeros, or an IPv6 literal
    /// (brackets allowed, no zone). Every other spelling is nil.
    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        if let v4 = Self.canonicalIPv4(text) {
            bytes = v4
        } else if let v6 = Self.ipv6(text) {
            bytes = v6
        } else {
            return nil
        }
    }

    /// A host as a resolver reading numbers would take it (`inet_aton`): `2130706433`, `0x7f.1`, `0177.0.0.1`
    /// and `127.1` all mean 127.0.0.1. Nil for anything that is not numeric.
    public static func lenient(_ host: String) -> IPAddress? {
        if let strict = IPAddress(host) { return strict }
        var text = Substring(host)
        if text.hasSuffix(".") { text = text.dropLast() }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard let number = numericPart(part) else { return nil }
            numbers.append(number)
        }
        var value: UInt64 = 0
        for (index, number) in numbers.enumerated() {
            let isLast = index == numbers.count - 1
            if isLast {
                let remaining = 4 - index
                guard number < (UInt64(1) << (8 * UInt64(remaining))) else { return nil }
                value = value << (8 * UInt64(remaining)) | number
            } else {
                guard number <= 255 else { return nil }
                value = value << 8 | number
            }
        }
        return IPAddress(bytes: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * (3 - $0))) })
    }

    /// Whether this is how a resolver would read `host` while it is not the usual spelling of an address.
    public static func isOddSpelling(_ host: String) -> Bool {
        IPAddress(host) == nil && lenient(host) != nil
    }

    public var isIPv4: Bool { bytes.count == 4 }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        // The longest run of two or more zero groups becomes "::".
        var best: (start: Int, length: Int) = (-1, 0)
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > best.length { best = (index, end - index) }
                index = end
            } else {
                index += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard best.length >= 2 else { return hex(0..<8) }
        return hex(0..<best.start) + "::" + hex((best.start + best.length)..<8)
    }

    private static func numericPart(_ part: Substring) -> UInt64? {
        guard !part.isEmpty, part.count <= 12 else { return nil }
        let lower = part.lowercased()
        if lower.hasPrefix("0x") {
            let digits = lower.dropFirst(2)
            return digits.isEmpty ? 0 : UInt64(digits, radix: 16)
        }
        if lower.count > 1 && lower.hasPrefix("0") { return UInt64(lower.dropFirst(), radix: 8) }
        guard lower.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(lower)
    }

    private static func canonicalIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || !part.hasPrefix("0"), let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func ipv6(_ text: Substring) -> [UInt8]? {
        guard text.contains(":"), !text.contains("%"), text.count <= 45 else { return nil }
        func groups(_ side: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
            if side.isEmpty { return [] }
            let pieces = side.split(separator: ":", omittingEmptySubsequences: false)
            var result: [UInt16] = []
            for (index, piece) in pieces.enumerated() {
                if allowIPv4Tail && index == pieces.count - 1 && piece.contains(".") {
                    guard let v4 = canonicalIPv4(piece) else { return nil }
                    result.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    result.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit),
                    let value = UInt16(piece, radix: 16)
                else { return nil }
                result.append(value)
            }
            return result
        }
        var all: [UInt16]
        if let gap = text.range(of: "::") {
            let head = text[..<gap.lowerBound]
            let tail = text[gap.upperBound...]
            guard !tail.contains("::"), let first = groups(head, allowIPv4Tail: false),
                let last = groups(tail, allowIPv4Tail: true), first.count + last.count <= 7
            else { return nil }
            all = first + Array(repeating: 0, count: 8 - first.count - last.count) + last
        } else {
            guard let every = groups(text, allowIPv4Tail: true), every.count == 8 else { return nil }
            all = every
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}

/// What an address is, for deciding whether the gateway may call it.
public enum AddressClass: String, Sendable, CaseIterable {
    case global
    case loopback
    case linkLocal
    case privateNetwork
    case unspecified
    case multicast
    /// Broadcast, documentation, benchmarking, shared (carrier-grade NAT) and future-use ranges.
    case reserved

    public var displayName: BilingualText {
        switch self {
        case .global: BilingualText(zh: "公网地址", en: "public address")
        case .loopback: BilingualText(zh: "本机回环地址", en: "loopback address")
        case .linkLocal: BilingualText(zh: "链路本地地址", en: "link-local address")
        case .privateNetwork: BilingualText(zh: "内网地址", en: "private-network address")
        case .unspecified: BilingualText(zh: "未指定地址", en: "unspecified address")
        case .multicast: BilingualText(zh: "组播地址", en: "multicast address")
        case .reserved: BilingualText(zh: "保留地址", en: "reserved address")
        }
    }
}

extension IPAddress {
    /// The class of this address; IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4) are
    /// classed by the IPv4 address they carry.
    public var addressClass: AddressClass {
        if isIPv4 { return Self.classify(v4: bytes) }
        let b = bytes
        if b.allSatisfy({ $0 == 0 }) { return .unspecified }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return .loopback }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff {
            return Self.classify(v4: Array(b[12..<16]))  // ::ffff:a.b.c.d
        }
        if b[0..<12].allSatisfy({ $0 == 0 }) { return Self.classify(v4: Array(b[12..<16])) }  // ::a.b.c.d
        if b[0..<12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] {
            return Self.classify(v4: Array(b[12..<16]))  // 64:ff9b::/96, NAT64
        }
        if b[0] == 0x20 && b[1] == 0x02 { return Self.classify(v4: Array(b[2..<6])) }  // 2002::/16, 6to4
        if b[0] == 0xff { return .multicast }
        if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return .linkLocal }  // fe80::/10
        if b[0] == 0xfe && b[1] & 0xc0 == 0xc0 { return .privateNetwork }  // fec0::/10, deprecated site-local
        if b[0] & 0xfe == 0xfc { return .privateNetwork }  // fc00::/7, unique local
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8 { return .reserved }  // 2001:db8::/32
        if b[0] == 0x01 && b[1..<8].allSatisfy({ $0 == 0 }) { return .reserved }  // 100::/64, discard
        if b[0] & 0xe0 != 0x20 { return .reserved }  // outside 2000::/3, nothing global is assigned
        return .global
    }

    private static func classify(v4 b: [UInt8]) -> AddressClass {
        switch (b[0], b[1], b[2]) {
        case (0, _, _): return .unspecified
        case (10, _, _): return .privateNetwork
        case (100, 64...127, _): return .reserved
        case (127, _, _): return .loopback
        case (169, 254, _): return .linkLocal
        case (172, 16...31, _): return .privateNetwork
        case (192, 0, 0), (192, 0, 2), (198, 51, 100), (203, 0, 113): return .reserved
        case (192, 88, 99): return .reserved
        case (192, 168, _): return .privateNetwork
        case (198, 18...19, _): return .reserved
        case (224...239, _, _): return .multicast
        case (240...255, _, _): return .reserved
        default: return .global
        }
    }
}

/// A network in CIDR notation (`10.20.0.0/16`, `fd00::/8`); a bare address is a network of one.
public struct AddressNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(String(parts[0])) else { return nil }
        let bits = address.bytes.count * 8
        var length = bits
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...bits).contains(given), parts[1].allSatisfy(\.isNumber) else {
                return nil
            }
            length = given
        }
        self.address = address
        self.prefixLength = length
    }

    public func contains(_ candidate: IPAddress) -> Bool {
        guard candidate.bytes.count == address.bytes.count else { return false }
        var remaining = prefixLength
        for index in 0..<address.bytes.count where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - take))
            if candidate.bytes[index] & mask != address.bytes[index] & mask { return false }
            remaining -= take
        }
        return true
    }

    public var description: String {
        prefixLength == address.bytes.count * 8 ? address.description : "\(address)/\(prefixLength)"
    }
}

/// The operator's list of upstream hosts and networks the gateway may call although they are not public: the
/// 前置机 (front-end servers) of departments on the government network.
public struct UpstreamAllowList: Sendable, Hashable {
    public enum Entry: Sendable, Hashable, CustomStringConvertible {
        /// A host name, lower-case without a trailing dot: any address it resolves to is allowed.
        case host(String)
        case network(AddressNetwork)

        public var description: String {
            switch self {
            case .host(let name): name
            case .network(let network): network.description
            }
        }
    }

    public private(set) var entries: [Entry]

    public init(entries: [Entry] = []) { self.entries = entries }

    /// Reads the operator's lines: a CIDR network, an address or a host name each. Problems name the line.
    public static func parse(_ lines: [String]) throws(ValidationError) -> UpstreamAllowList {
        var entries: [Entry] = []
        for raw in lines {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard let entry = parseEntry(line) else {
                let shown = String(line.prefix(80))
                throw ValidationError(
                    field: "entries",
                    BilingualText(
                        zh: "“\(shown)”不是网段（如 10.20.0.0/16）、IP 地址或主机名",
                        en: "“\(shown)” is not a network (e.g. 10.20.0.0/16), an IP address or a host name"))
            }
            if !entries.contains(entry) { entries.append(entry) }
        }
        guard entries.count <= 500 else {
            throw ValidationError(
                field: "entries", BilingualText(zh: "白名单最多 500 条", en: "the allow-list holds at most 500 entries"))
        }
        return UpstreamAllowList(entries: entries)
    }

    static func parseEntry(_ line: String) -> Entry? {
        if let network = AddressNetwork(line) { return .network(network) }
        if line.contains("/") || line.contains(":") || IPAddress.lenient(line) != nil { return nil }
        var name = line.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...253).contains(name.count),
            labels.allSatisfy({ label in
                (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            })
        else { return nil }
        return .host(name)
    }

    public func allows(host: String) -> Bool {
        let name = UpstreamTarget.normalised(host)
        return entries.contains { if case .host(let allowed) = $0 { allowed == name } else { false } }
    }

    public func allows(_ address: IPAddress) -> Bool {
        entries.contains { if case .network(let network) = $0 { network.contains(address) } else { false } }
    }
}

/// Where the gateway may send a mounted API's request: the rules checked when a provider mounts an API and again
/// on every call, after the host name is resolved.
public enum UpstreamTarget {
    /// Why the gateway refuses an upstream.
    public enum Refusal: Error, Sendable, Hashable {
        /// The host is written as a number in an unusual form (`2130706433`, `0x7f.1`, `0177.0.0.1`).
        case oddSpelling
        /// The host is or resolves to an address of this class, and the allow-list does not name it.
        case notPublic(IPAddress, AddressClass)
        /// The host resolves to no address at all.
        case unresolved

        public var message: BilingualText {
            switch self {
            case .oddSpelling:
                BilingualText(
                    zh: "接口地址中的 IP 须写成四段十进制数（如 203.0.113.5），不接受整数、八进制或十六进制写法",
                    en: "write the API's IP address as four decimal numbers (e.g. 203.0.113.5), not as an integer, "
                        + "octal or hex")
            case .notPublic(let address, let kind):
                BilingualText(
                    zh: "接口地址指向\(kind.displayName.zh)（\(address)），不在运维白名单中",
                    en: "the API address points to a \(kind.displayName.en) (\(address)) that is not on the operator's "
                        + "allow-list")
            case .unresolved:
                BilingualText(zh: "接口主机名无法解析", en: "the API's host name does not resolve")
            }
        }
    }

    /// A host as compared and resolved: lower-case, without brackets or a trailing dot.
    public static func normalised(_ host: String) -> String {
        var name = host.lowercased()
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name.hasSuffix(".") && !name.contains(":") { name.removeLast() }
        return name
    }

    /// The address a host names by itself, when it is an address.
    public static func literal(_ host: String) -> IPAddress? {
        IPAddress.lenient(normalised(host)) ?? IPAddress(normalised(host))
    }

    /// Checked when an API is mounted: an address literal must be spelt plainly and be public or allowed. Host
    /// names are checked on each call, once resolved.
    public static func check(host: String, allowList: UpstreamAllowList) -> Refusal? {
        let name = normalised(host)
        if IPAddress.isOddSpelling(name) { return .oddSpelling }
        guard let address = IPAddress(name) else { return nil }
        return check(address, allowList: allowList)
    }

    /// Checked on each call: every address the host resolved to must be allowed (one refused address refuses
    /// the call, so that a name answering with a public and a private address cannot pick the private one);
    /// the gateway then connects to the returned address and no other.
    public static func choose(host: String, resolved: [IPAddress], allowList: UpstreamAllowList) -> Result<
        IPAddress, Refusal
    > {
        let name = normalised(host)
        let addresses = literal(name).map { [$0] } ?? resolved
        guard let first = addresses.first else { return .failure(.unresolved) }
        if allowList.allows(host: name) { return .success(first) }
        for address in addresses {
            if let refusal = check(address, allowList: allowList) { return .failure(refusal) }
        }
        return .success(first)
    }

    static func check(_ address: IPAddress, allowList: UpstreamAllowList) -> Refusal? {
        let kind = address.addressClass
        if kind == .global || allowList.allows(address) { return nil }
        return .notPublic(address, kind)
    }
}
