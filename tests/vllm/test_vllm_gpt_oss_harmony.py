"""gpt-oss's real tokenizer (o200k_harmony) through vLLM's real chat serving: our ``harmony`` parser against vLLM's
own Harmony path on the same token ids.

vLLM parses every output of a model whose ``model_type`` is ``gpt_oss`` with its ``HarmonyParser``
(``vllm/parser/harmony.py``: ``openai_harmony``'s token parser on the token ids), whatever ``--tool-call-parser``
says (it only has to be a ``GptOssToolParser``, which ours is). On any other model type ``--tool-call-parser
harmony`` is our text parser. So, for every recorded Harmony output (:func:`real_tokenizers.gpt_oss.harmony_outputs`):

* vLLM's path is the expectation: a ``gpt_oss`` model with vLLM's ``openai`` parser;
* our parser on the forced path (``gpt_oss`` model, ``--tool-call-parser harmony``) must give exactly that;
* our parser on its own (the same tokenizer, ``model_type`` llama) must give the same calls (name and parsed
  arguments), content and reasoning, non-streamed and streamed (1 and 3 tokens per delta), with and without
  vLLM's gpt-oss reasoning parser, with the output's final stop token (``<|call|>``, ``<|return|>``) kept
  and trimmed the way vLLM trims it (its id delivered, its text not: :attr:`Script.trim_stop`).

Streamed reasoning is compared with vLLM's reasoning-parser run: our parser always splits the analysis channel off
(it owns the whole Harmony format) and streams it as reasoning, where vLLM's stream without ``--reasoning-parser``
drops the analysis text. A non-streamed response on a model that is not gpt_oss has no reasoning: vLLM fills that
field from a reasoning parser only, and a tool parser's non-streaming call returns content and calls
(``ExtractedToolCallInformation``). On gpt_oss models (real gpt-oss) vLLM's HarmonyParser fills it, with our class too.
Where vLLM's Harmony path itself does something else for a documented reason (text outside any Harmony message,
malformed messages, ...), ``gpt_oss_harmony_deviations.json`` says which fields differ and why; the test checks
those fields still differ, so a stale entry fails too.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from dyn_plugins.replay.vllm_serving import ChatResult, Script, make_serving_chat, run_chat
from dyn_plugins.samples import TOOLS
from real_tokenizers import gpt_oss
from real_tokenizers.gpt_oss import HarmonyOutput, harmony_outputs

pytestmark = pytest.mark.vllm

OUTPUTS = harmony_outputs()
DELIVERIES: dict[str, tuple[bool, tuple[int, ...]]] = {"non-stream": (False, (1,)), "stream-1": (True, (1,)), "stream-3": (True, (3,))}
REASONING = {"no-reasoning-parser": "", "reasoning-parser": "openai_gptoss"}
#: where vLLM's own Harmony path does something else for a documented reason: output id, the fields that differ,
#: optionally only for some deliveries / endings, and why
DEVIATIONS: list[dict[str, Any]] = json.loads(Path(__file__).with_name("gpt_oss_harmony_deviations.json").read_text())

#: strings whose o200k_harmony ids the Hugging Face tokenizer must reproduce (plus every recorded output)
ID_STRINGS = [
    "Hello, world! It's 23°C in Zürich — ☀️ 🌍 日本語のテキスト",
    "  leading spaces\n\n\ttabs and 1234567 digits\r\nCRLF",
    "don't WE'LL I'M they've",
]
#: Harmony's special tokens and their ids in o200k_harmony (openai_harmony's encoding must agree)
SPECIAL_IDS = {
    "<|return|>": 200002, "<|constrain|>": 200003, "<|channel|>": 200005, "<|start|>": 200006, "<|end|>": 200007,
    "<|message|>": 200008, "<|call|>": 200012, "<|endoftext|>": 199999, "<|startoftext|>": 199998,
}


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The gpt-oss tokenizer directory twice: ``model_type`` gpt_oss (vLLM's Harmony path) and llama (ours)."""
    root = tmp_path_factory.mktemp("gpt-oss")
    return {kind: gpt_oss.build_tokenizer_dir(root / kind, model_type=kind) for kind in ("gpt_oss", "llama")}


@pytest.fixture(scope="module")
def serving(model_dirs: dict[str, Path]) -> Any:
    """``serving(model_type, tool_parser, reasoning_parser)`` -> (OpenAIServingChat, ScriptedEngine), cached."""
    cache: dict[tuple[str, str, str], Any] = {}

    def get(kind: str, tool_parser: str, reasoning: str) -> Any:
        key = (kind, tool_parser, reasoning)
        if key not in cache:
            cache[key] = make_serving_chat(model_dirs[kind], tool_parser, reasoning_parser=reasoning)
        return cache[key]

    return get


@lru_cache(maxsize=1)
def encoding() -> Any:
    return gpt_oss.harmony_encoding()


def token_ids(text: str) -> list[int]:
    """The ids a gpt-oss model emits for ``text`` (openai_harmony's encoding, markers as special tokens)."""
    return list(encoding().encode(text, allowed_special="all"))


def outcome(result: ChatResult) -> dict[str, Any]:
    """What a client reads: calls (name, parsed arguments; raw text if not JSON), content, reasoning."""
    calls = []
    for call in result.tool_calls:
        try:
            args: Any = json.loads(call["arguments"])
        except ValueError:
            args = {"<raw>": call["arguments"]}
        calls.append({"name": call["name"], "arguments": args})
    return {"calls": calls, "content": result.content, "reasoning": result.reasoning}


_results: dict[tuple[Any, ...], dict[str, Any] | str] = {}


def replay(serving: Any, kind: str, tool_parser: str, reasoning: str, out: HarmonyOutput, delivery: str, trim: bool) -> dict[str, Any] | str:
    """The client's view of one request (cached), or the error vLLM answered with."""
    key = (kind, tool_parser, reasoning, out.id, delivery, trim)
    if key not in _results:
        chat, engine = serving(kind, tool_parser, reasoning)
        stream, sizes = DELIVERIES[delivery]
        script = Script(out.ids(token_ids), sizes, trim_stop=trim)
        try:
            _results[key] = outcome(run_chat(chat, engine, script, stream=stream, tools=TOOLS))
        except Exception as exc:  # noqa: BLE001 - an error response is an outcome to compare
            _results[key] = f"error: {exc!r}"[:300]
    return _results[key]


def _cases() -> list[Any]:
    out = []
    for o in OUTPUTS:
        endings = [False, True] if o.ends_on_stop(token_ids) else [False]
        for trim in endings:
            for delivery in DELIVERIES:
                for rname in REASONING:
                    out.append(pytest.param(o, delivery, rname, trim, id=f"{o.id}-{delivery}-{rname}-{ending(trim)}"))
    return out


def ending(trim: bool) -> str:
    return "stop-trimmed" if trim else "as-recorded"


CASES = _cases()
#: vLLM's gpt-oss reasoning parser only marks where reasoning ends (HarmonyParser does the parsing): a non-streamed
#: response on a model that is not gpt_oss is refused (test_gptoss_reasoning_parser_needs_harmony_parser)
NATIVE_CASES = [p for p in CASES if not (p.values[1] == "non-stream" and p.values[2] == "reasoning-parser")]


def differing_fields(out: HarmonyOutput, delivery: str, trim: bool) -> dict[str, str]:
    """field -> why, for the documented deviations that apply to this output and delivery."""
    found: dict[str, str] = {}
    for d in DEVIATIONS:
        if d["name"] == out.id and delivery in d.get("deliveries", DELIVERIES) and ending(trim) in d.get("endings", ("as-recorded", "stop-trimmed")):
            found.update(dict.fromkeys(d["fields"], d["why"]))
    return found


def test_o200k_base_file_is_the_public_one() -> None:
    """The file rebuilt from quicktok's vocabulary is byte for byte tiktoken's o200k_base.tiktoken."""
    path = gpt_oss.encodings_dir() / "o200k_base.tiktoken"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == gpt_oss.O200K_BASE_SHA256


@pytest.mark.parametrize(("token", "expected"), list(SPECIAL_IDS.items()))
def test_special_token_ids(model_dirs: dict[str, Path], token: str, expected: int) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dirs["gpt_oss"]), local_files_only=True)
    assert token_ids(token) == [expected]
    assert tok.encode(token, add_special_tokens=False) == [expected]
    assert tok.added_tokens_decoder[expected].special


@pytest.mark.parametrize("text", ID_STRINGS + [o.text for o in OUTPUTS], ids=[f"s{i}" for i in range(len(ID_STRINGS))] + [o.id for o in OUTPUTS])
def test_token_ids_match_openai_harmony(model_dirs: dict[str, Path], text: str) -> None:
    """Our tokenizer.json encodes and decodes like openai_harmony's own o200k_harmony."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dirs["llama"]), local_files_only=True)
    ids = tok.encode(text, add_special_tokens=False)
    assert ids == token_ids(text)
    assert tok.decode(ids, skip_special_tokens=False) == encoding().decode(ids) == text


@pytest.mark.parametrize(("out", "delivery", "rname", "trim"), CASES)
def test_forced_harmony_path_with_our_parser(serving: Any, out: HarmonyOutput, delivery: str, rname: str, trim: bool) -> None:
    """On a gpt_oss model vLLM's HarmonyParser runs with our class as its tool parser: same as with vLLM's own."""
    reasoning = REASONING[rname]
    expected = replay(serving, "gpt_oss", "openai", reasoning, out, delivery, trim)
    assert replay(serving, "gpt_oss", "harmony", reasoning, out, delivery, trim) == expected


@pytest.mark.parametrize(("out", "delivery", "rname", "trim"), NATIVE_CASES)
def test_our_harmony_parser_matches_vllm_harmony(serving: Any, out: HarmonyOutput, delivery: str, rname: str, trim: bool) -> None:
    """Our parser on the same token ids gives vLLM's calls, content and reasoning (documented deviations aside)."""
    expected = replay(serving, "gpt_oss", "openai", REASONING[rname], out, delivery, trim)
    with_reasoning = replay(serving, "gpt_oss", "openai", "openai_gptoss", out, delivery, trim)
    assert isinstance(expected, dict) and isinstance(with_reasoning, dict), f"vLLM's own path failed: {expected}"
    # a non-streamed response gets its reasoning field from a reasoning parser only (DelegatingParser.parse); vLLM's
    # HarmonyParser, which gpt_oss models get, is a whole Parser and fills it (test_forced_harmony_path_with_our_parser),
    # a tool parser on another model cannot: no reasoning there
    expected = dict(expected, reasoning=with_reasoning["reasoning"] if delivery != "non-stream" else None)
    got = replay(serving, "llama", "harmony", REASONING[rname], out, delivery, trim)
    assert isinstance(got, dict), got
    differing = differing_fields(out, delivery, trim)
    assert {k: v for k, v in got.items() if k not in differing} == {k: v for k, v in expected.items() if k not in differing}
    for field, why in differing.items():
        assert got[field] != expected[field], f"{field} no longer differs from vLLM's: drop the deviation ({why})"


def test_every_deviation_names_an_output() -> None:
    ids = {o.id for o in OUTPUTS}
    assert [d["name"] for d in DEVIATIONS if d["name"] not in ids] == []


def test_gptoss_reasoning_parser_needs_harmony_parser(serving: Any) -> None:
    """vLLM's ``openai_gptoss`` reasoning parser refuses to parse a non-streamed output itself: with our parser it
    is usable only where vLLM's HarmonyParser runs (model_type gpt_oss, test_forced_harmony_path_with_our_parser)
    or for streaming."""
    out = next(o for o in OUTPUTS if o.id == "sample:single")
    got = replay(serving, "llama", "harmony", "openai_gptoss", out, "non-stream", False)
    assert isinstance(got, str) and "NotImplementedError" in got
