"""Live streaming on well-formed output: equal to the one-shot parse for any split, and live.

For generated well-formed outputs of every format (tests/core/wellformed.py), cut at hypothesis-chosen
points (inside markers and multi-byte characters too):
* the assembled live stream equals ``parse()`` exactly (names, arguments text, normal text);
* each call is announced (``CallStart``) by the time the text up to its commit point has been fed (the
  name is complete and the format has committed to the call), whatever the split;
* before its closing marker arrives, each call's streamed arguments are its final arguments but for the
  closing ``}`` at most;
* a long plain string value streams character by character (nothing held but what can still change).
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyn_plugins.formats import ArgsDelta, CallStart, Event, assemble, get_format, parse_stream
from wellformed import FORMATS, LIVE_TOOLS, Output, output

SETTINGS = settings(max_examples=int(os.environ.get("DYN_PLUGINS_LIVE_EXAMPLES", "200")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _cuts(data: st.DataObject, text: str) -> list[str]:
    points = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=15))))
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:])]


def _feed_until(fmt: str, text: str, chunks: list[str], stop: int) -> list[Event]:
    """Events after feeding ``chunks`` (a split of ``text``) up to position ``stop`` (no finish())."""
    stream = get_format(fmt).stream(LIVE_TOOLS)
    events: list[Event] = []
    pos = 0
    for chunk in chunks:
        if pos >= stop:
            break
        piece = chunk[: stop - pos]
        events.extend(stream.feed(piece))
        pos += len(piece)
    return events


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.data())
def test_live_equals_one_shot_for_any_split(fmt: str, data: st.DataObject) -> None:
    out: Output = data.draw(output(fmt))
    expected = get_format(fmt).parse(out.text, LIVE_TOOLS)
    assert len(expected.calls) == len(out.commits), "generator: every generated call parses"
    assert parse_stream(fmt, _cuts(data, out.text), LIVE_TOOLS) == expected


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.data())
def test_name_by_commit_point_arguments_before_close(fmt: str, data: st.DataObject) -> None:
    out: Output = data.draw(output(fmt))
    final = get_format(fmt).parse(out.text, LIVE_TOOLS).calls
    chunks = _cuts(data, out.text)
    k = data.draw(st.integers(0, len(out.commits) - 1))
    events = _feed_until(fmt, out.text, chunks, out.commits[k])
    names = [e.name for e in events if isinstance(e, CallStart)]
    assert names[: k + 1] == [c.name for c in final[: k + 1]], (out.text[: out.commits[k]], names)
    if out.closes[k] < out.commits[k]:
        return  # glm47 without arguments: announced at its end
    events = _feed_until(fmt, out.text, chunks, out.closes[k])
    streamed = "".join(e.fragment for e in events if isinstance(e, ArgsDelta) and e.index == k)
    assert final[k].arguments.startswith(streamed) and len(final[k].arguments) - len(streamed) <= 1, (streamed, final[k].arguments)


LONG = "line of the file, written by an agent\n" * 30  # 1,140 characters, a newline every 38

#: one call with a long plain string argument, per format (the value is LONG, as the format writes it)
LONG_CALL = {
    "glm47": f"<tool_call>write_file<arg_key>content</arg_key><arg_value>{LONG}</arg_value></tool_call>",
    "deepseek_v3_1": "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>write_file<｜tool▁sep｜>" + json.dumps({"content": LONG}) + "<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
    "harmony": "<|channel|>commentary to=functions.write_file <|constrain|>json<|message|>" + json.dumps({"content": LONG}) + "<|call|>",
    "deepseek_v3_2": f'<｜DSML｜function_calls>\n<｜DSML｜invoke name="write_file">\n<｜DSML｜parameter name="content" string="true">{LONG}.</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>',
    "jamba": '<tool_calls>[{"name": "write_file", "arguments": ' + json.dumps({"content": LONG}) + "}]</tool_calls>",
    "nemotron_deci": '<TOOLCALL>[{"name": "write_file", "arguments": ' + json.dumps({"content": LONG}) + "}]</TOOLCALL>",
    "default": '{"name": "write_file", "parameters": ' + json.dumps({"content": LONG}) + "}",
    "phi4": 'functools[{"name": "write_file", "arguments": ' + json.dumps({"content": LONG}) + "}]",
    "qwen3": f"<tool_call>\n<function=write_file>\n<parameter=content>\n{LONG}.\n</parameter>\n</function>\n</tool_call>",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_long_string_argument_streams_as_it_arrives(fmt: str) -> None:
    """One character per chunk: the name goes out before the value starts, almost every character of the
    value is its own argument delta, and the stream assembles to the one-shot parse."""
    text = LONG_CALL[fmt]
    stream = get_format(fmt).stream(LIVE_TOOLS)
    events: list[tuple[int, Event]] = []
    for i, ch in enumerate(text):
        events.extend((i, e) for e in stream.feed(ch))
    events.extend((len(text), e) for e in stream.finish())
    start = text.index("line of")
    named_at = next(i for i, e in events if isinstance(e, CallStart))
    deltas = [i for i, e in events if isinstance(e, ArgsDelta)]
    assert named_at < start
    assert len(deltas) > len(LONG) * 0.75  # DSML / qwen3 hold a space until the next character (trailing blanks are trimmed)
    assert assemble([e for _, e in events]) == get_format(fmt).parse(text, LIVE_TOOLS)
    content = json.loads(assemble([e for _, e in events]).calls[0].arguments)["content"]
    assert content.strip() == (LONG + "." if fmt in ("deepseek_v3_2", "qwen3") else LONG).strip()


@pytest.mark.parametrize("fmt", FORMATS)
def test_buffered_delivers_whole_calls(fmt: str) -> None:
    """``buffered=True``: one CallStart and one ArgsDelta with the whole arguments, at the call's end."""
    text = LONG_CALL[fmt]
    stream = get_format(fmt).stream(LIVE_TOOLS, buffered=True)
    events = [e for ch in text for e in stream.feed(ch)] + stream.finish()
    calls = [e for e in events if isinstance(e, (CallStart, ArgsDelta))]
    assert [type(e) for e in calls] == [CallStart, ArgsDelta]
    assert assemble(events) == get_format(fmt).parse(text, LIVE_TOOLS)


#: glm47 string values that open like JSON but are not one JSON value: they stream once that is certain
JSON_LOOKING = [
    ('"""Module docstring."""\nimport os\n' + LONG, 2),  # '""' is a whole JSON string: the third quote rules JSON out
    ('{"a": 1} is how the config starts, and then ' + LONG, 9),  # text after a complete object
    ("[1, 2, oops " + LONG, 7),  # not JSON inside the array
]


@pytest.mark.parametrize(("value", "decided_at"), JSON_LOOKING, ids=["docstring", "object-then-prose", "broken-array"])
def test_glm47_json_looking_string_streams_once_not_json(value: str, decided_at: int) -> None:
    """A string parameter whose value opens with a quote or a bracket is held only while it can still be one JSON
    value (Dynamo types such a value as JSON); from the character that rules that out, it streams as it arrives."""
    head = "<tool_call>write_file<arg_key>content</arg_key><arg_value>"
    text = head + value + "</arg_value></tool_call>"
    stream = get_format("glm47").stream(LIVE_TOOLS)
    at: list[int] = []
    for i, ch in enumerate(text):
        at.extend(i for e in stream.feed(ch) if isinstance(e, ArgsDelta))
    stream.finish()
    inside = [i - len(head) for i in at if len(head) <= i < len(head) + len(value)]
    assert inside[0] == decided_at and len(inside) > len(LONG) * 0.9
    assert json.loads(parse_stream("glm47", list(text), LIVE_TOOLS).calls[0].arguments)["content"] == value
