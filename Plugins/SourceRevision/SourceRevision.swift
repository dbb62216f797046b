// A build-tool plugin that gives module Loom the git revision of the sources being built
// (`LoomVersion.sourceRevision`).
//
// NOTE: a build command, not a prebuild command. SwiftPM runs prebuild commands only when it
// re-plans the build (after a change to Package.swift), not on incremental builds
// (swiftlang/swift-package-manager#5476), so a prebuild revision went stale after a commit.
// A build command runs whenever one of its input files changed: here git's HEAD, its reflog
// (appended on every commit, checkout, reset and rebase), the branch's ref and packed-refs.
import Foundation
import PackagePlugin

@main
struct SourceRevision: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let package = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("SourceRevision.swift")
        return [
            .buildCommand(
                displayName: "Recording the git revision of \(context.package.displayName)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "source-revision", package.path, output.path],
                inputFiles: gitStateFiles(of: package),
                outputFiles: [output]
            )
        ]
    }

    /// The files whose change means HEAD may name another commit; none outside git (a tarball).
    private func gitStateFiles(of package: URL) -> [URL] {
        let manager = FileManager.default
        let dotGit = package.appendingPathComponent(".git")
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) else { return [] }
        // A worktree or submodule has a `.git` file: "gitdir: PATH".
        var gitDirectory = dotGit
        if !isDirectory.boolValue {
            guard let text = try? String(contentsOf: dotGit, encoding: .utf8), text.hasPrefix("gitdir:") else { return [] }
            let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespacesAndNewlines)
            gitDirectory = URL(fileURLWithPath: path, relativeTo: package).standardizedFileURL
        }
        // A worktree keeps its branches in the main repository's directory ("commondir").
        var commonDirectory = gitDirectory
        if let text = try? String(contentsOf: gitDirectory.appendingPathComponent("commondir"), encoding: .utf8) {
            let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
            commonDirectory = URL(fileURLWithPath: path, relativeTo: gitDirectory.appendingPathComponent("")).standardizedFileURL
        }
        var files = [gitDirectory.appendingPathComponent("HEAD"), gitDirectory.appendingPathComponent("logs/HEAD"),
                     commonDirectory.appendingPathComponent("packed-refs")]
        if let head = try? String(contentsOf: files[0], encoding: .utf8), head.hasPrefix("ref:") {
            let ref = head.dropFirst("ref:".count).trimmingCharacters(in: .whitespacesAndNewlines)
            files.append(commonDirectory.appendingPathComponent(ref))
        }
        return files.filter { manager.fileExists(atPath: $0.path) }
    }
}

/// `sh -c` script: $1 the package directory, $2 the Swift file to write.
///
/// "unknown" unless the package directory is itself the top of a git work tree: a tarball
/// unpacked inside some other repository must not report that repository's revision.
/// Read-only (GIT_OPTIONAL_LOCKS=0), so it never collides with a concurrent git command and
/// needs no write access outside the plugin's directory. Rewrites the file only when the
/// revision changed, so nothing recompiles for an unchanged revision.
private let script = #"""
    set -u
    PATH="/usr/bin:/bin:/usr/local/bin:/opt/homebrew/bin:$PATH"
    export GIT_OPTIONAL_LOCKS=0
    package="$1" output="$2"
    revision=unknown
    if top=$(git -C "$package" rev-parse --show-toplevel 2>/dev/null) \
        && [ "$(cd "$top" && pwd -P)" = "$(cd "$package" && pwd -P)" ] \
        && commit=$(git -C "$package" rev-parse --short=7 HEAD 2>/dev/null); then
        revision="$commit"
    fi
    text="// Generated on every build by Plugins/SourceRevision; not in the repository.
    let generatedSourceRevision = \"$revision\""
    mkdir -p "$(dirname "$output")"
    if [ ! -f "$output" ] || [ "$(cat "$output")" != "$text" ]; then
        printf '%s\n' "$text" > "$output.tmp" && mv "$output.tmp" "$output"
    fi
    """#
