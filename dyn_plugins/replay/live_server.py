"""A real ``vllm serve`` on 127.0.0.1 with a dyn-plugins parser: start, wait (bounded), stop (process group).

Used by ``make run`` on a CPU-only machine (:mod:`dyn_plugins.replay.live_demo`) and by the live-server
tests. The server runs the tiny random model of :mod:`dyn_plugins.replay.cpu_model` with
``--enable-auto-tool-choice --tool-call-parser NAME --chat-template`` of the format's template.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from ..chat_templates import template_path

SERVED_NAME = "dyn-plugins/tiny-random"
#: Flags that let a random-weight Qwen2 run on vLLM's CPU backend quickly.
CPU_FLAGS = ("--dtype", "float32", "--enforce-eager", "--max-model-len", "2048")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command(model_dir: str | Path, parser: str, port: int, *extra: str) -> list[str]:
    """The ``vllm serve`` command line (through :mod:`dyn_plugins.vllm.launch`) for format ``parser``."""
    return [
        sys.executable, "-m", "dyn_plugins.vllm.launch", "serve", str(model_dir),
        "--served-model-name", SERVED_NAME, "--host", "127.0.0.1", "--port", str(port),
        "--enable-auto-tool-choice", "--tool-call-parser", parser, "--chat-template", str(template_path(parser)),
        *CPU_FLAGS, *extra,
    ]  # fmt: skip


class LiveServer:
    """One ``vllm serve`` process in its own session; ``with LiveServer(...) as s: s.base_url``."""

    def __init__(self, model_dir: str | Path, parser: str, *, log: str | Path, startup_timeout: float = 300, extra: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.cmd = serve_command(model_dir, parser, self.port, *extra)
        self.log_path = Path(log)
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> LiveServer:
        env = dict(os.environ)
        env.setdefault("VLLM_TARGET_DEVICE", "cpu")
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("TRANSFORMERS_OFFLINE", "1")
        env.setdefault("VLLM_NO_USAGE_STATS", "1")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://127.0.0.1:{self.port}/health"
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"vllm serve exited with {self.proc.returncode}; log: {self.log_path}\n{self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        self.stop()
        raise TimeoutError(f"vllm serve not ready after {self.startup_timeout} s; log: {self.log_path}\n{self.tail()}")

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        """TERM the process group, KILL it after 15 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
