"""Start-up costs, each measured in fresh processes: the import hook, and plugin registration per engine.

    python -m benchmarks.startup hook   [--python VENV/bin/python] [--runs 40]
    python -m benchmarks.startup vllm   [--python .venv-vllm/bin/python] [--runs 3]
    python -m benchmarks.startup vllm-bare [--python .venv-vllm/bin/python] [--runs 3]
    python -m benchmarks.startup sglang [--python .venv-sglang/bin/python] [--runs 3]

``hook``: the wheel's ``dyn_plugins.pth`` runs at every interpreter start of the venv it is installed
in. Two figures: ``-X importtime`` of ``dyn_plugins._hook`` (cumulative, the import the .pth line
does), and the median wall time of ``python -c pass`` with the hook vs ``DYN_PLUGINS_NO_HOOK=1``
(alternating runs, so drifts of a shared machine cancel).

``vllm`` / ``sglang``: in a fresh process that has already imported what the engine's server has
imported when it loads plugins (the parser registries and the request protocol), time importing our
plugin module plus calling its ``register()`` (the entry point). With the import hook off, so the
entry point does the work; and separately, with the hook on, the time the hook spends registering
when the engine's registry modules are imported (``dyn_plugins._hook._after`` timed).
``vllm-bare``: ``load_general_plugins()`` in a fresh process that has not imported vLLM's tool-parser registry
(what vLLM's engine core and workers do), with the import hook and with ``DYN_PLUGINS_NO_HOOK=1``.
The code measured is the wheel installed in the venv (with its .pyc files, as users run it); each
result lists the files where that copy differs from this tree (``installed_differs_from_tree``).
Prints one JSON object per measurement; ``--out`` appends them to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Snippets run in the engine venvs (cwd /tmp, no PYTHONPATH: the installed wheel).
_REGISTER = r"""
import json, os, time, importlib
for m in {preload!r}:
    importlib.import_module(m)
t0 = time.perf_counter()
plugin = importlib.import_module({plugin!r})
plugin.register()
t1 = time.perf_counter()
print(json.dumps({{"register_ms": (t1 - t0) * 1e3}}))
"""

_HOOKED = r"""
import json, time, importlib, dyn_plugins._hook as h
spent = []
inner = h._after
def timed(name):
    t0 = time.perf_counter(); inner(name); spent.append((name, (time.perf_counter() - t0) * 1e3))
h._after = timed
for m in {preload!r}:
    importlib.import_module(m)
print(json.dumps({{"hook_ms": sum(s for _, s in spent), "calls": spent}}))
"""

ENGINES = {
    "vllm": {
        "python": ROOT / ".venv-vllm/bin/python",
        "plugin": "dyn_plugins.vllm.plugin",
        "preload": [
            "vllm",
            "vllm.entrypoints.openai.chat_completion.protocol",
            "vllm.tool_parsers",
            "vllm.reasoning",
        ],
        "env": {"VLLM_TARGET_DEVICE": "cpu"},
    },
    "sglang": {
        "python": ROOT / ".venv-sglang/bin/python",
        "plugin": "dyn_plugins.sglang.plugin",
        "preload": [
            "sglang.srt.entrypoints.openai.protocol",
            "sglang.srt.function_call.parser_names",
            "sglang.srt.function_call.function_call_parser",
            "sglang.srt.parser.reasoning_parser_names",
            "sglang.srt.parser.reasoning_parser",
        ],
        "env": {},
    },
}


def _purelib(python: str, env: dict[str, str]) -> Path:
    """The site-packages directory of ``python``'s venv (where the wheel is installed)."""
    out = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         cwd="/tmp", env=env, capture_output=True, text=True, check=True).stdout.strip()
    return Path(out)


def _run(python: str, code: str, env: dict[str, str]) -> dict:
    full = {**os.environ, **env}
    full.pop("PYTHONPATH", None)  # the installed wheel (with its compiled .pyc files), as users run it
    out = subprocess.run([python, "-c", code], cwd="/tmp", env=full, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def engine(name: str, python: str, runs: int) -> dict:
    cfg = ENGINES[name]
    reg = [
        _run(python, _REGISTER.format(preload=cfg["preload"], plugin=cfg["plugin"]), {**cfg["env"], "DYN_PLUGINS_NO_HOOK": "1"})["register_ms"]
        for _ in range(runs)
    ]
    hooked = [_run(python, _HOOKED.format(preload=cfg["preload"]), cfg["env"]) for _ in range(runs)]
    hook_median = statistics.median(h["hook_ms"] for h in hooked)
    return {
        "what": f"{name} plugin registration (entry point: import + register(), registries already imported)",
        "register_ms_median": round(statistics.median(reg), 2),
        "register_ms_runs": [round(x, 2) for x in reg],
        "hook_register_ms_median": round(hook_median, 2),
        "hook_calls_last_run": [(n, round(ms, 2)) for n, ms in hooked[-1]["calls"]],
        "target_ms": 50,
        "pass": statistics.median(reg) < 50 and hook_median < 50,
    }


_BARE = r"""
import json, sys, time
t0 = time.perf_counter()
from vllm.plugins import load_general_plugins
t1 = time.perf_counter()
load_general_plugins()
t2 = time.perf_counter()
print(json.dumps({{"load_ms": (t2 - t1) * 1e3, "registry_imported": any(p in sys.modules for p in {registries!r})}}))
"""


def vllm_bare(python: str, runs: int) -> dict:
    """``load_general_plugins()`` in a fresh vLLM process that has not imported the tool-parser registry (engine
    core, workers), with the import hook (registration left until vLLM imports the registry) and without it
    (``DYN_PLUGINS_NO_HOOK=1``: register() imports the registry), alternating runs."""
    from dyn_plugins.vllm import TOOL_PARSER_REGISTRIES

    code = _BARE.format(registries=TOOL_PARSER_REGISTRIES)
    env = {**ENGINES["vllm"]["env"], "VLLM_PLUGINS": "dyn_plugins"}  # ours only: other packages' plugins cost their own
    hooked: list[dict] = []
    unhooked: list[dict] = []
    for i in range(runs):
        for off in ((False, True) if i % 2 else (True, False)):
            (unhooked if off else hooked).append(_run(python, code, {**env, "DYN_PLUGINS_NO_HOOK": "1"} if off else env))
    with_hook = statistics.median(r["load_ms"] for r in hooked)
    return {
        "what": "vllm load_general_plugins() in a process without the tool-parser registry imported",
        "load_ms_with_hook_median": round(with_hook, 1),
        "load_ms_without_hook_median": round(statistics.median(r["load_ms"] for r in unhooked), 1),
        "registry_imported_with_hook": any(r["registry_imported"] for r in hooked),
        "registry_imported_without_hook": all(r["registry_imported"] for r in unhooked),
        "runs": runs,
        "target_ms": 50,
        "pass": with_hook < 50 and not any(r["registry_imported"] for r in hooked),
    }


_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def hook(python: str, runs: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DYN_PLUGINS_NO_HOOK")}
    site = _purelib(python, env)
    if not (site / "dyn_plugins.pth").exists():
        raise SystemExit(f"no dyn_plugins.pth in {site}: install the wheel into that venv first")
    cum: list[int] = []
    for _ in range(max(5, runs // 4)):
        err = subprocess.run([python, "-X", "importtime", "-c", "pass"], cwd="/tmp", env=env, capture_output=True, text=True).stderr
        total = 0
        for self_us, cum_us, indent, mod in _IMPORTTIME.findall(err):
            if mod == "dyn_plugins._hook":
                total = int(cum_us)  # includes the dyn_plugins package it lives in
            elif mod == "dyn_plugins" and not total:
                total = int(cum_us)
        cum.append(total)
    on: list[float] = []
    off: list[float] = []
    for i in range(runs):
        for disabled in ((False, True) if i % 2 else (True, False)):
            e = {**env, "DYN_PLUGINS_NO_HOOK": "1"} if disabled else env
            t0 = time.perf_counter()
            subprocess.run([python, "-c", "pass"], cwd="/tmp", env=e, check=True)
            (off if disabled else on).append((time.perf_counter() - t0) * 1e3)
    d = statistics.median(on) - statistics.median(off)
    return {
        "what": "import hook (.pth) at interpreter start-up",
        "importtime_hook_us_median": statistics.median(cum),
        "start_ms_with_hook_median": round(statistics.median(on), 2),
        "start_ms_without_hook_median": round(statistics.median(off), 2),
        "start_ms_difference": round(d, 3),
        "runs": runs,
        "target_ms": 1,
        "pass": statistics.median(cum) < 1000,
    }


def installed_differs(python: str) -> list[str]:
    """The .py files of the venv's installed dyn_plugins that differ from this tree's (none: the figures are this code's)."""
    installed = _purelib(python, {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}) / "dyn_plugins"
    out = []
    for src in sorted((ROOT / "dyn_plugins").rglob("*.py")):
        dst = installed / src.relative_to(ROOT / "dyn_plugins")
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            out.append(src.relative_to(ROOT).as_posix())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("hook", "vllm", "vllm-bare", "sglang"))
    ap.add_argument("--python", default=None, help="interpreter of the venv to measure (the wheel installed there)")
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None, help="append the JSON result to this file")
    args = ap.parse_args(argv)
    python = args.python or str(ROOT / ".venv-core/bin/python" if args.what == "hook" else ENGINES[args.what.split("-")[0]]["python"])
    if args.what == "hook":
        res = hook(python, args.runs or 40)
    elif args.what == "vllm-bare":
        res = vllm_bare(python, args.runs or 3)
    else:
        res = engine(args.what, python, args.runs or 3)
    res["installed_differs_from_tree"] = installed_differs(python)
    line = json.dumps(res)
    print(line)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
