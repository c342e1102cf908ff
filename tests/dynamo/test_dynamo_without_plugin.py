"""The same deployment with this package UNINSTALLED from the venv (pip uninstall for this module, reinstalled
from the built wheel afterwards): today's failures of Dynamo 1.6.1's fallback path, which the plugin fixes.

- vLLM: a model whose Dynamo parser name vLLM does not have is never brought up (``KeyError: Tool parser 'X'
  not found`` at model set-up, retried forever in the frontend log): absent from /v1/models, chat -> 404.
- SGLang: every model is listed, but a chat request with tools answers HTTP 500 (``Unsupported
  tool_call_parser``) unless SGLang happens to know the name.

The replay workers still need this package's code: they get the unpacked wheel on PYTHONPATH; the frontend
process (the system under test) gets nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dyn_plugins.samples import TOOLS
from dynamo_cases import ENGINE, SGLANG_OK_WITHOUT_PLUGIN, VLLM_SERVED_WITHOUT_PLUGIN, model_id, names
from dynamo_stack import Response, Stack, Worker

pytestmark = pytest.mark.dynamo

ROOT = Path(__file__).resolve().parents[2]
ENGINE_NAMES = names(ENGINE)


def _wheel() -> Path:
    env = os.environ.get("DYN_E2E_WHEEL")
    found = [Path(env)] if env else sorted((ROOT / "dist").glob("dyn_plugins-*.whl"))
    assert found and found[-1].is_file(), "no built wheel: run scripts/test_dynamo.sh (or set DYN_E2E_WHEEL)"
    return found[-1]


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], check=True, timeout=300)


@pytest.fixture(scope="module")
def bare(engine: str, model_dir: Path, replay_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Frontend + workers with dyn-plugins uninstalled from the venv; the wheel is reinstalled at the end."""
    wheel = _wheel()
    workdir = tmp_path_factory.mktemp("dynamo-without")
    unpacked = workdir / "worker-code"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(unpacked)
    (unpacked / "dyn_plugins.pth").unlink(missing_ok=True)
    st = Stack(python=sys.executable, engine=engine, workdir=workdir, model_dir=model_dir, replay_file=replay_file, worker_pythonpath=str(unpacked))
    _pip("uninstall", "-y", "dyn-plugins")
    try:
        # cwd outside the repo: `python -c` puts the cwd first on sys.path (the source tree would be found).
        probe = subprocess.run([sys.executable, "-c", "import dyn_plugins"], capture_output=True, timeout=60, cwd=workdir)
        assert probe.returncode != 0, "dyn_plugins still importable after pip uninstall"
        st.start([Worker(model_id(n), n) for n in ENGINE_NAMES])
        st.wait_http()
        yield st
    finally:
        st.stop()
        _pip("install", "--no-deps", "--force-reinstall", str(wheel))


@pytest.fixture(scope="module")
def settled(bare: Stack, engine: str) -> Stack:
    """Wait until every model is either listed or has failed set-up at least once (vLLM: KeyError in the log)."""
    if engine == "vllm":
        missing = [n for n in ENGINE_NAMES if n not in VLLM_SERVED_WITHOUT_PLUGIN]
        bare.wait_for(lambda: {model_id(n) for n in VLLM_SERVED_WITHOUT_PLUGIN} <= bare.models(), "served models")
        log = bare.log_text
        bare.wait_for(lambda: all(f"Tool parser '{n}' not found" in log() for n in missing), "KeyError for every name")
    else:
        bare.wait_for(lambda: {model_id(n) for n in ENGINE_NAMES} <= bare.models(), "all models")
    return bare


def _chat(stack: Stack, name: str, with_tools: bool) -> Response:
    extra: dict[str, Any] = {"tools": TOOLS} if with_tools else {}
    messages = [{"role": "user", "content": f"What is the weather in Paris? replay:{name}/single"}]
    return stack.chat(model_id(name), messages, **extra)


def _works_without_plugin(name: str) -> bool:
    """The engine happens to have a parser under this Dynamo name (with its own behaviour)."""
    return name in (VLLM_SERVED_WITHOUT_PLUGIN if ENGINE == "vllm" else SGLANG_OK_WITHOUT_PLUGIN)


def test_models_listed_without_plugin(settled: Stack) -> None:
    """vLLM never brings up a model whose Dynamo name it lacks (set-up KeyError, retried); SGLang lists them all."""
    listed = {n for n in ENGINE_NAMES if model_id(n) in settled.models()}
    expected = set(VLLM_SERVED_WITHOUT_PLUGIN) if ENGINE == "vllm" else set(ENGINE_NAMES)
    assert listed == expected


@pytest.mark.parametrize("name", ENGINE_NAMES)
def test_chat_with_tools_without_plugin(settled: Stack, name: str) -> None:
    """Chat with tools: vLLM 404 "Model not found" (never came up), SGLang 500 (Unsupported tool_call_parser)."""
    r = _chat(settled, name, with_tools=True)
    if _works_without_plugin(name):
        assert r.status == 200, r.body[:300]
    elif ENGINE == "vllm":
        assert r.status == 404 and b"Model not found" in r.body, r.body[:300]
    else:
        assert r.status == 500, r.body[:300]
        assert f"Unsupported tool_call_parser: {name}" in settled.log_text()


def test_chat_without_tools_without_plugin(settled: Stack) -> None:
    """Without tools: vLLM still 404 (the failure is at model set-up); SGLang 200 (it fails per request, at the
    tool parser lookup, and builds no parser without tools)."""
    expected = 404 if ENGINE == "vllm" else 200
    assert _chat(settled, "nemotron_deci", with_tools=False).status == expected
