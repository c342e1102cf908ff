"""How each format types and cleans argument values (docs/formats.md sections 2.2, 7.2, 8.2, 9.2), as data tables."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dyn_plugins.formats import get_format

# -- glm47: schema-driven coercion of <arg_value> --------------------------------------------------
# (raw value, schema type of the property or None, expected JSON value)
GLM47_VALUES: list[tuple[str, str | None, Any]] = [
    ("42", "integer", 42),
    ("-7", "integer", -7),
    ("4.5", "integer", "4.5"),
    ("3", "number", 3),
    ("2.5", "number", 2.5),
    ("1e3", "number", 1000.0),
    ("nan", "number", "nan"),
    ("true", "boolean", True),
    ("Yes", "boolean", True),
    ("0", "boolean", False),
    ("maybe", "boolean", "maybe"),
    ("a, b ,c", "array", ["a", "b", "c"]),
    ("[1, 2]", "array", [1, 2]),
    ("null", "null", None),
    ("42", "string", "42"),
    ("42", None, "42"),
    ('{"k": [1]}', None, {"k": [1]}),
    ('"quoted"', None, "quoted"),
    ("a &lt;b&gt; &amp; c", "string", "a <b> & c"),
    ("  padded  ", "string", "  padded  "),
    ('{"deep": {"x": 1}}', "object", {"deep": {"x": 1}}),
    ("{not json", "object", "{not json"),
    ("celsius", "enum", "celsius"),
    ("7", "missing", "7"),
]

GLM_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "f",
            "parameters": {
                "type": "object",
                "properties": {
                    **{t: {"type": t} for t in ("integer", "number", "boolean", "array", "null", "string", "object")},
                    "enum": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
            },
        },
    }
]


@pytest.mark.parametrize(("raw", "schema_type", "expected"), GLM47_VALUES)
def test_glm47_value_typing(raw: str, schema_type: str | None, expected: Any) -> None:
    key = schema_type or "untyped"
    text = f"<tool_call>f<arg_key>{key}</arg_key><arg_value>{raw}</arg_value></tool_call>"
    tools = GLM_TOOLS if schema_type else None
    (call,) = get_format("glm47").parse(text, tools).calls
    assert json.loads(call.arguments) == {key: expected}


# (wire text, tools given?, expected calls as (name, args), expected normal text)
GLM47_BLOCKS: list[tuple[str, bool, list[tuple[str, dict]], str]] = [
    ("Hi <tool_call>get_time<arg_key>timezone</arg_key><arg_value>UTC</arg_value></tool_call> bye", True,
     [("get_time", {"timezone": "UTC"})], "Hi "),
    ("<tool_call>unknown<arg_key>a</arg_key><arg_value>1</arg_value></tool_call>", True, [], ""),
    ("<tool_call>unknown<arg_key>a</arg_key><arg_value>1</arg_value></tool_call>", False, [("unknown", {"a": "1"})], ""),
    ("<tool_call>get_time</tool_call>", True, [("get_time", {})], ""),
    ("<tool_call>get_time<arg_key>timezone</arg_key><arg_value>UTC", True, [], ""),
    ("get_time<arg_key>timezone</arg_key><arg_value>UTC</arg_value></tool_call>", True, [("get_time", {"timezone": "UTC"})], ""),
]


@pytest.mark.parametrize(("text", "with_tools", "calls", "normal"), GLM47_BLOCKS)
def test_glm47_blocks(text: str, with_tools: bool, calls: list, normal: str) -> None:
    tools = [{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}] if with_tools else None
    result = get_format("glm47").parse(text, tools)
    assert [(c.name, json.loads(c.arguments)) for c in result.calls] == calls
    assert result.normal_text == normal


# -- DSML: string="true|false" ----------------------------------------------------------------------
# (attributes after the key, raw value, expected JSON value)
DSML_VALUES: list[tuple[str, str, Any]] = [
    (' string="true"', " 10 ", "10"),
    (' string="false"', "10", 10),
    (' string="false"', "quickly", "quickly"),
    (' string="false"', "{this is not valid json", "{this is not valid json"),
    (' string="false"', '{"a": [true, null]}', {"a": [True, None]}),
    ("", "null", None),
    ("", "9007199254740993", 9007199254740993),
    (' string="true"', "", ""),
]

DSML_TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"k": {"type": "integer"}}}}}]


@pytest.mark.parametrize(("attrs", "raw", "expected"), DSML_VALUES)
def test_dsml_value_typing(attrs: str, raw: str, expected: Any) -> None:
    text = (
        '<｜DSML｜function_calls>\n<｜DSML｜invoke name="f">\n'
        f'<｜DSML｜parameter name="k"{attrs}>{raw}</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>'
    )
    for tools in (None, DSML_TOOLS):  # DSML types by its string= attribute, never by the schema (as Dynamo)
        (call,) = get_format("deepseek_v3_2").parse(text, tools).calls
        assert json.loads(call.arguments) == {"k": expected}


# -- deepseek_v3_1: arguments are JSON, re-serialised; a broken block is skipped ---------------------
DSV31_ARGS: list[tuple[str, list[tuple[str, Any]]]] = [
    ('{"a": 1,   "b": [1, 2]}', [("f", {"a": 1, "b": [1, 2]})]),
    ('{"text": "line one\nline two"}', [("f", {"text": "line one line two"})]),
    ('{"a": ', []),
    ("not json", []),
]


@pytest.mark.parametrize(("args", "calls"), DSV31_ARGS)
def test_deepseek_v3_1_arguments(args: str, calls: list) -> None:
    text = f"<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>f<｜tool▁sep｜>{args}<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
    result = get_format("deepseek_v3_1").parse(text)
    assert [(c.name, json.loads(c.arguments)) for c in result.calls] == calls
    assert result.normal_text == ""


# -- harmony: arguments kept raw when they are not JSON ---------------------------------------------
HARMONY_ARGS: list[tuple[str, str]] = [
    ('{"a": 1,  "b": "x"}', '{"a":1,"b":"x"}'),
    ("  not json  ", "not json"),
    ('{"a": "cut', '{"a": "cut'),
]


@pytest.mark.parametrize(("content", "arguments"), HARMONY_ARGS)
def test_harmony_arguments(content: str, arguments: str) -> None:
    text = f"<|channel|>commentary to=functions.f <|constrain|>json<|message|>{content}<|call|>"
    (call,) = get_format("harmony").parse(text).calls
    assert (call.name, call.arguments) == ("f", arguments)


# -- qwen3: Qwen3-Coder <parameter> typing (the examples in the doc comment of Dynamo's convert_param_value,
# frontend-crates parsers/v1/src/tool_calling/xml/parser.rs, plus the aliases it lists)
# (raw value, schema type of the property or None = undeclared, expected JSON value)
QWEN3_VALUES: list[tuple[str, str | None, Any]] = [
    ("hello world", "string", "hello world"),
    ("42", "string", "42"),
    ("42", "integer", 42),
    ("not_a_number", "int", "not_a_number"),
    ("3.14", "number", 3.14),
    ("42.0", "float", 42),
    ("true", "boolean", True),
    ("yes", "bool", False),
    ('{"key": "value"}', "object", {"key": "value"}),
    ("[1, 2, 3]", "array", [1, 2, 3]),
    ("{'key': 'value'}", "dict", {"key": "value"}),
    ("null", "integer", None),
    ("&lt;tag&gt;", "string", "<tag>"),
    ("123", None, "123"),
    ("\n  padded\n", "string", "padded"),
    ("inf", "number", "inf"),
    ("[True, None]", "list", [True, None]),
]


@pytest.mark.parametrize(("raw", "schema_type", "expected"), QWEN3_VALUES)
def test_qwen3_value_typing(raw: str, schema_type: str | None, expected: Any) -> None:
    key = "v"
    props = {key: {"type": schema_type}} if schema_type else {}
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": props}}}]
    text = f"<tool_call>\n<function=f>\n<parameter={key}>{raw}</parameter>\n</function>\n</tool_call>"
    (call,) = get_format("qwen3").parse(text, tools).calls
    assert json.loads(call.arguments) == {key: expected}
