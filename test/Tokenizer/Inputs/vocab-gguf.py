#!/usr/bin/env python3
"""Writes a vocabulary-only GGUF file (tokenizer.ggml.* metadata, no
tensors) for the tokenizer's bad-input tests.

usage: vocab-gguf.py OUT [--model gpt2] [--pre NAME] [--merge "a b"]...
                         [--types N] [--bos ID]
Tokens: the 256 byte characters of GPT-2's table, then "ab" and "abc";
merges "a b" and "ab c" unless --merge is given; --types writes N token
types (default: one per token).
"""

import argparse
import struct


def gguf_string(text):
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def kv_string(key, value):
    return gguf_string(key) + struct.pack("<I", 8) + gguf_string(value)


def kv_u32(key, value):
    return gguf_string(key) + struct.pack("<II", 4, value)


def kv_array(key, element_type, values):
    body = b"".join(gguf_string(v) if element_type == 8 else struct.pack("<i", v)
                    for v in values)
    return gguf_string(key) + struct.pack("<IIQ", 9, element_type, len(values)) + body


def byte_characters():
    chars, next_cp = [], 256
    for byte in range(256):
        printable = 33 <= byte <= 126 or 0xA1 <= byte <= 0xAC or byte >= 0xAE
        chars.append(chr(byte if printable else next_cp))
        if not printable:
            next_cp += 1
    return chars


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--model", default="gpt2")
    parser.add_argument("--pre")
    parser.add_argument("--merge", action="append")
    parser.add_argument("--types", type=int)
    parser.add_argument("--bos", type=int)
    args = parser.parse_args()
    tokens = byte_characters() + ["ab", "abc"]
    merges = args.merge if args.merge is not None else ["a b", "ab c"]
    kvs = [kv_string("general.architecture", "llama"),
           kv_string("tokenizer.ggml.model", args.model),
           kv_array("tokenizer.ggml.tokens", 8, tokens),
           kv_array("tokenizer.ggml.token_type", 5,
                    [1] * (args.types if args.types is not None else len(tokens))),
           kv_array("tokenizer.ggml.merges", 8, merges)]
    if args.pre is not None:
        kvs.append(kv_string("tokenizer.ggml.pre", args.pre))
    if args.bos is not None:
        kvs.append(kv_u32("tokenizer.ggml.bos_token_id", args.bos))
    with open(args.out, "wb") as out:
        out.write(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs))


if __name__ == "__main__":
    main()
