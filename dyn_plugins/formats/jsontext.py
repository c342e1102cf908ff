"""JSON helpers with serde_json's strictness: strict decoding, source spans, truncation repair, and an
incremental prefix scanner for streamed candidates.

Python's ``json`` accepts ``NaN``/``Infinity`` and Dynamo's serde_json does not; everything here
rejects them so both parse modes agree with Dynamo on what counts as JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Whitespace as Rust's ``str::trim`` sees it (Python's ``str.strip`` also strips U+001C..U+001F).
WS = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"

_DECODER = json.JSONDecoder(parse_constant=lambda name: _reject(name))
_WS = re.compile(r"[ \t\n\r]*")


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def try_loads(text: str) -> tuple[bool, Any]:
    try:
        return True, _DECODER.decode(text)
    except (ValueError, RecursionError):
        return False, None


def skip_ws(text: str, pos: int) -> int:
    """Index of the first non-JSON-whitespace character at or after ``pos``."""
    return _WS.match(text, pos).end()


def dumps_compact(value: Any) -> str:
    """Compact serialisation like serde_json's ``to_string`` (no spaces, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def raw_value_at(text: str, pos: int) -> tuple[Any, int]:
    """Decode one JSON value starting at ``pos`` (after whitespace); return (value, end)."""
    pos = _WS.match(text, pos).end()
    try:
        return _DECODER.raw_decode(text, pos)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def object_members(text: str, pos: int) -> tuple[list[tuple[str, Any, int, int]], int]:
    """Walk the JSON object starting at ``text[pos] == '{'``.

    Returns ``([(key, value, value_start, value_end), ...], end)`` so callers can pass a member's
    source bytes through verbatim (Dynamo keeps the arguments text exactly as the model wrote it).
    Raises ValueError on malformed input.
    """
    if text[pos] != "{":
        raise ValueError("not an object")
    members: list[tuple[str, Any, int, int]] = []
    pos = _WS.match(text, pos + 1).end()
    if text.startswith("}", pos):
        return members, pos + 1
    while True:
        if not text.startswith('"', pos):
            raise ValueError("expected a key")
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _WS.match(text, pos).end()
        if not text.startswith(":", pos):
            raise ValueError("expected ':'")
        start = _WS.match(text, pos + 1).end()
        try:
            value, end = _DECODER.raw_decode(text, start)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
        members.append((key, value, start, end))
        pos = _WS.match(text, end).end()
        if text.startswith(",", pos):
            pos = _WS.match(text, pos + 1).end()
            continue
        if text.startswith("}", pos):
            return members, pos + 1
        raise ValueError("expected ',' or '}'")


def repair_truncated(text: str) -> str | None:
    """Close what a truncated JSON text left open, as Dynamo's finalize path does.

    Tracks strings/escapes and a stack of open ``{``/``[`` (any closer pops); if something is open,
    append ``\\`` (EOF mid-escape), ``"`` (EOF in a string) and the missing closers. None when
    nothing needed closing.
    """
    stack: list[str] = []
    in_string = False
    escape = False
    for m in _REPAIR_TOKENS.finditer(text):
        c = m.group()
        if in_string:
            if escape:
                escape = False
                if len(c) > 1:  # the escaped char was followed by plain string text
                    continue
                continue
            if c == "\\":
                escape = True
            elif c == '"':
                in_string = False
            continue
        if c == '"':
            in_string = True
        elif c == "{":
            stack.append("}")
        elif c == "[":
            stack.append("]")
        elif c in "}]":
            if stack:
                stack.pop()
    if not escape and not in_string and not stack:
        return None
    tail = ("\\" if escape else "") + ('"' if in_string else "") + "".join(reversed(stack))
    return text + tail


# Structural characters one at a time; runs of anything else skipped in one step.
_REPAIR_TOKENS = re.compile(r'[\\"{}\[\]]|[^\\"{}\[\]]+')


class JsonScanner:
    """Incremental validator for one JSON value fed in pieces (linear time, bounded state).

    ``feed(piece)`` returns ``(state, pos)``: ``MORE`` (a valid prefix so far, pos = len(piece)),
    ``DONE`` (the value ended at ``pos`` in this piece) or ``BAD`` (not a JSON prefix; the offending
    character is at ``pos``). After DONE/BAD the scanner must not be fed again.
    """

    MORE, DONE, BAD = 0, 1, 2

    # modes
    _VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE, _COLON, _AFTER_VALUE = range(6)
    _STRING, _ESCAPE, _UNICODE, _NUMBER, _LITERAL = range(6, 11)

    __slots__ = ("_stack", "_mode", "_key", "_count", "_lit", "_num")

    def __init__(self) -> None:
        self._stack: list[str] = []
        self._mode = self._VALUE
        self._key = False  # the string being read is an object key
        self._count = 0  # hex digits still expected in \uXXXX / literal chars matched
        self._lit = ""
        self._num = 0  # number sub-state, see _scan_number

    def feed(self, text: str) -> tuple[int, int]:
        i, n = 0, len(text)
        while i < n:
            mode = self._mode
            if mode == self._STRING:
                i = _STRING_RUN.match(text, i).end()
                if i >= n:
                    break
                c = text[i]
                if c == '"':
                    self._end_string()
                elif c == "\\":
                    self._mode = self._ESCAPE
                else:  # raw control character
                    return self.BAD, i
                i += 1
                if self._mode == -1:
                    return self.DONE, i
                continue
            if mode == self._ESCAPE:
                c = text[i]
                if c in '"\\/bfnrt':
                    self._mode = self._STRING
                elif c == "u":
                    self._mode = self._UNICODE
                    self._count = 4
                else:
                    return self.BAD, i
                i += 1
                continue
            if mode == self._UNICODE:
                if text[i] not in _HEX:
                    return self.BAD, i
                self._count -= 1
                if self._count == 0:
                    self._mode = self._STRING
                i += 1
                continue
            if mode == self._NUMBER:
                i, ok = self._scan_number(text, i)
                if not ok:
                    return self.BAD, i
                if self._mode == -1:
                    return self.DONE, i
                continue
            if mode == self._LITERAL:
                c = text[i]
                if c != self._lit[self._count]:
                    return self.BAD, i
                self._count += 1
                i += 1
                if self._count == len(self._lit):
                    self._value_done()
                    if self._mode == -1:
                        return self.DONE, i
                continue
            # structural modes: skip whitespace first
            i = _WS.match(text, i).end()
            if i >= n:
                break
            c = text[i]
            if mode in (self._VALUE, self._VALUE_OR_CLOSE):
                if c == "]" and mode == self._VALUE_OR_CLOSE:
                    self._close()
                elif c == "{":
                    self._stack.append("}")
                    self._mode = self._KEY_OR_CLOSE
                elif c == "[":
                    self._stack.append("]")
                    self._mode = self._VALUE_OR_CLOSE
                elif c == '"':
                    self._key = False
                    self._mode = self._STRING
                elif c == "-" or "0" <= c <= "9":
                    self._mode = self._NUMBER
                    self._num = 0
                    continue  # _scan_number consumes it
                elif c in "tfn":
                    self._lit = {"t": "true", "f": "false", "n": "null"}[c]
                    self._count = 1
                    self._mode = self._LITERAL
                else:
                    return self.BAD, i
            elif mode in (self._KEY, self._KEY_OR_CLOSE):
                if c == '"':
                    self._key = True
                    self._mode = self._STRING
                elif c == "}" and mode == self._KEY_OR_CLOSE:
                    self._close()
                else:
                    return self.BAD, i
            elif mode == self._COLON:
                if c != ":":
                    return self.BAD, i
                self._mode = self._VALUE
            else:  # _AFTER_VALUE
                top = self._stack[-1]
                if c == ",":
                    self._mode = self._KEY if top == "}" else self._VALUE
                elif c == top:
                    self._close()
                else:
                    return self.BAD, i
            i += 1
            if self._mode == -1:
                return self.DONE, i
        return self.MORE, n

    # -- internals ----------------------------------------------------------------------------------
    def _end_string(self) -> None:
        if self._key:
            self._mode = self._COLON
        else:
            self._value_done()

    def _value_done(self) -> None:
        self._mode = self._AFTER_VALUE if self._stack else -1

    def _close(self) -> None:
        self._stack.pop()
        self._value_done()

    def _scan_number(self, text: str, i: int) -> tuple[int, bool]:
        """Number grammar ``-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?`` as sub-states:
        0 start, 1 after '-', 2 after '0', 3 int digits, 4 after '.', 5 frac digits,
        6 after 'e', 7 after exp sign, 8 exp digits. States 2, 3, 5, 8 may end the number."""
        n = len(text)
        while i < n:
            s = self._num
            c = text[i]
            if s == 0 and c == "-":
                self._num = 1
            elif s in (0, 1) and c == "0":
                self._num = 2
            elif s in (0, 1) and "1" <= c <= "9":
                self._num = 3
                i = _DIGITS.match(text, i + 1).end()
                continue
            elif s == 3 and "0" <= c <= "9":
                i = _DIGITS.match(text, i).end()
                continue
            elif s in (2, 3) and c == ".":
                self._num = 4
            elif s in (4, 5) and "0" <= c <= "9":
                self._num = 5
                i = _DIGITS.match(text, i).end()
                continue
            elif s in (2, 3, 5) and c in "eE":
                self._num = 6
            elif s == 6 and c in "+-":
                self._num = 7
            elif s in (6, 7, 8) and "0" <= c <= "9":
                self._num = 8
                i = _DIGITS.match(text, i).end()
                continue
            elif s in (2, 3, 5, 8):
                self._value_done()  # the number ended just before c; c is re-read structurally
                return i, True
            else:
                return i, False
            i += 1
        return i, True


_STRING_RUN = re.compile(r'[^"\\\x00-\x1f]*')
_DIGITS = re.compile(r"[0-9]*")
_HEX = frozenset("0123456789abcdefABCDEF")
