"""``--tool-strict-level`` and per-tool ``strict`` (vLLM 0.32+) with our parsers, through vLLM's real chat serving.

What each format does (``dyn_plugins.vllm.parser.FUNCTION_STRICT``): on vLLM 0.32+ every format answers with our
own structural tag (``dyn_plugins.vllm.structural_tags``); glm47 defaults to FUNCTION (the call envelope is
constrained even for ``tool_choice="auto"``), as vLLM's own glm47 does; the others default to vLLM's AUTO
(constrained only for a tool with ``strict: true``). PARAMETER (or a strict tool) also pins the argument schema.
vLLM 0.33 changed one rule: an explicit ``--tool-strict-level auto`` switches a parser's FUNCTION default off
(0.32: the parser's default still applies). vLLM 0.31's xgrammar cannot express our tags: there glm47,
deepseek_v3_1, deepseek_v3_2 and harmony use vLLM's own tags by key and the JSON family has none (no level
constrains it); 0.31 also reads no per-parser default level.
The expectations are written out per case below, not derived from vLLM's code.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from dyn_plugins.samples import TOOLS, sample
from dyn_plugins import structural_tags
from vllm_versions import VLLM

pytestmark = pytest.mark.vllm

LEVELS = [None, "auto", "function", "parameter"]
FORMATS = ["glm47", "deepseek_v3_1", "deepseek_v3_2", "harmony", "jamba", "nemotron_deci", "default"]
OUR_TAGS = structural_tags.supported()  # xgrammar >= 0.2.8: vLLM 0.32 / 0.33 (0.31 pins an older one)
#: formats with a structural tag: all with ours; with vLLM 0.31's xgrammar, those vLLM has its own key for
TAGGED = FORMATS if OUR_TAGS else ["glm47", "deepseek_v3_1", "deepseek_v3_2", "harmony"]


def _expected(fmt: str, level: str | None, strict_tool: bool) -> tuple[bool, bool]:
    """(structural tag applied, argument schema pinned) for ``tool_choice="auto"``."""
    if fmt not in TAGGED:
        return False, False
    # a parser's own default level: vLLM 0.32+ (0.31 applies the server level as is, AUTO unless set)
    default = "function" if fmt == "glm47" and VLLM >= (0, 32) else "auto"
    if level is None or (level == "auto" and VLLM < (0, 33)):
        effective = default
    else:
        effective = level
    tagged = strict_tool or effective in ("function", "parameter")
    return tagged, tagged and (strict_tool or effective == "parameter")


@pytest.fixture(scope="module")
def strict_serving(model_dir: Any) -> Any:
    from dyn_plugins.replay.vllm_serving import make_serving_chat

    cache: dict[tuple[str, str | None], Any] = {}

    def get(fmt: str, level: str | None) -> Any:
        if (fmt, level) not in cache:
            cache[(fmt, level)] = make_serving_chat(model_dir, fmt, tool_strict_level=level)
        return cache[(fmt, level)]

    return get


def _pinned(fmt: str, tag: str) -> bool:
    """Does the grammar pin get_weather's argument schema? JSON arguments: its property ``city`` is in the schema.
    Our GLM pairs name the declared keys even when loose (raw values); pinned, ``days`` is typed by a JSON schema."""
    if fmt == "glm47" and OUR_TAGS:
        return '"json_schema"' in tag
    return '"city"' in tag


def _tools(strict: bool) -> list[dict[str, Any]]:
    tools = copy.deepcopy(TOOLS)
    if strict:
        for tool in tools:
            tool["function"]["strict"] = True
    return tools


@pytest.mark.parametrize("strict_tool", [False, True], ids=["plain-tools", "strict-tools"])
@pytest.mark.parametrize("level", LEVELS, ids=lambda v: f"level-{v}")
@pytest.mark.parametrize("fmt", FORMATS)
def test_auto_tool_choice_constraint_per_level(strict_serving: Any, fmt: str, level: str | None, strict_tool: bool) -> None:
    """tool_choice="auto": whether vLLM constrains decoding (structural tag) and pins the arguments, per level."""
    from dyn_plugins.replay.vllm_serving import Script, encode, run_chat

    chat, engine = strict_serving(fmt, level)
    result = run_chat(chat, engine, Script(encode(engine, sample(fmt, "single").text)), stream=False, tools=_tools(strict_tool), tool_choice="auto")
    so = engine.seen[-1].structured_outputs
    tag = so.structural_tag if so is not None else None
    tagged, pinned = _expected(fmt, level, strict_tool)
    assert (tag is not None) == tagged
    assert (tag is not None and _pinned(fmt, tag)) == pinned
    assert [c["name"] for c in result.tool_calls] == ["get_weather"]


@pytest.mark.parametrize("level", LEVELS, ids=lambda v: f"level-{v}")
@pytest.mark.parametrize("fmt", TAGGED)
def test_required_tool_choice_always_constrained(strict_serving: Any, fmt: str, level: str | None) -> None:
    """tool_choice="required" gets the format's structural tag at every level; arguments pinned only at PARAMETER."""
    from dyn_plugins.replay.vllm_serving import Script, encode, run_chat

    chat, engine = strict_serving(fmt, level)
    result = run_chat(chat, engine, Script(encode(engine, sample(fmt, "single").text)), stream=True, tools=_tools(False), tool_choice="required")
    so = engine.seen[-1].structured_outputs
    assert so.structural_tag is not None
    assert _pinned(fmt, so.structural_tag) == (level == "parameter")
    assert [c["name"] for c in result.tool_calls] == ["get_weather"]


def test_glm47_default_level_is_function() -> None:
    """Our glm47 declares FUNCTION as its default (like vLLM's glm47); the other formats keep vLLM's default."""
    from vllm.tool_parsers.tool_strict_level import ToolStrictLevel

    from dyn_plugins.vllm.parser import PARSERS

    levels = {fmt: getattr(PARSERS[fmt], "default_tool_strict_level", "absent") for fmt in FORMATS}
    if VLLM < (0, 32):  # 0.31: ToolParser has no such attribute and vLLM reads none (ours is declared, unused)
        assert levels == {fmt: ToolStrictLevel.FUNCTION if fmt == "glm47" else "absent" for fmt in levels}
        return
    vllm_default = ToolStrictLevel.AUTO if VLLM >= (0, 33) else None  # ToolParser's own default: None on 0.32
    assert levels == {fmt: ToolStrictLevel.FUNCTION if fmt == "glm47" else vllm_default for fmt in levels}
