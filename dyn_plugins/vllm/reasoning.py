"""Dynamo reasoning formats vLLM lacks (``kimi``) as vLLM ``ReasoningParser`` classes.

One generic class over :class:`dyn_plugins.reasoning.ReasoningStream`, one subclass per format
(:data:`PARSERS`, registered lazily by :mod:`.plugin`). The markers are text, not single tokens
(``◁think▷`` is several tokens in Kimi's vocabulary), so the parser works on text:

- ``engine_based_streaming = True``: vLLM asks :meth:`has_engine_confirmed_reasoning_end` after each
  delta instead of scanning token ids; it becomes true once the thought is closed, or once answer
  text arrives while no thought was opened (the format is not forced: the output may not think).
  vLLM then calls :meth:`finish_streaming` for the text held back as a possible marker.
- ``is_reasoning_end`` (the prompt check, structured outputs) decodes the ids: true when an end
  marker follows the last start marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ..reasoning import REASONING_FORMATS, ReasoningStream, get_reasoning_format
from . import compat, reasoning_class_name
from .plugin import flush_pending

_Base: Any = compat.ReasoningParser


class DynamoReasoningParser(_Base):  # type: ignore[misc, valid-type]
    """vLLM ReasoningParser over the reasoning format ``format_name`` (set by each subclass)."""

    format_name: ClassVar[str] = ""
    engine_based_streaming = True

    def __init__(self, tokenizer: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(tokenizer, *args, **kwargs)
        self._fmt = get_reasoning_format(self.format_name)
        self._stream: ReasoningStream = self._fmt.stream()
        self._done = False
        self._flushed = False

    @property
    def reasoning_start_str(self) -> str | None:
        return self._fmt.starts[0]

    @property
    def reasoning_end_str(self) -> str | None:
        return self._fmt.ends[0]

    # -- token-id questions (answered on the decoded text) ------------------------------------------
    def _decode(self, ids: Sequence[int]) -> str:
        try:
            return self.model_tokenizer.decode(list(ids))
        except Exception:  # noqa: BLE001 - a tokenizer that cannot decode: no marker seen
            return ""

    def is_reasoning_end(self, input_ids: Sequence[int]) -> bool:
        text = self._decode(input_ids)
        end = max((text.rfind(m) for m in self._fmt.ends), default=-1)
        start = max((text.rfind(m) for m in self._fmt.starts), default=-1)
        return end >= 0 and end > start

    def is_reasoning_end_streaming(self, input_ids: Sequence[int], delta_ids: Any) -> bool:
        return self.is_reasoning_end(input_ids)

    def extract_content_ids(self, input_ids: list[int]) -> list[int]:
        """The ids after the (first) end marker; all of them when they hold none."""
        ids = list(input_ids)
        if not any(m in self._decode(ids) for m in self._fmt.ends):
            return ids
        for k in range(1, len(ids) + 1):
            if any(m in self._decode(ids[:k]) for m in self._fmt.ends):
                return ids[k:]
        return []

    def has_engine_confirmed_reasoning_end(self) -> bool:
        return self._done

    # -- text ---------------------------------------------------------------------------------------
    def extract_reasoning(self, model_output: str, request: Any) -> tuple[str | None, str | None]:
        reasoning, answer = self._fmt.parse(model_output)
        return reasoning or None, answer or None

    def extract_reasoning_streaming(
        self,
        previous_text: str,
        current_text: str,
        delta_text: str,
        previous_token_ids: Sequence[int],
        current_token_ids: Sequence[int],
        delta_token_ids: Sequence[int],
    ) -> Any:
        if self._done:
            return compat.DeltaMessage(content=delta_text) if delta_text else None
        reasoning, answer = self._stream.feed(delta_text)
        if self._stream.ended or (answer.strip() and not self._stream.in_reasoning):
            self._done = True
        return self._delta(reasoning, answer)

    def finish_streaming(self) -> Any:
        """Text held back as a possible marker (at the reasoning/answer switch, or at the end)."""
        if self._flushed:
            return None
        self._flushed = True
        self._done = True
        return self._delta(*self._stream.finish())

    @staticmethod
    def _delta(reasoning: str, answer: str) -> Any:
        if not (reasoning or answer):
            return None
        kwargs: dict[str, Any] = {}
        if reasoning:
            kwargs[compat.REASONING_FIELD] = reasoning
        if answer:
            kwargs["content"] = answer
        return compat.DeltaMessage(**kwargs)


def _build_all() -> dict[str, type]:
    return {
        fmt: type(reasoning_class_name(fmt), (DynamoReasoningParser,), {"format_name": fmt, "__module__": __name__})
        for fmt in REASONING_FORMATS
    }


#: reasoning format -> parser class
PARSERS: dict[str, type] = _build_all()
_BY_CLASS_NAME: dict[str, type] = {cls.__name__: cls for cls in PARSERS.values()}


def __getattr__(name: str) -> type:
    """The parser classes as module attributes (what vLLM's lazy registration looks up); the first lookup emits
    the registration lines held back until vLLM had configured its logging (as :mod:`.parser` does)."""
    cls = _BY_CLASS_NAME.get(name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    flush_pending()
    return cls
