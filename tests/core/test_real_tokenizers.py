"""The core parsers on real models' token streams: DeepSeek V3-era / V4 and Llama 3 tokenizers.

Every recorded output of a format (tests/real_tokenizers/outputs.py) is encoded with the real tokenizer its
models use (tests/real_tokenizers/catalog.py), detokenized token by token the way engines stream
(tests/real_tokenizers/streams.py: partial UTF-8 held back, markers whole or merged with text as the vocabulary
has them) and fed to ``parse_stream`` live and buffered at 1, 2, 3 and 7 tokens per delta: the assembled result
must be the one-shot ``parse`` of the same text (live delivery: what the fixtures say it gives where it differs).
A stop token's text at the end must not change the calls, and with ``skip_special_tokens`` (special markers
gone) the parser must still pass the text through.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pytest

from dyn_plugins.formats import ParseResult, get_format, parse_stream

from real_tokenizers import deepseek, llama3
from real_tokenizers.catalog import PAIRS, TOKENIZERS, load
from real_tokenizers.outputs import Output, outputs
from real_tokenizers.streams import TokenStream, encode, stream

PER_DELTA = (1, 2, 3, 7)
MODES = (False, True)  # buffered

CASES = [pytest.param(fmt, tok, out, id=f"{fmt}-{tok}-{out.id}") for fmt, tok in PAIRS for out in outputs(fmt)]
STOP_CASES = [
    pytest.param(fmt, tok, out, stop, id=f"{fmt}-{tok}-{stop}-{out.id}")
    for fmt, tok in PAIRS for stop in TOKENIZERS[tok].stop_tokens for out in outputs(fmt)
]

#: (tokenizer, text, ids): known ids of the real vocabularies (research note; Llama 3 cross-checked against
#: quicktok's own encoder)
KNOWN_IDS = [
    ("llama3", "Hello world", [9906, 1917]),
    ("llama3", "<|begin_of_text|>", [128000]),
    ("llama3", "<|eom_id|>", [128008]),
    ("llama3", "<|eot_id|>", [128009]),
    ("llama3", "<|python_tag|>", [128010]),
    ("llama3", "<TOOLCALL>", [3203, 46, 1971, 26502, 29]),  # plain text: '<T' 'O' 'OL' 'CALL' '>'
    ("llama3", " <TOOLCALL>", [366, 5319, 1971, 26502, 29]),  # the split depends on the text before it
    ("llama3", "😀", [76460, 222]),  # partial UTF-8 byte tokens
    ("deepseek_v3", "<｜end▁of▁sentence｜>", [1]),
    ("deepseek_v3", "<｜tool▁calls▁begin｜><｜tool▁calls▁end｜>", [128806, 128807]),
    ("deepseek_v3", "<｜tool▁call▁begin｜><｜tool▁call▁end｜><｜tool▁sep｜>", [128808, 128809, 128814]),
    ("deepseek_v3", "<think>", [128798]),
    ("deepseek_v3", "｜DSML｜", [28217, 10525, 7398, 28217]),  # no DSML token: '｜' 'DS' 'ML' '｜'
    ("deepseek_v3", '"><', [15073]),  # DSML brackets merge with neighbouring text
    ("deepseek_v4", "<think>", [128821]),
    ("deepseek_v4", "｜DSML｜", [128825]),
    ("deepseek_v4", "<｜DSML｜", [30, 128825]),
    ("deepseek_v4", "<｜tool▁calls▁begin｜><｜tool▁sep｜>", [128806, 128814]),
]

#: (tokenizer, marker, special?): what skip_special_tokens removes
SPECIALNESS = [
    ("llama3", "<|python_tag|>", True), ("llama3", "<|eot_id|>", True), ("llama3", "<|eom_id|>", True),
    ("llama3", "<TOOLCALL>", False),
    *[(v, m, False) for v in ("deepseek_v3", "deepseek_v4") for m in
      ("<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>", "<｜tool▁sep｜>", "<｜tool▁call▁end｜>", "<｜tool▁calls▁end｜>")],
    ("deepseek_v4", "｜DSML｜", False),
    ("deepseek_v3", deepseek.EOS, True), ("deepseek_v4", deepseek.EOS, True),
]


def _args(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def summary(result: ParseResult) -> tuple[str, list[dict[str, Any]], str]:
    """What a client sees: text (whitespace-only counts as none), calls with parsed arguments, reasoning."""
    text = result.normal_text if result.normal_text.strip() else ""
    return text, [{"name": c.name, "arguments": _args(c.arguments)} for c in result.calls], result.reasoning_text


def expected(out: Output, text: str, buffered: bool) -> tuple[str, list[dict[str, Any]], str]:
    """The one-shot parse of ``text``; in live mode, what the fixtures say live delivery gives, where that differs."""
    if not buffered and out.live is not None:
        normal, calls = out.live
        return (normal if normal.strip() else "", calls, "")
    return summary(get_format(out.format).parse(text, out.tools))


@lru_cache(maxsize=None)
def _stream(tok: str, fmt: str, text: str, skip: bool = False, stop: tuple[int, ...] = ()) -> TokenStream:
    return stream(load(tok, fmt), text, skip_special_tokens=skip, stop_ids=stop)


def stream_mismatches(out: Output, ts: TokenStream, want: dict[bool, Any]) -> list[str]:
    """Every (mode, tokens per delta) whose assembled result is not ``want[buffered]``."""
    bad = []
    for buffered in MODES:
        for per in PER_DELTA:
            got = summary(parse_stream(out.format, ts.deltas(per), out.tools, buffered=buffered))
            if got != want[buffered]:
                bad.append(f"{'buffered' if buffered else 'live'} x{per}: {got} != {want[buffered]}")
    return bad


@pytest.mark.parametrize(("tok", "text", "ids"), KNOWN_IDS, ids=lambda v: v if isinstance(v, str) else None)
def test_known_token_ids(tok: str, text: str, ids: list[int]) -> None:
    assert encode(load(tok, "default" if tok == "llama3" else "deepseek_v3_2"), text) == ids


@pytest.mark.parametrize(("tok", "marker", "special"), SPECIALNESS, ids=lambda v: v if isinstance(v, str) else None)
def test_special_flags_as_the_real_files(tok: str, marker: str, special: bool) -> None:
    """Tool markers of DeepSeek are added but not special, so they survive skip_special_tokens; stop tokens don't."""
    t = load(tok, "default" if tok == "llama3" else "deepseek_v3_2")
    assert t.decode(encode(t, f"a{marker}b"), skip_special_tokens=True) == ("ab" if special else f"a{marker}b")


@pytest.mark.parametrize("tok", sorted(TOKENIZERS))
def test_stream_holds_partial_characters(tok: str) -> None:
    """An emoji split into byte tokens arrives whole, on the token that completes it; the pieces join to the text."""
    text = 'Hi 😀 {"city": "Zürich 🌧"}'
    ts = _stream(tok, "default" if tok == "llama3" else "deepseek_v3_2", text)
    assert ts.text == text and "" in ts.texts and not any("\ufffd" in t for t in ts.texts)


def test_llama3_chat_template_renders() -> None:
    """The directory loads offline with the format's own chat template (Llama 3 turns for nemotron_deci)."""
    t = load("llama3", "nemotron_deci")
    prompt = t.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True)
    ids = encode(t, prompt)
    assert t.convert_tokens_to_ids("<|start_header_id|>") in ids and t.convert_tokens_to_ids(llama3.EOT) in ids


@pytest.mark.parametrize(("fmt", "tok", "out"), CASES)
def test_real_token_stream_matches_parse(fmt: str, tok: str, out: Output) -> None:
    ts = _stream(tok, fmt, out.text)
    assert ts.text == out.text  # byte-level vocabularies decode losslessly
    want = {b: expected(out, ts.text, b) for b in MODES}
    assert stream_mismatches(out, ts, want) == []


@pytest.mark.parametrize(("fmt", "tok", "out", "stop"), STOP_CASES)
def test_stop_token_present_or_trimmed(fmt: str, tok: str, out: Output, stop: str) -> None:
    """The stop token's text at the end (an engine that keeps it) or trimmed: the calls are the output's own."""
    t = load(tok, fmt)
    stop_id = t.convert_tokens_to_ids(stop)
    kept = _stream(tok, fmt, out.text + stop)
    trimmed = _stream(tok, fmt, out.text + stop, stop=(stop_id,))
    assert kept.ids[-1] == stop_id and trimmed.text == out.text
    bad = []
    if summary(get_format(fmt).parse(kept.text, out.tools))[1] != expected(out, out.text, True)[1]:
        bad.append(f"one-shot parse with {stop!r}: calls differ")
    for buffered in MODES:
        calls = expected(out, out.text, buffered)[1]
        for name, ts in (("kept", kept), ("trimmed", trimmed)):
            for per in PER_DELTA:
                got = summary(parse_stream(fmt, ts.deltas(per), out.tools, buffered=buffered))[1]
                if got != calls:
                    bad.append(f"{name} {'buffered' if buffered else 'live'} x{per}: {got} != {calls}")
    assert bad == []


@pytest.mark.parametrize(("fmt", "tok", "out"), CASES)
def test_skip_special_tokens_passes_text_through(fmt: str, tok: str, out: Output) -> None:
    """Special markers vanish; the parser still gives what the one-shot parse of that text gives, never nothing."""
    ts = _stream(tok, fmt, out.text, skip=True)
    one_shot = summary(get_format(fmt).parse(ts.text, out.tools))
    if ts.text != out.text and ts.text.strip():  # markers vanished: what is left must come through
        assert one_shot[0] or one_shot[1], f"nothing emitted for {ts.text!r}"
    live = out.live if ts.text == out.text else None
    want = {b: expected(Output(fmt, out.id, ts.text, out.tools, live), ts.text, b) for b in MODES}
    assert stream_mismatches(out, ts, want) == []
