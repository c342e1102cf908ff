"""The one reader of dyn-plugins' environment switches, and of the engines' plugin allow-lists.

Imports nothing but ``os``: the import hook reads it at interpreter start. One rule for our own switches:
surrounding spaces are stripped and case is ignored; unset and empty are the same.

* a word (``DYN_PLUGINS_TOOL_STREAMING``, :mod:`dyn_plugins.streaming_mode`): :func:`word`;
* a list (``DYN_PLUGINS_PREFER_ENGINE``, :func:`dyn_plugins.names.prefer_engine`): comma-separated, each name
  stripped, empty names dropped: :func:`name_list`;
* ``DYN_PLUGINS_NO_HOOK``: a flag. Surrounding spaces and case are ignored; unset, empty, ``0``, ``false`` and
  ``no`` mean off, anything else on. The ``.pth`` line (``build_pth.py``, build-time) is generated from
  :data:`FLAG_OFF`, so it applies the same rule before importing anything.
* The engines' plugin allow-lists, read exactly as the engine reads them (so the import hook and
  ``dyn-plugins doctor`` say "excluded" exactly when the engine skips our entry point):

  - ``VLLM_PLUGINS`` (``vllm/envs.py``, ``vllm/plugins/__init__.py``): unset = every plugin; set = the
    comma-separated names, compared as written (vLLM strips nothing), so ``""`` allows none;
  - ``SGLANG_PLUGINS`` (``sglang/srt/plugins/__init__.py``): unset or ``""`` = every plugin; otherwise the
    comma-separated names with spaces stripped and empty names dropped, so ``" "`` or ``","`` allows none.
"""

from __future__ import annotations

import os

#: values of a flag that mean off (after stripping spaces and lower-casing)
FLAG_OFF: tuple[str, ...] = ("", "0", "false", "no")
NO_HOOK = "DYN_PLUGINS_NO_HOOK"
#: engine -> the environment variable of its plugin allow-list
ALLOW_LIST_ENV: dict[str, str] = {"vllm": "VLLM_PLUGINS", "sglang": "SGLANG_PLUGINS"}
#: our entry-point name in both engines' plugin groups
ENTRY_POINT_NAME = "dyn_plugins"


def word(name: str, environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """A one-word switch: stripped and lower-cased; "" when unset or empty."""
    env = os.environ if environ is None else environ
    return env.get(name, "").strip().lower()


def name_list(name: str, environ: os._Environ[str] | dict[str, str] | None = None) -> frozenset[str]:
    """A comma-separated list of names: each stripped, empty ones dropped (unset = empty)."""
    env = os.environ if environ is None else environ
    return frozenset(x.strip() for x in env.get(name, "").split(",") if x.strip())


def flag(name: str, environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """True when the flag ``name`` is set to something other than an off value (see :data:`FLAG_OFF`)."""
    return word(name, environ) not in FLAG_OFF


def hook_disabled(environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """``DYN_PLUGINS_NO_HOOK`` is on."""
    return flag(NO_HOOK, environ)


def allow_list(engine: str, environ: os._Environ[str] | dict[str, str] | None = None) -> frozenset[str] | None:
    """The plugin names ``engine`` will load, as the engine parses its variable; None = no restriction."""
    env = os.environ if environ is None else environ
    var = ALLOW_LIST_ENV[engine]
    raw = env.get(var)
    if engine == "vllm":
        return None if raw is None else frozenset(raw.split(","))
    return name_list(var, env) if raw else None


def allowed(engine: str, environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """The engine's allow-list (if any) lets our entry point load."""
    names = allow_list(engine, environ)
    return names is None or ENTRY_POINT_NAME in names
