"""Post-import hook: registers dyn-plugins' parsers wherever SGLang's or vLLM's parser registries are imported.

Loaded at interpreter start by ``dyn_plugins.pth`` (shipped at the root of the wheel, so it lands in
site-packages). It covers the processes where SGLang never runs its ``sglang.srt.plugins`` entry
points: HTTP workers with ``--tokenizer-worker-num > 1`` and Dynamo's ``--dyn-chat-processor sglang``
frontend, which builds ``FunctionCallParser(tools, name)`` directly.

What it does at start-up: put one tiny finder at the front of ``sys.meta_path``. It imports nothing
and answers ``None`` for every module except the engine modules in :data:`WATCHED`; for those it
wraps that one module's ``exec_module`` so that, right after the module has run, the matching
registration in :mod:`dyn_plugins.sglang.plugin` / :mod:`dyn_plugins.vllm.plugin` is called. The
finder removes itself once all of them have been seen. Nothing here ever raises: failures are logged and the import goes on.

``DYN_PLUGINS_NO_HOOK=1`` disables it (checked before anything else); so does an engine plugin allow-list
(``VLLM_PLUGINS`` / ``SGLANG_PLUGINS``) that does not name ``dyn_plugins`` (both read by :mod:`.switches`). The module name
``dyn_plugins._hook`` is stable: other tools (the Dynamo helper) rely on it.
"""

from __future__ import annotations

import sys

from . import switches
from .vllm import REASONING_REGISTRY, TOOL_PARSER_REGISTRIES  # vLLM-free: module names only

DISABLE_ENV = switches.NO_HOOK

#: Engine module -> (our plugin module, registration function in it) run right after the engine module loads.
WATCHED: dict[str, tuple[str, str]] = {
    "sglang.srt.function_call.parser_names": ("dyn_plugins.sglang.plugin", "register_tool_names"),
    "sglang.srt.function_call.function_call_parser": ("dyn_plugins.sglang.plugin", "register_tool_parsers"),
    "sglang.srt.parser.reasoning_parser_names": ("dyn_plugins.sglang.plugin", "register_reasoning_names"),
    "sglang.srt.parser.reasoning_parser": ("dyn_plugins.sglang.plugin", "register_reasoning_parsers"),
    # vLLM: processes that look parsers up without loading vLLM's plugins (Dynamo's vLLM frontend path).
    **{path: ("dyn_plugins.vllm.plugin", "hook_tool_parsers") for path in TOOL_PARSER_REGISTRIES},
    REASONING_REGISTRY: ("dyn_plugins.vllm.plugin", "hook_reasoning_parsers"),
}


def _filtered_out(module_name: str) -> bool:
    """The engine's own plugin allow-list excludes us (read as the engine reads it: :mod:`.switches`); the hook
    then stays out of the way too."""
    return not switches.allowed("vllm" if module_name.startswith("vllm.") else "sglang")


def _after(module_name: str) -> None:
    """Run the registration for ``module_name``; never raises."""
    try:
        import importlib

        if _filtered_out(module_name):
            return
        plugin_module, function = WATCHED[module_name]
        getattr(importlib.import_module(plugin_module), function)()
    except Exception:  # noqa: BLE001 - an import hook must never break the import it watches
        try:
            import logging

            logging.getLogger("dyn_plugins").exception("dyn-plugins: registration after importing %s failed", module_name)
        except Exception:  # noqa: BLE001
            pass


class _Finder:
    """A meta-path finder that only ever answers for the modules in WATCHED, by delegating."""

    def __init__(self) -> None:
        self.pending = set(WATCHED)

    def find_spec(self, fullname, path=None, target=None):  # type: ignore[no-untyped-def]
        if fullname not in self.pending:
            return None
        self.pending.discard(fullname)
        if not self.pending:
            self.uninstall()
        try:
            spec = None
            for finder in list(sys.meta_path):
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            loader = getattr(spec, "loader", None)
            if loader is None or not hasattr(loader, "exec_module"):
                return spec
            inner = loader.exec_module

            def exec_module(module, _inner=inner, _name=fullname):  # type: ignore[no-untyped-def]
                _inner(module)
                _after(_name)

            # Patch the instance (one loader per module for source files): module.__loader__ stays the real one.
            loader.exec_module = exec_module
            return spec
        except Exception:  # noqa: BLE001
            return None

    def uninstall(self) -> None:
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass


def install() -> _Finder | None:
    """Install the finder (once per interpreter); also registers right away for modules already imported."""
    if switches.hook_disabled():
        return None
    for finder in sys.meta_path:
        if isinstance(finder, _Finder) or type(finder).__name__ == "_Finder" and getattr(finder, "pending", None) is not None:
            return finder  # type: ignore[return-value]
    finder = _Finder()
    already = [name for name in WATCHED if name in sys.modules]
    for name in already:
        finder.pending.discard(name)
    if finder.pending:
        sys.meta_path.insert(0, finder)
    for name in already:
        _after(name)
    return finder


try:
    install()
except Exception:  # noqa: BLE001 - never break interpreter start-up
    pass
