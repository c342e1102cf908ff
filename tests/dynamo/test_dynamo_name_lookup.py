"""Dynamo 1.6.1's own fallback lookup code resolves every Dynamo parser name with this package installed.

A fresh interpreter (cwd outside the repo, so only the installed wheel is importable) imports Dynamo's chat
processor module and looks each name of Dynamo's registry (``dynamo._core.get_tool_parser_names()`` /
``get_reasoning_parser_names()``: the only names a worker's ``--dyn-*-parser`` can store in the model card) up
exactly as the processor does:

- vLLM: ``dynamo.frontend.vllm_processor.ToolParserManager.get_tool_parser(name)`` /
  ``ReasoningParserManager.get_reasoning_parser(name)`` (``EngineFactory.chat_engine_factory``);
- SGLang: ``dynamo.frontend.sglang_prepost.create_parsers(request, tool_call_parser_name=name, ...)``, which
  applies Dynamo's own alias table and builds SGLang's ``FunctionCallParser`` / ``ReasoningParser``.

The probe does not import ``dyn_plugins`` and (by default) does not call ``load_general_plugins()``: what makes
the names resolve is the package's ``.pth`` import hook. The off switches are checked the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache

import pytest

from dyn_plugins.samples import TOOLS
from dynamo_cases import CORE_NAMES, ENGINE

pytestmark = pytest.mark.dynamo

PROBE = r"""
import json, os, sys
from dynamo._core import get_reasoning_parser_names, get_tool_parser_names

engine, tools = sys.argv[1], json.loads(sys.argv[2])
out = {"tool": {}, "reasoning": {}}

def qualname(obj):
    return obj.__module__ + "." + obj.__qualname__

if engine == "vllm":
    from dynamo.frontend import vllm_processor as vp
    if os.environ.get("PROBE_LOAD_PLUGINS") == "1":  # what the frontend's argument parsing does
        from vllm.plugins import load_general_plugins
        load_general_plugins()
    lookup = {
        "tool": lambda n: qualname(vp.ToolParserManager.get_tool_parser(n)),
        "reasoning": lambda n: qualname(vp.ReasoningParserManager.get_reasoning_parser(n)),
    }
else:
    from dynamo.frontend import sglang_prepost as sp
    def tool(n):
        parser, _ = sp.create_parsers({"tools": tools, "tool_choice": "auto"}, tool_call_parser_name=n, reasoning_parser_name=None)
        return qualname(type(parser.detector))
    def reasoning(n):
        _, parser = sp.create_parsers({}, tool_call_parser_name=None, reasoning_parser_name=n)
        return qualname(type(parser.detector))
    lookup = {"tool": tool, "reasoning": reasoning}

for kind, names in (("tool", get_tool_parser_names()), ("reasoning", get_reasoning_parser_names())):
    for name in names:
        try:
            out[kind][name] = lookup[kind](name)
        except Exception as e:
            out[kind][name] = "ERROR " + type(e).__name__ + ": " + str(e)[:300]
print("PROBE" + json.dumps(out))
"""

#: Dynamo names served by this package's own parsers (aliases included), in both engines.
OURS = frozenset(CORE_NAMES)

#: Off switches: (environment, call load_general_plugins() like the frontend's argument parsing) -> is
#: ``nemotron_deci`` found by Dynamo's lookup.
SWITCHES: dict[str, tuple[dict[str, str], bool, bool]] = {
    "hook-on": ({}, False, True),
    "DYN_PLUGINS_NO_HOOK=1": ({"DYN_PLUGINS_NO_HOOK": "1"}, False, False),
}
if ENGINE == "vllm":
    SWITCHES |= {
        # vLLM's own plugin filter: the entry point is skipped and the hook honours it too.
        "VLLM_PLUGINS=other+load": ({"VLLM_PLUGINS": "other"}, True, False),
        # the hook off, vLLM's entry point (run by the frontend's argument parsing) still registers.
        "DYN_PLUGINS_NO_HOOK=1+load": ({"DYN_PLUGINS_NO_HOOK": "1"}, True, True),
    }
else:
    SWITCHES |= {"SGLANG_PLUGINS=other": ({"SGLANG_PLUGINS": "other"}, False, False)}


@cache
def probe(switch: str, cwd: str) -> dict[str, dict[str, str]]:
    """Run the lookup probe once per switch in a fresh interpreter; {kind: {name: class or "ERROR ..."}}."""
    extra, load, _ = SWITCHES[switch]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DYN_PLUGINS_NO_HOOK", "VLLM_PLUGINS", "SGLANG_PLUGINS")}
    env |= {"VLLM_TARGET_DEVICE": "cpu", "PROBE_LOAD_PLUGINS": "1" if load else "0", **extra}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, ENGINE, json.dumps(TOOLS)],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE")]
    assert proc.returncode == 0 and lines, f"probe failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1][len("PROBE"):])


@pytest.fixture(scope="module")
def probe_cwd(engine: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    del engine  # asserts the venv has an engine and ai-dynamo
    return str(tmp_path_factory.mktemp("lookup"))


@pytest.fixture(scope="module")
def lookups(probe_cwd: str) -> dict[str, dict[str, str]]:
    return probe("hook-on", probe_cwd)


def _names(kind: str) -> list[str]:
    """Dynamo's registry, read in this (pytest) process: same venv, same ai-dynamo-runtime."""
    from dynamo._core import get_reasoning_parser_names, get_tool_parser_names

    return sorted(get_tool_parser_names() if kind == "tool" else get_reasoning_parser_names())


@pytest.mark.parametrize("kind", ["tool", "reasoning"])
def test_every_servable_dynamo_name_resolves(lookups: dict[str, dict[str, str]], kind: str) -> None:
    """Every Dynamo name resolves in Dynamo's own lookup (the ones the engine lacks, qwen3 / phi4 / kimi / granite,
    through our fallback parsers)."""
    failed = {n for n in _names(kind) if lookups[kind][n].startswith("ERROR")}
    assert failed == set(), {n: lookups[kind][n] for n in failed}


@pytest.mark.parametrize("name", sorted(OURS))
def test_dynamo_only_names_resolve_to_our_parsers(lookups: dict[str, dict[str, str]], name: str) -> None:
    """The Dynamo-only formats resolve to this package's parser class, not the engine's same-name one."""
    assert lookups["tool"][name].startswith("dyn_plugins."), lookups["tool"][name]


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_off_switches(probe_cwd: str, switch: str) -> None:
    """DYN_PLUGINS_NO_HOOK=1 turns the import hook off; the engine's plugin filter turns everything off."""
    _, _, expected = SWITCHES[switch]
    found = probe(switch, probe_cwd)["tool"]["nemotron_deci"]
    assert (not found.startswith("ERROR")) == expected, found
