#!/usr/bin/env python3
"""llama.cpp's tokenizer test cases against tfm-tokenize.

For every NAME.gguf.inp / NAME.gguf.out pair in VOCAB_DIR (../shared/vocab,
VOCAB.md there: texts separated by lines `__ggml_vocab_test__`, ids one
line each, without BOS), runs `tfm-tokenize --no-bos VOCAB -- TEXT` and
compares; then decodes llama.cpp's ids with `tfm-tokenize --decode` and
counts the texts given back (SentencePiece's leading space aside), which
is every text for the lossless tokenizers (WordPiece lowercases and drops
accents, so BERT's are not counted). Also checks that every GGUF vocabulary
there loads. Prints one line per vocabulary (`NAME: M/N cases match, K
decode to the text`) and each mismatch; exits 1 on any mismatch or load
failure.

With CASES_DIR, the vocabularies are the GGUF files, tokenizer.json
directories and compiled vocabulary files (NAME.vocab, from tfm-tokenize
--write-vocabulary) of VOCAB_DIR, a directory or .vocab file NAME taking
NAME.gguf's cases, and the cases come from CASES_DIR.

usage: vocab-cases.py TFM_TOKENIZE VOCAB_DIR [CASES_DIR]
"""

import pathlib
import subprocess
import sys

SEPARATOR = "\n__ggml_vocab_test__\n"


def tokenize(tool, vocab, text):
    result = subprocess.run([tool, "--no-bos", str(vocab), "--", text],
                            capture_output=True)
    if result.returncode != 0:
        return None, result.stderr.decode("utf-8", "replace").strip()
    return result.stdout.decode().split(), None


def decode(tool, vocab, ids):
    result = subprocess.run([tool, str(vocab), "--decode", "--", *ids],
                            capture_output=True)
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", "replace")[:-1]  # its newline


def main():
    tool, directory = sys.argv[1], pathlib.Path(sys.argv[2])
    cases = pathlib.Path(sys.argv[3]) if len(sys.argv) > 3 else directory
    failed = False
    vocabularies = sorted(list(directory.glob("*.gguf")) +
                          list(directory.glob("*.vocab")) +
                          [d for d in directory.iterdir()
                           if (d / "tokenizer.json").exists()])
    for vocab in vocabularies:
        ids, error = tokenize(tool, vocab, "Hello world")
        if error:
            print(f"{vocab.name}: does not load: {error}")
            failed = True
            continue
        stem = {".gguf": vocab.name,
                ".vocab": vocab.stem + ".gguf"}.get(vocab.suffix,
                                                    vocab.name + ".gguf")
        inputs = cases / (stem + ".inp")
        outputs = cases / (stem + ".out")
        if not inputs.exists():
            print(f"{vocab.name}: loads")
            continue
        texts = inputs.read_text(encoding="utf-8").split(SEPARATOR)[:-1]
        expected = outputs.read_text(encoding="utf-8").split("\n")
        matched = decoded = 0
        for text, want in zip(texts, expected):
            back = decode(tool, vocab, want.split())
            if back in (text, " " + text):
                decoded += 1
            got, error = tokenize(tool, vocab, text)
            if got == want.split():
                matched += 1
            else:
                failed = True
                print(f"  {vocab.name}: {text!r}\n    llama.cpp: {want.strip()}\n"
                      f"    tfm:       {error or ' '.join(got)}")
        print(f"{vocab.name}: {matched}/{len(texts)} cases match, "
              f"{decoded} decode to the text")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
