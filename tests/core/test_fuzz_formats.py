"""Fuzzing every format at volume: no failure, streaming == one-shot for any chunking, no text lost.

Two engines: a seeded generator loop (the volume: thousands of inputs per format and family in a
few seconds) and hypothesis (structured soup with shrinking). Families: marker soup, every prefix of
realistic outputs (truncation at every position), corrupted JSON payloads, deep nesting, lone
surrogates and invalid UTF-8 decoded to text, each input streamed in a random chunking.

"No failure" is checked on the machine, not on the stream (which swallows exceptions and passes the
rest through as text): ``FormatStream.failed`` must stay False and the ``dyn_plugins`` logger must
log no error. Scale with ``DYN_PLUGINS_FUZZ_SCALE`` (default 3 = the CI budget; each input runs buffered and live: see the count printed
at the end and DEVELOPERS.md ## Benchmark). The seed rotates every hour (default: UTC ``YYYYMMDDHH``),
so the generated families (soup, corrupted JSON, broken UTF-8, prose) are new inputs on every run and
accumulate across CI runs; ``DYN_PLUGINS_FUZZ_SEED`` (or ``DYN_FUZZ_SEED``) pins it to reproduce a
failure (each failure message names it). ``DYN_PLUGINS_FUZZ_LOG=path`` appends the per-family input
counts as a JSON line.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checked_streams import FORMATS, parse_chunks, sample_texts
from dyn_plugins.formats import ParseResult, get_format
from dyn_plugins.samples import TOOLS

SCALE = float(os.environ.get("DYN_PLUGINS_FUZZ_SCALE", "3"))
#: rotates every hour (UTC) so successive CI runs explore new inputs; printed at the end and in every
#: failure message: rerun with DYN_PLUGINS_FUZZ_SEED=<seed> to reproduce
SEED = int(os.environ.get("DYN_PLUGINS_FUZZ_SEED") or os.environ.get("DYN_FUZZ_SEED") or time.strftime("%Y%m%d%H", time.gmtime()))
#: Rust's str::trim whitespace (the formats trim with it, not with Python's str.strip)
WS = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

#: inputs run per test in this process, reported by the session summary (tests/core: -rA or -s)
COUNTS: dict[str, int] = {}


def _n(base: int) -> int:
    return max(1, int(base * SCALE))


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_logged_errors() -> Iterator[None]:
    """Every test here also fails if a stream logged an error (its machine raised and was swallowed)."""
    handler = _ErrorLog()
    logger = logging.getLogger("dyn_plugins")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.records, [r.getMessage() for r in handler.records]


# -- running one input -----------------------------------------------------------------------------


def run(fmt: str, chunks: list[str], tools: object = TOOLS, *, buffered: bool = True) -> ParseResult:
    """Stream ``chunks`` through a fresh stream; fail if the machine itself raised (naming the seed). Live
    streams (``buffered=False``) must also end every call with JSON-object arguments."""
    return parse_chunks(fmt, chunks, tools, f" (DYN_PLUGINS_FUZZ_SEED={SEED})", buffered=buffered)


def chunking(text: str, rng: random.Random) -> list[str]:
    """A random chunking: 1-4 characters (tokens), occasionally longer runs, sometimes one chunk."""
    mode = rng.random()
    if mode < 0.1:
        return [text]
    if mode < 0.2:
        return list(text)
    out, i = [], 0
    while i < len(text):
        n = rng.randint(1, 4) if rng.random() < 0.9 else rng.randint(5, 40)
        out.append(text[i : i + n])
        i += n
    return out


JSON_FAMILY = ("jamba", "nemotron_deci", "default", "phi4")


def check(fmt: str, text: str, rng: random.Random) -> ParseResult:
    """The invariants every input must satisfy, in both delivery modes: no failure; any chunking gives the
    same result as one chunk (buffered: the one-shot parse); live arguments are JSON objects; live loses
    no normal text (the JSON family's live commit to a bare call at the start turns its JSON into the call)."""
    one_shot = get_format(fmt).parse(text, TOOLS)
    streamed = run(fmt, chunking(text, rng))
    assert streamed == one_shot, (f"DYN_PLUGINS_FUZZ_SEED={SEED}", fmt, text[:300])
    live = run(fmt, chunking(text, rng), buffered=False)
    assert live == run(fmt, [text], buffered=False), (f"DYN_PLUGINS_FUZZ_SEED={SEED}", "live", fmt, text[:300])
    if fmt not in JSON_FAMILY or not live.calls:
        assert live.normal_text == one_shot.normal_text, (f"DYN_PLUGINS_FUZZ_SEED={SEED}", "live", fmt, text[:300])
    return one_shot


# -- generators --------------------------------------------------------------------------------------


_TEXT_PIECES = (
    "Hello", " ", "\n", "\t", "get_weather", "get_time", "city", "Paris", '"', "'", ":", ",", "\\", "\\u12",
    "{", "}", "[", "]", '{"name": "get_weather", "arguments": {"city": "Paris"}}', '"arguments"', '"parameters"',
    "functions.get_time", " to=", "commentary", "final", "analysis", "json", "é", "東京", "😀", "\u2028", "\x00",
    "\ud800", "\udfff", "true", "1e400", "NaN", "-0", 'name="x"', 'string="false"', ">", "<", "</", "<|", "<｜",
)


def soup(fmt: str, rng: random.Random) -> str:
    """Random sequence of the format's markers, their prefixes and suffixes, JSON bits and text."""
    markers = get_format(fmt).special_markers
    parts = []
    for _ in range(rng.randint(1, 30)):
        r = rng.random()
        m = rng.choice(markers)
        if r < 0.35:
            parts.append(m)
        elif r < 0.45:
            parts.append(m[: rng.randint(1, len(m) - 1)])
        elif r < 0.5:
            parts.append(m[rng.randint(1, len(m) - 1) :])
        elif r < 0.9:
            parts.append(rng.choice(_TEXT_PIECES))
        else:
            parts.append("".join(chr(rng.randint(0x20, 0x2FFF)) for _ in range(rng.randint(1, 5))))
    return "".join(parts)


_JSON_BREAKERS = ('"', "{", "}", "[", "]", ",", ":", "\\", "\n", "", "nul", "tru", "1.", "-", "\\u", "\x01")


def corrupt_json(text: str, rng: random.Random) -> str:
    """A realistic output with 1-3 edits at JSON-structural positions (insert, delete, replace)."""
    for _ in range(rng.randint(1, 3)):
        spots = [i for i, c in enumerate(text) if c in '{}[]":,\\'] or [len(text)]
        i = rng.choice(spots)
        how = rng.random()
        if how < 0.33:
            text = text[:i] + text[i + 1 :]
        elif how < 0.66:
            text = text[:i] + rng.choice(_JSON_BREAKERS) + text[i:]
        else:
            text = text[:i] + rng.choice(_JSON_BREAKERS) + text[i + 1 :]
    return text


def garbled(rng: random.Random, base: str) -> str:
    """Text as an engine would hand it over after decoding broken bytes: surrogate escapes, U+FFFD, lone surrogates."""
    raw = bytearray(base.encode("utf-8"))
    for _ in range(rng.randint(1, 6)):
        i = rng.randint(0, len(raw))
        raw[i:i] = bytes(rng.randint(0x80, 0xFF) for _ in range(rng.randint(1, 3)))
    errors = rng.choice(("surrogateescape", "replace", "surrogatepass", "ignore"))
    try:
        text = bytes(raw).decode("utf-8", errors=errors)
    except UnicodeDecodeError:
        text = bytes(raw).decode("utf-8", errors="replace")
    if rng.random() < 0.5:
        i = rng.randint(0, len(text))
        text = text[:i] + chr(rng.randint(0xD800, 0xDFFF)) + text[i:]
    return text


def _loop(fmt: str, key: str, n: int, make: Callable[[random.Random], str]) -> None:
    rng = random.Random(f"{SEED}-{fmt}-{key}")
    for _ in range(n):
        check(fmt, make(rng), rng)
    COUNTS[f"{key}:{fmt}"] = n


# -- the seeded volume loop ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_marker_soup(fmt: str) -> None:
    """Random marker/text sequences never break the machine and stream exactly like one-shot."""
    _loop(fmt, "soup", _n(2500), lambda rng: soup(fmt, rng))


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncation_at_every_position(fmt: str) -> None:
    """Every prefix of every realistic output (the output cut off by max_tokens or a disconnect)."""
    rng = random.Random(f"{SEED}-{fmt}-trunc")
    n = 0
    for _ in range(max(1, int(SCALE))):
        for text in sample_texts(fmt):
            for cut in range(len(text) + 1):
                check(fmt, text[:cut], rng)
                n += 1
    COUNTS[f"truncation:{fmt}"] = n


@pytest.mark.parametrize("fmt", FORMATS)
def test_corrupted_json(fmt: str) -> None:
    """Realistic outputs with broken JSON (missing quotes/braces, stray escapes, bad literals)."""
    texts = sample_texts(fmt)
    _loop(fmt, "json", _n(1500), lambda rng: corrupt_json(rng.choice(texts), rng))


@pytest.mark.parametrize("fmt", FORMATS)
def test_invalid_utf8_and_surrogates(fmt: str) -> None:
    """Outputs whose bytes were broken and decoded leniently (surrogate escapes, U+FFFD, lone surrogates)."""
    texts = sample_texts(fmt)
    _loop(fmt, "utf8", _n(600), lambda rng: garbled(rng, rng.choice(texts)))


@pytest.mark.parametrize("fmt", FORMATS)
def test_prose_without_marker_characters_is_kept(fmt: str) -> None:
    """No normal-text character is lost: prose with none of the format's marker first characters and no
    ``{``/``[`` comes back as the whole message, trimmed of outer whitespace (Rust ``trim``), for every
    chunking (harmony too: marker-free output is what skip_special_tokens leaves of an answer)."""
    starts = {m[0] for m in get_format(fmt).special_markers} | set("{[")
    alphabet = [c for c in "abcdefghij XYZ_.,;!?-0123456789\n\t\"'/é東😀\u00a0\u3000" if c not in starts]
    rng = random.Random(f"{SEED}-{fmt}-prose")
    n = _n(800)
    for _ in range(n):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        result = check(fmt, text, rng)
        assert result.calls == []
        assert result.normal_text == text.strip(WS), repr(text)
    COUNTS[f"prose:{fmt}"] = n


@pytest.mark.parametrize("fmt", FORMATS)
def test_prose_before_a_call_is_kept(fmt: str) -> None:
    """Prose (no marker characters) before a real call is never lost: it starts the normal text."""
    starts = {m[0] for m in get_format(fmt).special_markers} | set("{[")
    alphabet = [c for c in "abcdefghij XYZ_.,;!?-0123456789\n\"'é東" if c not in starts]
    parsed = [(t, get_format(fmt).parse(t, TOOLS)) for t in sample_texts(fmt)]
    calls = [t for t, r in parsed if r.calls and not r.normal_text]
    rng = random.Random(f"{SEED}-{fmt}-before")
    n = _n(400)
    for _ in range(n):
        prose = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        call = rng.choice(calls)
        result = check(fmt, prose + " " + call, rng)
        assert result.calls, (prose, call)
        assert result.normal_text.startswith(prose.strip(WS)), (prose, result.normal_text)
    COUNTS[f"before:{fmt}"] = n


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", ["array", "object", "call-args", "string-escapes"])
def test_deep_nesting(fmt: str, shape: str) -> None:
    """10,000 levels of nesting where each format expects JSON (and as bare text): no recursion failure."""
    depth = 10_000
    nested = {
        "array": "[" * depth + "1" + "]" * depth,
        "object": '{"a":' * depth + "1" + "}" * depth,
        "call-args": '{"x":' + "[" * depth + "]" * depth + "}",
        "string-escapes": '{"x": "' + "\\\\" * depth + '"}',
    }[shape]
    texts = [nested, nested[: len(nested) // 2]]  # complete and truncated
    texts += [t.replace('{"city": "Paris", "days": 3}', nested) for t in sample_texts(fmt)]
    texts += [t.replace('{"city": "Tokyo"}', nested).replace("Tokyo", nested) for t in sample_texts(fmt)]
    rng = random.Random(f"{SEED}-{fmt}-deep-{shape}")
    for text in texts:
        check(fmt, text, rng)
    COUNTS[f"deep-{shape}:{fmt}"] = len(texts)


_HYPO = settings(max_examples=_n(150), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _soup_strategy(fmt: str) -> st.SearchStrategy[str]:
    markers = list(get_format(fmt).special_markers)
    halves = [m[: len(m) // 2] for m in markers] + [m[len(m) // 2 :] for m in markers]
    piece = st.one_of(
        st.sampled_from(markers),
        st.sampled_from(halves),
        st.sampled_from(_TEXT_PIECES),
        st.text(max_size=8),
    )
    return st.lists(piece, max_size=40).map("".join)


@pytest.mark.parametrize("fmt", FORMATS)
@_HYPO
@given(data=st.data())
def test_hypothesis_soup_any_chunking(fmt: str, data: st.DataObject) -> None:
    """Hypothesis-built soup, cut at hypothesis-chosen points: same result as one-shot, no failure."""
    text = data.draw(_soup_strategy(fmt))
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=20))))
    bounds = [0, *cuts, len(text)]
    chunks = [text[a:b] for a, b in zip(bounds, bounds[1:])]
    for buffered in (True, False):
        assert run(fmt, chunks, buffered=buffered) == run(fmt, [text], buffered=buffered)
    COUNTS[f"hypothesis:{fmt}"] = COUNTS.get(f"hypothesis:{fmt}", 0) + 1


def test_tools_variants_do_not_matter_for_safety() -> None:
    """No tools, an empty list and odd tool specs (non-dict schemas) never break a machine."""
    odd = [{"type": "function", "function": {"name": "get_weather", "parameters": "not a schema"}}, {"name": 3}, {}]
    rng = random.Random(SEED)
    n = 0
    for fmt in FORMATS:
        for tools in (None, [], odd, TOOLS):
            for text in sample_texts(fmt):
                for buffered in (True, False):
                    assert run(fmt, chunking(text, rng), tools, buffered=buffered) == run(fmt, [text], tools, buffered=buffered)
                n += 1
    COUNTS["tools"] = n


def test_zz_report_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """Reports how many inputs this process ran (runs last in the file); with -s it shows in the output."""
    total = sum(COUNTS.values())
    line = f"fuzz inputs run: {total} (scale {SCALE}, seed {SEED})"
    path = os.environ.get("DYN_PLUGINS_FUZZ_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"total": total, "scale": SCALE, "seed": SEED, "counts": COUNTS}) + "\n")
    with capsys.disabled():
        print("\n" + line)
    assert total > 0 or not COUNTS
