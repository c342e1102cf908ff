"""jamba (AI21 Jamba 1.5-1.7): ``<tool_calls>[{"name": ..., "arguments": {...}}, ...]</tool_calls>``.

Text before the wrapper is trimmed, text after it dropped; a wrapper whose payload is not a call
list comes back as raw text (Dynamo's behaviour).
"""

from __future__ import annotations

from .base import Format
from .json_family import JsonFamilyConfig, JsonFamilyMachine
from .tools import ToolIndex

CONFIG = JsonFamilyConfig(start_tokens=("<tool_calls>",), end_tokens=("</tool_calls>",))


def _machine(tools: ToolIndex) -> JsonFamilyMachine:
    return JsonFamilyMachine(tools, CONFIG)


FORMAT = Format(
    name="jamba",
    make_machine=_machine,
    triggers=CONFIG.start_tokens,
    special_markers=CONFIG.markers,
)
