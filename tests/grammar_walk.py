"""Random outputs of a structural tag: walk xgrammar's GrammarMatcher with random allowed tokens.

Shared by the vLLM and SGLang grammar property tests (tests/vllm/test_vllm_grammar_walk.py,
tests/sglang/test_sglang_grammar_walk.py) and used with the project's local tokenizer (every
marker a single special token, like a real model's vocabulary). A sampler that picks uniformly
among the allowed tokens writes strings of hundreds of tokens; tokens that close something
(quotes, brackets, markers) are weighted up so most walks finish within the step budget.
Only what the grammar allows is ever chosen, so every finished walk is an output the engine
could produce.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

#: Tool sets the property tests run (OpenAI tool dicts, ``strict`` set per tool by the test).
TOOL_SETS: dict[str, list[dict[str, Any]]] = {
    "flat": [
        {"type": "function", "function": {"name": "get_weather", "parameters": {
            "type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}}},
        {"type": "function", "function": {"name": "get_time", "parameters": {
            "type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}}},
    ],
    "nested_enum": [
        {"type": "function", "function": {"name": "book", "parameters": {
            "type": "object",
            "properties": {
                "trip": {"type": "object", "properties": {"to": {"type": "string"}, "nights": {"type": "integer"}}, "required": ["to", "nights"]},
                "cabin": {"type": "string", "enum": ["economy", "business"]},
                "flex": {"type": "boolean"},
            },
            "required": ["trip", "cabin"],
        }}},
    ],
    "no_params": [
        {"type": "function", "function": {"name": "ping", "parameters": {"type": "object", "properties": {}}}},
        {"type": "function", "function": {"name": "now"}},
    ],
}  # fmt: skip


def with_strict(tools: list[dict[str, Any]], strict: bool) -> list[dict[str, Any]]:
    out = json.loads(json.dumps(tools))
    for t in out:
        t["function"]["strict"] = strict
    return out


@dataclass
class Walk:
    text: str
    finished: bool
    steps: int


class Walker:
    """Compiles structural tags for one tokenizer and samples outputs from them."""

    def __init__(self, hf_tokenizer: Any) -> None:
        import xgrammar as xgr

        self.xgr = xgr
        self.tok = hf_tokenizer
        self.info = xgr.TokenizerInfo.from_huggingface(hf_tokenizer, vocab_size=len(hf_tokenizer))
        self.compiler = xgr.GrammarCompiler(self.info)
        vocab = hf_tokenizer.convert_ids_to_tokens(list(range(len(hf_tokenizer))))
        special = set(hf_tokenizer.all_special_tokens)
        closers = ('"', "}", "]", "<", ">", "Ġ\"", "Ċ")
        self.weight = [20.0 if (v in special or any(c in (v or "") for c in closers)) else 1.0 for v in vocab]
        for i in self.info.stop_token_ids:  # end the output as soon as the grammar allows (one block of calls)
            if i < len(self.weight):
                self.weight[i] = 200.0

    def compile(self, tag: dict[str, Any] | str) -> Any:
        return self.compiler.compile_structural_tag(tag if isinstance(tag, str) else json.dumps(tag))

    def walk(self, compiled: Any, rng: random.Random, max_steps: int = 400) -> Walk:
        """One random output; ``finished`` when the grammar ended (a stop token accepted) within ``max_steps``."""
        xgr = self.xgr
        matcher = xgr.GrammarMatcher(compiled)
        mask = xgr.allocate_token_bitmask(1, self.info.vocab_size)
        stops = set(self.info.stop_token_ids)
        ids: list[int] = []
        for step in range(max_steps):
            matcher.fill_next_token_bitmask(mask)
            words = mask[0].tolist()
            allowed = [i for i in range(self.info.vocab_size) if (words[i >> 5] >> (i & 31)) & 1]
            tid = rng.choices(allowed, weights=[self.weight[i] for i in allowed])[0]
            assert matcher.accept_token(tid), f"allowed token {tid} rejected"
            if tid in stops:
                return Walk(self.tok.decode(ids, skip_special_tokens=False), True, step)
            ids.append(tid)
        return Walk(self.tok.decode(ids, skip_special_tokens=False), False, max_steps)


#: (mode, strict) cases every format runs: tool_choice required / named, strict and non-strict tools
MODES = ("required", "named")
WALKS_PER_CASE = 8
#: least share of walks that must end within the step budget (the rest are not judged)
MIN_FINISHED = 0.5


def call_problems(fmt: str, text: str, tools: list[dict[str, Any]], only: str | None) -> list[str]:
    """What is wrong with our parse of a constrained output ``text`` (empty list: nothing)."""
    import jsonschema

    from dyn_plugins.formats import get_format

    result = get_format(fmt).parse(text, tools)
    by_name = {t["function"]["name"]: t["function"] for t in tools}
    problems: list[str] = []
    if not result.calls:
        problems.append("no call")
    if only is not None and len(result.calls) != 1:
        problems.append(f"named choice gave {len(result.calls)} calls")
    if result.normal_text.strip():
        problems.append(f"content {result.normal_text[:80]!r}")
    for call in result.calls:
        fn = by_name.get(call.name)
        if fn is None or (only is not None and call.name != only):
            problems.append(f"name {call.name!r}")
            continue
        try:
            args = json.loads(call.arguments)
        except ValueError as exc:
            problems.append(f"arguments not JSON ({exc}): {call.arguments[:80]!r}")
            continue
        if not isinstance(args, dict):
            problems.append(f"arguments not an object: {call.arguments[:80]!r}")
        elif fn.get("strict"):
            try:
                jsonschema.validate(args, fn.get("parameters") or {"type": "object"})
            except jsonschema.ValidationError as exc:
                problems.append(f"schema: {exc.message}")
    return problems


def check_tag(walker: Walker, fmt: str, tag: Any, tools: list[dict[str, Any]], only: str | None, seed: str) -> None:
    """Walk ``tag`` WALKS_PER_CASE times; every finished output must parse into good calls."""
    compiled = walker.compile(tag if isinstance(tag, (dict, str)) else tag.model_dump_json())
    rng = random.Random(seed)
    walks = [walker.walk(compiled, rng) for _ in range(WALKS_PER_CASE)]
    finished = [w for w in walks if w.finished]
    assert len(finished) >= MIN_FINISHED * len(walks), f"only {len(finished)} of {len(walks)} walks ended"
    bad = [(w.text, p) for w in finished if (p := call_problems(fmt, w.text, tools, only))]
    assert not bad, f"{len(bad)} of {len(finished)} outputs the grammar admits parse badly, first: {bad[0]}"
