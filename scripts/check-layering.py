#!/usr/bin/env python3
"""Checks that tfm's libraries include only what docs/design.md allows.

docs/design.md holds, between `<!-- layering:begin -->` and
`<!-- layering:end -->`, a table with one row per library:

    | `lib/Import` | what it is | `Model`, `Quantization` | LLVM |

The third column lists the other tfm libraries whose headers
(`#include "tfm/<Library>/..."`) the library's sources (`lib/<Library>/`)
and headers (`include/tfm/<Library>/`) may include; the fourth what it may
use upstream: `MLIR` (MLIR and LLVM), `LLVM` (LLVM only) or `none` (the
C++ library only, as the runtime that ships with compiled models).

Every folder of lib/ must have a row, and every row a folder. Prints one
line per violation and exits 1 if there is any.

usage: check-layering.py ROOT
"""

import pathlib
import re
import sys

ROW = re.compile(r"^\|\s*`lib/(\w+)`\s*\|[^|]*\|([^|]*)\|([^|]*)\|\s*$")
TFM_INCLUDE = re.compile(r'^\s*#\s*include\s+"tfm/(\w+)/')
UPSTREAM_INCLUDE = re.compile(r'^\s*#\s*include\s+[<"](mlir|llvm)/')
UPSTREAM_ALLOWS = {"mlir": {"mlir", "llvm"}, "llvm": {"llvm"}, "none": set()}
SOURCE_SUFFIXES = {".h", ".cpp", ".c", ".inc", ".td"}


def read_table(design):
    text = design.read_text()
    try:
        body = text.split("<!-- layering:begin -->", 1)[1]
        body = body.split("<!-- layering:end -->", 1)[0]
    except IndexError:
        sys.exit(f"{design}: no <!-- layering:begin/end --> table")
    table = {}
    for number, line in enumerate(body.splitlines(), 1):
        match = ROW.match(line)
        if not match:
            continue
        library, allowed, upstream = match.groups()
        names = set(re.findall(r"`(\w+)`", allowed))
        upstream = upstream.strip().lower()
        if upstream not in UPSTREAM_ALLOWS:
            sys.exit(f"{design}: lib/{library}: upstream column "
                     f"'{upstream}' is not MLIR, LLVM or none")
        table[library] = (names, UPSTREAM_ALLOWS[upstream])
    if not table:
        sys.exit(f"{design}: the layering table has no rows")
    return table


def sources(root, library):
    for folder in (root / "lib" / library, root / "include" / "tfm" / library):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.suffix in SOURCE_SUFFIXES and path.is_file():
                    yield path


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    root = pathlib.Path(sys.argv[1])
    table = read_table(root / "docs" / "design.md")
    problems = []
    folders = {p.name for p in (root / "lib").iterdir() if p.is_dir()}
    for missing in sorted(folders - table.keys()):
        problems.append(f"lib/{missing}: no row in the layering table of "
                        "docs/design.md")
    for extra in sorted(table.keys() - folders):
        problems.append(f"docs/design.md: layering row for lib/{extra}, "
                        "which does not exist")
    for library in sorted(folders & table.keys()):
        allowed, upstream = table[library]
        for path in sources(root, library):
            lines = path.read_text(errors="replace").splitlines()
            for number, line in enumerate(lines, 1):
                where = f"{path.relative_to(root)}:{number}"
                match = TFM_INCLUDE.match(line)
                if match and match.group(1) not in allowed | {library}:
                    problems.append(f"{where}: lib/{library} may not include "
                                    f"tfm/{match.group(1)}/ (docs/design.md)")
                match = UPSTREAM_INCLUDE.match(line)
                if match and match.group(1) not in upstream:
                    problems.append(f"{where}: lib/{library} may not include "
                                    f"{match.group(1)}/ headers "
                                    "(docs/design.md)")
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"layering: {len(table)} libraries follow docs/design.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
