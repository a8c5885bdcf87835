#!/usr/bin/env python3
"""Checks that every repository path a document names exists.

A path is a backquoted word that starts with one of the tree's top folders
(`lib/`, `include/`, `tools/`, `test/`, `docs/`, `scripts/`) or is a file
at the top (`CMakeLists.txt`). Paths ending in `/` are folders. Words with
`...`, `<` or `*` are patterns, not paths, and are skipped.

A DOC that is a folder stands for the Markdown files directly in it.

usage: check-doc-paths.py ROOT DOC...
"""

import pathlib
import re
import sys

PATH = re.compile(r"`((?:lib|include|tools|test|docs|scripts)/[^`\s]+|CMakeLists\.txt)`")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    root = pathlib.Path(sys.argv[1])
    docs = []
    for name in sys.argv[2:]:
        if (root / name).is_dir():
            docs += sorted(str(p.relative_to(root)) for p in (root / name).glob("*.md"))
        else:
            docs.append(name)
    missing, checked = [], 0
    for doc in docs:
        text = (root / doc).read_text()
        for number, line in enumerate(text.splitlines(), 1):
            for path in PATH.findall(line):
                if any(mark in path for mark in ("...", "<", "*")):
                    continue
                checked += 1
                if not (root / path).exists():
                    missing.append(f"{doc}:{number}: no such file: {path}")
    for line in missing:
        print(line)
    if missing:
        return 1
    print(f"{checked} paths named, all exist")
    return 0


if __name__ == "__main__":
    sys.exit(main())
