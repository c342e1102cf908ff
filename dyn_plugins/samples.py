"""Recorded model outputs in every format: the replay demo's script and the engine tests' input.

Each sample is what a model of that family emits for a weather question with the tools below;
``scenario`` names what it exercises (one call, parallel calls, text before a call, a call cut off
by max_tokens, plain text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Current time in a timezone",
            "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]},
        },
    },
]

SCENARIOS = ("single", "parallel", "text_before", "truncated", "plain")


@dataclass(frozen=True)
class Sample:
    format: str
    scenario: str
    text: str


# One call in each format's wire text (also used by benchmarks/cases.py to build long outputs).


def dsv31_call(name: str, args: str) -> str:
    """One DeepSeek V3.1 call (``args``: JSON object text), without the calls block around it."""
    return f"<｜tool▁call▁begin｜>{name}<｜tool▁sep｜>{args}<｜tool▁call▁end｜>"


def dsml_invoke(name: str, params: list[tuple[str, str, bool]]) -> str:
    """One DSML invoke; ``params``: (name, value text, is a string)."""
    body = "".join(f'<｜DSML｜parameter name="{k}" string="{"true" if s else "false"}">{v}</｜DSML｜parameter>\n' for k, v, s in params)
    return f'<｜DSML｜invoke name="{name}">\n{body}</｜DSML｜invoke>\n'


def harmony_call(name: str, args: str) -> str:
    """One Harmony call message (``args``: JSON object text), ended by ``<|call|>``."""
    return f"<|start|>assistant<|channel|>commentary to=functions.{name} <|constrain|>json<|message|>{args}<|call|>"


def qwen3_call(name: str, params: list[tuple[str, str]]) -> str:
    """One Qwen3(-Coder) XML call block; ``params``: (name, value text)."""
    body = "".join(f"<parameter={k}>\n{v}\n</parameter>\n" for k, v in params)
    return f"<tool_call>\n<function={name}>\n{body}</function>\n</tool_call>"


_W1, _W2, _T1 = '{"city": "Paris", "days": 3}', '{"city": "Tokyo"}', '{"timezone": "Asia/Tokyo"}'
_PLAIN = "It is sunny in Paris today."
_INTRO = "Let me check the weather."

_RAW: dict[str, dict[str, str]] = {
    "glm47": {
        "single": "<tool_call>get_weather<arg_key>city</arg_key><arg_value>Paris</arg_value><arg_key>days</arg_key><arg_value>3</arg_value></tool_call>",
        "parallel": "<tool_call>get_weather<arg_key>city</arg_key><arg_value>Tokyo</arg_value></tool_call>\n<tool_call>get_time<arg_key>timezone</arg_key><arg_value>Asia/Tokyo</arg_value></tool_call>",
        "text_before": f"{_INTRO}\n<tool_call>get_weather<arg_key>city</arg_key><arg_value>Paris</arg_value></tool_call>",
        "truncated": "<tool_call>get_weather<arg_key>city</arg_key><arg_value>Tokyo</arg_value></tool_call><tool_call>get_time<arg_key>timezone</arg_key><arg_value>Asia/To",
    },
    "jamba": {
        "single": f'<tool_calls>[{{"name": "get_weather", "arguments": {_W1}}}]</tool_calls>',
        "parallel": f'<tool_calls>[{{"name": "get_weather", "arguments": {_W2}}}, {{"name": "get_time", "arguments": {_T1}}}]</tool_calls>',
        "text_before": f'{_INTRO} <tool_calls>[{{"name": "get_weather", "arguments": {_W1}}}]</tool_calls>',
        "truncated": f'<tool_calls>[{{"name": "get_weather", "arguments": {_W2}}}, {{"name": "get_time", "arguments": {{"timezone": "Asia/To',
    },
    "nemotron_deci": {
        "single": f'<TOOLCALL>[{{"name": "get_weather", "arguments": {_W1}}}]</TOOLCALL>',
        "parallel": f'<TOOLCALL>[{{"name": "get_weather", "arguments": {_W2}}}, {{"name": "get_time", "arguments": {_T1}}}]</TOOLCALL>',
        "text_before": f'{_INTRO} <TOOLCALL>[{{"name": "get_weather", "arguments": {_W1}}}]</TOOLCALL>',
        "truncated": f'<TOOLCALL>[{{"name": "get_weather", "arguments": {_W2}}}, {{"name": "get_time", "arguments": {{"timezone": "Asia/To',
    },
    "deepseek_v3_1": {
        "single": "<｜tool▁calls▁begin｜>" + dsv31_call("get_weather", _W1) + "<｜tool▁calls▁end｜>",
        "parallel": "<｜tool▁calls▁begin｜>" + dsv31_call("get_weather", _W2) + dsv31_call("get_time", _T1) + "<｜tool▁calls▁end｜>",
        "text_before": f"{_INTRO} <｜tool▁calls▁begin｜>" + dsv31_call("get_weather", _W1) + "<｜tool▁calls▁end｜>",
        "truncated": "<｜tool▁calls▁begin｜>" + dsv31_call("get_weather", _W2) + '<｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{"timezone": "Asia/To',
    },
    "harmony": {
        "single": "<|channel|>analysis<|message|>The user wants the weather in Paris.<|end|>" + harmony_call("get_weather", _W1),
        "parallel": harmony_call("get_weather", _W2) + harmony_call("get_time", _T1),
        "text_before": "<|channel|>commentary<|message|>" + _INTRO + "<|end|>" + harmony_call("get_weather", _W1),
        "truncated": harmony_call("get_weather", _W2) + '<|start|>assistant<|channel|>commentary to=functions.get_time <|constrain|>json<|message|>{"timezone": "Asia/To',
        "plain": "<|channel|>analysis<|message|>Simple question.<|end|><|start|>assistant<|channel|>final<|message|>" + _PLAIN,
    },
    "deepseek_v3_2": {
        "single": "<｜DSML｜function_calls>\n" + dsml_invoke("get_weather", [("city", "Paris", True), ("days", "3", False)]) + "</｜DSML｜function_calls>",
        "parallel": "<｜DSML｜function_calls>\n" + dsml_invoke("get_weather", [("city", "Tokyo", True)]) + dsml_invoke("get_time", [("timezone", "Asia/Tokyo", True)]) + "</｜DSML｜function_calls>",
        "text_before": f"{_INTRO}\n\n<｜DSML｜function_calls>\n" + dsml_invoke("get_weather", [("city", "Paris", True)]) + "</｜DSML｜function_calls>",
        "truncated": "<｜DSML｜function_calls>\n" + dsml_invoke("get_weather", [("city", "Tokyo", True)]) + '<｜DSML｜invoke name="get_time">\n<｜DSML｜parameter name="timezone" string="true">Asia/To',
    },
    "default": {
        "single": f'{{"name": "get_weather", "arguments": {_W1}}}',
        "parallel": f'<TOOLCALL>[{{"name": "get_weather", "arguments": {_W2}}}, {{"name": "get_time", "arguments": {_T1}}}]</TOOLCALL>',
        "text_before": f'{_INTRO} <|python_tag|>{{"name": "get_weather", "parameters": {_W1}}}',
        "truncated": f'<TOOLCALL>[{{"name": "get_weather", "arguments": {_W2}}}, {{"name": "get_time", "arguments": {{"timezone": "Asia/To',
    },
    "phi4": {
        "single": f'functools[{{"name": "get_weather", "arguments": {_W1}}}]',
        "parallel": f'functools[{{"name": "get_weather", "arguments": {_W2}}}, {{"name": "get_time", "arguments": {_T1}}}]',
        "text_before": f'{_INTRO} functools[{{"name": "get_weather", "arguments": {_W1}}}]',
        "truncated": f'functools[{{"name": "get_weather", "arguments": {_W2}}}, {{"name": "get_time", "arguments": {{"timezone": "Asia/To',
    },
    "qwen3": {
        "single": "<think>\nThe user asks for the weather.\n</think>\n\n" + qwen3_call("get_weather", [("city", "Paris"), ("days", "3")]),
        "parallel": qwen3_call("get_weather", [("city", "Tokyo")]) + "\n" + qwen3_call("get_time", [("timezone", "Asia/Tokyo")]),
        "text_before": f"{_INTRO}\n" + qwen3_call("get_weather", [("city", "Paris")]),
        "truncated": qwen3_call("get_weather", [("city", "Tokyo")]) + "\n<tool_call>\n<function=get_time>\n<parameter=timezone>\nAsia/To",
    },
}


def samples(fmt: str | None = None) -> list[Sample]:
    """All recorded outputs (of one format, if given), every scenario included."""
    out: list[Sample] = []
    for name, table in _RAW.items():
        if fmt is not None and name != fmt:
            continue
        for scenario in SCENARIOS:
            out.append(Sample(name, scenario, table.get(scenario, _PLAIN)))
    return out


def sample(fmt: str, scenario: str) -> Sample:
    return Sample(fmt, scenario, _RAW[fmt].get(scenario, _PLAIN))
