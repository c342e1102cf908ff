"""One generic vLLM ``ToolParser`` over dyn-plugins' core streaming parser, one subclass per format.

:class:`DynamoToolParser` does all the work; each format gets a two-line subclass created by
:func:`make_parser_class` (``format_name`` plus the vLLM class attributes that depend on the format).
vLLM builds one parser per request and choice, so the streaming state (one core ``FormatStream``)
lives on the instance.

Streaming contract with vLLM 0.31 / 0.32 (``vllm/parser/abstract_parser.py``):

- ``extract_tool_calls_streaming`` feeds only ``delta_text`` to the core stream and turns its events
  into a ``DeltaMessage`` (content, reasoning, tool-call deltas with index, id on the first delta).
- ``engine_based_streaming = True``: ``Parser.parse_delta(..., finished=True)`` then calls
  :meth:`DynamoToolParser.finish_streaming` (``_flush_engine_parsers``), which flushes the core
  stream's ``finish_output()`` events (a stop token vLLM trimmed, gpt-oss's ``<|call|>``, put back). The JSON family (jamba, nemotron_deci, default) emits its calls only
  there. The flag also makes vLLM skip accumulating ``previous_text`` (we never read it) and, for
  non-streaming output without calls and for ``tool_choice="none"``, use our ``content`` (markup
  stripped) instead of the raw text.
- Calls stream live (:mod:`dyn_plugins.streaming_mode`): the first delta of a call carries ``id``,
  ``type`` and ``function.name``, later ones ``index`` and argument fragments only.
  ``prev_tool_call_arr`` / ``streamed_args_for_tool`` always hold the argument text streamed so far,
  so vLLM's end-of-stream ``get_remaining_unstreamed_args`` adds nothing and duplicates nothing.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Sequence
from typing import Any, ClassVar

from .. import streaming_mode
from ..formats import ALL_FORMAT_NAMES, get_format
from ..formats.fold import fold
from ..formats.types import Event
from . import compat, parser_class_name, plugin, structural_tags

logger = logging.getLogger("vllm.dyn_plugins")

#: vLLM's own structural-tag key per format (the key vLLM's parser for the same wire format uses), used only where
#: the installed xgrammar cannot express our tags (< 0.2.8: vLLM 0.31) and this vLLM knows the key; formats
#: without one keep vLLM's generic JSON path for ``tool_choice="required"`` / named functions.
VLLM_TAG_MODELS: dict[str, str] = {
    "glm47": "glm_4_7",
    "deepseek_v3_1": "deepseek_v3_1",
    "deepseek_v3_2": "deepseek_v3_2",
    "deepseek_v4": "deepseek_v4",
    "harmony": "harmony",
}
#: Formats whose default ``--tool-strict-level`` is FUNCTION (the call envelope is constrained even for
#: ``tool_choice="auto"``), as vLLM's own parser for the same wire format has it (vLLM's glm47); the others keep
#: vLLM's default (AUTO: constrained only for required/named choices or tools with ``strict: true``). An explicit
#: ``--tool-strict-level`` always wins (0.33: even ``auto`` overrides this default).
FUNCTION_STRICT: frozenset[str] = frozenset({"glm47"})

#: tokenizer -> its special-token strings; weak keys: an entry goes with its tokenizer (ids are reused)
_special_cache: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()


def _special_tokens(tokenizer: Any) -> frozenset[str]:
    """Strings the tokenizer treats as special (stripped by ``skip_special_tokens=True``); cached per tokenizer."""
    try:
        cached = _special_cache.get(tokenizer)
    except TypeError:  # not weakly referenceable / not hashable: computed every time
        cached = None
    if cached is not None:
        return cached
    found: set[str] = set()
    try:
        found.update(getattr(tokenizer, "all_special_tokens", None) or ())
    except Exception:  # noqa: BLE001 - tokenizers differ; best effort
        pass
    try:
        decoder = getattr(tokenizer, "added_tokens_decoder", None) or {}
        found.update(str(tok) for tok in decoder.values() if getattr(tok, "special", False))
    except Exception:  # noqa: BLE001
        pass
    result = frozenset(found)
    try:
        _special_cache[tokenizer] = result
    except TypeError:
        pass
    return result


class DynamoToolParser(compat.ToolParser):  # type: ignore[misc, valid-type]
    """vLLM ToolParser over the core format ``format_name`` (set by each subclass)."""

    format_name: ClassVar[str] = ""
    engine_based_streaming = True

    def __init__(self, tokenizer: Any, tools: list[Any] | None = None) -> None:
        super().__init__(tokenizer, tools)
        self._format = get_format(self.format_name)
        self._request_tools = tools
        self._stream: Any = None
        self._finished = False

    # -- request ------------------------------------------------------------------------------
    def markers_are_special(self) -> bool:
        """True if one of the format's markers is a special token of this tokenizer."""
        markers = self._format.special_markers
        return bool(markers) and not _special_tokens(self.model_tokenizer).isdisjoint(markers)

    def adjust_request(self, request: Any) -> Any:
        """vLLM's adjustments, plus ``skip_special_tokens=False`` where the detokenizer would strip our markers.

        Only when the markers ARE special tokens of the served tokenizer (otherwise the flag changes
        nothing for them and would only expose other special tokens), and only when a call may
        follow: the request has tools (or the format's markers also carry the reasoning / answer split:
        harmony, qwen3) and ``tool_choice`` is not ``"none"``.
        """
        request = super().adjust_request(request)
        wants_markers = bool(getattr(request, "tools", None)) or self._format.carries_reasoning
        if wants_markers and getattr(request, "tool_choice", None) != "none" and self.markers_are_special():
            request.skip_special_tokens = False
        return request

    def get_structural_tag(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Our grammar for required / named / strict calls (:mod:`.structural_tags`), not vLLM's built-in one
        (vLLM's, by its key, where xgrammar cannot express ours: see :data:`VLLM_TAG_MODELS`)."""
        if self.structural_tag_model != structural_tags.MODEL_KEY:
            return super().get_structural_tag(request, *args, **kwargs)
        return structural_tags.get_structural_tag(self.format_name, request, kwargs.get("strict_level"))

    def _tools(self, request: Any) -> Any:
        tools = getattr(request, "tools", None) if request is not None else None
        return tools if tools else self._request_tools

    # -- one-shot -----------------------------------------------------------------------------
    def extract_tool_calls(self, model_output: str, request: Any) -> Any:
        result = self._format.parse_output(model_output, self._tools(request))
        calls = [
            compat.ToolCall(type="function", function=compat.FunctionCall(name=c.name, arguments=c.arguments))
            for c in result.calls
        ]
        return compat.ExtractedToolCallInformation(
            tools_called=bool(calls),
            tool_calls=calls,
            content=result.normal_text or None,
        )

    # -- streaming ----------------------------------------------------------------------------
    def extract_tool_calls_streaming(
        self,
        previous_text: str,
        current_text: str,
        delta_text: str,
        previous_token_ids: Sequence[int],
        current_token_ids: Sequence[int],
        delta_token_ids: Sequence[int],
        request: Any,
    ) -> Any:
        if self._stream is None:
            self._stream = self._format.stream(self._tools(request), buffered=streaming_mode.buffered())
        if not delta_text or self._finished:
            return None
        return self._to_delta(self._stream.feed(delta_text))

    def finish_streaming(self) -> Any:
        """End of stream (called by vLLM's ``_flush_engine_parsers``): the core stream's last events."""
        if self._stream is None or self._finished:
            return None
        self._finished = True
        return self._to_delta(self._stream.finish_output())

    def _to_delta(self, events: list[Event]) -> Any:
        chunk = fold(events, self.prev_tool_call_arr, self.streamed_args_for_tool, per_call=True)
        if chunk.started >= 0:
            self.current_tool_id = chunk.started
            self.current_tool_name_sent = True
        if chunk.text is None and chunk.reasoning is None and not chunk.calls:
            return None
        kwargs: dict[str, Any] = {}
        if chunk.text is not None:
            kwargs["content"] = chunk.text
        if chunk.reasoning is not None:
            kwargs[compat.REASONING_FIELD] = chunk.reasoning
        if chunk.calls:
            kwargs["tool_calls"] = [
                compat.DeltaToolCall(
                    index=p.index,
                    id=compat.make_tool_call_id(),
                    type="function",
                    function=compat.DeltaFunctionCall(name=p.name, arguments=p.arguments),
                )
                if p.name is not None
                else compat.DeltaToolCall(index=p.index, function=compat.DeltaFunctionCall(arguments=p.arguments))
                for p in chunk.calls
            ]
        return compat.DeltaMessage(**kwargs)

def _class_attrs(fmt: str, known_tags: frozenset[str]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"format_name": fmt, "__module__": __name__}
    attrs["__doc__"] = f"dyn-plugins {fmt!r} tool parser (Dynamo's {fmt} format over the core streaming parser)."
    # every format: our own structural tag (get_structural_tag), and our parser for required / named output,
    # where this vLLM asks the parser for its tag and its xgrammar can express ours; otherwise vLLM's own key
    # for the format where it has one, else vLLM's generic JSON call-list path for required / named
    ours = fmt in structural_tags.LAYOUTS and hasattr(compat.ToolParser, "get_structural_tag") and structural_tags.supported()
    vllm_key = VLLM_TAG_MODELS.get(fmt)
    tag = structural_tags.MODEL_KEY if ours else (vllm_key if vllm_key in known_tags else None)
    attrs["structural_tag_model"] = tag
    level = compat.tool_strict_level("FUNCTION") if fmt in FUNCTION_STRICT and tag is not None else None
    if level is not None:
        attrs["default_tool_strict_level"] = level
    return attrs


def make_parser_class(fmt: str, known_tags: frozenset[str] | None = None) -> type:
    """The ToolParser subclass for format ``fmt`` (harmony also subclasses vLLM's GptOssToolParser).

    vLLM forces its own token-based HarmonyParser on ``model_type == "gpt_oss"`` models and accepts only
    ``GptOssToolParser`` subclasses there; on any other model our parser does the Harmony parsing itself.
    """
    get_format(fmt)  # KeyError for an unknown name
    known = compat.structural_tag_models() if known_tags is None else known_tags
    bases: tuple[type, ...] = (DynamoToolParser,)
    if fmt == "harmony" and compat.GptOssToolParser is not None:
        bases = (DynamoToolParser, compat.GptOssToolParser)
    attrs = _class_attrs(fmt, known)
    return type(parser_class_name(fmt), bases, attrs)


def _build_all() -> dict[str, type]:
    known = compat.structural_tag_models()
    return {fmt: make_parser_class(fmt, known) for fmt in ALL_FORMAT_NAMES}


#: format name -> parser class
PARSERS: dict[str, type] = _build_all()
_BY_CLASS_NAME: dict[str, type] = {cls.__name__: cls for cls in PARSERS.values()}


def __getattr__(name: str) -> type:
    """The parser classes as module attributes (``DynGlm47ToolParser``, ...): what vLLM's lazy registration
    (module path + class name) looks up. The first lookup is also when vLLM has configured its logging (it
    validates ``--tool-call-parser`` after loading plugins), so the registration lines
    :func:`.plugin.flush_pending` held back are emitted then."""
    cls = _BY_CLASS_NAME.get(name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    plugin.flush_pending()
    return cls
