"""vLLM adapter: Dynamo's tool-call formats as vLLM ``ToolParser`` classes, registered by the
``vllm.general_plugins`` entry point (:func:`dyn_plugins.vllm.plugin.register`).

Importing this package is cheap and never imports vLLM; :mod:`.parser`, :mod:`.compat`,
:mod:`dyn_plugins.replay.vllm_serving` and :mod:`dyn_plugins.replay.vllm_demo` do.
"""

from __future__ import annotations

#: vLLM's tool-parser registry module (``ToolParserManager``), newest path first (0.31+, then older releases); the
#: one spelling of it for :mod:`.compat`, :mod:`.plugin` and the import hook (:mod:`dyn_plugins._hook`).
TOOL_PARSER_REGISTRIES: tuple[str, ...] = ("vllm.tool_parsers", "vllm.entrypoints.openai.tool_parsers")
#: vLLM's reasoning-parser registry module (``ReasoningParserManager``).
REASONING_REGISTRY = "vllm.reasoning"

#: Module holding the parser classes (registered lazily under this path).
PARSER_MODULE = "dyn_plugins.vllm.parser"


def parser_class_name(fmt: str) -> str:
    """Class name of the vLLM ToolParser for core format ``fmt`` (e.g. ``deepseek_v3_1`` -> ``DynDeepseekV31ToolParser``)."""
    return "Dyn" + "".join(part.capitalize() for part in fmt.split("_")) + "ToolParser"


#: Module holding the reasoning parser classes of the Dynamo reasoning formats vLLM lacks.
REASONING_MODULE = "dyn_plugins.vllm.reasoning"


def reasoning_class_name(fmt: str) -> str:
    """Class name of the vLLM ReasoningParser for reasoning format ``fmt`` (``kimi`` -> ``DynKimiReasoningParser``)."""
    return "Dyn" + "".join(part.capitalize() for part in fmt.split("_")) + "ReasoningParser"
