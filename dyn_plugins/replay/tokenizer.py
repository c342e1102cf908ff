"""Build a small local Hugging Face tokenizer that knows every format's markers.

A byte-level BPE trained on the recorded samples (so punctuation such as ``",`` merges into single
tokens, as in real vocabularies) plus all markers as added special tokens, saved with a ChatML chat
template that renders ``tools`` and assistant ``tool_calls``. ``markers_special=False`` adds the markers as
added tokens that are NOT special (as DeepSeek's vocabulary has them): a detokenizer that skips special tokens
(Dynamo's native frontend) still shows them to the parser. Needs ``tokenizers`` and
``transformers`` (both come with vLLM and SGLang); no network.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..formats import FORMAT_NAMES, get_format
from ..samples import samples

CHAT_SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
#: harmony control tokens beyond the ones the parser matches on
EXTRA_SPECIALS = ["<|startoftext|>", "<｜end▁of▁sentence｜>", "<think>", "</think>"]

CHATML_TEMPLATE = (
    "{%- if tools %}<|im_start|>system\nYou can call these tools:\n"
    "{%- for tool in tools %}\n{{ tool | tojson }}{%- endfor %}<|im_end|>\n{%- endif %}"
    "{%- for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{%- if message['content'] is string %}{{ message['content'] }}{%- endif %}"
    "{%- if message.get('tool_calls') %}{%- for call in message['tool_calls'] %}"
    "{{ (call['function'] if call.get('function') else call) | tojson }}{%- endfor %}{%- endif %}"
    "<|im_end|>\n{%- endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}"
)


def all_markers() -> list[str]:
    """Every marker string of every format, in a stable order."""
    seen: dict[str, None] = {}
    for name in FORMAT_NAMES:
        fmt = get_format(name)
        for m in fmt.special_markers:
            seen.setdefault(m, None)
    return list(seen)


def _corpus() -> list[str]:
    text = [s.text for s in samples()]
    text += [
        "What is the weather in Paris? And the time in Tokyo?",
        'The user wants {"city": "Paris", "days": 3} and {"timezone": "Asia/Tokyo"}.',
        "Let me check the weather. It is sunny in Paris today.",
    ]
    return text * 4


def build_tokenizer(
    directory: str | Path, *, vocab_size: int = 1200, extra_special: list[str] | None = None, markers_special: bool = True
) -> Path:
    """Train and save the tokenizer (plus a minimal ``tokenizer_config.json``) into ``directory``.

    ``markers_special=False``: every format marker is an added, non-special token (one id, never skipped).
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    markers = all_markers()
    specials = CHAT_SPECIALS + EXTRA_SPECIALS + (markers if markers_special else []) + list(extra_special or [])
    specials = list(dict.fromkeys(specials))
    plain = [m for m in markers if m not in specials]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer)
    if plain:
        tok.add_tokens([AddedToken(m, special=False, normalized=False) for m in plain])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|startoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=[s for s in specials if s not in ("<|startoftext|>", "<|im_end|>", "<|endoftext|>")],
    )
    fast.chat_template = CHATML_TEMPLATE
    fast.save_pretrained(str(out))
    return out


def write_model_config(directory: str | Path, vocab_size: int, **overrides: object) -> Path:
    """A tiny ``config.json`` (a 1-layer Qwen2) so engines can build a model config without a hub."""
    cfg: dict[str, object] = {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "vocab_size": vocab_size,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-6,
        "torch_dtype": "float32",
        "bos_token_id": 0,
        "eos_token_id": 1,
        "tie_word_embeddings": True,
    }
    cfg.update(overrides)
    path = Path(directory) / "config.json"
    path.write_text(json.dumps(cfg, indent=2))
    return path
