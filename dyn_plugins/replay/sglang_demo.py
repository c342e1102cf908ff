"""Replay demo: recorded outputs of every Dynamo format through SGLang's real OpenAIServingChat.

``dyn-plugins demo --engine sglang`` / ``python -m dyn_plugins.replay.sglang_demo [FORMAT ...]``: for each
format and scenario, one non-streaming and one streaming request; prints the OpenAI answer compactly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _line(reply) -> str:  # type: ignore[no-untyped-def]
    calls = ", ".join(f"{c['name']}({c['arguments']})" for c in reply.tool_calls)
    content = reply.content or ""
    return f"finish={reply.finish_reason:<10} content={content!r:<32} tool_calls=[{calls}]"


def main(argv: list[str] | None = None) -> int:
    from ..formats import FORMAT_NAMES
    from ..samples import SCENARIOS, TOOLS, sample

    ap = argparse.ArgumentParser(prog="dyn-plugins demo --engine sglang", description=__doc__.splitlines()[0])
    ap.add_argument("formats", nargs="*", default=list(FORMAT_NAMES), help="formats to replay (default: all)")
    args = ap.parse_args(argv)
    logging.getLogger("sglang").setLevel(logging.ERROR)
    try:
        from .sglang_serving import Replayer
    except ImportError as exc:
        print(f"SGLang is not installed here ({exc}); run scripts/demo_sglang.sh", file=sys.stderr)
        return 2
    import sglang

    replayer = Replayer()
    print(f"SGLang {sglang.__version__} OpenAIServingChat, --tool-call-parser <format>, recorded outputs replayed token by token")
    failures = 0
    for fmt in args.formats:
        print(f"\n== {fmt}")
        for scenario in SCENARIOS:
            output = sample(fmt, scenario).text
            for stream in (False, True):
                try:
                    reply = replayer.run(fmt, output, stream=stream, tools=TOOLS)
                    print(f"  {scenario:<12} {'stream' if stream else 'full':<6} {_line(reply)}")
                except Exception as exc:  # noqa: BLE001 - a demo reports and goes on
                    failures += 1
                    print(f"  {scenario:<12} {'stream' if stream else 'full':<6} ERROR {exc}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
