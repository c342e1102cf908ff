"""Writes a Hugging Face tokenizer directory that transformers' ``AutoTokenizer`` loads offline.

One directory per (vocabulary, format): the real ``tokenizer.json`` plus a ``tokenizer_config.json`` carrying
the format's own chat template (``dyn_plugins/templates/<format>.jinja``). ``PreTrainedTokenizerFast`` is named
as the class so transformers uses ``tokenizer.json`` as it is (a model-specific class may rebuild the
pre-tokenizer). Built once into the cache, under a name that hashes everything written, so a changed template
or vocabulary gets a new directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from dyn_plugins.chat_templates import template_path

from .pypi_files import cache_dir


def tokenizer_config(fmt: str, *, bos: str, eos: str, pad: str | None = None, max_length: int = 131072) -> dict:
    """The ``tokenizer_config.json`` content: special-token roles and the format's chat template."""
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos,
        "eos_token": eos,
        "pad_token": pad or eos,
        "add_bos_token": False,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": max_length,
        "chat_template": template_path(fmt).read_text(),
    }


def tiny_llama_config(vocab_size: int, *, model_type: str = "llama", **extra: object) -> dict:
    """A tiny Llama ``config.json`` for serving a real tokenizer (nothing runs a model; vLLM reads ``model_type``).

    A Llama layout because transformers 5 loads ``tokenizer.json`` as it is for ``llama`` (and ``gpt_oss``), where
    for e.g. ``qwen2`` it builds ``Qwen2Tokenizer``, which replaces the pre-tokenizer and adds NFC. A
    ``transformers_version`` tells transformers this is no Mistral tokenizer needing its regex fix (else it warns).
    """
    return {
        "transformers_version": "4.55.0",
        "architectures": ["LlamaForCausalLM"],
        "model_type": model_type,
        "vocab_size": vocab_size,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
        "head_dim": 32,
        "max_position_embeddings": 4096,
        "torch_dtype": "float32",
        **extra,
    }


def write_dir(name: str, tokenizer_json: bytes, config: dict) -> Path:
    """``<cache>/hf/<name>-<hash>/`` holding ``tokenizer.json`` and ``tokenizer_config.json`` (built once)."""
    cfg = json.dumps(config, indent=2, ensure_ascii=False).encode()
    digest = hashlib.sha256(tokenizer_json + b"\0" + cfg).hexdigest()[:12]
    target = cache_dir() / "hf" / f"{name}-{digest}"
    if (target / "tokenizer_config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    (tmp / "tokenizer.json").write_bytes(tokenizer_json)
    (tmp / "tokenizer_config.json").write_bytes(cfg)
    try:
        os.replace(tmp, target)
    except OSError:  # another process built it first
        shutil.rmtree(tmp, ignore_errors=True)
    return target
