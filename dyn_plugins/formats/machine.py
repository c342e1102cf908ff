"""The streaming machinery every format is built on.

A format is a :class:`Machine` subclass: the shared :class:`~.lexer.MarkerLexer` turns chunks into
text pieces and marker tokens, the subclass reacts to them (``on_text`` / ``on_marker`` /
``on_end``) and emits events through the helpers here. A one-shot parse is the same machine fed the
whole text as one chunk, so streaming and one-shot agree by construction; the format code only has
to be chunk-invariant, which the property tests check.

Calls: :meth:`Machine.call` emits a complete call; that decision is the one-shot parse's and never
changes with the delivery mode. In live mode (``Format.stream(buffered=False)``) a format also
announces the call it is inside as soon as its name is certain (:meth:`Machine.preview_start`) and
streams the argument text it can already vouch for (:meth:`Machine.preview_args`); the final
:meth:`Machine.call` then only sends what the preview has not. Should the final call disagree with
its preview, or :meth:`Machine.no_call` say the block gave no call (malformed or truncated output),
the announced arguments are closed into valid JSON (:func:`.jsonstream.close_json`): an announced call
is never retracted. Buffered mode ignores previews: whole calls, as Dynamo's jail delivers them.

Normal-text policy (Dynamo trims the message and, depending on the format, the text before a call):
prose goes through :meth:`Machine.prose`, which drops whitespace at the start of the message and
holds trailing whitespace back until it is known whether non-blank text (release it), a call (the
format decides: keep or drop) or the end of the message (drop it) follows.

End-of-turn tokens (:data:`END_OF_TURN`) are recognised by every format's lexer: engines trim them as stop
tokens, but one reaches the parser when a model's stop list lacks it (Llama 3's ``<|eom_id|>``) or the request
keeps stop strings, and no call may depend on that. One that ends the output (only whitespace after it) is
dropped; one that more text follows stays text.
"""

from __future__ import annotations

import logging
import re
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import ClassVar

from .jsonstream import close_json
from .jsontext import WS, try_loads
from .lexer import MarkerLexer, Token
from .tools import ToolIndex
from .types import ArgsDelta, CallStart, Event, ReasoningDelta, TextDelta

logger = logging.getLogger("dyn_plugins")

#: The per-token events (argument fragments of a streaming call, prose, reasoning) are built as
#: ``ev = _new(Cls); ev.field = ...``: the same dataclass instance as ``Cls(...)`` without a Python-level
#: ``__init__`` frame, which is a measurable share of a live token's cost (``benchmarks/calls.py``).
_new = object.__new__

#: JSON string content whose escapes every format re-serialises as written (json.dumps' own spellings): a
#: :class:`RawSink` chunk in raw mode passes as itself only if it is this (``\u`` and ``\/`` take the format's code)
_STRING_TEXT = re.compile(r'(?:[^"\\\x00-\x1f]|\\["\\bfnrt])+')  # one way to match each character: linear
#: the same, ending in the backslash of an escape the chunk cuts
_STRING_TEXT_OPEN = re.compile(r'(?:[^"\\\x00-\x1f]|\\["\\bfnrt])*\\')

#: End-of-turn token texts of the model families our formats serve (Llama 3, DeepSeek, ChatML, GPT-2 style).
END_OF_TURN: tuple[str, ...] = ("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|endoftext|>", "<|im_end|>", "<｜end▁of▁sentence｜>")


class Machine:
    """Base streaming state machine: owns the lexer, the event buffer and the prose policy."""

    #: The literal markers of the format (or of the configured variant); index = token id.
    markers: ClassVar[tuple[str, ...]] = ()

    def __init__(self, tools: ToolIndex, markers: tuple[str, ...] | None = None) -> None:
        self.tools = tools
        #: the format's name, for the failure log (set by Format.stream)
        self.format_name = type(self).__name__
        #: the machine raised once (a bug): the rest of the output passes through as text
        self.failed = False
        own = tuple(markers or self.markers)
        #: marker ids from here on are END_OF_TURN tokens (those that do not clash with the format's own)
        self._eot_base = len(own)
        self.lexer = MarkerLexer(own + tuple(t for t in END_OF_TURN if not any(t in m or m in t for m in own)))
        self._first = self.lexer.first_char
        #: an end-of-turn token seen, plus the whitespace after it: dropped at the end, text if more follows
        self._eot = ""
        self.events: list[Event] = []
        #: calls decided (the one-shot parse's count); formats read it, e.g. "text after the first call"
        self.ncalls = 0
        #: live mode: previews go out (set by Format.stream before the first feed)
        self.live = False
        self._announced = 0  # call indices handed out (decided calls and previews)
        self._previews: list[_Preview] = []  # announced, not yet settled by call() / no_call()
        #: the newest preview while its arguments stream (an object already opened): preview_args' fast path
        self._open: _Preview | None = None
        self._at_start = True
        self._ws: list[str] = []
        #: live mode: where plain argument text of the open call goes without the format's code (see RawSink)
        self.sink: RawSink | None = None

    # -- driver -----------------------------------------------------------------------------------
    def feed(self, text: str) -> list[Event]:
        """One chunk in, its events out. Never raises into the engine: should the format code fail on
        some input (a bug), this chunk and the rest of the output pass through as text, logged once."""
        try:
            sink = self.sink  # None once the machine failed
            if sink is not None:
                if text and self._first not in text and sink.stop not in text:
                    # the common live token, plain argument text of the open call: no format code runs (RawSink)
                    fragment: str | None = None
                    if sink.escape:
                        raw = sink.held + text
                        if sink.trail:  # trailing whitespace waits until more text follows
                            body = raw.rstrip(sink.trail)
                            raw, sink.held = body, raw[len(body) :]
                        fragment = encode_basestring(raw)[1:-1] if raw else ""
                    elif text.isprintable():
                        raw = sink.held + text
                        if ("\\" not in raw and '"' not in raw) or _STRING_TEXT.fullmatch(raw) is not None:
                            fragment, sink.held = raw, ""
                        elif raw[-1] == "\\" and _STRING_TEXT_OPEN.fullmatch(raw) is not None:
                            raw = fragment = raw[:-1]  # an escape the chunk cuts: its backslash waits for the next chunk
                            sink.held = "\\"
                    if fragment:
                        sink.raw.append(raw)
                        sink.parts.append(fragment)
                        ev = _new(ArgsDelta)
                        ev.index, ev.fragment = sink.index, fragment
                        return [ev]
                    if fragment is not None:
                        return []
                if sink.held:  # the format's code takes this chunk: what the sink held goes first
                    text, sink.held = sink.held + text, ""
            elif self.failed:
                return [TextDelta(text)] if text else []
            lexer = self.lexer
            first = self._first
            if text and not lexer.held and not self._eot and ((first not in text) if first else lexer.first_re.search(text) is None):
                self.on_text(text)  # no marker can start here: the common token, without the lexer's list
            else:
                on_text = self.on_text
                eot_base = self._eot_base
                for tok in lexer.feed(text):
                    if self._eot or (type(tok) is int and tok >= eot_base):
                        self._end_of_turn(tok)
                    elif type(tok) is str:
                        on_text(tok)
                    else:
                        self.on_marker(tok)
            self.sink = self.live_sink() if self._open is not None and not lexer.held and not self._eot else None
        except Exception:
            self._fail()
            return [TextDelta(text)] if text else []
        out, self.events = self.events, []
        return out

    def finish(self) -> list[Event]:
        """End of the message: what is still held back, and the settling of open calls."""
        head = self.feed("") if self.sink is not None and self.sink.held else []  # what the sink held, first
        self.sink = None
        if self.failed:
            return head
        try:
            for tok in self.lexer.finish():
                self._end_of_turn(tok) if self._eot else self._dispatch(tok)
            self._eot = ""  # an end-of-turn token ended the output: dropped
            self.on_end()
            while self._previews:
                self.no_call()
            self._ws.clear()
        except Exception:
            self._fail()
            return head
        out, self.events = self.events, []
        return head + out if head else out

    def safe_call_pending(self) -> bool:
        """:meth:`call_pending`, False once the machine failed or if it fails here."""
        if self.failed:
            return False
        try:
            return self.call_pending()
        except Exception:
            self._fail()
            return False

    def _fail(self) -> None:
        self.failed = True
        self.sink = None
        self.events = []
        logger.exception("dyn-plugins: %s parser failed; passing the rest of the output through as text", self.format_name)

    def _dispatch(self, tok: Token) -> None:
        if type(tok) is str:
            self.on_text(tok)
        else:
            self.on_marker(tok)

    def _end_of_turn(self, tok: Token) -> None:
        """A token while an end-of-turn token is held, or an end-of-turn token itself."""
        if type(tok) is int and tok >= self._eot_base:
            self._release_eot()
            self._eot = self.lexer.markers[tok]
        elif type(tok) is str and not tok.strip(WS):
            self._eot += tok
        else:
            self._release_eot()
            self._dispatch(tok)

    def _release_eot(self) -> None:
        """More output followed the held end-of-turn token: it was text."""
        held, self._eot = self._eot, ""
        if held:
            self.on_text(held)

    # -- format hooks -------------------------------------------------------------------------------
    def on_text(self, text: str) -> None:
        raise NotImplementedError

    def on_marker(self, marker: int) -> None:
        raise NotImplementedError

    def on_end(self) -> None:
        """End of the message: resolve whatever is still open."""

    def live_sink(self) -> RawSink | None:
        """Live mode, after a chunk went through the format's code while a call's object is open: the
        :class:`RawSink` for the next chunks if the format is inside plain argument text, else None."""
        return None

    def raw_sink(self, raw: list[str], *, escape: bool, stop: str = "", trail: str = "") -> RawSink | None:
        """A :class:`RawSink` into the open call (None if none is open); see RawSink for the fields."""
        p = self._open
        if p is None:
            return None
        return RawSink(raw, p.parts, p.index, escape, stop or self._first, trail)

    def call_pending(self) -> bool:
        """True when the output stopped inside a complete call that only lacks its stop marker."""
        return False

    # -- output helpers -----------------------------------------------------------------------------
    def reasoning(self, text: str) -> None:
        if text:
            ev = _new(ReasoningDelta)
            ev.text = text
            self.events.append(ev)

    def call(self, name: str, arguments: str) -> None:
        """One complete call: settles the oldest open preview, or emits the call whole.

        A previewed call whose final arguments are not a JSON object (deepseek_v3_1 and harmony keep any
        JSON value, harmony even raw text) is closed as the object it was announced as."""
        self.ncalls += 1
        if self._previews and self._previews[0].name != name:
            # previews the decision skips (a malformed object it dropped) gave no call: close them up to the one
            # this call continues, if there is one
            later = [i for i, q in enumerate(self._previews) if q.name == name and arguments.startswith("".join(q.parts))]
            for _ in range(later[0] if later else 0):
                self.no_call()
        if self._previews:
            p = self._previews.pop(0)
            if p is self._open:
                self._open = None
            streamed = "".join(p.parts)
            if p.name == name and arguments.startswith(streamed) and _is_object(arguments):
                if len(arguments) > len(streamed):
                    self.events.append(ArgsDelta(p.index, arguments[len(streamed) :]))
                return
            self._close_preview(p, streamed)
            if p.name == name:
                return  # same call, other arguments: the announced ones stand, closed
        idx = self._announced
        self._announced += 1
        self.events.append(CallStart(idx, name))
        self.events.append(ArgsDelta(idx, arguments))

    def preview_start(self, name: str) -> None:
        """Live mode: announce the call being read (its name can no longer change)."""
        if self.live:
            idx = self._announced
            self._announced += 1
            self._previews.append(_Preview(idx, name))
            self._open = None
            self.events.append(CallStart(idx, name))

    def preview_args(self, fragment: str) -> None:
        """Live mode: argument text of the newest preview that the final call is certain to start with."""
        p = self._open
        if p is not None and fragment:  # the common case: the preview's object is open
            p.parts.append(fragment)
            ev = _new(ArgsDelta)
            ev.index, ev.fragment = p.index, fragment
            self.events.append(ev)
            return
        if not fragment or not self._previews:
            return
        p = self._previews[-1]
        if p.closed or p.parts or not fragment.startswith("{"):
            p.closed = True  # not an object: nothing streams; the final call closes the preview as {}
            return
        p.parts.append(fragment)
        self._open = p
        self.events.append(ArgsDelta(p.index, fragment))

    def previewing(self) -> bool:
        """An announced call is waiting for its final decision."""
        return bool(self._previews)

    def no_call(self) -> None:
        """The block behind the oldest open preview gave no call: its arguments are closed as they are."""
        if self._previews:
            p = self._previews.pop(0)
            if p is self._open:
                self._open = None
            self._close_preview(p, "".join(p.parts))

    def _close_preview(self, p: _Preview, streamed: str) -> None:
        tail = close_json(streamed)
        if tail:
            self.events.append(ArgsDelta(p.index, tail))

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
        ev = _new(TextDelta)
        ev.text = body
        self.events.append(ev)
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


def _is_object(arguments: str) -> bool:
    if not arguments.startswith("{"):
        return False
    ok, value = try_loads(arguments)
    return ok and isinstance(value, dict)


class RawSink:
    """Live mode: a chunk of plain argument text, the bulk of a long call, taken by :meth:`Machine.feed` itself.

    A format hands one out (:meth:`Machine.live_sink`) while its own code would do nothing with a chunk that
    holds no marker start and no ``stop`` but append it to ``raw`` (the text the final parse reads) and stream
    it as argument text of the open call. The fragment is the chunk as JSON string content (``escape``: a text
    value, e.g. glm47's ``<arg_value>``) or the chunk itself (raw mode: JSON inside a string, with no control
    character or unescaped quote and escapes only as ``json.dumps`` writes them, ``_STRING_TEXT``). What can
    still change is ``held``: trailing ``trail`` characters (whitespace a format trims at the value's end) or,
    in raw mode, the backslash of an escape the chunk cuts; the next chunk takes it along. Any other chunk goes
    to the format's code (with ``held`` in front), which then decides the sink afresh: no state is kept twice,
    and the common token costs one frame instead of the format's two to four.
    """

    __slots__ = ("raw", "parts", "index", "escape", "stop", "trail", "held")

    def __init__(self, raw: list[str], parts: list[str], index: int, escape: bool, stop: str, trail: str) -> None:
        self.raw = raw
        self.parts = parts
        self.index = index
        self.escape = escape
        #: a character that sends the chunk to the format's code (the marker start again when none is needed)
        self.stop = stop
        #: escape mode: characters held back at a chunk's end until more text follows (e.g. whitespace)
        self.trail = trail
        #: text not yet sent: trailing ``trail`` characters, or a raw-mode escape's backslash
        self.held = ""


class _Preview:
    """A call announced in live mode: its index, name and the argument text sent so far."""

    __slots__ = ("index", "name", "parts", "closed")

    def __init__(self, index: int, name: str) -> None:
        self.index = index
        self.name = name
        self.parts: list[str] = []
        self.closed = False  # its arguments turned out not to be an object: nothing more streams
