"""The one place that imports vLLM symbols for dyn-plugins.

vLLM moves its tool-parser and protocol modules between releases; each symbol is looked up in the
known locations, newest first, so one module move does not break the plugin:

- vLLM 0.31 / 0.32 / 0.33: ``vllm.tool_parsers`` (``ToolParser``, ``ToolParserManager``),
  ``vllm.entrypoints.generate.base.protocol`` (``DeltaMessage``, ``DeltaToolCall``, ...),
  ``vllm.entrypoints.openai.chat_completion.protocol`` (``ChatCompletionRequest``);
- ``vllm serve``'s argument parser: ``vllm.entrypoints.common.cli_args`` (0.33), ``vllm.entrypoints.launchers``
  (0.31 / 0.32);
- older releases: ``vllm.entrypoints.openai.tool_parsers`` and ``vllm.entrypoints.openai.protocol``.

Importing this module imports vLLM (and torch); only the adapter modules import it.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from . import REASONING_REGISTRY, TOOL_PARSER_REGISTRIES

_TOOL_PARSER_MODULES = tuple(p for reg in TOOL_PARSER_REGISTRIES for p in (reg, f"{reg}.abstract_tool_parser"))
_PROTOCOL_MODULES = (
    "vllm.entrypoints.generate.base.protocol",
    "vllm.entrypoints.openai.engine.protocol",
    "vllm.entrypoints.openai.protocol",
)
_CHAT_PROTOCOL_MODULES = (
    "vllm.entrypoints.openai.chat_completion.protocol",
    "vllm.entrypoints.openai.protocol",
)
_REASONING_MODULES = (REASONING_REGISTRY, f"{REASONING_REGISTRY}.abs_reasoning_parsers")
_GPT_OSS_MODULES = (f"{TOOL_PARSER_REGISTRIES[0]}.gptoss_tool_parser", f"{TOOL_PARSER_REGISTRIES[1]}.openai_tool_parser")
_STRUCTURAL_TAG_MODULES = (f"{TOOL_PARSER_REGISTRIES[0]}.structural_tag_registry",)
#: Modules that add vLLM-owned keys to the structural-tag registry when imported (0.32 / 0.33: ``harmony`` is
#: registered by a decorator in ``vllm/parser/harmony.py``): imported before the registry is read, so the keys
#: do not depend on what happened to be imported first.
_STRUCTURAL_TAG_PROVIDERS = ("vllm.parser.harmony",)
_CLI_ARGS_MODULES = ("vllm.entrypoints.common.cli_args", "vllm.entrypoints.launchers.cli_args")
_API_SERVER_ARGS_MODULES = (*_CLI_ARGS_MODULES, "vllm.entrypoints.launchers.launcher")
_STRICT_LEVEL_MODULES = (f"{TOOL_PARSER_REGISTRIES[0]}.tool_strict_level",)


def _import(path: str) -> ModuleType | None:
    try:
        return importlib.import_module(path)
    except ImportError:
        return None


def find(name: str, modules: tuple[str, ...], *, required: bool = True) -> Any:
    """``name`` from the first of ``modules`` that has it (ImportError listing where it looked)."""
    for path in modules:
        mod = _import(path)
        if mod is not None and hasattr(mod, name):
            return getattr(mod, name)
    if required:
        raise ImportError(f"dyn-plugins: vLLM symbol {name!r} not found in any of {', '.join(modules)}")
    return None


ToolParser = find("ToolParser", _TOOL_PARSER_MODULES)
ToolParserManager = find("ToolParserManager", _TOOL_PARSER_MODULES)
DeltaMessage = find("DeltaMessage", _PROTOCOL_MODULES)
DeltaToolCall = find("DeltaToolCall", _PROTOCOL_MODULES)
DeltaFunctionCall = find("DeltaFunctionCall", _PROTOCOL_MODULES)
ExtractedToolCallInformation = find("ExtractedToolCallInformation", _PROTOCOL_MODULES)
ToolCall = find("ToolCall", _PROTOCOL_MODULES)
FunctionCall = find("FunctionCall", _PROTOCOL_MODULES)
ChatCompletionRequest = find("ChatCompletionRequest", _CHAT_PROTOCOL_MODULES)

#: vLLM's Harmony stub tool parser: on ``model_type == "gpt_oss"`` vLLM's HarmonyParser accepts only its
#: subclasses (None where this vLLM has no such class).
GptOssToolParser = find("GptOssToolParser", _GPT_OSS_MODULES, required=False)
#: vLLM's reasoning parser base class (our reasoning formats subclass it).
ReasoningParser = find("ReasoningParser", _REASONING_MODULES, required=False)

#: DeltaMessage's reasoning field: ``reasoning`` (0.28+), ``reasoning_content`` before.
REASONING_FIELD = "reasoning" if "reasoning" in getattr(DeltaMessage, "model_fields", {}) else "reasoning_content"


def reasoning_parser_manager() -> Any:
    """vLLM's ReasoningParserManager, or None if this vLLM has none with the registry API we use."""
    mgr = find("ReasoningParserManager", _REASONING_MODULES, required=False)
    if mgr is None or not all(hasattr(mgr, a) for a in ("register_lazy_module", "list_registered", "lazy_parsers")):
        return None
    return mgr


def structural_tag_models() -> frozenset[str]:
    """Structural-tag model keys this vLLM can build (xgrammar built-ins and vLLM-registered ones).

    vLLM registers some keys (``harmony``) when the module defining their builder is imported: those modules are
    imported first (:data:`_STRUCTURAL_TAG_PROVIDERS`), so the answer is the same whatever was imported before.
    """
    for path in _STRUCTURAL_TAG_PROVIDERS:
        _import(path)
    mod = None
    for path in _STRUCTURAL_TAG_MODULES:
        mod = _import(path)
        if mod is not None:
            break
    if mod is None:
        return frozenset()
    keys = set(getattr(mod, "SUPPORTED_STRUCTURAL_TAG_MODELS", ()) or ())
    keys |= set(getattr(mod, "_VLLM_STRUCTURAL_TAG_REGISTRY", {}) or {})
    return frozenset(keys)


def tool_strict_level(name: str) -> Any:
    """Member ``name`` (``AUTO``, ``FUNCTION``, ``PARAMETER``) of vLLM's ``ToolStrictLevel`` (0.32+), else None."""
    level = find("ToolStrictLevel", _STRICT_LEVEL_MODULES, required=False)
    return getattr(level, name, None) if level is not None else None


def serve_arg_parser() -> Any:
    """``vllm serve``'s argument parser, built the way ``vllm serve`` builds it (this loads the general plugins)."""
    make_arg_parser = find("make_arg_parser", _CLI_ARGS_MODULES)
    flexible = find("FlexibleArgumentParser", ("vllm.utils.argparse_utils", "vllm.utils"))
    return make_arg_parser(flexible())


def validate_serve_args(args: Any) -> None:
    """vLLM's own checks of parsed ``vllm serve`` arguments (the ones that reject an unknown parser name)."""
    find("validate_parsed_serve_args", _CLI_ARGS_MODULES)(args)
    find("validate_api_server_args", _API_SERVER_ARGS_MODULES)(args)


_ANTHROPIC_MODULES = ("vllm.entrypoints.anthropic.serving",)
_ANTHROPIC_PROTOCOL_MODULES = ("vllm.entrypoints.anthropic.protocol",)


def anthropic_serving_messages() -> Any:
    """vLLM's ``AnthropicServingMessages`` (the ``/v1/messages`` endpoint), or None where this vLLM has none."""
    return find("AnthropicServingMessages", _ANTHROPIC_MODULES, required=False)


def anthropic_request(body: dict[str, Any]) -> Any:
    """An ``AnthropicMessagesRequest`` from a JSON body (validated the way the endpoint validates it)."""
    return find("AnthropicMessagesRequest", _ANTHROPIC_PROTOCOL_MODULES).model_validate(body)


def make_tool_call_id() -> str:
    """A fresh OpenAI tool-call id the way this vLLM makes them."""
    fn = find("make_tool_call_id", ("vllm.renderers.chat_utils", "vllm.entrypoints.chat_utils"), required=False)
    if fn is not None:
        return fn()
    import uuid

    return f"chatcmpl-tool-{uuid.uuid4().hex}"


#: What the in-process harness (:mod:`dyn_plugins.replay.vllm_serving`) uses of vLLM: symbol -> modules holding it (newest first).
_HARNESS_MODULES: dict[str, tuple[str, ...]] = {
    "CompletionOutput": ("vllm.outputs",),
    "RequestOutput": ("vllm.outputs",),
    "RequestOutputKind": ("vllm.sampling_params",),
    "load_general_plugins": ("vllm.plugins",),
    "ModelConfig": ("vllm.config",),
    "OpenAIServingChat": ("vllm.entrypoints.openai.chat_completion.serving",),
    "BaseModelPath": ("vllm.entrypoints.openai.models.serving",),
    "OpenAIServingModels": ("vllm.entrypoints.openai.models.serving",),
    "OnlineRenderer": ("vllm.renderers.online_renderer",),
    "renderer_from_config": ("vllm.renderers.registry",),
}


def harness(name: str) -> Any:
    """vLLM symbol ``name`` of :data:`_HARNESS_MODULES` (serving, config and output classes the replay harness drives)."""
    return find(name, _HARNESS_MODULES[name])
