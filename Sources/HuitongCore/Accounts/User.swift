import Foundation

/// A person who signs in: a department's data officer, an auditor or a bureau operator.
public struct User: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var username: String
    public var displayName: String
    public var departmentID: Int64
    public var roles: Set<Role>
    public var isActive: Bool
    public var createdAt: Date
    public var lastLoginAt: Date?

    public init(
        id: Int64, username: String, displayName: String, departmentID: Int64, roles: Set<Role>, isActive: Bool,
        createdAt: Date, lastLoginAt: Date?
    ) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.departmentID = departmentID
        self.roles = roles
        self.isActive = isActive
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
    }

    public func has(_ role: Role) -> Bool { roles.contains(role) }
}

/// The fields a person supplies to create a user, before they are checked.
public struct UserDraft: Sendable, Hashable {
    public var username: String
    public var displayName: String
    public var departmentID: Int64
    public var roles: Set<Role>

    public init(username: String, displayName: String, departmentID: Int64, roles: Set<Role>) {
        self.username = username
        self.displayName = displayName
        self.departmentID = departmentID
        self.roles = roles
    }

    public func validated() throws(ValidationError) -> UserDraft {
        var issues = ValidationCollector()
        let username = username.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if let problem = UsernameRule.problem(with: username) { issues.add("username", problem) }
        let displayName = displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        if displayName.isEmpty || displayName.count > 50 {
            issues.add("displayName", BilingualText(zh: "姓名须为 1–50 个字符", en: "displayName must be 1–50 characters"))
        }
        if departmentID <= 0 {
            issues.add("departmentID", BilingualText(zh: "请选择所属部门", en: "departmentID is required"))
        }
        if roles.isEmpty {
            issues.add("roles", BilingualText(zh: "至少选择一个角色", en: "at least one role is required"))
        }
        try issues.throwIfAny()
        return UserDraft(username: username, displayName: displayName, departmentID: departmentID, roles: roles)
    }
}

/// Usernames are what people type at the login form and what appears in audit entries: short and unambiguous.
public enum UsernameRule {
    public static func problem(with username: String) -> BilingualText? {
        let allowed = username.unicodeScalars.allSatisfy {
            ("0"..."9").contains($0) || ("a"..."z").contains($0) || $0 == "." || $0 == "-" || $0 == "_"
        }
        guard (3...40).contains(username.count), allowed, username.first?.isLetter == true else {
            return BilingualText(
                zh: "用户名须为 3–40 位小写字母、数字、点、连字符或下划线，并以字母开头",
                en: "username must be 3–40 lower-case letters, digits, '.', '-' or '_', starting with a letter")
        }
        return nil
    }
}

/// Rules a chosen password must meet; generated passwords always meet them.
public enum PasswordRule {
    public static let minimumLength = 10

    public static func problem(with password: String) -> BilingualText? {
        if password.count < minimumLength {
            return BilingualText(
                zh: "密码至少 \(minimumLength) 位", en: "password must be at least \(minimumLength) characters")
        }
        if password.count > 72 || password.utf8.count > 72 {
            // bcrypt reads only the first 72 bytes; a longer password would silently be truncated.
            return BilingualText(zh: "密码不能超过 72 字节", en: "password must be at most 72 bytes")
        }
        let hasLetter = password.contains { $0.isLetter }
        let hasDigit = password.contains { $0.isNumber }
        if !hasLetter || !hasDigit {
            return BilingualText(zh: "密码须同时包含字母和数字", en: "password must contain both letters and digits")
        }
        return nil
    }

    /// The rules a password a person chose must meet beyond its form (OWASP ASVS 2.1.7): it must not contain the
    /// account's name (`names`: the user name, or a developer's e-mail address and its local part; compared
    /// case-insensitively, names shorter than three characters ignored), and must not be one of the commonly used
    /// or breached passwords (`isCommon` is asked with the lower-cased password).
    public static func problem(with password: String, names: [String], isCommon: (String) -> Bool) -> BilingualText? {
        if let problem = problem(with: password) { return problem }
        let lowered = password.lowercased()
        for name in names.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where name.count >= 3 {
            if lowered.contains(name) {
                return BilingualText(zh: "密码不能包含用户名", en: "password must not contain the user name")
            }
        }
        if isCommon(lowered) {
            return BilingualText(
                zh: "这是常见或已泄露的密码，请换一个", en: "this password is common or known from breaches; choose another")
        }
        return nil
    }
}
