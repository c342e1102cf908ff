"""What the installed engines register, read WITHOUT importing them (the CLI must stay fast and side-effect free).

vLLM declares its built-in parsers in literal dicts (``vllm/tool_parsers/__init__.py``
``_TOOL_PARSERS_TO_REGISTER``, ``vllm/reasoning/__init__.py`` ``_REASONING_PARSERS_TO_REGISTER``); SGLang in
literal lists (``sglang/srt/function_call/parser_names.py`` ``TOOL_CALL_PARSER_NAMES``,
``sglang/srt/parser/reasoning_parser_names.py`` ``REASONING_PARSER_NAMES``). We read those with ``ast``: the
engine's OWN names, before dyn-plugins adds any (importing them would run our import hook first). When a
layout is not recognised, :func:`engine_info` falls back to importing the engine's registry (``live=True``).
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

from .names import ENGINE_REGISTRIES, ENGINES, TESTED_VERSIONS, Engine, Kind

#: engine -> kind -> (file relative to the package, variable holding the names)
SOURCES: dict[str, dict[str, tuple[str, str]]] = {
    "vllm": {
        "tool": ("tool_parsers/__init__.py", "_TOOL_PARSERS_TO_REGISTER"),
        "reasoning": ("reasoning/__init__.py", "_REASONING_PARSERS_TO_REGISTER"),
    },
    "sglang": {
        "tool": ("srt/function_call/parser_names.py", "TOOL_CALL_PARSER_NAMES"),
        "reasoning": ("srt/parser/reasoning_parser_names.py", "REASONING_PARSER_NAMES"),
    },
}
VENV_SCRIPTS = {"vllm": "scripts/venv_vllm.sh", "sglang": "scripts/venv_sglang.sh"}


@dataclass
class EngineInfo:
    """One engine as installed here."""

    engine: Engine
    installed: bool
    version: str | None = None
    location: str | None = None
    #: the engine's own registered names per kind (None: could not be read)
    registry: dict[str, frozenset[str] | None] = field(default_factory=dict)
    #: where the names came from ("source" = parsed from the package files, "live", "snapshot X", "file")
    source: str = ""
    error: str | None = None

    @property
    def label(self) -> str:
        if not self.installed:
            return f"{self.engine} (not installed)"
        return f"{self.engine} {self.version or '?'}"


def literal_names(path: Path, variable: str) -> frozenset[str]:
    """The string keys (dict) or items (list/tuple/set) of module-level ``variable`` in ``path``; ValueError if absent."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if not any(isinstance(t, ast.Name) and t.id == variable for t in targets):
            continue
        elems = value.keys if isinstance(value, ast.Dict) else getattr(value, "elts", None)
        if elems is None:
            break
        return frozenset(e.value for e in elems if isinstance(e, ast.Constant) and isinstance(e.value, str))
    raise ValueError(f"{variable} not found as a literal in {path}")


def read_registry(engine: Engine, root: Path) -> dict[str, frozenset[str]]:
    """The engine's own tool/reasoning names, parsed from its package directory ``root``."""
    return {kind: literal_names(root / rel, var) for kind, (rel, var) in SOURCES[engine].items()}


def _live_registry(engine: Engine) -> dict[str, frozenset[str]]:  # pragma: no cover - needs an engine
    """Fallback: import the engine's registries (slow; may include names dyn-plugins already added)."""
    if engine == "vllm":
        import os

        os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
        from vllm.reasoning import ReasoningParserManager
        from vllm.tool_parsers import ToolParserManager

        return {"tool": frozenset(ToolParserManager.list_registered()), "reasoning": frozenset(ReasoningParserManager.list_registered())}
    from sglang.srt.function_call.function_call_parser import FunctionCallParser
    from sglang.srt.parser.reasoning_parser import ReasoningParser

    own = {n for n, c in FunctionCallParser.ToolCallParserEnum.items() if not getattr(c, "format_name", None)}
    return {"tool": frozenset(own), "reasoning": frozenset(ReasoningParser.DetectorMap)}


def engine_info(engine: Engine, *, live: bool = False) -> EngineInfo:
    """Is ``engine`` installed, which version, and what does it register (without importing it unless needed)."""
    spec = importlib.util.find_spec(engine)
    # spec.origin is None for a namespace package: a stray directory named like the engine (e.g. tests/vllm on
    # sys.path) is not an installed engine
    if spec is None or spec.origin is None or not spec.submodule_search_locations:
        return EngineInfo(engine, installed=False, source="not installed")
    root = Path(list(spec.submodule_search_locations)[0])
    try:
        version: str | None = importlib.metadata.version(engine)
    except importlib.metadata.PackageNotFoundError:
        version = None
    info = EngineInfo(engine, installed=True, version=version, location=str(root))
    try:
        if live:
            raise ValueError("live registry requested")
        info.registry = dict(read_registry(engine, root))
        info.source = "package source"
    except (OSError, ValueError, SyntaxError) as exc:
        try:
            info.registry = dict(_live_registry(engine))
            info.source = "imported registry"
        except Exception as exc2:  # noqa: BLE001 - report, never crash the CLI
            info.registry = {"tool": None, "reasoning": None}
            info.error = f"cannot read {engine}'s parser registry: {exc}; import failed: {exc2}"
    return info


def snapshot_info(engine: Engine, version: str) -> EngineInfo:
    """An :class:`EngineInfo` from the registry snapshot in :data:`dyn_plugins.names.ENGINE_REGISTRIES`."""
    reg = ENGINE_REGISTRIES.get((engine, version))
    if reg is None:
        known = ", ".join(f"{e}=={v}" for e, v in ENGINE_REGISTRIES)
        raise KeyError(f"no registry snapshot for {engine}=={version}; known: {known}")
    return EngineInfo(engine, installed=True, version=version, registry=dict(reg), source=f"snapshot {engine}=={version}")


def file_info(engine: Engine, names_by_kind: dict[str, frozenset[str] | None], label: str) -> EngineInfo:
    """An :class:`EngineInfo` from registry names given by the user (``names --available FILE``)."""
    return EngineInfo(engine, installed=True, version=label, registry=dict(names_by_kind), source=f"file {label}")


def all_engines(*, live: bool = False) -> dict[Engine, EngineInfo]:
    return {e: engine_info(e, live=live) for e in ENGINES}


def newest_snapshot(engine: Engine, kind: Kind) -> frozenset[str]:
    """Union of the known registries of ``engine`` (what some supported version has)."""
    out: set[str] = set()
    for (e, _v), reg in ENGINE_REGISTRIES.items():
        if e == engine:
            out |= reg[kind]
    return frozenset(out)


def _release(version: str) -> tuple[int, ...] | None:
    """The numeric release of a version string (``0.33.0+cpu`` -> (0, 33, 0)); None if it has none."""
    m = re.match(r"\d+(?:\.\d+)*", version.strip())
    return tuple(int(p) for p in m.group(0).split(".")) if m else None


def tested_range(engine: Engine) -> str:
    """The tested versions of ``engine`` as text (``0.31.0 to 0.33.0``)."""
    tested = TESTED_VERSIONS[engine]
    return f"{tested[0]} to {tested[-1]}" if len(tested) > 1 else tested[0]


def version_status(engine: Engine, version: str | None) -> str:
    """``newer`` / ``older`` than every tested version of ``engine``, ``tested`` (one of them), ``within`` (between
    two tested ones) or ``unknown`` (no version, or not a release number)."""
    have = _release(version) if version else None
    if have is None:
        return "unknown"
    tested = [r for r in (_release(v) for v in TESTED_VERSIONS[engine]) if r is not None]
    if have > max(tested):
        return "newer"
    if have < min(tested):
        return "older"
    return "tested" if have in tested else "within"
