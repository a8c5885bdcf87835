#!/usr/bin/env python3
"""Writes the Hugging Face tokenizer.json (+ tokenizer_config.json) of a
GGUF vocabulary, the way Hugging Face lays such a vocabulary out: the pair
test/Tokenizer/tokenizer-json.test reads with tfm-tokenize both ways.

usage: gguf-to-tokenizer-json.py VOCAB.gguf OUTDIR
Byte-level BPE (gpt2, pre gpt-2), WordPiece (bert) and SentencePiece BPE
(llama: merges made as Hugging Face's converter makes them, every split of
a piece into two pieces, ordered by the piece's score).
"""

import json
import os
import struct
import sys

SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?",
           10: "Q", 11: "q", 12: "d"}


def read(f, fmt):
    return struct.unpack("<" + fmt, f.read(struct.calcsize("<" + fmt)))


def read_string(f):
    (n,) = read(f, "Q")
    return f.read(n).decode("utf-8")


def read_value(f, kind):
    if kind in SCALARS:
        return read(f, SCALARS[kind])[0]
    if kind == 8:
        return read_string(f)
    element, count = read(f, "IQ")
    return [read_value(f, element) for _ in range(count)]


def metadata(path):
    with open(path, "rb") as f:
        _, _, _, count = read(f, "4sIQQ")
        meta = {}
        for _ in range(count):
            key = read_string(f)
            (kind,) = read(f, "I")
            meta[key] = read_value(f, kind)
    return meta


def main():
    meta = metadata(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    tokens = meta["tokenizer.ggml.tokens"]
    types = meta.get("tokenizer.ggml.token_type", [1] * len(tokens))
    model_name = meta["tokenizer.ggml.model"]
    added = [{"id": i, "content": t, "special": k == 3}
             for i, (t, k) in enumerate(zip(tokens, types)) if k in (3, 4)]
    config = {}
    if model_name == "gpt2":
        assert meta.get("tokenizer.ggml.pre", "gpt-2") == "gpt-2"
        model = {"type": "BPE", "vocab": {t: i for i, t in enumerate(tokens)},
                 "merges": meta["tokenizer.ggml.merges"]}
        pre = {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}
        config = {"bos_token": tokens[meta["tokenizer.ggml.bos_token_id"]],
                  "eos_token": tokens[meta["tokenizer.ggml.eos_token_id"]],
                  "add_bos_token": False}
    elif model_name == "bert":
        vocab = {}
        for i, (t, k) in enumerate(zip(tokens, types)):
            if k == 3:
                vocab[t] = i
            elif t.startswith("\u2581"):
                vocab[t[1:]] = i
            else:
                vocab["##" + t] = i
        model = {"type": "WordPiece", "unk_token": "[UNK]",
                 "continuing_subword_prefix": "##", "vocab": vocab}
        pre = {"type": "BertPreTokenizer"}
        config = {"cls_token": "[CLS]", "sep_token": "[SEP]", "unk_token": "[UNK]",
                  "pad_token": "[PAD]", "mask_token": "[MASK]"}
    elif model_name == "llama":
        scores = meta["tokenizer.ggml.scores"]
        vocab = {t: i for i, t in enumerate(tokens)}
        normal = {t for t, k in zip(tokens, types) if k == 1}
        merges = []
        for piece, score in zip(tokens, scores):
            if piece not in normal:
                continue
            local = [(piece[:i], piece[i:], score) for i in range(1, len(piece))
                     if piece[:i] in normal and piece[i:] in normal]
            local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
            merges.extend(local)
        merges.sort(key=lambda m: m[2], reverse=True)
        model = {"type": "BPE", "byte_fallback": True, "unk_token": "<unk>",
                 "fuse_unk": True, "vocab": vocab,
                 "merges": [l + " " + r for l, r, _ in merges]}
        pre = None
        document_normalizer = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
        config = {"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": True}
    else:
        sys.exit("unsupported tokenizer model " + model_name)
    document = {"version": "1.0", "added_tokens": added, "pre_tokenizer": pre,
                "model": model}
    if model_name == "llama":
        document["normalizer"] = document_normalizer
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False)
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
