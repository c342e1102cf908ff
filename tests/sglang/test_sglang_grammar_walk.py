"""What SGLang's grammar admits, our parser parses: random walks of our SGLang detector's structural tag.

The tag comes from ``DynamoDetector.get_structural_tag`` with SGLang's own ``Tool`` / ``ToolChoice``
objects; the walk and the checks are the vLLM test's (tests/grammar_walk.py): calls present, names
allowed (the named one for named), arguments a JSON object, schema-valid for strict tools.

SGLang 0.5.23 pins xgrammar 0.2.7, which cannot express our tag: its ``JSONSchemaFormat`` has no
``excludes`` (pydantic drops the field, so markers can appear inside JSON strings), its ``deepseek_xml``
style writes ``string="true"`` for non-string values and ``"false"`` for strings (the reverse of
DeepSeek's DSML), and GLM raw values run past ``</arg_value>``: 51 of 84 walks produced outputs our parser
cannot turn into valid calls. So with such an xgrammar (``structural_tags.supported()`` is False) our detector
offers no structural tag and SGLang constrains required / named output to its own JSON call list, which it
parses itself: that is asserted there; the walks run where the xgrammar can express our tag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dyn_plugins.formats import FORMAT_NAMES
from grammar_walk import MODES, TOOL_SETS, Walker, check_tag, with_strict

pytestmark = pytest.mark.sglang


def _has_excludes() -> bool:
    from xgrammar.structural_tag import JSONSchemaFormat

    return "excludes" in JSONSchemaFormat.model_fields


def test_version_check_matches_the_feature() -> None:
    """``structural_tags.supported()`` (a version check, no import) agrees with xgrammar's own schema."""
    from dyn_plugins import structural_tags

    assert structural_tags.supported() == _has_excludes()


@pytest.fixture(scope="module")
def walker(tmp_path_factory: pytest.TempPathFactory) -> Walker:
    from transformers import AutoTokenizer

    from dyn_plugins.replay.tokenizer import build_tokenizer

    out: Path = build_tokenizer(tmp_path_factory.mktemp("walk-tokenizer"))
    return Walker(AutoTokenizer.from_pretrained(str(out)))


@pytest.mark.parametrize("strict", [False, True], ids=["loose", "strict"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tool_set", sorted(TOOL_SETS))
@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_sglang_tag_outputs_parse(walker: Walker, fmt: str, tool_set: str, mode: str, strict: bool) -> None:
    from sglang.srt.entrypoints.openai.protocol import Tool, ToolChoice
    from sglang.srt.function_call.function_call_parser import FunctionCallParser

    from dyn_plugins.sglang.detector import detector_class

    tools = with_strict(TOOL_SETS[tool_set], strict)
    only = tools[-1]["function"]["name"] if mode == "named" else None
    choice: Any = ToolChoice(function={"name": only}) if only else "required"
    sg_tools = [Tool(**t) for t in tools]
    tag = detector_class(fmt)().get_structural_tag(tools=sg_tools, tool_choice=choice)
    if not _has_excludes():  # SGLang's own JSON call list instead (see the module docstring)
        assert tag is None
        assert FunctionCallParser(sg_tools, fmt).get_structure_constraint(choice)[0] == "json_schema"
        return
    check_tag(walker, fmt, tag, tools, only, f"sglang/{fmt}/{tool_set}/{mode}/{strict}")
