"""A tiny random-weight model for a real ``vllm serve`` on a CPU-only machine (no hub, no download).

Qwen2 with random weights (seeded) next to the project's local tokenizer (every format's markers are
special tokens, :mod:`dyn_plugins.replay.tokenizer`), saved with safetensors. With random weights
only constrained decoding decides what a tool call looks like, which is what the live tests check.
``head_dim`` is 32: vLLM's CPU attention backend rejects 16.

Uniformly random logits make a constrained string run for hundreds of tokens (a quote is one token
in a thousand), so most calls would hit the token limit. The weights are random except for one
bias: every embedding carries a constant component and the output head maps it to a bonus for
tokens that close something (quotes, brackets, markers, end of turn). Sampling stays random (the
tests use temperature 1); outputs just end sooner.
"""

from __future__ import annotations

import json
from pathlib import Path

#: Qwen2 shape that vLLM's CPU backend runs (2 layers, ~0.2 M parameters besides the embeddings).
QWEN2_TINY: dict[str, object] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 2,
    "head_dim": 32,
    "tie_word_embeddings": False,
    "max_position_embeddings": 4096,
}


def build_random_model(directory: str | Path, *, seed: int = 0) -> Path:
    """Tokenizer + config + seeded random Qwen2 weights (``model.safetensors``) in ``directory``; reused if there."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from ..chat_templates import TEMPLATES
    from .tokenizer import build_tokenizer

    out = Path(directory)
    if (out / "model.safetensors").exists():
        return out
    # the templates' turn markers are single tokens too, as in the models these formats come from
    build_tokenizer(out, extra_special=sorted({t for tpl in TEMPLATES.values() for t in tpl.special_tokens}))
    tok = AutoTokenizer.from_pretrained(str(out))
    config = Qwen2Config(
        vocab_size=len(tok),
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        torch_dtype="float32",
        **QWEN2_TINY,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    _prefer_closing_tokens(model, tok)
    model.save_pretrained(str(out), safe_serialization=True)
    cfg = json.loads((out / "config.json").read_text())
    cfg["architectures"] = ["Qwen2ForCausalLM"]
    (out / "config.json").write_text(json.dumps(cfg, indent=2))
    return out


CLOSERS = ('"', "}", "]", "<", ">")
CLOSE_BONUS = 0.5  # x ~8 after the final norm: about e^4 = 55 times likelier than another token


def _prefer_closing_tokens(model: object, tok: object) -> None:
    import torch

    vocab = tok.convert_ids_to_tokens(list(range(len(tok))))  # type: ignore[attr-defined]
    special = set(tok.all_special_tokens)  # type: ignore[attr-defined]
    bonus = torch.tensor([CLOSE_BONUS if (v in special or any(c in (v or "") for c in CLOSERS)) else 0.0 for v in vocab])
    with torch.no_grad():
        model.model.embed_tokens.weight[:, 0] = 1.0  # type: ignore[attr-defined]
        model.lm_head.weight[:, 0] = bonus  # type: ignore[attr-defined]
