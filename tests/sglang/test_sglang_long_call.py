"""Issue 11 through SGLang's real OpenAIServingChat: one ~1.1k-token ``write_file`` call, one token per delta.

Live (the default): the name item (id, type, name) reaches the client before the token of the call's
closing marker, then many argument items (index + arguments only) that concatenate to exactly the
non-streaming response's arguments, so ``_check_for_unstreamed_tool_args`` added nothing.
``DYN_PLUGINS_TOOL_STREAMING=buffered``: the call arrives whole. The token at which each SSE chunk
left is read off the scripted tokenizer manager (SGLang pulls the next token only after sending the chunk).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

import pytest

import long_call
from dyn_plugins.formats import FORMAT_NAMES

pytestmark = pytest.mark.sglang

import sglang  # noqa: E402,F401  (the SGLang venv has it: a missing engine must fail, not skip)
from dyn_plugins.replay.sglang_serving import Replayer, ScriptedTokenizerManager, reassemble  # noqa: E402


@pytest.fixture(scope="module")
def replayer(tmp_path_factory: pytest.TempPathFactory) -> Replayer:
    return Replayer(tmp_path_factory.mktemp("sglang-long-call"))


def _stream_with_tokens(replayer: Replayer, fmt: str) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """(token index, chunk) for each streamed chunk, and the token index of the call's closing marker."""
    from sglang.srt.entrypoints.openai.protocol import ChatCompletionRequest
    from sglang.srt.runtime_context import publish

    chat, tm = replayer.chat(fmt)
    output = long_call.text(fmt)
    ids = tm.tokenizer.encode(output, add_special_tokens=False)
    close = long_call.close_token(lambda p: tm.tokenizer.decode(p, skip_special_tokens=False), ids, fmt)
    sent = [0]

    async def counting(obj: Any, request: Any = None) -> Any:
        async for out in ScriptedTokenizerManager.generate_request(tm, obj, request):
            sent[0] = out["meta_info"]["completion_tokens"]
            yield out

    async def run() -> list[tuple[int, dict[str, Any]]]:
        publish(tm.server_args, role="tokenizer")
        tm.script, tm.finish = output, {"type": "stop", "matched": None}
        tm.generate_request = counting  # type: ignore[method-assign]
        try:
            req = ChatCompletionRequest(model="replay", messages=[{"role": "user", "content": "Write the report."}], tools=long_call.TOOLS, stream=True)
            resp = await chat.handle_request(req, None)
            chunks: list[tuple[int, dict[str, Any]]] = []
            async for part in resp.body_iterator:
                for line in (part if isinstance(part, str) else part.decode()).splitlines():
                    if line.startswith("data: ") and line != "data: [DONE]":
                        chunks.append((sent[0] - 1, json.loads(line[6:])))
            return chunks
        finally:
            del tm.generate_request

    return asyncio.run(run()), close


def _same_result(replayer: Replayer, fmt: str, chunks: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    full = replayer.run(fmt, long_call.text(fmt), stream=False, tools=long_call.TOOLS)
    streamed = reassemble([c for _, c in chunks])
    assert full.tool_calls and json.loads(full.tool_calls[0]["arguments"]) == long_call.ARGS
    assert [(c["name"], c["arguments"]) for c in streamed.tool_calls] == [(c["name"], c["arguments"]) for c in full.tool_calls]
    assert (streamed.content or None) == (full.content or None)
    assert streamed.finish_reason == full.finish_reason == "tool_calls"
    return full.tool_calls[0]


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_long_call_streams_live(replayer: Replayer, fmt: str) -> None:
    """Name (with id) before the closing marker's token, > 50 argument deltas of index + arguments only,
    reassembling to exactly the non-streaming response."""
    chunks, close = _stream_with_tokens(replayer, fmt)
    deltas = long_call.timeline(chunks)
    m = long_call.measure(deltas, close)
    first_tok, first = deltas[0]
    assert first.get("id") and first["function"]["name"] == "write_file"
    assert first_tok < close
    assert m["arg_deltas"] > 50
    assert m["share_before_close"] > 0.9
    for _, later in deltas[1:]:
        assert later["index"] == 0
        assert not later.get("id") and not (later.get("function") or {}).get("name")
    _same_result(replayer, fmt, chunks)
    print(f"sglang live {fmt}: {m}")


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_long_call_buffered_switch(replayer: Replayer, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """DYN_PLUGINS_TOOL_STREAMING=buffered: the call arrives whole, no earlier than its closing marker's token
    (the name, then the whole arguments), same final result."""
    monkeypatch.setenv("DYN_PLUGINS_TOOL_STREAMING", "buffered")
    chunks, close = _stream_with_tokens(replayer, fmt)
    deltas = long_call.timeline(chunks)
    m = long_call.measure(deltas, close)
    assert all(tok >= close for tok, _ in deltas)
    args = [(tc.get("function") or {}).get("arguments") for _, tc in deltas]
    full = _same_result(replayer, fmt, chunks)
    assert [a for a in args if a] == [full["arguments"]]
    assert sum(1 for _, tc in deltas if (tc.get("function") or {}).get("name")) == 1
    print(f"sglang buffered {fmt}: {m}")


_LOG_ONCE = r"""
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="LOG %(name)s %(message)s")
from dyn_plugins.replay.sglang_serving import Replayer
tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
r = Replayer()
for _ in range(2):
    print("CALLS", len(r.run("glm47", sys.argv[1], stream=True, tools=tools).tool_calls))
"""


def test_buffered_switch_logged_once() -> None:
    """A fresh SGLang process with DYN_PLUGINS_TOOL_STREAMING=buffered logs the mode once for two streamed responses."""
    text = "<tool_call>get_weather<arg_key>city</arg_key><arg_value>Paris</arg_value></tool_call>"
    env = {**os.environ, "DYN_PLUGINS_TOOL_STREAMING": "buffered"}
    proc = subprocess.run([sys.executable, "-c", _LOG_ONCE, text], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert [ln for ln in lines if ln.startswith("CALLS")] == ["CALLS 1", "CALLS 1"]
    assert len([ln for ln in lines if "DYN_PLUGINS_TOOL_STREAMING=buffered" in ln]) == 1, lines
