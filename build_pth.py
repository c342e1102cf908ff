"""Build-time only (not part of the wheel): a setuptools ``build_py`` that also writes ``dyn_plugins.pth`` at the
wheel's root.

Wired in pyproject.toml (``[tool.setuptools.cmdclass]``). Files at the root of a wheel's purelib land in
site-packages, where Python's ``site`` module runs the ``.pth`` line at every interpreter start: it
installs the lazy import hook for the SGLang and vLLM parser registries (:mod:`dyn_plugins._hook`). The line is fail-safe (no traceback
at start-up even if the package is half-removed) and honours ``DYN_PLUGINS_NO_HOOK=1`` before importing
anything (the line is generated from :mod:`dyn_plugins.switches`' rule).
"""

from __future__ import annotations

import importlib.util
import os

from setuptools.command.build_py import build_py


def _switches():  # type: ignore[no-untyped-def]
    """:mod:`dyn_plugins.switches`, loaded from its file: the package is not importable while it is being
    built, and the flag rule must be spelled only there."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dyn_plugins", "switches.py")
    spec = importlib.util.spec_from_file_location("_dyn_plugins_build_switches", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


_SW = _switches()

PTH_NAME = "dyn_plugins.pth"
PTH_LINE = (
    "import os, sys; exec('try:\\n import dyn_plugins._hook\\nexcept Exception:\\n pass') "
    f"if os.environ.get({_SW.NO_HOOK!r}, '').strip().lower() in {_SW.FLAG_OFF!r} else None\n"
)


class BuildPy(build_py):
    """build_py plus the .pth file at the root of the build tree (so the wheel carries it)."""

    def run(self) -> None:
        super().run()
        target = os.path.join(self.build_lib, PTH_NAME)
        os.makedirs(self.build_lib, exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(PTH_LINE)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:  # type: ignore[override]
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH_NAME)]
