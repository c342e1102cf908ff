"""deepseek_v3_2 (DeepSeek V3.2 "DSML"), and its V4 variant (``tool_calls`` instead of ``function_calls``).

Wire text::

    <｜DSML｜function_calls>
    <｜DSML｜invoke name="NAME">
    <｜DSML｜parameter name="KEY" string="true|false">VALUE</｜DSML｜parameter>
    </｜DSML｜invoke>
    </｜DSML｜function_calls>

Dynamo's behaviour (docs/formats.md section 9), finalize path:
* each ``invoke ... </invoke>`` is one call; parameter values are trimmed, ``string="true"`` keeps
  them as strings, otherwise they are JSON when they parse and strings when not; a parameter
  without its end tag is lost; an invoke without its end tag swallows everything up to the next
  ``</invoke>`` (so a truncated middle invoke merges into the next one, as in Dynamo);
* text before the first block is the normal text, verbatim with its trailing whitespace; a bare
  invoke (no block) cuts the text before it right-trimmed; any other stray DSML marker in the text
  ends the normal text there (markup is never leaked); text after the first block is dropped;
* a block left open at the end is recovered (complete invokes count); an open invoke is dropped.

Streaming: live mode announces a call once ``invoke name="NAME">`` is complete and streams its
parameters as they arrive (:class:`LiveParams`): ``string="true"`` values as JSON string content
(trimmed: leading whitespace dropped, trailing whitespace held until more text follows), other values
typed at their ``</parameter>``. ``</invoke>`` settles the call. Buffered mode emits each call when its
``</invoke>`` arrives.
"""

from __future__ import annotations

import re
from typing import Any

from json.encoder import encode_basestring  # type: ignore[attr-defined]

from .base import Format
from .jsontext import dumps_compact, try_loads
from .machine import WS, Machine, RawSink
from .tools import ToolIndex

_P = "<｜DSML｜"
INVOKE = _P + "invoke name="
INVOKE_END = "</｜DSML｜invoke>"
PARAM = _P + "parameter name="
PARAM_END = "</｜DSML｜parameter>"

_BS, _BE, _IP, _IE, _PP, _PE = range(6)
_PROSE, _AFTER, _BLOCK, _INVOKE, _DROP = range(5)

_HEAD = re.compile(r'\s*"([^"]*)"\s*>', re.S)
_PARAM = re.compile(re.escape(PARAM) + r'"([^"]*)"(?:\s+string="(true|false)")?\s*>(.*?)' + re.escape(PARAM_END), re.S)


def _value(raw: str, is_string: bool) -> Any:
    text = raw.strip(WS)
    if is_string:
        return text
    ok, value = try_loads(text)
    return value if ok else text


def parse_invoke(body: str) -> tuple[str, str] | None:
    """``(name, arguments JSON)`` from the text after ``invoke name=`` up to ``</invoke>``."""
    head = _HEAD.match(body)
    if head is None:
        return None
    name = head.group(1).strip(WS)
    if not name:
        return None
    args: dict[str, Any] = {}
    for m in _PARAM.finditer(body, head.end()):
        args[m.group(1).strip(WS)] = _value(m.group(3), m.group(2) == "true")
    return name, dumps_compact(args)


_HEAD_PARTIAL = re.compile(r'\s*(?:"[^"]*(?:"\s*)?)?\Z', re.S)
_PARAM_HEAD = re.compile(r'"([^"]*)"(?:\s+string="(true|false)")?\s*>', re.S)
_MAX_HEAD = 512  # a parameter header longer than this is not streamed (the final call still decides)
_SEEK, _PHEAD, _PVALUE = range(3)


class LiveParams:
    """Streams one invoke's arguments: parameters matched as :data:`_PARAM` matches them, in order.

    A repeated key stops the stream (the final call's dict keeps the first position, the last value).
    """

    __slots__ = ("machine", "state", "head", "key", "string", "lead", "ws", "raw", "keys", "stopped")

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.state = _SEEK
        self.head: list[str] = []
        self.key = ""
        self.string = False
        self.lead = True  # a string value's leading whitespace is still being dropped
        self.ws = ""  # a string value's trailing whitespace, held
        self.raw: list[str] = []
        self.keys: set[str] = set()
        self.stopped = False
        machine.preview_args("{")

    def text(self, text: str) -> None:
        if self.state == _PHEAD:
            self.head.append(text)
            head = "".join(self.head)
            m = _PARAM_HEAD.match(head)
            if m is None:
                if len(head) > _MAX_HEAD:
                    self.state = _SEEK
                return
            self._start_value(m)
            rest = head[m.end() :]
            if rest:
                self._value(rest)
        elif self.state == _PVALUE:
            self._value(text)

    def streams_text(self) -> bool:
        """Inside a string value past its leading whitespace, none held: a chunk goes out escaped, its trailing
        whitespace held (``_value``), which :class:`~.machine.RawSink` does without this object."""
        return self.state == _PVALUE and self.string and not self.lead and not self.stopped and not self.ws

    def marker(self, marker: int, literal: str) -> None:
        if self.state == _PVALUE:
            if marker == _PE:
                self._end_value()
                self.state = _SEEK
            else:
                self._value(literal)
        elif marker == _PP:
            self.state, self.head = _PHEAD, []
        elif self.state == _PHEAD:
            self.text(literal)

    def _start_value(self, m: re.Match[str]) -> None:
        self.state = _PVALUE
        key = m.group(1).strip(WS)
        self.key, self.string = key, m.group(2) == "true"
        self.lead, self.ws, self.raw = True, "", []
        if key in self.keys:
            self.stopped = True
        self.keys.add(key)
        if self.string:
            self._emit(self._head() + '"')

    def _value(self, text: str) -> None:
        if not self.string:
            self.raw.append(text)
            return
        if self.lead:
            text = text.lstrip(WS)
            if not text:
                return
            self.lead = False
        body = text.rstrip(WS)
        if body:
            self._emit(encode_basestring(self.ws + body)[1:-1])
            self.ws = text[len(body) :]
        else:
            self.ws += text

    def _end_value(self) -> None:
        if self.string:
            self._emit('"')
        else:
            self._emit(self._head() + dumps_compact(_value("".join(self.raw), False)))

    def _head(self) -> str:
        return ("," if len(self.keys) > 1 else "") + dumps_compact(self.key) + ":"

    def _emit(self, text: str) -> None:
        if not self.stopped:
            self.machine.preview_args(text)


class DsmlMachine(Machine):
    """One machine for both block spellings (the markers are given per variant)."""

    def __init__(self, tools: ToolIndex, markers: tuple[str, ...]) -> None:
        super().__init__(tools, markers)
        self.state = _PROSE
        self.body: list[str] = []
        self.literal = markers
        self.args: LiveParams | None = None  # live mode: the announced call's parameters
        self.heading = False  # live mode: reading ``"NAME">`` of the open invoke

    def live_sink(self) -> RawSink | None:
        if self.state == _INVOKE and self.args is not None and self.args.streams_text():
            return self.raw_sink(self.body, escape=True, trail=WS)
        return None

    def on_text(self, text: str) -> None:
        if self.state == _PROSE:
            self.prose(text)
        elif self.state == _INVOKE:
            self.body.append(text)
            if self.args is not None:
                self.args.text(text)
            elif self.heading:
                self._head()

    def _head(self) -> None:
        """Live mode: announce the invoke once its ``"NAME">`` is complete (and valid)."""
        body = "".join(self.body)
        m = _HEAD.match(body)
        if m is None:
            self.heading = len(body) <= _MAX_HEAD and _HEAD_PARTIAL.match(body) is not None
            return
        self.heading = False
        name = m.group(1).strip(WS)
        if name:
            self.preview_start(name)
            self.args = LiveParams(self)
            rest = body[m.end() :]
            if rest:
                self.args.text(rest)

    def on_marker(self, marker: int) -> None:
        st = self.state
        if st == _INVOKE:
            if marker == _IE:
                parsed = parse_invoke("".join(self.body))
                if parsed is not None:
                    self.call(*parsed)
                else:
                    self.no_call()
                self.args = None
                self.state = self.outer
            elif marker == _BE and self.outer == _BLOCK:
                self.args = None
                self.no_call()
                self.state = _AFTER  # the block closed around an unterminated invoke: no call
            else:
                self.body.append(self.literal[marker])
                if self.args is not None:
                    self.args.marker(marker, self.literal[marker])
                elif self.heading:
                    self._head()
            return
        if marker == _BS:
            if st == _PROSE:
                self.keep_ws()
            if st != _BLOCK:
                self.state = _BLOCK
            return
        if marker == _IP:
            if st == _PROSE:
                self.drop_ws()
            if st != _BLOCK:
                st = _AFTER
            self.outer = st
            self.state = _INVOKE
            self.body = []
            self.args = None
            self.heading = self.live
            return
        if marker == _BE and st == _BLOCK:
            self.state = _AFTER
            return
        if st == _PROSE:
            self.drop_ws()
            self.state = _DROP  # a stray DSML marker ends the normal text; markup never leaks

    outer = _AFTER


def _variant(name: str, block: str) -> Format:
    markers = (f"<｜DSML｜{block}>", f"</｜DSML｜{block}>", INVOKE, INVOKE_END, PARAM, PARAM_END)

    def make(tools: ToolIndex) -> DsmlMachine:
        return DsmlMachine(tools, markers)

    return Format(
        name=name,
        make_machine=make,
        triggers=(markers[0], INVOKE),
        special_markers=markers,
    )


FORMAT = _variant("deepseek_v3_2", "function_calls")

#: DeepSeek V4 spells the block ``tool_calls``; everything else is DSML as above.
FORMAT_V4 = _variant("deepseek_v4", "tool_calls")
