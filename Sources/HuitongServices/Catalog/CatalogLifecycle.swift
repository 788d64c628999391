import Foundation
import HuitongCore
import HuitongStore

/// How catalog entries are drafted and who may take them through which lifecycle step, shared by the JSON API and
/// the console forms so that both enforce the same rules.
package struct CatalogLifecycle: Sendable {
    package init(store: Store) {
        self.store = store
    }

    package let store: Store

    /// Takes entry `id` one `step` on, as `user`: publishing and returning are the operator's; submitting and
    /// withdrawing belong to the entry's department (or the operator). Entries `user` may not see answer 404 like
    /// missing ones.
    package func apply(_ step: CatalogTransition, entryID id: Int64, by user: User, comment: String) async throws
        -> CatalogEntry
    {
        let existing: CatalogEntry
        switch step {
        case .publish, .return:
            try AccessPolicy.require(user, .catalogReview)
            existing = try await visibleEntry(id, to: user)
        case .submit, .withdraw:
            existing = try await managedEntry(id, by: user)
        }
        return try await store.catalog.transition(
            id: existing.id, step, author: user.author, comment: comment.trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }

    /// Drafts a new entry of department `departmentID` from `content`, once it passes 编制指南's rules and the
    /// grading policy; whether `user` may write for that department is the caller's check.
    package func create(_ content: CatalogEntryContent, departmentID: Int64, by user: User) async throws -> CatalogEntry
    {
        let content = try content.validated(scheme: NationalResourceCodeScheme())
        try await GradePolicy.current(store).check(content)
        return try await store.catalog.create(content, departmentID: departmentID, author: user.author)
    }

    /// Revises `existing` to `content` as `user`, once the new content passes 编制指南's rules and the grading
    /// policy and the revision passes `checkRevision`. Whether `user` may change the entry at all is the caller's
    /// check (`managedEntry`).
    package func update(_ existing: CatalogEntry, with content: CatalogEntryContent, by user: User, note: String)
        async throws -> CatalogEntry
    {
        let content = try content.validated()
        try Self.checkRevision(of: existing, to: content, by: user)
        try await GradePolicy.current(store).check(content)
        return try await store.catalog.update(id: existing.id, with: content, author: user.author, note: note)
    }

    /// The rules a change to an existing entry must pass, whichever way it comes (form, API, sheet): an entry
    /// under review does not change until it is decided, a draft changes in place, a published entry gets a new
    /// version, and a live entry's exposure (share types, openness) changes only through review unless an
    /// operator changes it.
    package static func checkRevision(of existing: CatalogEntry, to content: CatalogEntryContent, by user: User)
        throws(CatalogRuleError)
    {
        if existing.status == .submitted { throw .underReview }
        if existing.status == .published && !AccessPolicy.allows(user, .catalogChangePublishedExposure)
            && existing.content.changesExposure(to: content)
        {
            throw .exposureChangeNeedsReview
        }
    }

    /// The entry, if `user` may read it.
    package func visibleEntry(_ id: Int64, to user: User) async throws -> CatalogEntry {
        guard let entry = try await store.catalog.find(id: id), entry.isVisible(to: user) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(id)")
        }
        return entry
    }

    /// The entry, if `user` may change it: its department's providers, or an operator.
    package func managedEntry(_ id: Int64, by user: User) async throws -> CatalogEntry {
        let entry = try await visibleEntry(id, to: user)
        try AccessPolicy.require(user, .catalogManageEntry, department: entry.provider.departmentID)
        return entry
    }

}
