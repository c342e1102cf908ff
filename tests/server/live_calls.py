"""One chat request to the live server, streamed or not, as a comparable answer (calls, content, finish, tokens)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from dyn_plugins.vllm.live_server import SERVED_NAME

#: format of the load test (tests/server/test_server_load.py)
LOAD_FORMAT = os.environ.get("DYN_LOAD_FORMAT", "deepseek_v3_1")
MESSAGES = [{"role": "user", "content": "What is the weather in Paris, and book me a trip there?"}]
MAX_TOKENS = 400


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


def offline(fmt: str, tokenizer: Any, token_ids: list[int], tools: list[dict[str, Any]]) -> Answer:
    """Our own parse of the server's output tokens (the end-of-turn token, which vLLM does not detokenize, dropped)."""
    from dyn_plugins.formats import get_format

    ids = list(token_ids)
    if ids and ids[-1] == tokenizer.eos_token_id:
        ids = ids[:-1]
    result = get_format(fmt).parse(tokenizer.decode(ids, skip_special_tokens=False), tools)
    return Answer([(c.name, c.arguments) for c in result.calls], result.normal_text)


def same_calls(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> bool:
    """Equal names and equal arguments as JSON values (text may differ in spacing)."""

    def norm(args: str) -> Any:
        try:
            return json.loads(args)
        except ValueError:
            return args

    return [(n, norm(x)) for n, x in a] == [(n, norm(x)) for n, x in b]
