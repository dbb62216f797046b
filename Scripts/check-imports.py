#!/usr/bin/env python3
"""Checks the module layering of ARCHITECTURE.md: every Swift file imports only modules its
target declares in Package.swift (or the toolchain's), and no target imports one that the
layering forbids. Run by .ci/run; exits non-zero naming each offending file and import."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
manifest = (root / "Package.swift").read_text()

# The toolchain's and the system's modules, which need no declaration.
system = {"Foundation", "FoundationXML", "FoundationEssentials", "Dispatch", "Glibc", "Darwin", "Testing", "XCTest",
          "PackageDescription", "Synchronization"}
# What each layer may not import (ARCHITECTURE.md): the core knows no layers, the layers no
# training loop, the training layer no experiments, plots or terminal.
forbidden = {
    "Loom": {"LoomNN", "LoomOptimizers", "LoomData", "LoomTraining", "LoomExperiments", "LoomDistributed", "LoomCommandLine"},
    "LoomNN": {"LoomOptimizers", "LoomData", "LoomTraining", "LoomExperiments", "LoomDistributed", "LoomCommandLine"},
    "LoomOptimizers": {"LoomData", "LoomTraining", "LoomExperiments", "LoomDistributed", "LoomCommandLine"},
    "LoomData": {"LoomNN", "LoomOptimizers", "LoomTraining", "LoomExperiments", "LoomDistributed", "LoomCommandLine"},
    "LoomTraining": {"LoomExperiments", "LoomDistributed", "LoomCommandLine", "ArgumentParser"},
    "LoomExperiments": {"LoomDistributed", "LoomCommandLine", "ArgumentParser"},
    "LoomDistributed": {"LoomExperiments", "LoomCommandLine", "ArgumentParser"},
}

def calls(text):
    """The argument text of each .target( / .executableTarget( / .testTarget( call."""
    for start in re.finditer(r'\.(?:target|executableTarget|testTarget)\(', text):
        depth, index = 1, start.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(text[index], 0)
            index += 1
        yield text[start.end():index - 1]

targets = {}
for body in calls(manifest):
    name = re.match(r'\s*name:\s*"([^"]+)"', body).group(1)
    listed = re.search(r'dependencies:\s*\[(.*?)\]\s*(?:,\s*[a-zA-Z]+:|$)', body, re.S)
    dependencies = set()
    if listed:
        dependencies = set(re.findall(r'"([A-Za-z0-9_]+)"', re.sub(r'package:\s*"[^"]+"', "", listed.group(1))))
    path = re.search(r'path:\s*"([^"]+)"', body)
    targets[name] = (dependencies, path.group(1) if path else None)

problems = []
if "--list" in sys.argv:
    for name, (dependencies, path) in targets.items():
        print(name, sorted(dependencies), path or "")
for name, (dependencies, path) in targets.items():
    folder = root / (path or (("Tests/" if name.endswith("Tests") else "Sources/") + name))
    for file in sorted(folder.rglob("*.swift")):
        for line in file.read_text().splitlines():
            found = re.match(r'\s*(?:@testable\s+)?import\s+(?:struct\s+|enum\s+|class\s+|func\s+)?([A-Za-z0-9_]+)', line)
            if not found:
                continue
            module = found.group(1)
            where = file.relative_to(root)
            if module in forbidden.get(name, set()):
                problems.append(f"{where}: {name} may not import {module} (ARCHITECTURE.md)")
            elif module not in system and module not in dependencies and module != name:
                problems.append(f"{where}: imports {module}, which target {name} does not declare in Package.swift")

for problem in problems:
    print(problem)
print(f"{len(targets)} targets checked: {'ok' if not problems else f'{len(problems)} problem(s)'}")
sys.exit(1 if problems else 0)
