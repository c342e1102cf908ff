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
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from .base import Format
from .jsontext import dumps_compact, try_loads
from .machine import WS, Machine
from .tools import ToolIndex

THINK, THINK_END, TC, TCE, FN, FNE, PAR, PARE = range(8)
MARKERS = ("<think>", "</think>", "<tool_call>", "</tool_call>", "<function=", "</function>", "<parameter=", "</parameter>")

_CONTENT, _REASON, _BLOCK, _FUNC = range(4)

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


class Qwen3Machine(Machine):
    markers = MARKERS

    def __init__(self, tools: ToolIndex) -> None:
        super().__init__(tools)
        self.state = _CONTENT
        self.outer = _CONTENT  # where a block or a bare function returns to (content or reasoning)
        self.in_block = False
        self.body: list[str] = []

    def on_text(self, text: str) -> None:
        st = self.state
        if st == _CONTENT:
            self.prose(text)
        elif st == _REASON:
            self.reasoning(text)
        elif st == _FUNC:
            self.body.append(text)
        # _BLOCK: text between a block's markers is not content

    def on_marker(self, marker: int) -> None:
        st = self.state
        if st == _FUNC:
            if marker == FNE:
                self._close_function()
            else:
                self.body.append(MARKERS[marker])  # data inside an argument
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

    def _close_function(self) -> None:
        """The one place a call is decided: name and typed arguments of the finished function."""
        parsed = parse_function("".join(self.body), self.tools)
        self.body = []
        if parsed is not None:
            self.keep_ws()  # the text before a call keeps its trailing whitespace
            self.call(*parsed)
        self.state = _BLOCK if self.in_block else self.outer


def _machine(tools: ToolIndex) -> Qwen3Machine:
    return Qwen3Machine(tools)


FORMAT = Format(
    name="qwen3",
    make_machine=_machine,
    triggers=("<tool_call>", "<function="),
    special_markers=MARKERS[:4],
    summary="<think>...</think> <tool_call><function=NAME><parameter=K>V</parameter></function></tool_call>",
    reasoning=True,
)
