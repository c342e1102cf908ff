"""Build-time only: a setuptools ``build_py`` that also writes ``dyn_plugins.pth`` at the wheel's root.

Wired in pyproject.toml (``[tool.setuptools.cmdclass]``). Files at the root of a wheel's purelib land in
site-packages, where Python's ``site`` module runs the ``.pth`` line at every interpreter start: it
installs the lazy SGLang import hook (:mod:`dyn_plugins._hook`). The line is fail-safe (no traceback
at start-up even if the package is half-removed) and honours ``DYN_PLUGINS_NO_HOOK=1`` before importing
anything.
"""

from __future__ import annotations

import os

from setuptools.command.build_py import build_py

PTH_NAME = "dyn_plugins.pth"
PTH_LINE = (
    "import os, sys; exec('try:\\n import dyn_plugins._hook\\nexcept Exception:\\n pass') "
    "if os.environ.get('DYN_PLUGINS_NO_HOOK', '').strip().lower() in ('', '0', 'false', 'no') else None\n"
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
