"""Realistic, deterministic tool-call outputs of a given token length, in every format.

Each output is: prose before the calls (or a reasoning message for harmony), then many parallel
calls of a ``write_file(path, content)`` tool whose ``content`` is a long string argument (prose
with code lines, quotes, backslashes, newlines and some non-ASCII), plus a ``get_weather`` call
with an integer argument. The same seed gives the same text in every interpreter, so results
from different engine venvs can be merged and compared.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from dyn_plugins.samples import TOOLS as SAMPLE_TOOLS
from dyn_plugins.samples import dsml_invoke, dsv31_call, harmony_call

TOOLS: list[dict] = [
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
    },
    *(t for t in SAMPLE_TOOLS if t["function"]["name"] == "get_weather"),
]

_WORDS = (
    "the of and to in is that for it as with was on be by this are from at or an have not which "
    "stream parser token model output request server latency buffer value field schema weather city "
    "forecast report number string array object function call argument result error retry cache "
    "naïve café déjà größe 東京 pâté — “quoted” ‘single’ …"
).split()
_CODE = (
    "def f(x):\n    return x * 2  # double it",
    'if (a < b && c > d) { return "ok"; }',
    "path = 'C:\\\\Users\\\\me\\\\file.txt'",
    "<div class=\"note\">Hello &amp; welcome</div>",
    "SELECT name FROM users WHERE id = 42;",
    "for i in range(10): print(i, end='\\t')",
)


def prose(rng: random.Random, n_words: int) -> str:
    out: list[str] = []
    for i in range(n_words):
        w = rng.choice(_WORDS)
        out.append(w.capitalize() if i == 0 or out[-1].endswith(".") else w)
        if rng.random() < 0.08:
            out[-1] += rng.choice((".", ",", ";", "?", "!"))
    return " ".join(out) + "."


def file_content(rng: random.Random, n_words: int) -> str:
    parts: list[str] = []
    left = n_words
    while left > 0:
        k = min(left, rng.randint(20, 60))
        parts.append(prose(rng, k))
        parts.append(rng.choice(_CODE))
        left -= k
    return "\n".join(parts)


Call = tuple[str, dict]


def _calls(rng: random.Random, n_calls: int, words_per_call: int) -> list[Call]:
    calls: list[Call] = []
    for i in range(n_calls):
        if i % 8 == 7:
            calls.append(("get_weather", {"city": rng.choice(["Paris", "Tokyo", "São Paulo"]), "days": rng.randint(1, 9)}))
        else:
            calls.append(("write_file", {"path": f"src/module_{i}.py", "content": file_content(rng, words_per_call)}))
    return calls


def _j(v: object) -> str:
    return json.dumps(v, ensure_ascii=False)


def _json_list(calls: list[Call]) -> str:
    return "[" + ", ".join(_j({"name": n, "arguments": a}) for n, a in calls) + "]"


def _glm(intro: str, calls: list[Call]) -> str:
    out = [intro, "\n"]
    for name, args in calls:
        out.append(f"<tool_call>{name}")
        for k, v in args.items():
            out.append(f"<arg_key>{k}</arg_key><arg_value>{v}</arg_value>")
        out.append("</tool_call>\n")
    return "".join(out).rstrip("\n")


def _dsv31(intro: str, calls: list[Call]) -> str:
    body = "".join(dsv31_call(n, _j(a)) for n, a in calls)
    return f"{intro}<｜tool▁calls▁begin｜>{body}<｜tool▁calls▁end｜>"


def _dsml(intro: str, calls: list[Call]) -> str:
    body = "".join(dsml_invoke(n, [(k, v if isinstance(v, str) else _j(v), isinstance(v, str)) for k, v in a.items()]) for n, a in calls)
    return f"{intro}\n\n<｜DSML｜function_calls>\n{body}</｜DSML｜function_calls>"


def _harmony(intro: str, calls: list[Call]) -> str:
    return f"<|channel|>analysis<|message|>{intro}<|end|>" + "".join(harmony_call(n, _j(a)) for n, a in calls)


RENDER: dict[str, Callable[[str, list[Call]], str]] = {
    "glm47": _glm,
    "jamba": lambda intro, calls: f"{intro} <tool_calls>{_json_list(calls)}</tool_calls>",
    "nemotron_deci": lambda intro, calls: f"{intro} <TOOLCALL>{_json_list(calls)}</TOOLCALL>",
    "deepseek_v3_1": _dsv31,
    "harmony": _harmony,
    "deepseek_v3_2": _dsml,
    "default": lambda intro, calls: f"{intro} <TOOLCALL>{_json_list(calls)}</TOOLCALL>",
}

SIZES: dict[str, int] = {"1k": 1024, "4k": 4096, "16k": 16384, "64k": 65536}


@dataclass
class Case:
    """One benchmark input: the text, its streamed chunks (with token ids when tokenized)."""

    format: str
    size: str
    text: str
    chunks: list[str]
    chunk_ids: list[list[int]]
    calls: int

    @property
    def tokens(self) -> int:
        return sum(len(ids) for ids in self.chunk_ids) if self.chunk_ids else len(self.chunks)


def render(fmt: str, n_calls: int, words_per_call: int = 180, seed: int = 0) -> tuple[str, int]:
    rng = random.Random(f"{fmt}-{seed}")
    intro = "I'll write the files and check the weather. " + prose(rng, 40)
    calls = _calls(rng, n_calls, words_per_call)
    return RENDER[fmt](intro, calls), n_calls


def make_case(fmt: str, size: str, count_tokens: Callable[[str], int], split: Callable[[str], tuple[list[str], list[list[int]]]]) -> Case:
    """The output of ``fmt`` whose token count is closest to (at least) the target size."""
    target = SIZES[size]
    per_call = max(1, (count_tokens(render(fmt, 16)[0]) - count_tokens(render(fmt, 8)[0])) // 8)
    n = max(1, target // per_call)
    text, n = render(fmt, n)
    while count_tokens(text) < target:
        n += 1
        text, n = render(fmt, n)
    chunks, ids = split(text)
    return Case(fmt, size, text, chunks, ids, n)
