"""Dynamo's conformance matrix, run one-shot and streaming for every format.

Each ``kind: parse`` record of tests/fixtures/dynamo is checked three ways: the one-shot parse, the
record's own chunking (stream records), and one character per chunk (the worst split for partial
markers). Where we deliberately differ from Dynamo, tests/fixtures/deviations.json says what we give
instead and why; those expectations are checked the same way.
"""

from __future__ import annotations

import pytest

from dyn_plugins.formats import get_format, parse_stream

from dyn_plugins.reasoning import get_reasoning_format

from fixture_data import REASONING_FILES, Case, mismatches, parse_cases, reasoning_cases

CASES = parse_cases()
STREAMED = [c for c in CASES if c.chunks]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_one_shot(case: Case) -> None:
    result = get_format(case.format).parse(case.record["input"], case.tools)
    assert mismatches(case, result.normal_text, result.calls, result.reasoning_text) == []


@pytest.mark.parametrize("case", STREAMED, ids=lambda c: c.id)
def test_recorded_chunks(case: Case) -> None:
    result = parse_stream(case.format, case.chunks or [], case.tools)
    assert mismatches(case, result.normal_text, result.calls, result.reasoning_text) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_one_char_per_chunk(case: Case) -> None:
    result = parse_stream(case.format, list(case.record["input"]), case.tools)
    assert mismatches(case, result.normal_text, result.calls, result.reasoning_text) == []


@pytest.mark.parametrize("record", reasoning_cases(), ids=lambda r: r["name"])
def test_harmony_reasoning_text(record: dict) -> None:
    """The analysis channel comes back as reasoning text, as Dynamo's gpt_oss reasoning parser gives it."""
    chunks = [c["delta_text"] if isinstance(c, dict) else c for c in record.get("chunks") or [record["input"]]]
    result = parse_stream("harmony", chunks)
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
