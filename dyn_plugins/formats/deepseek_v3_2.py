"""deepseek_v3_2 (DeepSeek V3.2 "DSML"), and its V4 variant (``tool_calls`` instead of ``function_calls``).

Wire text::

    <｜DSML｜function_calls>
    <｜DSML｜invoke name="NAME">
    <｜DSML｜parameter name="KEY" string="true|false">VALUE</｜DSML｜parameter>
    </｜DSML｜invoke>
    </｜DSML｜function_calls>

Dynamo's behaviour (SPEC.md section 9), finalize path:
* each ``invoke ... </invoke>`` is one call; parameter values are trimmed, ``string="true"`` keeps
  them as strings, otherwise they are JSON when they parse and strings when not; a parameter
  without its end tag is lost; an invoke without its end tag swallows everything up to the next
  ``</invoke>`` (so a truncated middle invoke merges into the next one, as in Dynamo);
* text before the first block is the normal text, verbatim with its trailing whitespace; a bare
  invoke (no block) cuts the text before it right-trimmed; any other stray DSML marker in the text
  ends the normal text there (markup is never leaked); text after the first block is dropped;
* a block left open at the end is recovered (complete invokes count); an open invoke is dropped.

Streaming: each call is emitted when its ``</invoke>`` arrives.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .base import Format
from .jsontext import try_loads
from .machine import WS, Machine
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
    return name, json.dumps(args, ensure_ascii=False, separators=(",", ":"))


class DsmlMachine(Machine):
    """One machine for both block spellings (the markers are given per variant)."""

    def __init__(self, tools: ToolIndex, markers: tuple[str, ...]) -> None:
        super().__init__(tools, markers)
        self.state = _PROSE
        self.body: list[str] = []
        self.literal = markers

    def on_text(self, text: str) -> None:
        if self.state == _PROSE:
            self.prose(text)
        elif self.state == _INVOKE:
            self.body.append(text)

    def on_marker(self, marker: int) -> None:
        st = self.state
        if st == _INVOKE:
            if marker == _IE:
                parsed = parse_invoke("".join(self.body))
                if parsed is not None:
                    self.call(*parsed)
                self.state = self.outer
            elif marker == _BE and self.outer == _BLOCK:
                self.state = _AFTER  # the block closed around an unterminated invoke: no call
            else:
                self.body.append(self.literal[marker])
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
            return
        if marker == _BE and st == _BLOCK:
            self.state = _AFTER
            return
        if st == _PROSE:
            self.drop_ws()
            self.state = _DROP  # a stray DSML marker ends the normal text; markup never leaks

    outer = _AFTER


def _variant(name: str, block: str, summary: str) -> Format:
    markers = (f"<｜DSML｜{block}>", f"</｜DSML｜{block}>", INVOKE, INVOKE_END, PARAM, PARAM_END)

    def make(tools: ToolIndex) -> DsmlMachine:
        return DsmlMachine(tools, markers)

    return Format(
        name=name,
        make_machine=make,
        triggers=(markers[0], INVOKE),
        special_markers=markers,
        summary=summary,
    )


FORMAT = _variant(
    "deepseek_v3_2",
    "function_calls",
    '<｜DSML｜function_calls><｜DSML｜invoke name="NAME"><｜DSML｜parameter name="K" string="true">V'
    "</｜DSML｜parameter></｜DSML｜invoke></｜DSML｜function_calls>",
)

#: DeepSeek V4 spells the block ``tool_calls``; everything else is DSML as above.
FORMAT_V4 = _variant(
    "deepseek_v4",
    "tool_calls",
    '<｜DSML｜tool_calls><｜DSML｜invoke name="NAME">...</｜DSML｜invoke></｜DSML｜tool_calls>',
)
