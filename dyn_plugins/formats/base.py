"""``Format``: the public face of one tool-call format (one-shot ``parse`` and per-request ``stream``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .fold import assemble
from .machine import Machine
from .tools import ToolIndex, ToolsArg
from .types import Event, ParseResult


class FormatStream:
    """Per-request streaming parser: ``feed(delta) -> events``, then ``finish() -> events``.

    ``feed`` and ``finish`` are the format machine's own (bound at construction: no wrapper call per
    token). They never raise into the engine: if the machine fails on some input (a bug), the stream
    degrades to passing the rest of the output through as normal text, and logs once
    (:meth:`.machine.Machine.feed`).
    """

    __slots__ = ("feed", "finish", "_machine", "_stop_marker")

    def __init__(self, fmt: Format, machine: Machine) -> None:
        machine.format_name = fmt.name
        self._machine = machine
        self._stop_marker = fmt.stop_marker
        self.feed: Callable[[str], list[Event]] = machine.feed
        self.finish: Callable[[], list[Event]] = machine.finish

    @property
    def failed(self) -> bool:
        """The format machine raised once (a bug): the rest of the output passed through as text."""
        return self._machine.failed

    def call_pending(self) -> bool:
        """True when the output so far ends inside a complete call whose stop marker is missing."""
        return self._machine.safe_call_pending()

    def finish_output(self) -> list[Event]:
        """:meth:`finish` for an engine's output. Engines trim stop tokens from the text and gpt-oss's ``<|call|>``
        (:attr:`Format.stop_marker`) is one: when the output ended inside a complete call that only lacks it,
        it is fed first, so that the call does not depend on whether the engine kept it."""
        events = self.feed(self._stop_marker) if self._stop_marker and self.call_pending() else []
        return events + self.finish()


@dataclass(frozen=True)
class Format:
    """One Dynamo tool-call format.

    ``markers`` are the literal strings of the format; ``special_markers`` those that are special
    tokens in the model's vocabulary (the engine must not strip them before parsing);
    ``triggers`` are the strings whose presence means a call may follow.
    """

    name: str
    make_machine: Callable[[ToolIndex], Machine]
    triggers: tuple[str, ...]
    special_markers: tuple[str, ...] = ()
    #: The format's markers also carry reasoning (harmony's analysis channel, qwen3's ``<think>``): an adapter
    #: keeps them visible to the parser even for a request without tools.
    carries_reasoning: bool = False
    #: The header of a plain answer, fed first by an adapter whose engine strips the format's framing before
    #: the tool parser sees the text (SGLang's gpt-oss reasoning parser; harmony: the final channel header).
    answer_header: str = ""
    #: A marker that ends a call and that engines may trim as a stop token (harmony: ``<|call|>``).
    stop_marker: str = ""

    def stream(self, tools: ToolsArg = None, *, buffered: bool = False) -> FormatStream:
        """A new streaming parser for one response (``tools``: the request's OpenAI tools list).

        Live by default: a call is announced once its name is certain and its arguments stream as they
        arrive. ``buffered=True`` delivers each call whole when it is complete (Dynamo's jail).
        """
        machine = self.make_machine(ToolIndex(tools))
        machine.live = not buffered
        return FormatStream(self, machine)

    def parse(self, text: str, tools: ToolsArg = None) -> ParseResult:
        """Parse a complete model output (the same machine, fed the whole text at once)."""
        return self._one_shot(text, tools, engine_output=False)

    def parse_output(self, text: str, tools: ToolsArg = None) -> ParseResult:
        """:meth:`parse` of an engine's output, whose trimmed stop marker is put back (:meth:`FormatStream.finish_output`):
        what the adapters answer a non-streaming request with."""
        return self._one_shot(text, tools, engine_output=True)

    def _one_shot(self, text: str, tools: ToolsArg, *, engine_output: bool) -> ParseResult:
        stream = self.stream(tools, buffered=True)
        events = stream.feed(text)
        events.extend(stream.finish_output() if engine_output else stream.finish())
        return assemble(events)

    def has_trigger(self, text: str) -> bool:
        """Cheap check: may ``text`` hold a call? One of the format's call triggers or markers is in it (an end
        marker alone is enough: nemotron_deci recovers ``[...]</TOOLCALL>``)."""
        return any(t in text for t in self.triggers) or any(m in text for m in self.special_markers)
