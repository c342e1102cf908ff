"""Dynamo reasoning formats SGLang lacks (``granite``) as SGLang reasoning detectors.

A :class:`DynamoReasoningDetector` subclass per format (:func:`reasoning_detector_class`) wraps one
:class:`dyn_plugins.reasoning.ReasoningStream` per request: ``detect_and_parse`` is the splitter fed the
whole text, ``parse_streaming_increment`` feeds one delta and ``finish`` flushes what is held. SGLang builds reasoning parsers in the
tokenizer manager and the scheduler with varying keyword arguments (``force_reasoning``,
``stream_reasoning``, ``continue_final_message``, ...): all are accepted, ``force_reasoning`` starts the
stream inside a thought.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sglang.srt.parser.reasoning_parser import BaseReasoningFormatDetector, StreamingParseResult

from ..reasoning import ReasoningStream, get_reasoning_format


class DynamoReasoningDetector(BaseReasoningFormatDetector):
    """Dynamo reasoning format ``format_name`` over dyn-plugins' splitter."""

    format_name: ClassVar[str] = ""

    def __init__(self, *args: Any, force_reasoning: bool = False, stream_reasoning: bool = True, **kwargs: Any) -> None:
        fmt = get_reasoning_format(self.format_name)
        # reasoning_default=None: Dynamo's formats are not forced (SGLang's default "always" would force a thought
        # onto every request whose chat template it cannot classify)
        super().__init__(fmt.starts[0], fmt.ends[0], force_reasoning=force_reasoning, stream_reasoning=stream_reasoning, reasoning_default=None)
        self._fmt = fmt
        self._forced = bool(force_reasoning)
        self._stream: ReasoningStream = fmt.stream(self._forced)

    def detect_and_parse(self, text: str) -> StreamingParseResult:
        reasoning, answer = self._fmt.parse(text, self._forced)
        return StreamingParseResult(normal_text=answer, reasoning_text=reasoning)

    def parse_streaming_increment(self, new_text: str) -> StreamingParseResult:
        return self._result(*self._stream.feed(new_text))

    def finish(self) -> StreamingParseResult:
        """End of stream (SGLang's ``parse_stream_end``): the text held back as a possible marker."""
        return self._result(*self._stream.finish())

    def _result(self, reasoning: str, answer: str) -> StreamingParseResult:
        self._in_reasoning = self._stream.in_reasoning  # SGLang's base class state, read by its serving code
        return StreamingParseResult(normal_text=answer, reasoning_text=reasoning)


_CLASSES: dict[str, type[DynamoReasoningDetector]] = {}


def reasoning_detector_class(fmt: str) -> type[DynamoReasoningDetector]:
    """The detector class for reasoning format ``fmt`` (one per format, created once)."""
    cls = _CLASSES.get(fmt)
    if cls is None:
        get_reasoning_format(fmt)  # KeyError for an unknown format
        camel = "".join(p.capitalize() for p in fmt.split("_"))
        cls = type(f"Dynamo{camel}ReasoningDetector", (DynamoReasoningDetector,), {"format_name": fmt, "__module__": __name__})
        _CLASSES[fmt] = cls
    return cls
