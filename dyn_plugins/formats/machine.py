"""The streaming machinery every format is built on.

A format is a :class:`Machine` subclass: the shared :class:`~.lexer.MarkerLexer` turns chunks into
text pieces and marker tokens, the subclass reacts to them (``on_text`` / ``on_marker`` /
``on_end``) and emits events through the helpers here. A one-shot parse is the same machine fed the
whole text as one chunk, so streaming and one-shot agree by construction; the format code only has
to be chunk-invariant, which the property tests check.

Normal-text policy (Dynamo trims the message and, depending on the format, the text before a call):
prose goes through :meth:`Machine.prose`, which drops whitespace at the start of the message and
holds trailing whitespace back until it is known whether non-blank text (release it), a call (the
format decides: keep or drop) or the end of the message (drop it) follows.
"""

from __future__ import annotations

from typing import ClassVar

from .lexer import MarkerLexer, Token
from .tools import ToolIndex
from .types import ArgsDelta, CallStart, Event, ReasoningDelta, TextDelta

#: Whitespace as Rust's ``str::trim`` sees it (Python's ``str.strip`` also strips U+001C..U+001F).
WS = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


class Machine:
    """Base streaming state machine: owns the lexer, the event buffer and the prose policy."""

    #: The literal markers of the format (or of the configured variant); index = token id.
    markers: ClassVar[tuple[str, ...]] = ()

    def __init__(self, tools: ToolIndex, markers: tuple[str, ...] | None = None) -> None:
        self.tools = tools
        self.lexer = MarkerLexer(markers or self.markers)
        self.events: list[Event] = []
        self.ncalls = 0
        self._at_start = True
        self._ws: list[str] = []

    # -- driver -----------------------------------------------------------------------------------
    def feed(self, text: str) -> list[Event]:
        for tok in self.lexer.feed(text):
            self._dispatch(tok)
        out, self.events = self.events, []
        return out

    def finish(self) -> list[Event]:
        for tok in self.lexer.finish():
            self._dispatch(tok)
        self.on_end()
        self._ws.clear()
        out, self.events = self.events, []
        return out

    def _dispatch(self, tok: Token) -> None:
        if type(tok) is str:
            self.on_text(tok)
        else:
            self.on_marker(tok)

    # -- format hooks -------------------------------------------------------------------------------
    def on_text(self, text: str) -> None:
        raise NotImplementedError

    def on_marker(self, marker: int) -> None:
        raise NotImplementedError

    def on_end(self) -> None:
        """End of the message: resolve whatever is still open."""

    def call_pending(self) -> bool:
        """True when the output stopped inside a complete call that only lacks its stop marker."""
        return False

    # -- output helpers -----------------------------------------------------------------------------
    def raw_text(self, text: str) -> None:
        """Emit text verbatim (no trimming policy)."""
        if text:
            self.events.append(TextDelta(text))

    def reasoning(self, text: str) -> None:
        if text:
            self.events.append(ReasoningDelta(text))

    def call(self, name: str, arguments: str) -> None:
        """Emit one complete call (name, then its whole arguments text)."""
        idx = self.ncalls
        self.ncalls += 1
        self.events.append(CallStart(idx, name))
        self.events.append(ArgsDelta(idx, arguments))

    def prose(self, text: str) -> None:
        """Emit message text under the trim policy (leading whitespace dropped, trailing held)."""
        if self._at_start:
            text = text.lstrip(WS)
            if not text:
                return
            self._at_start = False
        body = text.rstrip(WS)
        if not body:
            self._ws.append(text)
            return
        if self._ws:
            self.events.append(TextDelta("".join(self._ws)))
            self._ws.clear()
        self.events.append(TextDelta(body))
        if len(body) < len(text):
            self._ws.append(text[len(body):])

    def keep_ws(self) -> None:
        """Release held trailing whitespace (it turned out to be part of the text)."""
        if self._ws:
            self.events.append(TextDelta("".join(self._ws)))
            self._ws.clear()

    def drop_ws(self) -> None:
        """Forget held trailing whitespace (the text before a call is trimmed)."""
        self._ws.clear()

    def start_seen(self) -> None:
        """Mark that the message has started (so later leading whitespace is not trimmed)."""
        self._at_start = False
