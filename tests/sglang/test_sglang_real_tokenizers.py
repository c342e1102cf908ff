"""SGLang's real ``OpenAIServingChat`` with real models' tokenizers: DeepSeek V3-era / V4 and Llama 3.

Every recorded output of a format (tests/real_tokenizers/outputs.py) is replayed through the harness
(dyn_plugins/replay/sglang_serving.py) over a model directory holding that family's real tokenizer and the
format's chat template, followed by the model's stop token, which SGLang stops on and trims (its own
detokenizer code decodes the tokens, with ``skip_special_tokens`` as SGLang resolves it for a request with
tools). Non-streaming and streaming at 1 and 3 tokens per step, both delivery modes: calls, content and
finish_reason equal the core's one-shot parse of the text (a live stream: what the fixtures say live delivery
gives where it differs).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dyn_plugins.formats import get_format
from dyn_plugins.samples import TOOLS
from stream_modes import mode  # noqa: F401  (a fixture: both delivery modes)

from real_tokenizers.catalog import PAIRS, TOKENIZERS, directory
from real_tokenizers.outputs import Output, outputs

pytestmark = pytest.mark.sglang

import sglang  # noqa: E402,F401  (the SGLang venv has it: a missing engine must fail, not skip)
from dyn_plugins.replay.sglang_serving import Replayer, Reply  # noqa: E402

#: the formats SGLang serves with our parsers under these names (deepseek_v4 is SGLang's own parser there)
SERVED = ("deepseek_v3_1", "deepseek_v3_2", "nemotron_deci", "default", "jamba")
CASES = [pytest.param(fmt, tok, out, id=f"{fmt}-{tok}-{out.id}") for fmt, tok in PAIRS if fmt in SERVED for out in outputs(fmt)]
#: (stream?, tokens per step)
DELIVERIES = ((False, 1), (True, 1), (True, 3))

_replayers: dict[tuple[str, str], Replayer] = {}


@pytest.fixture
def replayer_for(tmp_path_factory: pytest.TempPathFactory) -> Any:
    def get(tok: str, fmt: str) -> Replayer:
        if (tok, fmt) not in _replayers:
            work = tmp_path_factory.mktemp(f"sglang-{tok}-{fmt}")
            _replayers[(tok, fmt)] = Replayer(work, tokenizer_dir=directory(tok, fmt))
        return _replayers[(tok, fmt)]

    return get


def _args(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def client_view(content: str | None, calls: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Content (whitespace-only counts as none) and calls with parsed arguments."""
    text = content or ""
    return (text if text.strip() else "", [{"name": c["name"], "arguments": _args(c["arguments"])} for c in calls])


def request_tools(out: Output) -> list[dict[str, Any]]:
    """The record's tools; for a record without any (SGLang parses only when a request has tools), the samples'
    tools plus an open-schema tool for every name the core parse finds."""
    if out.tools:
        return out.tools
    names = {c.name for c in get_format(out.format).parse(out.text, None).calls} - {t["function"]["name"] for t in TOOLS}
    return TOOLS + [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in sorted(names)]


def expected(out: Output, stream: bool, mode: str) -> tuple[str, list[dict[str, Any]]]:
    if stream and mode == "live" and out.live is not None:
        return client_view(out.live[0], [{"name": c["name"], "arguments": json.dumps(c["arguments"])} for c in out.live[1]])
    parsed = get_format(out.format).parse(out.text, request_tools(out))
    return client_view(parsed.normal_text, [{"name": c.name, "arguments": c.arguments} for c in parsed.calls])


def reply_view(reply: Reply) -> tuple[str, list[dict[str, Any]]]:
    return client_view(reply.content, reply.tool_calls)


@pytest.mark.parametrize(("fmt", "tok", "out"), CASES)
def test_reply_matches_core_parse(replayer_for: Any, fmt: str, tok: str, out: Output, mode: str) -> None:
    """Each stop token of the model, trimmed by SGLang; non-stream and streamed at 1 and 3 tokens per step."""
    replayer = replayer_for(tok, fmt)
    bad = []
    for stop in TOKENIZERS[tok].stop_tokens:
        for stream, per in DELIVERIES:
            want = expected(out, stream, mode)
            reply = replayer.run(fmt, out.text, stream=stream, tools=request_tools(out), tokens_per_step=per, stop_token=stop)
            got = reply_view(reply)
            how = f"{stop} {'stream x' + str(per) if stream else 'full'}"
            if got != want:
                bad.append(f"{how}: {got} != {want}")
            elif reply.finish_reason != ("tool_calls" if got[1] else "stop"):
                bad.append(f"{how}: finish_reason {reply.finish_reason!r}")
    assert bad == []


@pytest.mark.parametrize(("fmt", "tok"), [(f, t) for f, t in PAIRS if f in SERVED])
def test_markers_reach_the_parser(replayer_for: Any, fmt: str, tok: str) -> None:
    """With tools SGLang resolves skip_special_tokens to False, and the stop token never reaches the client."""
    replayer = replayer_for(tok, fmt)
    out = outputs(fmt)[0]
    stop = TOKENIZERS[tok].stop_tokens[0]
    reply = replayer.run(fmt, out.text, stream=True, tools=request_tools(out), stop_token=stop)
    _, tm = replayer.chat(fmt)
    assert tm.last_request.sampling_params["skip_special_tokens"] is False
    assert stop not in (reply.content or "") and all(stop not in c["arguments"] for c in reply.tool_calls)


@pytest.mark.parametrize(("tok", "text", "ids"), [
    ("llama3", "Hello world<|python_tag|>", [9906, 1917, 128010]),
    ("deepseek_v3", "<｜tool▁calls▁begin｜>｜DSML｜", [128806, 28217, 10525, 7398, 28217]),
    ("deepseek_v4", "<｜tool▁calls▁begin｜>｜DSML｜", [128806, 128825]),
])
def test_engine_venv_tokenizes_as_the_real_model(replayer_for: Any, tok: str, text: str, ids: list[int]) -> None:
    """This venv's transformers loads the directory to the real ids (it warns about Llama 3's regex, wrongly)."""
    fmt = "default" if tok == "llama3" else "deepseek_v3_2"
    _, tm = replayer_for(tok, fmt).chat(fmt)
    assert tm.tokenizer.encode(text, add_special_tokens=False) == ids

