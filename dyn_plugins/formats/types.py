"""Result and event types shared by every format and both engine adapters.

Plain dataclasses: :mod:`.fold` folds events into results, which the adapters translate into vLLM / SGLang
objects; tests compare them. Events are
not frozen: a live stream makes one per token, and a frozen dataclass costs twice as much to build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One parsed call. ``arguments`` is JSON text (a raw string only where Dynamo keeps one, e.g. harmony)."""

    name: str
    arguments: str


@dataclass(slots=True)
class ParseResult:
    """What a format extracts from a whole model output."""

    normal_text: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    reasoning_text: str = ""


@dataclass(slots=True)
class TextDelta:
    """Normal (user-visible) text."""

    text: str


@dataclass(slots=True)
class ReasoningDelta:
    """Reasoning text (harmony's analysis channel)."""

    text: str


@dataclass(slots=True)
class CallStart:
    """A call begins; ``index`` is its position in the response (0, 1, ...)."""

    index: int
    name: str


@dataclass(slots=True)
class ArgsDelta:
    """A fragment of the arguments JSON of call ``index``; fragments concatenate to the full text."""

    index: int
    fragment: str


Event = Union[TextDelta, ReasoningDelta, CallStart, ArgsDelta]

