"""Registration from the INSTALLED wheel, each check in a fresh interpreter (registries are process-global).

Entry-point checks run with the import hook off (DYN_PLUGINS_NO_HOOK=1) so they prove the entry point
alone; hook checks never call load_plugins().
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dyn_plugins import names, switches

pytestmark = pytest.mark.sglang
import sglang  # noqa: E402,F401  (the SGLang venv has it: a missing engine must fail, not skip)

TOOL_NAMES = names.all_names("tool")
SERVABLE = [n for n in TOOL_NAMES if names.lookup(n).ours or names.lookup(n).sglang or names.lookup(n).fallback_ours]  # type: ignore[union-attr]


def _run(code: str, tmp_path: Path, **env: str) -> dict:
    """Run ``code`` in a fresh venv interpreter outside the source tree; it prints one JSON line last."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("DYN_PLUGINS_NO_HOOK", "SGLANG_PLUGINS", "PYTHONPATH")}
    full_env.update(env, HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=full_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


LOAD_AND_LIST = """
import json
from sglang.srt.plugins import load_plugins
load_plugins()
import sys
if "sglang.srt.function_call.function_call_parser" in sys.modules:
    from sglang.srt.function_call.function_call_parser import FunctionCallParser
    from sglang.srt.function_call.parser_names import TOOL_CALL_PARSER_NAMES
    from sglang.srt.parser.reasoning_parser import ReasoningParser
    print(json.dumps({"tools": {k: v.__name__ for k, v in FunctionCallParser.ToolCallParserEnum.items()},
                      "names": list(TOOL_CALL_PARSER_NAMES), "reasoning": {k: v.__name__ for k, v in sorted(ReasoningParser.DetectorMap.items())}}))
else:
    print(json.dumps({"tools": {}, "names": [], "reasoning": {}}))
"""


def test_entry_point_registers_every_name(tmp_path: Path) -> None:
    """load_plugins() finds our entry point in the installed wheel and registers every servable Dynamo name."""
    out = _run(LOAD_AND_LIST, tmp_path, DYN_PLUGINS_NO_HOOK="1")
    assert set(SERVABLE) <= set(out["tools"])
    assert out["tools"]["jamba"] == "DynamoJambaDetector"
    assert out["tools"]["glm47"] == "DynamoGlm47Detector"
    assert out["tools"]["deepseek_v3"] == out["tools"]["deepseekv3"] == "DeepSeekV3Detector"
    assert set(out["names"]) == set(out["tools"])
    assert {"gpt_oss", "deepseek_r1", "nemotron_v3"} <= set(out["reasoning"])
    # names SGLang has no parser for: ours (names.py fallback_ours)
    assert (out["tools"]["phi4"], out["tools"]["qwen3"]) == ("DynamoPhi4Detector", "DynamoQwen3Detector")
    assert out["reasoning"]["granite"] == "DynamoGraniteReasoningDetector"


@pytest.mark.parametrize(("plugins", "expect_loaded"), [("someone_else", False), ("", True), (" ", False), (" dyn_plugins , other", True)])
def test_sglang_plugins_filter(tmp_path: Path, plugins: str, expect_loaded: bool) -> None:
    """SGLANG_PLUGINS without our entry-point name: nothing of ours is registered ("" = no restriction, names
    stripped); ``dyn_plugins.switches`` (the hook's and doctor's reader) agrees with SGLang on every value."""
    out = _run(LOAD_AND_LIST, tmp_path, DYN_PLUGINS_NO_HOOK="1", SGLANG_PLUGINS=plugins)
    assert ("jamba" in out["tools"]) is expect_loaded
    assert switches.allowed("sglang", {"SGLANG_PLUGINS": plugins}) is expect_loaded


def test_prefer_engine_keeps_sglang_glm47(tmp_path: Path) -> None:
    """DYN_PLUGINS_PREFER_ENGINE=glm47 keeps SGLang's own glm47 detector."""
    out = _run(LOAD_AND_LIST, tmp_path, DYN_PLUGINS_NO_HOOK="1", DYN_PLUGINS_PREFER_ENGINE="glm47")
    assert out["tools"]["glm47"] == "Glm47MoeDetector"
    assert out["tools"]["jamba"] == "DynamoJambaDetector"


ARGPARSE = """
import json, sys
from sglang.srt.plugins import load_plugins
from sglang.srt.server_args import prepare_server_args
load_plugins()
ok, bad = [], []
for name in sys.argv[1:]:
    try:
        a = prepare_server_args(["--model-path", "m", "--tool-call-parser", name])
        ok.append(a.tool_call_parser)
    except SystemExit:
        bad.append(name)
print(json.dumps({"ok": ok, "bad": bad}))
"""


def test_server_args_accept_every_dynamo_name(tmp_path: Path) -> None:
    """The launcher's order (load_plugins, then prepare_server_args) accepts each Dynamo name, rejects an unknown one."""
    code = ARGPARSE.replace("sys.argv[1:]", repr([*SERVABLE, "no_such_parser"]))
    out = _run(code, tmp_path, DYN_PLUGINS_NO_HOOK="1")
    assert out["bad"] == ["no_such_parser"]
    assert len(out["ok"]) == len(SERVABLE)


BUILD = """
import json
from sglang.srt.entrypoints.openai.protocol import Tool
from sglang.srt.function_call.function_call_parser import FunctionCallParser
from dyn_plugins.samples import TOOLS
tools = [Tool(**t) for t in TOOLS]
ok, bad = [], []
for name in NAMES:
    try:
        FunctionCallParser(tools, name); ok.append(name)
    except ValueError:
        bad.append(name)
import sys
print(json.dumps({"ok": ok, "bad": bad, "plugins_loaded": __import__("sglang.srt.plugins", fromlist=["x"])._plugins_loaded}))
"""


def test_hook_serves_names_without_load_plugins(tmp_path: Path) -> None:
    """The .pth import hook: a process that never calls load_plugins() builds FunctionCallParser for every name."""
    out = _run(BUILD.replace("NAMES", repr(SERVABLE)), tmp_path)
    assert out["bad"] == [] and out["plugins_loaded"] is False


def test_hook_disabled_by_env(tmp_path: Path) -> None:
    """DYN_PLUGINS_NO_HOOK=1: without load_plugins() the Dynamo-only names are unknown to SGLang."""
    out = _run(BUILD.replace("NAMES", repr(["jamba", "nemotron_deci", "hermes"])), tmp_path, DYN_PLUGINS_NO_HOOK="1")
    assert out["bad"] == ["jamba", "nemotron_deci"]


def test_hook_adds_names_to_argparse_choices(tmp_path: Path) -> None:
    """With the hook, even prepare_server_args without load_plugins() (dynamo.sglang's order) accepts our names."""
    code = ARGPARSE.replace("load_plugins()\n", "").replace("sys.argv[1:]", repr(["jamba", "deepseek_v3", "no_such_parser"]))
    out = _run(code, tmp_path)
    assert out == {"ok": ["jamba", "deepseek_v3"], "bad": ["no_such_parser"]}


def test_pth_file_installed() -> None:
    """The wheel put dyn_plugins.pth in site-packages, next to the package."""
    import dyn_plugins

    site = Path(dyn_plugins.__file__).resolve().parent.parent
    assert "dyn_plugins._hook" in (site / "dyn_plugins.pth").read_text()
