"""THE name table: Dynamo parser names -> our formats or the engines' own parsers.

One row per Dynamo parser (tool-call or reasoning) with its Dynamo aliases, and either the format we
implement (``ours``) or, per engine, an ordered list of candidate upstream names (engines rename
parsers across versions: the first one the installed engine has wins). Both adapters and the CLI
resolve names through :func:`resolve`; a name nobody can serve is an error listing what is
available, never a silent fallback to another format.

Sources: Dynamo 1.6.1's registries, vLLM 0.31-0.33 and SGLang 0.5.21-0.5.23 registries (snapshots in
:data:`ENGINE_REGISTRIES`, checked by ``tests/cli/test_names_table.py``) and Dynamo's docs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Literal

from . import switches

Engine = Literal["vllm", "sglang"]
Kind = Literal["tool", "reasoning"]
ENGINES: tuple[Engine, ...] = ("vllm", "sglang")

#: Comma-separated Dynamo names (or "all") for which an engine's own parser of the same name is kept
#: instead of ours (e.g. ``DYN_PLUGINS_PREFER_ENGINE=glm47`` keeps vLLM's/SGLang's ``glm47``).
PREFER_ENGINE_ENV = "DYN_PLUGINS_PREFER_ENGINE"


@dataclass(frozen=True)
class ParserName:
    """One Dynamo parser: its names, and who implements it in each engine."""

    dynamo: str
    kind: Kind
    aliases: tuple[str, ...] = ()
    #: Our format (dyn_plugins.formats) when Dynamo's behaviour is ours to provide (wins over the engine's).
    ours: str | None = None
    vllm: tuple[str, ...] = ()
    sglang: tuple[str, ...] = ()
    note: str = ""
    #: Our format used only where the engine has none of the candidates (engine's own parser preferred).
    fallback_ours: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.dynamo, *self.aliases)

    def candidates(self, engine: Engine) -> tuple[str, ...]:
        return self.vllm if engine == "vllm" else self.sglang


def _t(dynamo: str, *, aliases: tuple[str, ...] = (), ours: str | None = None, vllm: tuple[str, ...] = (), sglang: tuple[str, ...] = (), note: str = "", fallback_ours: str | None = None) -> ParserName:
    return ParserName(dynamo, "tool", aliases, ours, vllm, sglang, note, fallback_ours)


def _r(dynamo: str, *, aliases: tuple[str, ...] = (), vllm: tuple[str, ...] = (), sglang: tuple[str, ...] = (), note: str = "", fallback_ours: str | None = None) -> ParserName:
    return ParserName(dynamo, "reasoning", aliases, None, vllm, sglang, note, fallback_ours)


# Candidate lists: the engine's spellings, newest first where versions differ; the first one the
# installed engine registers wins. Checked against the registries in ENGINE_REGISTRIES below.
TOOL_PARSERS: tuple[ParserName, ...] = (
    # Dynamo formats: ours in both engines (the engine's same-name or same-format parser behaves
    # differently: see docs/formats.md section 11 and tests/fixtures/deviations.json).
    _t("glm47", ours="glm47", vllm=("glm47",), sglang=("glm47",), note="GLM-4.5/4.7 <arg_key>/<arg_value> XML"),
    _t("jamba", ours="jamba", vllm=("jamba",), note="AI21 Jamba <tool_calls>[...]</tool_calls>"),
    _t("nemotron_deci", ours="nemotron_deci", note="Llama-Nemotron <TOOLCALL>[...]</TOOLCALL>"),
    _t("deepseek_v3_1", ours="deepseek_v3_1", vllm=("deepseek_v31",), sglang=("deepseekv31",), note="DeepSeek V3.1"),
    _t("harmony", ours="harmony", vllm=("openai",), sglang=("gpt-oss",), note="gpt-oss Harmony channels"),
    _t("deepseek_v3_2", ours="deepseek_v3_2", vllm=("deepseek_v32",), sglang=("deepseekv32",), note="DeepSeek V3.2 DSML <function_calls>"),
    _t("default", ours="default", note="Dynamo's fallback JSON config (<TOOLCALL> / <|python_tag|> / bare JSON)"),
    # Same format under another spelling: aliases to the engine's own parser.
    _t("hermes", vllm=("hermes",), sglang=("hermes",), note="<tool_call>{json}</tool_call>"),
    _t("qwen25", vllm=("qwen3_json", "hermes"), sglang=("qwen25", "qwen"), note="Qwen2.5 hermes-style"),
    _t("qwen3_coder", aliases=("nemotron_nano",), vllm=("qwen3_coder", "qwen3_xml"), sglang=("qwen3_coder",), note="<function=..><parameter=..> XML (Nemotron Nano too)"),
    _t("deepseek_v3", vllm=("deepseek_v3",), sglang=("deepseekv3",), note="DeepSeek V3/R1"),
    _t(
        "deepseek_v4", aliases=("deepseek-v4", "deepseekv4"), vllm=("deepseek_v4",), sglang=("deepseekv4",),
        note="DeepSeek V4 DSML <tool_calls>", fallback_ours="deepseek_v4",
    ),
    _t("deepseek_v41", vllm=("deepseek_v41",), sglang=("deepseekv41",), note="DeepSeek V4.1"),
    _t("glm45", vllm=("glm45",), sglang=("glm45", "glm"), note="GLM-4.5/4.6"),
    _t("kimi_k2", vllm=("kimi_k2",), sglang=("kimi_k2",), note="Kimi K2 section/call tokens"),
    _t("kimi_k25", vllm=("kimi_k2",), sglang=("kimi_k2",), note="Kimi K2.5 uses the K2 tool format"),
    _t("kimi_k3", aliases=("kimi-k3",), vllm=("kimi_k3",), sglang=("kimi_k3",), note="Kimi K3"),
    _t("llama3_json", vllm=("llama3_json",), sglang=("llama3",), note="<|python_tag|> / JSON"),
    _t("minimax_m2", vllm=("minimax_m2", "minimax"), sglang=("minimax-m2",), note="<minimax:tool_call> XML"),
    _t("minimax_m3", aliases=("minimax-m3", "minimax_m3_nom", "minimax-m3-nom"), vllm=("minimax_m3",), sglang=("minimax-m3",), note="MiniMax M3 namespace-token XML"),
    _t("mistral", vllm=("mistral",), sglang=("mistral",), note="[TOOL_CALLS]"),
    _t("phi4", vllm=("phi4_mini_json",), note="functools[...] (no SGLang parser: ours there)", fallback_ours="phi4"),
    _t("pythonic", vllm=("pythonic",), sglang=("pythonic",), note="Python list of calls"),
    _t("gemma4", aliases=("gemma-4",), vllm=("gemma4",), sglang=("gemma4",), note="Gemma 4 <|tool_call>call:f{...}<tool_call|>"),
    _t("inkling", vllm=("inkling",), sglang=("inkling",), note="Inkling"),
    _t("muse", aliases=("muse_glimmer",), vllm=("muse", "muse_glimmer"), sglang=("muse",), note="Muse Glimmer"),
    _t("qwen3", note="Dynamo's unified Qwen3 parser (Qwen3-Coder XML calls + <think>): ours in both", fallback_ours="qwen3"),
)

REASONING_PARSERS: tuple[ParserName, ...] = (
    _r("deepseek_r1", vllm=("deepseek_r1",), sglang=("deepseek-r1",), note="forced <think>, ends at </think>"),
    _r("deepseek_v3", aliases=("deepseek_v3_1", "deepseek_v3_2"), vllm=("deepseek_v3",), sglang=("deepseek-v3",), note="opt-in thinking"),
    _r("deepseek_v4", aliases=("deepseek-v4", "deepseekv4"), vllm=("deepseek_v4",), sglang=("deepseek-v4",), note="<think> pre-filled by the template"),
    _r("deepseek_v41", vllm=("deepseek_v41",), sglang=("deepseek-v41",)),
    _r("gemma4", aliases=("gemma-4",), vllm=("gemma4",), sglang=("gemma4",), note="<|channel>thought ...<channel|>"),
    _r("glm45", vllm=("glm45",), sglang=("glm45",), note="<think>...</think>"),
    _r("glm47", vllm=("glm47",), sglang=("glm45",), note="SGLang has no glm47 reasoning entry; glm45 parses the same <think>"),
    _r("gpt_oss", vllm=("openai_gptoss",), sglang=("gpt-oss",), note="vLLM's openai_gptoss only detects the reasoning end; pair gpt-oss with --tool-call-parser harmony"),
    _r("granite", vllm=("granite",), note="'Here is my thought process:' (SGLang's granite_thinking_parser is another format: ours there)", fallback_ours="granite"),
    _r("inkling", vllm=("inkling",), sglang=("inkling",)),
    _r("kimi", sglang=("kimi",), note="◁think▷ format (no vLLM parser: ours there)", fallback_ours="kimi"),
    _r("kimi_k2", aliases=("kimi_k25",), vllm=("kimi_k2",), sglang=("kimi_k2",), note="<think>"),
    _r("kimi_k3", aliases=("kimi-k3",), vllm=("kimi_k3",), sglang=("kimi_k3",)),
    _r("minimax_append_think", vllm=("minimax_m2_append_think",), sglang=("minimax-append-think",), note="implicit opening <think>"),
    _r("minimax_m2", vllm=("minimax_m2",), sglang=("minimax",)),
    _r("minimax_m3", aliases=("minimax-m3",), vllm=("minimax_m3",), sglang=("minimax-m3",), note="<mm:think>"),
    _r("mistral", vllm=("mistral",), sglang=("mistral",), note="[THINK]"),
    _r("muse", aliases=("muse_glimmer",), vllm=("muse", "muse_glimmer"), sglang=("muse",)),
    _r("nemotron_v3", aliases=("nemotron3", "nemotron_nano"), vllm=("nemotron_v3",), sglang=("nemotron_3",), note="forced <think>"),
    _r("qwen3", aliases=("qwen3_coder", "basic", "nemotron_deci"), vllm=("qwen3",), sglang=("qwen3",), note="optional <think>...</think>"),
    _r("step3", vllm=("step3",), sglang=("step3",), note="forced <think>"),
)

#: The engines' own registries for the versions this table was checked against (tool-call: vLLM
#: ``ToolParserManager.list_registered()``, SGLang ``FunctionCallParser.ToolCallParserEnum``; reasoning:
#: vLLM ``ReasoningParserManager``, SGLang ``ReasoningParser.DetectorMap``; vLLM 0.33 adds ``muse`` as a parser of
#: its own, 0.32 has only ``muse_glimmer``). Used by tests (every
#: candidate must exist somewhere) and by ``dyn-plugins names`` for an engine that is not installed.
_V031_TOOL = (
    "apertus cohere_command3 cohere_command4 deepseek_v3 deepseek_v31 deepseek_v32 deepseek_v4 deepseek_v41 dots ernie45 "
    "functiongemma gemma4 gigachat3 glm45 glm47 granite granite-20b-fc granite4 hermes hunyuan_a13b hy_v3 hy_v4 inkling "
    "internlm jamba k2_horizon kimi_k2 kimi_k3 lfm2 ling3 llama3_json llama4_json llama4_pythonic longcat mimo minicpm5 "
    "minimax_m2 minimax_m3 mistral muse_glimmer olmo3 openai phi4_mini_json poolside_v1 pythonic qwen3_coder qwen3_xml "
    "seed_oss step3 step3p5 xlam"
)
_V031_REASONING = (
    "cohere_command3 cohere_command4 deepseek_r1 deepseek_v3 deepseek_v4 deepseek_v41 ernie45 gemma4 glm45 glm47 granite "
    "granite_thinking_parser holo2 hunyuan_a13b hy_v3 hy_v4 inkling k2_horizon kimi_k2 kimi_k3 ling3 mimo minimax_m2 "
    "minimax_m2_append_think minimax_m3 mistral muse_glimmer nemotron_v3 olmo3 openai_gptoss poolside_v1 qwen3 seed_oss "
    "step3 step3p5"
)
_S0521_TOOL = (
    "apertus2509 cohere_command4 deepseekv3 deepseekv31 deepseekv32 deepseekv4 deepseekv41 dots gemma4 gigachat3 gigachat35 "
    "glm glm45 glm47 gpt-oss hermes hunyuan inkling interns1 iquest_q1 k2_horizon kimi_k2 kimi_k3 lfm2 ling3 llama3 mimo "
    "minicpm5 minimax-m2 minimax-m3 mistral muse nanbeige poolside_v1 pythonic qwen qwen25 qwen3_coder spark25 step3 "
    "step3p5 trinity"
)
_S0521_REASONING = (
    "apertus2509 cohere_command4 deepseek-r1 deepseek-v3 deepseek-v4 deepseek-v41 dots gemma4 gigachat35 glm45 gpt-oss "
    "granite_thinking_parser hunyuan inkling interns1 iquest_q1 k2_horizon kimi kimi_k2 kimi_k3 ling3 mimo minimax "
    "minimax-append-think minimax-m3 mistral muse nanbeige nemotron_3 poolside_v1 qwen3 qwen3-thinking step3 step3p5"
)
ENGINE_REGISTRIES: dict[tuple[Engine, str], dict[Kind, frozenset[str]]] = {
    ("vllm", "0.31.0"): {"tool": frozenset(_V031_TOOL.split()), "reasoning": frozenset(_V031_REASONING.split())},
    ("vllm", "0.32.0"): {
        "tool": frozenset(_V031_TOOL.split()) | {"hf", "plamo3", "qwen3_json"},
        "reasoning": frozenset(_V031_REASONING.split()) | {"hf", "minicpmv", "plamo3"},
    },
    ("vllm", "0.33.0"): {
        "tool": frozenset(_V031_TOOL.split()) | {"hf", "plamo3", "qwen3_json", "beam", "muse", "musespark1x", "step5"},
        "reasoning": frozenset(_V031_REASONING.split()) | {"hf", "minicpmv", "plamo3", "beam", "muse", "musespark1x", "step5"},
    },
    ("sglang", "0.5.21"): {"tool": frozenset(_S0521_TOOL.split()), "reasoning": frozenset(_S0521_REASONING.split())},
    ("sglang", "0.5.23"): {
        "tool": frozenset(_S0521_TOOL.split()) | {"beam", "response_template"},
        "reasoning": frozenset(_S0521_REASONING.split()) | {"beam", "response_template"},
    },
}

#: The engine versions the test suites run against (one venv each in CI: VLLM_VERSIONS / SGLANG_VERSIONS in
#: scripts/common.sh), oldest first. ``dyn-plugins doctor`` warns about an installed engine newer than the last.
TESTED_VERSIONS: dict[Engine, tuple[str, ...]] = {
    "vllm": ("0.31.0", "0.32.0", "0.33.0"),
    "sglang": ("0.5.21", "0.5.23"),
}


def rows(kind: Kind = "tool") -> tuple[ParserName, ...]:
    return TOOL_PARSERS if kind == "tool" else REASONING_PARSERS


def lookup(name: str, kind: Kind = "tool") -> ParserName | None:
    """The row a Dynamo name (or alias) belongs to."""
    for row in rows(kind):
        if name in row.names:
            return row
    return None


def all_names(kind: Kind = "tool") -> tuple[str, ...]:
    """Every Dynamo name and alias of ``kind``."""
    return tuple(n for row in rows(kind) for n in row.names)


@dataclass(frozen=True)
class Resolution:
    """How one Dynamo name is served in one engine."""

    name: str
    row: ParserName | None
    #: "ours" (our format), "engine" (alias to the engine's parser) or "unsupported".
    target: Literal["ours", "engine", "unsupported"]
    #: our format name, or the engine's parser name.
    impl: str | None
    message: str

    @property
    def ok(self) -> bool:
        return self.target != "unsupported"


class UnknownParserError(KeyError):
    """A Dynamo parser name that neither we nor the engine can serve."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def prefer_engine(name: str) -> bool:
    """True if the user asked (via $DYN_PLUGINS_PREFER_ENGINE) to keep the engine's own parser."""
    wanted = switches.name_list(PREFER_ENGINE_ENV)
    return "all" in wanted or name in wanted


def resolve(name: str, engine: Engine, available: Collection[str], kind: Kind = "tool") -> Resolution:
    """Decide what serves Dynamo name ``name`` in ``engine`` given the engine's registered names."""
    row = lookup(name, kind)
    if row is None:
        return Resolution(name, None, "unsupported", None, f"{name!r} is not a Dynamo {kind} parser name")
    engine_pick = next((c for c in row.candidates(engine) if c in available), None)
    if row.ours is not None:
        if engine_pick is not None and engine_pick == name and prefer_engine(name):
            return Resolution(name, row, "engine", engine_pick, f"{name} -> {engine}'s own {engine_pick!r} (kept by ${PREFER_ENGINE_ENV})")
        note = f" (replaces {engine}'s own {name!r})" if name in available else ""
        return Resolution(name, row, "ours", row.ours, f"{name} -> dyn-plugins {row.ours}{note}")
    if engine_pick is not None:
        return Resolution(name, row, "engine", engine_pick, f"{name} -> {engine} {engine_pick!r}")
    if row.fallback_ours is not None:
        tried = ", ".join(row.candidates(engine))
        return Resolution(name, row, "ours", row.fallback_ours, f"{name} -> dyn-plugins {row.fallback_ours} ({engine} has none of: {tried})")
    tried = ", ".join(row.candidates(engine)) or "none known"
    return Resolution(name, row, "unsupported", None, f"{name}: {engine} has no {kind} parser for it (looked for: {tried})")


def resolve_or_raise(name: str, engine: Engine, available: Collection[str], kind: Kind = "tool") -> Resolution:
    """Like :func:`resolve`, but an unservable name raises :class:`UnknownParserError` listing choices."""
    res = resolve(name, engine, available, kind)
    if not res.ok:
        servable = sorted({n for n in all_names(kind) if resolve(n, engine, available, kind).ok} | set(available))
        raise UnknownParserError(f"{res.message}. Available {kind} parsers: {', '.join(servable)}")
    return res


def resolve_all(engine: Engine, available: Collection[str], kind: Kind = "tool") -> Iterator[Resolution]:
    """Resolution of every Dynamo name and alias of ``kind``, in table order."""
    for row in rows(kind):
        for name in row.names:
            yield resolve(name, engine, available, kind)


def our_format(name: str) -> str:
    """The dyn-plugins format serving Dynamo tool-call name ``name`` outside any engine (the CLI's ``--format``).

    Accepts our format names, the ``deepseek_v4`` variant and every Dynamo name/alias that we implement.
    A Dynamo name only an engine serves, or an unknown name, raises :class:`UnknownParserError` saying so.
    """
    from .formats import ALL_FORMAT_NAMES

    if name in ALL_FORMAT_NAMES:
        return name
    row = lookup(name, "tool")
    ours = sorted(set(ALL_FORMAT_NAMES) | {n for r in TOOL_PARSERS if (r.ours or r.fallback_ours) for n in r.names})
    if row is not None and (row.ours or row.fallback_ours):
        return row.ours or row.fallback_ours  # type: ignore[return-value]
    if row is not None:
        engines = "; ".join(f"{e}: {', '.join(row.candidates(e)) or 'none'}" for e in ENGINES)
        raise UnknownParserError(
            f"{name!r} is a Dynamo tool-call parser that dyn-plugins does not implement; the engines serve it "
            f"({engines}). dyn-plugins formats: {', '.join(ours)}"
        )
    raise UnknownParserError(f"{name!r} is not a Dynamo tool-call parser name nor a dyn-plugins format. dyn-plugins formats: {', '.join(ours)}")
