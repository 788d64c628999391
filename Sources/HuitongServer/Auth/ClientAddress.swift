import HTTPTypes
import HuitongCore
import HuitongServices
import Hummingbird

extension AccountUseCases {
    /// The client's address: the connection's peer, or, when the peer is a trusted reverse proxy, the last
    /// address in `X-Forwarded-For` that is not one of the trusted proxies.
    func clientAddress(_ request: Request, _ context: HuitongRequestContext) -> String? {
        guard let peer = context.peerAddress else { return nil }
        func trusted(_ text: String) -> Bool {
            guard let address = IPAddress(text) else { return false }
            return trustedProxies.contains { $0.contains(address) }
        }
        let hops = request.headers[values: Self.forwardedFor].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard trusted(peer), !hops.isEmpty else { return peer }
        for hop in hops.reversed() where !trusted(hop) {
            return IPAddress(hop)?.description ?? peer
        }
        return peer
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}
