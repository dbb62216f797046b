/// Which Loom this is: the release version and the sources it was built from, for
/// `loom --version` and the metadata of the files Loom writes.
public enum LoomVersion {
    /// The release version (semantic versioning); this is the one place it is written.
    public static let version = "0.3.0"

    /// The git commit checked out when this was built (`1cb9cc4`; uncommitted changes are not
    /// marked), or "unknown" when built outside git (from a tarball). Recorded by the
    /// SourceRevision plugin (Plugins/SourceRevision) whenever HEAD moves.
    public static let sourceRevision: String = generatedSourceRevision

    /// Both, as `loom --version` prints them: "0.3.0 (git 1cb9cc4)".
    public static var description: String { "\(version) (git \(sourceRevision))" }
}
