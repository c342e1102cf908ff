"""The long-call scenario of issue 11: one ~1.1 kB ``write_file`` call in every format's wire text.

A coding agent's typical call: a file whose ``content`` string has newlines, both quote kinds, a
backslash, ``<``/``&`` and non-ASCII text. Streaming it one token per delta must show the call's name
long before its closing marker and the arguments in many fragments (vLLM, SGLang, Dynamo tests).
Written here by hand from each format's wire syntax (not produced by the code under test).
"""

from __future__ import annotations

import json
from typing import Any

from dyn_plugins.samples import dsml_invoke, dsv31_call, harmony_call

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "write_file",
            "description": "Write a text file",
            "parameters": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                "required": ["path", "content"],
            },
        },
    }
]

PATH = "src/report.py"
_LINES = (
    "#!/usr/bin/env python3",
    '"""Weather report for the café in São Paulo — naïve déjà vu."""',
    "import json",
    "",
    "",
    "def report(city: str, days: int = 3) -> str:",
    "    # the forecast, one line per day: “sunny”, ‘rain’ …",
    '    if days < 1 and city != "":',
    "        raise ValueError(f\"days must be >= 1, got {days!r}\")",
    "    lines = [f'{city}: day {d} ☀' for d in range(days)]",
    '    return "\\n".join(lines)  # a backslash-n, not a newline',
    "",
    "",
    "TOKYO = '東京'  # größe, pâté & co.",
)
#: ~1.1 kB: the file above, twice with a numbered second copy, then a tail. (A glm47 value that opens with ``"``,
#: ``{`` or ``[`` is held only while it can still be one JSON value: dyn_plugins/formats/glm47.py ``LiveArgs``;
#: tests/core/test_live_streaming.py covers that case.)
CONTENT = "\n".join(
    [*_LINES, "", *(line.replace("report", "report_2") for line in _LINES), "", "if __name__ == '__main__':", "    print(report('Paris'), report_2(TOKYO, days=5))", "    print('done: 2 reports, 8 days — fin')"]
)
ARGS: dict[str, str] = {"path": PATH, "content": CONTENT}
#: the arguments as the JSON-family and harmony/DSV3.1 models write them (JSON object text)
ARGS_JSON = json.dumps(ARGS, ensure_ascii=False)


def _json_call() -> str:
    return json.dumps({"name": "write_file", "arguments": ARGS}, ensure_ascii=False)


#: format -> (model output, the call's closing marker: the first string after every argument byte)
WIRE: dict[str, tuple[str, str]] = {
    "glm47": (
        f"<tool_call>write_file<arg_key>path</arg_key><arg_value>{PATH}</arg_value>"
        f"<arg_key>content</arg_key><arg_value>{CONTENT}</arg_value></tool_call>",
        "</tool_call>",
    ),
    "jamba": (f"<tool_calls>[{_json_call()}]</tool_calls>", "</tool_calls>"),
    "nemotron_deci": (f"<TOOLCALL>[{_json_call()}]</TOOLCALL>", "</TOOLCALL>"),
    "deepseek_v3_1": ("<｜tool▁calls▁begin｜>" + dsv31_call("write_file", ARGS_JSON) + "<｜tool▁calls▁end｜>", "<｜tool▁call▁end｜>"),
    "harmony": (
        "<|channel|>analysis<|message|>The user wants the report file written.<|end|>" + harmony_call("write_file", ARGS_JSON),
        "<|call|>",
    ),
    "deepseek_v3_2": (
        "<｜DSML｜function_calls>\n" + dsml_invoke("write_file", [("path", PATH, True), ("content", CONTENT, True)]) + "</｜DSML｜function_calls>",
        "</｜DSML｜invoke>",
    ),
    "default": (f"<TOOLCALL>[{_json_call()}]</TOOLCALL>", "</TOOLCALL>"),
}


def text(fmt: str) -> str:
    return WIRE[fmt][0]


def close_offset(fmt: str) -> int:
    """Character offset of the call's closing marker in the output (the last occurrence)."""
    out, close = WIRE[fmt]
    return out.rindex(close)


def close_token(decode_prefix: Any, ids: list[int], fmt: str) -> int:
    """Index of the token where the call's closing marker starts (``decode_prefix(ids[:k])`` -> text)."""
    offset = close_offset(fmt)
    lo, hi = 0, len(ids)
    while lo < hi:  # smallest k whose decoded prefix reaches past the marker's first character
        mid = (lo + hi) // 2
        if len(decode_prefix(ids[:mid])) > offset:
            hi = mid
        else:
            lo = mid + 1
    return lo - 1


def timeline(chunks: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """``(token index, tool-call delta)`` for every tool-call delta of streamed ``(token index, chunk)`` pairs."""
    out: list[tuple[int, dict[str, Any]]] = []
    for tok, chunk in chunks:
        for choice in chunk.get("choices", []):
            for tc in (choice.get("delta") or {}).get("tool_calls") or []:
                out.append((tok, tc))
    return out


def measure(deltas: list[tuple[int, dict[str, Any]]], close: int) -> dict[str, Any]:
    """Issue 11's latency numbers for one streamed call: token of the name, of the first argument byte,
    share of argument bytes sent before the closing marker's token, number of argument deltas."""
    name_at = next(t for t, tc in deltas if (tc.get("function") or {}).get("name"))
    arg_deltas = [(t, (tc.get("function") or {}).get("arguments") or "") for t, tc in deltas]
    arg_deltas = [(t, a) for t, a in arg_deltas if a]
    total = sum(len(a.encode()) for _, a in arg_deltas)
    before = sum(len(a.encode()) for t, a in arg_deltas if t < close)
    return {
        "name_token": name_at,
        "first_arg_token": arg_deltas[0][0],
        "close_token": close,
        "share_before_close": before / total,
        "arg_deltas": len(arg_deltas),
    }
