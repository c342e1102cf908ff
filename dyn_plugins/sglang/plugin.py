"""``register()`` for SGLang's ``sglang.srt.plugins`` entry point (and the pieces the import hook calls).

Every Dynamo tool-call name and alias (:mod:`dyn_plugins.names`) goes into BOTH
``FunctionCallParser.ToolCallParserEnum`` and ``parser_names.TOOL_CALL_PARSER_NAMES`` (the latter is
what ``--tool-call-parser`` accepts when the parser module is not imported yet):

* a Dynamo format -> our detector (our ``glm47`` replaces SGLang's, logged once;
  ``DYN_PLUGINS_PREFER_ENGINE=glm47`` keeps SGLang's);
* a format SGLang has under another spelling -> an alias to SGLang's own class;
* a name SGLang cannot serve -> one log line.

Reasoning names are aliased the same way (``ReasoningParser.DetectorMap`` + ``REASONING_PARSER_NAMES``);
a Dynamo reasoning format SGLang lacks (``granite``) gets our detector (:mod:`.reasoning`).
Idempotent and cheap; SGLang swallows exceptions from plugins, so everything is guarded and logged.
"""

from __future__ import annotations

import logging
import time

from .. import names as _names

logger = logging.getLogger("dyn_plugins")

_done: set[str] = set()


def _log_error(what: str) -> None:
    logger.exception("dyn-plugins: SGLang %s registration failed (Dynamo parser names will be rejected as 'invalid choice')", what)


def register_tool_names() -> None:
    """Add our tool-call names to ``parser_names.TOOL_CALL_PARSER_NAMES`` (the dependency-free list)."""
    if "tool_names" in _done:
        return
    try:
        from sglang.srt.function_call import parser_names

        lst = parser_names.TOOL_CALL_PARSER_NAMES
        available = list(lst)
        for res in _names.resolve_all(engine="sglang", available=available, kind="tool"):
            if res.ok and res.name not in lst:
                _append(lst, res.name)
        _done.add("tool_names")
    except Exception:  # noqa: BLE001
        _log_error("tool-call name")


def register_tool_parsers() -> None:
    """Map every Dynamo tool-call name to a detector in ``FunctionCallParser.ToolCallParserEnum``."""
    if "tool" in _done:
        return
    try:
        t0 = time.perf_counter()
        from sglang.srt.function_call.function_call_parser import FunctionCallParser

        from .detector import detector_class

        registry = FunctionCallParser.ToolCallParserEnum
        ours = {cls for cls in registry.values() if getattr(cls, "format_name", None)}
        available = [n for n, cls in registry.items() if cls not in ours]
        summary: dict[str, int] = {"ours": 0, "engine": 0, "unsupported": 0}
        for res in _names.resolve_all(engine="sglang", available=available, kind="tool"):
            summary[res.target] += 1
            if res.target == "ours":
                assert res.impl is not None
                if res.name in registry and registry[res.name] is not detector_class(res.impl) and res.name in available:
                    logger.info("dyn-plugins: SGLang tool-call parser %r now uses Dynamo's format (set %s=%s to keep SGLang's)", res.name, _names.PREFER_ENGINE_ENV, res.name)
                registry[res.name] = detector_class(res.impl)
            elif res.target == "engine":
                assert res.impl is not None
                registry[res.name] = registry[res.impl]
            else:
                logger.info("dyn-plugins: %s", res.message)
        _done.add("tool")
        _sync_names()
        logger.info(
            "dyn-plugins: SGLang tool-call parsers registered: %d Dynamo formats, %d aliases to SGLang's, %d unsupported (%.1f ms)",
            summary["ours"], summary["engine"], summary["unsupported"], (time.perf_counter() - t0) * 1e3,
        )
    except Exception:  # noqa: BLE001
        _log_error("tool-call parser")


def _sync_names() -> None:
    """Keep the name list equal to the registry (SGLang's own test checks the two agree)."""
    import sys

    mod = sys.modules.get("sglang.srt.function_call.parser_names")
    if mod is None:
        from sglang.srt.function_call import parser_names as mod  # type: ignore[no-redef]
    from sglang.srt.function_call.function_call_parser import FunctionCallParser

    for name in FunctionCallParser.ToolCallParserEnum:
        if name not in mod.TOOL_CALL_PARSER_NAMES:
            _append(mod.TOOL_CALL_PARSER_NAMES, name)
    _done.add("tool_names")


def _append(lst: object, name: str) -> None:
    if isinstance(lst, list):
        lst.append(name)
    else:  # pragma: no cover - a tuple in some version: rebind is impossible from here
        raise TypeError(f"cannot extend {type(lst).__name__} name list")


def register_reasoning_names() -> None:
    """Add Dynamo reasoning names to ``REASONING_PARSER_NAMES`` (lower-case, as SGLang looks them up)."""
    if "reasoning_names" in _done:
        return
    try:
        from sglang.srt.parser import reasoning_parser_names as rpn

        lst = rpn.REASONING_PARSER_NAMES
        for res in _names.resolve_all(engine="sglang", available=list(lst), kind="reasoning"):
            if res.ok and res.name.lower() not in lst:
                _append(lst, res.name.lower())
        _done.add("reasoning_names")
    except Exception:  # noqa: BLE001
        _log_error("reasoning name")


def register_reasoning_parsers() -> None:
    """Alias every Dynamo reasoning name SGLang can serve in ``ReasoningParser.DetectorMap`` (ours where it lacks one)."""
    if "reasoning" in _done:
        return
    try:
        from sglang.srt.parser.reasoning_parser import ReasoningParser

        dmap = ReasoningParser.DetectorMap
        available = list(dmap)
        for res in _names.resolve_all(engine="sglang", available=available, kind="reasoning"):
            key = res.name.lower()
            if res.target == "ours" and res.impl is not None:
                from .reasoning import reasoning_detector_class

                dmap[key] = reasoning_detector_class(res.impl)
            elif res.ok and res.impl is not None and key not in available:
                dmap[key] = dmap[res.impl]
        _done.add("reasoning")
        register_reasoning_names()
        from sglang.srt.parser import reasoning_parser_names as rpn

        for key in dmap:
            if key not in rpn.REASONING_PARSER_NAMES:
                _append(rpn.REASONING_PARSER_NAMES, key)
    except Exception:  # noqa: BLE001
        _log_error("reasoning parser")


def register() -> None:
    """Entry point ``sglang.srt.plugins: dyn_plugins`` (called by ``sglang.srt.plugins.load_plugins``)."""
    register_tool_names()
    register_tool_parsers()
    register_reasoning_names()
    register_reasoning_parsers()
