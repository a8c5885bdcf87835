"""Run models compiled by tfm-compile from Python.

    import tfm
    tfm.compile("stories260K.bin", "out/stories")      # the installed tfm-compile
    m = tfm.Model("out/stories")
    for piece in m.generate("Once upon a time", max_tokens=64, temperature=0.8):
        print(piece, end="")

A ctypes binding of the C API (include/tfm/Runtime/tfm.h, libtfm_runtime):
the standard library only; `Model.logits` returns a numpy array when numpy
is installed. See docs/python.md.
"""

import codecs
import ctypes
import os
import pathlib
import subprocess

from . import _install

__all__ = ["Error", "Model", "compile", "prefix"]

_OK = 0
_SAMPLER_RANDOM_SEED = (1 << 64) - 1


class Error(RuntimeError):
    """A failed C API call or tfm-compile run, with its one-line message."""


def prefix():
    """The tfm installation this package belongs to ($TFM_PREFIX overrides)."""
    if os.environ.get("TFM_PREFIX"):
        return pathlib.Path(os.environ["TFM_PREFIX"])
    return (pathlib.Path(__file__).resolve().parent / _install.PREFIX_FROM_PACKAGE).resolve()


class _SamplerParams(ctypes.Structure):
    _fields_ = [
        ("temperature", ctypes.c_float),
        ("top_k", ctypes.c_int32),
        ("top_p", ctypes.c_float),
        ("repeat_penalty", ctypes.c_float),
        ("repeat_last_n", ctypes.c_int32),
        ("seed", ctypes.c_uint64),
    ]


def _declare(lib):
    """Argument and result types of the calls this module makes."""
    p, i32, f32p = ctypes.c_void_p, ctypes.c_int32, ctypes.POINTER(ctypes.c_float)
    i32p = ctypes.POINTER(ctypes.c_int32)
    signatures = {
        "tfm_last_error": (ctypes.c_char_p, []),
        "tfm_model_load": (i32, [ctypes.c_char_p, ctypes.POINTER(p)]),
        "tfm_model_free": (None, [p]),
        "tfm_model_vocab_size": (i32, [p]),
        "tfm_model_max_context": (i32, [p]),
        "tfm_model_bos": (i32, [p]),
        "tfm_model_eos": (i32, [p]),
        "tfm_model_add_bos": (ctypes.c_int, [p]),
        "tfm_context_create": (i32, [p, i32, i32, ctypes.POINTER(p)]),
        "tfm_context_free": (None, [p]),
        "tfm_context_reset": (None, [p]),
        "tfm_context_shift": (i32, [p, i32, i32]),
        "tfm_context_position": (i32, [p]),
        "tfm_context_length": (i32, [p]),
        "tfm_model_is_encoder_decoder": (ctypes.c_int, [p]),
        "tfm_model_decoder_start_token": (i32, [p]),
        "tfm_encode_source": (i32, [p, i32p, i32]),
        "tfm_prefill": (i32, [p, i32p, i32, ctypes.POINTER(f32p)]),
        "tfm_decode": (i32, [p, i32, ctypes.POINTER(f32p)]),
        "tfm_tokenize": (i32, [p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int,
                               i32p, i32, i32p]),
        "tfm_token_to_piece": (i32, [p, i32, i32, ctypes.c_char_p, ctypes.c_size_t,
                                     ctypes.POINTER(ctypes.c_size_t)]),
        "tfm_sampler_default_params": (_SamplerParams, []),
        "tfm_sampler_create": (i32, [ctypes.POINTER(_SamplerParams), ctypes.POINTER(p)]),
        "tfm_sampler_free": (None, [p]),
        "tfm_sampler_accept": (i32, [p, i32]),
        "tfm_sampler_sample": (i32, [p, f32p, i32, i32p]),
    }
    for name, (result, arguments) in signatures.items():
        function = getattr(lib, name)
        function.restype = result
        function.argtypes = arguments
    return lib


_library = None


def _lib():
    global _library
    if _library is None:
        path = os.environ.get("TFM_RUNTIME_LIBRARY") or str(prefix() / "lib" / "libtfm_runtime.so")
        try:
            _library = _declare(ctypes.CDLL(path))
        except OSError as error:
            raise Error(f"cannot load the tfm runtime {path}: {error}") from None
    return _library


def _check(status, what):
    if status != _OK:
        raise Error(f"{what}: {_lib().tfm_last_error().decode('utf-8', 'replace')}")


def compile(model_file, out_dir, *, quant=None, kv_type=None, context=None, args=()):
    """Compiles MODEL_FILE (GGUF, llama2.c, Hugging Face directory) into OUT_DIR
    with the installed tfm-compile; `args` are further tfm-compile flags.
    Returns OUT_DIR; raises Error with tfm-compile's message on failure."""
    command = [str(prefix() / "bin" / "tfm-compile"), str(model_file), "-o", str(out_dir)]
    if quant:
        command.append(f"--quant={quant}")
    if kv_type:
        command.append(f"--kv-type={kv_type}")
    if context:
        command.append(f"--context={int(context)}")
    command.extend(str(a) for a in args)
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    except OSError as error:
        raise Error(f"cannot run {command[0]}: {error}") from None
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        raise Error(lines[-1] if lines else f"tfm-compile exited with {result.returncode}")
    return str(out_dir)


class Model:
    """A compiled model directory and one context (KV cache) on it."""

    def __init__(self, directory, *, threads=0, context=0):
        lib = _lib()
        self._model = ctypes.c_void_p()
        self._context = ctypes.c_void_p()
        _check(lib.tfm_model_load(os.fsencode(directory), ctypes.byref(self._model)),
               str(directory))
        try:
            _check(lib.tfm_context_create(self._model, int(context), int(threads),
                                          ctypes.byref(self._context)), "context")
        except Error:
            lib.tfm_model_free(self._model)
            self._model = ctypes.c_void_p()
            raise
        self.vocab_size = lib.tfm_model_vocab_size(self._model)
        self.max_context = lib.tfm_model_max_context(self._model)
        # An encoder-decoder (T5) generates from a source text.
        self.is_encoder_decoder = bool(lib.tfm_model_is_encoder_decoder(self._model))
        self.context_shifts = 0
        self._logits = None

    def close(self):
        """Frees the context and the model (also on garbage collection)."""
        lib = _library
        if lib is not None and self._context:
            lib.tfm_context_free(self._context)
            self._context = ctypes.c_void_p()
        if lib is not None and self._model:
            lib.tfm_model_free(self._model)
            self._model = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()

    def __del__(self):
        self.close()

    @property
    def bos(self):
        return _lib().tfm_model_bos(self._model)

    @property
    def eos(self):
        return _lib().tfm_model_eos(self._model)

    @property
    def add_bos(self):
        """Whether tokenize puts BOS first (tfm_model_add_bos)."""
        return bool(_lib().tfm_model_add_bos(self._model))

    def tokenize(self, text, add_special=True):
        """The token ids of TEXT (str or UTF-8 bytes), with the tokens the
        vocabulary puts around a text (BOS for Llama) when ADD_SPECIAL."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        count = ctypes.c_int32()
        lib = _lib()
        status = lib.tfm_tokenize(self._model, data, len(data), int(add_special), None, 0,
                                  ctypes.byref(count))
        if status != _OK and count.value == 0:
            _check(status, "tokenize")
        ids = (ctypes.c_int32 * count.value)()
        _check(lib.tfm_tokenize(self._model, data, len(data), int(add_special), ids,
                                count.value, ctypes.byref(count)), "tokenize")
        return list(ids)

    def piece(self, token, previous=-1):
        """The bytes TOKEN stands for after PREVIOUS (-1 at the start)."""
        lib = _lib()
        buffer = ctypes.create_string_buffer(64)
        length = ctypes.c_size_t()
        _check(lib.tfm_token_to_piece(self._model, previous, token, buffer, 64,
                                      ctypes.byref(length)), "token_to_piece")
        if length.value > 64:
            buffer = ctypes.create_string_buffer(length.value)
            _check(lib.tfm_token_to_piece(self._model, previous, token, buffer,
                                          length.value, ctypes.byref(length)),
                   "token_to_piece")
        return buffer.raw[:length.value]

    def detokenize(self, ids):
        """The text of a sequence of ids (invalid UTF-8 becomes U+FFFD)."""
        data, previous = b"", -1
        for token in ids:
            data += self.piece(token, previous)
            previous = token
        return data.decode("utf-8", "replace")

    def reset(self):
        """Forgets every token of the context."""
        _lib().tfm_context_reset(self._context)
        self._logits = None

    def shift(self, keep, discard):
        """llama.cpp's context shift: forgets the DISCARD tokens after the
        first KEEP and moves the later ones back (tfm_context_shift)."""
        _check(_lib().tfm_context_shift(self._context, int(keep), int(discard)), "shift")
        self.context_shifts += 1

    @property
    def position(self):
        return _lib().tfm_context_position(self._context)

    def encode_source(self, tokens):
        """An encoder-decoder's source: runs the encoder over TOKENS and
        keeps the keys and values the decoder's cross-attention reads; the
        decoder starts again (tfm_encode_source)."""
        tokens = list(tokens)
        array = (ctypes.c_int32 * len(tokens))(*tokens)
        _check(_lib().tfm_encode_source(self._context, array, len(tokens)), "encode")
        self._logits = None

    def eval(self, tokens):
        """Runs TOKENS at the current position (one batched call)."""
        tokens = list(tokens)
        array = (ctypes.c_int32 * len(tokens))(*tokens)
        logits = ctypes.POINTER(ctypes.c_float)()
        _check(_lib().tfm_prefill(self._context, array, len(tokens), ctypes.byref(logits)),
               "prefill")
        self._logits = logits

    def logits(self):
        """The logits of the last token run: a numpy array when numpy is
        installed, else a list of floats."""
        if self._logits is None:
            raise Error("no logits yet: run eval() or generate() first")
        try:
            import numpy
        except ImportError:
            return self._logits[: self.vocab_size]
        return numpy.ctypeslib.as_array(self._logits, shape=(self.vocab_size,)).copy()

    def generate(self, prompt, max_tokens=128, *, temperature=0.8, top_k=40, top_p=0.95,
                 repeat_penalty=1.0, repeat_last_n=64, seed=None, reset=True,
                 context_shift=True):
        """Yields the text that follows PROMPT piece by piece (whole UTF-8
        characters), until EOS or MAX_TOKENS; the sampling parameters mean
        what they mean in tfm-run and llama.cpp. A full context is shifted
        as tfm-run does by default (BOS stays, half the rest goes), or ends
        the text with CONTEXT_SHIFT false. An encoder-decoder (T5) encodes
        PROMPT as its source and generates from its decoder's start token,
        until its context is full."""
        lib = _lib()
        if reset:
            self.reset()
        if self.is_encoder_decoder:
            source = self.tokenize(prompt)
            if not source:
                return
            self.encode_source(source)
            ids = [lib.tfm_model_decoder_start_token(self._model)]
            context_shift = False
        else:
            ids = self.tokenize(prompt, add_special=self.position == 0)
        if not ids:
            return
        params = _SamplerParams(float(temperature), int(top_k), float(top_p),
                                float(repeat_penalty), int(repeat_last_n),
                                _SAMPLER_RANDOM_SEED if seed is None else int(seed))
        sampler = ctypes.c_void_p()
        _check(lib.tfm_sampler_create(ctypes.byref(params), ctypes.byref(sampler)), "sampler")
        try:
            for token in ids:
                lib.tfm_sampler_accept(sampler, token)
            self.eval(ids)
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            previous, eos = ids[-1], self.eos
            for _ in range(int(max_tokens)):
                token = ctypes.c_int32()
                _check(lib.tfm_sampler_sample(sampler, self._logits, self.vocab_size,
                                              ctypes.byref(token)), "sample")
                if token.value == eos:
                    break
                text = decoder.decode(self.piece(token.value, previous))
                if text:
                    yield text
                previous = token.value
                if self.position >= lib.tfm_context_length(self._context):
                    if not context_shift:
                        break  # the context is full
                    keep = 1 if self.add_bos else 0
                    self.shift(keep, max(1, (self.position - keep) // 2))
                logits = ctypes.POINTER(ctypes.c_float)()
                _check(lib.tfm_decode(self._context, previous, ctypes.byref(logits)),
                       "decode")
                self._logits = logits
            rest = decoder.decode(b"", final=True)
            if rest:
                yield rest
        finally:
            lib.tfm_sampler_free(sampler)
