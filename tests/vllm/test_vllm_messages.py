"""Tool calls of every format through vLLM's Anthropic-compatible ``/v1/messages`` serving code, streamed and not.

``AnthropicServingMessages`` converts the request to a chat request, runs the chat serving path (our parser
included: ``Parser.parse`` / ``ChatStreamProcessor`` with ``parse_delta``) and converts the answer to Anthropic
content blocks or stream events. The check: the blocks carry exactly what the chat endpoint returns for the
same output (calls, text, thinking), ``stop_reason`` is ``tool_use`` iff there are calls, and streamed
``input_json_delta`` pieces join to valid JSON.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dyn_plugins import structural_tags
from dyn_plugins.formats import FORMAT_NAMES
from dyn_plugins.samples import SCENARIOS, TOOLS, sample
from vllm_versions import VLLM

pytestmark = pytest.mark.vllm

CASES = [(fmt, sc) for fmt in FORMAT_NAMES for sc in SCENARIOS]
#: formats decoded in their own format for a named call: every one with our tags (xgrammar >= 0.2.8: vLLM 0.32 /
#: 0.33); with vLLM 0.31's xgrammar those vLLM has a tag of its own for; the others go through vLLM's generic
#: JSON path, where a named call's output is the arguments object
TAGGED = FORMAT_NAMES if structural_tags.supported() else ("glm47", "deepseek_v3_1", "deepseek_v3_2", "harmony")


@pytest.fixture(scope="module")
def messages(model_dir: Any) -> Any:
    """``messages(fmt)`` -> (AnthropicServingMessages, ScriptedEngine) with ``--tool-call-parser fmt`` (cached)."""
    from dyn_plugins.replay.vllm_serving import make_serving_chat

    cache: dict[str, Any] = {}

    def get(fmt: str) -> Any:
        if fmt not in cache:
            cache[fmt] = make_serving_chat(model_dir, fmt, api="messages")
        return cache[fmt]

    return get


def _calls(result: Any) -> list[tuple[str, Any]]:
    return [(c["name"], json.loads(c["arguments"])) for c in result.tool_calls]


@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
@pytest.mark.parametrize(("fmt", "scenario"), CASES)
def test_messages_match_chat_completions(serving: Any, messages: Any, fmt: str, scenario: str, stream: bool) -> None:
    """/v1/messages returns the calls, text and thinking that /v1/chat/completions returns for the same output."""
    from dyn_plugins.replay.vllm_serving import Script, encode, run_chat, run_messages

    chat, chat_engine = serving(fmt)
    text = sample(fmt, scenario).text
    expected = run_chat(chat, chat_engine, Script(encode(chat_engine, text), (2,)), stream=stream, tools=TOOLS)
    handler, engine = messages(fmt)
    result = run_messages(handler, engine, Script(encode(engine, text), (2,)), stream=stream, tools=TOOLS)
    assert _calls(result) == _calls(expected)
    assert (result.content or None) == (expected.content or None)
    assert (result.reasoning or None) == (expected.reasoning or None)
    assert result.finish_reason == ("tool_use" if expected.tool_calls else "end_turn")
    assert all(c["id"] for c in result.tool_calls) and len({c["id"] for c in result.tool_calls}) == len(result.tool_calls)


@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_messages_forced_tool_choice(messages: Any, fmt: str, stream: bool) -> None:
    """tool_choice {"type": "tool"} (a named function in the chat request): the call comes back as tool_use."""
    from dyn_plugins.replay.vllm_serving import Script, encode, run_messages

    handler, engine = messages(fmt)
    # with our structural tag the call is decoded in the format itself; otherwise through vLLM's generic JSON
    # path, where the output is the arguments object
    text = sample(fmt, "single").text if fmt in TAGGED else json.dumps({"city": "Paris", "days": 3})
    result = run_messages(handler, engine, Script(encode(engine, text)), stream=stream, tools=TOOLS, tool_choice={"type": "tool", "name": "get_weather"})
    assert _calls(result) == [("get_weather", {"city": "Paris", "days": 3})]
    # a named call ends with chat finish_reason "stop"; 0.32+ still says tool_use when a tool_use block was sent,
    # 0.31 maps "stop" to end_turn
    assert result.finish_reason == ("tool_use" if VLLM >= (0, 32) else "end_turn")


@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
def test_messages_max_tokens_cut(messages: Any, stream: bool) -> None:
    """A call cut by max_tokens: the recovered calls are delivered. stop_reason follows the chat finish_reason
    (0.32 non-streaming says tool_calls for a cut call, so tool_use; 0.33 keeps length: max_tokens)."""
    from dyn_plugins.replay.vllm_serving import Script, encode, run_messages

    handler, engine = messages("jamba")
    result = run_messages(handler, engine, Script(encode(engine, sample("jamba", "truncated").text), (1,), "length"), stream=stream, tools=TOOLS)
    assert _calls(result) == [("get_weather", {"city": "Tokyo"}), ("get_time", {"timezone": "Asia/To"})]
    assert result.finish_reason == ("max_tokens" if stream or VLLM >= (0, 33) else "tool_use")
