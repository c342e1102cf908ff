"""Replay harness: recorded model outputs through vLLM's REAL ``OpenAIServingChat`` (vLLM 0.31 / 0.32 / 0.33)
and, on 0.33, its Anthropic ``/v1/messages`` serving class (:func:`run_messages`).

No model runs: :class:`ScriptedEngine` is a duck-typed vLLM ``EngineClient`` whose ``generate`` yields
``RequestOutput`` objects for a scripted list of token ids, chunk by chunk, detokenized the way vLLM's
engine does it (``skip_special_tokens`` and ``output_kind`` honoured: DELTA for streaming, FINAL_ONLY
otherwise). Everything above the engine is vLLM's own code: chat template rendering, our parser's
``adjust_request``, parser construction and validation, ``Parser.parse`` / ``parse_delta``, the
end-of-stream flush, ``finish_reason`` and the OpenAI serialisation.

Shared by the tests (``tests/vllm``) and the demo (:mod:`dyn_plugins.replay.vllm_demo`).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

MODEL_NAME = "dyn-plugins/replay"


def build_model_dir(directory: str | Path, *, model_type: str = "qwen2") -> Path:
    """A local model directory (tokenizer with every format's markers as special tokens + tiny config.json)."""
    from transformers import AutoTokenizer

    from .tokenizer import build_tokenizer, write_model_config

    out = Path(directory)
    if not (out / "config.json").exists():
        build_tokenizer(out)
        tok = AutoTokenizer.from_pretrained(str(out))
        write_model_config(out, len(tok))
    if model_type != "qwen2":
        cfg = json.loads((out / "config.json").read_text())
        cfg["model_type"] = model_type
        (out / "config.json").write_text(json.dumps(cfg, indent=2))
    return out


def chunk_ids(ids: Sequence[int], sizes: Sequence[int] = (1,)) -> list[list[int]]:
    """Split ``ids`` into chunks whose lengths cycle through ``sizes`` (1 = one token per delta)."""
    out: list[list[int]] = []
    i, k = 0, 0
    while i < len(ids):
        n = max(1, sizes[k % len(sizes)])
        out.append(list(ids[i : i + n]))
        i += n
        k += 1
    return out


@dataclass
class Script:
    """What the engine "generates" for the next request."""

    token_ids: list[int]
    chunk_sizes: Sequence[int] = (1,)
    finish_reason: str = "stop"
    #: the last id is a stop token the engine stopped on (``<|call|>``, ``<|eot_id|>``): returned among the
    #: token ids but not detokenized, as vLLM's detokenizer does without ``include_stop_str_in_output``
    trim_stop: bool = False

    @property
    def text_ids(self) -> list[int]:
        """The ids whose text the client gets."""
        return self.token_ids[:-1] if self.trim_stop else list(self.token_ids)


@dataclass
class ScriptedEngine:
    """Duck-typed vLLM EngineClient replaying :attr:`script` (set it before each request)."""

    model_config: Any
    renderer: Any
    tokenizer: Any
    vllm_config: Any = None
    script: Script | None = None
    #: sampling params of the requests seen (tests check skip_special_tokens / structured outputs).
    seen: list[Any] = field(default_factory=list)
    input_processor: Any = None
    errored: bool = False
    is_running: bool = True
    is_stopped: bool = False
    dead_error: Exception = field(default_factory=lambda: RuntimeError("engine dead"))

    def check_admission(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def check_health(self) -> None:
        return None

    async def get_supported_tasks(self) -> tuple[str, ...]:
        return ("generate",)

    async def is_tracing_enabled(self) -> bool:
        return False

    async def abort(self, *args: Any, **kwargs: Any) -> None:
        return None

    def _decode(self, ids: Sequence[int], skip: bool) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=skip)

    async def generate(self, engine_input: Any, sampling_params: Any, request_id: str, **kwargs: Any) -> AsyncIterator[Any]:
        from ..vllm import compat

        CompletionOutput, RequestOutput = compat.harness("CompletionOutput"), compat.harness("RequestOutput")
        RequestOutputKind = compat.harness("RequestOutputKind")

        assert self.script is not None, "ScriptedEngine.script not set"
        self.seen.append(sampling_params)
        script = self.script
        prompt_ids = list(engine_input.get("prompt_token_ids", []) if isinstance(engine_input, dict) else getattr(engine_input, "prompt_token_ids", []))
        skip = bool(getattr(sampling_params, "skip_special_tokens", True))
        chunks = chunk_ids(script.token_ids, script.chunk_sizes) or [[]]

        def output(text: str, ids: list[int], last: bool) -> Any:
            comp = CompletionOutput(
                index=0,
                text=text,
                token_ids=ids,
                cumulative_logprob=None,
                logprobs=None,
                finish_reason=script.finish_reason if last else None,
            )
            return RequestOutput(request_id, None, prompt_ids, None, [comp], finished=last)

        if getattr(sampling_params, "output_kind", None) != RequestOutputKind.DELTA:
            yield output(self._decode(script.text_ids, skip), list(script.token_ids), True)
            return
        sent, done = "", 0
        for n, chunk in enumerate(chunks):
            done += len(chunk)
            last = n == len(chunks) - 1
            text = self._decode(script.text_ids[:done], skip)
            if text.endswith("\ufffd") and not last:  # incomplete UTF-8 sequence: held back, as vLLM does
                delta = ""
            else:
                delta, sent = text[len(sent) :], text
            yield output(delta, chunk, last)
            await asyncio.sleep(0)


def load_plugins() -> None:
    """What every vLLM process does at start-up (an in-process harness must do it itself)."""
    from ..vllm import compat

    compat.harness("load_general_plugins")()


def make_serving_chat(
    model_dir: str | Path,
    tool_parser: str | None,
    *,
    reasoning_parser: str = "",
    max_model_len: int = 4096,
    tool_strict_level: str | None = None,
    api: str = "chat",
) -> tuple[Any, ScriptedEngine]:
    """vLLM's OpenAIServingChat over a ScriptedEngine, configured like ``vllm serve MODEL_DIR
    --enable-auto-tool-choice --tool-call-parser TOOL_PARSER [--reasoning-parser R] [--tool-strict-level L]``.

    ``api="messages"``: vLLM's ``AnthropicServingMessages`` instead (``/v1/messages``, 0.33; a subclass of the
    chat serving class that converts the request and the response): use :func:`run_messages` with it.
    """
    os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from ..vllm import compat

    ModelConfig = compat.harness("ModelConfig")
    BaseModelPath, OpenAIServingModels = compat.harness("BaseModelPath"), compat.harness("OpenAIServingModels")
    serving_cls = compat.harness("OpenAIServingChat") if api == "chat" else compat.anthropic_serving_messages()
    if serving_cls is None:
        raise RuntimeError("this vLLM has no Anthropic /v1/messages serving class")
    OnlineRenderer, renderer_from_config = compat.harness("OnlineRenderer"), compat.harness("renderer_from_config")

    load_plugins()
    model_config = ModelConfig(model=str(model_dir), tokenizer=str(model_dir), max_model_len=max_model_len, served_model_name=MODEL_NAME)
    vllm_config = SimpleNamespace(
        model_config=model_config,
        lora_config=None,
        kv_transfer_config=None,
        cache_config=SimpleNamespace(enable_prefix_caching=False),
        parallel_config=SimpleNamespace(_api_process_rank=0),
        observability_config=None,
    )
    renderer = renderer_from_config(vllm_config)
    engine = ScriptedEngine(model_config=model_config, renderer=renderer, tokenizer=renderer.tokenizer, vllm_config=vllm_config)
    models = OpenAIServingModels(engine, [BaseModelPath(name=MODEL_NAME, model_path=str(model_dir))])
    common: dict[str, Any] = dict(
        request_logger=None,
        chat_template=None,
        chat_template_content_format="auto",
        enable_auto_tools=tool_parser is not None,
        tool_parser=tool_parser,
        reasoning_parser=reasoning_parser or None,
    )
    if tool_strict_level is not None:  # vLLM 0.32+ (--tool-strict-level)
        common["tool_strict_level"] = tool_strict_level
    online = OnlineRenderer(model_config, renderer, **common)
    common["reasoning_parser"] = reasoning_parser
    chat = serving_cls(engine, models, "assistant", online_renderer=online, **common)
    return chat, engine


def encode(engine: ScriptedEngine, text: str) -> list[int]:
    """Token ids of a recorded output in the served tokenizer (markers come out as single special tokens)."""
    return list(engine.tokenizer.encode(text, add_special_tokens=False))


@dataclass
class ChatResult:
    """The OpenAI response, reduced to what clients read (streamed deltas reassembled)."""

    content: str | None
    tool_calls: list[dict[str, Any]]
    finish_reason: str | None
    reasoning: str | None = None
    raw: Any = None
    chunks: list[dict[str, Any]] = field(default_factory=list)


def reassemble(chunks: list[dict[str, Any]]) -> ChatResult:
    """Fold streamed ``chat.completion.chunk`` objects into one message, the way OpenAI clients do."""
    content: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish = None
    for chunk in chunks:
        for choice in chunk.get("choices", []):
            delta = choice.get("delta") or {}
            if delta.get("content"):
                content.append(delta["content"])
            r = delta.get("reasoning") or delta.get("reasoning_content")
            if r:
                reasoning.append(r)
            for tc in delta.get("tool_calls") or []:
                slot = calls.setdefault(tc["index"], {"id": None, "type": None, "name": "", "arguments": ""})
                if tc.get("id"):
                    slot["id"] = tc["id"]
                if tc.get("type"):
                    slot["type"] = tc["type"]
                fn = tc.get("function") or {}
                if fn.get("name"):
                    slot["name"] += fn["name"]
                if fn.get("arguments"):
                    slot["arguments"] += fn["arguments"]
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
    tool_calls = [calls[i] for i in sorted(calls)]
    return ChatResult("".join(content) or None, tool_calls, finish, "".join(reasoning) or None, chunks=chunks)


def chat_request(tools: list[dict[str, Any]] | None, stream: bool, **extra: Any) -> Any:
    from ..vllm.compat import ChatCompletionRequest

    body: dict[str, Any] = {
        "model": MODEL_NAME,
        "messages": [{"role": "user", "content": "What is the weather in Paris? And the time in Tokyo?"}],
        "stream": stream,
    }
    if tools is not None:
        body["tools"] = tools
    body.update(extra)
    return ChatCompletionRequest(**body)


async def run_chat_async(chat: Any, engine: ScriptedEngine, script: Script, *, stream: bool, tools: list[dict[str, Any]] | None, **extra: Any) -> ChatResult:
    """One chat completion through vLLM's serving code, replaying ``script``."""
    engine.script = script
    response = await chat.create_chat_completion(chat_request(tools, stream, **extra), None)
    if not stream:
        if not hasattr(response, "choices"):
            raise RuntimeError(f"vLLM returned an error: {response}")
        data = json.loads(response.model_dump_json())
        choice = data["choices"][0]
        msg = choice["message"]
        calls = [
            {"id": tc.get("id"), "type": tc.get("type"), "name": tc["function"]["name"], "arguments": tc["function"]["arguments"]}
            for tc in msg.get("tool_calls") or []
        ]
        reasoning = msg.get("reasoning") or msg.get("reasoning_content")
        return ChatResult(msg.get("content"), calls, choice.get("finish_reason"), reasoning, raw=data)
    if not hasattr(response, "__aiter__"):
        raise RuntimeError(f"vLLM returned an error: {response}")
    chunks: list[dict[str, Any]] = []
    async for line in response:
        for part in line.split("\n\n"):
            part = part.strip()
            if not part.startswith("data: ") or part == "data: [DONE]":
                continue
            payload = json.loads(part[len("data: ") :])
            if "error" in payload:
                raise RuntimeError(f"vLLM streamed an error: {payload}")
            chunks.append(payload)
    return reassemble(chunks)


def run_chat(chat: Any, engine: ScriptedEngine, script: Script, *, stream: bool, tools: list[dict[str, Any]] | None, **extra: Any) -> ChatResult:
    return asyncio.run(run_chat_async(chat, engine, script, stream=stream, tools=tools, **extra))


def anthropic_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI ``tools`` as Anthropic ``/v1/messages`` tools (name, description, input_schema, strict)."""
    out = []
    for tool in tools:
        fn = tool["function"]
        entry = {"name": fn["name"], "description": fn.get("description", ""), "input_schema": fn.get("parameters") or {"type": "object"}}
        if "strict" in fn:
            entry["strict"] = fn["strict"]
        out.append(entry)
    return out


def reassemble_messages(events: list[tuple[str, dict[str, Any]]]) -> ChatResult:
    """Fold Anthropic stream events (content_block_start/delta, message_delta) into one message.

    Tool calls come back as ``{"id", "type", "name", "arguments"}`` with ``arguments`` the JSON text of the
    ``tool_use`` input, text blocks as ``content``, thinking blocks as ``reasoning``, ``stop_reason`` as
    ``finish_reason``: the same shape as the chat results.
    """
    blocks: dict[int, dict[str, Any]] = {}
    stop = None
    for name, data in events:
        if name == "content_block_start":
            block = dict(data["content_block"])
            block.setdefault("partial", "")
            blocks[data["index"]] = block
        elif name == "content_block_delta":
            block, delta = blocks[data["index"]], data["delta"]
            if delta["type"] == "text_delta":
                block["text"] = block.get("text", "") + delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta["thinking"]
            elif delta["type"] == "input_json_delta":
                block["partial"] += delta["partial_json"]
        elif name == "message_delta":
            stop = data["delta"].get("stop_reason") or stop
    ordered = [blocks[i] for i in sorted(blocks)]
    for block in ordered:
        if block["type"] == "tool_use":
            block["input"] = json.loads(block["partial"]) if block["partial"] else block.get("input") or {}
    result = _messages_result(ordered, stop)
    result.chunks = [data for _, data in events]
    return result


def _messages_result(blocks: list[dict[str, Any]], stop_reason: str | None) -> ChatResult:
    text = "".join(b.get("text") or "" for b in blocks if b["type"] == "text")
    thinking = "".join(b.get("thinking") or "" for b in blocks if b["type"] == "thinking")
    calls = [
        {"id": b.get("id"), "type": "function", "name": b["name"], "arguments": json.dumps(b.get("input") or {}, ensure_ascii=False)}
        for b in blocks
        if b["type"] == "tool_use"
    ]
    return ChatResult(text or None, calls, stop_reason, thinking or None)


async def run_messages_async(serving: Any, engine: ScriptedEngine, script: Script, *, stream: bool, tools: list[dict[str, Any]] | None, **extra: Any) -> ChatResult:
    """One Anthropic ``/v1/messages`` request through vLLM's ``AnthropicServingMessages``, replaying ``script``.

    ``tools`` are OpenAI-style (converted with :func:`anthropic_tools`); ``extra`` goes into the request body
    (e.g. ``tool_choice={"type": "any"}``).
    """
    from ..vllm import compat

    engine.script = script
    body: dict[str, Any] = {
        "model": MODEL_NAME,
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "What is the weather in Paris? And the time in Tokyo?"}],
        "stream": stream,
    }
    if tools is not None:
        body["tools"] = anthropic_tools(tools)
    body.update(extra)
    response = await serving.create_messages(compat.anthropic_request(body), None)
    if not stream:
        if not hasattr(response, "content"):
            raise RuntimeError(f"vLLM returned an error: {response}")
        data = json.loads(response.model_dump_json())
        result = _messages_result(data["content"], data.get("stop_reason"))
        result.raw = data
        return result
    if not hasattr(response, "__aiter__"):
        raise RuntimeError(f"vLLM returned an error: {response}")
    events: list[tuple[str, dict[str, Any]]] = []
    async for frame in response:
        for part in frame.split("\n\n"):
            lines = dict(line.split(": ", 1) for line in part.strip().splitlines() if ": " in line)
            if "data" not in lines:
                continue
            payload = json.loads(lines["data"])
            if lines.get("event") == "error" or payload.get("type") == "error":
                raise RuntimeError(f"vLLM streamed an error: {payload}")
            events.append((lines.get("event", payload.get("type", "")), payload))
    return reassemble_messages(events)


def run_messages(serving: Any, engine: ScriptedEngine, script: Script, *, stream: bool, tools: list[dict[str, Any]] | None, **extra: Any) -> ChatResult:
    return asyncio.run(run_messages_async(serving, engine, script, stream=stream, tools=tools, **extra))

