"""Process management for the Dynamo end-to-end tests: one frontend, one replay worker per parser name.

Everything listens on 127.0.0.1 (free ports picked by the OS), discovery is Dynamo's file backend in a private
directory, every wait is bounded, and :meth:`Stack.stop` kills whole process groups.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

START_TIMEOUT_S = float(os.environ.get("DYN_E2E_START_TIMEOUT", "240"))
REQUEST_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, payload: dict[str, Any] | None = None, timeout: float = REQUEST_TIMEOUT_S) -> Response:
    """One HTTP request; HTTP errors come back as a Response (status + body), never raise."""
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read())


def sse_events(body: bytes) -> list[dict[str, Any]]:
    """The JSON payloads of an SSE body (``data: {...}`` lines), ``[DONE]`` excluded."""
    out: list[dict[str, Any]] = []
    for line in body.decode("utf-8").splitlines():
        if line.startswith("data:"):
            data = line[5:].strip()
            if data and data != "[DONE]":
                out.append(json.loads(data))
    return out


def merge_stream(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Fold chat.completion.chunk deltas into one message: content, reasoning, tool_calls, finish_reason."""
    content, reasoning, finish = "", "", None
    calls: dict[int, dict[str, Any]] = {}
    for ev in events:
        for choice in ev.get("choices", []):
            delta = choice.get("delta") or {}
            content += delta.get("content") or ""
            reasoning += delta.get("reasoning_content") or delta.get("reasoning") or ""
            for tc in delta.get("tool_calls") or []:
                slot = calls.setdefault(tc.get("index", len(calls)), {"name": "", "arguments": ""})
                fn = tc.get("function") or {}
                slot["name"] += fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
    return {
        "content": content,
        "reasoning": reasoning,
        "tool_calls": [calls[i] for i in sorted(calls)],
        "finish_reason": finish,
    }


@dataclass
class Worker:
    model: str
    tool_parser: str | None
    reasoning_parser: str | None = None


@dataclass
class Stack:
    """A Dynamo frontend (``--dyn-chat-processor ENGINE``, or Dynamo's native path with ``engine=""``) and replay
    workers, in one venv's Python."""

    python: str
    engine: str
    workdir: Path
    model_dir: Path
    replay_file: Path
    worker_pythonpath: str | None = None
    frontend_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: dict[str, Path] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self, extra: dict[str, str] | None = None, pythonpath: str | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DYN_", "VLLM_PLUGINS", "SGLANG_PLUGINS", "PYTHONPATH"))}
        env.update(
            DYN_FILE_KV=str(self.workdir / "discovery"),
            DYN_LOG="info",
            VLLM_TARGET_DEVICE="cpu",
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
            # Dynamo's TCP request/response planes and metrics: local only.
            DYN_TCP_RPC_HOST="127.0.0.1",
            DYN_TCP_RESPONSE_STREAM_HOST="127.0.0.1",
            DYN_EVENT_PLANE_HOST="127.0.0.1",
        )
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        env.update(extra or {})
        return env

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        fh = open(log, "wb")  # noqa: SIM115 - closed with the process
        self.procs.append(subprocess.Popen(argv, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=self.workdir, start_new_session=True))

    def start(self, workers: list[Worker]) -> None:
        atexit.register(self.stop)  # a safety net: the fixtures stop the stack in a finally
        (self.workdir / "discovery").mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self._spawn(
            "frontend",
            [
                self.python, "-m", "dynamo.frontend",
                "--http-host", "127.0.0.1", "--http-port", str(self.port),
                "--discovery-backend", "file", *(["--dyn-chat-processor", self.engine] if self.engine else []),
            ],
            self._env(self.frontend_env),
        )
        for w in workers:
            argv = [
                self.python, "-m", "dyn_plugins.replay.dynamo_worker",
                "--model-dir", str(self.model_dir), "--served-model-name", w.model,
                "--component", f"replay-{abs(hash(w.model)) % 10**8}", "--discovery-backend", "file",
                "--replay-file", str(self.replay_file),
            ]
            if w.tool_parser:
                argv += ["--dyn-tool-call-parser", w.tool_parser]
            if w.reasoning_parser:
                argv += ["--dyn-reasoning-parser", w.reasoning_parser]
            self._spawn(f"worker-{w.model}", argv, self._env(pythonpath=self.worker_pythonpath))

    def wait_for(self, predicate: Callable[[], bool], what: str) -> None:
        """Poll ``predicate`` every second until it holds; raise (with the frontend log) when a process died or
        after ``START_TIMEOUT_S``."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not predicate():
            self.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not seen in {START_TIMEOUT_S:.0f}s\n{self.tail('frontend')}")
            time.sleep(1)

    def healthy(self) -> bool:
        try:
            return http("GET", self.base + "/health", timeout=5).status == 200
        except OSError:
            return False

    def wait_http(self) -> None:
        self.wait_for(self.healthy, "frontend /health")

    def models(self) -> set[str]:
        r = http("GET", self.base + "/v1/models", timeout=10)
        return {m["id"] for m in r.json().get("data", [])} if r.status == 200 else set()

    def wait_models(self, expected: set[str]) -> None:
        """Wait until every expected model is listed; at the deadline return anyway (the tests say what is missing)."""
        with contextlib.suppress(TimeoutError):
            self.wait_for(lambda: expected <= self.models(), "every model in /v1/models")

    def check_alive(self) -> None:
        for p, name in zip(self.procs, self.logs):
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode}\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 60) -> str:
        path = self.logs.get(name)
        if not path or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def log_text(self, name: str = "frontend") -> str:
        path = self.logs.get(name)
        return path.read_text(errors="replace") if path and path.exists() else ""

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=5)
        self.procs.clear()

    def chat(self, model: str, messages: list[dict[str, Any]], *, stream: bool = False, **extra: Any) -> Response:
        payload: dict[str, Any] = {"model": model, "messages": messages, "stream": stream, "temperature": 0, "max_tokens": 512}
        payload.update(extra)
        return http("POST", self.base + "/v1/chat/completions", payload)

