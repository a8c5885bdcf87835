"""The README of docs/python.md, run against an installed tfm: prints what
test/Install/install.test checks."""
import sys

import tfm

model_file, work = sys.argv[1], sys.argv[2]

print("prefix:", tfm.prefix())
directory = tfm.compile(model_file, work + "/py-model", quant="q8_0")
with tfm.Model(directory) as m:
    print("ids:", " ".join(map(str, m.tokenize("Once upon a time"))))
    print("round trip:", m.detokenize(m.tokenize("Zoé and Tom, 🙂")))
with tfm.Model(work + "/model") as m:
    greedy = "".join(m.generate("Once upon a time", max_tokens=32, temperature=0))
    print("greedy:" + greedy)
    print("logits:", len(m.logits()))
    first = "".join(m.generate("Once", max_tokens=24, seed=7))
    again = "".join(m.generate("Once", max_tokens=24, seed=7))
    print("seeded draws repeat:", first == again)
with tfm.Model(work + "/model", context=32) as m:
    long = "".join(m.generate("Once upon a time", max_tokens=100, temperature=0))
    print("past the context:", m.context_shifts, "shifts, position", m.position)
if len(sys.argv) > 3:
    # An encoder-decoder (T5): the prompt is the source.
    with tfm.Model(sys.argv[3]) as m:
        print("encoder-decoder:", m.is_encoder_decoder)
        print("t5 greedy:" + "".join(m.generate("the quick brown fox", max_tokens=16,
                                                temperature=0)))
for bad in (lambda: tfm.compile(work + "/missing.gguf", work + "/x"),
            lambda: tfm.Model(work + "/missing-dir"),
            lambda: list(tfm.Model(work + "/model").generate("x", top_p=0))):
    try:
        bad()
        print("error: none")
    except tfm.Error as error:
        print("error:", error)
