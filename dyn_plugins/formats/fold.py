"""The one fold of core events into results: :func:`assemble` (a whole stream) and :func:`fold` (one chunk).

The engine adapters only translate a :class:`Chunk` into their own objects (vLLM ``DeltaMessage``, SGLang
``StreamingParseResult``). Events of a stream (:mod:`.machine`): in live mode a call is announced by a
``CallStart`` as soon as its name is certain, followed by ``ArgsDelta`` fragments it can vouch for, and the final
decision adds the rest of the arguments (or closes them) as more ``ArgsDelta`` on the same index; buffered mode
gives one ``CallStart`` and one ``ArgsDelta`` per call. An ``ArgsDelta`` always follows its call's ``CallStart``.
Runs once per token: a one-event chunk of text takes a fast path; no per-event work beyond the piece it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .types import CallStart, Event, ParseResult, ReasoningDelta, TextDelta, ToolCall


class CallPiece:
    """What one chunk says about call ``index``: its ``name`` where the chunk announces it, argument text."""

    __slots__ = ("index", "name", "arguments")

    def __init__(self, index: int, name: str | None, arguments: str) -> None:
        self.index = index
        self.name = name
        self.arguments = arguments


_NO_PIECES: tuple[CallPiece, ...] = ()


class Chunk:
    """One chunk's events, folded. ``text`` / ``reasoning`` are None when the chunk had no such event.

    ``started`` is the index of the last call announced in the chunk (-1: none)."""

    __slots__ = ("text", "reasoning", "calls", "started")

    def __init__(self, text: str | None, reasoning: str | None, calls: Sequence[CallPiece], started: int) -> None:
        self.text = text
        self.reasoning = reasoning
        self.calls = calls
        self.started = started


def fold(events: Sequence[Event], calls: list[dict[str, Any]], streamed: list[str], *, per_call: bool) -> Chunk:
    """Fold one chunk's events, updating the stream's call record in place.

    ``calls[i]`` is ``{"name": ..., "arguments": <text streamed so far>}`` and ``streamed[i]`` the same text: the
    shape both engines keep (``prev_tool_call_arr`` / ``streamed_args_for_tool``), so their end-of-stream
    "unstreamed arguments" checks add nothing. ``per_call``: one piece per call index, in index order (vLLM's
    delta), its fragments joined once (a whole stream folds in linear time); otherwise one piece per call event,
    in event order (SGLang's items)."""
    if len(events) == 1:  # the common chunk: one token, one event
        ev = events[0]
        kind = type(ev)
        if kind is TextDelta:
            return Chunk(ev.text, None, _NO_PIECES, -1)
        if kind is ReasoningDelta:
            return Chunk(None, ev.text, _NO_PIECES, -1)
    text: list[str] | None = None
    reasoning: list[str] | None = None
    pieces: list[CallPiece] = []
    by_index: dict[int, tuple[str | None, list[str]]] | None = {} if per_call else None
    started = -1
    for ev in events:
        kind = type(ev)
        if kind is TextDelta:
            if text is None:
                text = [ev.text]
            else:
                text.append(ev.text)
        elif kind is ReasoningDelta:
            if reasoning is None:
                reasoning = [ev.text]
            else:
                reasoning.append(ev.text)
        elif kind is CallStart:
            i = started = ev.index
            while len(calls) <= i:
                calls.append({})
                streamed.append("")
            calls[i] = {"name": ev.name, "arguments": ""}
            if by_index is None:
                pieces.append(CallPiece(i, ev.name, ""))
            else:
                by_index[i] = (ev.name, [])
        else:  # ArgsDelta
            i = ev.index
            if i >= len(calls):  # cannot happen: its CallStart comes first
                continue
            if by_index is None:
                streamed[i] += ev.fragment
                calls[i]["arguments"] = streamed[i]
                pieces.append(CallPiece(i, None, ev.fragment))
            else:
                entry = by_index.get(i)
                if entry is None:
                    by_index[i] = (None, [ev.fragment])
                else:
                    entry[1].append(ev.fragment)
    if by_index:
        for i in sorted(by_index):
            name, parts = by_index[i]
            arguments = "".join(parts)
            if parts:
                streamed[i] += arguments
                calls[i]["arguments"] = streamed[i]
            pieces.append(CallPiece(i, name, arguments))
    return Chunk(
        None if text is None else "".join(text),
        None if reasoning is None else "".join(reasoning),
        pieces,
        started,
    )


def assemble(events: Sequence[Event]) -> ParseResult:
    """Fold a whole stream of events into the result a one-shot parse would give."""
    calls: list[dict[str, Any]] = []
    streamed: list[str] = []
    chunk = fold(events, calls, streamed, per_call=True)
    for i, call in enumerate(calls):
        if "name" not in call:
            raise ValueError(f"call index {i} never announced (indices must run 0, 1, ...)")
    return ParseResult(
        chunk.text or "",
        [ToolCall(call["name"], args) for call, args in zip(calls, streamed)],
        chunk.reasoning or "",
    )
