// A build-tool plugin that gives module Loom the git revision of the sources being built
// (`LoomVersion.sourceRevision`). A prebuild command runs before every build, so the
// revision follows each commit and checkout without `swift package clean`; it rewrites its
// file only when the revision changed, so an unchanged tree recompiles nothing.
import Foundation
import PackagePlugin

@main
struct SourceRevision: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let outputDirectory = context.pluginWorkDirectoryURL.appendingPathComponent("SourceRevision")
        return [
            .prebuildCommand(
                displayName: "Recording the git revision of \(context.package.displayName)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [
                    "-c", script, "source-revision",
                    context.package.directoryURL.path,
                    outputDirectory.appendingPathComponent("SourceRevision.swift").path,
                ],
                outputFilesDirectory: outputDirectory
            )
        ]
    }
}

/// `sh -c` script: $1 the package directory, $2 the Swift file to write.
///
/// "unknown" unless the package directory is itself the top of a git work tree: a tarball
/// unpacked inside some other repository must not report that repository's revision.
/// `-dirty` when tracked files differ from the commit. GIT_OPTIONAL_LOCKS=0: the check never
/// writes the index, so it cannot collide with a `git` command running at the same time (and
/// needs no write access outside the plugin's directory, which macOS's sandbox forbids).
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
        git -C "$package" diff --quiet HEAD -- 2>/dev/null || revision="$commit-dirty"
    fi
    text="// Generated before every build by Plugins/SourceRevision; not in the repository.
    let generatedSourceRevision = \"$revision\""
    mkdir -p "$(dirname "$output")"
    if [ ! -f "$output" ] || [ "$(cat "$output")" != "$text" ]; then
        printf '%s\n' "$text" > "$output.tmp" && mv "$output.tmp" "$output"
    fi
    """#
