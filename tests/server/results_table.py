"""The README's per-format table of the real-server suite, from its JUnit XML (the ``answers`` each test records).

    scripts/test_server.sh --junitxml=server.xml && python tests/server/results_table.py server.xml

Per format and case: answers with calls (of the seeds), answers cut at ``max_tokens``, and for strict tools the
calls whose arguments validate against the tool's schema.
"""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: grammar_walk
from grammar_walk import TOOL_SETS, with_strict  # noqa: E402

COLUMNS = [(c, s) for c in ("required", "named", "auto") for s in (False, True)]


def _schema_valid(calls: list[list[str]], strict: bool) -> tuple[int, int]:
    import jsonschema

    tools = {t["function"]["name"]: t["function"] for t in with_strict(TOOL_SETS["flat"] + TOOL_SETS["nested_enum"], strict)}
    ok = 0
    for name, args in calls:
        try:
            jsonschema.validate(json.loads(args), tools[name].get("parameters") or {})
            ok += 1
        except (KeyError, ValueError, jsonschema.ValidationError):
            pass
    return ok, len(calls)


def cell(rows: list[dict[str, Any]], strict: bool) -> str:
    with_calls = sum(bool(r["calls"]) for r in rows)
    cut = sum(r["finish"] == "length" for r in rows)
    text = f"calls {with_calls}/{len(rows)}" + (f" ({cut} cut)" if cut else "")
    if strict and with_calls:
        ok, n = _schema_valid([c for r in rows for c in r["calls"]], strict)
        text += f", schema-valid {ok}/{n}"
    return text


def table(path: str) -> str:
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name", "")
        if not name.startswith("test_tool_calls["):
            continue
        fmt, choice, strictness = name[len("test_tool_calls[") : -1].rsplit("-", 2)
        for prop in case.iter("property"):
            if prop.get("name") == "answers":
                results.setdefault(fmt, {})[f"{choice}-{strictness}"] = json.loads(prop.get("value", "[]"))
    head = "| format | " + " | ".join(f"{c}{', strict' if s else ''}" for c, s in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for fmt, cases in results.items():
        cells = [cell(cases.get(f"{c}-{'strict' if s else 'loose'}", []), s) for c, s in COLUMNS]
        lines.append(f"| {fmt} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(sys.argv[1]))
