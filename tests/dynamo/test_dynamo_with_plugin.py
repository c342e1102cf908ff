"""Dynamo 1.6.1's fallback chat processor (``--dyn-chat-processor vllm|sglang``) serving every Dynamo-only
parser name with this package installed: real frontend, real HTTP, replay workers registered with
``--dyn-tool-call-parser NAME``.

Expected tool calls come from the core's one-shot parse of the recorded text (the reference this package
implements) and, for a few outputs, from hand-written expectations.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dynamo_cases import (
    CORE_NAMES,
    ENGINE,
    FORCED_CHOICE_OUTPUT,
    HANDWRITTEN_EXPECTED,
    KNOWN_FAILURES,
    model_id,
    names,
    served_name,
)
from dynamo_stack import Stack, Worker, merge_stream, sse_events
from stream_modes import streamed_calls
from dyn_plugins.samples import SCENARIOS

pytestmark = pytest.mark.dynamo

ENGINE_NAMES = names(ENGINE)
#: Hand-written outputs whose parser this engine can serve.
HANDWRITTEN_KEYS = sorted(k for k in HANDWRITTEN_EXPECTED if served_name(k) in ENGINE_NAMES)


@pytest.fixture(scope="module")
def stack(engine: str, model_dir: Path, replay_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One frontend + one replay worker per name, started once (this module), stopped before the no-plugin module."""
    st = Stack(python=sys.executable, engine=engine, workdir=tmp_path_factory.mktemp("dynamo-with"), model_dir=model_dir, replay_file=replay_file)
    try:
        st.start([Worker(model_id(n), n) for n in ENGINE_NAMES])
        st.wait_http()
        st.wait_models({model_id(n) for n in ENGINE_NAMES})
        yield st
    finally:
        st.stop()


def _user(key: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": f"What is the weather in Paris? replay:{key}"}]


def _message(stack: Stack, model: str, key: str, stream: bool, **extra: Any) -> dict[str, Any]:
    """POST one chat request; the assistant message folded to {content, reasoning, tool_calls, finish_reason}."""
    from dyn_plugins.samples import TOOLS

    r = stack.chat(model, _user(key), stream=stream, tools=TOOLS, **extra)
    assert r.status == 200, f"HTTP {r.status}: {r.body[:500]!r}\n{stack.tail('frontend')}"
    if stream:
        return merge_stream(sse_events(r.body))
    choice = r.json()["choices"][0]
    msg = choice["message"]
    return {
        "content": msg.get("content") or "",
        "reasoning": msg.get("reasoning_content") or msg.get("reasoning") or "",
        "tool_calls": [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]} for c in msg.get("tool_calls") or []],
        "finish_reason": choice["finish_reason"],
    }


def _calls(msg: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(c["name"], json.loads(c["arguments"])) for c in msg["tool_calls"]]


def _params(keys: list[str]) -> list[Any]:
    """(key, stream) parameters, with KNOWN_FAILURES as strict xfails."""
    out = []
    for key in keys:
        for stream in (False, True):
            reason = KNOWN_FAILURES.get((ENGINE, key, "sse" if stream else "json"))
            marks = [pytest.mark.xfail(reason=reason, strict=True, raises=AssertionError)] if reason else []
            out.append(pytest.param(key, stream, marks=marks, id=f"{key}-{'sse' if stream else 'json'}"))
    return out


def _core_expectation(fmt: str, scenario: str) -> tuple[list[tuple[str, Any]], str, str]:
    """(calls, content, finish_reason) from the core's one-shot parse of the recorded output."""
    from dyn_plugins.formats import get_format
    from dyn_plugins.samples import TOOLS, sample

    parsed = get_format(fmt).parse(sample(fmt, scenario).text, TOOLS)
    calls = [(c.name, json.loads(c.arguments)) for c in parsed.calls]
    finish = "length" if scenario == "truncated" else ("tool_calls" if calls else "stop")
    return calls, parsed.normal_text, finish


def test_every_name_is_listed(stack: Stack) -> None:
    """Each worker's model (registered with a Dynamo parser name) comes up in /v1/models."""
    assert {model_id(n) for n in ENGINE_NAMES} <= stack.models()


@pytest.mark.parametrize(("key", "stream"), _params([f"{f}/{s}" for f in CORE_NAMES for s in SCENARIOS]))
def test_recorded_output_matches_core_parse(stack: Stack, key: str, stream: bool) -> None:
    """tool_choice auto: tool_calls, content and finish_reason equal the core's parse of the same output."""
    fmt, scenario = key.split("/")
    calls, content, finish = _core_expectation(fmt, scenario)
    msg = _message(stack, model_id(fmt), key, stream)
    # SSE streams live where Dynamo passes calls on as they come (the stack's processes never see
    # DYN_PLUGINS_TOOL_STREAMING): a truncated call it announced stays, its arguments closed (tests/stream_modes.py)
    assert _calls(msg) == (streamed_calls(fmt, scenario, calls, SSE_MODE[ENGINE]) if stream else calls)
    assert msg["content"].strip() == content.strip()
    assert msg["finish_reason"] == finish


@pytest.mark.parametrize(("key", "stream"), _params(HANDWRITTEN_KEYS))
def test_handwritten_expectation(stack: Stack, key: str, stream: bool) -> None:
    """Hand-written expectations (Dynamo-only formats and the aliases to the engine's own parsers)."""
    calls, content = HANDWRITTEN_EXPECTED[key]
    msg = _message(stack, model_id(served_name(key)), key, stream)
    assert _calls(msg) == [(n, a) for n, a in calls]
    assert msg["content"].strip() == content
    assert msg["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("choice", ["required", "named"])
@pytest.mark.parametrize("fmt", CORE_NAMES)
def test_forced_tool_choice(stack: Stack, fmt: str, choice: str, stream: bool) -> None:
    """tool_choice required / named get_weather: one get_weather call, no content (see FORCED_CHOICE_OUTPUT)."""
    tool_choice: Any = "required" if choice == "required" else {"type": "function", "function": {"name": "get_weather"}}
    key = FORCED_CHOICE_OUTPUT[ENGINE].format(fmt=fmt)
    msg = _message(stack, model_id(fmt), key, stream, tool_choice=tool_choice)
    assert _calls(msg) == [("get_weather", {"city": "Paris", "days": 3})]
    assert msg["content"].strip() == ""
    assert msg["finish_reason"] == "tool_calls"


#: The registration line each engine's frontend logs (vLLM: entry point / import hook; SGLang: import hook only).
REGISTRATION_LOG = {
    "vllm": "in vLLM (Dynamo formats: deepseek_v3_1, deepseek_v3_2, default, glm47, harmony, jamba, nemotron_deci, qwen3;",
    # the seven formats plus phi4 and qwen3 (SGLang has neither)
    "sglang": "dyn-plugins: SGLang tool-call parsers registered: 9 Dynamo formats",
}


def test_frontend_logged_registration(stack: Stack) -> None:
    """The frontend process itself registered our parsers (SGLang's never loads SGLang plugins: the .pth hook did)."""
    assert REGISTRATION_LOG[ENGINE] in stack.log_text("frontend")


#: How tool calls reach an SSE client through Dynamo 1.6.1's chat processor: vLLM's passes our parser's deltas on
#: (live); SGLang's (dynamo/frontend/sglang_prepost.py, "accumulate deltas") collects every tool-call item and sends
#: the calls whole at finish, re-parsing the full text when one looks incomplete: buffered, whatever the parser.
SSE_MODE = {"vllm": "live", "sglang": "buffered"}
#: fewest argument events expected after the name for the ~1k-token long call, live: Dynamo's vLLM processor sends
#: an SSE event every 20 tokens by default (vllm_processor.py stream_interval, DYN_VLLM_STREAM_INTERVAL), so ~50.
MIN_ARG_EVENTS = 40


@pytest.mark.parametrize("fmt", CORE_NAMES)
def test_long_call_streams_live_over_sse(stack: Stack, fmt: str) -> None:
    """Issue 11: one ~1.1k-token write_file call (one token per worker chunk) streamed over SSE. Live (vLLM): the name
    comes in an early event, followed by many argument events carrying > 90% of the argument bytes (so the name left
    before the call's closing marker). Buffered (SGLang, see SSE_MODE): the name once, the arguments whole in one
    event. Both: reassembling exactly to the non-streaming response."""
    import long_call

    key = f"long/{fmt}"
    messages = [{"role": "user", "content": f"Write the report. replay:{key}"}]
    full = stack.chat(model_id(fmt), messages, tools=long_call.TOOLS, max_tokens=3000)
    sse = stack.chat(model_id(fmt), messages, stream=True, tools=long_call.TOOLS, max_tokens=3000)
    assert full.status == sse.status == 200, (full.body[:300], sse.body[:300])
    events = sse_events(sse.body)
    deltas = [(i, tc) for i, ev in enumerate(events) for ch in ev.get("choices", []) for tc in (ch.get("delta") or {}).get("tool_calls") or []]
    named = [i for i, tc in deltas if (tc.get("function") or {}).get("name")]
    assert len(named) == 1 and deltas[0][1]["function"]["name"] == "write_file" and deltas[0][1].get("id")
    args = [(i, (tc.get("function") or {}).get("arguments") or "") for i, tc in deltas]
    after = [(i, a) for i, a in args if i > named[0] and a]
    total = sum(len(a.encode()) for _, a in args)
    if SSE_MODE[ENGINE] == "live":
        assert len(after) > MIN_ARG_EVENTS
        assert sum(len(a.encode()) for _, a in after) > 0.9 * total
    else:
        assert len([a for _, a in args if a]) == 1
    msg = full.json()["choices"][0]["message"]
    streamed = merge_stream(events)
    assert [(c["name"], c["arguments"]) for c in streamed["tool_calls"]] == [(c["function"]["name"], c["function"]["arguments"]) for c in msg["tool_calls"]]
    assert json.loads(streamed["tool_calls"][0]["arguments"]) == long_call.ARGS
    assert streamed["content"].strip() == (msg.get("content") or "").strip()
    assert streamed["finish_reason"] == "tool_calls"
    print(f"dynamo {ENGINE} {SSE_MODE[ENGINE]} {fmt}: name in event {named[0]} of {len(events)}, {len(after)} argument events after it")
