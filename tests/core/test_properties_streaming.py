"""Streaming is chunk-invariant for ANY split of the output, and normal text is never lost.

Inputs: every fixture record's wire text and every recorded sample, plus generated marker soup;
splits: random cut points drawn by hypothesis. Buffered streaming must equal the one-shot parse for
every input; live streaming must give, for every split, what it gives for the whole text as one chunk
(live == one-shot on well-formed output is test_live_streaming.py). The recorded chunkings and the
one-char split are in test_conformance.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyn_plugins.formats import ALL_FORMAT_NAMES, FORMAT_NAMES, assemble, get_format, parse_stream
from dyn_plugins.reasoning import REASONING_FORMATS
from dyn_plugins.samples import TOOLS, samples
from fixture_data import parse_cases

CORPUS: dict[str, list[str]] = {name: [] for name in ALL_FORMAT_NAMES}
for _case in parse_cases():
    CORPUS[_case.format].append(_case.record["input"])
for _sample in samples():
    CORPUS[_sample.format].append(_sample.text)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:])]


def _soup(fmt: str) -> st.SearchStrategy[str]:
    markers = list(get_format(fmt).special_markers) + ['{"name": "f", "arguments": {"a": 1}}', "[", "}", '"', "\n", " "]
    prefixes = [m[: len(m) // 2] for m in markers if len(m) > 1]
    piece = st.one_of(st.sampled_from(markers), st.sampled_from(prefixes), st.text(max_size=6))
    return st.lists(piece, max_size=25).map("".join)


@pytest.mark.parametrize("fmt", sorted(CORPUS))
@SETTINGS
@given(data=st.data())
def test_random_split_of_real_outputs_equals_one_shot(fmt: str, data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(CORPUS[fmt]))
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=10**6), max_size=12))
    _check_both_modes(fmt, _split(text, cuts), TOOLS)


def _check_both_modes(fmt: str, chunks: list[str], tools: object) -> None:
    """Buffered: the one-shot parse. Live: the same as the whole text in one chunk."""
    text = "".join(chunks)
    assert parse_stream(fmt, chunks, tools, buffered=True) == get_format(fmt).parse(text, tools)
    assert parse_stream(fmt, chunks, tools) == parse_stream(fmt, [text], tools)


@pytest.mark.parametrize("fmt", sorted(CORPUS))
@SETTINGS
@given(data=st.data())
def test_random_split_of_marker_soup_equals_one_shot(fmt: str, data: st.DataObject) -> None:
    text = data.draw(_soup(fmt))
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=10**6), max_size=12))
    for buffered in (True, False):
        stream = get_format(fmt).stream(buffered=buffered)
        events = []
        for chunk in _split(text, cuts):
            events.extend(stream.feed(chunk))
        events.extend(stream.finish())
        assert not stream.failed, "the format machine raised"
        whole = get_format(fmt).parse(text) if buffered else parse_stream(fmt, [text])
        assert assemble(events) == whole, "the events fold to the one-shot result (buffered) / the one-chunk stream (live)"
    _check_both_modes(fmt, _split(text, cuts), None)


_PROSE = st.text(alphabet=st.characters(blacklist_characters="<>{}[]|｜\"", blacklist_categories=("Cs",)), max_size=80)


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@SETTINGS
@given(text=_PROSE, cuts=st.lists(st.integers(min_value=0, max_value=10**6), max_size=8))
def test_prose_without_markers_comes_back_whole(fmt: str, text: str, cuts: list[int]) -> None:
    """Text with no marker characters is the message: returned whole, only outer whitespace trimmed (harmony
    too, where Dynamo drops it: it is what skip_special_tokens leaves of a harmony answer)."""
    for buffered in (True, False):
        result = parse_stream(fmt, _split(text, cuts), buffered=buffered)
        assert result.calls == []
        assert result.normal_text.strip() == text.strip()


@pytest.mark.parametrize("fmt", sorted(CORPUS))
def test_partial_marker_is_held_then_released(fmt: str) -> None:
    """A chunk ending in the first half of a marker emits nothing of it until the next chunk decides."""
    marker = get_format(fmt).special_markers[0]
    half = marker[: max(1, len(marker) // 2)]
    stream = get_format(fmt).stream()
    events = stream.feed("Hello " + half)
    assert all(half not in getattr(e, "text", "") for e in events)
    rest = stream.feed("zzz") + stream.finish()
    text = "".join(getattr(e, "text", "") for e in events + rest)
    assert text == "Hello " + half + "zzz"


def _corrupt(text: str, data: st.DataObject) -> str:
    """A truncation, a deletion or a duplication somewhere in a real output."""
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 40)))
    how = data.draw(st.sampled_from(["truncate", "delete", "duplicate"]))
    if how == "truncate":
        return text[:i]
    if how == "delete":
        return text[:i] + text[j:]
    return text[:j] + text[i:j] + text[j:]


@pytest.mark.parametrize("fmt", sorted(CORPUS))
@SETTINGS
@given(data=st.data())
def test_random_split_of_corrupted_outputs_equals_one_shot(fmt: str, data: st.DataObject) -> None:
    text = _corrupt(data.draw(st.sampled_from(CORPUS[fmt])), data)
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=10**6), max_size=12))
    _check_both_modes(fmt, _split(text, cuts), TOOLS)


@pytest.mark.parametrize("fmt", sorted(CORPUS))
@SETTINGS
@given(text=st.text(max_size=60), cuts=st.lists(st.integers(min_value=0, max_value=10**6), max_size=8))
def test_arbitrary_unicode_never_raises(fmt: str, text: str, cuts: list[int]) -> None:
    """Any text (surrogates, control characters, astral planes) parses, streamed or not, identically."""
    for buffered in (True, False):
        stream = get_format(fmt).stream(TOOLS, buffered=buffered)
        events = []
        for chunk in _split(text, cuts):
            events.extend(stream.feed(chunk))
        events.extend(stream.finish())
        assert not stream.failed
    _check_both_modes(fmt, _split(text, cuts), TOOLS)


@pytest.mark.parametrize("fmt", sorted(CORPUS))
def test_every_cut_inside_every_marker(fmt: str) -> None:
    """Each marker of a real output split at each of its inner positions (next to multi-byte characters too)."""
    text = next(t for t in CORPUS[fmt] if any(m in t for m in get_format(fmt).special_markers))
    expected = get_format(fmt).parse(text, TOOLS)
    for marker in get_format(fmt).special_markers:
        at = text.find(marker)
        if at < 0:
            continue
        for k in range(1, len(marker)):
            cut = at + k
            assert parse_stream(fmt, [text[:cut], text[cut:]], TOOLS, buffered=True) == expected, (marker, k)
            assert parse_stream(fmt, [text[:cut], text[cut:]], TOOLS) == parse_stream(fmt, [text], TOOLS), (marker, k)


def _reasoning_soup(fmt: str) -> st.SearchStrategy[str]:
    rf = REASONING_FORMATS[fmt]
    markers = [*rf.starts, *rf.ends, " ", "\n", "x"]
    prefixes = [m[: len(m) // 2] for m in markers if len(m) > 1]
    piece = st.one_of(st.sampled_from(markers), st.sampled_from(prefixes), st.text(max_size=6))
    return st.lists(piece, max_size=25).map("".join)


@pytest.mark.parametrize("fmt", sorted(REASONING_FORMATS))
@SETTINGS
@given(data=st.data())
def test_reasoning_split_is_chunk_invariant(fmt: str, data: st.DataObject) -> None:
    """kimi / granite: the (reasoning, answer) split of marker soup is the same for any chunking."""
    rf = REASONING_FORMATS[fmt]
    text = data.draw(_reasoning_soup(fmt))
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=10**6), max_size=12))
    stream = rf.stream()
    parts = [stream.feed(c) for c in _split(text, cuts)] + [stream.finish()]
    split = ("".join(p[0] for p in parts), "".join(p[1] for p in parts))
    assert split == rf.parse(text)
