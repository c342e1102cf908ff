"""vLLM's constrained decoding with OUR structural tags (one grammar per format, :mod:`dyn_plugins.structural_tags`).

vLLM (0.32: ``vllm/parser/abstract_parser.py``) builds the grammar for ``tool_choice`` "required", a
named function, and "auto" with strict tools by calling ``tool_parser.get_structural_tag(request,
strict_level=...)`` when the parser class has a ``structural_tag_model``. Every dyn-plugins parser
sets :data:`MODEL_KEY` there and answers with the tag built from our layout table instead of vLLM's
or xgrammar's built-in one (harmony's gave no call, deepseek_v3_1's allowed non-object arguments,
glm_4_7's ``{}`` for required keys) or vLLM's generic JSON path (jamba / nemotron_deci / default:
no call when streaming strict tools). A non-None key also makes vLLM parse required / named output
with our parser (``supports_required_and_named = False``), so what the grammar admits is what we parse.

vLLM's strictness rules are kept: ``resolve_tool_strictness`` (per-tool ``strict``,
``--tool-strict-level``) decides which tools get their schema, ``VLLM_ENFORCE_STRICT_TOOL_CALLING=0``
turns structural tags off.
"""

from __future__ import annotations

from typing import Any

from ..structural_tags import LAYOUTS, structural_tag, supported  # noqa: F401  (supported: read by parser.py)
from . import compat

#: ``structural_tag_model`` of every dyn-plugins parser class (a key vLLM itself never builds).
MODEL_KEY = "dyn_plugins"
_REGISTRY = ("vllm.tool_parsers.structural_tag_registry",)


def _enabled() -> bool:
    try:
        import vllm.envs as envs
    except ImportError:  # pragma: no cover - only imported inside vLLM
        return True
    return bool(getattr(envs, "VLLM_ENFORCE_STRICT_TOOL_CALLING", True))


def _tool_dict(tool: Any) -> dict[str, Any] | None:
    fn = getattr(tool, "function", None)
    name = getattr(fn, "name", None) or getattr(tool, "name", None)
    if not name:
        return None
    params = getattr(fn, "parameters", None) if fn is not None else getattr(tool, "parameters", None)
    strict = getattr(fn, "strict", None) if fn is not None else getattr(tool, "strict", None)
    return {"name": name, "parameters": params or {}, "strict": strict is True}


def _named(tool_choice: Any) -> str | None:
    if isinstance(tool_choice, str) or tool_choice is None:
        return None
    fn = getattr(tool_choice, "function", None)
    return getattr(fn, "name", None) or getattr(tool_choice, "name", None)


def tag_dict(fmt: str, request: Any, strict_level: Any) -> dict[str, Any] | None:
    """The structural tag (dict) vLLM should use for ``request``, or None (no constraint)."""
    tools = getattr(request, "tools", None)
    choice = getattr(request, "tool_choice", None)
    if fmt not in LAYOUTS or not tools or choice == "none" or not _enabled():
        return None
    get_tools = compat.find("get_structural_tag_tools", _REGISTRY, required=False)
    resolve = compat.find("resolve_tool_strictness", _REGISTRY, required=False)
    levels = compat.find("ToolStrictLevel", ("vllm.tool_parsers.tool_strict_level",), required=False)
    if get_tools is None or resolve is None or levels is None:
        # a vLLM without the strictness helpers: each tool's own "strict", auto constrained only with strict tools
        strict_any = any(getattr(getattr(t, "function", t), "strict", None) is True for t in tools)
        resolved = tools if choice != "auto" or strict_any else None
    else:
        resolved = resolve(get_tools(MODEL_KEY, tools, choice), choice, levels.AUTO if strict_level is None else strict_level)
    if not resolved:
        return None
    dicts = [d for d in (_tool_dict(t) for t in resolved) if d is not None]
    only = _named(choice)
    required = choice == "required" or only is not None
    parallel = getattr(request, "parallel_tool_calls", True) is not False
    return structural_tag(fmt, dicts, required=required, parallel=parallel, only=only)


def get_structural_tag(fmt: str, request: Any, strict_level: Any = None) -> Any:
    """``ToolParser.get_structural_tag`` for format ``fmt``: an xgrammar ``StructuralTag`` or None."""
    tag = tag_dict(fmt, request, strict_level)
    if tag is None:
        return None
    from xgrammar import StructuralTag

    return StructuralTag.from_json(tag)
