"""`dyn-plugins triage` on saved request/response pairs, one per verdict, and against a live local server.

Why: the "Troubleshooting Tool Calls" recipe is only useful if it tells model, parser-configuration and
parser problems apart from the logprobs alone, including tokens that split multi-byte UTF-8 characters.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from dyn_plugins.cli import main
from dyn_plugins.triage import rebuild_raw, triage

DATA = Path(__file__).parent / "data" / "triage"
CASES = sorted(DATA.glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_triage_verdict(path: Path) -> None:
    """Each saved pair gets its hand-assigned verdict and the evidence for it."""
    case = _load(path)
    report = triage(case["request"], case["response"], case["parser"])
    exp = case["expected"]
    assert report.verdict == exp["verdict"], report.summary
    if "raw_output" in exp:
        assert report.raw_output == exp["raw_output"]
    if "suggestion_contains" in exp:
        assert exp["suggestion_contains"] in (report.suggestion or "")
    for marker in exp.get("leaks_include", []):
        assert marker in report.leaks
    if "notes_contain" in exp:
        assert any(exp["notes_contain"] in n for n in report.notes), report.notes
    for piece in exp.get("diff_contains", []):
        assert any(piece in line for line in report.diff), report.diff


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_triage_cli_exit_code_and_json(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command prints the same verdict as JSON and exits 0 only when consistent."""
    case = _load(path)
    req, resp = tmp_path / "req.json", tmp_path / "resp.json"
    req.write_text(json.dumps(case["request"]), encoding="utf-8")
    resp.write_text(json.dumps(case["response"]), encoding="utf-8")
    rc = main(["triage", "--request", str(req), "--response", str(resp), "--parser", case["parser"], "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == case["expected"]["verdict"]
    assert rc == (0 if case["expected"]["verdict"] == "ok" else 1)


def test_triage_text_report_names_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The human report leads with the verdict and prints the flag to use."""
    case = _load(DATA / "config_jamba_output_nemotron_parser.json")
    req, resp = tmp_path / "req.json", tmp_path / "resp.json"
    req.write_text(json.dumps(case["request"]), encoding="utf-8")
    resp.write_text(json.dumps(case["response"]), encoding="utf-8")
    main(["triage", "--request", str(req), "--response", str(resp), "--parser", "nemotron_deci"])
    out = capsys.readouterr().out
    assert out.startswith("VERDICT: parser configuration issue")
    assert "fix: --tool-call-parser jamba" in out


@pytest.mark.parametrize(
    "entries, text",
    [
        ([{"token": "Z", "bytes": [90]}, {"token": "\ufffd", "bytes": [195]}, {"token": "\ufffdrich", "bytes": [188, 114, 105, 99, 104]}], "Zürich"),
        ([{"token": "Z", "bytes": None}, {"token": "bytes:\\xc3", "bytes": None}, {"token": "bytes:\\xbc", "bytes": None}, {"token": "rich"}], "Zürich"),
        ([{"token": "<｜tool▁sep｜>", "bytes": list("<｜tool▁sep｜>".encode())}], "<｜tool▁sep｜>"),
    ],
    ids=["bytes-split-2-byte-char", "bytes-escape-tokens", "whole-special-token"],
)
def test_triage_rebuild_raw_joins_split_utf8(entries: list[dict[str, Any]], text: str) -> None:
    """A character split over tokens comes back whole from bytes (or bytes:\\xNN tokens)."""
    assert rebuild_raw(entries).text == text


def test_triage_rebuild_raw_decodes_token_ids() -> None:
    """token_id:N tokens (no bytes, e.g. return_tokens_as_token_ids) are decoded together through a tokenizer."""
    vocab = {1: "Zü".encode(), 2: b"rich"}
    raw = rebuild_raw([{"token": "token_id:1"}, {"token": "token_id:2"}], lambda ids: b"".join(vocab[i] for i in ids))
    assert (raw.text, raw.from_ids) == ("Zürich", 2)


def test_triage_rebuild_raw_prefers_token_ids_over_empty_bytes() -> None:
    """vLLM reports a token that is part of a UTF-8 character with empty ``bytes`` (seen on a real server):
    decoded together with its neighbours the server's text comes back, U+FFFD included."""
    vocab = {1: b"a", 2: b"\xe2", 3: b"b"}
    entries = [{"token": f"token_id:{i}", "bytes": list(vocab[i]) if i != 2 else []} for i in (1, 2, 3)]
    decode = lambda ids: b"".join(vocab[i] for i in ids).decode("utf-8", "replace").encode()  # noqa: E731
    raw = rebuild_raw(entries, decode)
    assert (raw.text, raw.from_ids, raw.from_bytes) == ("a\ufffdb", 3, 0)


class _Server:
    """A tiny OpenAI-compatible endpoint on 127.0.0.1 answering one saved response and recording requests."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"path": self.path, "body": json.loads(body)})
                data = json.dumps(response).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture
def server() -> Iterator[_Server]:
    case = _load(DATA / "parser_nemotron_leak.json")
    srv = _Server(case["response"])
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def test_triage_url_sends_request_with_logprobs(server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--url posts the saved request with logprobs on and streaming off, saves the answer and triages it."""
    case = _load(DATA / "parser_nemotron_leak.json")
    req = tmp_path / "req.json"
    req.write_text(json.dumps({**case["request"], "stream": True}), encoding="utf-8")
    saved = tmp_path / "resp.json"
    rc = main(["triage", "--request", str(req), "--url", server.url, "--parser", "nemotron_deci", "--save", str(saved), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert (rc, out["verdict"]) == (1, "parser")
    sent = server.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert (sent["body"]["logprobs"], sent["body"]["stream"], sent["body"]["tools"]) == (True, False, case["request"]["tools"])
    assert "return_tokens_as_token_ids" not in sent["body"]  # asked for only with --tokenizer (to decode them)
    assert json.loads(saved.read_text(encoding="utf-8")) == case["response"]


def test_triage_url_unreachable_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A server that is not there gives a one-line error and exit 2, not a traceback."""
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"messages": []}), encoding="utf-8")
    assert main(["triage", "--request", str(req), "--url", "http://127.0.0.1:9", "--timeout", "2"]) == 2
    assert "request to http://127.0.0.1:9 failed" in capsys.readouterr().err
