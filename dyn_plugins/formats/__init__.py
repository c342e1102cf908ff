"""Dynamo's tool-call formats in pure Python (no engine import): one-shot and streaming.

>>> from dyn_plugins.formats import get_format
>>> r = get_format("jamba").parse('Hi <tool_calls>[{"name": "f", "arguments": {"a": 1}}]</tool_calls>')
>>> r.normal_text, r.calls[0].name, r.calls[0].arguments
('Hi', 'f', '{"a": 1}')
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from .base import Format, FormatStream
from .tools import ToolsArg
from .fold import CallPiece, Chunk, assemble, fold
from .types import ArgsDelta, CallStart, Event, ParseResult, ReasoningDelta, TextDelta, ToolCall

FORMAT_NAMES: tuple[str, ...] = (
    "glm47",
    "jamba",
    "nemotron_deci",
    "deepseek_v3_1",
    "harmony",
    "deepseek_v3_2",
    "default",
)

#: Variants reachable by name but not part of the seven public formats: name -> (module, attribute).
VARIANTS: dict[str, tuple[str, str]] = {
    "deepseek_v4": ("deepseek_v3_2", "FORMAT_V4"),
    "phi4": ("phi4", "FORMAT"),
    "qwen3": ("qwen3", "FORMAT"),
}

#: every name :func:`get_format` accepts: the seven public formats, then the variants
ALL_FORMAT_NAMES: tuple[str, ...] = (*FORMAT_NAMES, *VARIANTS)

_cache: dict[str, Format] = {}


def get_format(name: str) -> Format:
    """The format registered under a Dynamo name; KeyError (listing the valid names) otherwise."""
    fmt = _cache.get(name)
    if fmt is None:
        if name in FORMAT_NAMES:
            module, attr = name, "FORMAT"
        elif name in VARIANTS:
            module, attr = VARIANTS[name]
        else:
            raise KeyError(f"unknown tool-call format {name!r}; valid formats: {', '.join(FORMAT_NAMES)}")
        fmt = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
        _cache[name] = fmt
    return fmt


def parse_stream(name: str, chunks: Iterable[str], tools: ToolsArg = None, *, buffered: bool = False) -> ParseResult:
    """Run the streaming parser of format ``name`` over ``chunks`` (live, or ``buffered``) and assemble its events."""
    stream = get_format(name).stream(tools, buffered=buffered)
    events: list[Event] = []
    for chunk in chunks:
        events.extend(stream.feed(chunk))
    events.extend(stream.finish())
    return assemble(events)


__all__ = [
    "ALL_FORMAT_NAMES",
    "FORMAT_NAMES",
    "VARIANTS",
    "ArgsDelta",
    "CallPiece",
    "CallStart",
    "Chunk",
    "Event",
    "Format",
    "FormatStream",
    "ParseResult",
    "ReasoningDelta",
    "TextDelta",
    "ToolCall",
    "assemble",
    "fold",
    "get_format",
    "parse_stream",
]
