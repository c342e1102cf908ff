"""``vllm serve``'s real argument parsing and validation with Dynamo parser names (no model load).

The parser and the checks come from wherever this vLLM keeps them (``compat.serve_arg_parser``: 0.33 moved them
to ``vllm.entrypoints.common.cli_args``)."""

from __future__ import annotations

import os

import pytest

from dyn_plugins import names

pytestmark = pytest.mark.vllm

NAMES = list(names.all_names("tool"))


@pytest.fixture(scope="module")
def serve_parser():  # type: ignore[no-untyped-def]
    """vllm serve's parser, built as `vllm serve` builds it (this loads the general plugins)."""
    os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
    from dyn_plugins.vllm import compat

    return compat.serve_arg_parser()


def _validate(serve_parser, name: str, model_dir) -> None:  # type: ignore[no-untyped-def]
    from dyn_plugins.vllm import compat

    args = serve_parser.parse_args([str(model_dir), "--enable-auto-tool-choice", "--tool-call-parser", name])
    compat.validate_serve_args(args)


@pytest.mark.parametrize("name", NAMES)
def test_serve_accepts_dynamo_name(serve_parser, model_dir, name: str) -> None:  # type: ignore[no-untyped-def]
    """--enable-auto-tool-choice --tool-call-parser NAME passes vLLM's own validation for every Dynamo name."""
    _validate(serve_parser, name, model_dir)


def test_serve_rejects_unknown_name(serve_parser, model_dir) -> None:  # type: ignore[no-untyped-def]
    """An unknown name still fails with vLLM's own error, which lists our names among the choices."""
    with pytest.raises(KeyError, match="invalid tool call parser: no_such_parser") as info:
        _validate(serve_parser, "no_such_parser", model_dir)
    assert "nemotron_deci" in str(info.value)


def test_dyn_plugins_demo_is_consistent() -> None:
    """``dyn-plugins demo --engine vllm`` (the installed console script, every format and scenario through vLLM's real
    serving code) reports every answer consistent: streamed equals non-streamed, or, for an output cut at
    max_tokens, the core's live stream (the announced call stays)."""
    import subprocess
    import sys
    from pathlib import Path

    cli = Path(sys.executable).with_name("dyn-plugins")
    env = {**os.environ, "VLLM_TARGET_DEVICE": "cpu", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([str(cli), "demo", "--engine", "vllm"], capture_output=True, text=True, env=env, timeout=600, cwd="/")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "all responses consistent" in done.stdout and "DIFFERS" not in done.stdout
