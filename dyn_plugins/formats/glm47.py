"""glm47 (GLM-4.5 / GLM-4.7): ``<tool_call>NAME<arg_key>K</arg_key><arg_value>V</arg_value>...</tool_call>``.

Dynamo's behaviour (SPEC.md section 2):
* each ``<tool_call>...</tool_call>`` block is one call; a block that does not parse (no name, or a
  name that is not one of the request's tools when tools are given) is dropped, never leaked;
* values are typed by the tool's JSON schema (see :func:`coerce`); without a schema they stay
  strings, unless they are JSON objects, arrays or strings;
* text before the first call is kept verbatim, text after it is dropped;
* a block left open at the end of the message is dropped (glm47 never recovers a missing
  ``</tool_call>``);
* a bare body with no ``<tool_call>`` opener (``get_weather<arg_key>...</tool_call>``) is recovered
  when the word before the first stray marker looks like a function name; stray markers that
  cannot be recovered are removed together with the text after them (up to the next block).

Streaming: calls are emitted as soon as their ``</tool_call>`` arrives. The last word of the text is
held back while it could still turn out to be the name of a bare body (with tools: only while it is a
prefix of a tool's name).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from . import jsontext
from .base import Format
from .machine import WS, Machine
from .tools import ToolIndex

TC, TCE, AK, AKE, AV, AVE = range(6)
MARKERS = ("<tool_call>", "</tool_call>", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>")

_PAIR = re.compile(r"<arg_key>([^<]+)</arg_key><arg_value>(.*?)</arg_value>", re.S)
_NAME_WORD = re.compile(r"[A-Za-z0-9_.\-]+")
_INT = re.compile(r"-?[0-9]+")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"), ("&quot;", '"'), ("&apos;", "'"))

_PROSE, _AFTER, _BLOCK, _BARE, _DROP = range(5)


def _integer(t: str) -> int | None:
    return int(t) if _INT.fullmatch(t) else None


def coerce(raw: str, schema_type: str | None) -> Any:
    """Type one ``<arg_value>`` (entities already decoded) by its schema type, as Dynamo does."""
    t = raw.strip(WS)
    if t.startswith(("{", "[", '"')):
        ok, value = jsontext.try_loads(t)
        if ok:
            return value
    if schema_type in ("integer", "int"):
        n = _integer(t)
        if n is not None:
            return n
    elif schema_type in ("number", "float", "double"):
        n = _integer(t)
        if n is not None:
            return n
        f = _rust_f64(t)
        if f is not None:
            return f
    elif schema_type in ("boolean", "bool"):
        low = t.lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
    elif schema_type == "array":
        ok, value = jsontext.try_loads(t)
        if ok and isinstance(value, list):
            return value
        return [piece.strip(WS) for piece in t.split(",")]
    elif schema_type == "null":
        if t in ("null", "None", ""):
            return None
    return raw


_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _rust_f64(t: str) -> float | None:
    """``t.parse::<f64>()`` restricted to finite values (Rust accepts no ``_`` separators)."""
    if not _FLOAT.fullmatch(t):
        return None
    value = float(t)
    return value if math.isfinite(value) else None


def _decode_entities(s: str) -> str:
    for entity, char in _ENTITIES:
        s = s.replace(entity, char)
    return s


def parse_block(body: str, tools: ToolIndex) -> tuple[str, str] | None:
    """``(name, arguments JSON)`` of one block's inner text, or None if the block is invalid."""
    cut = body.find("<arg_key>")
    name = (body if cut < 0 else body[:cut]).strip(WS)
    if not name or (tools.supplied and name not in tools):
        return None
    args: dict[str, Any] = {}
    if cut >= 0:
        for m in _PAIR.finditer(body, cut):
            key = m.group(1).strip(WS)
            if key:
                args[key] = coerce(_decode_entities(m.group(2)), tools.property_type(name, key))
    return name, json.dumps(args, ensure_ascii=False, separators=(",", ":"))


class Glm47Machine(Machine):
    markers = MARKERS

    def __init__(self, tools: ToolIndex) -> None:
        super().__init__(tools)
        self.state = _PROSE
        self.body: list[str] = []
        # the trailing word of the text, held back while it may be a bare body's function name
        self.word: list[str] = []
        self.word_ws: list[str] = []
        self.boundary = True  # the last text seen ended at a word boundary (whitespace / marker / start)

    # -- text -------------------------------------------------------------------------------------
    def on_text(self, text: str) -> None:
        st = self.state
        if st in (_BLOCK, _BARE):
            self.body.append(text)
        elif st == _DROP:
            return
        else:
            self._words(text)

    def _out(self, text: str) -> None:
        if self.state == _PROSE and text:
            self.prose(text)

    def _may_be_name(self, token: str) -> bool:
        """Could the held word followed by ``token`` still become a bare body's function name? With tools,
        only while it is a prefix of one of them.

        Why: a held word is released only when the next text or the end of the message arrives, and some
        serving paths never flush the parser at the end (Dynamo 1.6.1's SGLang processor): holding every
        word would cost a plain answer its last word there. A bare body whose name is not a supplied tool
        is dropped anyway, so its word is kept as text, in streaming and one-shot alike. Only ``token`` is
        matched: the held part already was, and with tools it is no longer than a tool's name, so a long
        word streamed in small chunks costs linear time.
        """
        if not _NAME_WORD.fullmatch(token):
            return False
        if not self.tools.supplied:
            return True
        word = "".join(self.word) + token
        return any(name.startswith(word) for name in self.tools.schemas)

    def _release_word(self) -> None:
        if self.word:
            self._out("".join(self.word) + "".join(self.word_ws))
            self.word.clear()
            self.word_ws.clear()

    def _words(self, text: str) -> None:
        """Emit text, holding back a trailing identifier-like word (and whitespace after it)."""
        core = text.rstrip()
        tail = text[len(core) :]
        if not core:
            if self.word:
                self.word_ws.append(text)
            else:
                self._out(text)
            self.boundary = True
            return
        parts = core.rsplit(None, 1)
        if len(parts) == 2 or core[0].isspace():
            # a new token starts inside this piece: everything before it is released
            head = core[: len(core) - len(parts[-1])]
            self._release_word()
            self._out(head)
            token, starts_fresh = parts[-1], True
        else:
            token = core
            if self.word and not self.word_ws:
                starts_fresh = True  # continues the held word
            else:
                self._release_word()
                starts_fresh = self.boundary
        if starts_fresh and self._may_be_name(token):
            self.word.append(token)
        else:
            self._release_word()
            self._out(token)
        if tail:
            if self.word:
                self.word_ws.append(tail)
            else:
                self._out(tail)
        self.boundary = bool(tail)

    # -- markers ----------------------------------------------------------------------------------
    def on_marker(self, marker: int) -> None:
        st = self.state
        literal = MARKERS[marker]
        if st == _BLOCK:
            if marker == TCE:
                self._close_block()
            else:
                self.body.append(literal)
            return
        if marker == TC:
            if st in (_PROSE, _AFTER):
                self._release_word()
            else:  # a bare body or dropped gap ends at the next opener (and is dropped)
                self.state = self._resume()
            self._enter_block()
            return
        if st == _BARE:
            if marker == TCE:
                self._close_block()
            else:
                self.body.append(literal)
            return
        if st == _DROP:
            return
        # a stray marker in prose: a bare body when a function name precedes it
        if self.word:
            self.body = ["".join(self.word), "".join(self.word_ws), literal]
            self.word.clear()
            self.word_ws.clear()
            if marker == TCE:
                self._close_block()
            else:
                self.state = _BARE
                self.saved = st
        else:
            self.saved = st
            self.state = _DROP

    def on_end(self) -> None:
        if self.state in (_PROSE, _AFTER):
            self._release_word()
        # an open block, bare body or dropped gap is dropped

    # -- blocks -------------------------------------------------------------------------------------
    saved = _PROSE

    def _resume(self) -> int:
        return _AFTER if self.ncalls else _PROSE

    def _enter_block(self) -> None:
        self.saved = self.state
        self.state = _BLOCK
        self.body = []

    def _close_block(self) -> None:
        parsed = parse_block("".join(self.body), self.tools)
        self.body = []
        if parsed is not None:
            self.keep_ws()
            self.call(*parsed)
        self.state = self._resume()
        self.boundary = True


def _machine(tools: ToolIndex) -> Glm47Machine:
    return Glm47Machine(tools)


FORMAT = Format(
    name="glm47",
    make_machine=_machine,
    triggers=("<tool_call>", "<arg_key>"),
    special_markers=MARKERS,
    summary="<tool_call>NAME<arg_key>K</arg_key><arg_value>V</arg_value></tool_call>",
)
