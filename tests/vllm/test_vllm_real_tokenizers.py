"""Real model tokenizers through vLLM's real chat serving: DeepSeek (V3-era, V4) and Llama 3 (:mod:`real_tokenizers`).

For every (format, tokenizer) pair of :data:`real_tokenizers.catalog.PAIRS` whose format vLLM serves with our
parser (:data:`OURS`) and every recorded output of the
format (:func:`real_tokenizers.outputs.outputs`), the output's real token ids are replayed through vLLM's
``OpenAIServingChat`` with ``--tool-call-parser FORMAT`` (the tokenizer directory carries the format's chat
template): non-streamed and streamed (1 and 3 tokens per delta), with ``skip_special_tokens`` left to vLLM and our
parser's ``adjust_request``, and with nothing after the output or the model's stop token after it, delivered the
way vLLM delivers a stop it ended on (the id, not its text). The client's reassembled answer must be the core's
one-shot parse of the recorded text (where live delivery legitimately ends differently, what the fixtures say it
gives: :attr:`Output.live`).

The model directory's ``config.json`` says ``model_type: llama``: transformers 5 then loads ``tokenizer.json`` as
it is (for ``qwen2`` it builds ``Qwen2Tokenizer``, which replaces the pre-tokenizer).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from dyn_plugins.formats import get_format
from dyn_plugins.replay.vllm_serving import ChatResult, Script, make_serving_chat, run_chat
from dyn_plugins.samples import TOOLS
from real_tokenizers.catalog import PAIRS, TOKENIZERS, directory, load
from real_tokenizers.hf_dir import tiny_llama_config
from real_tokenizers.outputs import Output, outputs

pytestmark = pytest.mark.vllm

#: the formats whose vLLM parser is ours (vLLM's own deepseek_v4 parser serves that name there)
OURS = ("deepseek_v3_1", "deepseek_v3_2", "nemotron_deci", "default", "jamba")
SERVED = [(fmt, tok) for fmt, tok in PAIRS if fmt in OURS]
DELIVERIES: dict[str, tuple[bool, tuple[int, ...]]] = {"non-stream": (False, (1,)), "stream-1": (True, (1,)), "stream-3": (True, (3,))}
#: what follows the recorded output: nothing, or the tokenizer's first stop token (trimmed by the engine)
ENDINGS = ("no-stop", "stop-trimmed")


def _cases() -> list[Any]:
    return [
        pytest.param(fmt, tok, out, delivery, end, id=f"{fmt}-{tok}-{out.id}-{delivery}-{end}")
        for fmt, tok in SERVED
        for out in outputs(fmt)
        for delivery in DELIVERIES
        for end in ENDINGS
    ]


CASES = _cases()


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``serving(tok, fmt)`` -> (OpenAIServingChat, ScriptedEngine) on that tokenizer's directory, cached."""
    cache: dict[tuple[str, str], Any] = {}

    def get(tok: str, fmt: str) -> Any:
        if (tok, fmt) not in cache:
            model = tmp_path_factory.mktemp(f"{tok}-{fmt}")
            for f in directory(tok, fmt).iterdir():
                shutil.copy(f, model / f.name)
            (model / "config.json").write_text(json.dumps(tiny_llama_config(len(load(tok, fmt)))))
            cache[(tok, fmt)] = make_serving_chat(model, fmt)
        return cache[(tok, fmt)]

    return get


def _args(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def client_view(result: ChatResult) -> tuple[str, list[dict[str, Any]]]:
    """Content (whitespace-only counts as none) and calls with parsed arguments."""
    text = result.content if result.content and result.content.strip() else ""
    return text, [{"name": c["name"], "arguments": _args(c["arguments"])} for c in result.tool_calls]


def request_tools(out: Output) -> list[dict[str, Any]]:
    """The output's tools, or the samples' for records that have none (vLLM parses calls only for requests with tools)."""
    return out.tools or TOOLS


def expected(out: Output, stream: bool) -> tuple[str, list[dict[str, Any]]]:
    """The core's one-shot parse of the recorded text (with the request's tools); streamed, the fixtures' live
    result where they give one."""
    if stream and out.live is not None:
        normal, calls = out.live
        return (normal if normal.strip() else "", calls)
    result = get_format(out.format).parse(out.text, request_tools(out))
    text = result.normal_text if result.normal_text.strip() else ""
    return text, [{"name": c.name, "arguments": _args(c.arguments)} for c in result.calls]


def script(tok: str, fmt: str, out: Output, delivery: str, end: str) -> Script:
    tokenizer = load(tok, fmt)
    ids = list(tokenizer.encode(out.text, add_special_tokens=False))
    if end == "stop-trimmed":
        ids.append(tokenizer.convert_tokens_to_ids(TOKENIZERS[tok].stop_tokens[0]))
    return Script(ids, DELIVERIES[delivery][1], trim_stop=end == "stop-trimmed")


@pytest.mark.parametrize(("fmt", "tok", "out", "delivery", "end"), CASES)
def test_real_tokens_through_vllm_match_the_one_shot_parse(serving: Any, fmt: str, tok: str, out: Output, delivery: str, end: str) -> None:
    chat, engine = serving(tok, fmt)
    stream = DELIVERIES[delivery][0]
    result = run_chat(chat, engine, script(tok, fmt, out, delivery, end), stream=stream, tools=request_tools(out))
    assert client_view(result) == expected(out, stream)


#: (tokenizer, format) -> the skip_special_tokens vLLM samples with for a request with tools that leaves it unset:
#: False only where the format's markers are special tokens of that tokenizer (Llama 3's <|python_tag|> for
#: default); DeepSeek's markers are added but not special, so the default (True) keeps them anyway
SKIP_SPECIAL = {
    ("deepseek_v3", "deepseek_v3_1"): True,
    ("deepseek_v3", "deepseek_v3_2"): True,
    ("deepseek_v4", "deepseek_v3_2"): True,
    ("llama3", "nemotron_deci"): True,
    ("llama3", "default"): False,
    ("llama3", "jamba"): True,
}


EXPLICIT_SKIP = [
    pytest.param(fmt, tok, out, delivery, id=f"{fmt}-{tok}-{out.id}-{delivery}")
    for fmt, tok in SERVED
    for out in outputs(fmt)
    for delivery in ("non-stream", "stream-1")
]


@pytest.mark.parametrize(("fmt", "tok", "out", "delivery"), EXPLICIT_SKIP)
def test_client_asking_skip_special_tokens(serving: Any, fmt: str, tok: str, out: Output, delivery: str) -> None:
    """A client that sends ``skip_special_tokens: true``: markers that are added-but-not-special tokens (DeepSeek)
    survive it, special ones (Llama 3's ``<|python_tag|>``) are kept by our ``adjust_request``."""
    chat, engine = serving(tok, fmt)
    stream = DELIVERIES[delivery][0]
    result = run_chat(chat, engine, script(tok, fmt, out, delivery, "stop-trimmed"), stream=stream,
                      tools=request_tools(out), skip_special_tokens=True)
    assert client_view(result) == expected(out, stream)


@pytest.mark.parametrize(("fmt", "tok"), SERVED)
def test_served_by_our_parser(serving: Any, fmt: str, tok: str) -> None:
    chat, _ = serving(tok, fmt)
    assert chat.parser_cls.tool_parser_cls.__module__ == "dyn_plugins.vllm.parser"


@pytest.mark.parametrize(("fmt", "tok"), SERVED)
def test_skip_special_tokens_as_resolved(serving: Any, fmt: str, tok: str) -> None:
    chat, engine = serving(tok, fmt)
    out = outputs(fmt)[0]
    run_chat(chat, engine, script(tok, fmt, out, "non-stream", "no-stop"), stream=False, tools=request_tools(out))
    assert engine.seen[-1].skip_special_tokens is SKIP_SPECIAL[(tok, fmt)]
