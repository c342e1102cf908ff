"""How much normal text a stream still holds when the model stops, before ``finish()`` is called.

Why: some serving paths never flush the parser at the end of a response (Dynamo 1.6.1's SGLang processor
does not call ``parse_stream_end``), so text held until ``finish()`` never reaches the user there. A
plain answer to a request with tools must come out completely while streaming; only a possible start
of a call may be held (a partial marker, or for glm47 a word that may still name a tool of a bare body).
"""

from __future__ import annotations

from typing import Any

import pytest

from dyn_plugins.formats import TextDelta, get_format
from dyn_plugins.samples import TOOLS

PLAIN = "It is sunny in Paris today."
#: (format, text streamed word by word, tools, text still held before finish())
CASES: list[tuple[str, str, Any, str]] = [
    ("glm47", PLAIN, TOOLS, ""),
    ("glm47", "I will call get_weather", TOOLS, "get_weather"),
    ("glm47", "I will call get_wea", TOOLS, "get_wea"),
    ("glm47", "I will call get_weather.", TOOLS, ""),
    # without tools any identifier may name a bare body's function
    ("glm47", PLAIN, None, "today."),
    ("glm47", "Almost <tool_ca", TOOLS, "<tool_ca"),
    ("jamba", PLAIN, TOOLS, ""),
    ("nemotron_deci", PLAIN, TOOLS, ""),
    ("deepseek_v3_1", PLAIN, TOOLS, ""),
    ("deepseek_v3_2", PLAIN, TOOLS, ""),
    ("default", PLAIN, TOOLS, ""),
    ("harmony", "<|channel|>final<|message|>" + PLAIN, TOOLS, ""),
]


def _words(text: str) -> list[str]:
    pieces = text.split(" ")
    return [p + " " for p in pieces[:-1]] + [pieces[-1]]


@pytest.mark.parametrize("fmt, text, tools, held", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_text_released_before_finish(fmt: str, text: str, tools: Any, held: str) -> None:
    """Before finish() the stream has emitted all normal text but ``held``; finish() emits exactly the rest."""
    stream = get_format(fmt).stream(tools)
    before = "".join(e.text for chunk in _words(text) for e in stream.feed(chunk) if isinstance(e, TextDelta))
    after = "".join(e.text for e in stream.finish() if isinstance(e, TextDelta))
    assert after.strip() == held
    assert held == "" or not before.endswith(held)


def test_glm47_orphan_markers_after_non_tool_word_keep_the_word() -> None:
    """With tools, a word that names no tool is not a bare body's name: it stays text (streamed at once),
    only the orphan markup after it is removed (Dynamo's one-shot scrub also drops the word; its streaming
    path has already sent it, as we do)."""
    text = "Hello today<arg_key>city</arg_key><arg_value>x</arg_value></tool_call>"
    result = get_format("glm47").parse(text, TOOLS)
    assert (result.normal_text, result.calls) == ("Hello today", [])
