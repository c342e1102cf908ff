"""100 streams at once, through the same format objects, share no state.

A server parses many responses at the same time with one parser type: streams of the same format
are interleaved chunk by chunk (one thread), run in 100 threads, and in 100 asyncio tasks. Each must
give exactly what a lone one-shot parse of its own text gives. Inputs differ per stream (format,
scenario, a stream-specific prefix and argument value) so any leak of state shows up as a wrong result.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from dyn_plugins.formats import ParseResult, assemble, get_format
from dyn_plugins.samples import TOOLS, distinct_streams

N_STREAMS = 100


@dataclass
class Job:
    """One stream's input, its chunking, and the result a lone one-shot parse gives."""

    fmt: str
    chunks: list[str]
    expected: ParseResult


def jobs(seed: int) -> list[Job]:
    """100 distinct inputs over every format: each recorded sample made unique (own city, own prose)."""
    out = [Job(fmt, chunks, get_format(fmt).parse(text, TOOLS)) for fmt, text, chunks in distinct_streams(N_STREAMS, seed)]
    assert len({repr(j.expected) for j in out if j.expected.calls}) > 20, "inputs should be distinct"
    return out


def test_interleaved_streams_in_one_thread() -> None:
    """Round-robin: chunk k of every stream before chunk k+1 of any; every stream alive at once."""
    work = jobs(1)
    streams = [get_format(j.fmt).stream(TOOLS) for j in work]
    events: list[list] = [[] for _ in work]
    for k in range(max(len(j.chunks) for j in work)):
        for i, j in enumerate(work):
            if k < len(j.chunks):
                events[i].extend(streams[i].feed(j.chunks[k]))
    for i, s in enumerate(streams):
        events[i].extend(s.finish())
    assert [assemble(e) for e in events] == [j.expected for j in work]


def test_streams_in_100_threads() -> None:
    """100 threads started together (a barrier), each streaming its own input with forced switches."""
    work = jobs(2)
    results: list[ParseResult | None] = [None] * len(work)
    barrier = threading.Barrier(len(work))

    def run(i: int) -> None:
        stream = get_format(work[i].fmt).stream(TOOLS)
        barrier.wait()
        ev = []
        for chunk in work[i].chunks:
            ev.extend(stream.feed(chunk))
            threading.Event().wait(0)  # yield the GIL between chunks
        ev.extend(stream.finish())
        results[i] = assemble(ev)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [j.expected for j in work]


def test_streams_in_100_asyncio_tasks() -> None:
    """100 tasks on one event loop, each awaiting between chunks (how an async server interleaves)."""
    work = jobs(3)

    async def run(job: Job) -> ParseResult:
        stream = get_format(job.fmt).stream(TOOLS)
        ev = []
        for chunk in job.chunks:
            ev.extend(stream.feed(chunk))
            await asyncio.sleep(0)
        ev.extend(stream.finish())
        return assemble(ev)

    async def main() -> list[ParseResult]:
        return list(await asyncio.gather(*(run(j) for j in work)))

    assert asyncio.run(main()) == [j.expected for j in work]
