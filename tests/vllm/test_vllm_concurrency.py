"""100 requests at once through our vLLM parser classes share no state (one instance per request, as vLLM does).

Streams of every format are interleaved chunk by chunk, run in 100 threads, and in 100 asyncio tasks
(``tests/concurrent_streams.py``); each stream's assembled deltas must equal the same stream run alone, which
in turn starts with a lone ``extract_tool_calls`` of its text (content equal, its calls first: a live stream
also keeps a call it announced before the output broke off, see ``tests/stream_modes.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from concurrent_streams import DRIVERS, Driver, distinct_streams
from dyn_plugins.samples import TOOLS

pytestmark = pytest.mark.vllm

N_STREAMS = 100
Outcome = tuple[str, list[tuple[str, str]]]


@pytest.fixture(scope="module")
def env(model_dir: Path) -> dict[str, Any]:
    from transformers import AutoTokenizer

    from dyn_plugins.vllm.compat import ChatCompletionRequest
    from dyn_plugins.vllm.parser import PARSERS

    request = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}], tools=TOOLS)
    return {"tok": AutoTokenizer.from_pretrained(str(model_dir)), "request": request, "parsers": PARSERS}


def jobs(seed: int, env: dict[str, Any]) -> list[tuple[str, list[str], Outcome]]:
    """(format, chunks, expected outcome) for 100 distinct inputs over every format."""
    out = []
    for fmt, text, chunks in distinct_streams(N_STREAMS, seed, "request"):
        info = env["parsers"][fmt](env["tok"], TOOLS).extract_tool_calls(text, env["request"])
        oneshot = (info.content or "", [(c.function.name, c.function.arguments) for c in info.tool_calls])
        alone = Collector(env["parsers"][fmt](env["tok"], TOOLS), env["request"])
        for chunk in chunks:
            alone.feed(chunk)
        expected = alone.finish()
        assert expected[0] == oneshot[0] and expected[1][: len(oneshot[1])] == oneshot[1]
        assert len(expected[1]) <= len(oneshot[1]) + 1
        out.append((fmt, chunks, expected))
    return out


class Collector:
    """Drives one parser instance through ``extract_tool_calls_streaming`` and assembles its deltas."""

    def __init__(self, parser: Any, request: Any) -> None:
        self.parser, self.request = parser, parser.adjust_request(request.model_copy(deep=True))
        self.text = ""
        self.content: list[str] = []
        self.calls: dict[int, list[str]] = {}

    def _take(self, delta: Any) -> None:
        if delta is None:
            return
        self.content.append(delta.content or "")
        for tc in delta.tool_calls or []:
            entry = self.calls.setdefault(tc.index, ["", ""])
            if tc.function is not None:
                entry[0] += tc.function.name or ""
                entry[1] += tc.function.arguments or ""

    def feed(self, chunk: str) -> None:
        prev, self.text = self.text, self.text + chunk
        self._take(self.parser.extract_tool_calls_streaming(prev, self.text, chunk, [], [], [], self.request))

    def finish(self) -> Outcome:
        self._take(self.parser.finish_streaming())
        return "".join(self.content), [tuple(self.calls[i]) for i in sorted(self.calls)]  # type: ignore[misc]


@pytest.mark.parametrize("seed, drive", DRIVERS)
def test_vllm_concurrent_requests_match_lone_parses(env: dict[str, Any], seed: int, drive: Driver) -> None:
    """100 live parser instances (round-robin chunks, 100 threads, 100 asyncio tasks: vLLM's serving layer is
    asyncio): each gives its own one-shot result."""
    work = jobs(seed, env)
    make = lambda i: Collector(env["parsers"][work[i][0]](env["tok"], TOOLS), env["request"])  # noqa: E731
    assert drive(make, [chunks for _, chunks, _ in work]) == [e for _, _, e in work]
