"""When does a streaming client see a tool call? Ours (live and buffered) vs. the engines' built-in parsers.

    python -m benchmarks.latency --runners core,core-buffered --tag core
    python -m benchmarks.latency --merge a.json b.json --markdown out.md

Input: one ``write_file`` call with a ~1.1 kB ``content`` string (``benchmarks/cases.py``'s text, no
prose), in every format, cut into the tokens of the local benchmark tokenizer and fed one token per
delta, the same tokens for every parser. Per parser: the token index at which the call's name reaches
the client, that of the first argument byte, the share of argument bytes delivered before the token that
holds the call's closing marker, and the number of argument deltas; ``ok`` says the streamed arguments
equal the one-shot parse's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from dyn_plugins.formats import FORMAT_NAMES, ArgsDelta, CallStart, get_format

from . import runners
from .cases import RENDER, TOOLS, file_content
from .streaming import RESULTS, tokenizer_splitter

#: where each format's call ends (the first of these after the arguments start)
CLOSE = {
    "glm47": "</tool_call>",
    "jamba": "</tool_calls>",
    "nemotron_deci": "</TOOLCALL>",
    "deepseek_v3_1": "<｜tool▁call▁end｜>",
    "harmony": "<|call|>",
    "deepseek_v3_2": "</｜DSML｜invoke>",
    "default": "</TOOLCALL>",
}

#: (token index, name or None, argument fragment) per tool-call piece a parser delivered
Pieces = list[tuple[int, str | None, str]]
Driver = Callable[[list[str], list[list[int]]], Pieces]


def long_call(fmt: str) -> tuple[str, str]:
    """The wire text of one write_file call with a ~1.1 kB content string, and its arguments JSON."""
    content = file_content(random.Random("latency"), 190)
    args = {"path": "src/app.py", "content": content}
    return RENDER[fmt]("", [("write_file", args)]).strip(), json.dumps(args, ensure_ascii=False)


# -- drivers ----------------------------------------------------------------------------------------


def core_driver(fmt: str, buffered: bool) -> Driver:
    f = get_format(fmt)

    def drive(chunks: list[str], _ids: list[list[int]]) -> Pieces:
        stream = f.stream(TOOLS, buffered=buffered)
        out: Pieces = []
        for i, chunk in enumerate([*chunks, None]):
            events = stream.feed(chunk) if chunk is not None else stream.finish()
            for ev in events:
                if isinstance(ev, CallStart):
                    out.append((i, ev.name, ""))
                elif isinstance(ev, ArgsDelta):
                    out.append((i, None, ev.fragment))
        return out

    return drive


def _with_mode(buffered: bool) -> None:
    if buffered:
        os.environ["DYN_PLUGINS_TOOL_STREAMING"] = "buffered"
    else:
        os.environ.pop("DYN_PLUGINS_TOOL_STREAMING", None)


def vllm_driver(fmt: str, builtin: bool, buffered: bool = False) -> Driver:
    env = runners._vllm_env(str(RESULTS / "tokenizer"))  # noqa: SLF001 - the streaming benchmark's set-up
    if builtin:
        if fmt == "harmony":
            raise runners.Unavailable("vLLM openai: gpt-oss goes through openai_harmony")
        cls = runners._builtin_class(runners.VLLM_BUILTIN, "vLLM", fmt)  # noqa: SLF001
    else:
        from dyn_plugins.vllm.parser import make_parser_class

        cls = make_parser_class(fmt)

    def drive(chunks: list[str], ids: list[list[int]]) -> Pieces:
        _with_mode(buffered)
        parser = cls(env["tokenizer"], TOOLS)
        request = parser.adjust_request(env["request"].model_copy(deep=True))
        out: Pieces = []
        prev_text, cur_text, prev_ids, cur_ids = "", "", [], []  # type: ignore[var-annotated]
        for i, (chunk, tids) in enumerate(zip(chunks, ids)):
            prev_text, cur_text = cur_text, cur_text + chunk
            prev_ids, cur_ids = cur_ids, cur_ids + tids
            _collect_vllm(out, i, parser.extract_tool_calls_streaming(prev_text, cur_text, chunk, prev_ids, cur_ids, tids, request))
        if getattr(parser, "engine_based_streaming", False):
            _collect_vllm(out, len(chunks), parser.finish_streaming())
        return out

    return drive


def _collect_vllm(out: Pieces, i: int, delta: Any) -> None:
    for tc in getattr(delta, "tool_calls", None) or ():
        fn = tc.function
        if fn is None:
            continue
        if fn.name:
            out.append((i, fn.name, ""))
        if fn.arguments:
            out.append((i, None, fn.arguments))


def sglang_driver(fmt: str, builtin: bool, buffered: bool = False) -> Driver:
    tools = runners._sglang_tools()  # noqa: SLF001
    if builtin:
        cls = runners._builtin_class(runners.SGLANG_BUILTIN, "SGLang", fmt)  # noqa: SLF001
    else:
        from dyn_plugins.sglang.detector import detector_class

        cls = detector_class(fmt)

    def drive(chunks: list[str], _ids: list[list[int]]) -> Pieces:
        _with_mode(buffered)
        det = cls()
        out: Pieces = []
        results = [det.parse_streaming_increment(c, tools) for c in chunks]
        if not builtin:
            results.append(det.finish(tools))
        for i, res in enumerate(results):
            for item in res.calls:
                if item.name:
                    out.append((i, item.name, ""))
                if item.parameters:
                    out.append((i, None, item.parameters))
        return out

    return drive


DRIVERS: dict[str, Callable[[str], Driver]] = {
    "core": lambda f: core_driver(f, buffered=False),
    "core-buffered": lambda f: core_driver(f, buffered=True),
    "vllm": lambda f: vllm_driver(f, builtin=False),
    "vllm-buffered": lambda f: vllm_driver(f, builtin=False, buffered=True),
    "vllm-builtin": lambda f: vllm_driver(f, builtin=True),
    "sglang": lambda f: sglang_driver(f, builtin=False),
    "sglang-buffered": lambda f: sglang_driver(f, builtin=False, buffered=True),
    "sglang-builtin": lambda f: sglang_driver(f, builtin=True),
}
LABELS = {
    "core": "dyn-plugins core, live",
    "core-buffered": "dyn-plugins core, buffered",
    "vllm": "vLLM: dyn-plugins, live",
    "vllm-buffered": "vLLM: dyn-plugins, buffered",
    "vllm-builtin": "vLLM built-in",
    "sglang": "SGLang: dyn-plugins, live",
    "sglang-buffered": "SGLang: dyn-plugins, buffered",
    "sglang-builtin": "SGLang built-in",
}


# -- measuring --------------------------------------------------------------------------------------


def measure(fmt: str, runner: str, chunks: list[str], ids: list[list[int]], text: str) -> dict[str, Any]:
    rec: dict[str, Any] = {"format": fmt, "runner": runner, "tokens": len(chunks)}
    try:
        pieces = DRIVERS[runner](fmt)(chunks, ids)
    except runners.Unavailable as exc:
        return {**rec, "status": "n/a", "note": str(exc)}
    close_char = text.index(CLOSE[fmt], text.index("content"))
    close_tok, pos = 0, 0
    for close_tok, chunk in enumerate(chunks):
        if pos + len(chunk) > close_char:
            break
        pos += len(chunk)
    args = [(i, frag) for i, name, frag in pieces if frag]
    streamed = "".join(frag for _, frag in args)
    expected = get_format(fmt).parse(text, TOOLS).calls
    ok = bool(expected) and _same_json(streamed, expected[0].arguments)
    before = sum(len(frag.encode()) for i, frag in args if i < close_tok)
    return {
        **rec,
        "status": "ok",
        "close_token": close_tok,
        "name_token": next((i for i, name, _ in pieces if name), None),
        "first_arg_token": args[0][0] if args else None,
        "share_before_close": before / max(1, len(streamed.encode())),
        "arg_deltas": len(args),
        "ok": ok,
    }


def _same_json(a: str, b: str) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


def run(runner_names: Iterable[str], formats: Iterable[str]) -> list[dict[str, Any]]:
    count, split = tokenizer_splitter(RESULTS / "tokenizer")
    del count
    records = []
    for fmt in formats:
        text, _ = long_call(fmt)
        chunks, ids = split(text)
        for name in runner_names:
            records.append(measure(fmt, name, chunks, ids, text))
    return records


def table(records: list[dict[str, Any]]) -> str:
    lines = [
        "| format | parser | tokens | closing marker at token | name at token | first argument byte at token | argument bytes before the close | argument deltas | arguments = one-shot |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    order = {r: i for i, r in enumerate(DRIVERS)}
    for rec in sorted(records, key=lambda r: (FORMAT_NAMES.index(r["format"]), order[r["runner"]])):
        if rec["status"] != "ok":
            continue
        lines.append(
            f"| {rec['format']} | {LABELS[rec['runner']]} | {rec['tokens']} | {rec['close_token']} | {_tok(rec['name_token'])} | "
            f"{_tok(rec['first_arg_token'])} | {rec['share_before_close']:.0%} | {rec['arg_deltas']} | {'yes' if rec['ok'] else 'NO'} |"
        )
    return "\n".join(lines)


def _tok(i: int | None) -> str:
    return "never" if i is None else str(i)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runners", default="core,core-buffered")
    ap.add_argument("--formats", default=",".join(FORMAT_NAMES))
    ap.add_argument("--tag", default="core")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--merge", nargs="+", type=Path)
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args(argv)
    if args.merge:
        records = [r for p in args.merge for r in json.loads(p.read_text())]
    else:
        records = run([r for r in args.runners.split(",") if r], [f for f in args.formats.split(",") if f])
        out = args.out or RESULTS / f"latency-{args.tag}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(records, indent=1))
    md = table(records)
    if args.markdown:
        args.markdown.write_text(md + "\n")
    print(md)
    bad = [r for r in records if r["status"] == "ok" and r["runner"].startswith(("core", "vllm", "sglang")) and not r["runner"].endswith("builtin") and not r["ok"]]
    if bad:
        print(f"arguments differ from the one-shot parse: {[(r['format'], r['runner']) for r in bad]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
