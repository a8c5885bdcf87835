#!/usr/bin/env python3
"""Writes each `// -----` case of the .mlir files under SOURCE_DIR as a file
of its own in OUT_DIR: the seeds of fuzz-tfm-ir.

usage: split-mlir-cases.py SOURCE_DIR OUT_DIR
"""

import pathlib
import sys


def main():
    source, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(source.rglob("*.mlir")):
        text = path.read_text(encoding="utf-8")
        for index, case in enumerate(text.split("// -----")):
            lines = [line for line in case.splitlines()
                     if not line.lstrip().startswith("// RUN")]
            (out / f"{path.stem}-{index}.mlir").write_text("\n".join(lines) + "\n")
            count += 1
    print(f"{count} cases")
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main())
