import Foundation
import HuitongCore
import HuitongStore

/// The licence library's side of 证照回流, which the node's use cases implement: what to send each child, and how
/// to keep what arrives from above.
public protocol LicenceCascadeHandler: Sendable {
    /// The licences `child` is to be sent (those whose holders live in its region, changed since it was last
    /// sent), with the positions to remember once they are queued.
    func pending(for child: NodeRegion) async throws -> (records: [LicenceIndexRecord], changes: LicenceChangesSince)
    /// Keeps the licences of a batch from `origin` whose signature and certificate chain hold; returns how many.
    func receive(_ batch: LicenceIndexBatch, from origin: NodeRegion) async throws -> Int
    /// The status now of a licence this node issued, for a routed verification.
    func status(of query: LicenceStatusQuery) async throws -> LicenceStatusAnswer
}

extension FederationNode {
    /// The most licences one message carries.
    static let licencesPerMessage = 100

    /// Sends each child the licences of its holders that changed since it was last sent (here, or above and
    /// received here): their packages and status now. Run on schedule beside 回流, and on demand.
    @discardableResult
    public func publishLicences() async throws -> Int {
        guard let licences else { return 0 }
        var sent = 0
        for peer in try await store.federation.peers() where peer.relation == .child {
            // A page of changes at a time, until none is left; the position moves on only once a page is queued.
            while true {
                let (records, changes) = try await licences.pending(for: peer.region)
                if changes.localIdentifiers.isEmpty && changes.remoteIdentifiers.isEmpty { break }
                for start in stride(from: 0, to: records.count, by: Self.licencesPerMessage) {
                    let part = Array(records[start..<min(start + Self.licencesPerMessage, records.count)])
                    _ = try await send(.licenceIndex, LicenceIndexBatch(records: part), to: peer.region)
                    sent += part.count
                }
                try await store.licences.markSent(
                    to: peer.region.code, lastEventID: changes.lastEventID,
                    lastRemoteChangeID: changes.lastRemoteChangeID)
            }
        }
        return sent
    }

    func receiveLicences(_ batch: LicenceIndexBatch, from origin: NodeRegion) async throws {
        guard origin != local, origin.contains(local) else {
            throw FederationError.malformed(
                BilingualText(zh: "证照回流只能来自上级平台", en: "licences (证照回流) come only from platforms above"))
        }
        guard let licences else {
            throw FederationError.refused(
                node: local.code, code: "no_licence_library",
                message: BilingualText(zh: "本节点未启用电子证照库", en: "this node keeps no licence library"))
        }
        _ = try await licences.receive(batch, from: origin)
    }
}
