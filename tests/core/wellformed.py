"""Well-formed model outputs in every format, generated: the calls, their wire text, and where in that text
each call's name becomes certain (``commit``) and where its closing marker starts (``close``).

Why: live streaming must equal the one-shot parse on every well-formed output and deliver each call's
name by its commit point and its arguments before its close; hand-picked samples cover too little of
that space (escapes, unicode, entities, typed values, argument order, several calls, prose before).
Importable as a top-level module (pytest puts this directory on ``sys.path``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from dyn_plugins.samples import TOOLS

WRITE_FILE = {
    "type": "function",
    "function": {
        "name": "write_file",
        "parameters": {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "content": {"type": "string"},
                "mode": {"type": "integer"},
                "overwrite": {"type": "boolean"},
            },
        },
    },
}
LIVE_TOOLS = [*TOOLS, WRITE_FILE]
_SCHEMA = {t["function"]["name"]: t["function"]["parameters"]["properties"] for t in LIVE_TOOLS}


@dataclass
class Output:
    text: str = ""
    commits: list[int] = field(default_factory=list)
    closes: list[int] = field(default_factory=list)

    def add(self, piece: str) -> None:
        self.text += piece

    def mark_commit(self) -> None:
        self.commits.append(len(self.text))

    def mark_close(self) -> None:
        self.closes.append(len(self.text))


# -- values -------------------------------------------------------------------------------------------

_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="<\x00")
#: plain text that holds no marker of any format (phi4's ``functools`` is letters only: a value or key spelling it
#: would start a new payload, so such an output is not well-formed)
_PLAIN = st.text(_CHARS, max_size=30).filter(lambda t: "functools" not in t)
_JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False), _PLAIN)
_JSON = st.recursive(_JSON_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_PLAIN, inner, max_size=3)), max_leaves=6)
_XMLISH = st.lists(st.one_of(_PLAIN, st.sampled_from(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&amp;quot;", "&", "\n", " "])), max_size=6).map("".join)


@st.composite
def call(draw: st.DrawFn, *, json_values: bool) -> tuple[str, dict[str, Any]]:
    """A tool name and its arguments: typed per schema; free JSON values for the JSON-native formats."""
    name = draw(st.sampled_from(sorted(_SCHEMA)))
    props = _SCHEMA[name]
    keys = draw(st.lists(st.sampled_from(sorted(props)), unique=True, max_size=len(props)))
    args: dict[str, Any] = {}
    for key in keys:
        typ = props[key]["type"]
        if typ == "integer":
            args[key] = draw(st.integers(-(10**6), 10**6))
        elif typ == "boolean":
            args[key] = draw(st.booleans())
        else:
            args[key] = draw(_JSON if json_values else _XMLISH)
    if json_values and draw(st.booleans()):
        args[draw(st.sampled_from(["extra", "nested"]))] = draw(_JSON)
    return name, args


def _dump(draw: st.DrawFn, value: Any) -> str:
    indent = draw(st.sampled_from([None, None, 2]))
    seps = None if indent else draw(st.sampled_from([None, (",", ":")]))
    return json.dumps(value, ensure_ascii=draw(st.booleans()), indent=indent, separators=seps)


# -- wire text per format ---------------------------------------------------------------------------


def _glm47(draw: st.DrawFn, out: Output, calls: list[tuple[str, dict[str, Any]]], raw: list[dict[str, str]]) -> None:
    for (name, _), values in zip(calls, raw):
        out.add(f"<tool_call>{name}")
        for i, (k, v) in enumerate(values.items()):
            out.add("<arg_key>")
            if i == 0:
                out.mark_commit()
            out.add(f"{k}</arg_key><arg_value>{v}</arg_value>")
        out.mark_close()
        out.add("</tool_call>")
        if not values:  # no <arg_key>: the call is certain only at its end
            out.mark_commit()
        out.add(draw(st.sampled_from(["", "\n"])))


def _dsv31(draw: st.DrawFn, out: Output, calls: list[tuple[str, dict[str, Any]]]) -> None:
    out.add("<｜tool▁calls▁begin｜>")
    for name, args in calls:
        out.add(f"<｜tool▁call▁begin｜>{name}<｜tool▁sep｜>")
        out.mark_commit()
        out.add(_dump(draw, args))
        out.mark_close()
        out.add("<｜tool▁call▁end｜>")
    out.add("<｜tool▁calls▁end｜>")


def _harmony(draw: st.DrawFn, out: Output, calls: list[tuple[str, dict[str, Any]]]) -> None:
    for name, args in calls:
        out.add(f"<|start|>assistant<|channel|>commentary to=functions.{name} <|constrain|>")
        out.mark_commit()
        out.add("json<|message|>" + _dump(draw, args))
        out.mark_close()
        out.add("<|call|>")


def _dsml(draw: st.DrawFn, out: Output, calls: list[tuple[str, dict[str, Any]]], raw: list[dict[str, str]]) -> None:
    out.add("<｜DSML｜function_calls>\n")
    for (name, args), values in zip(calls, raw):
        out.add(f'<｜DSML｜invoke name="{name}">')
        out.mark_commit()
        out.add("\n")
        for k, v in values.items():
            is_string = isinstance(args[k], str)
            out.add(f'<｜DSML｜parameter name="{k}" string="{"true" if is_string else "false"}">{v}</｜DSML｜parameter>\n')
        out.mark_close()
        out.add("</｜DSML｜invoke>\n")
    out.add("</｜DSML｜function_calls>")


def _json_payload(draw: st.DrawFn, out: Output, calls: list[tuple[str, dict[str, Any]]], *, array: bool, key: str) -> None:
    """Call objects written piece by piece, so the commit and close points are known."""
    if array:
        out.add("[")
    for i, (name, args) in enumerate(calls):
        if i:
            out.add(", ")
        name_first = draw(st.booleans()) or not array
        out.add("{")
        if name_first:
            out.add(f'"name": {json.dumps(name)}, ')
        out.add(f'"{key}": ')
        body = _dump(draw, args)
        out.add(body[:1])
        if name_first:
            out.mark_commit()
        out.add(body[1:])
        if not name_first:
            out.add(f', "name": {json.dumps(name)}')
            out.mark_commit()
        out.mark_close()
        out.add("}")
    if array:
        out.add("]")


def _qwen3(draw: st.DrawFn, out: Output, calls: list[tuple[str, dict[str, Any]]], raw: list[dict[str, str]]) -> None:
    for (name, _), values in zip(calls, raw):
        out.add(f"<tool_call>\n<function={name}>")
        out.mark_commit()
        out.add("\n")
        for k, v in values.items():
            out.add(f"<parameter={k}>\n{v}\n</parameter>\n")
        out.mark_close()
        out.add("</function>\n</tool_call>" + draw(st.sampled_from(["", "\n"])))


FORMATS = ("glm47", "jamba", "nemotron_deci", "deepseek_v3_1", "harmony", "deepseek_v3_2", "default", "phi4", "qwen3")
_PROSE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="<>{}[]|｜&\x00"), max_size=40).filter(lambda t: "functools" not in t)


@st.composite
def output(draw: st.DrawFn, fmt: str) -> Output:
    """One well-formed output of ``fmt``: optional prose, then one to three calls."""
    json_native = fmt in ("jamba", "nemotron_deci", "deepseek_v3_1", "harmony", "default", "phi4")
    calls = draw(st.lists(call(json_values=json_native), min_size=1, max_size=3))
    out = Output()
    prose = draw(_PROSE).strip()
    if fmt == "glm47":
        raw = [{k: (json.dumps(v) if not isinstance(v, str) else v) for k, v in args.items()} for _, args in calls]
        out.add(prose + (" " if prose else ""))
        _glm47(draw, out, calls, raw)
    elif fmt == "deepseek_v3_2":
        raw = [{k: (json.dumps(v) if not isinstance(v, str) else v) for k, v in args.items()} for _, args in calls]
        out.add(prose + ("\n\n" if prose else ""))
        _dsml(draw, out, calls, raw)
    elif fmt == "qwen3":
        raw = [{k: (json.dumps(v) if not isinstance(v, str) else v) for k, v in args.items()} for _, args in calls]
        if prose:
            out.add(f"<think>{prose}</think>\n")
        _qwen3(draw, out, calls, raw)
    elif fmt == "deepseek_v3_1":
        out.add(prose)
        _dsv31(draw, out, calls)
    elif fmt == "harmony":
        if prose:
            out.add(f"<|channel|>analysis<|message|>{prose}<|end|>")
        _harmony(draw, out, calls)
    else:
        wrap = {"jamba": ("<tool_calls>", "</tool_calls>"), "nemotron_deci": ("<TOOLCALL>", "</TOOLCALL>"), "phi4": ("functools", "")}.get(fmt)
        if fmt == "default":
            wrap = draw(st.sampled_from([None, ("<TOOLCALL>", "</TOOLCALL>"), ("<|python_tag|>", "")]))
        if wrap is None:  # a bare payload begins the message
            _json_payload(draw, out, calls, array=len(calls) > 1 or draw(st.booleans()), key=draw(st.sampled_from(["arguments", "parameters"])))
        else:
            out.add(prose + (" " if prose else "") + wrap[0])
            single = wrap[1] == "" and len(calls) == 1 and draw(st.booleans())
            _json_payload(draw, out, calls, array=not single, key="parameters" if wrap[1] == "" else "arguments")
            out.add(wrap[1])
    return out
