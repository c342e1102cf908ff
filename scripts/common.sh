#!/usr/bin/env bash
# Shared by the venv scripts: build this package's wheel once, make a venv, install the wheel into it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3.11}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# build_wheel: dist/dyn_plugins-*.whl from the working tree (rebuilt every time: it is 5 seconds).
build_wheel() {
    rm -rf "$ROOT/dist"
    "$PY" -m pip wheel --no-deps -q -w "$ROOT/dist" "$ROOT" >&2
    ls "$ROOT"/dist/dyn_plugins-*.whl
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
