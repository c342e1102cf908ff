"""One chat request to the live server, streamed or not, as a comparable answer (calls, content, finish, tokens)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from dyn_plugins.replay.live_server import SERVED_NAME

#: format of the load test (tests/server/test_server_load.py)
LOAD_FORMAT = os.environ.get("DYN_LOAD_FORMAT", "deepseek_v3_1")
MESSAGES = [{"role": "user", "content": "What is the weather in Paris, and book me a trip there?"}]
MAX_TOKENS = int(os.environ.get("DYN_SERVER_MAX_TOKENS", "800"))


@dataclass
class Answer:
    calls: list[tuple[str, str]] = field(default_factory=list)  # (name, arguments JSON text)
    content: str = ""
    finish: str | None = None
    token_ids: list[int] = field(default_factory=list)


def choice_param(choice: str, tools: list[dict[str, Any]]) -> Any:
    """``required`` / ``auto`` as is; ``named`` -> the last tool by name."""
    if choice == "named":
        return {"type": "function", "function": {"name": tools[-1]["function"]["name"]}}
    return choice


def request_kwargs(tools: list[dict[str, Any]], choice: str, seed: int) -> dict[str, Any]:
    return {
        "model": SERVED_NAME, "messages": MESSAGES, "tools": tools, "tool_choice": choice_param(choice, tools),
        "temperature": 1.0, "seed": seed, "max_tokens": MAX_TOKENS, "extra_body": {"return_token_ids": True},
    }  # fmt: skip


def ask(client: Any, tools: list[dict[str, Any]], choice: str, seed: int, *, stream: bool) -> Answer:
    kwargs = request_kwargs(tools, choice, seed)
    if not stream:
        r = client.chat.completions.create(**kwargs)
        c = r.choices[0]
        calls = [(t.function.name, t.function.arguments) for t in (c.message.tool_calls or [])]
        return Answer(calls, c.message.content or "", c.finish_reason, list(getattr(c, "token_ids", None) or []))
    out = Answer()
    parts: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    content: list[str] = []
    for chunk in client.chat.completions.create(stream=True, **kwargs):
        for c in chunk.choices:
            out.token_ids += list(getattr(c, "token_ids", None) or [])
            if c.finish_reason:
                out.finish = c.finish_reason
            d = c.delta
            if d.content:
                content.append(d.content)
            for t in d.tool_calls or []:
                if t.function and t.function.name:
                    names[t.index] = t.function.name
                if t.function and t.function.arguments:
                    parts.setdefault(t.index, []).append(t.function.arguments)
    out.content = "".join(content)
    out.calls = [(names[i], "".join(parts.get(i, []))) for i in sorted(names)]
    return out


def _generated(tokenizer: Any, token_ids: list[int]) -> list[int]:
    """The output ids vLLM detokenizes: the end-of-turn token dropped."""
    ids = list(token_ids)
    return ids[:-1] if ids and ids[-1] == tokenizer.eos_token_id else ids


def offline(fmt: str, tokenizer: Any, token_ids: list[int], tools: list[dict[str, Any]]) -> Answer:
    """Our own one-shot parse of the server's output tokens: what a non-streamed answer must hold."""
    from dyn_plugins.formats import get_format

    result = get_format(fmt).parse(tokenizer.decode(_generated(tokenizer, token_ids), skip_special_tokens=False), tools)
    return Answer([(c.name, c.arguments) for c in result.calls], result.normal_text)


def token_deltas(tokenizer: Any, token_ids: list[int]) -> list[str]:
    """The text deltas of the server's output, one token per delta as vLLM streams them (an incomplete UTF-8
    sequence is held until its last byte arrives, as vLLM's incremental detokenizer does)."""
    deltas: list[str] = []
    ids = _generated(tokenizer, token_ids)
    sent = ""
    for end in range(1, len(ids) + 1):
        text = tokenizer.decode(ids[:end], skip_special_tokens=False)
        if text.endswith("\ufffd") and end < len(ids):
            continue
        deltas.append(text[len(sent) :])
        sent = text
    return deltas


def offline_stream(fmt: str, tokenizer: Any, token_ids: list[int], tools: list[dict[str, Any]]) -> Answer:
    """Our own live stream over the server's output deltas: what a streamed answer must hold. Equal to
    ``offline`` for a finished output; for one cut at ``max_tokens`` the live stream has already announced
    the unfinished call and closes its arguments, where the one-shot parse may drop or keep it as text."""
    from dyn_plugins.formats import parse_stream

    result = parse_stream(fmt, token_deltas(tokenizer, token_ids), tools)
    return Answer([(c.name, c.arguments) for c in result.calls], result.normal_text)


def same_calls(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> bool:
    """Equal names and equal arguments as JSON values (text may differ in spacing)."""

    def norm(args: str) -> Any:
        try:
            return json.loads(args)
        except ValueError:
            return args

    return [(n, norm(x)) for n, x in a] == [(n, norm(x)) for n, x in b]
