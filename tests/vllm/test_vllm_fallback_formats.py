"""The Dynamo names vLLM has no parser for, served by ours through vLLM's real OpenAIServingChat.

``--tool-call-parser qwen3`` (Dynamo's unified Qwen3 parser) and ``--reasoning-parser kimi``
(``◁think▷ ... ◁/think▷``). Expected calls and text come from the core's one-shot parse (qwen3) or are
written by hand (kimi); the check is that vLLM's serving path delivers them, streamed or not.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dyn_plugins.formats import get_format, parse_stream
from dyn_plugins.samples import SCENARIOS, TOOLS, sample

pytestmark = pytest.mark.vllm


def _run(chat_engine: tuple[Any, Any], text: str, *, stream: bool, tools: Any = TOOLS, sizes: tuple[int, ...] = (1,)) -> Any:
    from dyn_plugins.replay.vllm_serving import Script, encode, run_chat

    chat, engine = chat_engine
    return run_chat(chat, engine, Script(encode(engine, text), sizes, "stop"), stream=stream, tools=tools)


def _calls(result: Any) -> list[tuple[str, Any]]:
    return [(c["name"], json.loads(c["arguments"])) for c in result.tool_calls]


@pytest.fixture(scope="module")
def qwen3(model_dir: Any) -> Any:
    from dyn_plugins.replay.vllm_serving import make_serving_chat

    return make_serving_chat(model_dir, "qwen3")


@pytest.fixture(scope="module")
def kimi(model_dir: Any) -> Any:
    from dyn_plugins.replay.vllm_serving import make_serving_chat

    return make_serving_chat(model_dir, None, reasoning_parser="kimi")


@pytest.fixture(scope="module")
def kimi_jamba(model_dir: Any) -> Any:
    from dyn_plugins.replay.vllm_serving import make_serving_chat

    return make_serving_chat(model_dir, "jamba", reasoning_parser="kimi")


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
def test_qwen3_tool_parser_matches_core(qwen3: Any, scenario: str, stream: bool) -> None:
    """--tool-call-parser qwen3: the core's calls and answer text, streamed (the core's live stream, which keeps a
    call cut off by max_tokens) or not (its one-shot parse); finish_reason follows the calls."""
    text = sample("qwen3", scenario).text
    parsed = parse_stream("qwen3", [text], TOOLS) if stream else get_format("qwen3").parse(text, TOOLS)
    result = _run(qwen3, text, stream=stream, sizes=(3, 2))
    assert _calls(result) == [(c.name, json.loads(c.arguments)) for c in parsed.calls]
    assert (result.content or "").strip() == parsed.normal_text.strip()
    assert result.finish_reason == ("tool_calls" if parsed.calls else "stop")


def test_qwen3_reasoning_streams_as_reasoning(qwen3: Any) -> None:
    """qwen3's <think> channel comes back as the reasoning field of the streamed deltas, never as content."""
    result = _run(qwen3, sample("qwen3", "single").text, stream=True)
    assert (result.reasoning or "").strip() == "The user asks for the weather."
    assert "<think>" not in (result.content or "")


KIMI = [
    ("thinks", "◁think▷step 1, then step 2◁/think▷The final answer is 42.", "step 1, then step 2", "The final answer is 42."),
    ("no_thought", "plain answer", None, "plain answer"),
]


@pytest.mark.parametrize(("case", "text", "reasoning", "content"), KIMI, ids=[c[0] for c in KIMI])
@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
def test_kimi_reasoning_parser(kimi: Any, case: str, text: str, reasoning: str | None, content: str, stream: bool) -> None:
    """--reasoning-parser kimi: ◁think▷ ... ◁/think▷ is the reasoning field, the rest the content."""
    result = _run(kimi, text, stream=stream, tools=None)
    assert (result.reasoning or None) == reasoning
    assert (result.content or "").strip() == content


@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
def test_kimi_reasoning_then_tool_call(kimi_jamba: Any, stream: bool) -> None:
    """With a tool parser too, the text after ◁/think▷ goes to the tool parser: the call is parsed."""
    text = '◁think▷I need the weather.◁/think▷<tool_calls>[{"name": "get_weather", "arguments": {"city": "Paris"}}]</tool_calls>'
    result = _run(kimi_jamba, text, stream=stream)
    assert result.reasoning == "I need the weather."
    assert _calls(result) == [("get_weather", {"city": "Paris"})]
    assert not (result.content or "").strip()
