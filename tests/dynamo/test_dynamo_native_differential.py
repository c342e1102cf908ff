"""Differential run against Dynamo 1.6.1's own compiled parsers: its NATIVE path (``python -m dynamo.frontend``
without ``--dyn-chat-processor``; replay workers registered with ``--dyn-tool-call-parser NAME``) against our core
on the same model output, non-streaming (``get_format(name).parse``) and streaming (``parse_stream`` over the
worker's token deltas).

Inputs: tests/dynamo/native_cases.py (every fixture input plus tests/dynamo/native_inputs.py's generated outputs).
The native frontend's detokenizer drops special tokens, so its workers' tokenizer has every marker as an added,
NON-special token (``build_model_dir(..., markers_special=False)``).

Every case either matches, or is listed in tests/fixtures/dynamo_native_deviations.json with named reasons whose
transforms (native_reasons.py) turn Dynamo's answer into ours; a listed case that matches fails (stale entry).

The native harmony parser needs the o200k_base encoding (openai-harmony; offline without it, every harmony output
comes back empty): the frontend gets ``TIKTOKEN_ENCODINGS_BASE`` from tests/real_tokenizers/gpt_oss.py. Runs once,
in the vLLM Dynamo venv: the native path runs no engine code (``DYN_E2E_ENGINE=vllm``; skipped for sglang). Table
for the README: ``--junitxml=native.xml`` then ``python tests/dynamo/native_table.py native.xml``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import native_cases as nc
from dynamo_cases import ENGINE
from dynamo_stack import Stack, Worker, merge_stream, sse_events
from native_reasons import REASONS, Context, classify, explains

#: the JUnit properties (native_table.py's input) are written under xunit2 too; only the warning is silenced
pytestmark = [pytest.mark.dynamo, pytest.mark.filterwarnings("ignore:record_property is incompatible:pytest.PytestWarning")]

if ENGINE != "vllm":
    pytest.skip("the native path runs no engine code: this module runs once, in the vLLM Dynamo venv", allow_module_level=True)

CASES = nc.cases()
BY_ID = {c.id: c for c in CASES}
_DEV = json.loads(nc.DEVIATIONS_FILE.read_text(encoding="utf-8"))
DEVIATIONS: dict[tuple[str, str], tuple[list[str], bool]] = {
    (d["case"], d["mode"]): (d["reasons"], bool(d.get("live"))) for d in _DEV["cases"]
}
WORKERS = 7  # concurrent requests


def model_id(fmt: str) -> str:
    return f"native-{fmt}"


@pytest.fixture(scope="module")
def native_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dyn_plugins.replay.dynamo_worker import build_model_dir

    return build_model_dir(tmp_path_factory.mktemp("native-model"), markers_special=False)


@pytest.fixture(scope="module")
def native(native_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Dynamo's native frontend and one replay worker per format name."""
    workdir = tmp_path_factory.mktemp("dynamo-native")
    replay = workdir / "outputs.json"
    replay.write_text(json.dumps(nc.replay_table(CASES), ensure_ascii=False), encoding="utf-8")
    from real_tokenizers.gpt_oss import encodings_dir

    env = {"TIKTOKEN_ENCODINGS_BASE": str(encodings_dir())}
    st = Stack(python=sys.executable, engine="", workdir=workdir, model_dir=native_model_dir, replay_file=replay, frontend_env=env)
    try:
        st.start([Worker(model_id(f), f) for f in nc.FORMATS])
        st.wait_http()
        st.wait_models({model_id(f) for f in nc.FORMATS})
        yield st
    finally:
        st.stop()


def _ask(stack: Stack, case: nc.Case, stream: bool) -> nc.Answer:
    messages = [{"role": "user", "content": f"Go. replay:{case.key}"}]
    r = stack.chat(model_id(case.format), messages, stream=stream, max_tokens=4096, tools=case.tool_list)
    assert r.status == 200, f"{case.id}: HTTP {r.status}: {r.body[:300]!r}"
    return nc.from_merged(merge_stream(sse_events(r.body))) if stream else nc.from_response(r.json())


@pytest.fixture(scope="module")
def answers(native: Stack) -> dict[tuple[str, str], nc.Answer]:
    """Dynamo's answer to every case in both modes (requests in parallel: the worker replays instantly)."""
    jobs = [(c, m) for c in CASES for m in nc.MODES]
    with ThreadPoolExecutor(WORKERS) as pool:
        got = list(pool.map(lambda job: _ask(native, job[0], job[1] == "sse"), jobs))
    return {(c.id, m): a for (c, m), a in zip(jobs, got)}


@pytest.fixture(scope="module")
def deltas(native_model_dir: Path) -> nc.Deltas:
    return nc.Deltas(native_model_dir)


def test_every_format_is_served(native: Stack) -> None:
    """Dynamo 1.6.1's native path knows each of our seven names (a model per name is listed)."""
    assert {model_id(f) for f in nc.FORMATS} <= native.models()


def test_deviation_file_is_consistent() -> None:
    """Every listed case exists, every reason is described in the file and has a predicate (native_reasons.py)."""
    assert set(_DEV["reasons"]) == set(REASONS) | {"live_announced_call"}
    assert {r for rs, _ in DEVIATIONS.values() for r in rs} <= set(REASONS)
    assert {cid for cid, _ in DEVIATIONS} <= set(BY_ID)
    assert len(DEVIATIONS) == len(_DEV["cases"]), "a (case, mode) is listed twice"


def test_generated_inputs_per_format() -> None:
    """At least 100 generated outputs per format, besides the fixture inputs."""
    for fmt in nc.FORMATS:
        assert sum(c.format == fmt and c.origin != "fixture" for c in CASES) >= 100


@pytest.mark.parametrize("mode", nc.MODES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_native_answer(
    answers: dict[tuple[str, str], nc.Answer], deltas: nc.Deltas, case: nc.Case, mode: str, record_property: Any
) -> None:
    """Dynamo native's answer equals ours, or the case is a listed deviation whose reasons explain the difference
    (and it still differs)."""
    theirs = answers[(case.id, mode)]
    chunks = deltas(case.text) if mode == "sse" else []
    ours = nc.ours(case, mode, chunks)
    diff = nc.differences(theirs, ours)
    ctx = Context(case, mode, theirs, ours, chunks, answers[(case.id, "json")])
    found = classify(ctx) if diff else None
    listed = DEVIATIONS.get((case.id, mode))
    record_property(
        "native",
        json.dumps(
            {"case": case.id, "format": case.format, "mode": mode, "diff": diff, "listed": listed and {"reasons": listed[0], "live": listed[1]},
             "explained": found and {"reasons": found[0], "live": found[1]}, "theirs": theirs.to_json(), "ours": ours.to_json()},
            ensure_ascii=False,
        ),
    )
    if listed is None:
        assert not diff, f"{diff}: Dynamo {theirs.to_json()} vs ours {ours.to_json()} (explained by: {found})"
    else:
        reasons, live = listed
        assert diff, f"stale deviation: {case.id} {mode} now matches Dynamo ({reasons})"
        assert explains(reasons, ctx, live), f"{reasons} (live={live}) do not explain {diff}: Dynamo {theirs.to_json()} vs ours {ours.to_json()}"
