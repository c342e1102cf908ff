"""A real tokenizer's token-by-token text stream, the way serving engines detokenize: one helper for every test.

Engines decode incrementally: each new token's text is the decode of a short window of recent ids minus the
decode of the window without it, and a piece that ends in U+FFFD (a multi-byte character whose bytes are split
over tokens, e.g. an emoji) is held back until the character completes. A stop token (``<|eot_id|>``,
``<｜end▁of▁sentence｜>``, ``<|call|>``) is usually trimmed: the engine stops on it and never emits its text.
With ``skip_special_tokens`` the special tokens' text vanishes; added-but-not-special markers stay.

Works with a ``tokenizers.Tokenizer`` or a transformers tokenizer (both have ``encode`` / ``decode(ids,
skip_special_tokens=...)``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

REPLACEMENT = "\ufffd"


class Decoder(Protocol):
    def decode(self, ids: list[int], skip_special_tokens: bool = ...) -> str: ...


def encode(tokenizer: Any, text: str) -> list[int]:
    """The ids of ``text`` with no BOS or other added special tokens (markers in the text still match)."""
    out = tokenizer.encode(text, add_special_tokens=False)
    return list(out.ids) if hasattr(out, "ids") else list(out)


def trim_stop(ids: Sequence[int], stop_ids: Collection[int]) -> list[int]:
    """``ids`` without a final stop token, as an engine that stopped on it returns them."""
    ids = list(ids)
    if ids and ids[-1] in stop_ids:
        ids.pop()
    return ids


def token_texts(tokenizer: Decoder, ids: Sequence[int], *, skip_special_tokens: bool = False,
                flush: bool = True) -> list[str]:
    """One text per token id, as an engine streams them ("" for a token whose text is still held back).

    ``flush``: at the end, whatever is still held (an incomplete character) is given to the last token, so the
    pieces join to the full decode of ``ids``.
    """
    ids = list(ids)
    texts: list[str] = []
    prefix, read = 0, 0  # window start, and the end of what has already been emitted

    def dec(part: list[int]) -> str:
        return tokenizer.decode(part, skip_special_tokens=skip_special_tokens)

    for i in range(len(ids)):
        before = dec(ids[prefix:read])
        after = dec(ids[prefix:i + 1])
        if len(after) > len(before) and not after.endswith(REPLACEMENT):
            texts.append(after[len(before):])
            prefix, read = read, i + 1
        else:
            texts.append("")
    if flush and ids:
        emitted = "".join(texts)
        full = dec(ids)
        if full.startswith(emitted) and len(full) > len(emitted):
            texts[-1] += full[len(emitted):]
    return texts


def group(texts: Sequence[str], per: int) -> list[str]:
    """The deltas of an engine that sends ``per`` tokens per step (empty steps are not sent)."""
    out = ["".join(texts[i:i + per]) for i in range(0, len(texts), per)]
    return [d for d in out if d]


@dataclass(frozen=True)
class TokenStream:
    """One output as a model emits it: its token ids and each token's streamed text."""

    ids: tuple[int, ...]
    texts: tuple[str, ...]

    @property
    def text(self) -> str:
        """What the client receives in total (the non-streamed text)."""
        return "".join(self.texts)

    def deltas(self, per: int = 1) -> list[str]:
        return group(self.texts, per)


def stream(tokenizer: Any, text: str, *, skip_special_tokens: bool = False,
           stop_ids: Collection[int] = ()) -> TokenStream:
    """``text`` encoded with ``tokenizer`` and detokenized back token by token; a final id in ``stop_ids`` trimmed."""
    ids = trim_stop(encode(tokenizer, text), stop_ids)
    return TokenStream(tuple(ids), tuple(token_texts(tokenizer, ids, skip_special_tokens=skip_special_tokens)))
