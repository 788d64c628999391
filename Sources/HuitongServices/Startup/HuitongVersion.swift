/// The release this binary is; reported by `huitong --version`, `/healthz` and the pages' footer.
public enum HuitongVersion {
    public static let current = "0.1.0"
}
