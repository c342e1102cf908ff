"""What vLLM's grammar admits, our parser parses: random walks of the structural tag our vLLM parser gives.

The tag comes from the real path (a vLLM ``ChatCompletionRequest`` through our parser class's
``get_structural_tag`` with vLLM's strictness rules); xgrammar's matcher is walked with random allowed
tokens of the local tokenizer (tests/grammar_walk.py) and each finished output is parsed with
``get_format(fmt).parse``: calls present, names allowed (the named one for named), arguments a JSON
object, schema-valid for strict tools, no leftover text. With an xgrammar that cannot express our tag
(< 0.2.8: vLLM 0.31's) the parser does not use it (vLLM's own tag by key, or its JSON call-list path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dyn_plugins import structural_tags
from dyn_plugins.formats import FORMAT_NAMES
from grammar_walk import MODES, TOOL_SETS, Walker, check_tag, with_strict

pytestmark = pytest.mark.vllm


@pytest.fixture(scope="module")
def walker(model_dir: Path) -> Walker:
    from transformers import AutoTokenizer

    return Walker(AutoTokenizer.from_pretrained(str(model_dir)))


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path) -> Any:
    from vllm.tokenizers import get_tokenizer

    return get_tokenizer(str(model_dir))


@pytest.mark.parametrize("strict", [False, True], ids=["loose", "strict"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool_set", sorted(TOOL_SETS))
@pytest.mark.parametrize("fmt", [*FORMAT_NAMES, "deepseek_v4"])
def test_vllm_tag_outputs_parse(walker: Walker, tokenizer: Any, fmt: str, tool_set: str, mode: str, strict: bool) -> None:
    from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest

    from dyn_plugins.vllm.parser import PARSERS

    tools = with_strict(TOOL_SETS[tool_set], strict)
    only = tools[-1]["function"]["name"] if mode == "named" else None
    choice: Any = {"type": "function", "function": {"name": only}} if only else "required"
    request = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}], tools=tools, tool_choice=choice)
    tag = PARSERS[fmt](tokenizer, None).get_structural_tag(request)
    if not structural_tags.supported():  # xgrammar < 0.2.8 (vLLM 0.31): not our tag (vLLM's own, or its JSON path)
        assert PARSERS[fmt].structural_tag_model != "dyn_plugins"
        return
    assert tag is not None
    check_tag(walker, fmt, tag, tools, only, f"{fmt}/{tool_set}/{mode}/{strict}")
