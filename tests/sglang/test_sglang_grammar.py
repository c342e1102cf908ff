"""Constrained decoding: our EBNF and structural tags compile with SGLang's xgrammar and accept the format."""

from __future__ import annotations

import json

import pytest

from dyn_plugins.formats import FORMAT_NAMES
from dyn_plugins.samples import TOOLS, sample

pytestmark = pytest.mark.sglang

import xgrammar as xgr  # noqa: E402
from xgrammar.testing import _is_grammar_accept_string as accepts  # noqa: E402

from dyn_plugins.sglang import grammar  # noqa: E402
from dyn_plugins.sglang.detector import detector_class  # noqa: E402


def _constrained_output(fmt: str, scenario: str) -> str:
    """A recorded output as the grammar sees it: harmony's prompt already ends with ``<|start|>assistant``."""
    text = sample(fmt, scenario).text
    return text.removeprefix("<|start|>assistant") if fmt == "harmony" else text


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_ebnf_accepts_recorded_calls(fmt: str) -> None:
    """build_ebnf compiles and accepts the format's recorded parallel calls, and rejects prose."""
    compiled = xgr.Grammar.from_ebnf(detector_class(fmt)().build_ebnf(TOOLS))
    assert accepts(compiled, _constrained_output(fmt, "parallel"))
    assert not accepts(compiled, "It is sunny in Paris today.")


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_required_tag_accepts_parallel_calls_and_rejects_prose(fmt: str) -> None:
    """tool_choice=required: our structural tag admits the format's calls and nothing else (built from the layout
    table directly: the detector hands it to SGLang only where xgrammar can express it, see test_sglang_builds_our_tag_for_required)."""
    tag = grammar.structural_tag(fmt, _sglang_tools(), required=True)
    compiled = xgr.Grammar.from_structural_tag(json.dumps(tag))
    assert accepts(compiled, _constrained_output(fmt, "parallel"))
    assert not accepts(compiled, "It is sunny in Paris today.")


#: one get_weather call and nothing else, where the recorded ``single`` output is more than that (harmony's has an
#: analysis message first; default's is a bare object, not the <TOOLCALL> block a forced call is constrained to)
ONE_CALL = {
    "harmony": '<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris", "days": 3}<|call|>',
    "default": '<TOOLCALL>[{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}]</TOOLCALL>',
}


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_named_tag_accepts_that_tool_and_rejects_the_other(fmt: str) -> None:
    """A named tool_choice restricts the tag to that function: one get_weather call passes the get_weather tag
    and fails the get_time one (as do the parallel calls, which also name get_time)."""
    def named(only: str) -> xgr.Grammar:
        tag = grammar.structural_tag(fmt, _sglang_tools(), required=True, parallel=False, only=only)
        return xgr.Grammar.from_structural_tag(json.dumps(tag))

    one_call = ONE_CALL.get(fmt) or _constrained_output(fmt, "single")
    assert accepts(named("get_weather"), one_call)
    assert not accepts(named("get_time"), one_call)
    assert not accepts(named("get_time"), _constrained_output(fmt, "parallel"))


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_sglang_builds_our_tag_for_required(fmt: str) -> None:
    """SGLang's FunctionCallParser.get_structure_constraint picks our structural tag, and xgrammar compiles it."""
    from sglang.srt.function_call.function_call_parser import FunctionCallParser

    from dyn_plugins import structural_tags

    kind, value = FunctionCallParser(_sglang_tools(), fmt).get_structure_constraint("required")
    if not structural_tags.supported():  # xgrammar < 0.2.8 cannot express our tag: SGLang's JSON call list
        assert kind == "json_schema"
        return
    assert kind == "structural_tag"
    payload = value.model_dump_json() if hasattr(value, "model_dump_json") else json.dumps(value)
    assert accepts(xgr.Grammar.from_structural_tag(payload), _constrained_output(fmt, "parallel"))


@pytest.mark.parametrize("fmt", ["glm47", "deepseek_v3_2"])
def test_strict_xml_args_are_typed(fmt: str) -> None:
    """Strict tools: XML-style arguments accept declared keys with schema-typed values only."""
    layout = grammar.LAYOUTS[fmt]
    params = TOOLS[0]["function"]["parameters"]
    g = xgr.Grammar.from_ebnf(grammar.args_ebnf(layout, params))
    if fmt == "glm47":
        good = "<arg_key>city</arg_key><arg_value>Paris</arg_value><arg_key>days</arg_key><arg_value>3</arg_value>"
        bad = "<arg_key>days</arg_key><arg_value>three</arg_value>"
    else:
        good = '<｜DSML｜parameter name="days" string="false">3</｜DSML｜parameter>\n'
        bad = '<｜DSML｜parameter name="zip" string="true">1</｜DSML｜parameter>\n'
    assert accepts(g, good)
    assert not accepts(g, bad)


def _sglang_tools() -> list:
    from sglang.srt.entrypoints.openai.protocol import Tool

    return [Tool(**t) for t in TOOLS]
