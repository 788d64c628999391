import HuitongCore

extension User {
    package var author: ChangeAuthor { ChangeAuthor(userID: id, name: displayName) }
}

extension CatalogEntry {
    /// Published entries are visible to every officer, others only to their department, operators and auditors.
    package func isVisible(to user: User) -> Bool {
        status == .published || AccessPolicy.allows(user, .catalogReadUnpublished, department: provider.departmentID)
    }

    /// The entry as `user` may see it: where an upstream API lives is known to its department and the bureau
    /// only, so that consumers go through the gateway (and its audit log) rather than around it.
    package func redacted(for user: User) -> CatalogEntry {
        guard let mount, mount.kind == .api,
            !AccessPolicy.allows(user, .catalogReadMountLocator, department: provider.departmentID)
        else {
            return self
        }
        var copy = self
        copy.mount = MountedResource(kind: mount.kind, locator: "")
        return copy
    }
}
