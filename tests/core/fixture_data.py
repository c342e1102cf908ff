"""Loads Dynamo's conformance matrix (tests/fixtures/dynamo/*.json) and our documented deviations.

Which records run against which format, and what we expect instead of Dynamo where we deviate, is
data: ``tests/fixtures/deviations.json`` (each entry says why). Only the comparison rules live here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DYNAMO = FIXTURES / "dynamo"

#: fixture file -> our format name (hermes.json is a bonus file for a format the engines ship themselves)
FILES = {
    "glm47.json": "glm47",
    "jamba.json": "jamba",
    "nemotron_deci.json": "nemotron_deci",
    "deepseek_v3_1.json": "deepseek_v3_1",
    "harmony.json": "harmony",
    "deepseek_v3_2.json": "deepseek_v3_2",
    "deepseek_v4.json": "deepseek_v4",
    "default.json": "default",
    "phi4.json": "phi4",
    "qwen3.json": "qwen3",
}

#: reasoning fixture file -> our reasoning format (dyn_plugins.reasoning)
REASONING_FILES = {
    "kimi_reasoning.json": "kimi",
    "granite_reasoning.json": "granite",
}


@dataclass(frozen=True)
class Case:
    file: str
    format: str
    record: dict[str, Any]
    expected_calls: list[dict[str, Any]] | None
    expected_normal_text: str | None
    deviation: str | None  # why we differ from Dynamo here, if we do

    @property
    def id(self) -> str:
        return f"{self.format}:{self.record['name']}"

    @property
    def tools(self) -> list[dict[str, Any]] | None:
        tools = self.record.get("tools")
        return [{"type": "function", "function": t} for t in tools] if tools else None

    @property
    def chunks(self) -> list[str] | None:
        chunks = self.record.get("chunks")
        return [c["delta_text"] if isinstance(c, dict) else c for c in chunks] if chunks else None


#: delivery modes: the one-shot parse and buffered streaming (Dynamo's behaviour, one expectation), and
#: live streaming (a call announced before it is complete), which may differ on malformed output only
MODES = ("parse", "live")


def _deviations(mode: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Deviations in force for ``mode``: Dynamo-parity ones everywhere, ``"mode": "live"`` ones on top in live mode."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for d in json.loads((FIXTURES / "deviations.json").read_text()):
        if d.get("mode", "parse") == "parse" or d["mode"] == mode:
            out[(d["file"], d["name"])] = d
    return out


def live_deviations() -> list[dict[str, Any]]:
    return [d for d in json.loads((FIXTURES / "deviations.json").read_text()) if d.get("mode") == "live"]


def skipped_reason(record: dict[str, Any]) -> str | None:
    """Why a parse record is not part of the matrix we run (None: it runs)."""
    if record.get("expected_error"):
        return "an error of Dynamo's parser registry (covered by test_api's unknown-name test)"
    if record.get("config_overrides"):
        return "a non-registry parser config that no Dynamo deployment uses"
    return None


def parse_cases(mode: str = "parse") -> list[Case]:
    """Every ``kind: parse`` record of our formats that runs, with the deviations of ``mode`` applied."""
    devs = _deviations(mode)
    cases: list[Case] = []
    for file, fmt in FILES.items():
        for rec in json.loads((DYNAMO / file).read_text()):
            if rec["kind"] != "parse" or skipped_reason(rec):
                continue
            dev = devs.pop((file, rec["name"]), None)
            if dev:
                ours = dev["ours"]
                cases.append(Case(file, fmt, rec, ours["calls"], ours["normal_text"], dev["why"]))
            else:
                cases.append(Case(file, fmt, rec, rec.get("expected_calls"), rec.get("expected_normal_text"), None))
    if devs:
        raise AssertionError(f"deviations.json names records that do not exist: {sorted(devs)}")
    if mode == "parse":
        parse_cases("live")  # validates the live entries' names too
    return cases


def reasoning_cases(file: str = "harmony_reasoning_gpt_oss.json") -> list[dict[str, Any]]:
    return json.loads((DYNAMO / file).read_text())


def _args(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw if raw else {}


def mismatches(case: Case, normal_text: str, calls: list[Any], reasoning_text: str = "") -> list[str]:
    """Differences between a result and the case, under Dynamo's own comparison rules."""
    out: list[str] = []
    rec = case.record
    if "expected_reasoning_text" in rec and reasoning_text != rec["expected_reasoning_text"]:
        out.append(f"reasoning text {reasoning_text!r} != {rec['expected_reasoning_text']!r}")
    got = [{"name": c.name, "arguments": _args(c.arguments)} for c in calls]
    if case.expected_calls is not None and got != case.expected_calls:
        out.append(f"calls {got} != {case.expected_calls}")
    if case.deviation is None and rec.get("expected_call_count") is not None and len(calls) != rec["expected_call_count"]:
        out.append(f"{len(calls)} calls, expected {rec['expected_call_count']}")
    raw = rec.get("expected_arguments_raw")
    if raw is not None and case.deviation is None:
        raws = raw if isinstance(raw, list) else [raw]
        if [c.arguments for c in calls][: len(raws)] != raws:
            out.append(f"raw arguments {[c.arguments for c in calls]} != {raws}")
    exp = case.expected_normal_text
    if exp is not None and not (normal_text.strip() == "" and exp.strip() == "") and normal_text != exp:
        out.append(f"normal text {normal_text!r} != {exp!r}")
    for check in rec.get("normal_text_checks") or []:
        op, value = check["op"], check.get("value")
        ok = {
            "empty_equivalent": lambda: not normal_text.strip(),
            "equals_after_trim": lambda: normal_text.strip() == value,
            "contains": lambda: value in normal_text,
            "not_contains": lambda: value not in normal_text,
        }[op]()
        if not ok:
            out.append(f"normal text {normal_text!r} fails {op} {value!r}")
    return out
