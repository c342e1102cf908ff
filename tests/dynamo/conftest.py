"""Session set-up for the Dynamo end-to-end tests (run in .venv-dynamo-vllm or .venv-dynamo-sglang).

The engine the venv serves comes from ``DYN_E2E_ENGINE`` (set by scripts/test_dynamo.sh) or, if unset, from
which engine is installed. The tiny model directory and the replay table are built once per session.
"""

from __future__ import annotations

import importlib.util
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

import long_call
from dynamo_cases import ENGINE, HANDWRITTEN_OUTPUTS


@pytest.fixture(scope="session")
def engine() -> str:
    assert ENGINE in ("vllm", "sglang"), "run in .venv-dynamo-vllm or .venv-dynamo-sglang (scripts/test_dynamo.sh)"
    assert importlib.util.find_spec("dynamo") is not None, "ai-dynamo is not installed in this venv"
    return ENGINE


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dyn_plugins.replay.dynamo_worker import build_model_dir

    return build_model_dir(tmp_path_factory.mktemp("replay-model"))


@pytest.fixture(scope="session")
def replay_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replay") / "outputs.json"
    long_calls = {f"long/{fmt}": out for fmt, (out, _) in long_call.WIRE.items()}  # issue 11's long call
    path.write_text(json.dumps({**HANDWRITTEN_OUTPUTS, **long_calls}), encoding="utf-8")
    return path


@pytest.fixture(scope="session", autouse=True)
def sigterm_runs_teardown() -> Iterator[None]:
    """SIGTERM (scripts/test_dynamo.sh's time limit) becomes KeyboardInterrupt, so fixture teardown still stops
    every frontend and worker process group instead of leaving them running."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    yield
    signal.signal(signal.SIGTERM, previous)
