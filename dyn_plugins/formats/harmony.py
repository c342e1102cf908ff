"""harmony (gpt-oss): ``<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{...}<|call|>``.

A message is ``[<|start|>ROLE]<|channel|>CHANNEL[ to=RECIPIENT][ <|constrain|>TYPE]<|message|>CONTENT``
ended by ``<|end|>``, ``<|call|>`` or ``<|return|>`` (or, implicitly, by the next ``<|start|>`` or
``<|channel|>``). Dynamo's behaviour (docs/formats.md section 8):

* ``commentary`` / ``analysis`` to ``functions.NAME`` ended by ``<|call|>`` -> a call; arguments are
  the trimmed content, compact JSON when it parses, else the raw text (Dynamo keeps it);
  without ``<|call|>`` there is no call and nothing leaks;
* ``final`` content and recipient-less ``commentary`` prose -> normal text; a recipient-less
  commentary JSON payload ended by ``<|call|>`` is hidden; messages to other recipients are dropped;
* recipient-less ``analysis`` -> reasoning text (``ParseResult.reasoning_text``), never content;
* prose outside any message is kept (the protocol is stripped around it); prose before the first marker
  is held until one arrives. An output with no harmony marker at all gives no text in Dynamo
  (``"Hello"`` -> ``""``); we pass it through as text at its end instead: it is what an engine that strips
  special tokens (``skip_special_tokens``) leaves of a harmony answer, and dropping it would answer nothing
  (tests/fixtures/deviations.json);
* a header cut off by the end of the output is dropped.

Streaming: ``final`` text and reasoning stream as they arrive. Live mode announces a call when its
header closes (``<|constrain|>`` or ``<|message|>`` after ``to=functions.NAME``) and streams the
arguments' compact form (:class:`.jsonstream.JsonCompactor`); ``<|call|>`` settles it. A call message
that ends otherwise (``<|end|>``, the end of the output: engines trim ``<|call|>`` as a stop token) keeps
the announced call with its arguments closed. Buffered mode emits a call at its ``<|call|>``.
"""

from __future__ import annotations

import re

from .base import Format
from .jsonstream import JsonCompactor
from .jsontext import dumps_compact, try_loads
from .machine import WS, Machine, RawSink
from .tools import ToolIndex

MARKERS = ("<|start|>", "<|channel|>", "<|message|>", "<|constrain|>", "<|end|>", "<|call|>", "<|return|>")
_START, _CHANNEL, _MESSAGE, _CONSTRAIN, _END, _CALL, _RETURN = range(7)

_OUTSIDE, _HEADER, _CONTENT, _SKIP = range(4)
# what a message's content becomes
_TEXT, _REASONING, _CALL_ARGS, _HIDDEN_JSON, _DROPPED = range(5)

_CHANNEL_WORD = re.compile(r"[^\s<]*")
_FUNCTION = re.compile(r"functions\.([^.\s]*)")


class Header:
    """The parts of a message header Dynamo looks at."""

    __slots__ = ("channel", "recipient", "json_type")

    def __init__(self, text: str) -> None:
        # text is the header with markers written as "\0<index>"; the channel word follows the last <|channel|>
        self.channel = ""
        self.recipient = ""
        self.json_type = False
        chan_mark = f"\0{_CHANNEL}"
        cut = text.rfind(chan_mark)
        rest = text
        if cut >= 0:
            after = text[cut + len(chan_mark) :]
            word = _CHANNEL_WORD.match(after)
            self.channel = word.group() if word else ""
            rest = text[:cut] + " " + after[len(self.channel) :]
        words = rest.replace(f"\0{_CONSTRAIN}", " <|constrain|>").split()
        for i, w in enumerate(words):
            if w.startswith("to="):
                self.recipient = w[3:]
            elif w.startswith("<|constrain|>"):
                ctype = w[len("<|constrain|>") :] or (words[i + 1] if i + 1 < len(words) else "")
                self.json_type = ctype == "json"

    def kind(self) -> int:
        if self.channel in ("commentary", "analysis") and self.recipient.startswith("functions."):
            return _CALL_ARGS
        if self.recipient:
            return _DROPPED
        if self.channel == "final":
            return _TEXT
        if self.channel == "analysis":
            return _REASONING
        if self.channel == "commentary":
            return _HIDDEN_JSON  # prose unless it turns out to be a JSON payload ended by <|call|>
        return _DROPPED


class HarmonyMachine(Machine):
    markers = MARKERS

    def __init__(self, tools: ToolIndex) -> None:
        super().__init__(tools)
        self.state = _OUTSIDE
        self.header: list[str] = []
        self.content: list[str] = []
        self.kind = _DROPPED
        self.target: Header | None = None
        self.seen_marker = False
        self.pending: list[str] = []  # prose before the first marker
        self.had_reasoning = False
        self.join_reasoning = False
        self.args: JsonCompactor | None = None  # live mode: the announced call's arguments

    # -- text -------------------------------------------------------------------------------------
    def live_sink(self) -> RawSink | None:
        if self.state == _CONTENT and self.kind in (_CALL_ARGS, _HIDDEN_JSON) and self.args is not None and self.args.plain_string():
            return self.raw_sink(self.content, escape=False)
        return None

    def on_text(self, text: str) -> None:
        st = self.state
        if st == _OUTSIDE:
            if self.seen_marker:
                self.prose(text)
            else:
                self.pending.append(text)
        elif st == _HEADER:
            self.header.append(text)
        elif st == _CONTENT:
            kind = self.kind
            if kind == _TEXT:
                self.prose(text)
            elif kind == _REASONING and text:
                if self.join_reasoning:
                    self.join_reasoning = False
                    self.reasoning("\n")  # separate analysis messages, as Dynamo's gpt_oss parser does
                self.reasoning(text)
                self.had_reasoning = True
            elif kind in (_CALL_ARGS, _HIDDEN_JSON):
                self.content.append(text)
                if self.args is not None:
                    self.preview_args(self.args.push(text))

    # -- markers ----------------------------------------------------------------------------------
    def on_marker(self, marker: int) -> None:
        if not self.seen_marker:
            self.seen_marker = True
            if self.pending:
                self.prose("".join(self.pending))
                self.pending = []
        st = self.state
        if st == _HEADER:
            if marker == _MESSAGE:
                self._open_content()
            elif marker == _START:
                self._drop_announced()
                self.header = []
            elif marker == _CHANNEL and any(h == f"\0{_CHANNEL}" for h in self.header):
                self._drop_announced()
                self.header = [f"\0{_CHANNEL}"]
            elif marker in (_CHANNEL, _CONSTRAIN):
                self.header.append(f"\0{marker}")
                if marker == _CONSTRAIN and self.live:
                    self._announce(Header("".join(self.header)))
            else:  # a stop token inside a header: the message is abandoned
                self._drop_announced()
                self.state = _OUTSIDE
            return
        if st == _CONTENT:
            self._close_content(marker)
        elif st == _SKIP:
            if marker == _CALL:
                self.state = _OUTSIDE
                return
        if marker in (_START, _CHANNEL):
            self.state = _HEADER
            self.header = [f"\0{_CHANNEL}"] if marker == _CHANNEL else []
        elif marker == _MESSAGE and st != _CONTENT:
            self.state = _SKIP  # content without a header: removed up to <|call|>
        # stray <|end|>, <|call|>, <|return|>, <|constrain|> outside a message are removed

    def on_end(self) -> None:
        if self.state == _CONTENT:
            self._close_content(None)
        if self.pending:  # no marker at all: the markers were stripped, the text is the answer
            self.prose("".join(self.pending))
            self.pending = []

    def call_pending(self) -> bool:
        """Inside a function-call message whose arguments are complete JSON, with no ``<|call|>`` yet."""
        if self.state != _CONTENT or self.kind != _CALL_ARGS:
            return False
        ok, _ = try_loads("".join(self.content).strip(WS))
        return ok and self.lexer.pending() == ""

    # -- messages ---------------------------------------------------------------------------------
    def _open_content(self) -> None:
        self.target = Header("".join(self.header))
        self.kind = self.target.kind()
        self.join_reasoning = self.had_reasoning
        self.content = []
        self.state = _CONTENT
        if self.live:
            self._announce(self.target)

    def _drop_announced(self) -> None:
        """The header a call was announced from is abandoned before its content."""
        if self.args is not None:
            self.args = None
            self.no_call()

    def _announce(self, header: Header) -> None:
        """Live mode: announce the function call this header opens (once per message)."""
        if self.args is None and header.kind() == _CALL_ARGS:
            name = _function(header)
            if name:
                self.preview_start(name)
                self.args = JsonCompactor(lenient_ws=True)

    def _close_content(self, marker: int | None) -> None:
        """The message ends at ``marker`` (None: end of output; a start/channel: implicit end)."""
        self.state = _OUTSIDE
        body = "".join(self.content)
        self.content = []
        self.args = None
        if self.kind == _CALL_ARGS:
            name = _function(self.target) if self.target is not None else ""
            if marker == _CALL and name:
                self.call(name, _arguments(body))
            else:
                self.no_call()
        elif self.kind == _HIDDEN_JSON:
            assert self.target is not None
            stripped = body.lstrip(WS)
            hidden = marker == _CALL and (self.target.json_type or stripped.startswith(("{", "[")))
            if not hidden:
                self.prose(body)


def _function(header: Header) -> str:
    m = _FUNCTION.match(header.recipient)
    return m.group(1) if m else ""


def _arguments(body: str) -> str:
    raw = body.strip(WS)
    ok, value = try_loads(raw)
    return dumps_compact(value) if ok else raw


FORMAT = Format(
    name="harmony",
    make_machine=HarmonyMachine,
    triggers=("<|channel|>", "<|start|>", "<|call|>"),
    special_markers=MARKERS,
    carries_reasoning=True,
    answer_header="<|channel|>final<|message|>",
    stop_marker="<|call|>",
)
