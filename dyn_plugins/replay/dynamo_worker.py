"""A Dynamo worker that replays recorded model outputs (tests and demos of Dynamo's fallback path; no model).

Built on Dynamo's own unified backend (``dynamo.common.backend.run``), so registration, discovery, the request
plane and the model card (with ``--dyn-tool-call-parser`` / ``--dyn-reasoning-parser`` stored in its runtime
config, exactly as ``python -m dynamo.vllm|sglang`` store them) are Dynamo's real code. Only the engine is fake:
it decodes the prompt, takes the LAST ``replay:KEY`` it finds (put it in the last user message) and streams the
token ids of the recorded output KEY:

- ``FORMAT/SCENARIO`` (e.g. ``glm47/single``): :mod:`dyn_plugins.samples`; scenario ``truncated`` ends with
  ``finish_reason: length``, the others with ``stop``;
- any key of the JSON file given with ``--replay-file`` (``{"key": "text"}`` or ``{"key": {"text": ...,
  "finish_reason": ...}}``).

A prompt without a known key gets the plain-text sample. Outputs that stop end with the tokenizer's EOS token
(as a model's do); ``max_tokens`` is honoured (``length``).

    python -m dyn_plugins.replay.dynamo_worker --model-dir DIR --served-model-name replay-glm47 \\
        --dyn-tool-call-parser glm47 --discovery-backend file

``--model-dir`` must hold ``config.json`` and a Hugging Face tokenizer (``--build-model`` writes one with
:func:`dyn_plugins.replay.tokenizer.build_tokenizer` first). Needs ``ai-dynamo`` (imported here, never by
``import dyn_plugins``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from dynamo._core import Context, get_reasoning_parser_names, get_tool_parser_names
from dynamo.common.backend.engine import EngineConfig, GenerateChunk, GenerateRequest, LLMEngine, LlmRegistration
from dynamo.common.backend.health_check import build_health_check_payload, is_probe
from dynamo.common.backend.run import run
from dynamo.common.backend.worker import WorkerConfig

from ..samples import sample, samples

KEY_RE = re.compile(r"replay:([A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+|[A-Za-z0-9_.\-]+)")


def build_model_dir(directory: str | Path, *, markers_special: bool = True) -> Path:
    """The tiny local model directory: this package's tokenizer (every format's markers) + a qwen2 config.

    ``markers_special=False`` for Dynamo's native frontend, whose detokenizer drops special tokens.
    """
    from transformers import AutoTokenizer

    from .tokenizer import build_tokenizer, write_model_config

    out = build_tokenizer(directory, markers_special=markers_special)
    write_model_config(out, vocab_size=len(AutoTokenizer.from_pretrained(str(out))))
    return out


def load_replays(path: str | None) -> dict[str, tuple[str, str]]:
    """Every replayable output: key -> (text, finish_reason)."""
    table: dict[str, tuple[str, str]] = {}
    for s in samples():
        table[f"{s.format}/{s.scenario}"] = (s.text, "length" if s.scenario == "truncated" else "stop")
    if path:
        for key, value in json.loads(Path(path).read_text(encoding="utf-8")).items():
            if isinstance(value, str):
                table[key] = (value, "stop")
            else:
                table[key] = (value["text"], value.get("finish_reason", "stop"))
    return table


class ReplayEngine(LLMEngine):
    """Streams the token ids of a recorded output chosen by the prompt's last ``replay:KEY``."""

    def __init__(self, model_dir: Path, served_model_name: str, replays: dict[str, tuple[str, str]], tokens_per_chunk: int, delay: float) -> None:
        from tokenizers import Tokenizer

        self.model_dir = model_dir
        self.served_model_name = served_model_name
        self.replays = replays
        self.tokens_per_chunk = max(1, tokens_per_chunk)
        self.delay = delay
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        eos = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8")).get("eos_token")
        eos = eos.get("content") if isinstance(eos, dict) else eos
        self.eos_id = self.tokenizer.token_to_id(eos) if eos else None

    @classmethod
    async def from_args(cls, argv: list[str] | None = None) -> tuple[ReplayEngine, WorkerConfig]:
        parser = argparse.ArgumentParser(description="Dynamo worker replaying recorded model outputs")
        parser.add_argument("--model-dir", required=True, help="local model dir (config.json + tokenizer)")
        parser.add_argument("--build-model", action="store_true", help="write the tiny model into --model-dir first")
        parser.add_argument(
            "--plain-markers", action="store_true", help="with --build-model: markers as non-special tokens (native frontend)"
        )
        parser.add_argument("--served-model-name", required=True)
        parser.add_argument("--namespace", default="dynamo")
        parser.add_argument("--component", default="replay")
        parser.add_argument("--endpoint", default="generate")
        parser.add_argument("--dyn-tool-call-parser", choices=get_tool_parser_names(), default=None)
        parser.add_argument("--dyn-reasoning-parser", choices=get_reasoning_parser_names(), default=None)
        parser.add_argument("--replay-file", default=None, help="JSON {key: text | {text, finish_reason}}")
        parser.add_argument("--tokens-per-chunk", type=int, default=1)
        parser.add_argument("--delay", type=float, default=0.0, help="seconds between chunks")
        parser.add_argument("--discovery-backend", default="file")
        parser.add_argument("--request-plane", default="tcp")
        args = parser.parse_args(argv)

        model_dir = Path(args.model_dir).resolve()
        if args.build_model:
            build_model_dir(model_dir, markers_special=not args.plain_markers)
        engine = cls(model_dir, args.served_model_name, load_replays(args.replay_file), args.tokens_per_chunk, args.delay)
        config = WorkerConfig(
            namespace=args.namespace,
            component=args.component,
            endpoint=args.endpoint,
            model_name=str(model_dir),
            served_model_name=args.served_model_name,
            endpoint_types="chat,completions",
            discovery_backend=args.discovery_backend,
            request_plane=args.request_plane,
            tool_call_parser=args.dyn_tool_call_parser,
            reasoning_parser=args.dyn_reasoning_parser,
            enable_kv_routing=False,
        )
        return engine, config

    async def start(self, worker_id: int) -> EngineConfig:
        del worker_id
        return EngineConfig(
            model=str(self.model_dir),
            served_model_name=self.served_model_name,
            llm=LlmRegistration(context_length=4096, kv_cache_block_size=16, total_kv_blocks=1000, max_num_seqs=64, max_num_batched_tokens=4096),
        )

    async def health_check_payload(self) -> dict[str, Any] | None:
        return build_health_check_payload(bos_token_id=self.tokenizer.token_to_id("<|startoftext|>") or 0)

    def pick(self, prompt_ids: list[int]) -> tuple[str, str]:
        """(text, finish_reason) for the last ``replay:KEY`` in the prompt; plain text if none is known."""
        prompt = self.tokenizer.decode(prompt_ids, skip_special_tokens=False)
        for key in reversed(KEY_RE.findall(prompt)):
            if key in self.replays:
                return self.replays[key]
        return sample("glm47", "plain").text, "stop"

    async def generate(self, request: GenerateRequest, context: Context) -> AsyncGenerator[GenerateChunk, None]:
        prompt_ids = list(request.get("token_ids", []))
        if is_probe(request):
            text, finish = "ok", "stop"
        else:
            text, finish = self.pick(prompt_ids)
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        max_tokens = (request.get("stop_conditions") or {}).get("max_tokens")
        if finish == "stop" and self.eos_id is not None:
            ids.append(self.eos_id)  # a real model ends with EOS; the frontend strips it from the text
        if max_tokens is not None and max_tokens < len(ids):
            ids, finish = ids[:max_tokens], "length"
        step = self.tokens_per_chunk
        for start in range(0, max(len(ids), 1), step):
            if context.is_stopped():
                yield {"token_ids": [], "index": 0, "finish_reason": "cancelled"}
                return
            if self.delay:
                await asyncio.sleep(self.delay)
            chunk: GenerateChunk = {"token_ids": ids[start : start + step], "index": 0}
            if start + step >= len(ids):
                chunk["finish_reason"] = finish
                chunk["completion_usage"] = {
                    "prompt_tokens": len(prompt_ids),
                    "completion_tokens": len(ids),
                    "total_tokens": len(prompt_ids) + len(ids),
                }
            yield chunk

    async def cleanup(self) -> None:
        return None


def main(argv: list[str] | None = None) -> None:
    run(ReplayEngine, argv)


if __name__ == "__main__":
    main()
