"""`dyn-plugins` subcommands run in-process (and the installed console script once).

Why: the CLI is the user's window on the name table and the install; its output must be right without an
engine installed (this venv has none) and must say "not installed" instead of guessing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dyn_plugins import names as N
from dyn_plugins.cli import main

DATA = Path(__file__).parent / "data"
PARSE_CASES: list[dict[str, Any]] = json.loads((DATA / "parse_cases.json").read_text(encoding="utf-8"))["cases"]
REGISTRIES = json.loads((DATA / "registries.json").read_text(encoding="utf-8"))
SUBCOMMANDS = ["parse", "names", "doctor", "triage", "template", "demo"]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize(
    "mode",
    [[], ["--stream"], ["--stream", "--chunk", "7"], ["--stream", "--buffered"]],
    ids=["oneshot", "stream-1", "stream-7", "stream-buffered"],
)
@pytest.mark.parametrize("case", PARSE_CASES, ids=lambda c: f"{c['format']}-{len(c['calls'])}")
def test_cli_parse(case: dict[str, Any], mode: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """parse prints the calls (arguments as JSON text) and the normal text, one-shot and streamed alike."""
    src, tools = tmp_path / "out.txt", tmp_path / "tools.json"
    src.write_text(case["text"], encoding="utf-8")
    from dyn_plugins.samples import TOOLS

    tools.write_text(json.dumps({"tools": TOOLS}), encoding="utf-8")
    rc, out, _ = _run(["parse", "--format", case["format"], "--tools", str(tools), *mode, str(src)], capsys)
    data = json.loads(out)
    assert rc == 0
    message = data["message"]
    assert message["content"] == (case["normal_text"] or None)
    calls = [c["function"] | {"type": c["type"]} for c in message.get("tool_calls", [])]
    assert [{"name": c["name"], "arguments": json.loads(c["arguments"])} for c in calls] == case["calls"]
    assert all(c["type"] == "function" for c in calls)
    assert data["finish_reason"] == ("tool_calls" if case["calls"] else "stop")
    assert ("events" in data) == bool(mode)
    if mode and case["calls"]:  # live: many argument fragments per call; buffered: one
        fragments = sum(1 for e in data["events"] if e["type"] == "ArgsDelta")
        assert (fragments == len(case["calls"])) == ("--buffered" in mode)


def test_cli_parse_engine_only_name_fails_with_reason(capsys: pytest.CaptureFixture[str]) -> None:
    """--format hermes is the engine's parser, not ours: exit 2 and say so."""
    rc, _, err = _run(["parse", "--format", "hermes", "-"], capsys)
    assert rc == 2 and "dyn-plugins does not implement" in err


def test_cli_names_static_without_engines(capsys: pytest.CaptureFixture[str]) -> None:
    """Without engines every engine column says 'not installed' and shows the planned candidates."""
    rc, out, _ = _run(["names", "--json"], capsys)
    data = json.loads(out)
    assert rc == 0 and data["engines"]["vllm"]["installed"] is False and data["engines"]["sglang"]["installed"] is False
    rows = {r["name"]: r for r in data["tool"]}
    assert rows["phi4"]["vllm"] == {"text": "phi4_mini_json (else dyn-plugins phi4)", "status": "not installed"}
    assert rows["nemotron_nano"]["alias_of"] == "qwen3_coder"
    assert rows["glm47"]["sglang"]["text"] == "dyn-plugins glm47"
    assert {r["name"] for r in data["reasoning"]} >= {"basic", "nemotron3", "gpt_oss"}


def test_cli_names_text_table_says_not_installed(capsys: pytest.CaptureFixture[str]) -> None:
    """The text table has a header naming the engines as not installed."""
    rc, out, _ = _run(["names"], capsys)
    assert rc == 0
    assert "VLLM (NOT INSTALLED)" in out and "SGLANG (NOT INSTALLED)" in out
    assert "Tool-call parsers" in out and "Reasoning parsers" in out


@pytest.mark.parametrize(
    "engine, version, name, kind, text",
    [
        ("vllm", "0.32.0", "glm47", "tool", "dyn-plugins glm47 (replaces vllm's own)"),
        ("vllm", "0.32.0", "phi4", "tool", "vllm phi4_mini_json"),
        ("vllm", "0.32.0", "qwen3", "tool", "dyn-plugins qwen3 (vllm lacks a parser for it)"),
        ("sglang", "0.5.23", "phi4", "tool", "dyn-plugins phi4 (sglang lacks a parser for it)"),
        ("vllm", "0.32.0", "kimi", "reasoning", "dyn-plugins kimi (vllm lacks a parser for it)"),
        ("sglang", "0.5.23", "deepseek_v3", "tool", "sglang deepseekv3"),
        ("sglang", "0.5.23", "deepseekv4", "tool", "sglang deepseekv4 (same name)"),
        ("sglang", "0.5.23", "granite", "reasoning", "dyn-plugins granite (sglang lacks a parser for it)"),
    ],
)
def test_cli_names_assume_snapshot(engine: str, version: str, name: str, kind: str, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--assume resolves against a known engine version's registry."""
    rc, out, _ = _run(["names", "--engine", engine, "--assume", version, "--json"], capsys)
    rows = {r["name"]: r for r in json.loads(out)[kind]}
    assert rc == 0 and rows[name][engine]["text"] == text


def test_cli_names_available_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--available FILE resolves against a captured registry (here vLLM 0.32 without deepseek_v4: ours serves it)."""
    reg = {k: [n for n in v if n != "deepseek_v4"] for k, v in REGISTRIES["vllm==0.32.0"].items()}
    path = tmp_path / "reg.json"
    path.write_text(json.dumps(reg), encoding="utf-8")
    rc, out, _ = _run(["names", "--engine", "vllm", "--available", str(path), "--json"], capsys)
    rows = {r["name"]: r for r in json.loads(out)["tool"]}
    assert rc == 0 and rows["deepseek-v4"]["vllm"]["text"].startswith("dyn-plugins deepseek_v4 (vllm lacks")


def _fake_vllm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tools: dict[str, tuple[str, str]], init: str) -> None:
    """A stand-in vLLM package on sys.path with literal parser registries (what the CLI reads without importing)."""
    pkg = tmp_path / "vllm"
    (pkg / "tool_parsers").mkdir(parents=True)
    (pkg / "reasoning").mkdir()
    (pkg / "__init__.py").write_text(init)
    (pkg / "tool_parsers" / "__init__.py").write_text(f"_TOOL_PARSERS_TO_REGISTER = {tools!r}\n")
    (pkg / "reasoning" / "__init__.py").write_text("_REASONING_PARSERS_TO_REGISTER = {'qwen3': ('a', 'B')}\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_cli_names_installed_engine_read_from_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An installed engine's registry is read from its package files (a fake vLLM here), without importing it."""
    _fake_vllm(tmp_path, monkeypatch, {"hermes": ("a", "B"), "glm47": ("c", "D")}, "raise ImportError('must not be imported')\n")
    rc, out, _ = _run(["names", "--engine", "vllm", "--json"], capsys)
    data = json.loads(out)
    rows = {r["name"]: r["vllm"] for r in data["tool"]}
    assert rc == 0 and data["engines"]["vllm"]["source"] == "package source"
    assert rows["hermes"]["status"] == "engine" and rows["glm47"]["text"] == "dyn-plugins glm47 (replaces vllm's own)"
    assert rows["phi4"] == {"text": "dyn-plugins phi4 (vllm lacks phi4_mini_json)", "status": "ours"}  # the engine lacks it: ours


def test_cli_doctor_without_engine_fails_with_fix(capsys: pytest.CaptureFixture[str]) -> None:
    """No engine here: doctor exits 1, says so and how to fix it; entry points and templates check out."""
    rc, out, _ = _run(["doctor"], capsys)
    assert rc == 1
    assert "[FAIL] no engine installed" in out and "fix: pip install vllm==0.33.0 or sglang==0.5.23 in this environment" in out
    assert "[ok]   entry point vllm.general_plugins: dyn_plugins = dyn_plugins.vllm.plugin:register" in out
    assert "[ok]   entry point sglang.srt.plugins: dyn_plugins = dyn_plugins.sglang.plugin:register" in out
    assert "7 chat templates installed" in out


def test_cli_doctor_plugin_filter_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """With an engine installed, VLLM_PLUGINS excluding dyn_plugins is reported with the fix."""
    _fake_vllm(tmp_path, monkeypatch, {"hermes": ("a", "B")}, "")
    monkeypatch.setenv("VLLM_PLUGINS", "other_plugin")
    rc, out, _ = _run(["doctor"], capsys)
    assert rc == 1
    assert "$VLLM_PLUGINS='other_plugin' filters out the dyn_plugins plugin" in out and "add dyn_plugins to VLLM_PLUGINS" in out
    assert "lacks the tool parsers for" in out  # this fake vLLM lacks e.g. phi4_mini_json that 0.32 has


def _fake_dist(tmp_path: Path, name: str, version: str) -> None:
    """Installed-distribution metadata for the fake engine (what importlib.metadata.version() reads)."""
    info = tmp_path / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


@pytest.mark.parametrize(
    ("version", "line"),
    [
        ("0.34.0", "[warn] vllm 0.34.0 is newer than the newest version dyn-plugins is tested with vllm 0.31.0 to 0.33.0"),
        ("0.33.1+cpu", "[warn] vllm 0.33.1+cpu is newer than the newest version dyn-plugins is tested with vllm 0.31.0 to 0.33.0"),
        ("0.30.0", "[warn] vllm 0.30.0 is older than every version dyn-plugins is tested with vllm 0.31.0 to 0.33.0"),
        ("0.33.0", "[ok]   vllm 0.33.0: dyn-plugins is tested with vllm 0.31.0 to 0.33.0"),
        ("0.32.0", "[ok]   vllm 0.32.0: dyn-plugins is tested with vllm 0.31.0 to 0.33.0"),
    ],
)
def test_cli_doctor_reports_untested_engine_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], version: str, line: str) -> None:
    """An engine newer (or older) than the tested range is a warning naming the range, never a failure."""
    _fake_vllm(tmp_path, monkeypatch, {n: ("a", "B") for n in N.ENGINE_REGISTRIES[("vllm", "0.33.0")]["tool"]}, "")
    _fake_dist(tmp_path, "vllm", version)
    rc, out, _ = _run(["doctor"], capsys)
    assert line in out
    assert ("newer than the newest" in out) == version.startswith(("0.34", "0.33.1"))
    assert "[FAIL]" not in out.split("entry point")[0]  # the version check itself never fails


def test_cli_template_prints_installed_path(capsys: pytest.CaptureFixture[str]) -> None:
    """template NAME prints a path that exists; no NAME lists all seven."""
    rc, out, _ = _run(["template", "nemotron_deci"], capsys)
    assert rc == 0 and Path(out.strip()).is_file() and out.strip().endswith("nemotron_deci.jinja")
    rc, out, _ = _run(["template"], capsys)
    assert rc == 0 and all(n in out for n in ("default", "jamba", "glm47", "deepseek_v3_1", "deepseek_v3_2", "harmony"))


def test_cli_template_unknown_lists_templates(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _run(["template", "llama4"], capsys)
    assert rc == 2 and "templates: default, nemotron_deci" in err


@pytest.mark.parametrize("engine, script", [("vllm", "scripts/venv_vllm.sh"), ("sglang", "scripts/venv_sglang.sh")])
def test_cli_demo_without_engine_names_the_venv_script(engine: str, script: str, capsys: pytest.CaptureFixture[str]) -> None:
    """demo on a machine without the engine: exit 2 and point at the script that makes the venv."""
    rc, _, err = _run(["demo", "--engine", engine], capsys)
    assert rc == 2 and script in err and "not installed" in err


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_cli_help_for_each_subcommand(sub: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every subcommand has --help."""
    with pytest.raises(SystemExit) as exc:
        main([sub, "--help"])
    assert exc.value.code == 0 and f"usage: dyn-plugins {sub}" in capsys.readouterr().out


def test_cli_console_script_installed() -> None:
    """The `dyn-plugins` console script of the installed wheel runs (the entry point users type)."""
    exe = Path(sys.executable).with_name("dyn-plugins")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60, env={**os.environ})
    assert proc.returncode == 0 and all(s in proc.stdout for s in SUBCOMMANDS)


def test_cli_import_does_not_import_engines() -> None:
    """Importing the CLI (and running `names`) never imports vllm, sglang or torch."""
    code = "import sys; from dyn_plugins.cli import main; main(['names', '--json']); print(sorted(m for m in ('vllm', 'sglang', 'torch') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip().splitlines()[-1] == "[]"
