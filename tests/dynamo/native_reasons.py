"""Why Dynamo 1.6.1's native answer may differ from ours: each reason named in
tests/fixtures/dynamo_native_deviations.json (which describes it) is a predicate here over the case and both
answers, so a listed reason is checked, not just claimed.

A predicate compares Dynamo's answer with a reference answer of ours: the one-shot parse (non-streaming), or for
streaming the live stream, or, for an entry marked ``"live": true``, our BUFFERED stream (Dynamo's jail buffers),
the live stream's own difference from that being :func:`live_announced_call`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import native_cases as nc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

#: where a format's call block (or the last call) ends: text after it is "text after the calls"
END_MARKERS = {
    "glm47": ("</tool_call>",),
    "jamba": ("</tool_calls>",),
    "nemotron_deci": ("</TOOLCALL>",),
    "deepseek_v3_1": ("<｜tool▁calls▁end｜>", "<｜tool▁call▁end｜>"),
    "harmony": ("<|call|>",),
    "deepseek_v3_2": ("</｜DSML｜function_calls>",),
    "default": ("</TOOLCALL>",),
}
#: where a call may start: an unfinished call's text begins with one of these
START_MARKERS = {
    "glm47": ("<tool_call>",),
    "jamba": ("<tool_calls>", "{", "["),
    "nemotron_deci": ("<TOOLCALL>", "{", "["),
    "deepseek_v3_1": ("<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>"),
    "harmony": ("<|start|>", "<|channel|>"),
    "deepseek_v3_2": ("<｜DSML｜function_calls>", "<｜DSML｜invoke"),
    "default": ("<TOOLCALL>", "<|python_tag|>", "{", "["),
}


def _fixture_expectations() -> dict[tuple[str, str], Any]:
    """(format, record name) -> the record as tests/core runs it (tests/fixtures/deviations.json applied)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
    try:
        from fixture_data import parse_cases
    finally:
        sys.path.pop(0)
    return {(c.format, c.record["name"]): c for c in parse_cases("parse")}


_EXPECTED: dict[tuple[str, str], Any] | None = None


def fixture_expectation(case: nc.Case) -> Any:
    global _EXPECTED
    if _EXPECTED is None:
        _EXPECTED = _fixture_expectations()
    if case.origin != "fixture":
        return None
    return _EXPECTED.get((case.format, case.id.split(":", 2)[2]))


@dataclass
class Context:
    case: nc.Case
    mode: str
    theirs: nc.Answer
    ours: nc.Answer
    chunks: list[str] = field(default_factory=list)
    dynamo_json: nc.Answer | None = None  # Dynamo's non-streaming answer to the same case (for a stream)

    @cached_property
    def buffered(self) -> nc.Answer:
        return nc.ours(self.case, self.mode, self.chunks, buffered=True) if self.mode == "sse" else self.ours


#: a reason's transform: Dynamo's answer with this reason's effect undone (towards ``ref``), None where the reason's
#: pattern is absent; a case is explained when its listed transforms, applied in order, leave no difference
Transform = Callable[[Context, nc.Answer, nc.Answer], "nc.Answer | None"]


def _calls(a: nc.Answer) -> list[tuple[str, Any]]:
    return [(n, json.loads(x)) for n, x in a.calls]


def _with(a: nc.Answer, *, content: str | None = None, calls: list[tuple[str, Any]] | None = None, finish: str | None = None) -> nc.Answer:
    return nc.Answer(
        a.content if content is None else content,
        a.calls if calls is None else tuple((n, json.dumps(v, sort_keys=True, ensure_ascii=False)) for n, v in calls),
        a.finish if finish is None else finish,
    )


def _squash(text: str) -> str:
    return "".join(text.split())


def _cut_block(longer: str, shorter: str, fmt: str, to_end: bool) -> bool:
    """``longer`` is ``shorter`` plus one call block: a segment from a start marker to the end of an end marker
    (or, ``to_end``, to the end of the text); compared without whitespace."""
    target = _squash(shorter)
    for sm in START_MARKERS[fmt]:
        i = longer.find(sm)
        while i >= 0:
            if to_end:
                if _squash(longer[:i]) == target:
                    return True
            else:
                for em in END_MARKERS[fmt]:
                    j = longer.find(em, i + len(sm))
                    while j >= 0:
                        if _squash(longer[:i] + longer[j + len(em) :]) == target:
                            return True
                        j = longer.find(em, j + 1)
            i = longer.find(sm, i + 1)
    return False


def fixture_expects_ours(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """The fixture record's expectation (Dynamo's own tests, tests/fixtures/deviations.json applied) is our answer."""
    exp = fixture_expectation(ctx.case)
    if exp is None or exp.expected_calls is None:
        return None
    if [(c["name"], c["arguments"]) for c in exp.expected_calls] != _calls(ref):
        return None
    text = exp.expected_normal_text
    return ref if text is None or text.strip() == ref.content.strip() else None


def text_after_calls_kept(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """Dynamo's content ends with the text that follows the calls in the output (which we drop)."""
    text = ctx.case.text
    ends = [text.rfind(m) + len(m) for m in END_MARKERS[ctx.case.format] if m in text]
    if ctx.case.format == "default" and "<|python_tag|>" in text:  # the end of the last tag's JSON object
        i = text.rfind("<|python_tag|>") + len("<|python_tag|>")
        seg = text[i:].lstrip()
        try:
            ends.append(len(text) - len(seg) + json.JSONDecoder().raw_decode(seg)[1])
        except ValueError:
            pass
    if not ends or not theirs.calls:
        return None
    after = text[max(ends) :].strip()
    got = theirs.content.rstrip()
    if not after or not got.endswith(after) or ref.content.rstrip().endswith(after):
        return None
    return _with(theirs, content=got[: len(got) - len(after)])


def close_marker_leaked(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """default: Dynamo's content holds the ``</TOOLCALL>`` that closed the calls."""
    if ctx.case.format != "default" or "</TOOLCALL>" not in theirs.content or "</TOOLCALL>" in ref.content:
        return None
    return _with(theirs, content=theirs.content.replace("</TOOLCALL>", "", 1))


def separator_leaked(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """default: Dynamo leaves the ``;`` between ``<|python_tag|>`` objects (SPEC §6: ``;``-separated objects) in the
    content."""
    text = ctx.case.text
    if ctx.case.format != "default" or "<|python_tag|>" not in text or ";" not in theirs.content or ";" in ref.content:
        return None
    return _with(theirs, content=theirs.content.replace(";", ""))


def unparsed_block_dropped(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """Dynamo drops a complete call block it cannot parse, which we return as text (SPEC 3.3 step 5 / §4: raw text
    with markup)."""
    ok = _cut_block(ref.content, theirs.content, ctx.case.format, to_end=False)
    return _with(theirs, content=ref.content) if ok else None


def length_drops_unfinished_call(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """Cut by max_tokens: Dynamo drops the unfinished call from its start marker (for the JSON formats, from the first
    ``{`` / ``[`` its jail saw) to the end; we return that text as content."""
    if ctx.case.finish != "length":
        return None
    ok = _cut_block(ref.content, theirs.content, ctx.case.format, to_end=True)
    return _with(theirs, content=ref.content) if ok else None


def unparsed_block_kept(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """Dynamo returns as content a call block (or an unfinished call) it cannot parse, which we drop (SPEC 3.3 steps
    3-4, §2.4, §8)."""
    fmt = ctx.case.format
    ok = _cut_block(theirs.content, ref.content, fmt, to_end=False) or _cut_block(theirs.content, ref.content, fmt, to_end=True)
    return _with(theirs, content=ref.content) if ok else None


def unknown_tool_forwarded(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """Dynamo returns calls of functions the request does not declare; we drop them (SPEC 2.4: dropped when tools
    are supplied)."""
    names = ctx.case.tool_names
    kept = tuple(c for c in theirs.calls if c[0] in names)
    if kept == theirs.calls:
        return None
    finish = "stop" if not kept and theirs.finish == "tool_calls" else theirs.finish
    return nc.Answer(theirs.content, kept, finish)


def string_type_honoured(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """glm47: Dynamo keeps a JSON-looking value of a ``"type": "string"`` parameter as a string; SPEC 2.2 (main)
    parses a value starting with ``{`` / ``[`` / ``"`` as JSON regardless of the schema, as we do."""
    if ctx.case.format != "glm47":
        return None
    changed, calls = False, []
    for name, args in _calls(theirs):
        if isinstance(args, dict):
            args = dict(args)
            for k, v in args.items():
                if isinstance(v, str) and v.strip().startswith(("{", "[", '"')):
                    try:
                        args[k] = json.loads(v)
                        changed = True
                    except ValueError:
                        pass
        calls.append((name, args))
    return _with(theirs, calls=calls) if changed else None


def dropped_call_reported_as_length(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """The output stopped (EOS) inside an unterminated call: Dynamo drops it and reports ``finish_reason: length``
    (its log: ``dropped_native_tool_call_reported_as_length``)."""
    if ctx.case.finish != "stop" or theirs.finish != "length":
        return None
    return _with(theirs, finish=ref.finish)


_HARMONY_MARKERS = ("<|start|>", "<|channel|>", "<|message|>", "<|constrain|>", "<|end|>", "<|call|>", "<|return|>")


def harmony_framing_leaked(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """harmony: Dynamo's content holds message framing (markers, the role or channel header of an unfinished
    message), which is never user-visible text."""
    if ctx.case.format != "harmony":
        return None
    import re

    headers = [h for h in re.split("|".join(map(re.escape, _HARMONY_MARKERS)), ctx.case.text) if h.strip()]
    bodies = set(re.findall(r"<\|message\|>(.*?)(?=<\||$)", ctx.case.text, flags=re.S))
    got = theirs.content
    for m in _HARMONY_MARKERS:
        got = got.replace(m, "")
    for h in sorted((h for h in headers if h not in bodies), key=len, reverse=True):
        got = got.replace(h, "")
    return _with(theirs, content=got) if got != theirs.content else None


def length_drops_text_before_unfinished_call(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """harmony, cut by max_tokens inside a call's header: Dynamo drops the whole output, the complete commentary
    message before the call included; we return that message's text."""
    if ctx.case.format != "harmony" or ctx.case.finish != "length" or theirs.content.strip():
        return None
    text = ctx.case.text
    tail = text[text.rfind("<|start|>") :] if "<|start|>" in text else ""
    if not tail or "<|call|>" in tail or not ref.content.strip() or ref.content.strip() not in text:
        return None
    return _with(theirs, content=ref.content)


def bare_json_with_trailing_text(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """default: bare JSON (no ``<TOOLCALL>`` / ``<|python_tag|>``) followed by more text: Dynamo 1.6.1 parses the
    JSON and keeps the text around it; SPEC 3.3(a)/3.2 (main) takes everything from the first ``{``/``[`` as the
    payload, which then is not JSON: no call, the whole output as text (ours)."""
    text = ctx.case.text
    if ctx.case.format != "default" or "<TOOLCALL>" in text or "<|python_tag|>" in text or ref.calls or not theirs.calls:
        return None
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts or _squash(ref.content) != _squash(text):
        return None
    i = min(starts)
    if not any(_squash(text[:i] + text[j:]) == _squash(theirs.content) for j in range(i + 1, len(text) + 1)):
        return None
    return ref


def stream_releases_jail(ctx: Context, theirs: nc.Answer, ref: nc.Answer) -> nc.Answer | None:
    """Streaming: Dynamo's stream returns a call block verbatim as content (its jail let go of it, e.g. at the first
    end marker on its non-recovery path, SPEC §5 ``stream.4.c``) where its own non-streaming answer parses it."""
    other = ctx.dynamo_json
    if ctx.mode != "sse" or other is None or theirs.calls or not other.calls:
        return None
    fmt = ctx.case.format
    ok = _cut_block(theirs.content, other.content, fmt, to_end=False) or _cut_block(theirs.content, other.content, fmt, to_end=True)
    return other if ok else None


def live_announced_call(ctx: Context) -> bool:
    """Streaming: our live stream announced a call before it was complete (its arguments closed at the end; an
    announced call is never retracted, also when the final decision drops it); our buffered stream (Dynamo's jail)
    has the same content, and its calls are among the live ones, in order."""
    live, buf = ctx.ours, ctx.buffered
    if ctx.mode != "sse" or live == buf or live.content.strip() != buf.content.strip():
        return False
    announced = iter(n for n, _ in live.calls)
    return all(any(n == m for m in announced) for n, _ in buf.calls)


REASONS: dict[str, Transform] = {  # tried in this order: the specific ones first
    "fixture_expects_ours": fixture_expects_ours,
    "harmony_framing_leaked": harmony_framing_leaked,
    "close_marker_leaked": close_marker_leaked,
    "separator_leaked": separator_leaked,
    "string_type_honoured": string_type_honoured,
    "dropped_call_reported_as_length": dropped_call_reported_as_length,
    "unknown_tool_forwarded": unknown_tool_forwarded,
    "bare_json_with_trailing_text": bare_json_with_trailing_text,
    "stream_releases_jail": stream_releases_jail,
    "length_drops_text_before_unfinished_call": length_drops_text_before_unfinished_call,
    "length_drops_unfinished_call": length_drops_unfinished_call,
    "unparsed_block_dropped": unparsed_block_dropped,
    "unparsed_block_kept": unparsed_block_kept,
    "text_after_calls_kept": text_after_calls_kept,
}
LIVE = "live_announced_call"


def explains(reasons: list[str], ctx: Context, live: bool) -> bool:
    """``reasons`` (applied in order) turn Dynamo's answer into ours: into our buffered stream if ``live``, whose
    difference from our live stream is then :func:`live_announced_call`."""
    if live and not live_announced_call(ctx):
        return False
    ref = ctx.buffered if live else ctx.ours
    theirs: nc.Answer | None = ctx.theirs
    for name in reasons:
        theirs = REASONS[name](ctx, theirs, ref)
        if theirs is None:
            return False
    return not nc.differences(theirs, ref)


def classify(ctx: Context) -> tuple[list[str], bool] | None:
    """The first explanation (one reason, then two, without then with the live flag); None: unexplained."""
    names = list(REASONS)
    for live in (False, True):
        if live and explains([], ctx, True):
            return [], True
        for n in (1, 2):
            combos = [[a] for a in names] if n == 1 else [[a, b] for a in names for b in names if a != b]
            for combo in combos:
                if explains(combo, ctx, live):
                    return combo, live
    return None
