import Foundation

/// Log-scale latency buckets, eight per doubling: each bucket is about 9 % wide, so a percentile read from bucket
/// counts is within about 9 % of the exact one.
///
/// Each audit entry stores its bucket number when it is appended; statistics then ask the database only for
/// `COUNT(*) … GROUP BY bucket` (a few hundred rows at most, however many calls there were) and interpolate here,
/// instead of loading every latency into memory to sort it.
public enum LatencyBuckets {
    public static let perDoubling = 8.0

    /// Bucket 0 holds latencies under 1 µs; bucket b ≥ 1 holds [2^((b−1)/8), 2^(b/8)) µs.
    public static func bucket(microseconds: Int64) -> Int {
        guard microseconds >= 1 else { return 0 }
        return 1 + Int((perDoubling * log2(Double(microseconds))).rounded(.down))
    }

    public static func lowerBound(_ bucket: Int) -> Double {
        bucket <= 0 ? 0 : pow(2, Double(bucket - 1) / perDoubling)
    }

    public static func upperBound(_ bucket: Int) -> Double {
        bucket <= 0 ? 1 : pow(2, Double(bucket) / perDoubling)
    }

    /// The `quantile` (0…1) of the latencies counted in `counts` (bucket → count), in microseconds, interpolated
    /// linearly inside the bucket it falls in; nil when nothing was counted.
    public static func percentile(_ quantile: Double, of counts: [Int: Int64]) -> Double? {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return nil }
        let target = min(max(quantile, 0), 1) * Double(total)
        var below: Int64 = 0
        let buckets = counts.keys.sorted()
        for bucket in buckets {
            let count = counts[bucket] ?? 0
            guard count > 0 else { continue }
            if Double(below + count) >= target {
                let fraction = max(0, target - Double(below)) / Double(count)
                let low = lowerBound(bucket)
                return low + fraction * (upperBound(bucket) - low)
            }
            below += count
        }
        return upperBound(buckets.last ?? 0)
    }
}
