"""Load: 64 concurrent streaming tool-call requests against one real ``vllm serve`` (127.0.0.1 only).

All must succeed, and each streamed answer must equal our offline live stream of its own output token ids.
Reported (junit properties, and printed with ``-s``): wall time, requests/s, output tokens/s, and the
parser's share of the API server's CPU time: the server process's CPU time is read from /proc during
the run; the parser's is measured by feeding the same token deltas, one token per delta as the
server did, through the same vLLM parser class in this process (``process_time``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

import pytest

from grammar_walk import TOOL_SETS
from live_calls import LOAD_FORMAT, Answer, offline_stream, request_kwargs, same_calls, token_deltas

pytestmark = pytest.mark.server

CONCURRENCY = 64
TOOLS = TOOL_SETS["flat"] + TOOL_SETS["nested_enum"]


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process (the API server: HTTP, detokenizing, our parser)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _one(client: Any, seed: int) -> Answer:
    out = Answer()
    names: dict[int, str] = {}
    parts: dict[int, list[str]] = {}
    stream = await client.chat.completions.create(stream=True, **request_kwargs(TOOLS, "required", seed))
    async for chunk in stream:
        for c in chunk.choices:
            out.token_ids += list(getattr(c, "token_ids", None) or [])
            out.finish = c.finish_reason or out.finish
            for t in c.delta.tool_calls or []:
                if t.function and t.function.name:
                    names[t.index] = t.function.name
                if t.function and t.function.arguments:
                    parts.setdefault(t.index, []).append(t.function.arguments)
    out.calls = [(names[i], "".join(parts.get(i, []))) for i in sorted(names)]
    return out


async def _load(base_url: str) -> tuple[list[Answer | BaseException], float]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=base_url, api_key="unused", timeout=300, max_retries=0)
    t0 = time.perf_counter()
    answers = await asyncio.wait_for(asyncio.gather(*(_one(client, 1000 + i) for i in range(CONCURRENCY)), return_exceptions=True), 600)
    return answers, time.perf_counter() - t0


def _parser_cpu(tokenizer: Any, answers: list[Answer]) -> float:
    """CPU seconds our vLLM parser class spends on these outputs, fed one token per delta."""
    from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest

    from dyn_plugins.vllm.parser import PARSERS

    request = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}], tools=TOOLS, tool_choice="required")
    pieces = [token_deltas(tokenizer, a.token_ids) for a in answers]
    t0 = time.process_time()
    for deltas in pieces:
        p = PARSERS[LOAD_FORMAT](tokenizer, None)
        text = ""
        for d in deltas:
            p.extract_tool_calls_streaming(text, text + d, d, [], [], [], request)
            text += d
        p.finish_streaming()
    return time.process_time() - t0


def test_concurrent_streams(servers: Any, tokenizer: Any, record_property: Any) -> None:
    server = servers.get(LOAD_FORMAT)
    pid = server.proc.pid
    cpu0 = _cpu_seconds(pid)
    answers, wall = asyncio.run(_load(server.base_url))
    server_cpu = _cpu_seconds(pid) - cpu0
    failed = [a for a in answers if isinstance(a, BaseException)]
    assert not failed, f"{len(failed)} of {CONCURRENCY} requests failed, first: {failed[0]!r}"
    ok = [a for a in answers if isinstance(a, Answer)]
    expected = [offline_stream(LOAD_FORMAT, tokenizer, a.token_ids, TOOLS).calls for a in ok]
    mismatched = [(a.calls, e) for a, e in zip(ok, expected) if not same_calls(a.calls, e)]
    assert not mismatched, f"{len(mismatched)} streams differ from our offline stream of their tokens, first: {mismatched[0]}"
    tokens = sum(len(a.token_ids) for a in ok)
    parser_cpu = _parser_cpu(tokenizer, ok)
    stats = {
        "format": LOAD_FORMAT, "requests": CONCURRENCY, "wall_s": round(wall, 2), "requests_per_s": round(CONCURRENCY / wall, 2),
        "output_tokens": tokens, "tokens_per_s": round(tokens / wall, 1), "api_server_cpu_s": round(server_cpu, 2),
        "parser_cpu_s": round(parser_cpu, 3), "parser_share_of_api_server_cpu": round(parser_cpu / server_cpu, 4) if server_cpu else None,
        "finish_reasons": sorted({str(a.finish) for a in ok}),
    }  # fmt: skip
    print("load:", json.dumps(stats), file=sys.stderr)
    for k, v in stats.items():
        record_property(k, v)
    assert all(a.calls for a in ok if a.finish != "length")
