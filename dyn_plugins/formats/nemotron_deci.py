"""nemotron_deci (Llama-Nemotron Super/Ultra/Deci): ``<TOOLCALL>[{"name", "arguments"}]</TOOLCALL>``.

Like jamba, plus Dynamo's ``strip_markup_on_recovery``: the ``<TOOLCALL>`` envelope never reaches
the content. A payload that cannot be recovered, and an orphan ``</TOOLCALL>``, are dropped; a bare
payload closed by an orphan ``</TOOLCALL>`` is recovered.
"""

from __future__ import annotations

from .base import Format
from .json_family import JsonFamilyConfig, JsonFamilyMachine
from .tools import ToolIndex

CONFIG = JsonFamilyConfig(start_tokens=("<TOOLCALL>",), end_tokens=("</TOOLCALL>",), strip_markup=True)


def _machine(tools: ToolIndex) -> JsonFamilyMachine:
    return JsonFamilyMachine(tools, CONFIG)


FORMAT = Format(
    name="nemotron_deci",
    make_machine=_machine,
    triggers=CONFIG.start_tokens,
    special_markers=CONFIG.markers,
)
