"""100 streams at once, through the same format objects, share no state.

A server parses many responses at the same time with one parser type: streams of the same format
are interleaved chunk by chunk (one thread), run in 100 threads, and in 100 asyncio tasks. Each must
give exactly what a lone live stream of its own text (as one chunk) gives. Inputs differ per stream (format,
scenario, a stream-specific prefix and argument value) so any leak of state shows up as a wrong result.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from concurrent_streams import DRIVERS, Driver, distinct_streams
from dyn_plugins.formats import Event, ParseResult, assemble, get_format, parse_stream
from dyn_plugins.samples import TOOLS

N_STREAMS = 100


@dataclass
class Job:
    """One stream's input, its chunking, and the result a lone stream of the whole text gives."""

    fmt: str
    chunks: list[str]
    expected: ParseResult


def jobs(seed: int) -> list[Job]:
    """100 distinct inputs over every format: each recorded sample made unique (own city, own prose)."""
    out = [Job(fmt, chunks, parse_stream(fmt, [text], TOOLS)) for fmt, text, chunks in distinct_streams(N_STREAMS, seed)]
    assert len({repr(j.expected) for j in out if j.expected.calls}) > 20, "inputs should be distinct"
    return out


class Collector:
    """One stream of the shared format object; its events assembled at the end."""

    def __init__(self, fmt: str) -> None:
        self.stream = get_format(fmt).stream(TOOLS)
        self.events: list[Event] = []

    def feed(self, chunk: str) -> None:
        self.events.extend(self.stream.feed(chunk))

    def finish(self) -> ParseResult:
        return assemble(self.events + self.stream.finish())


@pytest.mark.parametrize("seed, drive", DRIVERS)
def test_concurrent_streams_match_lone_parses(seed: int, drive: Driver) -> None:
    """100 streams alive at once (round-robin chunks, 100 threads, 100 asyncio tasks): each gives its own
    one-shot result."""
    work = jobs(seed)
    assert drive(lambda i: Collector(work[i].fmt), [j.chunks for j in work]) == [j.expected for j in work]
