import Foundation
import HuitongCore

/// How this node takes part in the cascade. Set from `HUITONG_NODE_*` and `HUITONG_FEDERATION_*`.
public struct FederationSettings: Sendable {
    public var profile: NodeProfile
    /// How far a peer's clock may drift from this node's.
    public var clockTolerance: TimeInterval
    public var retry: RetrySchedule
    /// Attempts before a message is set aside as failed, for an operator to look at and retry.
    public var maximumAttempts: Int
    /// How often the outbox looks for due messages when nothing wakes it earlier.
    public var pollInterval: TimeInterval
    /// How long a claimed message stays hidden from other senders; longer than any one delivery can take.
    public var lease: TimeInterval
    /// Per-request time limit for deliveries to a peer.
    public var requestTimeout: TimeInterval
    /// How often published entries are registered upward and 回流 subscriptions are checked; 0 turns the
    /// schedule off (on-demand runs still work).
    public var syncInterval: TimeInterval
    /// Rows per 回流 part.
    public var reflowBatchRows: Int

    public init(
        profile: NodeProfile, clockTolerance: TimeInterval = 900, retry: RetrySchedule = RetrySchedule(),
        maximumAttempts: Int = 200, pollInterval: TimeInterval = 2, lease: TimeInterval = 120,
        requestTimeout: TimeInterval = 30, syncInterval: TimeInterval = 300, reflowBatchRows: Int = 2_000
    ) {
        self.profile = profile
        self.clockTolerance = clockTolerance
        self.retry = retry
        self.maximumAttempts = maximumAttempts
        self.pollInterval = pollInterval
        self.lease = lease
        self.requestTimeout = requestTimeout
        self.syncInterval = syncInterval
        self.reflowBatchRows = reflowBatchRows
    }
}
