#!/usr/bin/env python3
"""Makes a damaged copy of a model file for the import tests.

  corrupt.py IN OUT truncate N            keep the first N bytes
  corrupt.py IN OUT drop N                drop the last N bytes
  corrupt.py IN OUT append N              append N zero bytes
  corrupt.py IN OUT set OFFSET HEX        overwrite bytes at OFFSET
  corrupt.py IN OUT set-after TEXT REL HEX
                                          overwrite bytes REL bytes after the
                                          end of the first occurrence of TEXT
"""
import sys


def main():
    source, target, action, *args = sys.argv[1:]
    data = bytearray(open(source, "rb").read())
    if action == "truncate":
        data = data[: int(args[0])]
    elif action == "drop":
        data = data[: len(data) - int(args[0])]
    elif action == "append":
        data += bytes(int(args[0]))
    elif action in ("set", "set-after"):
        if action == "set":
            offset = int(args[0], 0)
        else:
            found = data.find(args[0].encode())
            if found < 0:
                sys.exit("corrupt.py: %r not found" % args[0])
            offset = found + len(args[0]) + int(args[1], 0)
        patch = bytes.fromhex(args[-1])
        data[offset : offset + len(patch)] = patch
    else:
        sys.exit("corrupt.py: unknown action " + action)
    open(target, "wb").write(data)


if __name__ == "__main__":
    main()
