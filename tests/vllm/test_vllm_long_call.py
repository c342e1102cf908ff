"""Issue 11 through vLLM's real OpenAIServingChat: one ~1.1k-token ``write_file`` call, one token per delta.

Live (the default): the call's name (with id and type) reaches the client before the token of the
call's closing marker, the arguments follow in many fragments that carry only ``index`` + arguments,
and they concatenate to exactly the non-streaming response's arguments (so vLLM's end-of-stream
flush added nothing and duplicated nothing). ``DYN_PLUGINS_TOOL_STREAMING=buffered``: the call
arrives whole, same final result. The token at which each SSE chunk left is read off the scripted
engine (it yields one token per step and vLLM pulls the next one only after sending the chunk).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import long_call
from dyn_plugins.formats import FORMAT_NAMES

pytestmark = pytest.mark.vllm


def _stream_with_tokens(serving: Any, fmt: str) -> tuple[list[tuple[int, dict[str, Any]]], int, Any]:
    """(token index, chunk) for each streamed chunk, the closing marker's token, the non-streaming result."""
    from dyn_plugins.replay.vllm_serving import Script, ScriptedEngine, chat_request, encode, run_chat

    chat, engine = serving(fmt)
    ids = encode(engine, long_call.text(fmt))
    close = long_call.close_token(lambda p: engine.tokenizer.decode(p, skip_special_tokens=False), ids, fmt)
    full = run_chat(chat, engine, Script(ids), stream=False, tools=long_call.TOOLS)
    sent = [0]

    async def counting(*args: Any, **kwargs: Any) -> Any:
        async for out in ScriptedEngine.generate(engine, *args, **kwargs):
            sent[0] += len(out.outputs[0].token_ids)
            yield out

    async def run() -> list[tuple[int, dict[str, Any]]]:
        engine.script = Script(ids)
        engine.generate = counting  # type: ignore[method-assign]
        try:
            response = await chat.create_chat_completion(chat_request(long_call.TOOLS, True), None)
            chunks: list[tuple[int, dict[str, Any]]] = []
            async for line in response:
                for part in line.split("\n\n"):
                    part = part.strip()
                    if part.startswith("data: ") and part != "data: [DONE]":
                        chunks.append((sent[0] - 1, json.loads(part[len("data: ") :])))
            return chunks
        finally:
            del engine.generate

    return asyncio.run(run()), close, full


def _streamed(chunks: list[tuple[int, dict[str, Any]]]) -> Any:
    from dyn_plugins.replay.vllm_serving import reassemble

    return reassemble([c for _, c in chunks])


def _same_result(streamed: Any, full: Any) -> None:
    assert full.tool_calls and json.loads(full.tool_calls[0]["arguments"]) == long_call.ARGS
    assert [(c["name"], c["arguments"]) for c in streamed.tool_calls] == [(c["name"], c["arguments"]) for c in full.tool_calls]
    assert (streamed.content or None) == (full.content or None)
    assert streamed.finish_reason == full.finish_reason == "tool_calls"


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_long_call_streams_live(serving: Any, fmt: str) -> None:
    """Name (with id and type) before the closing marker's token, > 50 argument deltas of index + arguments
    only, reassembling to exactly the non-streaming response."""
    chunks, close, full = _stream_with_tokens(serving, fmt)
    deltas = long_call.timeline(chunks)
    m = long_call.measure(deltas, close)
    first_tok, first = deltas[0]
    assert first.get("id") and first.get("type") == "function" and first["function"]["name"] == "write_file"
    assert first_tok < close and m["name_token"] < close
    assert m["arg_deltas"] > 50
    assert m["share_before_close"] > 0.9
    for _, later in deltas[1:]:
        assert later["index"] == 0
        assert not later.get("id") and not later.get("type") and not (later.get("function") or {}).get("name")
    _same_result(_streamed(chunks), full)
    print(f"vllm live {fmt}: {m}")


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_long_call_buffered_switch(serving: Any, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """DYN_PLUGINS_TOOL_STREAMING=buffered (read when the response starts streaming): the call arrives whole,
    no earlier than the closing marker's token, in one delta (name and whole arguments), same final result."""
    monkeypatch.setenv("DYN_PLUGINS_TOOL_STREAMING", "buffered")
    chunks, close, full = _stream_with_tokens(serving, fmt)
    deltas = long_call.timeline(chunks)
    m = long_call.measure(deltas, close)
    assert len(deltas) == 1, deltas
    tok, delta = deltas[0]
    assert tok >= close
    assert delta.get("id") and delta["function"]["name"] == "write_file"
    assert delta["function"]["arguments"] == full.tool_calls[0]["arguments"]
    _same_result(_streamed(chunks), full)
    print(f"vllm buffered {fmt}: {m}")


_LOG_ONCE = r"""
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="LOG %(name)s %(message)s")
from dyn_plugins.replay.vllm_serving import Script, encode, make_serving_chat, run_chat
chat, engine = make_serving_chat(sys.argv[1], "glm47")
for _ in range(2):
    r = run_chat(chat, engine, Script(encode(engine, sys.argv[2])), stream=True, tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])
    print("CALLS", len(r.tool_calls))
"""


def test_buffered_switch_logged_once(model_dir: Path) -> None:
    """A fresh vLLM process with DYN_PLUGINS_TOOL_STREAMING=buffered logs the mode once for two streamed responses."""
    text = "<tool_call>get_weather<arg_key>city</arg_key><arg_value>Paris</arg_value></tool_call>"
    env = {**os.environ, "DYN_PLUGINS_TOOL_STREAMING": "buffered"}
    proc = subprocess.run([sys.executable, "-c", _LOG_ONCE, str(model_dir), text], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert [ln for ln in lines if ln.startswith("CALLS")] == ["CALLS 1", "CALLS 1"]
    logged = [ln for ln in lines if "DYN_PLUGINS_TOOL_STREAMING=buffered" in ln]
    assert len(logged) == 1, lines
