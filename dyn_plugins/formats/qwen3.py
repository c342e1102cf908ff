"""qwen3: Dynamo's unified Qwen3 parser, the Qwen3-Coder XML tool grammar plus a ``<think>`` channel.

Wire shape (Dynamo ``frontend-crates`` ``parsers/v2`` unified family ``qwen3``)::

    <think>...</think>
    <tool_call><function=NAME><parameter=KEY>VALUE</parameter>...</function></tool_call>

Dynamo's behaviour, kept here:

* ``<think>...</think>`` is reasoning, in its position (a thought after a call stays after it); the
  stream starts in visible content (Qwen3 emits its own ``<think>``). A thought left open at the end
  is reasoning. A duplicate ``<think>`` or a stray ``</tool_call>`` / ``</think>`` is markup: removed.
* Tool structure dominates: a call inside a thought is extracted and the thought splits around it;
  inside a function body every marker (``<think>``, ``</tool_call>``) is argument data.
* Each ``<function=NAME>...</function>`` is one call, emitted when ``</function>`` arrives; a bare
  ``<function=`` without ``<tool_call>`` is recovered the same way. A block or function still open
  at the end of the message is dropped. Text before, between and after calls is content (whitespace
  at the start and end of the message trimmed, as everywhere in dyn-plugins).
* Values are trimmed, HTML-unescaped and typed by the tool's JSON schema (:func:`convert`), the way
  Dynamo's XML parser types Qwen3-Coder parameters; arguments keep the order the model wrote them.

Live streaming announces a call at the ``>`` that ends ``<function=NAME`` and streams its parameters
(:class:`LiveParams`): a string-typed value as JSON string content (trimmed and unescaped; held while it
could still be ``null``), any other value typed at its ``</parameter>``; ``</function>`` settles the call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from json.encoder import encode_basestring  # type: ignore[attr-defined]

from .base import Format
from .jsontext import dumps_compact, try_loads
from .lexer import entity_hold
from .machine import WS, Machine
from .tools import ToolIndex

THINK, THINK_END, TC, TCE, FN, FNE, PAR, PARE = range(8)
MARKERS = ("<think>", "</think>", "<tool_call>", "</tool_call>", "<function=", "</function>", "<parameter=", "</parameter>")

_CONTENT, _REASON, _BLOCK, _FUNC = range(4)
_ANY_MARKER = re.compile("|".join(re.escape(m) for m in MARKERS))

_PARAM = re.compile(r"<parameter=([^>]+)>(.*?)(?:</parameter>|\Z)", re.S)
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)", re.I)
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#x27;", "'"), ("&#39;", "'"), ("&apos;", "'"), ("&amp;", "&"))
_I64 = (-(2**63), 2**63 - 1)
_MAX_DIGITS = 4000


def _strip_quotes(s: str) -> str:
    s = s.strip(WS)
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    return s


def _unescape(s: str) -> str:
    for entity, char in _ENTITIES:
        s = s.replace(entity, char)
    return s


def _literal(text: str) -> tuple[bool, Any]:
    """JSON, else Python-style literals (single quotes, True/False/None) as Dynamo's literal_eval stand-in."""
    ok, value = try_loads(text)
    if ok:
        return ok, value
    return try_loads(text.replace("'", '"').replace("True", "true").replace("False", "false").replace("None", "null"))


def _number(t: str) -> Any:
    """A ``number``/``float`` value: integers stay exact, whole floats become integers, non-finite stay text."""
    if _INT.fullmatch(t):
        # Python refuses int <-> str conversions past 4300 digits: such a literal stays text
        return int(t) if len(t) <= _MAX_DIGITS else t
    if not _FLOAT.fullmatch(t):
        return t
    f = float(t)
    if not math.isfinite(f):
        return t
    if f.is_integer():
        return int(f)
    return f


def _param_schemas(tools: ToolIndex, name: str) -> Mapping[str, Any]:
    schema = tools.schemas.get(name)
    if not isinstance(schema, Mapping):
        return {}
    props = schema.get("properties")
    if isinstance(props, Mapping):
        return props
    return schema if "properties" not in schema else {}


def convert(raw: str, schema: Any) -> Any:
    """Type one parameter value (``schema``: the property's JSON schema, or None when undeclared)."""
    value = _unescape(raw.strip(WS))
    if value.lower() == "null":
        return None
    if schema is None:
        return value
    typ = schema.get("type") if isinstance(schema, Mapping) else None
    if isinstance(typ, str):
        typ = typ.lower()
    elif isinstance(schema, Mapping) and ("anyOf" in schema or "oneOf" in schema):
        typ = "object"
    else:
        typ = "string"
    if typ in ("string", "str", "text", "varchar", "char", "enum"):
        return value
    if typ.startswith(("int", "uint", "long", "short", "unsigned")):
        if len(value) <= 20 and _INT.fullmatch(value) and _I64[0] <= int(value) <= _I64[1]:
            return int(value)
        return value
    if typ.startswith(("num", "float")):
        return _number(value)
    if typ in ("boolean", "bool", "binary"):
        return value.lower() == "true"
    ok, parsed = _literal(value)
    return parsed if ok else value


def parse_function(body: str, tools: ToolIndex) -> tuple[str, str] | None:
    """``(name, arguments JSON)`` of one ``<function=`` body (the text up to ``</function>``), or None."""
    head = body.find(">")
    if head < 0:
        return None
    name = _strip_quotes(body[:head])
    if not name:
        return None
    schemas = _param_schemas(tools, name)
    args: dict[str, Any] = {}
    for m in _PARAM.finditer(body, head + 1):
        key = _strip_quotes(m.group(1))
        if key:
            args[key] = convert(m.group(2), schemas.get(key) if key in schemas else None)
    return name, dumps_compact(args)


_ENTITY_TOKENS = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&#39;": "'", "&apos;": "'", "&amp;": "&"}
_ENTITY = re.compile("|".join(re.escape(t) for t in _ENTITY_TOKENS))  # _unescape as one left-to-right pass
_ENTITY_PREFIXES = frozenset(t[:k] for t in _ENTITY_TOKENS for k in range(1, len(t)))
_STRINGS = frozenset({"string", "str", "text", "varchar", "char", "enum"})
_SEEK, _HEAD, _VALUE = range(3)


def _string_typed(schema: Any) -> bool:
    """:func:`convert` returns such a parameter's value as a string (or None for "null")."""
    if schema is None:
        return True
    typ = schema.get("type") if isinstance(schema, Mapping) else None
    if isinstance(typ, str):
        return typ.lower() in _STRINGS
    return not (isinstance(schema, Mapping) and ("anyOf" in schema or "oneOf" in schema))


def _unescape_piece(m: re.Match[str]) -> str:
    return _ENTITY_TOKENS[m.group()]


class LiveParams:
    """Streams one function's arguments, parameter by parameter, as :data:`_PARAM` reads them."""

    __slots__ = ("machine", "schemas", "state", "head", "key", "string", "lead", "ws", "held", "raw", "keys", "stopped", "started")

    def __init__(self, machine: Machine, schemas: Mapping[str, Any]) -> None:
        self.machine = machine
        self.schemas = schemas
        self.state = _SEEK
        self.head: list[str] = []
        self.key = ""
        self.string = False
        self.lead = ""  # a string value's start, held while it may be blank or "null"
        self.ws = ""  # its trailing whitespace, held
        self.held = ""  # its tail that may be the start of an entity
        self.raw: list[str] = []
        self.keys: set[str] = set()
        self.stopped = False
        self.started = False
        machine.preview_args("{")

    def text(self, text: str) -> None:
        if self.state == _HEAD:
            cut = text.find(">")
            if cut < 0:
                self.head.append(text)
                return
            self.head.append(text[:cut])
            self._start_value()
            text = text[cut + 1 :]
        if self.state == _VALUE and text:
            self._value(text)

    def marker(self, marker: int) -> None:
        if self.state == _VALUE:  # a value runs to the first </parameter> (or the end of the function)
            if marker == PARE:
                self._end_value()
                self.state = _SEEK
            else:
                self._value(MARKERS[marker])
        elif self.state == _HEAD:
            self.text(MARKERS[marker])
        elif marker == PAR:
            self.state, self.head = _HEAD, []

    def finish(self) -> None:
        """``</function>``: a value still open ends here."""
        if self.state == _VALUE:
            self._end_value()

    def _start_value(self) -> None:
        raw_key = "".join(self.head)
        if not raw_key:  # "<parameter=>" is no parameter: the regex looks for the next one
            self.state = _SEEK
            return
        self.state = _VALUE
        key = _strip_quotes(raw_key)
        self.key, self.raw, self.lead, self.ws, self.held, self.started = key, [], "", "", "", False
        if not key:
            return  # consumed, but skipped
        self.string = _string_typed(self.schemas.get(key) if key in self.schemas else None)
        if key in self.keys:
            self.stopped = True
        self.keys.add(key)

    def _value(self, raw: str) -> None:
        if not self.key:
            return
        self.raw.append(raw)
        if not self.string or self.stopped:
            return
        text = self.held + raw
        cut = entity_hold(text, _ENTITY_PREFIXES)
        self.held = text[cut:]
        piece = _ENTITY.sub(_unescape_piece, text[:cut])
        if not self.started:
            self.lead += piece
            lead = self.lead.lstrip(WS)
            if not lead or (len(lead) < 4 and "null".startswith(lead.lower())):
                return  # blank so far, or it may still be "null"
            if lead.lower().startswith("null") and not lead[4:].strip(WS):
                return
            self.started = True
            self._emit(self._head() + '"')
            piece = lead
        body = piece.rstrip(WS)
        if body:
            self._emit(encode_basestring(self.ws + body)[1:-1])
            self.ws = piece[len(body) :]
        else:
            self.ws += piece

    def _end_value(self) -> None:
        if not self.key or self.stopped:
            return
        if self.string and self.started:
            body = _ENTITY.sub(_unescape_piece, self.held).rstrip(WS)
            self._emit((encode_basestring(self.ws + body)[1:-1] if body else "") + '"')
            return
        schema = self.schemas.get(self.key) if self.key in self.schemas else None
        self._emit(self._head() + dumps_compact(convert("".join(self.raw), schema)))

    def _head(self) -> str:
        return ("," if len(self.keys) > 1 else "") + dumps_compact(self.key) + ":"

    def _emit(self, text: str) -> None:
        self.machine.preview_args(text)


class Qwen3Machine(Machine):
    markers = MARKERS

    def __init__(self, tools: ToolIndex) -> None:
        super().__init__(tools)
        self.state = _CONTENT
        self.outer = _CONTENT  # where a block or a bare function returns to (content or reasoning)
        self.in_block = False
        self.body: list[str] = []
        self.args: LiveParams | None = None  # live mode: the announced call's parameters
        self.naming = False  # live mode: reading the NAME of ``<function=NAME>``

    def on_text(self, text: str) -> None:
        st = self.state
        if st == _CONTENT:
            self.prose(text)
        elif st == _REASON:
            self.reasoning(text)
        elif st == _FUNC:
            self.body.append(text)
            if self.args is not None:
                self.args.text(text)
            elif self.naming and ">" in text:
                self._announce()
        # _BLOCK: text between a block's markers is not content

    def on_marker(self, marker: int) -> None:
        st = self.state
        if st == _FUNC:
            if marker == FNE:
                self._close_function()
            else:
                self.body.append(MARKERS[marker])  # data inside an argument
                if self.args is not None:
                    self.args.marker(marker)
                elif self.naming:
                    self._announce()
            return
        if st == _BLOCK:
            if marker == FN:
                self._open_function(in_block=True)
            elif marker == TCE:
                self.state = self.outer
            return  # anything else between a block's functions is dropped markup
        # content or reasoning
        if marker == TC:
            self.outer, self.in_block, self.state = st, True, _BLOCK
        elif marker == FN:
            self.outer = st
            self._open_function(in_block=False)
        elif marker == THINK:
            self.state = _REASON
        elif marker == THINK_END:
            self.state = _CONTENT
        elif marker == TCE:
            pass  # an orphan close is markup
        elif st == _CONTENT:
            self.prose(MARKERS[marker])
        else:
            self.reasoning(MARKERS[marker])

    def on_end(self) -> None:
        self.body = []  # an unclosed block or function is dropped

    def _open_function(self, *, in_block: bool) -> None:
        self.in_block = in_block
        self.state = _FUNC
        self.body = []
        self.args = None
        self.naming = self.live

    def _announce(self) -> None:
        """Live mode: the function's name ends at its first ``>``: announce the call, stream the rest."""
        body = "".join(self.body)
        head = body.find(">")
        if head < 0:
            return
        self.naming = False
        name = _strip_quotes(body[:head])
        if name:
            self.preview_start(name)
            self.args = LiveParams(self, _param_schemas(self.tools, name))
            rest = body[head + 1 :]
            # markers after the name arrive again through marker(); replay only the text since the head
            self._replay(rest)

    def _replay(self, rest: str) -> None:
        """Feed the parameters the body already holds after the name (a chunk may carry more than the name)."""
        assert self.args is not None
        pos = 0
        for m in _ANY_MARKER.finditer(rest):
            if m.start() > pos:
                self.args.text(rest[pos : m.start()])
            self.args.marker(MARKERS.index(m.group()))
            pos = m.end()
        if pos < len(rest):
            self.args.text(rest[pos:])

    def _close_function(self) -> None:
        """The one place a call is decided: name and typed arguments of the finished function."""
        parsed = parse_function("".join(self.body), self.tools)
        self.body = []
        if self.args is not None:
            self.args.finish()
            self.args = None
        if parsed is not None:
            self.keep_ws()  # the text before a call keeps its trailing whitespace
            self.call(*parsed)
        else:
            self.no_call()
        self.state = _BLOCK if self.in_block else self.outer


def _machine(tools: ToolIndex) -> Qwen3Machine:
    return Qwen3Machine(tools)


FORMAT = Format(
    name="qwen3",
    make_machine=_machine,
    triggers=("<tool_call>", "<function="),
    special_markers=MARKERS[:4],
    carries_reasoning=True,
)
