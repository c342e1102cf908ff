"""Incremental marker lexer: splits streamed text into plain-text pieces and marker tokens.

Every format's markers go through this one lexer, so partial-marker holding is written once. A suffix
of the input that could still grow into a marker is held back until the next chunk (or ``finish``)
decides it. Tokens are ``str`` (plain text) or ``int`` (index of the marker in the lexer's list).

Chunk invariance: the token sequence (after merging adjacent text) is the same for every split of the
input, because no marker may occur inside another one (checked at construction) and a marker match is
only accepted once no longer, earlier-starting marker can still complete.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Token = str | int


class MarkerLexer:
    """Finds the given literal markers in a stream of text chunks, in linear time."""

    __slots__ = ("markers", "_pattern", "_index", "_first", "first_re", "first_char", "_prefixes", "_maxlen", "held")

    def __init__(self, markers: Sequence[str]) -> None:
        if not markers or any(not m for m in markers):
            raise ValueError("markers must be non-empty strings")
        for a in markers:
            for b in markers:
                if a is not b and a in b:
                    raise ValueError(f"marker {a!r} occurs inside marker {b!r}")
        self.markers: tuple[str, ...] = tuple(markers)
        self._pattern = re.compile("|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True)))
        self._index = {m: i for i, m in enumerate(markers)}
        self._first = frozenset(m[0] for m in markers)
        self.first_re = re.compile("[" + "".join(re.escape(c) for c in sorted(self._first)) + "]")
        #: the one character every marker starts with ("" if they differ): ``c not in text`` is a few
        #: times cheaper than ``first_re.search`` on the common token, and every format has one
        self.first_char = next(iter(self._first)) if len(self._first) == 1 else ""
        self._prefixes = frozenset(m[:k] for m in markers for k in range(1, len(m)))
        self._maxlen = max(len(m) for m in markers)
        self.held = ""

    def feed(self, text: str) -> list[Token]:
        """Tokenise one more chunk; a possible marker start at its end is held back."""
        if self.held:
            text = self.held + text
            self.held = ""
        if not text:
            return []
        if (self.first_char not in text) if self.first_char else (self.first_re.search(text) is None):
            return [text]
        out: list[Token] = []
        pos = 0
        for m in self._pattern.finditer(text):
            start = m.start()
            if start > pos:
                out.append(text[pos:start])
            out.append(self._index[m.group()])
            pos = m.end()
        cut = self._hold_point(text, pos)
        if cut > pos:
            out.append(text[pos:cut])
        self.held = text[cut:]
        return out

    def pending(self) -> str:
        """The text held back as a possible marker start."""
        return self.held

    def finish(self) -> list[Token]:
        """End of input: whatever is still held back was not a marker."""
        held, self.held = self.held, ""
        return [held] if held else []

    def _hold_point(self, text: str, pos: int) -> int:
        """Start of the longest suffix of ``text[pos:]`` that is a proper prefix of some marker."""
        n = len(text)
        lo = max(pos, n - self._maxlen + 1)
        best = n
        for c in self._first:
            i = text.find(c, lo)
            while i != -1:
                if i < best and text[i:] in self._prefixes:
                    best = i
                    break
                i = text.find(c, i + 1)
        return best


def entity_hold(text: str, prefixes: frozenset[str]) -> int:
    """Where a possible HTML entity starts at the end of ``text`` (``len(text)``: none), for ``prefixes`` = the
    proper prefixes of the entity spellings. Only the last ``&`` can start one: no spelling holds a second ``&``."""
    at = text.rfind("&")
    return at if at >= 0 and text[at:] in prefixes else len(text)
