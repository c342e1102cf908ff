"""Fixtures for the vLLM adapter tests (run in .venv-vllm-X.Y against the installed wheel; no GPU, no network)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Local model directory: tokenizer with every format's markers as special tokens, tiny qwen2 config."""
    from dyn_plugins.replay.vllm_serving import build_model_dir

    return build_model_dir(tmp_path_factory.mktemp("vllm-model"))


@pytest.fixture(scope="session")
def serving(model_dir: Path) -> Any:
    """``serving(name)`` -> (OpenAIServingChat, ScriptedEngine) configured with ``--tool-call-parser name`` (cached)."""
    from dyn_plugins.replay.vllm_serving import make_serving_chat

    cache: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in cache:
            cache[name] = make_serving_chat(model_dir, name)
        return cache[name]

    return get
