import Foundation
import HuitongCore
import HuitongStore
import Logging
import Synchronization

/// Records when a credential was last used: at most once a minute per credential, and off the request's path.
///
/// Awaiting the write made every request that found the mark stale write it — with 64 calls in flight, 64 queued
/// transactions on SQLite's one writer, and a stall of most of a second each minute.
package final class TokenUseRecorder: Sendable {
    private let store: Store
    private let logger: Logger
    private let marked = Mutex<[Int64: Date]>([:])

    package init(store: Store, logger: Logger = Logger(label: "huitong.auth")) {
        self.store = store
        self.logger = logger
    }

    package func record(_ token: APIToken, at now: Date) {
        if let last = token.lastUsedAt, now.timeIntervalSince(last) <= 60 { return }
        let due = marked.withLock { marks -> Bool in
            if let mark = marks[token.id], now.timeIntervalSince(mark) <= 60 { return false }
            if marks.count > 100_000 { marks.removeAll() }
            marks[token.id] = now
            return true
        }
        guard due else { return }
        let tokens = store.tokens
        let logger = logger
        Task {
            do {
                try await tokens.markUsed(id: token.id, at: now)
            } catch {
                logger.warning("recording a credential's last use failed", metadata: ["token": "\(token.id)"])
            }
        }
    }
}
