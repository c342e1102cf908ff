"""SGLang's view of the per-format grammar: the structural tags of :mod:`dyn_plugins.structural_tags`
(the one layout table, shared with vLLM) and a standalone EBNF grammar of the whole block
(:func:`build_ebnf`). No SGLang import.
"""

from __future__ import annotations

import json
from typing import Any

from ..formats import deepseek_v3_2 as _dsml
from ..structural_tags import GLM_ARG, LAYOUTS, Layout, structural_tag, tool_fields

__all__ = ["LAYOUTS", "Layout", "args_ebnf", "build_ebnf", "structural_tag"]
_fn = tool_fields


# ---------------------------------------------------------------- EBNF

_JSON_RULES = r"""
json_value ::= json_object | json_array | json_string | json_number | "true" | "false" | "null"
json_object ::= "{" ws ( json_string ws ":" ws json_value ws ( "," ws json_string ws ":" ws json_value ws )* )? "}"
json_array ::= "[" ws ( json_value ws ( "," ws json_value ws )* )? "]"
json_string ::= "\"" json_char* "\""
json_char ::= [^"\\\x00-\x1f] | "\\" ["\\/bfnrt] | "\\u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F]
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


#: the DSML parameter header around its ``string`` flag: ``name="K" string="true">``
STRING_ATTR, HEAD_END = '" string="', '">'


def _xml_args_rule(layout: Layout, params: dict[str, Any]) -> str:
    """Zero or more argument pairs, each key one of the declared properties (any key if none declared)."""
    props: dict[str, Any] = params.get("properties") or {}
    key_open, key_value, value_close = _lit(GLM_ARG[0]), _lit(GLM_ARG[1] + GLM_ARG[2]), _lit(GLM_ARG[3])
    param_open, param_close = _lit(_dsml.PARAM + '"'), _lit(_dsml.PARAM_END + "\n")
    pairs = []
    for key, sub in props.items() or []:
        value = _value_rule(sub if isinstance(sub, dict) else {})
        if layout.args == "glm":
            pairs.append(f"{key_open} {_lit(key)} {key_value} {value} {value_close}")
        else:
            flag = _lit(f'" string="{"true" if value == "raw_text" else "false"}">')
            pairs.append(f"{param_open} {_lit(key)} {flag} {value} {param_close}")
    if not pairs:
        if layout.args == "glm":
            pairs.append(f"{key_open} [^<]+ {key_value} raw_text {value_close}")
        else:
            pairs.append(f'{param_open} [^"]+ {_lit(STRING_ATTR)} ( "true" | "false" ) {_lit(HEAD_END)} raw_text {param_close}')
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
