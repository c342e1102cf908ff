"""Drivers for the concurrency tests (core formats, vLLM parser, SGLang detector): many streams alive at once.

Each test supplies ``make(i)``, a fresh consumer for stream ``i`` (``feed(chunk)``, ``finish() -> result``),
and every stream's chunks; a driver runs them all at once and returns each stream's result, in order, for
comparison with that stream's lone one-shot parse. Importable as a top-level module: pytest puts ``tests/``
on ``sys.path`` for ``tests/conftest.py``.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import pytest

from dyn_plugins.formats import FORMAT_NAMES
from dyn_plugins.samples import samples

R = TypeVar("R", covariant=True)


class Consumer(Protocol[R]):
    def feed(self, chunk: str) -> None: ...

    def finish(self) -> R: ...


Make = Callable[[int], Consumer[R]]


def interleaved(make: Make[R], chunk_lists: list[list[str]]) -> list[R]:
    """Round-robin in one thread: chunk k of every stream before chunk k+1 of any; every stream alive at once."""
    consumers = [make(i) for i in range(len(chunk_lists))]
    for k in range(max(len(c) for c in chunk_lists)):
        for consumer, chunks in zip(consumers, chunk_lists):
            if k < len(chunks):
                consumer.feed(chunks[k])
    return [c.finish() for c in consumers]


def in_threads(make: Make[R], chunk_lists: list[list[str]]) -> list[R | None]:
    """One thread per stream, started together (a barrier), yielding the GIL between chunks."""
    results: list[R | None] = [None] * len(chunk_lists)
    barrier = threading.Barrier(len(chunk_lists))

    def run(i: int) -> None:
        consumer = make(i)
        barrier.wait()
        for chunk in chunk_lists[i]:
            consumer.feed(chunk)
            threading.Event().wait(0)
        results[i] = consumer.finish()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(chunk_lists))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def in_tasks(make: Make[R], chunk_lists: list[list[str]]) -> list[R]:
    """One asyncio task per stream on one loop, awaiting between chunks (how an async server interleaves)."""

    async def run(i: int) -> R:
        consumer = make(i)
        for chunk in chunk_lists[i]:
            consumer.feed(chunk)
            await asyncio.sleep(0)
        return consumer.finish()

    async def main() -> list[R]:
        return list(await asyncio.gather(*(run(i) for i in range(len(chunk_lists)))))

    return asyncio.run(main())


Driver = Callable[[Make[Any], list[list[str]]], list[Any]]

#: ``(seed, driver)`` parameters for ``@pytest.mark.parametrize("seed, drive", DRIVERS)``: each driver gets its
#: own seed, so the three runs stream different inputs.
DRIVERS = [
    pytest.param(1, interleaved, id="interleaved-in-one-thread"),
    pytest.param(2, in_threads, id="100-threads"),
    pytest.param(3, in_tasks, id="100-asyncio-tasks"),
]


def distinct_streams(count: int, seed: int, prefix: str = "stream") -> list[tuple[str, str, list[str]]]:
    """``count`` distinct ``(format, text, chunks)`` over every format's samples, cut into seeded 1-5 character chunks.

    Why: concurrency checks need many simultaneous responses that differ from one another (own city, own
    prose), so a stream that picked up another's state gives a visibly wrong result.
    """
    rng = random.Random(seed)
    pool = [s for s in samples() if s.format in FORMAT_NAMES]
    out: list[tuple[str, str, list[str]]] = []
    for i in range(count):
        s = pool[i % len(pool)]
        text = s.text.replace("Paris", f"Paris-{i}").replace("Tokyo", f"Tokyo-{i}")
        if s.format != "harmony":
            text = f"{prefix} {i} says: " + text
        chunks, pos = [], 0
        while pos < len(text):
            n = rng.randint(1, 5)
            chunks.append(text[pos : pos + n])
            pos += n
        out.append((s.format, text, chunks))
    return out
