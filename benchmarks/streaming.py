"""Streaming parse cost of every format, token by token: ours vs. the engines' built-in parsers vs. a floor.

    python -m benchmarks.streaming                 # every runner importable here, 1k..64k tokens
    python -m benchmarks.streaming --quick         # CI-sized: 1k, 4k, 16k, 3 repeats, 10 s per cell
    python -m benchmarks.streaming --merge a.json b.json   # one table from several interpreters' runs

For each format, a realistic output (prose before the calls, many parallel calls with long string
arguments; see ``benchmarks/cases.py``) of ~1k, 4k, 16k and 64k tokens is streamed one token at a
time. Tokens come from a byte-level BPE tokenizer built locally with every format's markers as
special tokens (``dyn_plugins.replay.tokenizer.build_tokenizer``); without ``tokenizers`` installed,
the text is cut into seeded random 1-4 character chunks instead (``--chunks chars``).

Figures: median over repeats of the total streaming time, and that divided by the token count
(per-token cost). Floors (see ``benchmarks/runners.py``): ``floor`` = a per-token streaming loop
that only runs ``str.find`` for the start marker on the held tail + chunk (the least a streaming
detector does per token; the "within 3x" target is against this one); ``floor-pass`` = one C-level
``str.count`` pass over the whole text (shown for honesty: a pure-Python per-token parser cannot
get near it). Results go to ``bench-results/streaming-<interpreter tag>.json`` unless ``--out``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from dyn_plugins.formats import FORMAT_NAMES

from . import runners
from .cases import SIZES, Case, make_case

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
ALL_RUNNERS = tuple(runners.RUNNERS)


# -- chunking ---------------------------------------------------------------------------------------


def build_bench_tokenizer(directory: Path) -> None:
    """``build_tokenizer`` with an 8k vocabulary trained on its corpus plus benchmark-like text.

    The stock corpus (the recorded samples) only supports ~1k merges, which gives ~1.4 characters
    per token; real vocabularies give 3-4 on English prose. Training on more text of the same kind
    (different seed than the measured outputs) gets there. The markers stay whole special tokens.
    """
    from dyn_plugins.replay import tokenizer as tk

    from .cases import render

    extra = [render(fmt, 24, seed=1)[0] for fmt in FORMAT_NAMES]
    stock = tk._corpus  # noqa: SLF001 - no corpus parameter in build_tokenizer (yet)
    tk._corpus = lambda: stock() + extra  # type: ignore[assignment]  # noqa: SLF001
    try:
        tk.build_tokenizer(directory, vocab_size=8000)
    finally:
        tk._corpus = stock  # type: ignore[assignment]  # noqa: SLF001


def tokenizer_splitter(directory: Path) -> tuple[Any, Any]:
    """(count_tokens, split) from the local benchmark tokenizer, built on first use."""
    from tokenizers import Tokenizer

    if not (directory / "tokenizer.json").exists():
        build_bench_tokenizer(directory)
    tok = Tokenizer.from_file(str(directory / "tokenizer.json"))

    def count(text: str) -> int:
        return len(tok.encode(text, add_special_tokens=False).ids)

    def split(text: str) -> tuple[list[str], list[list[int]]]:
        enc = tok.encode(text, add_special_tokens=False)
        chunks: list[str] = []
        ids: list[list[int]] = []
        pending: list[int] = []
        pos = 0
        for tid, (_, end) in zip(enc.ids, enc.offsets):
            pending.append(tid)
            if end > pos:  # a token that completes no character (part of a multi-byte char) waits
                chunks.append(text[pos:end])
                ids.append(pending)
                pending = []
                pos = end
        if pos < len(text) or pending:
            if chunks and pos >= len(text):
                ids[-1].extend(pending)
            else:
                chunks.append(text[pos:])
                ids.append(pending)
        if "".join(chunks) != text:
            raise RuntimeError("tokenizer offsets do not cover the text")
        return chunks, ids

    return count, split


def char_splitter(seed: int = 0) -> tuple[Any, Any]:
    """(count, split) with seeded random 1-4 character chunks standing in for tokens."""

    def split(text: str) -> tuple[list[str], list[list[int]]]:
        rng = random.Random(seed)
        chunks: list[str] = []
        i = 0
        while i < len(text):
            n = rng.randint(1, 4)
            chunks.append(text[i : i + n])
            i += n
        return chunks, [[0] for _ in chunks]

    def count(text: str) -> int:
        return round(len(text) / 2.5)

    return count, split


# -- measuring --------------------------------------------------------------------------------------


def _once(run: runners.Runner, case: Case) -> tuple[int, float]:
    gc.collect()  # start every run from the same heap state (the parsers allocate per token)
    return run(case)


def _measure_runner(
    fmt: str, name: str, run: runners.Runner, cases: dict[str, Case], repeats: int, budget_s: float, log: Any
) -> list[dict[str, Any]]:
    """Time one runner on every size of one format.

    Sizes are measured round-robin (each round runs every size), so slow drifts of a shared machine
    hit all sizes alike; small sizes run several times per round (about 50 ms worth) so their median
    is not one noisy sample. A superlinear parser is skipped at a size where the previous size
    predicts (quadratically) more than ``budget_s`` per run; repeats stop when the budget is spent.
    """
    times: dict[str, list[float]] = {size: [] for size in cases}
    found: dict[str, int] = {}
    skipped: dict[str, str] = {}
    failed: dict[str, str] = {}
    per_round: dict[str, int] = {}
    prev: tuple[int, float] | None = None
    for size, case in cases.items():  # round 1, smallest first, deciding what to skip
        if prev is not None:
            predicted = prev[1] * (case.tokens / prev[0]) ** 2
            if predicted > budget_s:
                skipped[size] = f"predicted {predicted:.0f} s per run > budget {budget_s:.0f} s"
                continue
        try:
            found[size], t = _once(run, case)
        except Exception as exc:  # noqa: BLE001 - a built-in parser crashing is a result too
            failed[size] = f"{type(exc).__name__}: {exc}"[:200]
            break
        times[size].append(t)
        per_round[size] = max(1, min(10, int(0.03 / max(t, 1e-6))))
        prev = (case.tokens, t)
    live = [s for s in cases if times[s]]
    spent = {s: sum(times[s]) for s in live}
    for _ in range(repeats):
        for size in live:
            for _ in range(per_round[size]):
                if spent[size] > budget_s or len(times[size]) >= repeats * per_round[size]:
                    break
                _, t = _once(run, cases[size])
                times[size].append(t)
                spent[size] += t
    out = []
    for size, case in cases.items():
        if size in failed:
            out.append(_record(fmt, case, name, "error", note=failed[size]))
            print(f"  {fmt:14} {name:15} {size:>4} error {failed[size]}"[:160], file=log)
        elif size in skipped or not times[size]:
            note = skipped.get(size, "not run (an earlier size failed)")
            out.append(_record(fmt, case, name, "skipped", note=note))
            print(f"  {fmt:14} {name:15} {size:>4} skipped ({note})", file=log)
        else:
            rec = _record(fmt, case, name, "ok", times=times[size], found=found[size])
            out.append(rec)
            mark = "" if name.startswith("floor") or found[size] == case.calls else f"  (calls found {found[size]} of {case.calls})"
            print(
                f"  {fmt:14} {name:15} {size:>4} {case.tokens:6d} tok  {rec['total_ms']:9.2f} ms  "
                f"{rec['per_token_us']:8.3f} us/tok  x{len(times[size])}{mark}",
                file=log,
            )
    return out


def bench(
    formats: list[str],
    sizes: list[str],
    wanted: list[str],
    *,
    repeats: int,
    budget_s: float,
    chunks: str,
    tokenizer_dir: Path,
    log: Any = sys.stderr,
) -> list[dict[str, Any]]:
    """Run every wanted runner on every (format, size); one record per cell (status ok / n/a / skipped)."""
    if chunks == "tokenizer":
        count, split = tokenizer_splitter(tokenizer_dir)
    else:
        count, split = char_splitter()
    records: list[dict[str, Any]] = []
    for fmt in formats:
        cases = {size: make_case(fmt, size, count, split) for size in sizes}
        gc.collect()
        gc.freeze()  # the inputs are permanent: keep them out of every later collection
        for name in wanted:
            try:
                run = runners.prepare(name, fmt, str(tokenizer_dir))
            except runners.Unavailable as exc:
                for size, case in cases.items():
                    records.append(_record(fmt, case, name, "n/a", note=str(exc)))
                print(f"  {fmt:14} {name:15} n/a: {exc}", file=log)
                continue
            records += _measure_runner(fmt, name, run, cases, repeats, budget_s, log)
    return records


def _record(fmt: str, case: Case, runner: str, status: str, *, times: list[float] | None = None, found: int = 0, note: str = "") -> dict[str, Any]:
    rec: dict[str, Any] = {
        "format": fmt,
        "size": case.size,
        "tokens": case.tokens,
        "chars": len(case.text),
        "calls": case.calls,
        "text_sha1": hashlib.sha1(case.text.encode()).hexdigest()[:12],
        "runner": runner,
        "status": status,
    }
    if times:
        med = statistics.median(times)
        rec.update(
            total_ms=round(med * 1e3, 4),
            per_token_us=round(med / case.tokens * 1e6, 4),
            repeats=len(times),
            min_ms=round(min(times) * 1e3, 4),
            max_ms=round(max(times) * 1e3, 4),
            calls_found=found,
        )
    if note:
        rec["note"] = note
    return rec


# -- reporting --------------------------------------------------------------------------------------


def _index(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(format, size, runner) -> record, preferring measured records over n/a ones when merging."""
    rank = {"ok": 3, "error": 2, "skipped": 1, "n/a": 0}
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for rec in records:
        key = (rec["format"], rec["size"], rec["runner"])
        if key not in out or rank[rec["status"]] > rank[out[key]["status"]]:
            out[key] = rec
    return out


def _ok_series(idx: dict[tuple[str, str, str], dict[str, Any]], fmt: str, runner: str) -> list[dict[str, Any]]:
    """The measured records of one runner on one format, smallest output first."""
    return sorted((v for k, v in idx.items() if k[0] == fmt and k[2] == runner and v["status"] == "ok"), key=lambda r: r["tokens"])


def _wrong(rec: dict[str, Any]) -> bool:
    """A parser that did not find every call of the output: its time is not comparable."""
    return rec["runner"] not in ("floor", "floor-pass") and rec.get("calls_found", rec["calls"]) != rec["calls"]


def _cell(rec: dict[str, Any] | None) -> str:
    if rec is None or rec["status"] == "n/a":
        return "n/a"
    if rec["status"] != "ok":
        return rec["status"]
    return f"{rec['per_token_us']:.2f}" + ("*" if _wrong(rec) else "")


def _fastest_us(rec: dict[str, Any]) -> float:
    """µs per token of an ok record's fastest run (timeit's rule: the slower runs measure the machine's other load)."""
    return rec["min_ms"] / rec["tokens"] * 1e3


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> str:
    if a is None or b is None or a["status"] != "ok" or b["status"] != "ok" or not b["per_token_us"]:
        return "n/a"
    if _wrong(a) or _wrong(b):
        return "n/a*"
    return f"{a['per_token_us'] / b['per_token_us']:.3g}"


def table(records: list[dict[str, Any]]) -> str:
    """Markdown table: per-token cost in microseconds (median), and the ratios."""
    idx = _index(records)
    formats = [f for f in FORMAT_NAMES if any(k[0] == f for k in idx)]
    sizes = [s for s in SIZES if any(k[1] == s for k in idx)]
    head = (
        "| format | size | tokens | core µs/tok (live) | core live fastest run | core total ms | core buffered µs/tok | floor µs/tok | core/floor | core/one-pass "
        "| vLLM ours | vLLM built-in | ours/built-in | SGLang ours | SGLang built-in | ours/built-in |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for fmt in formats:
        for size in sizes:
            get = lambda r: idx.get((fmt, size, r))  # noqa: E731
            core = get("core")
            any_rec = next((idx[k] for k in idx if k[0] == fmt and k[1] == size), None)
            if any_rec is None:
                continue
            ok = core is not None and core["status"] == "ok"
            total = f"{core['total_ms']:.1f}" if ok else "n/a"
            fastest = f"{_fastest_us(core):.2f}" if ok else "n/a"
            lines.append(
                f"| {fmt} | {size} | {any_rec['tokens']} | {_cell(core)} | {fastest} | {total} | {_cell(get('core-buffered'))} | {_cell(get('floor'))} "
                f"| {_ratio(core, get('floor'))} | {_ratio(core, get('floor-pass'))} "
                f"| {_cell(get('vllm'))} | {_cell(get('vllm-builtin'))} | {_ratio(get('vllm'), get('vllm-builtin'))} "
                f"| {_cell(get('sglang'))} | {_cell(get('sglang-builtin'))} | {_ratio(get('sglang'), get('sglang-builtin'))} |"
            )
    if any(_wrong(r) for r in idx.values() if r["status"] == "ok"):
        lines.append("")
        lines.append("\\* the parser found fewer calls than the output has (wrong result on this input; not compared).")
    return "\n".join(lines)


def growth_table(records: list[dict[str, Any]]) -> str:
    """Per-token cost at the largest size measured / at 1k, per runner and format (1.0 = linear total work)."""
    idx = _index(records)
    names = [r for r in ALL_RUNNERS if r != "floor-pass" and any(k[2] == r and v["status"] == "ok" for k, v in idx.items())]
    lines = ["| format | " + " | ".join(runners.RUNNERS[n] for n in names) + " |", "|" + "---|" * (len(names) + 1)]
    for fmt in FORMAT_NAMES:
        cells = []
        for n in names:
            ok = _ok_series(idx, fmt, n)
            if len(ok) < 2:
                cells.append("n/a")
                continue
            first, last = ok[0], ok[-1]
            cells.append(f"{last['per_token_us'] / first['per_token_us']:.2f} ({first['size']}→{last['size']})")
        if any(c != "n/a" for c in cells):
            lines.append(f"| {fmt} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(records: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, checked on these records: lines starting with PASS / MISS."""
    idx = _index(records)
    out: list[str] = []
    for fmt in FORMAT_NAMES:
        for ours in ("core", "vllm", "sglang"):  # "our per-token cost grows < 1.5x from 1k to 64k"
            mine = _ok_series(idx, fmt, ours)
            if len(mine) >= 2:
                g = mine[-1]["per_token_us"] / mine[0]["per_token_us"]
                out.append(f"{'PASS' if g < 1.5 else 'MISS'} {fmt}: {ours} per-token growth {mine[0]['size']}→{mine[-1]['size']} = {g:.2f} (< 1.5)")
        core = _ok_series(idx, fmt, "core")
        if core:
            last = core[-1]
            us, fastest = last["per_token_us"], _fastest_us(last)
            out.append(
                f"{'PASS' if fastest <= 1 else 'MISS'} {fmt}: core (live) at {last['size']} = {fastest:.2f} µs/token fastest "
                f"of {last['repeats']} runs, median {us:.2f} (<= 1)"
            )
        fl = idx.get((fmt, core[-1]["size"], "floor")) if core else None  # at the largest size measured
        if fl and fl["status"] == "ok":
            r = core[-1]["per_token_us"] / fl["per_token_us"]
            out.append(f"{'PASS' if r <= 3 else 'MISS'} {fmt}: core / per-token floor at {core[-1]['size']} = {r:.2f} (<= 3)")
        for ours, builtin in (("vllm", "vllm-builtin"), ("sglang", "sglang-builtin")):
            a, b = idx.get((fmt, "16k", ours)), idx.get((fmt, "16k", builtin))
            if b is None or b["status"] == "n/a":
                continue
            if b["status"] == "skipped" and a and a["status"] == "ok":
                out.append(f"PASS {fmt}: {builtin} at 16k skipped as over budget (quadratic); ours {a['per_token_us']:.2f} µs/tok")
                continue
            if a is None or a["status"] != "ok" or b["status"] != "ok":
                continue
            if _wrong(b):
                out.append(f"info {fmt}: {builtin} found {b.get('calls_found')} of {b['calls']} calls at 16k: not compared")
                continue
            small = idx.get((fmt, "1k", builtin))
            quad = small is not None and small["status"] == "ok" and b["per_token_us"] / small["per_token_us"] > 2
            speed = b["per_token_us"] / a["per_token_us"]
            verdict = "PASS" if speed >= 10 else ("MISS" if quad else "info")
            shape = "superlinear" if quad else "linear"
            out.append(f"{verdict} {fmt}: {builtin} / {ours} at 16k = {speed:.1f}x (built-in is {shape}; target >= 10x where superlinear)")
    return out


def report(records: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    parts = [
        f"Per-token streaming cost, µs per token (median of repeats). {meta.get('machine', '')}",
        "",
        table(records),
        "",
        "Growth of per-token cost from the smallest to the largest size (1.00 = linear total work):",
        "",
        growth_table(records),
        "",
        *targets(records),
    ]
    return "\n".join(parts)


def _write(out: Path, meta: dict[str, Any], records: list[dict[str, Any]], markdown: Path | None) -> None:
    """Save the records (JSON), print the report, and write it to ``markdown`` if given."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "records": records}, indent=1, ensure_ascii=False))
    text = report(records, meta)
    print(text)
    print(f"\nresults: {out}", file=sys.stderr)
    if markdown:
        markdown.write_text(text + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.streaming", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="CI-sized run: 1k/4k/16k, 3 repeats, 10 s per cell")
    ap.add_argument("--formats", default=",".join(FORMAT_NAMES))
    ap.add_argument("--sizes", default=None, help="comma list of " + ",".join(SIZES))
    ap.add_argument("--runners", default=",".join(ALL_RUNNERS), help="comma list of " + ",".join(ALL_RUNNERS))
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--budget", type=float, default=None, help="seconds one cell may take (superlinear parsers are skipped beyond)")
    ap.add_argument("--chunks", choices=("tokenizer", "chars"), default=None)
    ap.add_argument("--tokenizer-dir", type=Path, default=RESULTS / "tokenizer")
    ap.add_argument("--out", type=Path, default=None, help="JSON results file (default bench-results/streaming-<tag>.json)")
    ap.add_argument("--tag", default="local", help="names the default output file (core, vllm, sglang, ...)")
    ap.add_argument("--merge", nargs="+", type=Path, default=None, help="print one report from these JSON files (no run)")
    ap.add_argument("--markdown", type=Path, default=None, help="also write the report to this file")
    args = ap.parse_args(argv)

    if args.merge:
        records: list[dict[str, Any]] = []
        metas = []
        for path in args.merge:
            if not path.exists():
                print(f"(missing {path}, skipped)", file=sys.stderr)
                continue
            data = json.loads(path.read_text())
            records += data["records"]
            metas.append(data["meta"])
        _check_same_inputs(records)
        meta = {"machine": metas[0].get("machine", "") if metas else "", "merged": [str(p) for p in args.merge], "runs": metas}
        _write(args.out or RESULTS / "streaming.json", meta, records, args.markdown)
        return 0

    sizes = args.sizes.split(",") if args.sizes else (["1k", "4k", "16k"] if args.quick else list(SIZES))
    repeats = args.repeats or (3 if args.quick else 5)
    budget = args.budget or (10.0 if args.quick else 60.0)
    chunks = args.chunks
    if chunks is None:
        try:
            import tokenizers  # noqa: F401
            import transformers  # noqa: F401

            chunks = "tokenizer"
        except ImportError:
            chunks = "chars"
    wanted = [r for r in args.runners.split(",") if r]
    formats = [f for f in args.formats.split(",") if f]
    t0 = time.time()
    records = bench(formats, sizes, wanted, repeats=repeats, budget_s=budget, chunks=chunks, tokenizer_dir=args.tokenizer_dir)
    meta = {
        "machine": f"Python {platform.python_version()} on {platform.machine()}, {chunks} chunks",
        "python": sys.executable,
        "chunks": chunks,
        "repeats": repeats,
        "budget_s": budget,
        "runners": wanted,
        "wall_s": round(time.time() - t0, 1),
        "versions": _versions(),
    }
    _write(args.out or RESULTS / f"streaming-{args.tag}.json", meta, records, args.markdown)
    return 0


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("vllm", "sglang", "tokenizers", "transformers"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return out


def _check_same_inputs(records: list[dict[str, Any]]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for rec in records:
        key = (rec["format"], rec["size"])
        if seen.setdefault(key, rec["text_sha1"]) != rec["text_sha1"]:
            print(f"warning: {key} was generated differently in two runs (different tokenizer?)", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
