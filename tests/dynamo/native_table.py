"""The README's per-format table of the differential run against Dynamo's native parsers, from its JUnit XML.

    DYN_E2E_ENGINE=vllm .venv-dynamo-vllm/bin/pytest -q -m dynamo -p no:cacheprovider \\
        tests/dynamo/test_dynamo_native_differential.py --junitxml=native.xml
    python tests/dynamo/native_table.py native.xml
    python tests/dynamo/native_table.py --deviations native.xml   # the cases part of dynamo_native_deviations.json

Per format and mode: cases whose answer (calls, trimmed content, finish_reason) equals Dynamo's, out of all; then
the differing cases per listed reason (tests/fixtures/dynamo_native_deviations.json) and those not listed
(``ours``: a difference of ours, the test fails on it).
"""

from __future__ import annotations

import collections
import json
import sys
import xml.etree.ElementTree as ET
from typing import Any

MODES = ("json", "sse")


def rows(path: str) -> list[dict[str, Any]]:
    out = []
    for case in ET.parse(path).getroot().iter("testcase"):
        for prop in case.iter("property"):
            if prop.get("name") == "native":
                out.append(json.loads(prop.get("value", "{}")))
    return out


def table(path: str) -> str:
    per: dict[str, dict[str, list[dict[str, Any]]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    for r in rows(path):
        per[r["format"]][r["mode"]].append(r)
    lines = ["| format | non-stream matched | stream matched | differing: reason (non-stream / stream) |", "|---|---|---|---|"]
    totals = {m: [0, 0] for m in MODES}
    for fmt, modes in per.items():
        cells = []
        reasons: dict[str, dict[str, int]] = collections.defaultdict(lambda: dict.fromkeys(MODES, 0))
        for m in MODES:
            rs = modes.get(m, [])
            ok = sum(not r["diff"] for r in rs)
            totals[m][0] += ok
            totals[m][1] += len(rs)
            cells.append(f"{ok} / {len(rs)}")
            for r in rs:
                if r["diff"]:
                    listed = r["listed"]
                    names = (listed["reasons"] + (["live_announced_call"] if listed["live"] else [])) if listed else ["**ours**"]
                    for name in names:
                        reasons[name][m] += 1
        text = ", ".join(f"{k} {v['json']}/{v['sse']}" for k, v in sorted(reasons.items())) or "-"
        lines.append(f"| {fmt} | {cells[0]} | {cells[1]} | {text} |")
    lines.append(f"| all | {totals['json'][0]} / {totals['json'][1]} | {totals['sse'][0]} / {totals['sse'][1]} | |")
    return "\n".join(lines)


def deviations(path: str) -> list[dict[str, Any]]:
    """Every differing case that a reason explains (native_reasons.classify), as deviation entries: what to paste
    into the ``cases`` list after reviewing each reason; unexplained cases are left out (the test keeps failing)."""
    out = []
    for r in rows(path):
        if r["diff"] and r["explained"]:
            entry = {"case": r["case"], "mode": r["mode"], "reasons": r["explained"]["reasons"]}
            if r["explained"]["live"]:
                entry["live"] = True
            out.append(entry)
    return out


if __name__ == "__main__":
    if sys.argv[1] == "--deviations":
        print(json.dumps(deviations(sys.argv[2]), ensure_ascii=False, indent=1))
    else:
        print(table(sys.argv[1]))
