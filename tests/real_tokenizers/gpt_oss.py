"""gpt-oss's real tokenizer (o200k_harmony), built offline from ``quicktok-v1``'s o200k vocabulary.

``quicktok-v1==0.4.0`` ships ``quicktok/data/o200k.vocab`` (little-endian ``uint32 n``, then per entry
``uint16 len, bytes, uint32 rank``). Written as ``base64(bytes) rank`` lines in rank order it is exactly
``o200k_base.tiktoken`` (sha256 checked below: the hash tiktoken and ``openai_harmony`` pin), so
``openai_harmony`` loads its gpt-oss encoding from it with ``TIKTOKEN_ENCODINGS_BASE`` and no network.

From the same ranks :func:`build_tokenizer_dir` writes a Hugging Face tokenizer directory for gpt-oss:
``tokenizer.json`` (byte-level BPE, o200k's pre-tokenizer regex, the Harmony special tokens at their real ids),
``tokenizer_config.json`` with the project's Harmony chat template, and a ``config.json`` whose ``model_type``
is ``gpt_oss`` (vLLM then takes its own Harmony path) or any other given type.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .hf_dir import tiny_llama_config
from .pypi_files import PinnedFile, cache_dir, fetch

O200K_VOCAB = PinnedFile(
    "quicktok-v1", "0.4.0", "quicktok/data/o200k.vocab", "6b17521f79788c7ace48fc75f6edde125637a90b0018427e68f28d051b2ac1fe"
)
#: sha256 of the public o200k_base.tiktoken (tiktoken's and openai_harmony's pin)
O200K_BASE_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"

#: o200k's pre-tokenizer (tiktoken's ``o200k_base`` pattern), alternatives joined with ``|``
O200K_PATTERN = "|".join(
    [
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
        r"\p{N}{1,3}",
        r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
        r"\s*[\r\n]+",
        r"\s+(?!\S)",
        r"\s+",
    ]
)

#: o200k_harmony's named special tokens (every other id from 199998 to 201087 is ``<|reserved_ID|>``)
NAMED_SPECIAL: dict[int, str] = {
    199998: "<|startoftext|>",
    199999: "<|endoftext|>",
    200002: "<|return|>",
    200003: "<|constrain|>",
    200005: "<|channel|>",
    200006: "<|start|>",
    200007: "<|end|>",
    200008: "<|message|>",
    200012: "<|call|>",
    200018: "<|endofprompt|>",
}
FIRST_SPECIAL, VOCAB_SIZE = 199998, 201088
#: the tokens a gpt-oss generation ends on (vLLM's Harmony stop tokens)
STOP_TOKENS = ("<|return|>", "<|call|>")

TEMPLATE = Path(__file__).resolve().parents[2] / "dyn_plugins" / "templates" / "harmony.jinja"


def special_tokens() -> dict[str, int]:
    """Every o200k_harmony special token -> its id."""
    return {NAMED_SPECIAL.get(i, f"<|reserved_{i}|>"): i for i in range(FIRST_SPECIAL, VOCAB_SIZE)}


def read_ranks(path: Path) -> list[bytes]:
    """The token bytes of ``o200k.vocab`` indexed by rank (ranks must be 0..n-1, each once)."""
    data = path.read_bytes()
    (n,) = struct.unpack_from("<I", data, 0)
    out: list[bytes | None] = [None] * n
    off = 4
    for _ in range(n):
        (length,) = struct.unpack_from("<H", data, off)
        token = data[off + 2 : off + 2 + length]
        (rank,) = struct.unpack_from("<I", data, off + 2 + length)
        off += 6 + length
        if rank >= n or out[rank] is not None:
            raise ValueError(f"{path}: rank {rank} out of range or repeated")
        out[rank] = token
    if off != len(data) or any(t is None for t in out):
        raise ValueError(f"{path}: not a contiguous rank table")
    return out  # type: ignore[return-value]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ranks() -> list[bytes]:
    return read_ranks(fetch(O200K_VOCAB))


def encodings_dir() -> Path:
    """A directory holding ``o200k_base.tiktoken`` (hash-checked): ``TIKTOKEN_ENCODINGS_BASE`` for openai_harmony."""
    out = cache_dir() / "gpt-oss" / "encodings"
    target = out / "o200k_base.tiktoken"
    if not target.is_file():
        out.mkdir(parents=True, exist_ok=True)
        lines = b"".join(base64.b64encode(tok) + b" %d\n" % rank for rank, tok in enumerate(ranks()))
        partial = target.with_suffix(f".{os.getpid()}")
        partial.write_bytes(lines)
        partial.replace(target)
    found = _sha256(target)
    if found != O200K_BASE_SHA256:
        raise RuntimeError(f"{target}: sha256 {found}, expected {O200K_BASE_SHA256}")
    return out


def use_offline_encodings() -> Path:
    """Point openai_harmony (and vLLM's Harmony path, which loads it) at the local encoding files."""
    base = encodings_dir()
    os.environ["TIKTOKEN_ENCODINGS_BASE"] = str(base)
    return base


def harmony_encoding() -> Any:
    """openai_harmony's own gpt-oss encoding, loaded offline: the reference for token ids and parsing."""
    use_offline_encodings()
    from openai_harmony import HarmonyEncodingName, load_harmony_encoding

    return load_harmony_encoding(HarmonyEncodingName.HARMONY_GPT_OSS)


# --- Hugging Face tokenizer.json -------------------------------------------------------------------------------


def _byte_chars() -> list[str]:
    """GPT-2's byte -> printable character table (what byte-level BPE vocabularies are written in)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table: dict[int, str] = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def _merges(tokens: list[bytes], index: dict[bytes, int]) -> Iterator[tuple[bytes, bytes]]:
    """BPE merges equivalent to rank-ordered byte-pair merging: for each token in rank order, every split into two
    tokens of lower rank, the split of lowest-ranked parts first."""
    for rank, tok in enumerate(tokens):
        splits = [
            (index[tok[:i]], index[tok[i:]], i)
            for i in range(1, len(tok))
            if index.get(tok[:i], rank) < rank and index.get(tok[i:], rank) < rank
        ]
        for _, _, i in sorted(splits):
            yield tok[:i], tok[i:]


def tokenizer_json(tokens: list[bytes]) -> dict[str, Any]:
    chars = _byte_chars()

    def text(b: bytes) -> str:
        return "".join(chars[x] for x in b)

    index = {tok: rank for rank, tok in enumerate(tokens)}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for s, i in special_tokens().items()
        ],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": O200K_PATTERN}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            ],
        },
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": True,
            "vocab": {text(tok): rank for rank, tok in enumerate(tokens)},
            "merges": [[text(a), text(b)] for a, b in _merges(tokens, index)],
        },
    }


def model_config(model_type: str = "gpt_oss") -> dict[str, Any]:
    """A tiny ``config.json``: vLLM reads ``model_type`` (``gpt_oss`` -> its Harmony path); nothing runs a model.

    Any other type gets :func:`.hf_dir.tiny_llama_config`'s Llama layout.
    """
    if model_type == "gpt_oss":
        return {
            "transformers_version": "4.55.0",
            "architectures": ["GptOssForCausalLM"],
            "model_type": "gpt_oss",
            "vocab_size": VOCAB_SIZE,
            "hidden_size": 64,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "head_dim": 32,
            "num_local_experts": 4,
            "num_experts_per_tok": 2,
            "layer_types": ["sliding_attention", "full_attention"],
            "sliding_window": 128,
            "max_position_embeddings": 4096,
            "eos_token_id": 200002,
            "pad_token_id": 199999,
            "tie_word_embeddings": False,
            "torch_dtype": "float32",
        }
    return tiny_llama_config(VOCAB_SIZE, model_type=model_type, eos_token_id=200002)


def _tokenizer_file() -> Path:
    """``tokenizer.json`` built once per cache (the merge table takes a few seconds)."""
    target = cache_dir() / "gpt-oss" / "tokenizer.json"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}")
        partial.write_text(json.dumps(tokenizer_json(ranks()), ensure_ascii=False))
        partial.replace(target)
    return target


def build_tokenizer_dir(directory: str | Path, *, model_type: str = "gpt_oss") -> Path:
    """A gpt-oss model directory: tokenizer.json, tokenizer_config.json (Harmony chat template), config.json."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    (out / "tokenizer.json").write_bytes(_tokenizer_file().read_bytes())
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|startoftext|>",
        "eos_token": "<|return|>",
        "pad_token": "<|endoftext|>",
        "model_max_length": 131072,
        "clean_up_tokenization_spaces": False,
        "chat_template": TEMPLATE.read_text(),
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False))
    (out / "config.json").write_text(json.dumps(model_config(model_type), indent=2))
    use_offline_encodings()
    return out


# --- the recorded Harmony outputs, as a gpt-oss model emits them ------------------------------------------------

#: a gpt-oss prompt ends with ``<|start|>assistant``: generation starts inside the assistant header
ASSISTANT_PREFIX = "<|start|>assistant"


@dataclass(frozen=True)
class HarmonyOutput:
    """One recorded Harmony output (a sample or a Dynamo fixture record's input)."""

    id: str
    text: str

    def ids(self, encode: Callable[[str], list[int]]) -> list[int]:
        """The generated ids: without a leading ``<|start|>assistant``, which on a gpt-oss model is the prompt's
        last two tokens (vLLM's token parser starts after them and would misread them as a header)."""
        ids = encode(self.text)
        prefix = encode(ASSISTANT_PREFIX)
        return ids[len(prefix) :] if ids[: len(prefix)] == prefix else ids

    def ends_on_stop(self, encode: Callable[[str], list[int]]) -> bool:
        """The last token is one a gpt-oss generation stops on (``<|call|>``, ``<|return|>``)."""
        stops = {special_tokens()[s] for s in STOP_TOKENS}
        ids = self.ids(encode)
        return bool(ids) and ids[-1] in stops


def harmony_outputs() -> list[HarmonyOutput]:
    """The harmony samples and every distinct input of the Dynamo harmony fixtures (tool calls and reasoning)."""
    from core.fixture_data import reasoning_cases
    from real_tokenizers.outputs import outputs

    out = [HarmonyOutput(o.id, o.text) for o in outputs("harmony")]
    seen = {o.text for o in out}
    for rec in reasoning_cases("harmony_reasoning_gpt_oss.json"):
        if rec["input"] not in seen:
            seen.add(rec["input"])
            out.append(HarmonyOutput(rec["name"], rec["input"]))
    return [o for o in out if o.text]
