"""100 requests at once through our SGLang detector classes share no state (one detector per request).

Streams of every format are interleaved chunk by chunk, run in 100 threads, and in 100 asyncio tasks;
each stream's assembled results must equal a lone ``detect_and_parse`` of its own text.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest


from dyn_plugins.samples import TOOLS, distinct_streams

pytestmark = pytest.mark.sglang
import sglang  # noqa: E402,F401  (the SGLang venv has it: a missing engine must fail, not skip)

N_STREAMS = 100
Outcome = tuple[str, list[tuple[str, str]]]


@pytest.fixture(scope="module")
def tools() -> list[Any]:
    from sglang.srt.entrypoints.openai.protocol import Tool

    return [Tool(**t) for t in TOOLS]


def detector(fmt: str) -> Any:
    from dyn_plugins.sglang.detector import detector_class

    return detector_class(fmt)()


def jobs(seed: int, tools: list[Any]) -> list[tuple[str, list[str], Outcome]]:
    """(format, chunks, expected outcome) for 100 distinct inputs over every format."""
    out = []
    for fmt, text, chunks in distinct_streams(N_STREAMS, seed, "request"):
        res = detector(fmt).detect_and_parse(text, tools)
        out.append((fmt, chunks, (res.normal_text, [(c.name or "", c.parameters) for c in res.calls])))
    return out


class Collector:
    """Drives one detector through ``parse_streaming_increment`` + ``finish`` and assembles the results."""

    def __init__(self, fmt: str, tools: list[Any]) -> None:
        self.det, self.tools = detector(fmt), tools
        self.normal: list[str] = []
        self.calls: dict[int, list[str]] = {}

    def _take(self, res: Any) -> None:
        self.normal.append(res.normal_text or "")
        for c in res.calls:
            entry = self.calls.setdefault(c.tool_index, ["", ""])
            entry[0] += c.name or ""
            entry[1] += c.parameters or ""

    def feed(self, chunk: str) -> None:
        self._take(self.det.parse_streaming_increment(chunk, self.tools))

    def finish(self) -> Outcome:
        self._take(self.det.finish(self.tools))
        return "".join(self.normal), [tuple(self.calls[i]) for i in sorted(self.calls)]  # type: ignore[misc]


def test_sglang_interleaved_requests(tools: list[Any]) -> None:
    """Round-robin over 100 live detectors: each gives its own one-shot result."""
    work = jobs(1, tools)
    cols = [Collector(f, tools) for f, _, _ in work]
    for k in range(max(len(c) for _, c, _ in work)):
        for col, (_, chunks, _) in zip(cols, work):
            if k < len(chunks):
                col.feed(chunks[k])
    assert [c.finish() for c in cols] == [e for _, _, e in work]


def test_sglang_requests_in_100_threads(tools: list[Any]) -> None:
    """100 threads started together (SGLang's tokenizer workers may be threads), switching between chunks."""
    work = jobs(2, tools)
    results: list[Outcome | None] = [None] * len(work)
    barrier = threading.Barrier(len(work))

    def run(i: int) -> None:
        fmt, chunks, _ = work[i]
        col = Collector(fmt, tools)
        barrier.wait()
        for chunk in chunks:
            col.feed(chunk)
            threading.Event().wait(0)
        results[i] = col.finish()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [e for _, _, e in work]


def test_sglang_requests_in_100_asyncio_tasks(tools: list[Any]) -> None:
    """100 tasks on one loop, awaiting between chunks (SGLang's serving layer is asyncio)."""
    work = jobs(3, tools)

    async def run(fmt: str, chunks: list[str]) -> Outcome:
        col = Collector(fmt, tools)
        for chunk in chunks:
            col.feed(chunk)
            await asyncio.sleep(0)
        return col.finish()

    async def main() -> list[Outcome]:
        return list(await asyncio.gather(*(run(f, c) for f, c, _ in work)))

    assert asyncio.run(main()) == [e for _, _, e in work]
