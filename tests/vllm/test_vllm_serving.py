"""Recorded outputs of every format through vLLM's real OpenAIServingChat with our parsers.

Expected calls come from the core's one-shot parse of the same text (the core is authoritative) plus
a few hand-written expectations for the key cases; the check is that vLLM's serving path (render,
adjust_request, detokenization, Parser.parse / parse_delta, end-of-stream flush, finish_reason)
delivers exactly that, streamed or not, whatever the token chunking.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dyn_plugins.formats import FORMAT_NAMES, get_format
from dyn_plugins.samples import SCENARIOS, TOOLS, sample
from stream_modes import mode, streamed_calls  # noqa: F401  (mode: a fixture)
from vllm_versions import VLLM

pytestmark = pytest.mark.vllm

CASES = [(fmt, sc) for fmt in FORMAT_NAMES for sc in SCENARIOS]
#: token chunkings per streamed delta: one token, and multi-token deltas (stream_interval > 1 / spec decode)
CHUNKINGS = {"1tok": (1,), "3-2tok": (3, 2), "7tok": (7,)}


def _run(serving: Any, fmt: str, text: str, *, stream: bool, sizes: tuple[int, ...] = (1,), finish: str = "stop") -> Any:
    from dyn_plugins.replay.vllm_serving import Script, encode, run_chat

    chat, engine = serving(fmt)
    return run_chat(chat, engine, Script(encode(engine, text), sizes, finish), stream=stream, tools=TOOLS)


def _calls(result: Any) -> list[tuple[str, Any]]:
    return [(c["name"], json.loads(c["arguments"])) for c in result.tool_calls]


def _expected(fmt: str, text: str) -> tuple[list[tuple[str, Any]], str | None]:
    parsed = get_format(fmt).parse(text, TOOLS)
    return [(c.name, json.loads(c.arguments)) for c in parsed.calls], (parsed.normal_text or None)


@pytest.mark.parametrize(("fmt", "scenario"), CASES)
def test_non_streaming_matches_core(serving: Any, fmt: str, scenario: str) -> None:
    """Non-streaming response: the core's calls and normal text, finish_reason tool_calls iff calls."""
    text = sample(fmt, scenario).text
    result = _run(serving, fmt, text, stream=False)
    calls, content = _expected(fmt, text)
    assert _calls(result) == calls
    assert (result.content or None) == content
    assert result.finish_reason == ("tool_calls" if calls else "stop")
    assert all(c["type"] == "function" and c["id"] for c in result.tool_calls)
    assert len({c["id"] for c in result.tool_calls}) == len(result.tool_calls)


@pytest.mark.parametrize("chunking", list(CHUNKINGS))
@pytest.mark.parametrize(("fmt", "scenario"), CASES)
def test_streaming_reassembles_to_non_streaming(serving: Any, fmt: str, scenario: str, chunking: str, mode: str) -> None:
    """Streamed deltas (one token or several per delta) reassemble to the non-streaming response, in both
    delivery modes (live: plus a truncated call it had announced, see tests/stream_modes.py)."""
    text = sample(fmt, scenario).text
    full = _run(serving, fmt, text, stream=False)
    streamed = _run(serving, fmt, text, stream=True, sizes=CHUNKINGS[chunking])
    assert _calls(streamed) == streamed_calls(fmt, scenario, _calls(full), mode)
    n = len(full.tool_calls)
    assert [c["arguments"] for c in streamed.tool_calls][:n] == [c["arguments"] for c in full.tool_calls]
    assert (streamed.content or None) == (full.content or None)
    assert streamed.finish_reason == full.finish_reason
    assert all(c["id"] and c["type"] == "function" for c in streamed.tool_calls)
    assert len({c["id"] for c in streamed.tool_calls}) == len(streamed.tool_calls)


@pytest.mark.parametrize(("fmt", "scenario"), CASES)
def test_each_call_id_and_name_sent_once(serving: Any, fmt: str, scenario: str, mode: str) -> None:
    """Streaming protocol, both delivery modes: a call's id and name appear in exactly one delta each, indexes in order."""
    streamed = _run(serving, fmt, sample(fmt, scenario).text, stream=True)
    ids: dict[int, int] = {}
    names: dict[int, int] = {}
    for chunk in streamed.chunks:
        for choice in chunk["choices"]:
            for tc in (choice.get("delta") or {}).get("tool_calls") or []:
                if tc.get("id"):
                    ids[tc["index"]] = ids.get(tc["index"], 0) + 1
                if (tc.get("function") or {}).get("name"):
                    names[tc["index"]] = names.get(tc["index"], 0) + 1
    n = len(streamed.tool_calls)
    assert ids == {i: 1 for i in range(n)}
    assert names == {i: 1 for i in range(n)}


HAND_WRITTEN = [
    ("glm47", "single", [("get_weather", {"city": "Paris", "days": 3})], None),
    ("jamba", "parallel", [("get_weather", {"city": "Tokyo"}), ("get_time", {"timezone": "Asia/Tokyo"})], None),
    ("nemotron_deci", "text_before", [("get_weather", {"city": "Paris", "days": 3})], "Let me check the weather."),
    ("deepseek_v3_1", "parallel", [("get_weather", {"city": "Tokyo"}), ("get_time", {"timezone": "Asia/Tokyo"})], None),
    ("harmony", "text_before", [("get_weather", {"city": "Paris", "days": 3})], "Let me check the weather."),
    ("harmony", "plain", [], "It is sunny in Paris today."),
    ("deepseek_v3_2", "single", [("get_weather", {"city": "Paris", "days": 3})], None),
    ("default", "text_before", [("get_weather", {"city": "Paris", "days": 3})], "Let me check the weather."),
    ("jamba", "truncated", [("get_weather", {"city": "Tokyo"}), ("get_time", {"timezone": "Asia/To"})], None),
    ("glm47", "truncated", [("get_weather", {"city": "Tokyo"})], None),
]


@pytest.mark.parametrize(("fmt", "scenario", "calls", "content"), HAND_WRITTEN)
@pytest.mark.parametrize("stream", [False, True])
def test_hand_written_expectations(serving: Any, fmt: str, scenario: str, calls: list[Any], content: str | None, stream: bool, mode: str) -> None:
    """Key cases written out by hand (independent of the core's output), in both delivery modes."""
    result = _run(serving, fmt, sample(fmt, scenario).text, stream=stream, sizes=(2,))
    assert _calls(result) == (streamed_calls(fmt, scenario, calls, mode) if stream else calls)
    assert (result.content.strip() if result.content else None) == content


@pytest.mark.parametrize("stream", [False, True])
def test_truncated_by_max_tokens_keeps_recovered_calls(serving: Any, stream: bool) -> None:
    """A call cut off by max_tokens (engine finish_reason "length"): the recovered calls are still delivered.
    finish_reason is vLLM's own rule: 0.31/0.32 report "length" when streaming and "tool_calls" otherwise; 0.33
    (``resolve_finish_reason``) keeps "length" in both."""
    text = sample("jamba", "truncated").text
    result = _run(serving, "jamba", text, stream=stream, finish="length")
    assert _calls(result) == [("get_weather", {"city": "Tokyo"}), ("get_time", {"timezone": "Asia/To"})]
    assert result.finish_reason == ("length" if stream or VLLM >= (0, 33) else "tool_calls")


@pytest.mark.parametrize("scenario", ["single", "plain"])
def test_harmony_reasoning_streamed(serving: Any, scenario: str) -> None:
    """Harmony's analysis channel is handed on as reasoning in streamed deltas, not as content."""
    text = sample("harmony", scenario).text
    streamed = _run(serving, "harmony", text, stream=True)
    assert streamed.reasoning == get_format("harmony").parse(text, TOOLS).reasoning_text
    assert streamed.reasoning and streamed.reasoning not in (streamed.content or "")


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_adjust_request_keeps_special_markers(serving: Any, fmt: str) -> None:
    """The markers are special tokens in the served tokenizer: our adjust_request turns skip_special_tokens off."""
    from dyn_plugins.replay.vllm_serving import Script, encode, run_chat

    chat, engine = serving(fmt)
    run_chat(chat, engine, Script(encode(engine, sample(fmt, "single").text)), stream=False, tools=TOOLS)
    assert engine.seen[-1].skip_special_tokens is False


def test_adjust_request_leaves_tool_choice_none_alone(serving: Any) -> None:
    """tool_choice="none": no call may follow, so special tokens stay skipped (vLLM's default)."""
    from dyn_plugins.replay.vllm_serving import Script, encode, run_chat

    chat, engine = serving("jamba")
    run_chat(chat, engine, Script(encode(engine, "Hello.")), stream=False, tools=TOOLS, tool_choice="none")
    assert engine.seen[-1].skip_special_tokens is True


def test_adjust_request_without_special_markers(model_dir: Any) -> None:
    """A tokenizer where the markers are plain text: the request is left as vLLM made it."""
    from types import SimpleNamespace

    from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest

    from dyn_plugins.vllm.parser import PARSERS

    tok = SimpleNamespace(all_special_tokens=["<s>", "</s>"], added_tokens_decoder={}, get_vocab=dict)
    req = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}], tools=TOOLS)
    out = PARSERS["jamba"](tok, None).adjust_request(req)
    # vLLM's own value: True up to 0.32; None from 0.33 (resolved later, from the served model)
    assert out.skip_special_tokens is (None if VLLM >= (0, 33) else True)


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_required_tool_choice_gets_our_structural_tag(serving: Any, fmt: str) -> None:
    """tool_choice="required" constrains decoding with OUR structural tag (dyn_plugins/structural_tags.py) where
    xgrammar can express it (0.32 / 0.33); with vLLM 0.31's xgrammar vLLM's own tag or JSON call list instead."""

    from dyn_plugins.structural_tags import LAYOUTS, supported
    from dyn_plugins.replay.vllm_serving import Script, encode, run_chat
    from dyn_plugins.vllm.structural_tags import MODEL_KEY

    chat, engine = serving(fmt)
    if not supported():  # vLLM 0.31's xgrammar: vLLM's own tag by key where it has one, else its JSON call list
        from dyn_plugins.vllm.parser import VLLM_TAG_MODELS

        key = VLLM_TAG_MODELS.get(fmt)
        output = sample(fmt, "single").text if key else '[{"name": "get_weather", "parameters": {"city": "Paris", "days": 3}}]'
        result = run_chat(chat, engine, Script(encode(engine, output)), stream=False, tools=TOOLS, tool_choice="required")
        so = engine.seen[-1].structured_outputs
        assert so is not None and (so.structural_tag is not None) == (key is not None)
        assert chat.parser_cls.tool_parser_cls.structural_tag_model == key
        if fmt != "harmony":  # vLLM 0.31's own harmony tag yields no call on a non-gpt-oss model (issue 14)
            assert _calls(result) == [("get_weather", {"city": "Paris", "days": 3})]
        return
    result = run_chat(chat, engine, Script(encode(engine, sample(fmt, "single").text)), stream=False, tools=TOOLS, tool_choice="required")
    so = engine.seen[-1].structured_outputs
    assert so is not None and so.structural_tag is not None
    assert {LAYOUTS[fmt].begin_for("get_weather"), LAYOUTS[fmt].call_end} <= set(_tag_strings(json.loads(so.structural_tag)))
    assert _calls(result) == [("get_weather", {"city": "Paris", "days": 3})]
    assert chat.parser_cls.tool_parser_cls.structural_tag_model == MODEL_KEY


def _tag_strings(node: Any) -> list[str]:
    """Every ``begin`` / ``end`` string of a structural tag (nested)."""
    if isinstance(node, dict):
        own = [v for k, v in node.items() if k in ("begin", "end") and isinstance(v, str)]
        return own + [s for v in node.values() for s in _tag_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _tag_strings(v)]
    return []


def test_harmony_parser_accepted_on_gpt_oss_models() -> None:
    """vLLM forces HarmonyParser for model_type gpt_oss and accepts only GptOssToolParser subclasses there."""
    from vllm.tool_parsers.gptoss_tool_parser import GptOssToolParser

    from dyn_plugins.vllm.parser import PARSERS

    assert issubclass(PARSERS["harmony"], GptOssToolParser)
