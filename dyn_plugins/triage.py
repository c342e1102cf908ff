"""Automates Dynamo's "Troubleshooting Tool Calls" recipe: localise a bad tool call to the model, the parser
configuration, or the parser.

Input: the request and a non-streaming response obtained with ``"logprobs": true``. The raw model output is
rebuilt from ``choices[0].logprobs.content[].bytes`` (token text where bytes are missing; ``token_id:N``
tokens through a tokenizer when one is given), re-parsed with the configured parser and with every format we
implement, and compared with what the server returned (``message.content``, ``message.tool_calls``,
``finish_reason``).

Verdicts:
- ``ok``: the configured parser agrees with the server and nothing leaked;
- ``model``: no format finds a valid call (no markers, malformed or truncated output, unknown tool names);
- ``parser_config``: the configured parser finds no call but another format does (suggests the flag);
- ``parser``: our parse differs from the server's (with a diff), or raw markers leak into ``content``.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .formats import ALL_FORMAT_NAMES, get_format, machine
from .formats.tools import tool_spec
from .names import TOOL_PARSERS, UnknownParserError, lookup, our_format

_TOKEN_ID = re.compile(r"token_id:(\d+)")
_BYTES_TOKEN = re.compile(r"bytes:((?:\\x[0-9a-fA-F]{2})+)")


@dataclass
class Raw:
    """The rebuilt model output."""

    text: str
    #: how many tokens came from bytes / token text / token ids
    from_bytes: int = 0
    from_text: int = 0
    from_ids: int = 0
    warnings: list[str] = field(default_factory=list)


#: end-of-turn tokens (the formats' one list) that a model generates and the logprobs report but that engines
#: never detokenize into the text they parse (a stop token ends generation): one at the end of the logprobs is
#: left out of the raw output
END_OF_TURN = frozenset(machine.END_OF_TURN)


def _token_text(entry: dict[str, Any], decode_ids: Callable[[list[int]], bytes] | None) -> str:
    """One logprob entry's text (a ``token_id:N`` through ``decode_ids`` when given)."""
    token = entry.get("token") or ""
    m = _TOKEN_ID.fullmatch(token)
    if m and decode_ids is not None:
        return decode_ids([int(m.group(1))]).decode("utf-8", errors="replace")
    return token


def rebuild_raw(content: Sequence[dict[str, Any]], decode_ids: Callable[[list[int]], bytes] | None = None) -> Raw:
    """Concatenate the generated tokens' bytes (multi-byte UTF-8 split across tokens joins back up).

    A ``token_id:N`` token (vLLM's ``return_tokens_as_token_ids``) is decoded through ``decode_ids`` when given
    (consecutive ids together, as the server's detokenizer does); otherwise each entry uses ``bytes`` when present,
    else ``token``: ``bytes:\\xNN`` taken literally, anything else as UTF-8 text.
    """
    buf = bytearray()
    raw = Raw("")
    pending_ids: list[int] = []

    def flush_ids() -> None:
        if pending_ids:
            assert decode_ids is not None
            buf.extend(decode_ids(list(pending_ids)))
            raw.from_ids += len(pending_ids)
            pending_ids.clear()

    lossy = False
    for entry in content:
        data = entry.get("bytes")
        token = entry.get("token") or ""
        m = _TOKEN_ID.fullmatch(token)
        if m and decode_ids is not None:  # ids through the tokenizer: exact, even where bytes are empty
            pending_ids.append(int(m.group(1)))
            continue
        flush_ids()
        if data is not None:
            buf.extend(bytes(data))
            raw.from_bytes += 1
            continue
        raw.from_text += 1
        mb = _BYTES_TOKEN.fullmatch(token)
        if mb:
            buf.extend(bytes(int(h, 16) for h in mb.group(1).split("\\x")[1:]))
        elif m:
            raw.warnings.append(f"token {token!r} has no bytes: pass --tokenizer DIR to decode token ids")
        else:
            lossy = lossy or "\ufffd" in token
            buf.extend(token.encode("utf-8"))
    flush_ids()
    raw.text = buf.decode("utf-8", errors="replace")
    if lossy:
        raw.warnings.append("some tokens had no bytes and their text contains U+FFFD: multi-byte characters may be lost")
    if raw.from_text and not raw.from_bytes and not lossy:
        raw.warnings.append("no logprobs bytes in the response: rebuilt from token text")
    if "\ufffd" in raw.text and not lossy:
        raw.warnings.append("the rebuilt bytes are not valid UTF-8 (U+FFFD in the output)")
    return raw


@dataclass
class Call:
    name: str
    arguments: Any  # parsed JSON when valid, else the raw string

    @property
    def key(self) -> tuple[str, str]:
        return self.name, json.dumps(self.arguments, sort_keys=True, ensure_ascii=False)


def _args(raw: Any) -> tuple[Any, bool]:
    if isinstance(raw, dict):
        return raw, True
    try:
        val = json.loads(raw)
    except (TypeError, ValueError):
        return raw, False
    return val, isinstance(val, dict)


def tool_names(request: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for tool in request.get("tools") or []:
        name = tool_spec(tool)[0] if isinstance(tool, dict) else None
        if isinstance(name, str) and name:
            out.add(name)
    return out


@dataclass
class FormatParse:
    format: str
    calls: list[Call]
    normal_text: str
    #: why calls are not valid (empty when all are)
    problems: list[str]

    @property
    def valid(self) -> bool:
        return bool(self.calls) and not self.problems


def parse_with(fmt: str, text: str, request: dict[str, Any]) -> FormatParse:
    """Parse ``text`` with our format ``fmt`` and judge the calls against the request's tools."""
    tools = request.get("tools") or None
    result = get_format(fmt).parse(text, tools)
    known = tool_names(request)
    calls: list[Call] = []
    problems: list[str] = []
    for c in result.calls:
        args, ok = _args(c.arguments)
        calls.append(Call(c.name, args))
        if not ok:
            problems.append(f"{c.name}: arguments are not a JSON object: {c.arguments!r}")
        if known and c.name not in known:
            problems.append(f"{c.name}: not one of the request's tools ({', '.join(sorted(known))})")
    return FormatParse(fmt, calls, result.normal_text, problems)


def server_calls(message: dict[str, Any]) -> list[Call]:
    out = []
    for tc in message.get("tool_calls") or []:
        fn = tc.get("function") or {}
        out.append(Call(fn.get("name", ""), _args(fn.get("arguments", ""))[0]))
    return out


def dynamo_names_for(fmt: str) -> list[str]:
    """Dynamo parser names (flags) served by our format ``fmt``."""
    names = [n for row in TOOL_PARSERS if fmt in (row.ours, row.fallback_ours) for n in row.names[:1]]
    return names or [fmt]


def leaked_markers(content: str) -> list[str]:
    """Format markers (special tokens and call triggers) found in ``content``."""
    found: dict[str, None] = {}
    for name in ALL_FORMAT_NAMES:  # "another parser that parses it": ours, variants included
        fmt = get_format(name)
        for m in (*fmt.special_markers, *fmt.triggers):
            if len(m) > 1 and m in content:
                found.setdefault(m, None)
    return list(found)


@dataclass
class Report:
    verdict: str  # ok | model | parser_config | parser
    summary: str
    parser: str | None
    raw_output: str
    finish_reason: str | None
    server: dict[str, Any]
    ours: dict[str, Any] | None
    other_formats: list[str]
    leaks: list[str]
    diff: list[str]
    notes: list[str]
    suggestion: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _calls_json(calls: list[Call]) -> list[dict[str, Any]]:
    return [{"name": c.name, "arguments": c.arguments} for c in calls]


def _diff(server: list[Call], ours: list[Call], server_content: str, our_content: str) -> list[str]:
    lines: list[str] = []
    for i in range(max(len(server), len(ours))):
        s = server[i] if i < len(server) else None
        o = ours[i] if i < len(ours) else None
        if s is not None and o is not None and s.key == o.key:
            continue
        if s is not None:
            lines.append(f"- server call {i}: {s.name} {s.key[1]}")
        if o is not None:
            lines.append(f"+ ours   call {i}: {o.name} {o.key[1]}")
    if server_content.strip() != our_content.strip():
        lines.append(f"- server content: {server_content!r}")
        lines.append(f"+ ours   content: {our_content!r}")
    return lines


def triage(
    request: dict[str, Any],
    response: dict[str, Any],
    parser: str | None = None,
    decode_ids: Callable[[list[int]], bytes] | None = None,
) -> Report:
    """Run the recipe on one request/response pair; ``parser`` is the server's --tool-call-parser (Dynamo name)."""
    choice = (response.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    finish = choice.get("finish_reason")
    notes: list[str] = []
    content_entries = ((choice.get("logprobs") or {}).get("content")) or []
    if content_entries and finish != "length" and _token_text(content_entries[-1], decode_ids) in END_OF_TURN:
        notes.append(f"the last token {_token_text(content_entries[-1], decode_ids)!r} ended the turn: the server does not parse it, neither do we")
        content_entries = content_entries[:-1]
    if content_entries:
        raw = rebuild_raw(content_entries, decode_ids)
        notes += raw.warnings
        text = raw.text
    else:
        notes.append("the response has no logprobs.content (send the request with \"logprobs\": true): using message.content as the raw output")
        text = message.get("content") or ""
    s_calls = server_calls(message)
    s_content = message.get("content") or ""
    server = {"content": s_content, "tool_calls": _calls_json(s_calls), "finish_reason": finish}
    leaks = leaked_markers(s_content)

    fmt: str | None = None
    if parser:
        try:
            fmt = our_format(parser)
        except UnknownParserError as exc:
            row = lookup(parser, "tool")
            notes.append(f"cannot re-parse with {parser!r}: {exc}" if row is None else f"{parser!r} is an engine parser; re-parsed with our formats only")
    parses = {f: parse_with(f, text, request) for f in ALL_FORMAT_NAMES}
    valid_others = [f for f, p in parses.items() if p.valid and f != fmt]
    # the default format reads any bare JSON object: suggest it only when nothing more specific parses
    specific = [f for f in valid_others if f != "default"] or valid_others
    ours = parses[fmt] if fmt else None
    common = dict(parser=parser, raw_output=text, finish_reason=finish, server=server, leaks=leaks, notes=notes)

    if finish == "length" and (leaked_markers(text) or any(p.calls for p in parses.values())):
        notes.append("any call parsed from it is a repair of a partial body (Dynamo's truncated-body recovery)")
        return Report(
            "model", "model issue: the output was cut off by max_tokens inside a tool call (finish_reason 'length'); raise max_tokens",
            ours=_ours(ours) if ours else None, other_formats=valid_others, diff=[], suggestion="raise max_tokens (or max_completion_tokens)", **common,
        )

    if ours is not None and ours.valid:
        diff = _diff(s_calls, ours.calls, s_content, ours.normal_text)
        if s_calls and finish not in ("tool_calls", None):
            diff.append(f"- server finish_reason: {finish!r} (expected 'tool_calls' with tool calls)")
        if diff or leaks:
            why = "our parse differs from the server's" if diff else "raw markers leak into message.content"
            return Report("parser", f"parser issue: {why} (parser {parser})", ours=_ours(ours), other_formats=valid_others, diff=diff, **common)
        return Report("ok", f"consistent: {parser} parses {len(ours.calls)} call(s) exactly as the server did", ours=_ours(ours), other_formats=valid_others, diff=[], **common)

    if ours is None and s_calls:
        same = [f for f in valid_others if [c.key for c in parses[f].calls] == [c.key for c in s_calls]]
        if same and not leaks:
            return Report("ok", f"consistent: the server's {len(s_calls)} call(s) are what {same[0]} reads", ours=_ours(parses[same[0]]), other_formats=valid_others, diff=[], **common)

    if specific:
        best = specific[0]
        flags = dynamo_names_for(best)
        suggestion = f"--tool-call-parser {flags[0]} (vLLM / SGLang) or --dyn-tool-call-parser {flags[0]} (Dynamo)"
        what = f"{parser} finds no valid call" if parser else "no parser given"
        if ours is not None and ours.problems:
            what += f" ({'; '.join(ours.problems)})"
        return Report(
            "parser_config", f"parser configuration issue: {what}, but {', '.join(specific)} parse(s) it: use {suggestion}",
            ours=_ours(ours) if ours else None, other_formats=valid_others, diff=[], suggestion=suggestion, **common,
        )

    reasons = []
    if finish == "length":
        reasons.append("finish_reason is 'length': the output was cut off by max_tokens")
    problems = sorted({p for pr in parses.values() for p in pr.problems})
    reasons += problems
    markers = leaked_markers(text)
    if not markers and not problems:
        reasons.append("no tool-call markers in the raw output")
    elif markers and not problems:
        reasons.append(f"markers present ({', '.join(markers)}) but no format parses a complete call: malformed output")
    notes += reasons
    diff = []
    if s_calls:
        diff = [f"- server call {i}: {c.name} {c.key[1]}" for i, c in enumerate(s_calls)]
        diff.append("+ ours: no valid call in any format")
    return Report(
        "model", "model issue: the model produced no valid tool call in any format" + (f" ({reasons[0]})" if reasons else ""),
        ours=_ours(ours) if ours else None, other_formats=[], diff=diff, **common,
    )


def _ours(p: FormatParse) -> dict[str, Any]:
    return {"format": p.format, "content": p.normal_text, "tool_calls": _calls_json(p.calls), "problems": p.problems}


def fetch(url: str, request: dict[str, Any], timeout: float = 120.0, headers: dict[str, str] | None = None, *, token_ids: bool = False) -> dict[str, Any]:
    """POST ``request`` (with logprobs on and streaming off) to an OpenAI-compatible server; the JSON response.

    ``token_ids``: also ask for the tokens as ids (vLLM's ``return_tokens_as_token_ids``), for decoding through
    the model's tokenizer: exact where a token is part of a UTF-8 character, whose logprob ``bytes`` vLLM
    reports empty (seen on a real server: the answer held U+FFFD, the bytes rebuilt nothing)."""
    if not re.search(r"/v\d+/chat/completions/?$", url):
        url = url.rstrip("/") + ("/chat/completions" if url.rstrip("/").endswith("/v1") else "/v1/chat/completions")
    body = dict(request)
    body["logprobs"] = True
    body["stream"] = False
    if token_ids:
        body["return_tokens_as_token_ids"] = True
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", errors="replace")[:500]
        raise RuntimeError(f"{url} answered HTTP {exc.code}: {detail}") from exc


def render(report: Report) -> str:
    """Human-readable report."""
    out = [f"VERDICT: {report.summary}", ""]
    out.append(f"raw model output ({len(report.raw_output)} chars, rebuilt from logprobs):")
    out.append("  " + json.dumps(report.raw_output, ensure_ascii=False))
    s = report.server
    out.append(f"server: finish_reason={s['finish_reason']!r} tool_calls={len(s['tool_calls'])} content={s['content']!r}")
    if report.ours is not None:
        o = report.ours
        out.append(f"ours ({o['format']}): tool_calls={len(o['tool_calls'])} content={o['content']!r}")
        for c in o["tool_calls"]:
            out.append(f"  {c['name']}({json.dumps(c['arguments'], ensure_ascii=False)})")
    if report.other_formats:
        out.append(f"other formats with a valid call: {', '.join(report.other_formats)}")
    if report.leaks:
        out.append(f"raw markers leaking into message.content: {', '.join(report.leaks)}")
    if report.diff:
        out.append("diff (server -, ours +):")
        out += ["  " + line for line in report.diff]
    if report.suggestion:
        out.append(f"fix: {report.suggestion}")
    for n in report.notes:
        out.append(f"note: {n}")
    return "\n".join(out)
