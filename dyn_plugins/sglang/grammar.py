"""Per-format layout of a tool-call block, as xgrammar structural tags and as EBNF (no SGLang import).

One :class:`Layout` per Dynamo format says how calls are framed (block envelope, per-call begin/end,
separator) and how arguments are written (a JSON object, GLM ``<arg_key>`` pairs or DSML
parameters). From it come SGLang's ``structure_info`` (legacy structural tag), the structural tag
used for ``tool_choice: "required"`` / a named function / strict tools, and a standalone EBNF grammar
of the whole block (:func:`build_ebnf`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

ArgStyle = Literal["json", "glm", "dsml"]


@dataclass(frozen=True)
class Layout:
    block_begin: str
    block_end: str
    call_begin: str  # "{name}" is replaced by the tool name
    call_end: str
    separator: str
    args: ArgStyle
    trigger: str  # what free text must contain before a constrained call (auto + strict tools)

    def begin_for(self, name: str) -> str:
        return self.call_begin.replace("{name}", name)


_JSON_ENVELOPE = '{"name": "{name}", "arguments": '
_DS = "｜"  # fullwidth vertical bar used by DeepSeek's special tokens

LAYOUTS: dict[str, Layout] = {
    "glm47": Layout("", "", "<tool_call>{name}", "</tool_call>", "\n", "glm", "<tool_call>"),
    "jamba": Layout("<tool_calls>[", "]</tool_calls>", _JSON_ENVELOPE, "}", ", ", "json", "<tool_calls>"),
    "nemotron_deci": Layout("<TOOLCALL>[", "]</TOOLCALL>", _JSON_ENVELOPE, "}", ", ", "json", "<TOOLCALL>"),
    "default": Layout("<TOOLCALL>[", "]</TOOLCALL>", _JSON_ENVELOPE, "}", ", ", "json", "<TOOLCALL>"),
    "phi4": Layout("functools[", "]", _JSON_ENVELOPE, "}", ", ", "json", "functools["),
    "deepseek_v3_1": Layout(
        "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>{name}<｜tool▁sep｜>", "<｜tool▁call▁end｜>", "", "json", "<｜tool▁calls▁begin｜>"
    ),
    "harmony": Layout(
        "", "", "<|channel|>commentary to=functions.{name} <|constrain|>json<|message|>", "<|call|>", "<|start|>assistant", "json", "<|channel|>commentary to="
    ),
    "deepseek_v3_2": Layout(
        f"<{_DS}DSML{_DS}function_calls>\n", f"</{_DS}DSML{_DS}function_calls>", f'<{_DS}DSML{_DS}invoke name="{{name}}">\n', f"</{_DS}DSML{_DS}invoke>\n", "", "dsml",
        f"<{_DS}DSML{_DS}function_calls>",
    ),
}
LAYOUTS["deepseek_v4"] = LAYOUTS["deepseek_v3_2"]


def _fn(tool: Any) -> tuple[str, dict[str, Any], bool]:
    """(name, parameters schema, strict) of an OpenAI tool dict or an SGLang ``Tool``."""
    if isinstance(tool, dict):
        fn = tool.get("function", tool)
        return fn["name"], fn.get("parameters") or {}, bool(fn.get("strict"))
    fn = tool.function
    return fn.name, fn.parameters or {}, bool(getattr(fn, "strict", False))


# ---------------------------------------------------------------- EBNF

_JSON_RULES = r"""
json_value ::= json_object | json_array | json_string | json_number | "true" | "false" | "null"
json_object ::= "{" ws ( json_string ws ":" ws json_value ws ( "," ws json_string ws ":" ws json_value ws )* )? "}"
json_array ::= "[" ws ( json_value ws ( "," ws json_value ws )* )? "]"
json_string ::= "\"" json_char* "\""
json_char ::= [^"\\] | "\\" ["\\/bfnrt] | "\\u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F]
json_number ::= json_int ( "." [0-9]+ )? ( [eE] [+-]? [0-9]+ )?
json_int ::= "-"? ( "0" | [1-9] [0-9]* )
ws ::= [ \t\n]*
raw_text ::= [^<]*
"""


def _lit(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _value_rule(schema: dict[str, Any]) -> str:
    t = schema.get("type")
    if t == "string":
        return "raw_text"
    if t == "integer":
        return "json_int"
    if t == "number":
        return "json_number"
    if t == "boolean":
        return '( "true" | "false" )'
    return "json_value"


def _xml_args_rule(layout: Layout, params: dict[str, Any]) -> str:
    """Zero or more argument pairs, each key one of the declared properties (any key if none declared)."""
    props: dict[str, Any] = params.get("properties") or {}
    pairs = []
    for key, sub in props.items() or []:
        value = _value_rule(sub if isinstance(sub, dict) else {})
        if layout.args == "glm":
            pairs.append(f'"<arg_key>" {_lit(key)} "</arg_key><arg_value>" {value} "</arg_value>"')
        else:
            flag = "true" if value == "raw_text" else "false"
            pairs.append(
                f'"<{_DS}DSML{_DS}parameter name=\\"" {_lit(key)} "\\" string=\\"{flag}\\">" {value} "</{_DS}DSML{_DS}parameter>\\n"'
            )
    if not pairs:
        if layout.args == "glm":
            pairs.append('"<arg_key>" [^<]+ "</arg_key><arg_value>" raw_text "</arg_value>"')
        else:
            pairs.append(f'"<{_DS}DSML{_DS}parameter name=\\"" [^"]+ "\\" string=\\"" ( "true" | "false" ) "\\">" raw_text "</{_DS}DSML{_DS}parameter>\\n"')
    return "( " + " | ".join(f"( {p} )" for p in pairs) + " )*"


def args_ebnf(layout: Layout, params: dict[str, Any]) -> str:
    """EBNF (root + helper rules) of one call's arguments in ``layout``'s style."""
    body = "json_object" if layout.args == "json" else _xml_args_rule(layout, params)
    return f"root ::= {body}\n{_JSON_RULES}"


def build_ebnf(fmt: str, tools: list[Any], *, parallel: bool = True) -> str:
    """A standalone EBNF grammar of one tool-call block of format ``fmt`` calling any of ``tools``.

    Names are constrained to the tools; JSON arguments are any JSON object, GLM/DSML arguments
    are pairs of declared parameter names with values typed by their schema (strings raw).
    """
    layout = LAYOUTS[fmt]
    calls = []
    for tool in tools:
        name, params, _ = _fn(tool)
        body = "json_object" if layout.args == "json" else _xml_args_rule(layout, params)
        calls.append(f"( {_lit(layout.begin_for(name))} {body} {_lit(layout.call_end)} )")
    call = " | ".join(calls) or '""'
    more = f"( {_lit(layout.separator)} call )*" if layout.separator else "call*"
    root = " ".join(x for x in (_lit(layout.block_begin) if layout.block_begin else "", "call", more if parallel else "", _lit(layout.block_end) if layout.block_end else "") if x)
    return f"root ::= {root}\ncall ::= {call}\n{_JSON_RULES}"


# ---------------------------------------------------------------- structural tags (xgrammar format, as dicts)


def _content(layout: Layout, params: dict[str, Any], strict: bool) -> dict[str, Any]:
    if layout.args == "json":
        return {"type": "json_schema", "json_schema": params if strict and params else {"type": "object"}}
    return {"type": "grammar", "grammar": args_ebnf(layout, params if strict else {})}


def structural_tag(fmt: str, tools: list[Any], *, required: bool, parallel: bool = True, only: str | None = None) -> dict[str, Any]:
    """An xgrammar structural tag for format ``fmt``.

    ``required``: the output must be one block of calls and nothing else (tool_choice "required" or a
    named function, ``only``); otherwise free text with calls allowed after the format's trigger
    (tool_choice "auto" with strict tools).
    """
    layout = LAYOUTS[fmt]
    tags = []
    for tool in tools:
        name, params, strict = _fn(tool)
        if only is not None and name != only:
            continue
        tags.append({"type": "tag", "begin": layout.begin_for(name), "content": _content(layout, params, strict), "end": layout.call_end})
    calls: dict[str, Any] = {
        "type": "tags_with_separator",
        "tags": tags,
        "separator": layout.separator,
        "at_least_one": True,
        "stop_after_first": not parallel,
    }
    if layout.block_begin:
        block: dict[str, Any] = {"type": "tag", "begin": layout.block_begin, "content": calls, "end": layout.block_end}
        if required:
            return {"type": "structural_tag", "format": block}
        return {"type": "structural_tag", "format": {"type": "triggered_tags", "triggers": [layout.block_begin], "tags": [block], "at_least_one": False}}
    if required:
        return {"type": "structural_tag", "format": calls}
    trig = [t for t in tags]
    return {
        "type": "structural_tag",
        "format": {"type": "triggered_tags", "triggers": [layout.trigger], "tags": trig, "at_least_one": False, "stop_after_first": not parallel},
    }
