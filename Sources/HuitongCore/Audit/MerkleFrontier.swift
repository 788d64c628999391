import HuitongCrypto

/// An RFC 6962 Merkle tree kept as its frontier: the roots of the perfect subtrees that make up the leaves so
/// far, largest first (one per set bit of the size). Appending and computing the tree head need only these, so
/// memory stays O(log n) however long the log grows, and the frontier is small enough to store beside the chain
/// head.
///
/// The audit log's leaves are entry hashes: the leaf hash is H(0x00 ‖ entry hash), a node H(0x01 ‖ left ‖ right),
/// where H is the hash of a suite. A log may change suites along the way, so every hash computed while appending a
/// leaf uses that leaf's suite (its entry's), and a tree head uses the suite of the checkpoint that signs it. Both
/// are recorded, so the verifier recomputes exactly the same hashes.
public struct MerkleFrontier: Sendable, Hashable {
    public private(set) var size: Int64
    /// Subtree roots, largest (leftmost) first.
    public private(set) var roots: [AuditHash]

    public init() {
        self.size = 0
        self.roots = []
    }

    /// Restores a stored frontier; nil when `roots` cannot belong to a tree of `size` leaves.
    public init?(size: Int64, roots: [AuditHash]) {
        guard size >= 0, roots.count == size.nonzeroBitCount else { return nil }
        self.size = size
        self.roots = roots
    }

    public mutating func append(leaf data: [UInt8], suite: CryptoSuiteID) {
        append(leafHash: Self.leafHash(data, suite: suite), suite: suite)
    }

    public mutating func append(leafHash: AuditHash, suite: CryptoSuiteID) {
        var node = leafHash
        var carried = size
        // Each trailing 1 bit of the size is a perfect subtree of the same height as `node`: merge them.
        while carried & 1 == 1 {
            node = Self.nodeHash(roots.removeLast(), node, suite: suite)
            carried >>= 1
        }
        roots.append(node)
        size += 1
    }

    /// The tree head, MTH(D[0:size]) of RFC 6962 §2.1, folding the subtree roots with `suite`'s hash; the hash of
    /// nothing for the empty tree.
    public func root(suite: CryptoSuiteID) -> AuditHash {
        guard var head = roots.last else { return AuditHash(digesting: [], under: suite) }
        for subtree in roots.dropLast().reversed() { head = Self.nodeHash(subtree, head, suite: suite) }
        return head
    }

    public static func leafHash(_ data: [UInt8], suite: CryptoSuiteID) -> AuditHash {
        AuditHash(digesting: [0x00] + data, under: suite)
    }

    public static func nodeHash(_ left: AuditHash, _ right: AuditHash, suite: CryptoSuiteID) -> AuditHash {
        AuditHash(digesting: [0x01] + left.bytes + right.bytes, under: suite)
    }
}
