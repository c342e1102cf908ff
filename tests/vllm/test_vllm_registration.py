"""Registration through the installed wheel's ``vllm.general_plugins`` entry point, in fresh processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from dyn_plugins import names, switches

pytestmark = pytest.mark.vllm

ALL_TOOL_NAMES = list(names.all_names("tool"))
OURS = {"glm47", "jamba", "nemotron_deci", "deepseek_v3_1", "harmony", "deepseek_v3_2", "default", "qwen3"}

PROBE = r"""
import json, logging, os, sys, time
logging.basicConfig(level=logging.INFO, stream=sys.stderr)  # as `vllm serve` configures logging before serving
t0 = time.perf_counter()
from vllm.tool_parsers import ToolParserManager
from vllm.reasoning import ReasoningParserManager
t1 = time.perf_counter()
before = set(ToolParserManager.list_registered())
if os.environ.get("PROBE_LOAD", "1") == "1":
    from vllm.plugins import load_general_plugins
    load_general_plugins()
t2 = time.perf_counter()
out = {"before": sorted(before), "after": ToolParserManager.list_registered(),
       "reasoning": ReasoningParserManager.list_registered(), "load_s": t2 - t1, "import_s": t1 - t0,
       "classes": {}}
tokenizer = None
if os.environ.get("PROBE_MODEL"):
    from vllm.tokenizers import get_tokenizer
    tokenizer = get_tokenizer(os.environ["PROBE_MODEL"])
for name in json.loads(os.environ.get("PROBE_NAMES", "[]")):
    cls = ToolParserManager.get_tool_parser(name)
    out["classes"][name] = cls.__module__ + "." + cls.__name__
    if tokenizer is not None and cls.__module__.startswith("dyn_plugins"):
        cls(tokenizer, None)  # as Dynamo's vLLM frontend constructs it
try:
    from dyn_plugins.vllm.plugin import LAST
    out["register_s"] = LAST.get("seconds")
except Exception:
    pass
print("PROBE" + json.dumps(out))
"""


def probe(env: dict[str, str] | None = None, names_: list[str] | None = None) -> dict[str, Any]:
    full = {**os.environ, "VLLM_TARGET_DEVICE": "cpu", "HF_HUB_OFFLINE": "1", "PROBE_NAMES": json.dumps(names_ or [])}
    full.pop("VLLM_PLUGINS", None)
    full.update(env or {})
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=full, timeout=300, cwd="/")
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("PROBE"))
    return {**json.loads(line[len("PROBE") :]), "output": proc.stdout + proc.stderr}


@pytest.fixture(scope="module")
def loaded() -> dict[str, Any]:
    return probe(names_=ALL_TOOL_NAMES)


def test_entry_point_registers_every_dynamo_name(loaded: dict[str, Any]) -> None:
    """After load_general_plugins() every Dynamo tool-call name and alias is a registered vLLM parser."""
    missing = sorted(set(ALL_TOOL_NAMES) - set(loaded["after"]))
    assert missing == []


def test_every_name_resolves_to_the_right_class(loaded: dict[str, Any]) -> None:
    """Dynamo formats resolve to our classes; the other names to vLLM's own parser modules."""
    for name, path in loaded["classes"].items():
        if name in OURS:
            assert path.startswith("dyn_plugins.vllm.parser."), (name, path)
        else:
            assert path.startswith("vllm."), (name, path)


def test_vllm_names_untouched_except_ours(loaded: dict[str, Any]) -> None:
    """Registration only adds names: every name vLLM had is still registered."""
    assert set(loaded["before"]) <= set(loaded["after"])


@pytest.mark.parametrize("name", ["glm47", "jamba"])
def test_replacement_of_vllm_parser_is_logged(loaded: dict[str, Any], name: str) -> None:
    # The import hook takes the name over first (silently); the entry point's register() still says so, once.
    line = f"--tool-call-parser {name} now uses Dynamo's {name} parser instead of vLLM's own"
    assert loaded["output"].count(line) == 1, loaded["output"][-3000:]


def test_reasoning_aliases_registered(loaded: dict[str, Any]) -> None:
    """Dynamo reasoning names vLLM spells differently (gpt_oss, nemotron3, ...) become aliases."""
    assert {"gpt_oss", "nemotron3", "deepseek_v3_1", "minimax_append_think"} <= set(loaded["reasoning"])


def test_reasoning_format_vllm_lacks_is_ours(loaded: dict[str, Any]) -> None:
    """kimi (◁think▷): no vLLM parser, so ours is registered under the Dynamo name."""
    assert "kimi" in loaded["reasoning"]


@pytest.mark.parametrize(
    ("plugins", "expect_loaded"),
    [("other", False), ("", False), ("dyn_plugins", True), ("lora_filesystem_resolver,dyn_plugins", True), ("other, dyn_plugins", False)],
)
def test_vllm_plugins_filter(plugins: str, expect_loaded: bool) -> None:
    """VLLM_PLUGINS is an allow-list of entry-point names ("" = none, names compared as written), as vLLM reads
    it; ``dyn_plugins.switches`` (the hook's and doctor's reader) agrees with vLLM on every value."""
    result = probe({"VLLM_PLUGINS": plugins})
    assert ("nemotron_deci" in result["after"]) is expect_loaded
    assert switches.allowed("vllm", {"VLLM_PLUGINS": plugins}) is expect_loaded


def test_registration_is_cheap(loaded: dict[str, Any]) -> None:
    """register() adds well under 50 ms to a vLLM process (dictionary writes, lazy classes)."""
    assert loaded["register_s"] is not None and loaded["register_s"] < 0.05


def test_no_parser_module_imported_at_registration() -> None:
    """Lazy registration: our parser module (and vLLM's glm47/jamba) are not imported by register()."""
    code = (
        "import sys; from vllm.plugins import load_general_plugins; load_general_plugins();"
        "print('LAZY', 'dyn_plugins.vllm.parser' in sys.modules)"
    )
    env = {**os.environ, "VLLM_TARGET_DEVICE": "cpu"}
    env.pop("VLLM_PLUGINS", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, cwd="/")
    assert "LAZY False" in proc.stdout, proc.stderr[-2000:]


def test_lookup_without_load_general_plugins(loaded: dict[str, Any], model_dir: Any) -> None:
    """Dynamo's --dyn-chat-processor vllm path: a fresh process that never loads vLLM's plugins still gets
    every Dynamo name from get_tool_parser() (the dyn_plugins.pth import hook) and can construct ours."""
    fresh = probe(env={"PROBE_LOAD": "0", "PROBE_MODEL": str(model_dir)}, names_=ALL_TOOL_NAMES)
    assert fresh["classes"] == loaded["classes"]


def test_hook_off_means_plugins_only(model_dir: Any) -> None:
    """With DYN_PLUGINS_NO_HOOK=1 and no plugin loading, vLLM knows none of the Dynamo-only names."""
    fresh = probe(env={"PROBE_LOAD": "0", "DYN_PLUGINS_NO_HOOK": "1"})
    assert not OURS & (set(fresh["after"]) - {"glm47", "jamba"})


# (environment, registry imported by load_general_plugins() itself?)
BARE_PROCESS: list[tuple[dict[str, str], bool]] = [
    ({}, False),  # the import hook registers when vLLM imports its registry: nothing imported before that
    ({"DYN_PLUGINS_NO_HOOK": "1"}, True),  # no hook: register() imports the registry and registers at once
]


@pytest.mark.parametrize(("env", "imports_registry"), BARE_PROCESS, ids=["hook", "no-hook"])
def test_bare_process_registers_without_importing_the_registry(env: dict[str, str], imports_registry: bool) -> None:
    """A vLLM process that has not imported the tool-parser registry (engine core, workers) pays nothing for
    it at plugin load; once it imports the registry, every name is registered and the INFO line says so."""
    from dyn_plugins.vllm import TOOL_PARSER_REGISTRIES

    code = (
        "import sys, json, logging; logging.basicConfig(level=logging.INFO);"
        "from vllm.plugins import load_general_plugins; load_general_plugins();"
        f"loaded = any(p in sys.modules for p in {TOOL_PARSER_REGISTRIES!r});"
        "from vllm.tool_parsers import ToolParserManager;"
        "print('BARE' + json.dumps([loaded, ToolParserManager.list_registered()]))"
    )
    full = {**os.environ, "VLLM_TARGET_DEVICE": "cpu", **env}
    full.pop("VLLM_PLUGINS", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=300, cwd="/")
    line = next((l for l in proc.stdout.splitlines() if l.startswith("BARE")), None)
    assert line is not None, proc.stderr[-3000:]
    loaded, registered = json.loads(line[len("BARE") :])
    assert loaded is imports_registry
    assert set(ALL_TOOL_NAMES) <= set(registered)
    assert proc.stderr.count("dyn-plugins: registered") == 1, proc.stderr[-3000:]
