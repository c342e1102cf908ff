"""Result and event types shared by every format and both engine adapters.

Plain dataclasses: the adapters translate them into vLLM / SGLang objects, tests compare them. Events are
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


def assemble(events: list[Event]) -> ParseResult:
    """Fold a stream of events into the result a one-shot parse would give."""
    text: list[str] = []
    reasoning: list[str] = []
    names: list[str] = []
    args: list[list[str]] = []
    for ev in events:
        if isinstance(ev, TextDelta):
            text.append(ev.text)
        elif isinstance(ev, ReasoningDelta):
            reasoning.append(ev.text)
        elif isinstance(ev, CallStart):
            if ev.index != len(names):
                raise ValueError(f"call index {ev.index} out of order (expected {len(names)})")
            names.append(ev.name)
            args.append([])
        else:
            args[ev.index].append(ev.fragment)
    calls = [ToolCall(n, "".join(a)) for n, a in zip(names, args)]
    return ParseResult("".join(text), calls, "".join(reasoning))
