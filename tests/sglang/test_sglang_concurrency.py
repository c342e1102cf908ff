"""100 requests at once through our SGLang detector classes share no state (one detector per request).

Streams of every format are interleaved chunk by chunk, run in 100 threads, and in 100 asyncio tasks
(``tests/concurrent_streams.py``); each stream's assembled results must equal the same stream run alone, which
in turn starts with a lone ``detect_and_parse`` of its text (normal text equal, its calls first: a live stream
also keeps a call it announced before the output broke off, see ``tests/stream_modes.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from concurrent_streams import DRIVERS, Driver, distinct_streams
from dyn_plugins.samples import TOOLS

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
        oneshot = (res.normal_text, [(c.name or "", c.parameters) for c in res.calls])
        alone = Collector(fmt, tools)
        for chunk in chunks:
            alone.feed(chunk)
        expected = alone.finish()
        assert expected[0] == oneshot[0] and expected[1][: len(oneshot[1])] == oneshot[1]
        assert len(expected[1]) <= len(oneshot[1]) + 1
        out.append((fmt, chunks, expected))
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


@pytest.mark.parametrize("seed, drive", DRIVERS)
def test_sglang_concurrent_requests_match_lone_parses(tools: list[Any], seed: int, drive: Driver) -> None:
    """100 live detectors (round-robin chunks, 100 threads as SGLang's tokenizer workers may be, 100 asyncio
    tasks as its serving layer is): each gives its own one-shot result."""
    work = jobs(seed, tools)
    assert drive(lambda i: Collector(work[i][0], tools), [chunks for _, chunks, _ in work]) == [e for _, _, e in work]
