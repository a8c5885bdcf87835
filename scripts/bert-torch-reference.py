#!/usr/bin/python3
"""tfm's BERT encoder against PyTorch's own nn.TransformerEncoder.

    /usr/bin/python3 scripts/bert-torch-reference.py MODEL.gguf [TFM_BIN_DIR]

A second reference, independent of tfm's code (lib/Reference shares its
file reader): the f32 weights of a BERT GGUF file (tfm-make-model --arch
bert, llama.cpp's converter layout) are read here with numpy and loaded
into torch.nn.TransformerEncoder (post-norm, GELU, no dropout) behind
BERT's embeddings (token + position + token type, LayerNorm). The token
ids come from tfm-tokenize, the per-token states from tfm-embed --pooling
none; prints the largest absolute and relative difference per text and
exits 1 if a relative difference exceeds 1e-4. Needs Debian's python3-torch
and python3-numpy (hence /usr/bin/python3); not run in CI.
"""
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

GGUF_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?",
                10: "Q", 11: "q", 12: "d"}


def read_gguf(path):
    """(metadata dict, {name: float32 array}) of an all-f32 GGUF file."""
    data = Path(path).read_bytes()
    offset = 0

    def take(fmt):
        nonlocal offset
        values = struct.unpack_from("<" + fmt, data, offset)
        offset += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def string():
        nonlocal offset
        length = take("Q")
        text = data[offset:offset + length].decode("utf-8", "replace")
        offset += length
        return text

    def value(kind):
        if kind == 8:
            return string()
        if kind == 9:
            element, count = take("I"), take("Q")
            return [value(element) for _ in range(count)]
        return take(GGUF_SCALARS[kind])

    magic, version = data[:4], (take("4s"), take("I"))[1]
    assert magic == b"GGUF" and version >= 2, "not a GGUF v2/v3 file"
    tensor_count, metadata_count = take("Q"), take("Q")
    metadata = {}
    for _ in range(metadata_count):
        key = string()
        metadata[key] = value(take("I"))
    infos = []
    for _ in range(tensor_count):
        name = string()
        dims = [take("Q") for _ in range(take("I"))]
        kind, start = take("I"), take("Q")
        assert kind == 0, f"{name}: only f32 tensors are read here"
        infos.append((name, dims, start))
    alignment = metadata.get("general.alignment", 32)
    base = (offset + alignment - 1) // alignment * alignment
    tensors = {}
    for name, dims, start in infos:
        count = int(np.prod(dims))
        array = np.frombuffer(data, np.float32, count, base + start)
        tensors[name] = array.reshape(list(reversed(dims))).copy()
    return metadata, tensors


def torch_encoder(metadata, tensors):
    """BERT's embeddings and an nn.TransformerEncoder with the file's weights."""
    dim = metadata["bert.embedding_length"]
    heads = metadata["bert.attention.head_count"]
    layers = metadata["bert.block_count"]
    hidden = metadata["bert.feed_forward_length"]
    eps = metadata["bert.attention.layer_norm_epsilon"]
    layer = torch.nn.TransformerEncoderLayer(dim, heads, hidden, dropout=0.0,
                                             activation="gelu", layer_norm_eps=eps,
                                             batch_first=True, norm_first=False)
    encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
    t = {name: torch.from_numpy(array) for name, array in tensors.items()}
    with torch.no_grad():
        for i, block in enumerate(encoder.layers):
            p = f"blk.{i}."
            block.self_attn.in_proj_weight.copy_(torch.cat(
                [t[p + "attn_q.weight"], t[p + "attn_k.weight"], t[p + "attn_v.weight"]]))
            block.self_attn.in_proj_bias.copy_(torch.cat(
                [t[p + "attn_q.bias"], t[p + "attn_k.bias"], t[p + "attn_v.bias"]]))
            block.self_attn.out_proj.weight.copy_(t[p + "attn_output.weight"])
            block.self_attn.out_proj.bias.copy_(t[p + "attn_output.bias"])
            block.norm1.weight.copy_(t[p + "attn_output_norm.weight"])
            block.norm1.bias.copy_(t[p + "attn_output_norm.bias"])
            block.linear1.weight.copy_(t[p + "ffn_up.weight"])
            block.linear1.bias.copy_(t[p + "ffn_up.bias"])
            block.linear2.weight.copy_(t[p + "ffn_down.weight"])
            block.linear2.bias.copy_(t[p + "ffn_down.bias"])
            block.norm2.weight.copy_(t[p + "layer_output_norm.weight"])
            block.norm2.bias.copy_(t[p + "layer_output_norm.bias"])
    encoder.eval()

    def encode(ids):
        with torch.no_grad():
            index = torch.tensor(ids)
            x = (t["token_embd.weight"][index] + t["position_embd.weight"][:len(ids)]
                 + t["token_types.weight"][0])
            x = torch.nn.functional.layer_norm(x, (dim,), t["token_embd_norm.weight"],
                                               t["token_embd_norm.bias"], eps)
            return encoder(x.unsqueeze(0)).squeeze(0).numpy()
    return encode


def main():
    model = sys.argv[1]
    tools = Path(sys.argv[2] if len(sys.argv) > 2 else Path(__file__).parent.parent / "build/bin")
    torch.set_num_threads(1)
    metadata, tensors = read_gguf(model)
    encode = torch_encoder(metadata, tensors)
    texts = ["Hello world, this is a test.", "a",
             "The quick brown fox jumps over the lazy dog near the river bank."]
    worst = 0.0
    for text in texts:
        ids = [int(i) for i in subprocess.run(
            [tools / "tfm-tokenize", model, "--", text], check=True,
            capture_output=True, text=True).stdout.split()]
        answer = subprocess.run([tools / "tfm-embed", model, "-p", text, "--pooling", "none",
                                 "--json"], check=True, capture_output=True, text=True).stdout
        ours = np.array([item["embedding"] for item in json.loads(answer)["data"]])
        theirs = encode(ids)
        absolute = float(np.abs(ours - theirs).max())
        relative = absolute / float(np.abs(theirs).max())
        worst = max(worst, relative)
        print(f"{len(ids):3d} tokens: max |tfm - torch| {absolute:.2e}, relative {relative:.2e}")
    print(f"torch {torch.__version__}: worst relative difference {worst:.2e}")
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()
