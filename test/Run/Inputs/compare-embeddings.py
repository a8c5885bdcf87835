"""Compares embedding A_INDEX of A.json with B_INDEX of B.json (tfm-embed
--json output): prints the largest difference and whether they are the same
within 1e-5."""
import json
import sys


def embedding(path, index):
    with open(path) as file:
        return json.load(file)["data"][int(index)]["embedding"]


a = embedding(sys.argv[1], sys.argv[2])
b = embedding(sys.argv[3], sys.argv[4])
difference = max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else float("inf")
print(f"max difference {difference:.3g}: {'same' if difference <= 1e-5 else 'different'}")
