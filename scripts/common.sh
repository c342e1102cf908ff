#!/usr/bin/env bash
# Shared by the venv scripts: build this package's wheel once, make a venv, install the wheel into it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3.11}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# The engine versions `make test` runs each engine's suite against (one venv each), oldest first; the last one is
# the default of scripts/venv_vllm.sh / venv_sglang.sh and the newest that `dyn-plugins doctor` calls tested
# (dyn_plugins/names.py TESTED_VERSIONS must match: tests/cli checks it).
VLLM_VERSIONS=(0.31.0 0.32.0 0.33.0)
SGLANG_VERSIONS=(0.5.21 0.5.23)

# short_version 0.33.0 -> 0.33 (vLLM venv directory names: one venv per minor release)
short_version() { local IFS=.; local -a p=($1); echo "${p[0]}.${p[1]}"; }

# engine_venv vllm|sglang [VERSION]: the venv scripts/venv_<engine>.sh makes for VERSION (default: the newest tested)
engine_venv() {
    case "$1" in
        vllm) echo "${VENV_VLLM:-$ROOT/.venv-vllm-$(short_version "${2:-${VLLM_VERSIONS[-1]}}")}" ;;
        sglang) echo "${VENV_SGLANG:-$ROOT/.venv-sglang-${2:-${SGLANG_VERSIONS[-1]}}}" ;;
    esac
}

# build_wheel: a fresh dyn_plugins-*.whl from the working tree, in a private directory (scripts may run at the
# same time); prints its path. Rebuilt every time: it takes 5 seconds.
build_wheel() {
    local out
    out="$(mktemp -d "${TMPDIR:-/tmp}/dyn-plugins-wheel.XXXXXX")"
    "$PY" -m pip wheel --no-deps -q -w "$out" "$ROOT" >&2
    local whl
    whl="$(ls "$out"/dyn_plugins-*.whl)"
    # also publish it as dist/<name> (atomic rename) for scripts that look there
    mkdir -p "$ROOT/dist"
    cp "$whl" "$ROOT/dist/.$(basename "$whl").$$" && mv -f "$ROOT/dist/.$(basename "$whl").$$" "$ROOT/dist/$(basename "$whl")"
    echo "$whl"
}

# make_venv DIR: a fresh venv unless DIR already has a completed install (marker file DIR/.complete).
# Prints "fresh" or "reuse".
make_venv() {
    local dir="$1"
    if [[ -f "$dir/.complete" ]]; then echo reuse; return; fi
    rm -rf "$dir"
    "$PY" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip >&2
    echo fresh
}

# lock_venv DIR: hold an exclusive lock on building DIR for the rest of the calling script (scripts/test_all.sh
# builds the next suite's venv in the background while a suite runs: whoever comes second waits, then reuses it).
# A background build (DYN_PLUGINS_PREFETCHING=1) leaves a venv alone that is already complete or whose suite has
# started (run_then_prune marks it): it must not reinstall into a venv under test, nor rebuild a pruned one.
lock_venv() {
    local name
    name="$(basename "$1")"
    mkdir -p "$ROOT/.venv-locks"
    exec 9>"$ROOT/.venv-locks/$name.lock"
    flock 9
    if [[ "${DYN_PLUGINS_PREFETCHING:-0}" == 1 && ( -f "$1/.complete" || -f "$ROOT/.venv-locks/$name.used" ) ]]; then
        exit 0
    fi
}

# run_then_prune DIR CMD...: run CMD (a test suite in venv DIR) and return its status; with DYN_PLUGINS_PRUNE_VENVS=1
# (set by .ci/run) remove DIR afterwards, pass or fail, so that a CI machine holds one engine venv at a time (they
# are 0.3 to 6 GB each) instead of all of them.
run_then_prune() {
    local dir="$1" rc=0; shift
    mkdir -p "$ROOT/.venv-locks" && touch "$ROOT/.venv-locks/$(basename "$dir").used"
    "$@" || rc=$?
    if [[ "${DYN_PLUGINS_PRUNE_VENVS:-0}" == 1 ]]; then
        echo "run_then_prune: removing $dir ($(du -sh "$dir" 2>/dev/null | cut -f1))" >&2
        rm -rf "$dir"
    fi
    return $rc
}

# each_version ENGINE LABEL VENV_SCRIPT VERSION... -- PYTEST_ARGS...: for each VERSION, the venv (VENV_SCRIPT with
# (ONE_VERSION + the array ONE_VERSION_FILES: those test files run on that version only, --ignore'd on the others)
# <ENGINE>_VERSION=VERSION), then its pytest PYTEST_ARGS (pruned after, see run_then_prune), with timings; fails if
# any version failed, naming them. One loop for scripts/test_vllm.sh and scripts/test_sglang.sh.
each_version() {
    local engine="$1" label="$2" script="$3" v venv start; shift 3
    local -a versions=() failed=()
    while [[ "$1" != "--" ]]; do versions+=("$1"); shift; done
    shift
    for v in "${versions[@]}"; do
        echo "=== $label $v" >&2
        start=$SECONDS
        venv="$(env "${engine}_VERSION=$v" "$script" | tail -1)"
        echo "=== $label $v: venv ready in $((SECONDS - start)) s" >&2
        start=$SECONDS
        local -a only=()
        if [[ -n "${ONE_VERSION:-}" && "$v" != "$ONE_VERSION" ]]; then
            for f in "${ONE_VERSION_FILES[@]}"; do only+=(--ignore="$f"); done
        fi
        run_then_prune "$venv" "$venv/bin/pytest" "$@" "${only[@]}" || failed+=("$v")
        echo "=== $label $v: suite done in $((SECONDS - start)) s" >&2
    done
    if ((${#failed[@]})); then echo "$label suites failed for: ${failed[*]}" >&2; return 1; fi
}

# install_wheel DIR: (re)install the freshly built wheel, without touching the venv's other packages.
install_wheel() {
    local dir="$1" whl
    whl="$(build_wheel)"
    "$dir/bin/python" -m pip install -q --no-deps --force-reinstall "$whl" >&2
}

# SGLang's serving front end (CLI, OpenAI chat serving, function-call and reasoning parsers, tokenizer, templates)
# without its GPU kernels: sglang itself with --no-deps, then these packages at the versions that sglang release
# pins (read from its own metadata, so one list serves every SGLang version). Half the disk of a full install
# (about 6 GB: the CUDA torch stays, because sglang's config import needs torchvision and the index's torchvision
# only loads with the CUDA torch), and no downloads from outside the index (sglang 0.5.21's cuda-tile does that).
SGLANG_FRONTEND=(
    torch torchvision transformers tokenizers openai openai-harmony xgrammar partial_json_parser pybase64 orjson
    pydantic fastapi uvicorn python-multipart interegular einops numpy pillow psutil setproctitle sentencepiece regex
    requests IPython msgspec pyzmq aiohttp uvloop tqdm compressed-tensors gguf jsonschema dill
)

# pip's "Location ... is ignored" lines about this machine's extra index, and its report of the requirements that
# a --no-deps install leaves out on purpose: noise.
pip_quiet() {
    grep -v -e "is ignored: it is neither a file nor a directory" -e "^sglang [0-9.]* requires " \
        -e "^ERROR: pip's dependency resolver does not currently take into account" >&2 || true
}

# install_sglang_frontend DIR VERSION [EXTRA_PACKAGE...]
install_sglang_frontend() {
    local dir="$1" version="$2"; shift 2
    "$dir/bin/python" -m pip install -q --no-deps "sglang==$version" packaging 2>&1 | pip_quiet
    local reqs
    mapfile -t reqs < <("$dir/bin/python" - "${SGLANG_FRONTEND[@]}" <<'PY'
import sys
from importlib.metadata import requires
from packaging.requirements import Requirement
wanted = {n.lower().replace("_", "-"): n for n in sys.argv[1:]}
pinned = {}
for line in requires("sglang") or []:
    req = Requirement(line)
    key = req.name.lower().replace("_", "-")
    if key in wanted and (req.marker is None or req.marker.evaluate({"extra": ""})):
        pinned[key] = f"{req.name}{req.specifier}"
print("\n".join(pinned.get(k, n) for k, n in wanted.items()))
PY
    )
    # The machine's find-links directory holds a CPU torch that pip would prefer: point find-links at an empty
    # directory for this install (torch from the index, the build that its torchvision loads with).
    local no_links
    no_links="$(mktemp -d)"
    PIP_FIND_LINKS="$no_links" "$dir/bin/python" -m pip install -q "${reqs[@]}" "$@" 2>&1 | pip_quiet
    rmdir "$no_links"
}
