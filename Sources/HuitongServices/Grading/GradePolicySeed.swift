import Foundation
import HuitongCore
import HuitongStore

extension GradePolicy {
    /// The matrix in `Resources/seed/grade-policy.json`: data rather than code, because domain.md §4.2's defaults
    /// are a recommendation each bureau adapts.
    public static func seeded() throws -> GradePolicy {
        try seed.get()
    }

    /// Read once, like the masking seed: every catalog write consults the policy.
    private static let seed: Result<GradePolicy, SeedFileError> = SeedFileError.load("seed/grade-policy.json") {
        try decode($0)
    }

    /// The node's policy: the operator's when one was saved, the seed otherwise.
    public static func current(_ store: Store) async throws -> GradePolicy {
        try await store.gradePolicy.current()?.policy ?? seeded()
    }
}
