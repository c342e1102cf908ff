"""Adversarial sizes: 1 MB of near-markers, huge string arguments, every format, in bounded time.

A parser with a backtracking regex or a quadratic rescan of its buffer takes seconds to minutes on
these inputs; a linear one takes tens of milliseconds. The bound (1 s per 1 MB one-shot parse, 3 s
for the same input streamed in 4-character chunks) is generous on purpose: it catches a blow-up,
not a slow CI machine.
"""

from __future__ import annotations

import json
import time

import pytest

from checked_streams import FORMATS, parse_chunks, sample_text
from dyn_plugins.formats import ParseResult, get_format
from dyn_plugins.samples import TOOLS

MB = 1_000_000
PARSE_BOUND_S = 1.0
STREAM_BOUND_S = 3.0


def near_markers(fmt: str) -> list[str]:
    """Strings one edit away from each of the format's markers: cut short, last char wrong, first char
    dropped, a middle char doubled, the opening char alone; plus JSON openers (the JSON family)."""
    out: list[str] = []
    for m in get_format(fmt).special_markers:
        mid = len(m) // 2
        out += [m[:-1], m[:-1] + "x", m[1:], m[:mid] + m[mid] + m[mid:], m[0], m[0] + " "]
    return out + ["{", '{"name', "[", '"arguments": {', "\\"]


def near_marker_text(fmt: str, start: str = "") -> str:
    """``start`` followed by near-markers and words until the text is at least 1 MB of UTF-8."""
    pieces = near_markers(fmt)
    unit = " w ".join(pieces) + " words between\n"
    reps = MB // len(unit.encode()) + 1
    return start + unit * reps


def stream(fmt: str, text: str, size: int, tools: object = TOOLS, buffered: bool = False) -> ParseResult:
    return parse_chunks(fmt, (text[i : i + size] for i in range(0, len(text), size)), tools, buffered=buffered)


def timed(fn, *args):  # type: ignore[no-untyped-def]
    """``fn(*args)`` and the CPU seconds it took: this process's own time, so that other jobs on a shared
    machine (CI builds the next suite's venvs meanwhile) do not count, while a blow-up still does."""
    t0 = time.process_time()
    result = fn(*args)
    return result, time.process_time() - t0


def _shapes(fmt: str) -> dict[str, str]:
    first = get_format(fmt).triggers[0]
    return {
        "outside-calls": near_marker_text(fmt),
        "inside-a-call": near_marker_text(fmt, start=first),
    }


@pytest.mark.parametrize("shape", ["outside-calls", "inside-a-call"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_one_mb_of_near_markers_parses_fast(fmt: str, shape: str) -> None:
    """1 MB of near-markers (outside calls, and after a real start marker): one-shot parse < 1 s,
    4-char streaming < 3 s, and both give the same result (no blow-up on either path)."""
    text = _shapes(fmt)[shape]
    assert len(text.encode()) >= MB
    one_shot, t_parse = timed(get_format(fmt).parse, text, TOOLS)
    assert t_parse < PARSE_BOUND_S, f"{fmt} {shape}: parse took {t_parse:.2f} s"
    for buffered in (True, False):
        streamed, t_stream = timed(stream, fmt, text, 4, TOOLS, buffered)
        assert t_stream < STREAM_BOUND_S, f"{fmt} {shape}: 4-char streaming (buffered={buffered}) took {t_stream:.2f} s"
        assert streamed == (one_shot if buffered else stream(fmt, text, len(text)))


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "harmony"])
def test_near_markers_outside_calls_lose_no_text(fmt: str) -> None:
    """Near-markers are not markers: with no call in the output, every character comes back as text
    (outer whitespace trimmed). Not harmony: marker-free output is no harmony message at all (as in Dynamo)."""
    text = " w ".join(p for p in near_markers(fmt) if p[:1] not in "{[") * 50
    result = get_format(fmt).parse(text, TOOLS)
    if result.calls:  # a near-marker that is a complete trigger of this format would be a bug in near_markers
        pytest.fail(f"{fmt}: near-markers produced calls: {result.calls[:2]}")
    assert result.normal_text == text.strip()


HUGE = ("Lorem ipsum dolor sit amet, 東京 café — " * 30000)[:MB]


@pytest.mark.parametrize("fmt", FORMATS)
def test_huge_string_argument(fmt: str) -> None:
    """A 1 MB string argument (an agent writing a file) comes back intact, one-shot and streamed, fast."""
    text = sample_text(fmt, "single").replace("Paris", HUGE)
    result, t_parse = timed(get_format(fmt).parse, text, TOOLS)
    assert t_parse < PARSE_BOUND_S, t_parse
    assert [c.name for c in result.calls] == ["get_weather"]
    assert json.loads(result.calls[0].arguments)["city"] == HUGE
    for buffered in (True, False):
        streamed, t_stream = timed(stream, fmt, text, 3, TOOLS, buffered)
        assert t_stream < STREAM_BOUND_S, (buffered, t_stream)
        assert streamed == result


_ESCAPED_UNIT = 'say \\"hi\\" \\\\ tab\\t line\\n café\\u00e9 a\\/b 東京 '
HUGE_ESCAPED = _ESCAPED_UNIT * (MB // len(_ESCAPED_UNIT) + 1)  # JSON string content, every escape kind, whole units


@pytest.mark.parametrize("size", [3, 4096])
@pytest.mark.parametrize("fmt", FORMATS)
def test_huge_escaped_string_argument(fmt: str, size: int) -> None:
    """A 1 MB string argument full of JSON escapes (quotes, backslashes, ``\\u``, ``\\/``), streamed in small and
    large chunks: live streaming checks each chunk's escapes before passing it straight through, and a chunk it
    turns away (a ``\\u`` escape) must cost linear time too, whatever its length."""
    text = sample_text(fmt, "single").replace("Paris", HUGE_ESCAPED)
    result, t_parse = timed(get_format(fmt).parse, text, TOOLS)
    assert t_parse < PARSE_BOUND_S, t_parse
    assert [c.name for c in result.calls] == ["get_weather"]
    for buffered in (True, False):
        streamed, t_stream = timed(stream, fmt, text, size, TOOLS, buffered)
        assert t_stream < STREAM_BOUND_S, (buffered, t_stream)
        assert streamed == result


LONG_WORD = ("get_weather_" + "a1b2c3" * (MB // 6))[:MB]  # one identifier-like word: no space, no marker


@pytest.mark.parametrize("with_tools", [True, False], ids=["tools", "no-tools"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_one_mb_word_streams_fast(fmt: str, with_tools: bool) -> None:
    """A 1 MB word with no space (a blob, a long identifier) streamed in 4-char chunks: a parser that holds a
    trailing word (glm47: it may name a bare body's function) must not rescan what it holds on every chunk."""
    tools = TOOLS if with_tools else None
    one_shot, t_parse = timed(get_format(fmt).parse, LONG_WORD, tools)
    assert t_parse < PARSE_BOUND_S, f"{fmt}: parse took {t_parse:.2f} s"
    for buffered in (True, False):
        streamed, t_stream = timed(stream, fmt, LONG_WORD, 4, tools, buffered)
        assert t_stream < STREAM_BOUND_S, f"{fmt}: 4-char streaming (buffered={buffered}) took {t_stream:.2f} s"
        assert streamed == one_shot


@pytest.mark.parametrize("fmt", FORMATS)
def test_huge_prose_is_kept_whole(fmt: str) -> None:
    """1 MB of prose before a call: all of it is the normal text (harmony: the analysis reasoning)."""
    call = sample_text(fmt, "single")
    if fmt == "harmony":
        call = call.replace("The user wants the weather in Paris.", HUGE)
        result = stream(fmt, call, 5)
        assert result.reasoning_text == HUGE and len(result.calls) == 1
        return
    result = stream(fmt, HUGE + "\n" + call, 5)
    assert result.normal_text.strip() == HUGE.strip() and len(result.calls) == 1
