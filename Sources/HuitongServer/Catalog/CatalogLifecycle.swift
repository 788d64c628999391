import Foundation
import HuitongCore
import HuitongStore

/// How catalog entries are drafted and who may take them through which lifecycle step, shared by the JSON API and
/// the console forms so that both enforce the same rules.
struct CatalogLifecycle: Sendable {
    let store: Store

    /// Takes entry `id` one `step` on, as `user`: publishing and returning are the operator's; submitting and
    /// withdrawing belong to the entry's department (or the operator). Entries `user` may not see answer 404 like
    /// missing ones.
    func apply(_ step: CatalogTransition, entryID id: Int64, by user: User, comment: String) async throws
        -> CatalogEntry
    {
        let existing: CatalogEntry
        switch step {
        case .publish, .return:
            try Self.require(user, oneOf: [.operator])
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
    func create(_ content: CatalogEntryContent, departmentID: Int64, by user: User) async throws -> CatalogEntry {
        let content = try content.validated(scheme: NationalResourceCodeScheme())
        try await GradePolicy.current(store).check(content)
        return try await store.catalog.create(content, departmentID: departmentID, author: user.author)
    }

    /// Revises `existing` to `content` as `user`, once the new content passes 编制指南's rules and the grading
    /// policy: a draft changes in place, a published entry gets a new version, and a live entry's exposure (share
    /// types, openness) changes only through review unless an operator changes it. Whether `user` may change the
    /// entry at all is the caller's check (`managedEntry`).
    func update(_ existing: CatalogEntry, with content: CatalogEntryContent, by user: User, note: String)
        async throws -> CatalogEntry
    {
        let content = try content.validated()
        if existing.status == .published && !user.has(.operator) && existing.content.changesExposure(to: content) {
            throw CatalogRuleError.exposureChangeNeedsReview
        }
        try await GradePolicy.current(store).check(content)
        return try await store.catalog.update(id: existing.id, with: content, author: user.author, note: note)
    }

    /// The entry, if `user` may read it.
    func visibleEntry(_ id: Int64, to user: User) async throws -> CatalogEntry {
        guard let entry = try await store.catalog.find(id: id), entry.isVisible(to: user) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(id)")
        }
        return entry
    }

    /// The entry, if `user` may change it: its department's providers, or an operator.
    func managedEntry(_ id: Int64, by user: User) async throws -> CatalogEntry {
        let entry = try await visibleEntry(id, to: user)
        try Self.require(user, oneOf: [.provider, .operator])
        guard user.has(.operator) || entry.provider.departmentID == user.departmentID else {
            throw APIError.forbidden(AccountsAPI.otherDepartment)
        }
        return entry
    }

    static func require(_ user: User, oneOf roles: [Role]) throws(APIError) {
        if !user.roles.isDisjoint(with: roles) { return }
        let names = roles.map(\.displayName)
        throw APIError.forbidden(
            BilingualText(
                zh: "需要以下角色之一：\(names.map(\.zh).joined(separator: "、"))",
                en: "requires one of the roles: \(names.map(\.en).joined(separator: ", "))"))
    }
}
