#!/usr/bin/env bash
# Shared by the venv scripts: build this package's wheel once, make a venv, install the wheel into it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3.11}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

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

# install_wheel DIR: (re)install the freshly built wheel, without touching the venv's other packages.
install_wheel() {
    local dir="$1" whl
    whl="$(build_wheel)"
    "$dir/bin/python" -m pip install -q --no-deps --force-reinstall "$whl" >&2
}
