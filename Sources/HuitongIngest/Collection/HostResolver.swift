import Foundation
import HuitongCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Host names resolved the way the gateway's upstream calls resolve them, so that a collection source's host is
/// checked against the same rules (`UpstreamTarget`) before anything connects to it.
public enum HostResolver {
    /// Every address `host` resolves to (the system resolver, off the event loops).
    @Sendable public static func system(_ host: String) async throws -> [IPAddress] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            #if canImport(Glibc)
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            #else
                hints.ai_socktype = SOCK_STREAM
            #endif
            var list: UnsafeMutablePointer<addrinfo>? = nil
            guard getaddrinfo(host, nil, &hints, &list) == 0 else { return [] }
            defer { freeaddrinfo(list) }
            var addresses: [IPAddress] = []
            var cursor = list
            while let info = cursor {
                if let socketAddress = info.pointee.ai_addr {
                    if info.pointee.ai_family == AF_INET {
                        let bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                            withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }
                        }
                        if let address = IPAddress(bytes: bytes) { addresses.append(address) }
                    } else if info.pointee.ai_family == AF_INET6 {
                        let bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                            withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                        }
                        if let address = IPAddress(bytes: bytes) { addresses.append(address) }
                    }
                }
                cursor = info.pointee.ai_next
            }
            var unique: [IPAddress] = []
            for address in addresses where !unique.contains(address) { unique.append(address) }
            return unique
        }
    }

    /// The one address a source at `host` may be connected to, after every address it resolves to was checked
    /// against the upstream rules and the operator's allow-list; refusals name the field they concern.
    public static func checkedAddress(
        host: String, port: Int, allowList: UpstreamAllowList,
        resolve: @Sendable (String) async throws -> [IPAddress] = system
    ) async throws -> IPAddress {
        if let refusal = UpstreamTarget.check(host: host, allowList: allowList) {
            throw ValidationError(field: "location", refusal.message)
        }
        let resolved = UpstreamTarget.literal(host) == nil ? try await resolve(UpstreamTarget.normalised(host)) : []
        switch UpstreamTarget.choose(host: host, resolved: resolved, allowList: allowList) {
        case .success(let address): return address
        case .failure(.unresolved): throw CollectionFailure.unreachable(host: host, port: port)
        case .failure(let refusal): throw ValidationError(field: "location", refusal.message)
        }
    }
}
