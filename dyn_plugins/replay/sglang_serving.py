"""SGLang's real ``OpenAIServingChat`` in-process, fed by a scripted tokenizer manager (no model, no GPU).

The scripted manager tokenizes a recorded model output with a local tokenizer (built by
:func:`dyn_plugins.replay.tokenizer.build_tokenizer`) and yields it back the way SGLang's
``TokenizerManager.generate_request`` does: one dict per token with the cumulative text when
streaming (special tokens stay whole, as with SGLang's detokenizer), one dict at the end otherwise.
Used by the SGLang tests and by ``dyn-plugins demo --engine sglang``.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .tokenizer import build_tokenizer, write_model_config

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@dataclass
class Reply:
    """A chat completion as the client sees it (stream reassembled, or the non-stream body)."""

    content: str | None
    tool_calls: list[dict[str, Any]]
    finish_reason: str | None
    reasoning_content: str | None = None
    chunks: list[dict[str, Any]] = field(default_factory=list)


class ScriptedTokenizerManager:
    """Just enough of SGLang's TokenizerManager for OpenAIServingChat; replays ``self.script``."""

    def __init__(self, model_dir: Path, server_args: Any) -> None:
        from transformers import AutoTokenizer

        self.server_args = server_args
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model_path = str(model_dir)
        self.served_model_name = "replay"
        self.model_config = SimpleNamespace(
            is_multimodal=False,
            hf_config=SimpleNamespace(model_type="qwen2", architectures=["Qwen2ForCausalLM"]),
            get_default_sampling_params=lambda: {},
            context_len=4096,
        )
        self.request_logger = SimpleNamespace(log_requests=False, log_requests_level=0)
        self.script = ""
        self.finish: dict[str, Any] = {"type": "stop", "matched": None}
        self.last_request: Any = None

    def config_value(self, name: str) -> Any:
        from sglang.srt.runtime_context import get_context

        return get_context().config_leaf(name)

    def create_abort_task(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def generate_request(self, obj: Any, request: Any = None):  # type: ignore[no-untyped-def]
        self.last_request = obj
        ids = self.tokenizer.encode(self.script, add_special_tokens=False)
        meta = {"id": "replay-0", "prompt_tokens": 8, "completion_tokens": len(ids), "cached_tokens": 0, "weight_version": "default"}
        if obj.stream:
            text, start = "", 0
            for i in range(len(ids)):
                last = i == len(ids) - 1
                # a token that ends inside a multi-byte character is held until the character is complete, as
                # SGLang's detokenizer does (decoding it alone would give U+FFFD)
                piece = self.tokenizer.decode(ids[start : i + 1], skip_special_tokens=False)
                if piece.endswith("\ufffd") and not last:
                    continue
                text, start = text + piece, i + 1
                yield {"text": text, "index": 0, "output_ids": ids[: i + 1], "meta_info": {**meta, "completion_tokens": i + 1, "finish_reason": dict(self.finish) if last else None}}
        else:
            yield {"text": self.script, "index": 0, "output_ids": ids, "meta_info": {**meta, "finish_reason": dict(self.finish)}}


class Replayer:
    """One OpenAIServingChat per tool-call parser name, over a temp model dir with the local tokenizer."""

    def __init__(self, workdir: str | Path | None = None) -> None:
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="dyn-plugins-sglang-")
            workdir = self._tmp.name
        self.model_dir = Path(workdir) / "model"
        if not (self.model_dir / "tokenizer.json").exists():
            build_tokenizer(self.model_dir)
            tok = json.loads((self.model_dir / "tokenizer.json").read_text())
            write_model_config(self.model_dir, vocab_size=len(tok["model"]["vocab"]) + len(tok.get("added_tokens", [])) + 8)
        self._chats: dict[tuple[str, str | None], Any] = {}

    def chat(self, parser: str, reasoning_parser: str | None = None) -> tuple[Any, ScriptedTokenizerManager]:
        key = (parser, reasoning_parser)
        if key not in self._chats:
            from sglang.srt.entrypoints.openai.serving_chat import OpenAIServingChat
            from sglang.srt.parser.template_manager import TemplateManager
            from sglang.srt.runtime_context import publish
            from sglang.srt.server_args import ServerArgs

            args = ServerArgs(model_path=str(self.model_dir), tool_call_parser=parser, reasoning_parser=reasoning_parser, device="cpu")
            publish(args, role="tokenizer")
            tm = ScriptedTokenizerManager(self.model_dir, args)
            self._chats[key] = (OpenAIServingChat(tm, TemplateManager()), tm)
        return self._chats[key]

    def run(self, parser: str, output: str, *, stream: bool, tools: list[dict[str, Any]], tool_choice: Any = "auto", finish: str = "stop", reasoning_parser: str | None = None) -> Reply:
        return asyncio.run(self.arun(parser, output, stream=stream, tools=tools, tool_choice=tool_choice, finish=finish, reasoning_parser=reasoning_parser))

    async def arun(self, parser: str, output: str, *, stream: bool, tools: list[dict[str, Any]], tool_choice: Any = "auto", finish: str = "stop", reasoning_parser: str | None = None) -> Reply:
        from sglang.srt.entrypoints.openai.protocol import ChatCompletionRequest

        chat, tm = self.chat(parser, reasoning_parser)
        # publish() is process-global: re-publish this parser's args before each request
        from sglang.srt.runtime_context import publish

        publish(tm.server_args, role="tokenizer")
        tm.script = output
        tm.finish = {"type": finish, "matched": None} if finish == "stop" else {"type": finish, "length": 0}
        req = ChatCompletionRequest(
            model="replay",
            messages=[{"role": "user", "content": "What is the weather in Paris?"}],
            tools=tools or None,
            tool_choice=tool_choice if tools else "none",
            stream=stream,
        )
        resp = await chat.handle_request(req, None)
        if not stream:
            body = json.loads(resp.model_dump_json()) if hasattr(resp, "model_dump_json") else json.loads(resp.body)
            if "choices" not in body:
                raise RuntimeError(f"SGLang returned an error: {body}")
            choice = body["choices"][0]
            msg = choice["message"]
            calls = [{"name": c["function"]["name"], "arguments": c["function"]["arguments"], "index": c.get("index"), "id": c.get("id")} for c in msg.get("tool_calls") or []]
            return Reply(msg.get("content"), calls, choice.get("finish_reason"), msg.get("reasoning_content"))
        chunks: list[dict[str, Any]] = []
        async for part in resp.body_iterator:
            for line in (part if isinstance(part, str) else part.decode()).splitlines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    chunks.append(json.loads(line[6:]))
        return reassemble(chunks)


def reassemble(chunks: list[dict[str, Any]]) -> Reply:
    """Fold OpenAI stream chunks into one message, as an OpenAI client would."""
    content: list[str] = []
    reasoning: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish = None
    for ch in chunks:
        if "error" in ch:
            raise RuntimeError(f"SGLang streamed an error: {ch}")
        for choice in ch.get("choices", []):
            delta = choice.get("delta") or {}
            if delta.get("content"):
                content.append(delta["content"])
            if delta.get("reasoning_content"):
                reasoning.append(delta["reasoning_content"])
            for tc in delta.get("tool_calls") or []:
                slot = calls.setdefault(tc["index"], {"name": None, "arguments": "", "index": tc["index"], "id": None})
                fn = tc.get("function") or {}
                if fn.get("name"):
                    slot["name"] = fn["name"]
                if tc.get("id"):
                    slot["id"] = tc["id"]
                slot["arguments"] += fn.get("arguments") or ""
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
    return Reply("".join(content) or None, [calls[i] for i in sorted(calls)], finish, "".join(reasoning) or None, chunks)
