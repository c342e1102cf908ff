"""``register()`` for the ``vllm.general_plugins`` entry point (``dyn_plugins = dyn_plugins.vllm.plugin:register``).

vLLM runs it in every vLLM process (``vllm serve`` while building its argument parser, before
``--tool-call-parser`` is validated; engine core; workers; Dynamo's vLLM frontend). For every Dynamo
tool-call name and alias (:mod:`dyn_plugins.names`), resolved against what the installed vLLM has:

- ours -> our parser class, registered lazily (nothing imported until the name is used). This also
  replaces vLLM's own ``glm47`` / ``jamba`` (one log line each); ``DYN_PLUGINS_PREFER_ENGINE=glm47``
  (or ``all``) keeps vLLM's;
- engine -> an alias to vLLM's own parser under the Dynamo spelling (``phi4`` -> ``phi4_mini_json``),
  only for names vLLM does not already use;
- unsupported -> listed in one log line.

Reasoning parser names get the same alias treatment in vLLM's ``ReasoningParserManager``; a Dynamo
reasoning format vLLM lacks (``kimi``) is our parser (:mod:`.reasoning`), registered lazily.
Guarded (an exception inside an entry point aborts vLLM's start-up: this never raises, it logs),
idempotent and cheap: dictionary writes only.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from .. import names
from . import PARSER_MODULE, REASONING_MODULE, REASONING_REGISTRY, TOOL_PARSER_REGISTRIES, parser_class_name, reasoning_class_name

logger = logging.getLogger("vllm.dyn_plugins")

#: What the last successful register() did: {"tool": {name: impl}, "reasoning": {...}, "unsupported": [...]}.
LAST: dict[str, Any] = {}
#: Log lines held back because vLLM had not configured its logging yet (``vllm serve`` loads plugins while
#: building its argument parser, before it sets up logging); :mod:`.parser` emits them on first import.
PENDING: list[tuple[str, tuple[Any, ...]]] = []
#: vLLM parser names our formats took over (by the import hook or by register()) that no log line has named yet:
#: the hook runs first and logs nothing, so register() announces them, once.
UNANNOUNCED: dict[str, None] = {}


def _log(msg: str, *args: Any) -> None:
    if logging.getLogger("vllm").handlers or logging.getLogger().handlers:
        logger.info(msg, *args)
    else:
        PENDING.append((msg, args))


def flush_pending() -> None:
    """Emit held-back log lines (once)."""
    while PENDING:
        msg, args = PENDING.pop(0)
        logger.info(msg, *args)


def _alias(manager: Any, eager: dict[str, Any], name: str, target: str) -> bool:
    """Register ``name`` as another spelling of the registered parser ``target`` (lazy if ``target`` is)."""
    lazy = manager.lazy_parsers
    if target in lazy:
        manager.register_lazy_module(name, *lazy[target])
        return True
    if target in eager:
        eager[name] = eager[target]
        return True
    return False


def register_tool_parsers(manager: Any) -> tuple[dict[str, str], list[str], list[str]]:
    """Register every Dynamo tool-call name in vLLM's ToolParserManager; returns (done, replaced, unsupported)."""
    available = set(manager.list_registered())
    eager: dict[str, Any] = manager.tool_parsers
    done: dict[str, str] = {}
    replaced: list[str] = []
    unsupported: list[str] = []
    for res in names.resolve_all("vllm", available, "tool"):
        if res.target == "ours":
            assert res.impl is not None
            cls_name = parser_class_name(res.impl)
            current = manager.lazy_parsers.get(res.name)
            if res.name in available and current != (PARSER_MODULE, cls_name):
                replaced.append(res.name)
                UNANNOUNCED[res.name] = None
            # A class vLLM already imported (cached in the eager dict) would shadow the lazy entry.
            cached = eager.get(res.name)
            if cached is not None and getattr(cached, "__module__", "") != PARSER_MODULE:
                del eager[res.name]
            manager.register_lazy_module(res.name, PARSER_MODULE, cls_name)
            done[res.name] = f"dyn-plugins {res.impl}"
        elif res.target == "engine":
            assert res.impl is not None
            if res.name != res.impl and res.name not in available:
                _alias(manager, eager, res.name, res.impl)
            done[res.name] = f"vllm {res.impl}"
        else:
            unsupported.append(res.message)
    return done, replaced, unsupported


def register_reasoning_parsers(manager: Any) -> tuple[dict[str, str], list[str]]:
    """Dynamo reasoning names as aliases of vLLM's own reasoning parsers (names vLLM lacks only); ours where vLLM has none."""
    available = set(manager.list_registered())
    eager: dict[str, Any] = getattr(manager, "reasoning_parsers", {})
    done: dict[str, str] = {}
    unsupported: list[str] = []
    for res in names.resolve_all("vllm", available, "reasoning"):
        if res.target == "ours" and res.impl is not None:
            manager.register_lazy_module(res.name, REASONING_MODULE, reasoning_class_name(res.impl))
            done[res.name] = f"dyn-plugins {res.impl}"
        elif res.target == "engine" and res.impl is not None:
            if res.name != res.impl and res.name not in available:
                _alias(manager, eager, res.name, res.impl)
            done[res.name] = f"vllm {res.impl}"
        else:
            unsupported.append(res.message)
    return done, unsupported


#: register() ran before vLLM had imported its parser registries and left the work to the import hook, which
#: does the whole registration (log line included) when vLLM imports them: see :func:`_left_to_hook`
DEFERRED = False


def _left_to_hook() -> bool:
    """True when registering now would import vLLM's parser registries and the import hook can do it later.

    vLLM runs its general plugins in every process (engine core, workers, any ``load_general_plugins()``);
    in one that has not imported ``vllm.tool_parsers`` yet, importing it (transformers, the protocol models)
    costs seconds for a process that may never parse a tool call (``benchmarks/startup.py``: ``vllm-bare``).
    The hook watches exactly those modules and registers the moment one is imported. Not left when the hook
    is off (``DYN_PLUGINS_NO_HOOK=1``): then register() imports and registers as before.
    """
    import sys

    if any(path in sys.modules for path in (*TOOL_PARSER_REGISTRIES, REASONING_REGISTRY)):
        return False
    from .._hook import install

    finder = install()  # the finder the .pth installed (or a new one); None when the hook is disabled
    return finder is not None and any(path in finder.pending for path in TOOL_PARSER_REGISTRIES)


def register() -> None:
    """Entry point: never raises, idempotent; one INFO line says what was registered."""
    global DEFERRED
    try:
        if _left_to_hook():
            DEFERRED = True
            return
        DEFERRED = False
        from .compat import ToolParserManager, reasoning_parser_manager

        _register_all(ToolParserManager, reasoning_parser_manager())
    except Exception:  # noqa: BLE001 - an exception here would abort vLLM's start-up
        logger.exception("dyn-plugins: registering the vLLM parsers failed; Dynamo parser names are unavailable")


def _register_all(tool_manager: Any, reasoning_manager: Any) -> None:
    """Every name into the given registries (``reasoning_manager`` None: later, by the hook), and the INFO line.
    Dictionary writes only: imports nothing (the hook calls this while vLLM is importing its registry)."""
    start = time.perf_counter()
    tools, _, unsupported = register_tool_parsers(tool_manager)
    for name in UNANNOUNCED:
        _log(
            "dyn-plugins: --tool-call-parser %s now uses Dynamo's %s parser instead of vLLM's own (set %s=%s to keep vLLM's)",
            name, name, names.PREFER_ENGINE_ENV, name,
        )
    UNANNOUNCED.clear()
    reasoning: dict[str, str] = {}
    if reasoning_manager is not None:
        reasoning, r_unsupported = register_reasoning_parsers(reasoning_manager)
        unsupported += r_unsupported
    if unsupported:
        _log("dyn-plugins: not available in this vLLM: %s", "; ".join(unsupported))
    ours = sorted(n for n, v in tools.items() if v.startswith("dyn-plugins"))
    aliases = sorted(n for n, v in tools.items() if not v.startswith("dyn-plugins"))
    LAST.clear()
    LAST.update(tool=tools, reasoning=reasoning, unsupported=unsupported, seconds=time.perf_counter() - start)
    _log(
        "dyn-plugins: registered %d tool-call parser names in vLLM (Dynamo formats: %s; vLLM parsers under Dynamo names: %s) "
        "and %d reasoning parser names (%.1f ms)",
        len(tools), ", ".join(ours), ", ".join(aliases), len(reasoning), 1000 * LAST["seconds"],
    )


def hook_tool_parsers() -> None:
    """Called by :mod:`dyn_plugins._hook` right after vLLM's tool-parser registry module ran.

    Covers processes that look a parser up without loading vLLM's plugins (``get_tool_parser(name)``
    as Dynamo's vLLM frontend does). Dictionary writes only: imports nothing else of vLLM.
    """
    import sys

    global DEFERRED
    for path in TOOL_PARSER_REGISTRIES:
        manager = getattr(sys.modules.get(path), "ToolParserManager", None)
        if manager is not None:
            if DEFERRED:  # the entry point's whole registration, left to this moment (reasoning: when imported)
                DEFERRED = False
                _register_all(manager, _loaded_reasoning_manager())
            else:
                register_tool_parsers(manager)
            return


def _loaded_reasoning_manager() -> Any:
    """vLLM's ReasoningParserManager if its module is imported already and has the registry API we use, else None."""
    import sys

    manager = getattr(sys.modules.get(REASONING_REGISTRY), "ReasoningParserManager", None)
    if manager is not None and all(hasattr(manager, a) for a in ("register_lazy_module", "list_registered", "lazy_parsers")):
        return manager
    return None


def hook_reasoning_parsers() -> None:
    """Like :func:`hook_tool_parsers`, for vLLM's ReasoningParserManager (Dynamo reasoning names as aliases)."""
    manager = _loaded_reasoning_manager()
    if manager is not None:
        register_reasoning_parsers(manager)
