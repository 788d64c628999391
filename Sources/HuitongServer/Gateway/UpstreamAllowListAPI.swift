import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

extension AuditAction {
    /// The operator changed which non-public upstreams the gateway may call.
    public static let upstreamAllowListChanged = AuditAction(rawValue: "gateway.upstream_allowlist")
}

/// The gateway's allow-list of non-public upstream hosts and networks (`/api/v1/gateway/upstream-allowlist`):
/// departments' 前置机 on the government network that mounted APIs may name. Only the operator reads and changes
/// it; every change is on the audit log with the whole new list.
struct UpstreamAllowListAPI: Sendable {
    let store: Store
    let audit: AuditLog
    /// The gateway's copy, forgotten on a change so that this node applies it at once.
    let cache: UpstreamAllowListCache

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("gateway/upstream-allowlist", use: get)
        api.put("gateway/upstream-allowlist", use: put)
    }

    struct Input: Codable {
        var entries: [String]
    }

    struct Body: Codable {
        var entries: [String]
        var updatedAt: Date?
        var updatedBy: String?

        init(_ stored: StoredUpstreamAllowList) {
            entries = stored.list.entries.map(\.description)
            updatedAt = stored.updatedAt
            updatedBy = stored.updatedBy?.name
        }
    }

    func get(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.gatewayReadUpstreamAllowList)
        return try JSONResponse.make(Body(try await store.upstreamAllowList.current()))
    }

    func put(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.require(.gatewayManageUpstreamAllowList)
        let input = try await request.decodeJSON(Input.self, context: context)
        let list = try UpstreamAllowList.parse(input.entries)
        let now = Date()
        let before = try await store.upstreamAllowList.current().list
        let stored = try await store.upstreamAllowList.save(list, author: user.author, at: now)
        cache.forget()
        _ = try await audit.append(
            AuditEvent(
                action: .upstreamAllowListChanged, time: now, userID: user.id, outcome: .allowed,
                detail: [
                    "before": String(before.entries.map(\.description).joined(separator: " ").prefix(1000)),
                    "after": String(list.entries.map(\.description).joined(separator: " ").prefix(1000)),
                ]))
        return try JSONResponse.make(Body(stored))
    }
}
