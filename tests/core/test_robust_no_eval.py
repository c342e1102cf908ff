"""Model output is never evaluated as code: no module of the installed package calls eval/exec & co.

An AST scan of every ``.py`` file of ``dyn_plugins`` (the installed copy, so what users run). Python
literal parsing, if a format ever needs it, must go through ``ast.literal_eval`` (allowed).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import dyn_plugins

#: builtins that run or unpickle arbitrary code/data
FORBIDDEN_NAMES = frozenset({"eval", "exec", "compile", "__import__", "execfile"})
#: module.function calls that do the same
FORBIDDEN_ATTRS = frozenset(
    {("builtins", "eval"), ("builtins", "exec"), ("builtins", "compile"), ("pickle", "loads"), ("pickle", "load"),
     ("marshal", "loads"), ("yaml", "load"), ("yaml", "unsafe_load"), ("dill", "loads"), ("os", "system"),
     ("subprocess", "getoutput")}
)


def forbidden_calls(source: str) -> list[str]:
    """``name@line`` for each forbidden call in ``source``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in FORBIDDEN_NAMES:
            found.append(f"{f.id}@{node.lineno}")
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in FORBIDDEN_ATTRS:
            found.append(f"{f.value.id}.{f.attr}@{node.lineno}")
    return found


PACKAGE = Path(dyn_plugins.__file__).resolve().parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def test_scanner_catches_what_it_looks_for() -> None:
    """The scan is not vacuous: it flags eval, exec, builtins.exec and pickle.loads, and not re.compile
    or ast.literal_eval."""
    src = "import re, ast, builtins, pickle\neval(x)\nexec(y)\nbuiltins.exec(z)\npickle.loads(b)\nre.compile('a')\nast.literal_eval('1')\n"
    assert forbidden_calls(src) == ["eval@2", "exec@3", "builtins.exec@4", "pickle.loads@5"]


def test_the_package_has_modules_to_scan() -> None:
    """The formats and both adapters are among the scanned files (guards a wrong package path)."""
    names = {p.relative_to(PACKAGE).as_posix() for p in MODULES}
    assert {"formats/machine.py", "formats/jsontext.py", "vllm/parser.py", "sglang/detector.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_code_evaluation(path: Path) -> None:
    """No eval/exec/compile/pickle-style call anywhere in the package."""
    assert forbidden_calls(path.read_text(encoding="utf-8")) == []
