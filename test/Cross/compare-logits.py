"""Compares two runs of tfm-logits over one model (test/Cross).

    compare-logits.py ROWS EXPECTED ACTUAL TOLERANCE

EXPECTED and ACTUAL hold ROWS rows of f32 logits (tfm-logits' STEPS + 1) (ACTUAL teacher-forced
along EXPECTED's greedy ids). Every row must be within TOLERANCE x the
row's largest |logit| of EXPECTED's, and have the same argmax unless
EXPECTED's two best are closer than twice the row's difference (a
near-tie, where either is the greedy choice). Prints one line of what it found; exits 1
when a row fails.
"""
import array
import sys


def rows(path, count):
    values = array.array("f")
    with open(path, "rb") as file:
        values.frombytes(file.read())
    if len(values) == 0 or len(values) % count:
        sys.exit(f"{path}: {len(values)} floats are not {count} rows")
    vocab = len(values) // count
    return [values[i:i + vocab] for i in range(0, len(values), vocab)]


def argmax(row):
    return max(range(len(row)), key=row.__getitem__)


def main():
    count, expected_path, actual_path, tolerance = sys.argv[1:]
    count, tolerance = int(count), float(tolerance)
    expected, actual = rows(expected_path, count), rows(actual_path, count)
    if len(expected[0]) != len(actual[0]):
        sys.exit(f"rows of {len(expected[0])} logits against "
                 f"{len(actual[0])}")
    worst, ties = 0.0, 0
    for step, (e, a) in enumerate(zip(expected, actual)):
        scale = max(abs(v) for v in e)
        error = max(abs(x - y) for x, y in zip(e, a)) / scale
        worst = max(worst, error)
        if error > tolerance:
            sys.exit(f"step {step}: logits differ by {error:.3g} of their "
                     f"scale (tolerance {tolerance:g})")
        # Logits that differ by at most d can swap two tokens only when
        # those two are within 2 d of each other.
        best = argmax(e)
        second = max(v for i, v in enumerate(e) if i != best)
        if argmax(a) != best:
            if e[best] - second >= 2 * error * scale:
                sys.exit(f"step {step}: greedy token {argmax(a)}, expected "
                         f"{best}")
            ties += 1
    print(f"{len(expected)} steps: logits within {worst:.2g} of their scale, "
          f"the same greedy tokens ({ties} near-ties)")


main()
