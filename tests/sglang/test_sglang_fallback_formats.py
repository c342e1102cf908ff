"""The Dynamo names SGLang has no parser for, served by ours through SGLang's real OpenAIServingChat.

``--tool-call-parser phi4`` and ``qwen3`` (expected calls and text: the core's one-shot parse) and
``--reasoning-parser granite`` (expected split written by hand from Dynamo's granite tests).
"""

from __future__ import annotations

import json

import pytest

from dyn_plugins.formats import get_format, parse_stream
from dyn_plugins.samples import SCENARIOS, TOOLS, sample

pytestmark = pytest.mark.sglang

import sglang  # noqa: E402,F401  (the SGLang venv has it: a missing engine must fail, not skip)
from dyn_plugins.replay.sglang_serving import Replayer  # noqa: E402

CASES = [(f, s) for f in ("phi4", "qwen3") for s in SCENARIOS]


@pytest.fixture(scope="module")
def replayer(tmp_path_factory: pytest.TempPathFactory) -> Replayer:
    return Replayer(tmp_path_factory.mktemp("sglang-fallback"))


def _calls(reply) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    return [(c["name"], json.loads(c["arguments"])) for c in reply.tool_calls]


@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
@pytest.mark.parametrize(("fmt", "scenario"), CASES)
def test_tool_parser_matches_core(replayer: Replayer, fmt: str, scenario: str, stream: bool) -> None:
    """tool_calls, content and finish_reason equal what the core parses from the same output (streamed: the
    core's live stream, which keeps a call cut off by max_tokens that the one-shot parse drops)."""
    text = sample(fmt, scenario).text
    parsed = parse_stream(fmt, [text], TOOLS) if stream else get_format(fmt).parse(text, TOOLS)
    reply = replayer.run(fmt, text, stream=stream, tools=TOOLS)
    assert _calls(reply) == [(c.name, json.loads(c.arguments)) for c in parsed.calls]
    assert (reply.content or "").strip() == parsed.normal_text.strip()
    assert reply.finish_reason == ("tool_calls" if parsed.calls else "stop")


@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
def test_qwen3_required_uses_sglangs_json_call_list(replayer: Replayer, stream: bool) -> None:
    """qwen3 has no block grammar: for tool_choice "required" SGLang constrains the output to its JSON call list
    and parses it itself (our detector offers no structural tag instead of failing)."""
    output = '[{"name": "get_weather", "parameters": {"city": "Paris"}}]'
    reply = replayer.run("qwen3", output, stream=stream, tools=TOOLS, tool_choice="required")
    assert _calls(reply) == [("get_weather", {"city": "Paris"})]


GRANITE = [
    ("thinks", "Here's my thought process: I need to think about this. Here's my response: The answer is 42.", "I need to think about this.", "The answer is 42."),
    ("alternative_markers", "Here is my thought process: Different thinking here. Here is my response: Final answer.", "Different thinking here.", "Final answer."),
    ("no_thought", "This is just normal text without any special tokens.", "", "This is just normal text without any special tokens."),
]


@pytest.mark.parametrize(("case", "text", "reasoning", "content"), GRANITE, ids=[g[0] for g in GRANITE])
@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
def test_granite_reasoning_parser(replayer: Replayer, case: str, text: str, reasoning: str, content: str, stream: bool) -> None:
    """--reasoning-parser granite: the thought process is reasoning_content, the response the content."""
    reply = replayer.run("glm47", text, stream=stream, tools=TOOLS, reasoning_parser="granite")
    assert (reply.reasoning_content or "").strip() == reasoning
    assert (reply.content or "").strip() == content
