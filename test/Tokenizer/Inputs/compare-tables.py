"""Compares freshly generated Unicode tables with the committed ones when
both come from the same Unicode version (the first lines name it)."""
import sys

fresh, committed = (open(path, encoding="utf-8").read() for path in sys.argv[1:3])
if fresh.splitlines()[:3] != committed.splitlines()[:3]:
    print("generated from another Unicode version: not compared")
    sys.exit(0)
if fresh != committed:
    print("lib/Tokenizer/UnicodeTables.inc differs from what "
          "scripts/gen-unicode-tables.py writes: regenerate it")
    sys.exit(1)
print("tables up to date")
