"""Dynamo's conformance matrix, run one-shot and streamed in both delivery modes for every format.

Each ``kind: parse`` record of tests/fixtures/dynamo is checked as a one-shot parse, and streamed with
the record's own chunking (stream records), one character per chunk (the worst split for partial
markers) and as one chunk, buffered (whole calls, Dynamo's jail) and live (calls announced early, argument
bytes as they arrive). Where we deliberately differ from Dynamo, tests/fixtures/deviations.json says what
we give instead and why; entries with ``"mode": "live"`` are the malformed outputs where live delivery
cannot match the one-shot parse (a call it had already announced). Every other record streams live to
exactly what Dynamo expects.
"""

from __future__ import annotations

import pytest

from dyn_plugins.formats import get_format, parse_stream

from dyn_plugins.reasoning import get_reasoning_format

from fixture_data import REASONING_FILES, Case, live_deviations, mismatches, parse_cases, reasoning_cases

CASES = parse_cases()
LIVE = parse_cases("live")


def _splits(case: Case) -> dict[str, list[str]]:
    text = case.record["input"]
    out = {"one char per chunk": list(text), "one chunk": [text]}
    if case.chunks:
        out["recorded chunks"] = case.chunks
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_one_shot(case: Case) -> None:
    result = get_format(case.format).parse(case.record["input"], case.tools)
    assert mismatches(case, result.normal_text, result.calls, result.reasoning_text) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_buffered_stream(case: Case) -> None:
    for how, chunks in _splits(case).items():
        result = parse_stream(case.format, chunks, case.tools, buffered=True)
        assert mismatches(case, result.normal_text, result.calls, result.reasoning_text) == [], how


@pytest.mark.parametrize("case", LIVE, ids=lambda c: c.id)
def test_live_stream(case: Case) -> None:
    for how, chunks in _splits(case).items():
        result = parse_stream(case.format, chunks, case.tools)
        assert mismatches(case, result.normal_text, result.calls, result.reasoning_text) == [], how


@pytest.mark.parametrize("dev", live_deviations(), ids=lambda d: f"{d['file']}:{d['name']}")
def test_live_deviation_is_needed(dev: dict) -> None:
    """A live-mode deviation is listed only where the one-shot parse really gives something else."""
    case = next(c for c in CASES if (c.file, c.record["name"]) == (dev["file"], dev["name"]))
    result = get_format(case.format).parse(case.record["input"], case.tools)
    live_case = next(c for c in LIVE if c.id == case.id)
    assert mismatches(live_case, result.normal_text, result.calls, result.reasoning_text) != []
    assert dev["why"]


@pytest.mark.parametrize("record", reasoning_cases(), ids=lambda r: r["name"])
def test_harmony_reasoning_text(record: dict) -> None:
    """The analysis channel comes back as reasoning text, as Dynamo's gpt_oss reasoning parser gives it."""
    chunks = [c["delta_text"] if isinstance(c, dict) else c for c in record.get("chunks") or [record["input"]]]
    for buffered in (True, False):
        result = parse_stream("harmony", chunks, buffered=buffered)
        assert result.reasoning_text.strip() == (record["expected_reasoning_text"] or "").strip()


def test_matrix_covers_every_format() -> None:
    """Each of the seven formats and each variant (DSML V4, phi4, qwen3) has records in the matrix."""
    from dyn_plugins.formats import FORMAT_NAMES, VARIANTS

    assert {c.format for c in CASES} == set(FORMAT_NAMES) | set(VARIANTS)


REASONING = [(fmt, r) for file, fmt in REASONING_FILES.items() for r in reasoning_cases(file)]


def _reasoning_splits(record: dict) -> list[list[str]]:
    """The record's own chunks (or the whole input) and one character per chunk."""
    chunks = [c["delta_text"] if isinstance(c, dict) else c for c in record.get("chunks") or [record["input"]]]
    return [chunks, list("".join(chunks))]


@pytest.mark.parametrize(("fmt", "record"), REASONING, ids=lambda v: v if isinstance(v, str) else v["name"])
def test_reasoning_format(fmt: str, record: dict) -> None:
    """kimi / granite reasoning: Dynamo's split (compared trimmed), for the recorded chunks and one char per chunk."""
    for chunks in _reasoning_splits(record):
        stream = get_reasoning_format(fmt).stream(record["in_reasoning"])
        parts = [stream.feed(c) for c in chunks] + [stream.finish()]
        reasoning, answer = "".join(p[0] for p in parts), "".join(p[1] for p in parts)
        assert (reasoning.strip(), answer.strip()) == ((record["expected_reasoning_text"] or "").strip(), (record["expected_normal_text"] or "").strip())
