"""The public API other code relies on: names, errors, result types, engine independence."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from typing import Any

from dyn_plugins.formats import FORMAT_NAMES, ParseResult, ToolCall, assemble, get_format, parse_stream
from dyn_plugins.formats.machine import END_OF_TURN
from dyn_plugins.samples import TOOLS, samples

SEVEN = ("glm47", "jamba", "nemotron_deci", "deepseek_v3_1", "harmony", "deepseek_v3_2", "default")


def test_format_names_are_the_seven_dynamo_formats() -> None:
    assert isinstance(FORMAT_NAMES, tuple)
    assert set(FORMAT_NAMES) == set(SEVEN) and len(FORMAT_NAMES) == 7


@pytest.mark.parametrize("name", ["glm4", "hermes", "", "GLM47"])
def test_unknown_format_raises_key_error_listing_valid_names(name: str) -> None:
    with pytest.raises(KeyError) as info:
        get_format(name)
    message = str(info.value)
    assert all(valid in message for valid in SEVEN)


@pytest.mark.parametrize("name", SEVEN)
def test_get_format_is_named_and_cached(name: str) -> None:
    fmt = get_format(name)
    assert fmt.name == name and get_format(name) is fmt


@pytest.mark.parametrize("sample", samples(), ids=lambda s: f"{s.format}-{s.scenario}")
def test_arguments_are_json_object_text(sample) -> None:
    """Every call's ``arguments`` is the text of a JSON object (what OpenAI clients json.loads)."""
    result = get_format(sample.format).parse(sample.text, TOOLS)
    assert isinstance(result, ParseResult)
    for call in result.calls:
        assert isinstance(call, ToolCall)
        assert isinstance(json.loads(call.arguments), dict)


@pytest.mark.parametrize("sample", samples(), ids=lambda s: f"{s.format}-{s.scenario}")
def test_parse_stream_matches_parse_on_recorded_outputs(sample) -> None:
    """Buffered streaming is the one-shot parse; so is live streaming, except that a call cut off by
    max_tokens after its name stays announced (arguments closed) where the one-shot parse drops it."""
    one_shot = get_format(sample.format).parse(sample.text, TOOLS)
    chunks = [sample.text[i : i + 3] for i in range(0, len(sample.text), 3)]
    assert parse_stream(sample.format, chunks, TOOLS, buffered=True) == one_shot
    live = parse_stream(sample.format, chunks, TOOLS)
    assert live.normal_text == one_shot.normal_text
    extra = CUT_CALLS_KEPT_LIVE.get(sample.format, []) if sample.scenario == "truncated" else []
    assert [(c.name, json.loads(c.arguments)) for c in live.calls] == [(c.name, json.loads(c.arguments)) for c in one_shot.calls] + extra


_CUT = ("get_time", {"timezone": "Asia/To"})
#: the truncated samples' calls that the one-shot parse drops and live streaming keeps (it announced them);
#: jamba / nemotron_deci / default repair the cut payload in one-shot too; phi4's one-shot finds no call at all
CUT_CALLS_KEPT_LIVE: dict[str, list[tuple[str, dict]]] = {
    "glm47": [_CUT],
    "deepseek_v3_1": [_CUT],
    "harmony": [_CUT],
    "deepseek_v3_2": [_CUT],
    "qwen3": [_CUT],
    "phi4": [("get_weather", {"city": "Tokyo"}), _CUT],
}


def test_expected_calls_of_recorded_samples() -> None:
    """Hand-written expectations for the scenario every format shares: one get_weather call."""
    for fmt in SEVEN:
        calls = get_format(fmt).parse(next(s.text for s in samples(fmt) if s.scenario == "single"), TOOLS).calls
        assert [(c.name, json.loads(c.arguments)) for c in calls] == [("get_weather", {"city": "Paris", "days": 3})], fmt


def test_formats_import_without_any_engine() -> None:
    """``dyn_plugins`` and ``dyn_plugins.formats`` must not pull in vllm, sglang or torch."""
    code = (
        "import sys, dyn_plugins, dyn_plugins.formats, dyn_plugins.names\n"
        "from dyn_plugins.formats import FORMAT_NAMES, get_format\n"
        "[get_format(n).parse('x') for n in FORMAT_NAMES]\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('vllm', 'sglang', 'torch')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_stream_never_raises_into_the_engine(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A bug in a format machine degrades to passing text through, logged, never an exception."""
    stream = get_format("glm47").stream()

    def boom(_text: str) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(stream._machine, "on_text", boom)
    with caplog.at_level("ERROR", logger="dyn_plugins"):
        assert [e.text for e in stream.feed("hello")] == ["hello"]
        assert stream.failed
        assert [e.text for e in stream.feed(" <tool_call>x")] == [" <tool_call>x"]
        assert stream.finish() == [] and not stream.call_pending()
    assert caplog.text.count("glm47 parser failed") == 1


def test_harmony_reasoning_is_exposed_and_not_content() -> None:
    text = "<|channel|>analysis<|message|>Think first.<|end|><|start|>assistant<|channel|>final<|message|>Answer.<|return|>"
    result = get_format("harmony").parse(text)
    assert (result.reasoning_text, result.normal_text, result.calls) == ("Think first.", "Answer.", [])


# (harmony output whose <|call|> stop token an engine trimmed, is a call pending?)
TRIMMED_CALL: list[tuple[str, bool]] = [
    ('<|channel|>commentary to=functions.f <|constrain|>json<|message|>{"a": 1}', True),
    ('<|channel|>commentary to=functions.f <|constrain|>json<|message|>{"a": ', False),
    ("<|channel|>final<|message|>Done", False),
    ('<|channel|>commentary to=functions.f <|constrain|>json<|message|>{"a": 1}<|call|>', False),
]


@pytest.mark.parametrize(("text", "pending"), TRIMMED_CALL)
def test_harmony_call_pending_when_stop_token_trimmed(text: str, pending: bool) -> None:
    """Engines trim the stop token <|call|>; adapters feed it back only for a complete call."""
    fmt = get_format("harmony")
    stream = fmt.stream()
    stream.feed(text)
    assert stream.call_pending() is pending
    assert fmt.stop_marker == "<|call|>"
    if pending:
        stream = fmt.stream(buffered=True)
        stream.feed(text)
        events = stream.feed(fmt.stop_marker) + stream.finish()
        assert [type(e).__name__ for e in events] == ["CallStart", "ArgsDelta"]


# (format, output with a stray marker before a real call, expected calls, expected normal text): where Dynamo's
# fixtures are silent (seen from a real vLLM server: free text before a constrained call held a lone call-begin)
STRAY_MARKERS: list[tuple[str, str, list[tuple[str, dict]], str]] = [
    (
        "deepseek_v3_1",
        'Hi<｜tool▁call▁begin｜>x<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{"timezone": "UTC"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        [("get_time", {"timezone": "UTC"})],
        "Hi",
    ),
    (
        "deepseek_v3_1",
        '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        [("get_time", {})],
        "",
    ),
]


@pytest.mark.parametrize(("fmt", "text", "calls", "normal"), STRAY_MARKERS)
def test_stray_marker_before_a_call_is_not_part_of_it(fmt: str, text: str, calls: list[tuple[str, dict]], normal: str) -> None:
    """One-shot, buffered and live streaming (one character per chunk) give the real call only."""
    results = [get_format(fmt).parse(text, TOOLS)] + [parse_stream(fmt, list(text), TOOLS, buffered=b) for b in (True, False)]
    for result in results:
        assert [(c.name, json.loads(c.arguments)) for c in result.calls] == calls
        assert result.normal_text == normal


def _all_modes(fmt: str, text: str) -> list[Any]:
    """One-shot, buffered and live streaming (one character per chunk) of ``text``."""
    return [get_format(fmt).parse(text, TOOLS)] + [parse_stream(fmt, list(text), TOOLS, buffered=b) for b in (True, False)]


# (format, output as the model wrote it before its end-of-turn token, expected calls, expected normal text): the
# answer must not depend on whether the engine trimmed that token (seen with real Llama 3 / DeepSeek tokens)
END_OF_TURN_CASES: list[tuple[str, str, list[tuple[str, dict]], str]] = [
    ("default", '{"name": "get_weather", "parameters": {"city": "Paris"}}', [("get_weather", {"city": "Paris"})], ""),
    ("default", '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}', [("get_weather", {"city": "Paris"})], ""),
    ("nemotron_deci", '<TOOLCALL>[{"name": "get_weather", "arguments": {"city": "Paris"}}]', [("get_weather", {"city": "Paris"})], ""),
    ("nemotron_deci", '<TOOLCALL>[{"name": "get_weather", "arguments": {"city": "Paris"}}]</TOOLCALL>', [("get_weather", {"city": "Paris"})], ""),
    ("jamba", '<tool_calls>[{"name": "get_weather", "arguments": {"city": "Paris"}}]</tool_calls>', [("get_weather", {"city": "Paris"})], ""),
    ("glm47", "Sure.<tool_call>get_weather<arg_key>city</arg_key><arg_value>Paris</arg_value></tool_call>", [("get_weather", {"city": "Paris"})], "Sure."),
    ("deepseek_v3_1", '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{"city": "Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>', [("get_weather", {"city": "Paris"})], ""),
    ("harmony", "<|channel|>final<|message|>It is sunny.", [], "It is sunny."),
]


@pytest.mark.parametrize("eot", END_OF_TURN)
@pytest.mark.parametrize(("fmt", "text", "calls", "normal"), END_OF_TURN_CASES)
def test_end_of_turn_token_at_the_end_changes_nothing(fmt: str, text: str, calls: list[tuple[str, dict]], normal: str, eot: str) -> None:
    for tail in ("", eot, eot + "\n"):
        for result in _all_modes(fmt, text + tail):
            assert [(c.name, json.loads(c.arguments)) for c in result.calls] == calls, tail
            assert result.normal_text == normal, tail


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_end_of_turn_token_followed_by_text_stays_text(fmt: str) -> None:
    header = "<|channel|>final<|message|>" if fmt == "harmony" else ""  # harmony: text is a final message's
    for result in _all_modes(fmt, header + "Hi <|eot_id|> there"):
        assert result.normal_text == "Hi <|eot_id|> there"


# <|python_tag|> payloads docs/formats.md accepts: ;-separated objects, one followed by prose, a second tag
PYTHON_TAG_CASES: list[tuple[str, list[tuple[str, dict]]]] = [
    ('<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "parameters": {"timezone": "UTC"}}',
     [("get_weather", {"city": "Paris"}), ("get_time", {"timezone": "UTC"})]),
    ('<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}} I will report back.', [("get_weather", {"city": "Paris"})]),
    ('<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}<|python_tag|>{"name": "get_time", "parameters": {"timezone": "UTC"}}',
     [("get_weather", {"city": "Paris"}), ("get_time", {"timezone": "UTC"})]),
    # cut by max_tokens: the object the output broke off in is closed (truncated-JSON repair)
    ('<|python_tag|>{"name": "get_weather", "parameters": {"city": "Par', [("get_weather", {"city": "Par"})]),
    ('<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "parameters": {"timezone": "Asia/To',
     [("get_weather", {"city": "Paris"}), ("get_time", {"timezone": "Asia/To"})]),
]


@pytest.mark.parametrize(("text", "calls"), PYTHON_TAG_CASES)
def test_default_python_tag_payloads(text: str, calls: list[tuple[str, dict]]) -> None:
    for result in _all_modes("default", text):
        assert [(c.name, json.loads(c.arguments)) for c in result.calls] == calls


# harmony call messages as an engine leaves them when it trims the stop token <|call|>
TRIMMED_CALL = [
    ('<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city": "Paris"}', [("get_weather", {"city": "Paris"})]),
    ('<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather<|message|>{"city": "Paris"}',
     [("get_weather", {"city": "Paris"})]),
]


@pytest.mark.parametrize(("text", "calls"), TRIMMED_CALL)
def test_engine_output_with_trimmed_stop_marker_keeps_its_call(text: str, calls: list[tuple[str, dict]]) -> None:
    """``parse_output`` / ``finish_output`` (what the adapters use) give the call with or without ``<|call|>``,
    one-shot and streamed (one character per chunk) in both modes; ``parse`` stays Dynamo's: no ``<|call|>``, no call."""
    fmt = get_format("harmony")
    assert fmt.parse(text, TOOLS).calls == []
    for tail in ("", "<|call|>"):
        results = [fmt.parse_output(text + tail, TOOLS)]
        for buffered in (True, False):
            stream = fmt.stream(TOOLS, buffered=buffered)
            results.append(assemble([e for ch in text + tail for e in stream.feed(ch)] + stream.finish_output()))
        for result in results:
            assert [(c.name, json.loads(c.arguments)) for c in result.calls] == calls, (tail, result)


def test_live_call_after_a_dropped_preview_is_not_repeated() -> None:
    """Live mode announced a call whose object the decision drops (``NaN`` is not JSON): the announced call stays
    (never retracted, arguments closed) and the next call is settled with its own preview, not sent twice."""
    text = ('<|python_tag|>{"name": "search_web", "parameters": {"x": NaN}}'
            '<|python_tag|>{"name": "get_time", "parameters": {"timezone": "UTC"}}}')
    assert [(c.name, json.loads(c.arguments)) for c in get_format("default").parse(text, TOOLS).calls] == [("get_time", {"timezone": "UTC"})]
    live = parse_stream("default", list(text), TOOLS)
    assert [(c.name, json.loads(c.arguments)) for c in live.calls] == [("search_web", {}), ("get_time", {"timezone": "UTC"})]
