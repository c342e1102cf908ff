"""Every recorded output of a format: ``dyn_plugins.samples`` and the Dynamo fixtures' parse records.

Each output carries its tools and, where live delivery (a call announced before it is complete) legitimately
ends differently from the one-shot parse, what live mode gives instead: from ``tests/fixtures/deviations.json``
(``"mode": "live"`` entries) for fixture records, from :data:`SAMPLE_LIVE` for the samples. Reads the fixtures
through ``tests/core/fixture_data.py`` (importable as ``core.fixture_data``: ``tests/`` is on ``sys.path``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.fixture_data import parse_cases
from dyn_plugins.samples import TOOLS, samples

#: (format, scenario) -> (normal_text, calls) of live delivery, for samples that end inside an announced call:
#: the cut call stands with its arguments closed (DEVELOPERS.md, "Live streaming")
SAMPLE_LIVE: dict[tuple[str, str], tuple[str, list[dict[str, Any]]]] = {
    (fmt, "truncated"): ("", [{"name": "get_weather", "arguments": {"city": "Tokyo"}},
                              {"name": "get_time", "arguments": {"timezone": "Asia/To"}}])
    for fmt in ("deepseek_v3_1", "deepseek_v3_2")
}


@dataclass(frozen=True)
class Output:
    format: str
    id: str
    text: str
    tools: list[dict[str, Any]] | None
    #: (normal_text, calls with parsed arguments) that live delivery gives, where it is not the one-shot parse's
    live: tuple[str, list[dict[str, Any]]] | None = None


def outputs(fmt: str) -> list[Output]:
    """The format's samples, then its fixture records (one per distinct text and tools)."""
    out = [Output(fmt, f"sample:{s.scenario}", s.text, TOOLS, SAMPLE_LIVE.get((fmt, s.scenario)))
           for s in samples(fmt)]
    live = {c.id: c for c in parse_cases("live") if c.deviation}
    seen = {(o.text, json.dumps(o.tools)) for o in out}
    for case in parse_cases():
        if case.format != fmt:
            continue
        key = (case.record["input"], json.dumps(case.tools))
        if key in seen:
            continue
        seen.add(key)
        dev = live.get(case.id)
        live_expected = (dev.expected_normal_text or "", dev.expected_calls or []) if dev and dev.deviation != case.deviation else None
        out.append(Output(fmt, case.record["name"], case.record["input"], case.tools, live_expected))
    return out
