import Crypto

/// An RFC 6962 Merkle tree kept as its frontier: the roots of the perfect subtrees that make up the leaves so
/// far, largest first (one per set bit of the size). Appending and computing the tree head need only these, so
/// memory stays O(log n) however long the log grows, and the frontier is small enough to store beside the chain
/// head.
///
/// The audit log's leaves are entry hashes: the leaf hash is SHA-256(0x00 ‖ entry hash).
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

    public mutating func append(leaf data: [UInt8]) {
        append(leafHash: Self.leafHash(data))
    }

    public mutating func append(leafHash: AuditHash) {
        var node = leafHash
        var carried = size
        // Each trailing 1 bit of the size is a perfect subtree of the same height as `node`: merge them.
        while carried & 1 == 1 {
            node = Self.nodeHash(roots.removeLast(), node)
            carried >>= 1
        }
        roots.append(node)
        size += 1
    }

    /// The tree head, MTH(D[0:size]) of RFC 6962 §2.1; SHA-256 of nothing for the empty tree.
    public var root: AuditHash {
        guard var head = roots.last else { return AuditHash(SHA256.hash(data: [UInt8]())) }
        for subtree in roots.dropLast().reversed() { head = Self.nodeHash(subtree, head) }
        return head
    }

    public static func leafHash(_ data: [UInt8]) -> AuditHash {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: data)
        return AuditHash(hasher.finalize())
    }

    public static func nodeHash(_ left: AuditHash, _ right: AuditHash) -> AuditHash {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left.bytes)
        hasher.update(data: right.bytes)
        return AuditHash(hasher.finalize())
    }
}
