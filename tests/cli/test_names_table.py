"""The name table (dyn_plugins.names) against Dynamo's and the engines' real registries.

Why: a missing Dynamo name makes `--tool-call-parser X` fail at start-up; a wrong engine spelling silently
leaves a name unsupported; a silent fallback to another format would mis-parse every call.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dyn_plugins import names as N

DATA = Path(__file__).parent / "data"
REGISTRIES: dict[str, dict[str, list[str]]] = json.loads((DATA / "registries.json").read_text(encoding="utf-8"))
RESOLUTIONS: list[dict[str, Any]] = json.loads((DATA / "resolutions.json").read_text(encoding="utf-8"))["cases"]
KINDS = ("tool", "reasoning")
#: candidate spellings of engine versions outside the captured registries, and where they come from
OTHER_VERSIONS = {("vllm", "tool", "minimax"): "vLLM < 0.31"}
ROOT = Path(__file__).resolve().parents[2]


def _registry(key: str, kind: str) -> set[str]:
    if key == "vllm-without-deepseek_v4":
        return set(REGISTRIES["vllm==0.32.0"][kind]) - {"deepseek_v4"}
    if key == "sglang-without-deepseekv4":
        return set(REGISTRIES["sglang==0.5.23"][kind]) - {"deepseekv4"}
    return set(REGISTRIES[key][kind])


@pytest.mark.parametrize("kind", KINDS)
def test_names_table_has_exactly_dynamos_names(kind: str) -> None:
    """Every Dynamo 1.6.1 name and alias is in the table once, and nothing else is."""
    table = N.all_names(kind)  # type: ignore[arg-type]
    assert len(table) == len(set(table))
    assert sorted(table) == sorted(REGISTRIES["dynamo==1.6.1"][kind])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("engine", N.ENGINES)
def test_names_candidates_exist_in_a_real_registry(engine: str, kind: str) -> None:
    """Each candidate spelling is registered by a captured engine version (or documented as another version's)."""
    real = set().union(*(set(v[kind]) for k, v in REGISTRIES.items() if k.startswith(engine + "==")))
    for row in N.rows(kind):  # type: ignore[arg-type]
        for cand in row.candidates(engine):  # type: ignore[arg-type]
            assert cand in real or (engine, kind, cand) in OTHER_VERSIONS, f"{row.dynamo}: {engine} has no {kind} parser {cand!r}"


@pytest.mark.parametrize("key", ["vllm==0.32.0", "vllm==0.33.0", "sglang==0.5.23"])
def test_names_snapshot_equals_captured_registry(key: str) -> None:
    """The snapshot used by `dyn-plugins names --assume` and `doctor` is the real registry of that version."""
    engine, version = key.split("==")
    snap = N.ENGINE_REGISTRIES[(engine, version)]  # type: ignore[index]
    for kind in KINDS:
        assert snap[kind] == frozenset(REGISTRIES[key][kind])  # type: ignore[index]


@pytest.mark.parametrize("engine", N.ENGINES)
def test_tested_versions_are_the_ci_matrix(engine: str) -> None:
    """doctor's tested range (names.TESTED_VERSIONS) is the list CI runs the suites on (scripts/common.sh), and every
    tested version has a registry snapshot."""
    common = (ROOT / "scripts" / "common.sh").read_text(encoding="utf-8")
    line = next(l for l in common.splitlines() if l.startswith(f"{engine.upper()}_VERSIONS=("))
    assert tuple(line.split("(", 1)[1].rstrip(")").split()) == N.TESTED_VERSIONS[engine]  # type: ignore[index]
    assert all((engine, v) in N.ENGINE_REGISTRIES for v in N.TESTED_VERSIONS[engine])  # type: ignore[index]


@pytest.mark.parametrize("case", RESOLUTIONS, ids=lambda c: f"{c['registry']}-{c['kind']}-{c['name']}")
def test_names_resolution(case: dict[str, Any]) -> None:
    """Dynamo name -> ours / engine alias / unsupported, per engine registry (hand-checked table)."""
    engine = "vllm" if case["registry"].startswith("vllm") else "sglang"
    res = N.resolve(case["name"], engine, _registry(case["registry"], case["kind"]), case["kind"])
    assert (res.target, res.impl) == (case["target"], case["impl"])


@pytest.mark.parametrize("name, engine, kind", [("no_such_parser", "sglang", "tool"), ("no_such_parser", "vllm", "reasoning")])
def test_names_unservable_name_raises_listing_what_is_available(name: str, engine: str, kind: str) -> None:
    """A name nobody serves fails loudly, says so and lists the names that do work: never another format."""
    available = _registry("vllm==0.32.0" if engine == "vllm" else "sglang==0.5.23", kind)
    with pytest.raises(N.UnknownParserError) as err:
        N.resolve_or_raise(name, engine, available, kind)  # type: ignore[arg-type]
    msg = str(err.value)
    assert name in msg and f"Available {kind} parsers:" in msg
    listed = msg.split("parsers:")[1]
    assert "glm47" in listed if kind == "tool" else "qwen3" in listed
    assert f" {name}," not in listed


def test_names_prefer_engine_env_keeps_engine_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """DYN_PLUGINS_PREFER_ENGINE=glm47 keeps vLLM's own glm47; other names still resolve to ours."""
    monkeypatch.setenv(N.PREFER_ENGINE_ENV, "glm47")
    available = _registry("vllm==0.32.0", "tool")
    assert (N.resolve("glm47", "vllm", available).target, N.resolve("jamba", "vllm", available).target) == ("engine", "ours")


@pytest.mark.parametrize("name, fmt", [("glm47", "glm47"), ("deepseek-v4", "deepseek_v4"), ("deepseekv4", "deepseek_v4"), ("harmony", "harmony"), ("default", "default")])
def test_names_our_format(name: str, fmt: str) -> None:
    """Names we implement map to our format (the CLI's --format accepts Dynamo spellings)."""
    assert N.our_format(name) == fmt


@pytest.mark.parametrize("name, says", [("hermes", "dyn-plugins does not implement"), ("nope", "not a Dynamo tool-call parser name")])
def test_names_our_format_rejects_with_the_list(name: str, says: str) -> None:
    """Engine-only or unknown names fail with the reason and our formats."""
    with pytest.raises(N.UnknownParserError, match=says) as err:
        N.our_format(name)
    assert "nemotron_deci" in str(err.value)
