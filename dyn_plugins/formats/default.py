"""default: Dynamo's fallback JSON configuration.

Accepts ``<TOOLCALL>[...]</TOOLCALL>``, ``<|python_tag|>{...}`` (``;``-separated objects or one
array) and a bare JSON call object or array with no marker at all, with ``arguments`` or
``parameters``.
"""

from __future__ import annotations

from .base import Format
from .json_family import JsonFamilyConfig, JsonFamilyMachine
from .tools import ToolIndex

CONFIG = JsonFamilyConfig(start_tokens=("<TOOLCALL>", "<|python_tag|>"), end_tokens=("</TOOLCALL>", ""))


def _machine(tools: ToolIndex) -> JsonFamilyMachine:
    return JsonFamilyMachine(tools, CONFIG)


FORMAT = Format(
    name="default",
    make_machine=_machine,
    triggers=CONFIG.start_tokens + ("{", "["),
    special_markers=CONFIG.markers,
)
