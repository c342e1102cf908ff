"""Generated model outputs for the differential run against Dynamo's native parsers (deterministic: one seed).

Per format (:data:`FORMATS`) at least :data:`PER_FORMAT` outputs, each a :class:`GenCase`: well-formed answers with
0..3 calls (text before / after, typed values: numbers, booleans, null, nested objects and arrays, unicode and
emoji), the same answers truncated at many points (``finish_reason: length``, as a model cut by ``max_tokens``),
malformed JSON arguments and calls of a tool the request does not declare. Only the wire text is generated here;
what either parser makes of it is the suite's business (tests/dynamo/test_dynamo_native_differential.py).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SEED = 20261202
PER_FORMAT = 120
FORMATS = ("glm47", "jamba", "nemotron_deci", "deepseek_v3_1", "harmony", "deepseek_v3_2", "default")


def _fn(name: str, props: dict[str, str], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name} (generated test tool)",
            "parameters": {"type": "object", "properties": {k: {"type": t} for k, t in props.items()}, "required": required},
        },
    }


#: The tools every generated request declares (``launch_rocket``, the unknown tool, is not among them).
TOOLS: list[dict[str, Any]] = [
    _fn("get_weather", {"city": "string", "days": "integer", "metric": "boolean"}, ["city"]),
    _fn("get_time", {"timezone": "string"}, ["timezone"]),
    _fn("search_web", {"query": "string", "limit": "number", "filters": "object", "tags": "array", "cursor": "null"}, ["query"]),
    _fn("set_config", {"settings": "object", "enabled": "boolean", "ratio": "number"}, ["settings"]),
]
UNKNOWN_TOOL = "launch_rocket"

_STRINGS = [
    "Paris", "New York", "Asia/Tokyo", "São Paulo", "Zürich", "東京", "Москва", "naïve café", "rain ☔ or shine ☀️",
    "🚀🌍", "emoji 👩‍💻 zwj", 'say "hi"', "back\\slash", "line\nbreak", "tab\there", "a<b>c", "{not json}", "[1, 2]",
    "", " padded ", "100%", "ünïcödé ✓",
]
_TEXTS = [
    "Let me check that.", "Sure! 😊", "I'll look it up for you.", "Voilà: the answer.", "Checking… 🔍",
    "First, the weather. Then the time.", "Done.", "Here you go: 東京の天気。", "Use {braces} and [brackets] freely.",
    "Okay. ", "Let me call a tool:\n",
]
#: plain answers without any call (the 0-call outputs)
_PLAIN = [
    "It is sunny in Paris today.", "No tool needed: 2 + 2 = 4.", "Bonjour ! Il fait beau. ☀️",
    "The JSON {\"a\": 1} is just an example.", "Nothing to call [yet].", "中文回答，没有工具调用。", "👍",
    "A list: [1, 2, 3] and an object {\"k\": true}.", "  ", "Answer with a trailing newline\n",
]


def _value(rng: random.Random, kind: str, depth: int = 0) -> Any:
    if kind == "string":
        return rng.choice(_STRINGS)
    if kind == "integer":
        return rng.choice([0, 3, -7, 42, 10**12])
    if kind == "number":
        return rng.choice([0.5, -2.25, 1e-3, 3.0, 12345.678, 7])
    if kind == "boolean":
        return rng.choice([True, False])
    if kind == "null":
        return None
    if kind == "array":
        return [_value(rng, rng.choice(["string", "integer", "boolean", "null"] + (["object"] if depth < 1 else [])), depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "object":
        if depth >= 2:
            return {"leaf": rng.choice(_STRINGS)}
        keys = rng.sample(["unit", "lang", "nested", "list", "flag", "n", "ключ", "🔑"], rng.randint(0, 3))
        return {k: _value(rng, rng.choice(["string", "integer", "number", "boolean", "null", "array", "object"]), depth + 1) for k in keys}
    raise ValueError(kind)


def _args(rng: random.Random, tool: dict[str, Any]) -> dict[str, Any]:
    params = tool["function"]["parameters"]
    out = {k: _value(rng, params["properties"][k]["type"]) for k in params["required"]}
    for k, spec in params["properties"].items():
        if k not in out and rng.random() < 0.6:
            out[k] = _value(rng, spec["type"])
    return out


def _calls(rng: random.Random, n: int, unknown: bool = False) -> list[tuple[str, dict[str, Any]]]:
    calls = []
    for _ in range(n):
        tool = rng.choice(TOOLS)
        calls.append((tool["function"]["name"], _args(rng, tool)))
    if unknown and calls:
        i = rng.randrange(len(calls))
        calls[i] = (UNKNOWN_TOOL, {"target": rng.choice(["moon", "Mars 🔴"]), "count": rng.randint(1, 3)})
    return calls


def _dumps(rng: random.Random, obj: Any) -> str:
    """JSON as models write it: compact or spaced, unicode escaped or not."""
    spaced = rng.random() < 0.5
    return json.dumps(obj, ensure_ascii=rng.random() < 0.3, separators=(", ", ": ") if spaced else (",", ":"))


# --- wire text of calls, per format -------------------------------------------------------------------------------
# ``raw``: argument JSON text per call (a malformed case passes broken text); None means "serialise the dict".

Calls = list[tuple[str, dict[str, Any]]]


def _json_list(rng: random.Random, calls: Calls, raw: list[str] | None, key: str = "arguments") -> str:
    items = []
    for i, (name, args) in enumerate(calls):
        a = raw[i] if raw else _dumps(rng, args)
        items.append(f'{{"name": "{name}", "{key}": {a}}}')
    return "[" + ", ".join(items) + "]"


def _glm47(rng: random.Random, calls: Calls, raw: list[str] | None) -> str:
    out = []
    for i, (name, args) in enumerate(calls):
        body = "".join(
            f"<arg_key>{k}</arg_key><arg_value>{v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}</arg_value>"
            for k, v in args.items()
        )
        if raw:  # malformed: an arg_value holding broken JSON for an object-typed key
            body += f"<arg_key>payload</arg_key><arg_value>{raw[i]}</arg_value>"
        sep = rng.choice(["", "\n"])
        out.append(f"<tool_call>{name}{sep}{body}</tool_call>")
    return rng.choice(["", "\n"]).join(out)


def _jamba(rng: random.Random, calls: Calls, raw: list[str] | None) -> str:
    return f"<tool_calls>{_json_list(rng, calls, raw)}</tool_calls>"


def _nemotron(rng: random.Random, calls: Calls, raw: list[str] | None) -> str:
    return f"<TOOLCALL>{_json_list(rng, calls, raw)}</TOOLCALL>"


def _dsv31(rng: random.Random, calls: Calls, raw: list[str] | None) -> str:
    body = "".join(
        f"<｜tool▁call▁begin｜>{name}<｜tool▁sep｜>{raw[i] if raw else _dumps(rng, args)}<｜tool▁call▁end｜>"
        for i, (name, args) in enumerate(calls)
    )
    return f"<｜tool▁calls▁begin｜>{body}<｜tool▁calls▁end｜>"


def _harmony(rng: random.Random, calls: Calls, raw: list[str] | None) -> str:
    out = []
    for i, (name, args) in enumerate(calls):
        start = "<|start|>assistant" if (i > 0 or rng.random() < 0.5) else ""
        constrain = rng.choice([" <|constrain|>json", " json", ""])
        out.append(f"{start}<|channel|>commentary to=functions.{name}{constrain}<|message|>{raw[i] if raw else _dumps(rng, args)}<|call|>")
    return "".join(out)


def _dsml(rng: random.Random, calls: Calls, raw: list[str] | None) -> str:
    nl = rng.choice(["\n", ""])
    invokes = []
    for i, (name, args) in enumerate(calls):
        params = []
        for k, v in args.items():
            s = isinstance(v, str)
            params.append(f'<｜DSML｜parameter name="{k}" string="{"true" if s else "false"}">{v if s else json.dumps(v, ensure_ascii=False)}</｜DSML｜parameter>{nl}')
        if raw:
            params.append(f'<｜DSML｜parameter name="payload" string="false">{raw[i]}</｜DSML｜parameter>{nl}')
        invokes.append(f'<｜DSML｜invoke name="{name}">{nl}{"".join(params)}</｜DSML｜invoke>{nl}')
    return f"<｜DSML｜function_calls>{nl}{''.join(invokes)}</｜DSML｜function_calls>"


def _default(rng: random.Random, calls: Calls, raw: list[str] | None) -> str:
    style = rng.choice(["toolcall", "python_tag", "bare"]) if len(calls) == 1 else rng.choice(["toolcall", "bare_list", "python_tags"])
    if style == "python_tags":  # SPEC §6: ``;``-separated objects after one tag, or one tag per object
        sep = rng.choice(["; ", ";", "<|python_tag|>"])
        objs = [f'{{"name": "{n}", "parameters": {raw[i] if raw else _dumps(rng, a)}}}' for i, (n, a) in enumerate(calls)]
        return "<|python_tag|>" + sep.join(objs)
    if style == "toolcall":
        return f"<TOOLCALL>{_json_list(rng, calls, raw)}</TOOLCALL>"
    if style == "bare_list":
        return _json_list(rng, calls, raw)
    name, args = calls[0]
    key = "parameters" if style == "python_tag" else rng.choice(["arguments", "parameters"])
    obj = f'{{"name": "{name}", "{key}": {raw[0] if raw else _dumps(rng, args)}}}'
    return ("<|python_tag|>" if style == "python_tag" else "") + obj


RENDER: dict[str, Callable[[random.Random, Calls, list[str] | None], str]] = {
    "glm47": _glm47,
    "jamba": _jamba,
    "nemotron_deci": _nemotron,
    "deepseek_v3_1": _dsv31,
    "harmony": _harmony,
    "deepseek_v3_2": _dsml,
    "default": _default,
}

#: markers a truncation point must not fall inside (a model stops between tokens, and every marker is one token)
MARKERS = (
    "<tool_call>", "</tool_call>", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>", "<tool_calls>",
    "</tool_calls>", "<TOOLCALL>", "</TOOLCALL>", "<|python_tag|>", "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>",
    "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>", "<｜tool▁sep｜>", "<|start|>", "<|channel|>", "<|message|>",
    "<|constrain|>", "<|end|>", "<|call|>", "<|return|>", "<｜DSML｜function_calls>", "</｜DSML｜function_calls>",
    "<｜DSML｜invoke name=", "</｜DSML｜invoke>", "<｜DSML｜parameter name=", "</｜DSML｜parameter>",
)


def _wrap(rng: random.Random, fmt: str, calls_text: str, before: str, after: str) -> str:
    """Text around the calls; harmony puts prose in channel messages."""
    if fmt != "harmony":
        return before + (" " if before and not before.endswith(("\n", " ")) else "") + calls_text + after
    head = f"<|channel|>analysis<|message|>{rng.choice(_TEXTS)}<|end|>" if rng.random() < 0.5 else ""
    if before:
        head += f"{'<|start|>assistant' if head else ''}<|channel|>commentary<|message|>{before}<|end|>"
    if head and calls_text and not calls_text.startswith("<|start|>"):
        calls_text = "<|start|>assistant" + calls_text
    tail = f"<|start|>assistant<|channel|>final<|message|>{after.strip() or 'Done.'}<|return|>" if after else ""
    return head + calls_text + tail


def _plain(rng: random.Random, fmt: str) -> str:
    text = rng.choice(_PLAIN)
    if fmt == "harmony":
        head = "<|channel|>analysis<|message|>No tool needed.<|end|><|start|>assistant" if rng.random() < 0.5 else ""
        return f"{head}<|channel|>final<|message|>{text}" + rng.choice(["", "<|return|>"])
    return text


_BROKEN = [
    '{"city": "Paris"',  # unclosed object
    '{"city": "Paris",}',  # trailing comma
    "{'city': 'Paris'}",  # single quotes
    '{"city": Paris}',  # bare word
    '{"city": "Par',  # cut string
    '{"a": [1, 2}',  # mismatched bracket
    "not json at all",
    '{"n": 01}',  # leading zero
    '{"x": NaN}',
    '{"city": "Paris"}}',  # extra brace
]


@dataclass(frozen=True)
class GenCase:
    id: str  # gen:<format>:<kind>:<nnn>
    format: str
    kind: str  # wellformed | plain | truncated | malformed | unknown_tool
    text: str
    finish_reason: str  # "stop" or "length" (the replay worker's finish)


def _cut_points(rng: random.Random, text: str, n: int) -> list[int]:
    """``n`` distinct cut positions in (0, len), none strictly inside a marker."""
    inside = set()
    for m in MARKERS:
        start = text.find(m)
        while start >= 0:
            inside.update(range(start + 1, start + len(m)))
            start = text.find(m, start + 1)
    allowed = [i for i in range(1, len(text)) if i not in inside]
    return sorted(rng.sample(allowed, min(n, len(allowed))))


def generate(fmt: str, seed: int = SEED) -> list[GenCase]:
    """The generated outputs of one format (the same list for the same seed)."""
    rng = random.Random(f"{seed}:{fmt}")
    render = RENDER[fmt]
    out: list[GenCase] = []

    def add(kind: str, text: str, finish: str = "stop") -> None:
        out.append(GenCase(f"gen:{fmt}:{kind}:{sum(c.kind == kind for c in out):03d}", fmt, kind, text, finish))

    wellformed: list[str] = []
    for i in range(40):
        n = i % 4  # 0..3 calls
        if n == 0:
            add("plain", _plain(rng, fmt))
            continue
        before = rng.choice(_TEXTS) if rng.random() < 0.4 else ""
        after = rng.choice(_TEXTS) if rng.random() < 0.2 else ""
        text = _wrap(rng, fmt, render(rng, _calls(rng, n), None), before, after)
        wellformed.append(text)
        add("wellformed", text)
    for text in rng.sample(wellformed, 12):  # 12 answers x 4 cut points
        for cut in _cut_points(rng, text, 4):
            add("truncated", text[:cut], "length")
    for i in range(16):
        n = 1 + i % 2
        raw = [rng.choice(_BROKEN) for _ in range(n)]
        calls = _calls(rng, n)
        add("malformed", _wrap(rng, fmt, render(rng, calls, raw), rng.choice(["", rng.choice(_TEXTS)]), ""))
    while len(out) < PER_FORMAT:
        n = 1 + len(out) % 3
        add("unknown_tool", _wrap(rng, fmt, render(rng, _calls(rng, n, unknown=True), None), rng.choice(["", rng.choice(_TEXTS)]), ""))
    return out


def all_generated(seed: int = SEED) -> list[GenCase]:
    return [c for fmt in FORMATS for c in generate(fmt, seed)]


if __name__ == "__main__":
    import collections

    cases = all_generated()
    print(collections.Counter((c.format, c.kind) for c in cases))
    for c in cases[:: len(cases) // 12]:
        print(c.id, repr(c.text)[:200])
