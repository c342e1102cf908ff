"""SGLang's real ``OpenAIServingChat`` in-process, fed by a scripted tokenizer manager (no model, no GPU).

The scripted manager tokenizes a recorded model output with a local tokenizer (built by
:func:`dyn_plugins.replay.tokenizer.build_tokenizer`, or a real model's tokenizer directory given as
``Replayer(tokenizer_dir=...)``) and yields it back the way SGLang's ``TokenizerManager.generate_request``
does: one dict per step (``tokens_per_step`` tokens, SGLang's ``stream_interval``) with the cumulative text
when streaming, one dict at the end otherwise. The text comes from SGLang's own detokenizer code
(``DetokenizerManager``'s incremental decode: partial UTF-8 held back, the request's resolved
``skip_special_tokens``, a matched stop token trimmed).
Used by the SGLang tests and by ``dyn-plugins demo --engine sglang``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
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

    def __init__(self, model_dir: Path, server_args: Any, model_type: str = "qwen2") -> None:
        from transformers import AutoTokenizer

        self.server_args = server_args
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.model_path = str(model_dir)
        self.served_model_name = "replay"
        self.model_config = SimpleNamespace(
            is_multimodal=False,
            hf_config=SimpleNamespace(model_type=model_type, architectures=["Qwen2ForCausalLM"]),
            get_default_sampling_params=lambda: {},
            context_len=4096,
        )
        self.request_logger = SimpleNamespace(log_requests=False, log_requests_level=0)
        self.script = ""
        self.finish: dict[str, Any] = {"type": "stop", "matched": None}
        #: a stop token id the model emits after the script (SGLang stops on it and trims it), or None
        self.stop_id: int | None = None
        self.tokens_per_step = 1
        self.last_request: Any = None

    def config_value(self, name: str) -> Any:
        from sglang.srt.runtime_context import get_context

        return get_context().config_leaf(name)

    def create_abort_task(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def generate_request(self, obj: Any, request: Any = None):  # type: ignore[no-untyped-def]
        self.last_request = obj
        ids = self.tokenizer.encode(self.script, add_special_tokens=False)
        finish = dict(self.finish)
        if self.stop_id is not None:
            ids.append(self.stop_id)
            finish = {"type": "stop", "matched": self.stop_id}
        params = obj.sampling_params if isinstance(obj.sampling_params, dict) else {}
        skip = bool(params.get("skip_special_tokens", True))
        meta = {"id": "replay-0", "prompt_tokens": 8, "completion_tokens": len(ids), "cached_tokens": 0, "weight_version": "default"}
        step = self.tokens_per_step if obj.stream else max(len(ids), 1)
        text = ""
        for end, piece, last in detokenize(self.tokenizer, ids, step, finish, skip, self.server_args.tool_call_parser):
            text += piece
            if obj.stream or last:
                yield {"text": text, "index": 0, "output_ids": ids[:end], "meta_info": {**meta, "completion_tokens": end, "finish_reason": dict(finish) if last else None}}


def detokenize(tokenizer: Any, ids: list[int], step: int, finish: dict[str, Any], skip: bool, parser: str | None) -> Iterator[tuple[int, str, bool]]:
    """(tokens so far, new text, last?) per step of ``step`` tokens, decoded as SGLang's detokenizer does."""
    step = max(step, 1)
    bounds = list(range(step, len(ids), step)) + [len(ids)]
    from sglang.srt.managers.detokenizer_manager import DetokenizerManager  # its decode step: 0.5.21 and 0.5.23

    detok = object.__new__(DetokenizerManager)
    detok.decode_status = {}
    detok.vocab_size = len(tokenizer)
    detok.disable_tokenizer_batch_decode = False
    detok.tokenizer = tokenizer
    detok.is_tool_call_parser_gpt_oss = parser == "gpt-oss"
    try:  # 0.5.23+: a stop token that closes a call is kept
        from sglang.srt.parser.response_template import tool_close_token_ids

        detok.tool_close_token_ids = tool_close_token_ids(parser, tokenizer)
    except ImportError:
        detok.tool_close_token_ids = frozenset()
    start = 0
    for end in bounds:
        last = end == len(ids)
        batch = SimpleNamespace(
            rids=["replay-0"], decoded_texts=[""], decode_ids=[ids[start:end]], read_offsets=[0],
            finished_reasons=[dict(finish) if last else None], no_stop_trim=[False],
            skip_special_tokens=[skip], spaces_between_special_tokens=[True],
        )
        (piece,) = detok._decode_batch_token_id_output(batch)
        start = end
        yield end, piece, last


class Replayer:
    """One OpenAIServingChat per tool-call parser name, over a temp model dir with the local tokenizer.

    ``tokenizer_dir``: a Hugging Face tokenizer directory (a real model's) copied into the model dir instead;
    ``model_type`` is what SGLang reads from the model's config.
    """

    def __init__(self, workdir: str | Path | None = None, *, tokenizer_dir: str | Path | None = None, model_type: str = "qwen2") -> None:
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="dyn-plugins-sglang-")
            workdir = self._tmp.name
        self.model_dir = Path(workdir) / "model"
        self.model_type = model_type
        if tokenizer_dir is not None and not (self.model_dir / "tokenizer.json").exists():
            shutil.copytree(tokenizer_dir, self.model_dir, dirs_exist_ok=True)
            from transformers import AutoTokenizer

            size = len(AutoTokenizer.from_pretrained(str(self.model_dir)))
            write_model_config(self.model_dir, vocab_size=size + 8)
        elif not (self.model_dir / "tokenizer.json").exists():
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
            tm = ScriptedTokenizerManager(self.model_dir, args, self.model_type)
            self._chats[key] = (OpenAIServingChat(tm, TemplateManager()), tm)
        return self._chats[key]

    def run(self, parser: str, output: str, *, stream: bool, tools: list[dict[str, Any]], tool_choice: Any = "auto", finish: str = "stop", reasoning_parser: str | None = None, tokens_per_step: int = 1, stop_token: str | None = None) -> Reply:
        return asyncio.run(self.arun(parser, output, stream=stream, tools=tools, tool_choice=tool_choice, finish=finish, reasoning_parser=reasoning_parser, tokens_per_step=tokens_per_step, stop_token=stop_token))

    async def arun(self, parser: str, output: str, *, stream: bool, tools: list[dict[str, Any]], tool_choice: Any = "auto", finish: str = "stop", reasoning_parser: str | None = None, tokens_per_step: int = 1, stop_token: str | None = None) -> Reply:
        """One request. ``stop_token``: the model then emits that token and SGLang stops on it (``finish`` is then
        a stop that matched it); ``tokens_per_step``: tokens per streamed step."""
        from sglang.srt.entrypoints.openai.protocol import ChatCompletionRequest

        chat, tm = self.chat(parser, reasoning_parser)
        # publish() is process-global: re-publish this parser's args before each request
        from sglang.srt.runtime_context import publish

        publish(tm.server_args, role="tokenizer")
        tm.script = output
        tm.finish = {"type": finish, "matched": None} if finish == "stop" else {"type": finish, "length": 0}
        tm.stop_id = None if stop_token is None else tm.tokenizer.convert_tokens_to_ids(stop_token)
        tm.tokens_per_step = tokens_per_step
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
