"""One generic SGLang ``BaseFormatDetector`` over the core streaming parser, specialised per format.

``detector_class(fmt)`` returns the (cached) subclass for a Dynamo format; it only sets ``format_name``.
SGLang builds a new detector per request (and per choice when streaming: ``FunctionCallParser`` in
``serving_chat._process_tool_call_stream``), so each instance owns one core stream.

Conventions kept (SGLang 0.5.23):
* ``tool_index`` is the call's position in the response; a call is streamed as a name item
  (``parameters=""``) as soon as the name is certain, then argument fragments as they arrive
  (``DYN_PLUGINS_TOOL_STREAMING=buffered``: one item with the whole arguments; see
  :mod:`dyn_plugins.streaming_mode`);
* ``prev_tool_call_arr[i]["arguments"]`` holds the arguments TEXT streamed so far and
  ``streamed_args_for_tool[i]`` the same text, so ``_check_for_unstreamed_tool_args`` adds nothing;
* ``finish(tools)`` flushes the core stream: the JSON family (jamba, nemotron_deci, default) emits its
  calls only there; ``serving_chat`` calls it on the last delta;
* markers are special tokens: ``serving_chat`` already sets ``skip_special_tokens=False`` whenever a
  request has tools and ``tool_choice != "none"``, so nothing to do here.
* harmony: the analysis channel is reasoning; it never becomes content (it is kept in
  ``reasoning_text``). With ``--reasoning-parser gpt-oss`` SGLang strips the analysis channel and the
  ``final`` channel framing before the tool parser sees the text, so the stream is primed with the
  format's ``answer_header`` (the ``final`` channel header): text that arrives without harmony markers is the answer, not dropped.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from sglang.srt.function_call.base_format_detector import BaseFormatDetector
from sglang.srt.function_call.core_types import StreamingParseResult, StructureInfo, ToolCallItem

from .. import streaming_mode, structural_tags
from ..formats import FormatStream, assemble, fold, get_format
from . import grammar

logger = logging.getLogger("dyn_plugins")

class DynamoDetector(BaseFormatDetector):
    """Dynamo format ``format_name`` as an SGLang detector (subclass per format via :func:`detector_class`)."""

    format_name: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self._fmt = get_format(self.format_name)
        self._stream: FormatStream | None = None
        self.reasoning_text = ""
        self.bot_token = self._fmt.triggers[0]
        self.eot_token = grammar.LAYOUTS[self.format_name].call_end if self.format_name in grammar.LAYOUTS else ""

    # ------------------------------------------------------------------ one-shot

    def has_tool_call(self, text: str) -> bool:
        return self._fmt.has_trigger(text)

    def detect_and_parse(self, text: str, tools: list[Any]) -> StreamingParseResult:
        stream = self._new_stream(tools, buffered=True)  # one-shot: Dynamo's parse
        events = stream.feed(text) + stream.finish_output()
        result = assemble(events)
        self.reasoning_text += result.reasoning_text
        calls = [ToolCallItem(tool_index=i, name=c.name, parameters=c.arguments) for i, c in enumerate(result.calls)]
        return StreamingParseResult(normal_text=result.normal_text, calls=calls)

    # ------------------------------------------------------------------ streaming

    def parse_streaming_increment(self, new_text: str, tools: list[Any]) -> StreamingParseResult:
        if self._stream is None:
            self._stream = self._new_stream(tools, buffered=streaming_mode.buffered())
        return self._convert(self._stream.feed(new_text))

    def finish(self, tools: list[Any]) -> StreamingParseResult:
        if self._stream is None:
            return StreamingParseResult()
        return self._convert(self._stream.finish_output())


    def _new_stream(self, tools: list[Any], *, buffered: bool) -> FormatStream:
        stream = self._fmt.stream(tools, buffered=buffered)
        if self._fmt.answer_header:
            stream.feed(self._fmt.answer_header)  # an empty answer so far: emits nothing
        return stream

    def _convert(self, events: list[Any]) -> StreamingParseResult:
        chunk = fold(events, self.prev_tool_call_arr, self.streamed_args_for_tool, per_call=False)
        if chunk.started >= 0:
            self.current_tool_id = chunk.started
            self.current_tool_name_sent = True
        if chunk.reasoning is not None:
            self.reasoning_text += chunk.reasoning
        calls = [ToolCallItem(tool_index=p.index, name=p.name, parameters=p.arguments) for p in chunk.calls]
        return StreamingParseResult(normal_text=chunk.text or "", calls=calls)

    # ------------------------------------------------------------------ constrained decoding

    def supports_structural_tag(self) -> bool:
        return self.format_name in grammar.LAYOUTS and structural_tags.supported()

    def structure_info(self):  # type: ignore[no-untyped-def]
        """Legacy per-call begin/end (SGLang falls back to it only if :meth:`get_structural_tag` gives None)."""
        layout = grammar.LAYOUTS[self.format_name]

        def info(name: str) -> StructureInfo:
            return StructureInfo(begin=layout.block_begin + layout.begin_for(name), end=layout.call_end + layout.block_end, trigger=layout.trigger)

        return info

    def get_structural_tag(self, tools=None, tool_choice="auto", thinking_mode=False, parallel_tool_calls=True):  # type: ignore[no-untyped-def]
        """Our own xgrammar structural tag: the whole call block in this format (see :mod:`.grammar`).

        ``tool_choice`` "required" or a named function: the output is exactly one block of calls;
        "auto" (SGLang asks only when tools are strict): free text, calls after the trigger.
        """
        if not self.supports_structural_tag():
            # no block grammar (qwen3), or an xgrammar that cannot express ours (< 0.2.8, SGLang 0.5.23's pin):
            # SGLang constrains to its JSON call list and parses that itself
            return None
        try:
            from xgrammar import StructuralTag
        except ImportError:  # pragma: no cover - SGLang always ships xgrammar
            return None
        only = None
        fn = getattr(tool_choice, "function", None)
        if fn is not None:
            only = getattr(fn, "name", None)
        elif isinstance(tool_choice, dict):
            only = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
        required = tool_choice == "required" or only is not None
        tag = grammar.structural_tag(self.format_name, list(tools or []), required=required, parallel=parallel_tool_calls is not False, only=only)
        return StructuralTag.from_json(tag)

    def build_ebnf(self, tools: list[Any], parallel: bool = True) -> str:
        """EBNF of one complete tool-call block in this format (names limited to ``tools``)."""
        return grammar.build_ebnf(self.format_name, tools, parallel=parallel)


_CLASSES: dict[str, type[DynamoDetector]] = {}


def detector_class(fmt: str) -> type[DynamoDetector]:
    """The detector class for Dynamo format ``fmt`` (one per format, created once)."""
    cls = _CLASSES.get(fmt)
    if cls is None:
        get_format(fmt)  # KeyError for an unknown format, before a class exists
        camel = "".join(p.capitalize() for p in fmt.split("_"))
        cls = type(f"Dynamo{camel}Detector", (DynamoDetector,), {"format_name": fmt, "__module__": __name__})
        _CLASSES[fmt] = cls
    return cls
