"""Normalise the request's ``tools`` into the lookup the formats need.

Accepts OpenAI dicts (``{"type": "function", "function": {"name", "parameters"}}``), bare
``{"name", "parameters"}`` dicts, and engine request objects with the same attributes (pydantic
models from vLLM or SGLang), so the adapters can pass ``request.tools`` straight through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ToolsArg = Iterable[Any] | None


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def tool_spec(tool: Any) -> tuple[Any, Any, bool]:
    """(name, parameters schema, strict) of one tool in any accepted shape: the one reading of a tool spec (the
    formats' :class:`ToolIndex`, the grammars, ``dyn-plugins triage``). ``name`` is as given (callers decide
    what a non-string means); ``parameters`` is None when absent, a dict for a pydantic schema model."""
    fn = _get(tool, "function")
    spec = fn if fn is not None else tool
    params = _get(spec, "parameters")
    if params is not None and not isinstance(params, Mapping):
        dump = getattr(params, "model_dump", None)
        params = dump() if callable(dump) else None
    return _get(spec, "name"), params, bool(_get(spec, "strict"))


class ToolIndex:
    """Tool name -> JSON schema of its parameters; ``supplied`` tells "no tools" from "empty list"."""

    __slots__ = ("supplied", "schemas")

    def __init__(self, tools: ToolsArg = None) -> None:
        self.supplied = tools is not None
        self.schemas: dict[str, Any] = {}
        for tool in tools or ():
            name, params, _ = tool_spec(tool)
            if isinstance(name, str):
                self.schemas[name] = params

    def __contains__(self, name: str) -> bool:
        return name in self.schemas

    def property_type(self, name: str, key: str) -> str | None:
        """``parameters.properties[key].type`` of tool ``name`` when it is a plain string, else None."""
        schema = self.schemas.get(name)
        if not isinstance(schema, Mapping):
            return None
        props = schema.get("properties")
        if not isinstance(props, Mapping):
            return None
        prop = props.get(key)
        if not isinstance(prop, Mapping):
            return None
        typ = prop.get("type")
        return typ if isinstance(typ, str) else None

