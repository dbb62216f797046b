/// Loom's version (placeholder until the install-binary branch lands).
public enum LoomVersion {
    public static let version = "0.3.0"
    public static let sourceRevision = "unknown"
}
