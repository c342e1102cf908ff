"""The Dynamo end-to-end test data: which parser names are served, hand-written outputs and expectations,
and what each engine's fallback does today WITHOUT the plugin (measured with Dynamo 1.6.1).

Every model is one replay worker registered with ``--dyn-tool-call-parser NAME`` (the Dynamo name stored in
the model card, which is what Dynamo's fallback chat processors look up in the engine's registry).
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from dyn_plugins.formats import FORMAT_NAMES
from dyn_plugins.samples import SCENARIOS


def engine_under_test() -> str:
    """``DYN_E2E_ENGINE`` (set by scripts/test_dynamo.sh), else whichever engine this venv has."""
    env = os.environ.get("DYN_E2E_ENGINE")
    if env:
        return env
    for name in ("vllm", "sglang"):
        if importlib.util.find_spec(name) is not None:
            return name
    return "none"


ENGINE = engine_under_test()

#: Dynamo-only formats (ours in both engines): recorded outputs in dyn_plugins.samples (its SCENARIOS).
CORE_NAMES = FORMAT_NAMES
#: Dynamo names that are aliases of an engine's own parser, per engine, with a hand-written output key.
ALIASES: dict[str, dict[str, str]] = {
    # nemotron_nano: Dynamo alias of qwen3_coder (both engines: qwen3_coder)
    # llama3_json: SGLang spells it llama3 (vLLM has the same name: works with or without the plugin)
    # phi4: vLLM spells it phi4_mini_json; SGLang has no phi4 parser (ours serves it there: names.py fallback_ours)
    # qwen3: Dynamo's unified Qwen3 parser, no engine has it (ours in both: names.py fallback_ours)
    "vllm": {"nemotron_nano": "qwen3_coder/single", "llama3_json": "llama3_json/single", "phi4": "phi4/single", "qwen3": "qwen3/single"},
    "sglang": {"nemotron_nano": "qwen3_coder/single", "llama3_json": "llama3_json/single", "phi4": "phi4/single", "qwen3": "qwen3/single"},
}
_WEATHER = {"city": "Paris", "days": 3}

#: Extra replayable outputs (key -> text), written to the worker's --replay-file.
HANDWRITTEN_OUTPUTS: dict[str, Any] = {
    "qwen3_coder/single": "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n"
    "<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>",
    "llama3_json/single": '{"name": "get_weather", "parameters": {"city": "Paris", "days": 3}}',
    "phi4/single": 'functools[{"name": "get_weather", "arguments": {"city": "Paris", "days": 3}}]',
    # What a guided-decoding engine emits for tool_choice "required" / a named function (a JSON array of
    # {name, parameters}): the replay worker ignores the grammar, so the tests pick this output themselves.
    "json/required": '[{"name": "get_weather", "parameters": {"city": "Paris", "days": 3}}]',
}

#: Hand-written expectations (independent of the core): (key) -> (tool calls [(name, args)], content).
HANDWRITTEN_EXPECTED: dict[str, tuple[list[tuple[str, dict[str, Any]]], str]] = {
    "glm47/single": ([("get_weather", _WEATHER)], ""),
    "jamba/parallel": ([("get_weather", {"city": "Tokyo"}), ("get_time", {"timezone": "Asia/Tokyo"})], ""),
    "nemotron_deci/text_before": ([("get_weather", _WEATHER)], "Let me check the weather."),
    "deepseek_v3_1/parallel": ([("get_weather", {"city": "Tokyo"}), ("get_time", {"timezone": "Asia/Tokyo"})], ""),
    "harmony/single": ([("get_weather", _WEATHER)], ""),
    "deepseek_v3_2/single": ([("get_weather", _WEATHER)], ""),
    "default/text_before": ([("get_weather", _WEATHER)], "Let me check the weather."),
    "qwen3_coder/single": ([("get_weather", _WEATHER)], ""),
    "llama3_json/single": ([("get_weather", _WEATHER)], ""),
    "phi4/single": ([("get_weather", _WEATHER)], ""),
    "qwen3/single": ([("get_weather", _WEATHER)], ""),
}


#: Known failures that are not this suite's to fix, per (engine, output key, "json"|"sse"): strict xfail, so the
#: test turns red (XPASS) the day they are fixed and the entry must go.
KNOWN_FAILURES: dict[tuple[str, str, str], str] = {
    # vLLM's own phi4_mini_json parser (what the phi4 alias resolves to) has no streaming implementation.
    ("vllm", "phi4/single", "sse"): "vLLM 0.31 phi4_mini_json: extract_tool_calls_streaming not implemented",
}

#: tool_choice "required" / named: the output each engine's fallback is tested with, and why.
#: - vLLM: Dynamo's vLLM processor parses a forced choice with the configured tool parser: the model's native
#:   output (what our parser's grammar lets through) comes back as the call.
#: - SGLang: Dynamo's SGLang processor never builds the configured parser for a forced choice (JsonArrayParser;
#:   the worker enforces a JSON-array grammar): the output is what that grammar produces.
FORCED_CHOICE_OUTPUT = {"vllm": "{fmt}/single", "sglang": "json/required"}


def model_id(name: str) -> str:
    return f"replay-{name}"


def names(engine: str) -> list[str]:
    return [*CORE_NAMES, *ALIASES.get(engine, {})]


def served_name(key: str) -> str:
    """The parser name whose model replays output ``key`` (qwen3_coder output is served as nemotron_nano)."""
    fmt = key.split("/")[0]
    return {"qwen3_coder": "nemotron_nano"}.get(fmt, fmt)


#: WITHOUT the plugin, Dynamo 1.6.1's vLLM fallback brings up only the models whose Dynamo name vLLM 0.31
#: happens to have (with vLLM's own parser); every other model is never listed (KeyError at set-up, retried).
VLLM_SERVED_WITHOUT_PLUGIN = frozenset({"glm47", "jamba", "llama3_json"})
#: WITHOUT the plugin, SGLang 0.5.21's registry knows only glm47 among these names: every other model is
#: listed but answers HTTP 500 to a chat request with tools (tool_choice auto).
SGLANG_OK_WITHOUT_PLUGIN = frozenset({"glm47"})
