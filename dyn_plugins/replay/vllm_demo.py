"""Replay demo: recorded outputs of every Dynamo format through vLLM's real chat-completions serving code.

``dyn-plugins demo --engine vllm`` / ``python -m dyn_plugins.replay.vllm_demo [--format F] [--scenario S]``.
For each format x scenario (dyn_plugins.samples), the recorded text is tokenized with a local
tokenizer (built here, no hub), and the token ids are replayed by a scripted engine into vLLM's
``OpenAIServingChat`` configured as ``vllm serve --enable-auto-tool-choice --tool-call-parser
<Dynamo name>``; the OpenAI responses (non-streaming, then streaming reassembled) are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Any


def _fmt_result(r: Any) -> str:
    calls = ", ".join(f"{c['name']}({c['arguments']})" for c in r.tool_calls) or "-"
    parts = [f"finish_reason={r.finish_reason}", f"tool_calls=[{calls}]", f"content={json.dumps(r.content, ensure_ascii=False)}"]
    if r.reasoning:
        parts.append(f"reasoning={json.dumps(r.reasoning, ensure_ascii=False)}")
    return "  ".join(parts)


def _answer(content: str | None, calls: list[dict[str, Any]]) -> tuple[str, list[tuple[str, Any]]]:
    """Content and calls, comparable (arguments as JSON values, no content as "")."""

    def value(args: str) -> Any:
        try:
            return json.loads(args)
        except ValueError:
            return args

    return content or "", [(c["name"], value(c["arguments"])) for c in calls]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dyn-plugins demo --engine vllm", description=__doc__.splitlines()[0])
    ap.add_argument("--format", action="append", help="only this Dynamo format (repeatable)")
    ap.add_argument("--scenario", action="append", help="only this scenario (repeatable)")
    ap.add_argument("--model-dir", help="reuse/build the local tokenizer+config here (default: a temp dir)")
    args = ap.parse_args(argv)

    os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import vllm
    except ImportError:
        print("vLLM is not installed here: run scripts/demo.sh (it uses .venv-vllm).", file=sys.stderr)
        return 2

    from ..formats import FORMAT_NAMES, parse_stream
    from ..samples import SCENARIOS, TOOLS, sample
    from .vllm_serving import Script, build_model_dir, encode, make_serving_chat, run_chat

    formats = args.format or list(FORMAT_NAMES)
    scenarios = args.scenario or list(SCENARIOS)
    with tempfile.TemporaryDirectory(prefix="dyn-plugins-vllm-") as tmp:
        model_dir = build_model_dir(args.model_dir or tmp)
        print(f"vLLM {vllm.__version__}: OpenAIServingChat replaying recorded outputs (model dir {model_dir})")
        failures = 0
        for fmt in formats:
            chat, engine = make_serving_chat(model_dir, fmt)
            print(f"\n== vllm serve --enable-auto-tool-choice --tool-call-parser {fmt}   [{chat.parser_cls.tool_parser_cls.__name__}]")
            for scenario in scenarios:
                text = sample(fmt, scenario).text
                ids = encode(engine, text)
                try:
                    full = run_chat(chat, engine, Script(ids), stream=False, tools=TOOLS)
                    streamed = run_chat(chat, engine, Script(ids, (2,)), stream=True, tools=TOOLS)
                except Exception as exc:  # noqa: BLE001 - report and go on
                    failures += 1
                    print(f"  {scenario:<12} ERROR {exc}")
                    continue
                print(f"  {scenario:<12} raw     {json.dumps(text, ensure_ascii=False)[:110]}")
                print(f"  {'':<12} full    {_fmt_result(full)}")
                live = parse_stream(fmt, [text], TOOLS)
                if _answer(full.content, full.tool_calls) == _answer(streamed.content, streamed.tool_calls):
                    verdict = "same as full"
                elif _answer(live.normal_text, [{"name": c.name, "arguments": c.arguments} for c in live.calls]) == _answer(streamed.content, streamed.tool_calls):
                    verdict = "as the core's live stream: a call announced before the output was cut stays, closed"
                else:
                    verdict = "DIFFERS"
                    failures += 1
                print(f"  {'':<12} stream  {_fmt_result(streamed)}  ({len(streamed.chunks)} chunks, {verdict})")
    print(f"\n{'all responses consistent' if not failures else f'{failures} problem(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
