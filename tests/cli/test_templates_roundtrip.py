"""Shipped chat templates: rendered through transformers' apply_chat_template, the assistant turns parse back.

Why: a template that writes calls our parser cannot read back would make the model imitate a broken format.
Each assistant turn is what the model would have generated after the generation prompt; we take it as the
difference between rendering the conversation up to the turn (with the generation prompt) and including it,
tokenize it with a tokenizer that knows the format's special tokens, decode, and parse it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dyn_plugins.chat_templates import TEMPLATES, template_path
from dyn_plugins.formats import get_format
from dyn_plugins.samples import TOOLS

DATA = json.loads((Path(__file__).parent / "data" / "conversation.json").read_text(encoding="utf-8"))
MESSAGES: list[dict[str, Any]] = DATA["messages"]
TURNS = sorted(int(k) for k in DATA["expected_calls"])
NAMES = sorted(TEMPLATES)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A local byte-level BPE tokenizer knowing every format's markers and every template's control tokens."""
    from transformers import AutoTokenizer

    from dyn_plugins.replay.tokenizer import build_tokenizer

    extra = sorted({tok for t in TEMPLATES.values() for tok in t.special_tokens})
    path = build_tokenizer(tmp_path_factory.mktemp("tok"), extra_special=extra)
    return AutoTokenizer.from_pretrained(str(path))


def _render(tok: Any, name: str, messages: list[dict[str, Any]], gen: bool) -> str:
    template = template_path(name).read_text(encoding="utf-8")
    return tok.apply_chat_template(messages, tools=TOOLS, chat_template=template, tokenize=False, add_generation_prompt=gen)


def _assistant_turn(tok: Any, name: str, k: int) -> str:
    before = _render(tok, name, MESSAGES[:k], gen=True)
    full = _render(tok, name, MESSAGES[: k + 1], gen=False)
    assert full.startswith(before), f"{name}: the generation prompt is not a prefix of the rendered assistant turn {k}"
    turn = full[len(before) :]
    eot = TEMPLATES[name].end_of_turn
    if eot:
        head, sep, tail = turn.rpartition(eot)
        assert sep and not tail.strip(), f"{name}: assistant turn {k} does not end with {eot!r}"
        turn = head
    # through the tokenizer and back, as the engine would see the generated tokens
    ids = tok.encode(turn, add_special_tokens=False)
    return tok.decode(ids, skip_special_tokens=False)


@pytest.mark.parametrize("k", TURNS)
@pytest.mark.parametrize("name", NAMES)
def test_template_assistant_turn_parses_back_to_the_calls(tokenizer: Any, name: str, k: int) -> None:
    """Calls (names and JSON arguments) and the text around them survive render -> tokenize -> parse."""
    result = get_format(TEMPLATES[name].format).parse(_assistant_turn(tokenizer, name, k), TOOLS)
    calls = [{"name": c.name, "arguments": json.loads(c.arguments)} for c in result.calls]
    assert calls == DATA["expected_calls"][str(k)]
    assert result.normal_text.strip() == DATA["expected_text"][str(k)]


@pytest.mark.parametrize("name", NAMES)
def test_template_renders_every_tool_and_tool_result(tokenizer: Any, name: str) -> None:
    """The prompt shows the model every tool and every tool result (a template that drops them is useless)."""
    text = _render(tokenizer, name, MESSAGES, gen=True)
    for tool in TOOLS:
        assert tool["function"]["name"] in text and tool["function"]["description"] in text
    assert '"forecast": "sunny"' in text and "09:00" in text


@pytest.mark.parametrize("name", NAMES)
def test_template_is_installed_as_package_data(name: str) -> None:
    """Templates come from the installed package (wheel data), not from the source checkout."""
    path = template_path(name)
    assert path.is_file() and path.suffix == ".jinja"
    assert "site-packages" in path.parts or "dist-packages" in path.parts


@pytest.mark.parametrize("alias, name", [("nemotron_deci", "nemotron_deci"), ("deepseek-v4", None), ("hermes", None)])
def test_template_lookup_by_dynamo_name(alias: str, name: str | None) -> None:
    """A Dynamo name served by one of our formats finds its template; others fail listing the templates."""
    if name is None:
        with pytest.raises(KeyError, match="templates: "):
            template_path(alias)
    else:
        assert template_path(alias).name == f"{name}.jinja"
