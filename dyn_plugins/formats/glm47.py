"""glm47 (GLM-4.5 / GLM-4.7): ``<tool_call>NAME<arg_key>K</arg_key><arg_value>V</arg_value>...</tool_call>``.

Dynamo's behaviour (docs/formats.md section 2):
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

Streaming: live mode announces a block's call at its first ``<arg_key>`` (the name is complete; with
tools it must be one of them) and streams each pair as it arrives (:class:`LiveArgs`): a value that
will stay a string (its schema type is not a number, boolean, array or null) streams as JSON string
content, entity-decoded; one that starts with ``{``, ``[`` or ``"`` is held only while it can still be one
JSON value (a value opening with a Python docstring streams from its third quote); other values go out typed at their
``</arg_value>``. ``</tool_call>`` settles the call; a block left open at the end keeps the
announced call with its arguments closed. Buffered mode emits each call at its ``</tool_call>``
(bare bodies always come whole). The last word of the text is
held back while it could still turn out to be the name of a bare body (with tools: only while it is a
prefix of a tool's name).
"""

from __future__ import annotations

import math
import re
from typing import Any

from json.encoder import encode_basestring  # type: ignore[attr-defined]

from . import jsontext
from .base import Format
from .jsonstream import JsonTokens
from .jsontext import dumps_compact
from .lexer import entity_hold
from .machine import WS, Machine, RawSink
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


# _decode_entities' five replacements in a row, as one left-to-right pass (an "&amp;" it decodes can
# form a later "&quot;" / "&apos;"): what a streamed value decodes with, piece by piece.
_ENTITY_TOKENS = {"&amp;quot;": '"', "&amp;apos;": "'", "&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'"}
_ENTITY = re.compile("|".join(_ENTITY_TOKENS))
_ENTITY_PREFIXES = frozenset(t[:k] for t in _ENTITY_TOKENS for k in range(1, len(t)))
#: schema types whose values are not strings (see coerce): these values go out whole
_TYPED = frozenset({"integer", "int", "number", "float", "double", "boolean", "bool", "array", "null"})
_SEEK, _KEY, _KEY_END, _VALUE = range(4)
_LEAD, _STRING, _WHOLE, _SKIP, _JSONISH = range(5)


class LiveArgs:
    """Streams one block's arguments object pair by pair, matching :data:`_PAIR` token by token.

    A pair is ``<arg_key>`` + key text without ``<`` + ``</arg_key><arg_value>`` + anything up to the
    first ``</arg_value>``; anything else is skipped, as ``_PAIR.finditer`` skips it. A repeated key
    (the dict keeps its first position, the last value) stops the stream: the final call decides.
    """

    __slots__ = ("machine", "name", "state", "key", "value", "held", "how", "keys", "stopped", "probe")

    def __init__(self, machine: Machine, name: str) -> None:
        self.machine = machine
        self.name = name
        self.state = _SEEK
        self.key: list[str] = []
        self.value: list[str] = []  # raw text of a value that goes out whole
        self.held = ""  # raw tail of a streamed value that may still be an entity
        self.how = _LEAD
        self.keys: set[str] = set()
        self.stopped = False
        self.probe: JsonTokens | None = None  # a value that may still be one JSON value (see _value)
        machine.preview_args("{")

    def text(self, text: str) -> None:
        st = self.state
        if st == _VALUE:
            self._value(text)
        elif st == _KEY:
            if "<" in text:
                self.state = _SEEK
            else:
                self.key.append(text)
        elif st == _KEY_END:
            self.state = _SEEK

    def streams_text(self) -> bool:
        """Inside a string value with nothing held: a chunk without ``&`` or a marker goes out escaped as it is
        (``_value``'s first branch), which :class:`~.machine.RawSink` does without this object."""
        return self.state == _VALUE and self.how == _STRING and not self.held and not self.stopped

    def marker(self, marker: int) -> None:
        st = self.state
        if st == _VALUE:
            if marker == AVE:
                self._end_value()
                self.state = _SEEK
            else:
                self._value(MARKERS[marker])
        elif marker == AK:
            self.state, self.key = _KEY, []
        elif st == _KEY and marker == AKE and self.key:
            self.state = _KEY_END
        elif st == _KEY_END and marker == AV:
            self._start_value()
        else:
            self.state = _SEEK

    # -- one value ----------------------------------------------------------------------------------
    def _start_value(self) -> None:
        self.state = _VALUE
        self.value, self.held = [], ""
        key = "".join(self.key).strip(WS)
        self.key = [key]
        if not key or self.stopped:
            self.how = _SKIP
        elif key in self.keys:
            self.how, self.stopped = _SKIP, True
        else:
            self.keys.add(key)
            typed = self.machine.tools.property_type(self.name, key) in _TYPED
            self.how = _WHOLE if typed else _LEAD

    def _value(self, raw: str) -> None:
        how = self.how
        if how == _SKIP:
            return
        if how == _WHOLE:
            self.value.append(raw)
            return
        if how == _STRING and not self.held and "&" not in raw:
            self._emit(encode_basestring(raw)[1:-1])
            return
        text = self.held + raw
        cut = entity_hold(text, _ENTITY_PREFIXES)
        self.held = text[cut:]
        if how == _LEAD:
            self.value.append(text[:cut])
            decoded = _ENTITY.sub(_entity, "".join(self.value))
            first = decoded.lstrip(WS)[:1]
            if not first:
                return
            if first in '{["':  # coerce tries JSON first: held while it can still be one JSON value
                self.how = _JSONISH
                self.probe = JsonTokens(lenient_ws=True)
                self.probe.feed(decoded)
                if self.probe.bad:
                    self._to_string(decoded)
                return
            self._to_string(decoded)
        elif how == _JSONISH:
            self.value.append(text[:cut])
            assert self.probe is not None
            self.probe.feed(_ENTITY.sub(_entity, text[:cut]))
            if self.probe.bad:  # not JSON after all (a docstring, prose after a brace): a string, streamed
                self._to_string(_ENTITY.sub(_entity, "".join(self.value)))
        elif cut:
            self._emit(encode_basestring(_ENTITY.sub(_entity, text[:cut]))[1:-1])

    def _to_string(self, decoded: str) -> None:
        self.how = _STRING
        self.value = []
        self._emit(self._head() + '"' + encode_basestring(decoded)[1:-1])

    def _end_value(self) -> None:
        how = self.how
        if how == _STRING:
            tail = _ENTITY.sub(_entity, self.held)
            self._emit(encode_basestring(tail)[1:-1] + '"')
        elif how in (_WHOLE, _LEAD, _JSONISH):
            raw = "".join(self.value) + self.held
            value = coerce(_decode_entities(raw), self.machine.tools.property_type(self.name, self.key[0]))
            self._emit(self._head() + dumps_compact(value))

    def _head(self) -> str:
        sep = "," if len(self.keys) > 1 else ""
        return sep + dumps_compact(self.key[0]) + ":"

    def _emit(self, text: str) -> None:
        if not self.stopped:
            self.machine.preview_args(text)


def _entity(m: re.Match[str]) -> str:
    return _ENTITY_TOKENS[m.group()]


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
    return name, dumps_compact(args)


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
        self.args: LiveArgs | None = None  # live mode: the announced call of the open block

    # -- text -------------------------------------------------------------------------------------
    def on_text(self, text: str) -> None:
        st = self.state
        if st in (_BLOCK, _BARE):
            self.body.append(text)
            if self.args is not None:
                self.args.text(text)
        elif st == _DROP:
            return
        else:
            self._words(text)

    def live_sink(self) -> RawSink | None:
        if self.state in (_BLOCK, _BARE) and self.args is not None and self.args.streams_text():
            return self.raw_sink(self.body, escape=True, stop="&")
        return None

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
                return
            if self.args is not None:
                self.args.marker(marker)
            elif marker == AK and self.live:
                self._announce()
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
        else:
            self.state = _DROP

    def on_end(self) -> None:
        if self.state in (_PROSE, _AFTER):
            self._release_word()
        # an open block, bare body or dropped gap is dropped

    # -- blocks -------------------------------------------------------------------------------------
    def _resume(self) -> int:
        return _AFTER if self.ncalls else _PROSE

    def _enter_block(self) -> None:
        self.state = _BLOCK
        self.body = []

    def _announce(self) -> None:
        """First ``<arg_key>`` of a block: its name is complete; announce the call if the name is valid."""
        name = "".join(self.body).strip(WS)
        if name and (not self.tools.supplied or name in self.tools):
            self.preview_start(name)
            self.args = LiveArgs(self, name)
            self.args.marker(AK)

    def _close_block(self) -> None:
        parsed = parse_block("".join(self.body), self.tools)
        self.body = []
        self.args = None
        if parsed is not None:
            self.keep_ws()
            self.call(*parsed)
        else:
            self.no_call()
        self.state = self._resume()
        self.boundary = True


def _machine(tools: ToolIndex) -> Glm47Machine:
    return Glm47Machine(tools)


FORMAT = Format(
    name="glm47",
    make_machine=_machine,
    triggers=("<tool_call>", "<arg_key>"),
    special_markers=MARKERS,
)
