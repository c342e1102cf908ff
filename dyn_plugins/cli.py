"""``dyn-plugins``: parse with a format, show the name table, check an install, triage a bad tool call.

Subcommands: ``parse``, ``names``, ``doctor``, ``triage``, ``template``, ``demo`` (``dyn-plugins CMD --help``).
Never imports vLLM, SGLang or torch at import time; ``names`` and ``doctor`` read the engines' registries from
their package files (:mod:`dyn_plugins.cli_engines`), ``demo`` imports the engine adapter only when run.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from . import names as N
from . import switches

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


# --------------------------------------------------------------------------------------------- helpers
def _table(rows: list[list[str]], header: list[str]) -> str:
    """Plain aligned text table (no dependency)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header).rstrip(), fmt.format(*("-" * w for w in widths)).rstrip()]
    lines += [fmt.format(*map(str, r)).rstrip() for r in rows]
    return "\n".join(lines)


def _read_text(arg: str | None) -> str:
    if arg in (None, "-"):
        return sys.stdin.read()
    return Path(arg).read_text(encoding="utf-8")


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SystemExit(f"dyn-plugins: {path} is not valid JSON: {exc}") from exc


def _err(msg: str) -> int:
    print(f"dyn-plugins: error: {msg}", file=sys.stderr)
    return EXIT_USAGE


# --------------------------------------------------------------------------------------------- parse
def _openai_message(fmt_name: str, result: Any, events: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The parse as an OpenAI chat-completion choice (what the engines return), plus the stream's events if any."""
    message: dict[str, Any] = {"role": "assistant", "content": result.normal_text or None}
    if result.reasoning_text:
        message["reasoning_content"] = result.reasoning_text
    if result.calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for i, c in enumerate(result.calls)
        ]
    out: dict[str, Any] = {"format": fmt_name, "message": message, "finish_reason": "tool_calls" if result.calls else "stop"}
    if events is not None:
        out["events"] = events
    return out


def cmd_parse(args: argparse.Namespace) -> int:
    from .formats import assemble, get_format

    try:
        fmt_name = N.our_format(args.format)
    except N.UnknownParserError as exc:
        return _err(str(exc))
    tools = None
    if args.tools:
        tools = _read_json(args.tools)
        if isinstance(tools, dict) and "tools" in tools:  # a whole request body
            tools = tools["tools"]
    text = _read_text(args.file)
    fmt = get_format(fmt_name)
    out: dict[str, Any] = {}
    if args.stream:
        stream = fmt.stream(tools, buffered=args.buffered)
        events = []
        size = max(1, args.chunk)
        for i in range(0, len(text), size):
            events += stream.feed(text[i : i + size])
        events += stream.finish()
        result = assemble(events)
        out["events"] = [{"type": type(e).__name__, **{k: getattr(e, k) for k in e.__slots__}} for e in events]
    else:
        result = fmt.parse(text, tools)
    print(json.dumps(_openai_message(fmt_name, result, out.get("events")), ensure_ascii=False, indent=2))
    return EXIT_OK


# --------------------------------------------------------------------------------------------- names
def _load_available(path: str) -> dict[str, frozenset[str] | None]:
    """Registry names from a file: JSON {"tool": [...], "reasoning": [...]}, a JSON list, or one name per line."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if isinstance(data, dict):
        return {k: (frozenset(data[k]) if k in data else None) for k in ("tool", "reasoning")}
    return {"tool": frozenset(data), "reasoning": None}


def _engines(args: argparse.Namespace) -> dict[str, Any]:
    from . import cli_engines as E

    wanted = [args.engine] if getattr(args, "engine", None) else list(N.ENGINES)
    infos: dict[str, Any] = {}
    for eng in wanted:
        if getattr(args, "available", None):
            infos[eng] = E.file_info(eng, _load_available(args.available), Path(args.available).name)
        elif getattr(args, "assume", None):
            infos[eng] = E.snapshot_info(eng, args.assume)
        else:
            infos[eng] = E.engine_info(eng)
    return infos


def _cell(row: N.ParserName, name: str, engine: str, info: Any, kind: str) -> tuple[str, str]:
    """(text, status) of one name in one engine: status ours|engine|unsupported|not installed|unknown."""
    reg = info.registry.get(kind) if info.installed else None
    if not info.installed or reg is None:
        plan = f"dyn-plugins {row.ours}" if row.ours else "|".join(row.candidates(engine)) or "-"  # type: ignore[arg-type]
        if not row.ours and row.fallback_ours:
            plan += f" (else dyn-plugins {row.fallback_ours})"
        return (plan, "not installed") if not info.installed else (f"unknown [{plan}]", "unknown")
    res = N.resolve(name, engine, reg, kind)  # type: ignore[arg-type]
    if res.target == "ours":
        extra = f" (replaces {engine}'s own)" if name in reg else ""
        if not row.ours:
            extra = f" ({engine} lacks {'|'.join(row.candidates(engine)) or 'a parser for it'})"  # type: ignore[arg-type]
        return f"dyn-plugins {res.impl}{extra}", "ours"
    if res.target == "engine":
        return (f"{engine} {res.impl}" + (" (same name)" if res.impl == name else "")), "engine"
    return "UNSUPPORTED", "unsupported"


def names_table(infos: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """name table rows per kind: {"tool": [{name, alias_of, note, <engine>: {text, status}}], "reasoning": [...]}."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in ("tool", "reasoning"):
        rows = []
        for row in N.rows(kind):  # type: ignore[arg-type]
            for name in row.names:
                entry: dict[str, Any] = {"name": name, "alias_of": row.dynamo if name != row.dynamo else "", "note": row.note}
                for eng, info in infos.items():
                    text, status = _cell(row, name, eng, info, kind)
                    entry[eng] = {"text": text, "status": status}
                rows.append(entry)
        out[kind] = rows
    return out


def cmd_names(args: argparse.Namespace) -> int:
    try:
        infos = _engines(args)
    except KeyError as exc:
        return _err(str(exc.args[0]))
    table = names_table(infos)
    if args.json:
        print(json.dumps({"engines": {e: {"installed": i.installed, "version": i.version, "source": i.source} for e, i in infos.items()}, **table}, indent=2))
        return EXIT_OK
    for eng, info in infos.items():
        src = f" ({info.source})" if info.installed else ""
        print(f"{eng}: {info.version if info.installed else 'not installed'}{src}" + (f" - {info.error}" if info.error else ""))
    engines = list(infos)
    for kind, title in (("tool", "Tool-call parsers (--tool-call-parser)"), ("reasoning", "Reasoning parsers (--reasoning-parser)")):
        print(f"\n{title}")
        rows = [[r["name"], r["alias_of"] or "", *(r[e]["text"] for e in engines), r["note"]] for r in table[kind]]
        print(_table(rows, ["NAME", "ALIAS OF", *(infos[e].label.upper() for e in engines), "NOTE"]))
    if not all(i.installed for i in infos.values()):
        print("\nA NOT INSTALLED column shows the plan: 'dyn-plugins X' = our format X; a|b = the engine's names tried in order.")
    if any(i.installed for i in infos.values()):
        print("\nUNSUPPORTED: no dyn-plugins format and no parser in that engine; the engine rejects the name.")
    return EXIT_OK


# --------------------------------------------------------------------------------------------- doctor
class _Doctor:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.problems = 0
        self.warnings = 0

    def ok(self, msg: str) -> None:
        print(f"[ok]   {msg}", file=self.out)

    def info(self, msg: str) -> None:
        print(f"[info] {msg}", file=self.out)

    def warn(self, msg: str, fix: str | None = None) -> None:
        self.warnings += 1
        print(f"[warn] {msg}", file=self.out)
        if fix:
            print(f"       fix: {fix}", file=self.out)

    def fail(self, msg: str, fix: str) -> None:
        self.problems += 1
        print(f"[FAIL] {msg}", file=self.out)
        print(f"       fix: {fix}", file=self.out)


ENTRY_POINTS = {
    "vllm": ("vllm.general_plugins", switches.ENTRY_POINT_NAME, "dyn_plugins.vllm.plugin:register"),
    "sglang": ("sglang.srt.plugins", switches.ENTRY_POINT_NAME, "dyn_plugins.sglang.plugin:register"),
}
REINSTALL = (
    "reinstall the wheel: pip install --force-reinstall --no-deps dist/dyn_plugins-*.whl (build it in the repository "
    "with python -m pip wheel --no-deps -w dist .; dyn-plugins is not on a package index)"
)


def hook_status() -> dict[str, Any]:
    """The import hook (SGLang and vLLM registries): shipped? its .pth installed? disabled by env? loaded in this process?"""
    import site

    shipped = importlib.util.find_spec("dyn_plugins._hook") is not None
    dirs = [*site.getsitepackages(), site.getusersitepackages(), *sys.path]
    pth = next((str(Path(d) / "dyn_plugins.pth") for d in dirs if d and (Path(d) / "dyn_plugins.pth").is_file()), None)
    disabled = switches.hook_disabled()
    loaded = "dyn_plugins._hook" in sys.modules
    return {"shipped": shipped, "pth": pth, "disabled": disabled, "loaded": loaded, "active": bool(pth) and loaded and not disabled}


def cmd_doctor(args: argparse.Namespace) -> int:
    from . import cli_engines as E
    from .chat_templates import TEMPLATES, template_path

    d = _Doctor(sys.stdout)
    try:
        version = importlib.metadata.version("dyn-plugins")
    except importlib.metadata.PackageNotFoundError:
        version = None
    pkg_dir = Path(__file__).resolve().parent
    if version is None:
        d.fail(f"dyn_plugins is imported from {pkg_dir} but not installed (no dist-info): engines will not load it", REINSTALL)
    else:
        d.ok(f"dyn-plugins {version} at {pkg_dir}")

    infos = E.all_engines()
    installed = [e for e, i in infos.items() if i.installed]
    for eng, info in infos.items():
        if info.installed:
            d.ok(f"{eng} {info.version or '(version unknown)'} installed at {info.location} (parsers read from {info.source})")
            status = E.version_status(eng, info.version)  # type: ignore[arg-type]
            tested = f"dyn-plugins is tested with {eng} {E.tested_range(eng)}"  # type: ignore[arg-type]
            if status == "newer":
                d.warn(
                    f"{eng} {info.version} is newer than the newest version {tested}: the parsers register, but this "
                    f"release's serving code has not been checked",
                    f"use {eng}=={N.TESTED_VERSIONS[eng][-1]} (the newest tested), or run the test suite against this version",  # type: ignore[index]
                )
            elif status == "older":
                d.warn(f"{eng} {info.version} is older than every version {tested}", f"upgrade to {eng}=={N.TESTED_VERSIONS[eng][-1]}")  # type: ignore[index]
            elif status in ("tested", "within"):
                d.ok(f"{eng} {info.version}: {tested}")
            if info.error:
                d.fail(info.error, f"report this with your {eng} version: dyn-plugins cannot see its parser registry")
        else:
            d.info(f"{eng} not installed (to use it: pip install {eng}=={N.TESTED_VERSIONS[eng][-1]} here, or {E.VENV_SCRIPTS[eng]} in the repo)")  # type: ignore[index]
    if not installed:
        d.fail(
            "no engine installed: dyn-plugins registers its parsers inside vLLM or SGLang",
            f"pip install vllm=={N.TESTED_VERSIONS['vllm'][-1]} or sglang=={N.TESTED_VERSIONS['sglang'][-1]} in this environment",
        )

    # entry points
    eps = importlib.metadata.entry_points()
    for eng, (group, name, value) in ENTRY_POINTS.items():
        found = [ep for ep in eps.select(group=group) if ep.name == name]
        if not found:
            (d.fail if eng in installed else d.warn)(f"entry point {group}: {name} not visible", REINSTALL)
        elif found[0].value != value:
            d.fail(f"entry point {group}: {name} = {found[0].value} (expected {value})", REINSTALL)
        else:
            d.ok(f"entry point {group}: {name} = {value}")
        filter_env = switches.ALLOW_LIST_ENV[eng]
        flt = os.environ.get(filter_env)
        if not switches.allowed(eng):
            (d.fail if eng in installed else d.warn)(f"${filter_env}={flt!r} filters out the dyn_plugins plugin", f"add dyn_plugins to {filter_env} or unset it")
    if not [ep for ep in eps.select(group="console_scripts") if ep.name == "dyn-plugins"]:
        d.warn("console script dyn-plugins not registered", REINSTALL)

    # names
    for eng in installed:
        info = infos[eng]
        for kind in ("tool", "reasoning"):
            reg = info.registry.get(kind)
            if reg is None:
                continue
            res = list(N.resolve_all(eng, reg, kind))  # type: ignore[arg-type]
            bad = [r for r in res if not r.ok]
            newer = E.newest_snapshot(eng, kind)  # type: ignore[arg-type]
            fixable = [r.name for r in bad if N.resolve(r.name, eng, newer, kind).ok]  # type: ignore[arg-type]
            d.ok(f"{eng} {kind} names: {len(res) - len(bad)}/{len(res)} Dynamo names resolve")
            if fixable:
                d.fail(
                    f"{eng} {info.version} lacks the {kind} parsers for: {', '.join(fixable)}",
                    f"upgrade {eng} to a version this table was checked against ({', '.join(v for e, v in N.ENGINE_REGISTRIES if e == eng)})",
                )
            rest = [r.name for r in bad if r.name not in fixable]
            if rest:
                d.info(f"{eng} {kind} names no engine version serves (rejected as unknown): {', '.join(rest)}")

    # import hook
    hook = hook_status()
    if not hook["shipped"]:
        d.info("import hook (dyn_plugins._hook) not shipped in this build")
    elif hook["disabled"]:
        msg = "import hook disabled by DYN_PLUGINS_NO_HOOK: Dynamo's SGLang and vLLM fallback processors and SGLang's --tokenizer-worker-num > 1 workers will not see Dynamo names"
        (d.warn(msg, "unset DYN_PLUGINS_NO_HOOK") if "sglang" in installed else d.info(msg))
    elif hook["active"]:
        d.ok(f"import hook active ({hook['pth']})")
    elif not hook["pth"]:
        msg = "import hook .pth file (dyn_plugins.pth) not found in site-packages"
        (d.fail if "sglang" in installed else d.warn)(msg, REINSTALL)
    else:
        d.warn(f"import hook installed ({hook['pth']}) but not loaded in this process", "run dyn-plugins from the environment it is installed in")

    # templates
    missing = []
    for tname in TEMPLATES:
        try:
            template_path(tname)
        except (KeyError, FileNotFoundError):
            missing.append(tname)
    if missing:
        d.fail(f"chat templates missing from the install: {', '.join(missing)}", REINSTALL)
    else:
        d.ok(f"{len(TEMPLATES)} chat templates installed ({template_path('default').parent})")

    print(f"\n{d.problems} problem(s), {d.warnings} warning(s)")
    return EXIT_PROBLEM if d.problems else EXIT_OK


# --------------------------------------------------------------------------------------------- triage
def cmd_triage(args: argparse.Namespace) -> int:
    from . import triage as T

    request = _read_json(args.request)
    if args.url:
        try:
            response = T.fetch(args.url, request, timeout=args.timeout, token_ids=bool(args.tokenizer))
        except Exception as exc:  # noqa: BLE001 - a network error is a usage problem, reported plainly
            return _err(f"request to {args.url} failed: {exc}")
        if args.save:
            Path(args.save).write_text(json.dumps(response, indent=2, ensure_ascii=False), encoding="utf-8")
    elif args.response:
        response = _read_json(args.response)
    else:
        return _err("give --response FILE (a response saved with \"logprobs\": true) or --url URL")
    decode_ids = None
    if args.tokenizer:
        decode_ids = _id_decoder(args.tokenizer)
    if args.parser:
        try:
            N.our_format(args.parser)
        except N.UnknownParserError:
            if N.lookup(args.parser, "tool") is None:
                return _err(f"--parser {args.parser!r} is not a Dynamo tool-call parser name; names: {', '.join(N.all_names('tool'))}")
    report = T.triage(request, response, args.parser, decode_ids)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(T.render(report))
    return EXIT_OK if report.verdict == "ok" else EXIT_PROBLEM


def _id_decoder(path: str) -> Any:
    from tokenizers import Tokenizer

    p = Path(path)
    tok = Tokenizer.from_file(str(p / "tokenizer.json" if p.is_dir() else p))

    def decode(ids: list[int]) -> bytes:
        return tok.decode(ids, skip_special_tokens=False).encode("utf-8")

    return decode


# --------------------------------------------------------------------------------------------- template / demo
def cmd_template(args: argparse.Namespace) -> int:
    from .chat_templates import TEMPLATES, template_path

    if not args.name:
        rows = []
        for t in TEMPLATES.values():
            try:
                path = str(template_path(t.name))
            except FileNotFoundError:
                path = "MISSING"
            rows.append([t.name, t.format, t.description, path])
        print(_table(rows, ["NAME", "PARSER", "DESCRIPTION", "PATH"]))
        return EXIT_OK
    try:
        path = template_path(args.name)
    except (KeyError, FileNotFoundError) as exc:
        return _err(str(exc.args[0]))
    print(path.read_text(encoding="utf-8") if args.show else path)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .cli_engines import VENV_SCRIPTS, engine_info

    if not engine_info(args.engine).installed:
        return _err(
            f"{args.engine} is not installed in this environment ({sys.executable}); create one with "
            f"{VENV_SCRIPTS[args.engine]} (from the repository) or pip install {args.engine} next to dyn-plugins"
        )
    demo = importlib.import_module(f"dyn_plugins.replay.{args.engine}_demo")
    rest = list(args.args)
    if rest[:1] == ["--"]:
        rest = rest[1:]
    rc = demo.main(rest)
    return int(rc or 0)


# --------------------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    fmts = ", ".join(sorted({n for r in N.TOOL_PARSERS if r.ours or r.fallback_ours for n in r.names}))
    p = argparse.ArgumentParser(
        prog="dyn-plugins",
        description="NVIDIA Dynamo's tool-call parser formats and names in vLLM and SGLang: inspect, check, triage.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sp = sub.add_parser("parse", help="parse model output with a format, print JSON", description=f"Parse text with one of our formats ({fmts}) and print the result as JSON.")
    sp.add_argument("--format", "-f", required=True, help="format or Dynamo tool-call name (e.g. glm47, deepseek-v4)")
    sp.add_argument("--tools", help="JSON file with the OpenAI tools list (or a whole request body): types glm47/DSML values")
    sp.add_argument("--stream", action="store_true", help="use the streaming parser (feeds --chunk characters at a time) and print its events")
    sp.add_argument("--chunk", type=int, default=1, help="characters per streamed chunk (default 1)")
    sp.add_argument("--buffered", action="store_true", help="with --stream: deliver whole calls (as DYN_PLUGINS_TOOL_STREAMING=buffered does) instead of live argument fragments")
    sp.add_argument("file", nargs="?", default="-", help="text file, or - for stdin (default)")
    sp.set_defaults(func=cmd_parse)

    sp = sub.add_parser("names", help="the Dynamo name table resolved for the installed engines", description="Every Dynamo tool-call and reasoning parser name, and what serves it in each engine (read from the installed engines' registries without importing them).")
    sp.add_argument("--engine", choices=N.ENGINES, help="only this engine")
    src = sp.add_mutually_exclusive_group()
    src.add_argument("--assume", metavar="VERSION", help="resolve against the built-in registry snapshot of this engine version (e.g. 0.32.0; needs --engine)")
    src.add_argument("--available", metavar="FILE", help="resolve against registry names in FILE: JSON {\"tool\": [...], \"reasoning\": [...]}, a JSON list, or one name per line")
    sp.add_argument("--json", action="store_true", help="machine-readable output")
    sp.set_defaults(func=cmd_names)

    sp = sub.add_parser("doctor", help="check engines, entry points, names, import hook, templates", description="Check this environment; exits 1 on a problem and prints the fix.")
    sp.set_defaults(func=cmd_doctor)

    sp = sub.add_parser(
        "triage", help="localise a bad tool call: model, parser configuration or parser",
        description="Automates Dynamo's 'Troubleshooting Tool Calls' recipe: rebuild the raw output from logprobs, "
        "re-parse it with the configured parser and every other format, compare with the server's answer. "
        "Exit 0 when consistent, 1 when an issue is found.",
    )
    sp.add_argument("--request", required=True, help="the chat request body (JSON file)")
    sp.add_argument("--response", help="the response obtained with \"logprobs\": true (JSON file)")
    sp.add_argument("--url", help="send the request (logprobs on, stream off) to this OpenAI-compatible server instead")
    sp.add_argument("--save", metavar="FILE", help="with --url: save the response here")
    sp.add_argument("--timeout", type=float, default=120.0, help="with --url: seconds (default 120)")
    sp.add_argument("--parser", help="the server's --tool-call-parser / --dyn-tool-call-parser name")
    sp.add_argument("--tokenizer", help="tokenizer.json (or its directory) to decode token_id:N logprob tokens; with --url the request asks for them (vLLM's return_tokens_as_token_ids)")
    sp.add_argument("--json", action="store_true", help="machine-readable report")
    sp.set_defaults(func=cmd_triage)

    sp = sub.add_parser("template", help="print the installed path of a chat template", description="Print the path of a shipped Jinja chat template (for --chat-template / --custom-jinja-template); no NAME lists them.")
    sp.add_argument("name", nargs="?", help="template name or Dynamo tool-call name (e.g. nemotron_deci)")
    sp.add_argument("--show", action="store_true", help="print the template itself")
    sp.set_defaults(func=cmd_template)

    sp = sub.add_parser("demo", help="replay recorded outputs through an engine's real serving code", description="Run the engine demo (dyn_plugins.replay.<engine>_demo); needs that engine installed. Arguments after the engine go to the demo.")
    sp.add_argument("--engine", required=True, choices=N.ENGINES)
    sp.add_argument("args", nargs=argparse.REMAINDER, help="passed to the demo")
    sp.set_defaults(func=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command == "names" and args.assume and not args.engine:
        return _err("--assume needs --engine")
    try:
        return int(args.func(args))
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return EXIT_OK
    except FileNotFoundError as exc:
        return _err(str(exc))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
