"""phi4 (Phi-4-mini): ``functools[{"name": ..., "arguments": {...}}, ...]``.

Dynamo's ``phi4`` is a JSON-family config (``ToolCallConfig::phi4``): the start token ``functools``
with no end token, so the payload runs to the end of the message (``;``-separated objects or one
array, as for ``<|python_tag|>``); a bare call object or array without the token is a payload too.
``functools`` is plain text in Phi-4's vocabulary (no special token), so words that merely start
like it (``function``, ``funk``) stay text: the shared lexer holds a partial ``functools`` only until
the next character disproves it.
"""

from __future__ import annotations

from .base import Format
from .json_family import JsonFamilyConfig, JsonFamilyMachine
from .tools import ToolIndex

CONFIG = JsonFamilyConfig(start_tokens=("functools",), end_tokens=("",))


def _machine(tools: ToolIndex) -> JsonFamilyMachine:
    return JsonFamilyMachine(tools, CONFIG)


FORMAT = Format(
    name="phi4",
    make_machine=_machine,
    triggers=CONFIG.start_tokens + ("{", "["),
    special_markers=CONFIG.markers,  # plain text in Phi-4's vocabulary: never a special token, listed for the lexer-level tests
)
