"""Helpers of the robustness tests (fuzz, adversarial sizes): checked streaming and every format's samples.

Importable as a top-level module: pytest puts this directory on ``sys.path`` for its test files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from dyn_plugins.formats.jsonstream import JsonTokens
from dyn_plugins.formats import ALL_FORMAT_NAMES, VARIANTS, ParseResult, assemble, get_format
from dyn_plugins.samples import TOOLS, sample, samples

#: the seven formats and their variants (the DSML V4 block)
FORMATS = ALL_FORMAT_NAMES


def parse_chunks(fmt: str, chunks: Iterable[str], tools: object = TOOLS, context: str = "", *, buffered: bool = False) -> ParseResult:
    """``parse_stream``, plus a check that the format machine itself never raised: the stream swallows a
    machine failure and passes the rest through as text, so the result alone would not show it."""
    chunks = list(chunks)
    stream = get_format(fmt).stream(tools, buffered=buffered)
    events = []
    for chunk in chunks:
        events.extend(stream.feed(chunk))
    events.extend(stream.finish())
    assert not stream.failed, f"{fmt}{context}: the format machine raised on {''.join(chunks)[:200]!r}"
    result = assemble(events)
    if not buffered:
        for call in result.calls:
            assert is_json_object(call.arguments), (fmt, context, call, "".join(chunks)[:200])
    return result


def is_json_object(text: str) -> bool:
    """``json.loads(text)`` is a dict; checked without recursion for the 10,000-level nesting inputs."""
    try:
        return isinstance(json.loads(text), dict)
    except RecursionError:
        tokens = JsonTokens()
        tokens.feed(text)
        tokens.end()
        return tokens.done and text.lstrip().startswith("{")
    except ValueError:
        return False


def _respell(fmt: str, text: str) -> str:
    """deepseek_v4 samples are the V3.2 ones with V4's block name."""
    return text.replace("function_calls>", "tool_calls>") if fmt == "deepseek_v4" else text


def _recorded(fmt: str) -> str:
    """The format whose recorded samples stand for ``fmt`` (a variant: its base format)."""
    return VARIANTS[fmt][0] if fmt in VARIANTS else fmt


def sample_text(fmt: str, scenario: str) -> str:
    """The recorded output of ``fmt`` (a format of :data:`FORMATS`) for ``scenario``."""
    return _respell(fmt, sample(_recorded(fmt), scenario).text)


def sample_texts(fmt: str) -> list[str]:
    """Every recorded output of ``fmt`` (a format of :data:`FORMATS`)."""
    return [_respell(fmt, s.text) for s in samples(_recorded(fmt))]
