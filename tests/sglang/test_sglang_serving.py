"""SGLang's real OpenAIServingChat, in-process, replaying recorded outputs of every Dynamo format.

Expected calls and content come from the core's one-shot parse (the authority for behaviour),
computed here, plus a few hand-written expectations; streaming must reassemble to the same.
"""

from __future__ import annotations

import json

import pytest

from dyn_plugins.formats import FORMAT_NAMES, get_format
from dyn_plugins.samples import SCENARIOS, TOOLS, sample
from stream_modes import mode, streamed_calls  # noqa: F401  (mode: a fixture)

pytestmark = pytest.mark.sglang

import sglang  # noqa: E402,F401  (the SGLang venv has it: a missing engine must fail, not skip)
from dyn_plugins.replay.sglang_serving import Replayer  # noqa: E402

CASES = [(f, s) for f in FORMAT_NAMES for s in SCENARIOS]


@pytest.fixture(scope="module")
def replayer(tmp_path_factory: pytest.TempPathFactory) -> Replayer:
    return Replayer(tmp_path_factory.mktemp("sglang-replay"))


def _expected(fmt: str, scenario: str) -> tuple[str, list[tuple[str, dict]]]:
    parsed = get_format(fmt).parse(sample(fmt, scenario).text, TOOLS)
    return parsed.normal_text, [(c.name, json.loads(c.arguments)) for c in parsed.calls]


def _calls(reply) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    return [(c["name"], json.loads(c["arguments"])) for c in reply.tool_calls]


@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
@pytest.mark.parametrize(("fmt", "scenario"), CASES)
def test_response_matches_core_parse(replayer: Replayer, fmt: str, scenario: str, stream: bool, mode: str) -> None:
    """tool_calls, content and finish_reason equal what the core parses from the same output (both delivery
    modes; a live stream also keeps a truncated call it announced, see tests/stream_modes.py)."""
    text, calls = _expected(fmt, scenario)
    reply = replayer.run(fmt, sample(fmt, scenario).text, stream=stream, tools=TOOLS)
    assert _calls(reply) == (streamed_calls(fmt, scenario, calls, mode) if stream else calls)
    assert (reply.content or "") == text
    assert reply.finish_reason == ("tool_calls" if _calls(reply) else "stop")


@pytest.mark.parametrize(("fmt", "scenario"), CASES)
def test_stream_reassembles_to_full_response(replayer: Replayer, fmt: str, scenario: str, mode: str) -> None:
    """Streamed deltas (argument text concatenated per index) equal the non-streaming message exactly (live: plus
    a truncated call it announced)."""
    output = sample(fmt, scenario).text
    full = replayer.run(fmt, output, stream=False, tools=TOOLS)
    streamed = replayer.run(fmt, output, stream=True, tools=TOOLS)
    strip = lambda r: [(c["index"], c["name"], c["arguments"]) for c in r.tool_calls]  # noqa: E731
    assert strip(streamed)[: len(full.tool_calls)] == strip(full)
    assert _calls(streamed) == streamed_calls(fmt, scenario, _calls(full), mode)
    assert (streamed.content or "") == (full.content or "")
    assert all(c["id"] for c in streamed.tool_calls)


HAND_WRITTEN = [
    ("glm47", "single", "", [("get_weather", {"city": "Paris", "days": 3})]),
    ("jamba", "parallel", "", [("get_weather", {"city": "Tokyo"}), ("get_time", {"timezone": "Asia/Tokyo"})]),
    ("nemotron_deci", "text_before", "Let me check the weather.", [("get_weather", {"city": "Paris", "days": 3})]),
    ("deepseek_v3_1", "truncated", "", [("get_weather", {"city": "Tokyo"})]),
    ("harmony", "plain", "It is sunny in Paris today.", []),
    ("deepseek_v3_2", "single", "", [("get_weather", {"city": "Paris", "days": 3})]),
    ("default", "text_before", "Let me check the weather.", [("get_weather", {"city": "Paris", "days": 3})]),
]


@pytest.mark.parametrize(("fmt", "scenario", "content", "calls"), HAND_WRITTEN)
def test_hand_written_expectations(replayer: Replayer, fmt: str, scenario: str, content: str, calls: list, mode: str) -> None:
    """A few outputs checked against expectations written by hand, streaming, both delivery modes."""
    reply = replayer.run(fmt, sample(fmt, scenario).text, stream=True, tools=TOOLS)
    assert (reply.content or "", _calls(reply)) == (content, streamed_calls(fmt, scenario, calls, mode))


@pytest.mark.parametrize("fmt", ["jamba", "nemotron_deci", "default"])
def test_json_family_parallel_calls_per_mode(replayer: Replayer, fmt: str, mode: str) -> None:
    """The JSON family's two parallel calls reach the client once each. Buffered: only at finish(), a name item
    and a whole-arguments item per call (4 chunks, no duplicate flush). Live: the first call's name before the
    second's, each name once, the arguments in more fragments than that."""
    reply = replayer.run(fmt, sample(fmt, "parallel").text, stream=True, tools=TOOLS)
    items = [tc for c in reply.chunks for ch in c["choices"] for tc in (ch.get("delta") or {}).get("tool_calls") or []]
    named = [tc["index"] for tc in items if (tc.get("function") or {}).get("name")]
    assert named == [0, 1]
    if mode == "buffered":
        assert len(items) == 4
    else:
        assert sum(1 for tc in items if (tc.get("function") or {}).get("arguments")) > 4
    assert [c["index"] for c in reply.tool_calls] == [0, 1]
    assert _calls(reply) == _expected(fmt, "parallel")[1]


def test_harmony_with_gpt_oss_reasoning_parser(replayer: Replayer) -> None:
    """--reasoning-parser gpt-oss strips the channels first; our harmony parser still finds calls and answers."""
    single = replayer.run("harmony", sample("harmony", "single").text, stream=False, tools=TOOLS, reasoning_parser="gpt-oss")
    assert _calls(single) == [("get_weather", {"city": "Paris", "days": 3})]
    assert single.reasoning_content == "The user wants the weather in Paris."
    plain = replayer.run("harmony", sample("harmony", "plain").text, stream=True, tools=TOOLS, reasoning_parser="gpt-oss")
    assert (plain.content, plain.reasoning_content, plain.tool_calls) == ("It is sunny in Paris today.", "Simple question.", [])


@pytest.mark.parametrize("name", ["deepseek_v3", "llama3_json", "minimax_m2", "deepseek-v4"])
def test_dynamo_alias_serves_through_sglang_parser(replayer: Replayer, name: str) -> None:
    """A Dynamo name SGLang spells differently works as --tool-call-parser (plain text passes through)."""
    reply = replayer.run(name, "It is sunny in Paris today.", stream=False, tools=TOOLS)
    assert (reply.content, reply.tool_calls, reply.finish_reason) == ("It is sunny in Paris today.", [], "stop")


@pytest.mark.parametrize("stream", [False, True], ids=["full", "stream"])
def test_harmony_call_whose_stop_token_was_trimmed(replayer: Replayer, stream: bool) -> None:
    """SGLang's detokenizer trims gpt-oss's stop token <|call|> unless the parser is its own "gpt-oss":
    a complete call that ends where <|call|> was must still come back as a call."""
    text = sample("harmony", "single").text
    assert text.endswith("<|call|>")
    reply = replayer.run("harmony", text[: -len("<|call|>")], stream=stream, tools=TOOLS)
    assert _calls(reply) == [("get_weather", {"city": "Paris", "days": 3})]
    assert reply.finish_reason == "tool_calls"


def test_harmony_truncated_call_without_stop_token_is_not_a_call(replayer: Replayer) -> None:
    """Cut off inside the arguments (max_tokens): no call, as Dynamo, and no markup leaks."""
    reply = replayer.run("harmony", sample("harmony", "single").text[:-12], stream=False, tools=TOOLS, finish="length")
    assert reply.tool_calls == [] and "<|" not in (reply.content or "")
