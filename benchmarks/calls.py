"""Function calls per token of the core stream, live and buffered: a measure of per-token work that does not
depend on the machine's speed.

    python -m benchmarks.calls                  # every format, the 16k case
    python -m benchmarks.calls --size 64k --formats glm47,default

Timings on a shared virtual machine vary by 2x between runs (the floor of ``benchmarks/streaming.py`` has
read 0.21 and 0.65 µs/token on the same code); the number of Python and C function calls per fed token
does not. Inputs and chunks are those of ``benchmarks/streaming.py`` (``cases.py``, the
local BPE tokenizer). The per-token floor makes 1 Python call (``feed``) and 1 C call (``str.find``) per token.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dyn_plugins.formats import FORMAT_NAMES, get_format

from .cases import SIZES, TOOLS, make_case
from .streaming import RESULTS, tokenizer_splitter


def calls_per_token(fmt: str, chunks: list[str], *, buffered: bool) -> tuple[float, float]:
    """(Python, C) function calls per fed token of one whole stream (new stream, every chunk, finish), counted
    with ``sys.setprofile``: every frame, dataclass ``__init__`` included."""
    f = get_format(fmt)
    counts = {"call": 0, "c_call": 0}

    def count(frame: object, event: str, arg: object) -> None:
        if event in counts:
            counts[event] += 1

    stream = f.stream(TOOLS, buffered=buffered)
    feed = stream.feed
    sys.setprofile(count)
    try:
        for chunk in chunks:
            feed(chunk)
        stream.finish()
    finally:
        sys.setprofile(None)
    return counts["call"] / len(chunks), counts["c_call"] / len(chunks)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.calls", description=__doc__.split("\n\n")[0])
    ap.add_argument("--formats", default=",".join(FORMAT_NAMES))
    ap.add_argument("--size", default="16k", choices=list(SIZES))
    ap.add_argument("--tokenizer-dir", type=Path, default=RESULTS / "tokenizer")
    args = ap.parse_args(argv)
    count, split = tokenizer_splitter(args.tokenizer_dir)
    print(f"| format | tokens ({args.size}) | Python calls/token live | buffered | C calls/token live | buffered |")
    print("|---|---|---|---|---|---|")
    for fmt in args.formats.split(","):
        case = make_case(fmt, args.size, count, split)
        (py_live, c_live), (py_buf, c_buf) = (calls_per_token(fmt, case.chunks, buffered=b) for b in (False, True))
        print(f"| {fmt} | {len(case.chunks)} | {py_live:.2f} | {py_buf:.2f} | {c_live:.2f} | {c_buf:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
