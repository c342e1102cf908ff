"""The differential run's inputs and both sides' answers, in one shape (tests/dynamo/test_dynamo_native_differential.py).

Inputs per format: every distinct input of the format's Dynamo fixture file (tests/fixtures/dynamo, the seven
files of tests/core/fixture_data.py ``FILES``), with the record's tools, plus the generated outputs of
:mod:`native_inputs`. An :class:`Answer` is what a client sees: content, calls as (name, parsed arguments),
finish_reason. Ours comes from ``get_format(name).parse`` (non-streaming) and ``parse_stream`` over the same token
deltas the worker streams (streaming, live as the adapters stream; buffered too, for the classification).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import native_inputs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEVIATIONS_FILE = FIXTURES / "dynamo_native_deviations.json"
FORMATS = native_inputs.FORMATS
MODES = ("json", "sse")


@dataclass(frozen=True)
class Case:
    id: str  # fix:<format>:<record name> | gen:<format>:<kind>:<nnn>
    format: str
    origin: str  # fixture | wellformed | plain | truncated | malformed | unknown_tool
    text: str
    finish: str  # the replay worker's finish_reason: stop | length
    tools: tuple[str, ...]  # JSON of each OpenAI tool the request declares (hashable)
    key: str  # the replay key the prompt names

    @property
    def tool_list(self) -> list[dict[str, Any]]:
        return [json.loads(t) for t in self.tools]

    @property
    def tool_names(self) -> set[str]:
        return {t["function"]["name"] for t in self.tool_list}


def _fixture_inputs(fmt: str) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(record name, input, OpenAI tools) for each distinct (input, tools) of the format's fixture file."""
    seen: set[tuple[str, str]] = set()
    out = []
    for rec in json.loads((FIXTURES / "dynamo" / f"{fmt}.json").read_text(encoding="utf-8")):
        text = rec.get("input")
        if not isinstance(text, str):
            continue
        tools = [{"type": "function", "function": t} for t in rec["tools"]] if rec.get("tools") else _declared(rec)
        sig = (text, json.dumps(tools, sort_keys=True))
        if sig in seen:
            continue
        seen.add(sig)
        out.append((rec["name"], text, tools))
    return out


def _declared(rec: dict[str, Any]) -> list[dict[str, Any]]:
    """Tools for a record that has none: Dynamo's native path runs no tool parser for a request without tools, so
    the request declares the functions the record expects (else ``get_weather``), with open parameters."""
    names = list(dict.fromkeys(c["name"] for c in rec.get("expected_calls") or [])) or ["get_weather"]
    return [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in names]


def _frozen(tools: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(json.dumps(t, sort_keys=True) for t in tools)


def cases() -> list[Case]:
    """Every case, in a stable order (fixtures first, then generated), per format."""
    out: list[Case] = []
    for fmt in FORMATS:
        n = 0
        for name, text, tools in _fixture_inputs(fmt):
            out.append(Case(f"fix:{fmt}:{name}", fmt, "fixture", text, "stop", _frozen(tools), f"dn-{fmt}/{n}"))
            n += 1
        for g in native_inputs.generate(fmt):
            out.append(Case(g.id, fmt, g.kind, g.text, g.finish_reason, _frozen(native_inputs.TOOLS), f"dn-{fmt}/{n}"))
            n += 1
    return out


def replay_table(all_cases: list[Case]) -> dict[str, dict[str, str]]:
    """The worker's --replay-file: key -> {text, finish_reason}."""
    return {c.key: {"text": c.text, "finish_reason": c.finish} for c in all_cases}


# --- answers -------------------------------------------------------------------------------------------------------


def parsed_args(raw: str) -> Any:
    """Arguments as a client reads them: the JSON value, or the raw text where it is not JSON."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@dataclass(frozen=True)
class Answer:
    content: str
    calls: tuple[tuple[str, str], ...]  # (name, canonical JSON of the parsed arguments)
    finish: str | None

    @classmethod
    def of(cls, content: str | None, calls: list[tuple[str, str]], finish: str | None) -> Answer:
        canon = tuple((n, json.dumps(parsed_args(a), sort_keys=True, ensure_ascii=False)) for n, a in calls)
        return cls(content or "", canon, finish)

    def to_json(self) -> dict[str, Any]:
        return {"content": self.content, "calls": [[n, json.loads(a)] for n, a in self.calls], "finish": self.finish}


def differences(theirs: Answer, ours: Answer) -> list[str]:
    """What differs, under the rules of test_dynamo_with_plugin.py: calls (names and parsed arguments) in order,
    content after trimming, finish_reason."""
    out = []
    if theirs.calls != ours.calls:
        out.append("calls")
    if theirs.content.strip() != ours.content.strip():
        out.append("content")
    if theirs.finish != ours.finish:
        out.append("finish")
    return out


def from_response(body: dict[str, Any]) -> Answer:
    """A non-streaming chat.completion."""
    choice = body["choices"][0]
    msg = choice["message"]
    calls = [(c["function"]["name"], c["function"].get("arguments") or "") for c in msg.get("tool_calls") or []]
    return Answer.of(msg.get("content"), calls, choice.get("finish_reason"))


def from_merged(msg: dict[str, Any]) -> Answer:
    """A stream folded by dynamo_stack.merge_stream."""
    return Answer.of(msg["content"], [(c["name"], c["arguments"]) for c in msg["tool_calls"]], msg["finish_reason"])


def _finish(case: Case, n_calls: int) -> str:
    return "length" if case.finish == "length" else ("tool_calls" if n_calls else "stop")


def ours(case: Case, mode: str, chunks: list[str], buffered: bool = False) -> Answer:
    """Our answer: the one-shot parse (json), or the stream over the worker's token deltas (sse)."""
    from dyn_plugins.formats import get_format, parse_stream

    tools = case.tool_list
    if mode == "json":
        r = get_format(case.format).parse(case.text, tools)
    else:
        r = parse_stream(case.format, chunks, tools, buffered=buffered)
    calls = [(c.name, c.arguments) for c in r.calls]
    return Answer.of(r.normal_text, calls, _finish(case, len(calls)))


class Deltas:
    """The text deltas the frontend's detokenizer makes of the worker's tokens (one token per chunk), from the
    model directory's tokenizer: a delta is held while it ends in an incomplete UTF-8 sequence."""

    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))

    def __call__(self, text: str) -> list[str]:
        ids = self.tok.encode(text, add_special_tokens=False).ids
        out, emitted = [], ""
        for i in range(1, len(ids) + 1):
            s = self.tok.decode(ids[:i], skip_special_tokens=True)
            if s.endswith("\ufffd"):
                continue
            delta = s[len(emitted) :] if s.startswith(emitted) else s
            if delta:
                out.append(delta)
            emitted = s
        return out
