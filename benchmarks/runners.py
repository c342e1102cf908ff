"""The parsers being timed. Each ``prepare_*`` returns ``run(case) -> (calls_found, seconds)`` or raises
:class:`Unavailable` (engine not importable, no built-in parser for the format, ...).

Engines are imported lazily, inside the ``prepare_*`` functions, so the core benchmark runs in an
interpreter without vLLM or SGLang. Timing:

* ``core``, ``floor``: the whole streaming loop is timed (one ``feed`` call per token, then ``finish``).
* engine parsers (ours and built-in): vLLM hands each call ``previous_text``/``current_text`` and the
  token-id lists; building those is the serving layer's work, not the parser's, so only the parser
  calls are timed (a ``perf_counter`` pair around each call, its own overhead calibrated and subtracted).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

from dyn_plugins.formats import CallStart, get_format

from .cases import TOOLS, Case

Runner = Callable[[Case], tuple[int, float]]

#: Dynamo format -> vLLM 0.32 built-in parser (registry name, module, class).
VLLM_BUILTIN: dict[str, tuple[str, str, str]] = {
    "glm47": ("glm47", "vllm.tool_parsers.glm47_moe_tool_parser", "Glm47MoeModelToolParser"),
    "jamba": ("jamba", "vllm.tool_parsers.jamba_tool_parser", "JambaToolParser"),
    "deepseek_v3_1": ("deepseek_v31", "vllm.tool_parsers.deepseekv31_tool_parser", "DeepSeekV31ToolParser"),
    "harmony": ("openai", "vllm.tool_parsers.gptoss_tool_parser", "GptOssToolParser"),
    "deepseek_v3_2": ("deepseek_v32", "vllm.tool_parsers.deepseekv32_engine_tool_parser", "DeepSeekV32EngineToolParser"),
}
#: Dynamo format -> SGLang 0.5.23 built-in detector (registry name, module, class).
SGLANG_BUILTIN: dict[str, tuple[str, str, str]] = {
    "glm47": ("glm47", "sglang.srt.function_call.glm47_moe_detector", "Glm47MoeDetector"),
    "deepseek_v3_1": ("deepseekv31", "sglang.srt.function_call.deepseekv31_detector", "DeepSeekV31Detector"),
    "harmony": ("gpt-oss", "sglang.srt.function_call.gpt_oss_detector", "GptOssDetector"),
    "deepseek_v3_2": ("deepseekv32", "sglang.srt.function_call.deepseekv32_detector", "DeepSeekV32Detector"),
}


class Unavailable(Exception):
    """This parser cannot run here; the message says why (shown as n/a in the table)."""


def _builtin_class(table: dict[str, tuple[str, str, str]], engine: str, fmt: str) -> Any:
    """The engine's own parser class for ``fmt`` from ``table`` (VLLM_BUILTIN / SGLANG_BUILTIN)."""
    if fmt not in table:
        raise Unavailable(f"no {engine} built-in")
    name, module, cls_name = table[fmt]
    try:
        return getattr(importlib.import_module(module), cls_name)
    except Exception as exc:  # noqa: BLE001
        raise Unavailable(f"{engine} {name} not importable ({type(exc).__name__})") from exc


_pc = time.perf_counter


def _timer_overhead() -> float:
    """Seconds one ``t0 = pc(); ...; elapsed += pc() - t0`` pair costs (median of 5 runs of 20k)."""
    runs = []
    for _ in range(5):
        elapsed = 0.0
        t_start = _pc()
        for _ in range(20000):
            t0 = _pc()
            elapsed += _pc() - t0
        runs.append((_pc() - t_start) / 20000)
    return sorted(runs)[2]


TIMER_OVERHEAD = _timer_overhead()


# -- core and floor -----------------------------------------------------------------------------


def prepare_core(fmt: str, buffered: bool = False) -> Runner:
    """The core stream, live (the default: calls announced early, argument bytes as they arrive) or buffered."""
    f = get_format(fmt)

    def run(case: Case) -> tuple[int, float]:
        chunks = case.chunks
        t0 = _pc()
        stream = f.stream(TOOLS, buffered=buffered)
        feed = stream.feed
        calls = 0
        for chunk in chunks:
            for ev in feed(chunk):  # a consumer looks at every event (as the adapters do)
                if type(ev) is CallStart:
                    calls += 1
        for ev in stream.finish():
            if type(ev) is CallStart:
                calls += 1
        elapsed = _pc() - t0
        if stream.failed:  # a failed machine would make the timing meaningless
            raise RuntimeError(f"{fmt}: core stream failed")
        return calls, elapsed

    return run


class FloorStream:
    """The least a correct streaming marker detector must do per token: one method call that joins
    the held tail to the chunk, runs one ``str.find`` for the start marker, and keeps a tail that
    could be the start of a split marker."""

    __slots__ = ("marker", "keep", "tail", "hits")

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.keep = len(marker) - 1
        self.tail = ""
        self.hits = 0

    def feed(self, chunk: str) -> None:
        buf = self.tail + chunk
        if buf.find(self.marker) >= 0:
            self.hits += 1
        self.tail = buf[-self.keep :] if self.keep else ""


def _start_marker(fmt: str) -> str:
    return get_format(fmt).triggers[0]


def prepare_floor(fmt: str) -> Runner:
    marker = _start_marker(fmt)

    def run(case: Case) -> tuple[int, float]:
        chunks = case.chunks
        t0 = _pc()
        stream = FloorStream(marker)
        feed = stream.feed
        for chunk in chunks:
            feed(chunk)
        return 0, _pc() - t0

    return run


def prepare_floor_pass(fmt: str) -> Runner:
    marker = _start_marker(fmt)

    def run(case: Case) -> tuple[int, float]:
        text = case.text
        t0 = _pc()
        text.count(marker)  # one C-level pass over the whole text (find stops at the first hit)
        return 0, _pc() - t0

    return run


# -- vLLM -------------------------------------------------------------------------------------------

_vllm_state: dict[str, Any] = {}


def _vllm_env(tokenizer_dir: str) -> dict[str, Any]:
    if _vllm_state:
        return _vllm_state
    import os

    os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
    try:
        import vllm  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        raise Unavailable(f"vllm not importable ({type(exc).__name__})") from exc
    from transformers import PreTrainedTokenizerFast

    try:  # the request class of this vLLM version, wherever it lives (our compat module knows)
        from dyn_plugins.vllm.compat import ChatCompletionRequest
    except Exception as exc:  # noqa: BLE001
        raise Unavailable(f"vLLM ChatCompletionRequest not found ({type(exc).__name__})") from exc
    tok = PreTrainedTokenizerFast.from_pretrained(tokenizer_dir)
    request = ChatCompletionRequest(
        model="bench", messages=[{"role": "user", "content": "go"}], tools=TOOLS, tool_choice="auto"
    )
    _vllm_state.update(tokenizer=tok, request=request, version=vllm.__version__)
    return _vllm_state


def _named_calls(delta: Any) -> int:
    """Tool-call deltas that carry a name (one per call started) in a vLLM DeltaMessage or None."""
    if delta is None or not delta.tool_calls:
        return 0
    return sum(1 for tc in delta.tool_calls if tc.function is not None and tc.function.name)


def _drive_vllm(parser: Any, request: Any, case: Case) -> tuple[int, float]:
    request = parser.adjust_request(request.model_copy(deep=True))
    prev_text = cur_text = ""
    prev_ids: list[int] = []
    cur_ids: list[int] = []
    last: list[int] = []
    names = 0
    elapsed = 0.0
    call = parser.extract_tool_calls_streaming
    for chunk, ids in zip(case.chunks, case.chunk_ids):
        prev_ids += last
        cur_ids += ids
        last = ids
        prev_text, cur_text = cur_text, cur_text + chunk
        t0 = _pc()
        delta = call(prev_text, cur_text, chunk, prev_ids, cur_ids, ids, request)
        elapsed += _pc() - t0
        names += _named_calls(delta)
    finish = getattr(parser, "finish_streaming", None)
    if getattr(parser, "engine_based_streaming", False) and finish is not None:
        t0 = _pc()
        delta = finish()
        elapsed += _pc() - t0
        names += _named_calls(delta)
    return names, max(0.0, elapsed - TIMER_OVERHEAD * (len(case.chunks) + 1))


def prepare_vllm_ours(fmt: str, tokenizer_dir: str) -> Runner:
    env = _vllm_env(tokenizer_dir)
    try:
        from dyn_plugins.vllm.parser import make_parser_class
    except Exception as exc:  # noqa: BLE001
        raise Unavailable(f"dyn_plugins.vllm not importable ({type(exc).__name__}: {exc})") from exc
    cls = make_parser_class(fmt)

    def run(case: Case) -> tuple[int, float]:
        return _drive_vllm(cls(env["tokenizer"], TOOLS), env["request"], case)

    return run


def prepare_vllm_builtin(fmt: str, tokenizer_dir: str) -> Runner:
    if fmt == "harmony":
        raise Unavailable("vLLM openai: stub; gpt-oss goes through openai_harmony (needs its encoding files)")
    env = _vllm_env(tokenizer_dir)
    cls = _builtin_class(VLLM_BUILTIN, "vLLM", fmt)

    def run(case: Case) -> tuple[int, float]:
        return _drive_vllm(cls(env["tokenizer"], TOOLS), env["request"], case)

    return run


# -- SGLang -------------------------------------------------------------------------------------------


def _sglang_tools() -> list[Any]:
    try:
        from sglang.srt.entrypoints.openai.protocol import Tool
    except Exception as exc:  # noqa: BLE001
        raise Unavailable(f"sglang not importable ({type(exc).__name__})") from exc
    return [Tool(**t) for t in TOOLS]


def _drive_sglang(det: Any, tools: list[Any], case: Case, finish: bool) -> tuple[int, float]:
    names = 0
    elapsed = 0.0
    call = det.parse_streaming_increment
    for chunk in case.chunks:
        t0 = _pc()
        res = call(chunk, tools)
        elapsed += _pc() - t0
        names += sum(1 for c in res.calls if c.name)
    if finish:
        t0 = _pc()
        res = det.finish(tools)
        elapsed += _pc() - t0
        names += sum(1 for c in res.calls if c.name)
    return names, max(0.0, elapsed - TIMER_OVERHEAD * (len(case.chunks) + finish))


def prepare_sglang_ours(fmt: str) -> Runner:
    tools = _sglang_tools()
    try:
        from dyn_plugins.sglang.detector import detector_class
    except Exception as exc:  # noqa: BLE001
        raise Unavailable(f"dyn_plugins.sglang not importable ({type(exc).__name__}: {exc})") from exc
    cls = detector_class(fmt)

    def run(case: Case) -> tuple[int, float]:
        return _drive_sglang(cls(), tools, case, finish=True)

    return run


def prepare_sglang_builtin(fmt: str) -> Runner:
    tools = _sglang_tools()
    cls = _builtin_class(SGLANG_BUILTIN, "SGLang", fmt)

    def run(case: Case) -> tuple[int, float]:
        return _drive_sglang(cls(), tools, case, finish=False)

    return run


#: runner name -> column label
RUNNERS: dict[str, str] = {
    "core": "ours (core, live)",
    "core-buffered": "ours (core, buffered)",
    "floor": "floor: per-token str.find",
    "floor-pass": "floor: one str.count pass",
    "vllm": "ours (vLLM adapter)",
    "vllm-builtin": "vLLM built-in",
    "sglang": "ours (SGLang adapter)",
    "sglang-builtin": "SGLang built-in",
}


def prepare(runner: str, fmt: str, tokenizer_dir: str) -> Runner:
    if runner == "core":
        return prepare_core(fmt)
    if runner == "core-buffered":
        return prepare_core(fmt, buffered=True)
    if runner == "floor":
        return prepare_floor(fmt)
    if runner == "floor-pass":
        return prepare_floor_pass(fmt)
    if runner == "vllm":
        return prepare_vllm_ours(fmt, tokenizer_dir)
    if runner == "vllm-builtin":
        return prepare_vllm_builtin(fmt, tokenizer_dir)
    if runner == "sglang":
        return prepare_sglang_ours(fmt)
    if runner == "sglang-builtin":
        return prepare_sglang_builtin(fmt)
    raise KeyError(runner)
