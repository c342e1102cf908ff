"""Which real tokenizer each format is tested with, and that tokenizer's stop tokens: the tests' one table.

A (format, tokenizer) pair is one row; the tests parametrize over :data:`PAIRS`. ``deepseek_v4`` (DSML with
``tool_calls``) is the V4 model's own format; V3.2's DSML is tested with both DeepSeek vocabularies. The
``default`` and ``jamba`` templates write their own turn markers (ChatML, Jamba's), plain text to Llama 3's
vocabulary: only the prompt is affected, the outputs under test are the recorded ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import deepseek, llama3


@dataclass(frozen=True)
class RealTokenizer:
    name: str
    #: the model's stop tokens (an engine stops on them and usually trims them from the text)
    stop_tokens: tuple[str, ...]
    #: format -> Hugging Face tokenizer directory with that format's chat template
    directory: Callable[[str], Path]


TOKENIZERS: dict[str, RealTokenizer] = {
    "deepseek_v3": RealTokenizer("deepseek_v3", (deepseek.EOS,), lambda fmt: deepseek.tokenizer_dir("deepseek_v3", fmt)),
    "deepseek_v4": RealTokenizer("deepseek_v4", (deepseek.EOS,), lambda fmt: deepseek.tokenizer_dir("deepseek_v4", fmt)),
    "llama3": RealTokenizer("llama3", llama3.STOP_TOKENS, llama3.tokenizer_dir),
}

#: (format, tokenizer name)
PAIRS: tuple[tuple[str, str], ...] = (
    ("deepseek_v3_1", "deepseek_v3"),
    ("deepseek_v3_2", "deepseek_v3"),
    ("deepseek_v3_2", "deepseek_v4"),
    ("deepseek_v4", "deepseek_v4"),
    ("nemotron_deci", "llama3"),
    ("default", "llama3"),
    ("jamba", "llama3"),
)

#: the chat template a tokenizer directory carries for a format (variants use their family's template)
TEMPLATE_OF = {"deepseek_v4": "deepseek_v3_2"}


def directory(tokenizer: str, fmt: str) -> Path:
    return TOKENIZERS[tokenizer].directory(TEMPLATE_OF.get(fmt, fmt))


@lru_cache(maxsize=None)
def load(tokenizer: str, fmt: str) -> Any:
    """transformers' ``AutoTokenizer`` on the directory, offline (what the engines load)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(directory(tokenizer, fmt)), local_files_only=True)
