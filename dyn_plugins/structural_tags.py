"""The one grammar of a tool-call block per format, as xgrammar structural tags, for both engines.

vLLM (:mod:`dyn_plugins.vllm.structural_tags`) and SGLang (:mod:`dyn_plugins.sglang.grammar`) hand
these tags to xgrammar for ``tool_choice`` "required", a named function, and "auto" with strict tools.
What the tag admits is what our parsers must turn into calls (``tests/vllm/test_vllm_grammar_walk.py`` and
``tests/sglang/test_sglang_grammar_walk.py`` walk it with random tokens; ``tests/server`` runs it in a real
``vllm serve``), so three rules hold for every format:

- arguments are always a JSON object (or the format's XML pairs, which parse into one): a non-strict
  tool gets ``{"type": "object"}`` (GLM: any number of key/value pairs), never "any JSON value" (vLLM's and xgrammar's built-ins allowed
  ``78``, ``false``, ``Infinity`` there);
- a strict tool gets its schema (required keys, declared order) for JSON, GLM and DSML arguments;
- no JSON string, property name or raw XML value may contain one of the format's markers
  (``excludes``): a ``<｜tool▁call▁end｜>`` inside a string would end the call in the parser.

JSON strings never hold raw control characters (xgrammar's JSON grammar); whitespace runs are bounded
(``MAX_WHITESPACE``) so a sampler cannot spend the token budget on blanks. No engine import here.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal

from .formats import get_format
from .formats import glm47 as _glm47
from .formats.tools import tool_spec

ArgStyle = Literal["json", "glm", "dsml"]
#: xgrammar ``JSONSchemaFormat.style`` per argument style
XGRAMMAR_STYLE: dict[str, str] = {"json": "json", "glm": "glm_xml", "dsml": "deepseek_xml"}
MAX_WHITESPACE = 2


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


#: GLM's argument markers as its format spells them: key open, key close, value open, value close
GLM_ARG: tuple[str, str, str, str] = tuple(_glm47.MARKERS[i] for i in (_glm47.AK, _glm47.AKE, _glm47.AV, _glm47.AVE))  # type: ignore[assignment]

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
LAYOUTS["deepseek_v4"] = Layout(
    f"<{_DS}DSML{_DS}tool_calls>\n", f"</{_DS}DSML{_DS}tool_calls>", LAYOUTS["deepseek_v3_2"].call_begin, LAYOUTS["deepseek_v3_2"].call_end, "", "dsml",
    f"<{_DS}DSML{_DS}tool_calls>",
)


def tool_fields(tool: Any) -> tuple[str, dict[str, Any], bool]:
    """(name, parameters schema or ``{}``, strict) of a tool (:func:`~.formats.tools.tool_spec`); a grammar needs
    the name, so a tool without one is a ValueError."""
    name, params, strict = tool_spec(tool)
    if not isinstance(name, str):
        raise ValueError(f"tool without a name: {tool!r}")
    return name, params or {}, strict


#: the first xgrammar whose structural tags honour ``excludes`` (0.2.7, SGLang 0.5.23's and vLLM 0.31's pin,
#: silently drops the field: markers could then appear inside argument strings and end a call)
MIN_XGRAMMAR = (0, 2, 8)


@functools.cache
def supported() -> bool:
    """Can the installed xgrammar express our tags? Where it cannot, the engines keep their own JSON call-list
    path for required / named choices (a grammar we do not parse, so nothing it admits can be misparsed)."""
    try:
        version = metadata.version("xgrammar")
    except metadata.PackageNotFoundError:
        return False
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3]) >= MIN_XGRAMMAR


def excludes(fmt: str) -> list[str]:
    """Substrings no argument string may contain in format ``fmt``: its markers and its call/block ends."""
    layout = LAYOUTS[fmt]
    found = dict.fromkeys(m for m in get_format(fmt).special_markers if m.strip() == m and m)
    for text in (layout.call_end.strip(), layout.block_end.strip()):
        # a lone "}" is JSON itself, not a marker; "]</TOOLCALL>" is covered by "</TOOLCALL>"
        if len(text) > 1 and not any(m in text for m in found):
            found.setdefault(text, None)
    return list(found)


def _glm_value(fmt: str, schema: dict[str, Any], strict: bool) -> dict[str, Any]:
    """One ``<arg_value>``: raw text for strings (and for anything when not strict), JSON otherwise."""
    if not strict or schema.get("type") in (None, "string"):
        enum = schema.get("enum") if strict else None
        if enum and all(isinstance(v, str) for v in enum):
            return {"type": "or", "elements": [{"type": "const_string", "value": v} for v in enum]}
        return {"type": "any_text", "excludes": excludes(fmt)}
    return {"type": "json_schema", "json_schema": schema, "excludes": excludes(fmt), "max_whitespace_cnt": MAX_WHITESPACE}


def _glm_args(fmt: str, params: dict[str, Any], strict: bool) -> dict[str, Any]:
    """GLM ``<arg_key>K</arg_key><arg_value>V</arg_value>`` pairs with nothing between the pieces.

    Built here rather than with xgrammar's ``glm_xml`` style: that style puts whitespace between
    ``</arg_key>`` and ``<arg_value>``, which GLM never writes and our parser does not pair. Strict:
    the declared properties in order, required ones present. Otherwise any number of declared keys
    (any key when none is declared) with raw values.
    """
    props: dict[str, Any] = params.get("properties") or {}

    def pair(key: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
        return {"type": "sequence", "elements": [
            {"type": "const_string", "value": GLM_ARG[0]}, key, {"type": "const_string", "value": GLM_ARG[1] + GLM_ARG[2]},
            value, {"type": "const_string", "value": GLM_ARG[3]},
        ]}  # fmt: skip

    def const(k: str) -> dict[str, Any]:
        return {"type": "const_string", "value": k}

    if strict and props:
        required = set(params.get("required") or ())
        items = []
        for k, sub in props.items():
            p = pair(const(k), _glm_value(fmt, sub if isinstance(sub, dict) else {}, True))
            items.append(p if k in required else {"type": "optional", "content": p})
        return {"type": "sequence", "elements": items} if len(items) > 1 else items[0]
    if props:
        choices = [pair(const(k), _glm_value(fmt, {}, False)) for k in props]
    else:
        choices = [pair({"type": "regex", "pattern": r"[A-Za-z_][A-Za-z0-9_]*"}, _glm_value(fmt, {}, False))]
    return {"type": "star", "content": choices[0] if len(choices) == 1 else {"type": "or", "elements": choices}}


def args_format(fmt: str, params: dict[str, Any], strict: bool) -> dict[str, Any]:
    """xgrammar format of one call's arguments: the schema when strict, any object otherwise."""
    layout = LAYOUTS[fmt]
    if layout.args == "glm":
        return _glm_args(fmt, params, strict)
    schema: dict[str, Any] = params if strict and params else {"type": "object"}
    return {
        "type": "json_schema",
        "json_schema": schema,
        "style": XGRAMMAR_STYLE[layout.args],
        "excludes": excludes(fmt),
        "max_whitespace_cnt": MAX_WHITESPACE,
    }


def structural_tag(fmt: str, tools: list[Any], *, required: bool, parallel: bool = True, only: str | None = None) -> dict[str, Any]:
    """The xgrammar structural tag (a dict) of format ``fmt`` for ``tools`` (each tool's own ``strict``).

    ``required``: the output is one block of calls and nothing else (tool_choice "required", or a
    named function ``only``, which also allows just one call); otherwise free text with calls allowed
    after the format's trigger (tool_choice "auto" with strict tools).
    """
    layout = LAYOUTS[fmt]
    tags = []
    for tool in tools:
        name, params, strict = tool_fields(tool)
        if only is not None and name != only:
            continue
        tags.append({"type": "tag", "begin": layout.begin_for(name), "content": args_format(fmt, params, strict), "end": layout.call_end})
    if not tags:
        raise ValueError(f"no tool to call (only={only!r}, tools={[tool_fields(t)[0] for t in tools]})")
    single = not parallel or only is not None
    calls: dict[str, Any] = {
        "type": "tags_with_separator",
        "tags": tags,
        "separator": layout.separator,
        "at_least_one": True,
        "stop_after_first": single,
    }
    if layout.block_begin:
        block: dict[str, Any] = {"type": "tag", "begin": layout.block_begin, "content": calls, "end": layout.block_end}
        if required:
            return {"type": "structural_tag", "format": block}
        return {"type": "structural_tag", "format": {"type": "triggered_tags", "triggers": [layout.block_begin], "tags": [block], "at_least_one": False, "stop_after_first": single}}
    if required:
        return {"type": "structural_tag", "format": calls}
    return {
        "type": "structural_tag",
        "format": {"type": "triggered_tags", "triggers": [layout.trigger], "tags": tags, "at_least_one": False, "stop_after_first": single},
    }
