"""Incremental JSON tokenizer for live argument streaming, and the consumers built on it.

:class:`JsonTokens` reads one JSON value fed in pieces and calls a hook per token (structural
character, whitespace run, string piece, complete scalar). String content is matched in runs by a
regex, so the cost is linear in the input and small per character. Consumers:

* :class:`JsonCompactor`: streams ``dumps_compact(loads(text))`` as the text arrives (deepseek_v3_1,
  harmony, ``<|python_tag|>`` arrays re-serialise their arguments; see :mod:`.jsontext`);
* the JSON family's call walker (:mod:`.json_family`), which passes the arguments' source through.

Only what can still change is held: an unfinished escape (a ``\\uD83D`` high surrogate until its pair),
a number until it ends (``1`` may become ``1.5``), a literal, an object key until its closing quote.
"""

from __future__ import annotations

import re
from json.encoder import encode_basestring  # type: ignore[attr-defined]

from .jsontext import WS, dumps_compact, try_loads

_STRING_RUN = re.compile(r'[^"\\\x00-\x1f]+')

#: ``_STRING_RUN.fullmatch(text)`` on the hot paths (one call per token) is spelled
#: ``text.isprintable() and '"' not in text and "\\" not in text``: three C-level checks, a few times
#: cheaper than the regex; ``isprintable`` is False for every control character, and the rare printable
#: text it also rejects (e.g. a no-break space) only takes the exact path.

_JSON_WS = re.compile(r"[ \t\n\r]+")
_NUMBER_RUN = re.compile(r"[0-9eE.+\-]+")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS = {"t": "true", "f": "false", "n": "null"}

# modes
_VALUE, _VALUE_OR_CLOSE, _KEY, _KEY_OR_CLOSE, _COLON, _AFTER, _STRING, _ESCAPE, _NUMBER, _LITERAL, _DONE, _BAD = range(12)


class JsonTokens:
    """One JSON value, fed in pieces; subclasses override the ``on_*`` hooks.

    ``lenient_ws``: also skip Rust's whitespace (``str::trim``) around the value, as callers that trim
    the text before decoding do. ``newline_repair``: deepseek_v3_1's retry, which joins the lines of an
    invalid payload with a space after trimming each line's start (a raw newline inside a string becomes
    a space); see :func:`.deepseek_v3_1.parse_block`.
    """

    __slots__ = ("mode", "stack", "is_key", "pending", "lit", "lenient_ws", "newline_repair", "_skip_ws")

    #: a character allowed between complete top-level values (``;`` in ``<|python_tag|>`` payloads)
    separator = ""

    def __init__(self, *, lenient_ws: bool = False, newline_repair: bool = False) -> None:
        self.mode = _VALUE
        self.stack: list[str] = []
        self.is_key = False
        self.pending = ""  # raw text of an unfinished escape / number / literal
        self.lit = ""
        self.lenient_ws = lenient_ws
        self.newline_repair = newline_repair
        self._skip_ws = False  # after a repaired newline: the next line's leading whitespace is dropped

    @property
    def bad(self) -> bool:
        return self.mode == _BAD

    @property
    def done(self) -> bool:
        return self.mode == _DONE

    # -- hooks ----------------------------------------------------------------------------------
    def on_punct(self, c: str) -> None:
        """``{ } [ ] : ,``"""

    def on_ws(self, raw: str) -> None:
        """Whitespace between tokens (raw)."""

    def on_string_start(self) -> None:
        """Opening quote of a value string (``is_key`` tells keys apart)."""

    def on_string_part(self, decoded: str, raw: str) -> None:
        """A piece of string content: ``decoded`` (escapes resolved) and its source ``raw``."""

    def on_string_end(self) -> None:
        """Closing quote (``is_key`` still tells keys apart)."""

    def on_scalar(self, raw: str) -> None:
        """A complete number or literal."""

    def on_bad(self) -> None:
        """The text is not (a prefix of) JSON; no more hooks follow."""

    # -- driver ---------------------------------------------------------------------------------
    def feed(self, text: str) -> None:
        i, n = 0, len(text)
        while i < n:
            mode = self.mode
            if mode == _STRING:
                i = self._string(text, i)
            elif mode == _ESCAPE:
                i = self._escape(text, i)
            elif mode == _NUMBER:
                m = _NUMBER_RUN.match(text, i)
                if m:
                    self.pending += m.group()
                    i = m.end()
                if i < n:
                    self._end_scalar()
            elif mode == _LITERAL:
                need = self.lit[len(self.pending) :]
                got = text[i : i + len(need)]
                if not need.startswith(got):
                    self._fail()
                    return
                self.pending += got
                i += len(got)
                if len(self.pending) == len(self.lit):
                    raw, self.pending = self.pending, ""
                    self.on_scalar(raw)
                    self._value_done()
            elif mode == _BAD:
                return
            else:
                i = self._structural(text, i)

    def end(self) -> None:
        """End of input: a number at the very end is complete now."""
        if self.mode == _NUMBER:
            self._end_scalar()

    def closing(self) -> str:
        """What to append to the text fed so far to make it one complete JSON value ("" when it is one,
        ``{}`` when nothing was fed). Like Dynamo's truncation repair it closes open strings and
        containers; it also completes what that repair leaves invalid (a dangling key, ``:``, ``,``,
        half an escape, number or literal)."""
        mode = self.mode
        if mode == _BAD:
            return ""
        if mode == _VALUE and not self.stack:
            return "{}"
        tail = ""
        if mode == _STRING:
            tail = '"'
        elif mode == _ESCAPE:
            k = len(self.pending)
            tail = {1: '\\"', 6: '"', 7: '\\"'}.get(k) or "0" * ((6 if k < 6 else 12) - k) + '"'
        elif mode == _NUMBER:
            tail = "0" if self.pending[-1:] in ("-", "+", ".", "e", "E") else ""
        elif mode == _LITERAL:
            tail = self.lit[len(self.pending) :]
        elif mode == _VALUE:
            tail = "null"
        elif mode == _KEY:
            tail = '"":null'
        if mode in (_STRING, _ESCAPE) and self.is_key or mode == _COLON:
            tail += ":null"
        return tail + "".join(reversed(self.stack))

    # -- internals ------------------------------------------------------------------------------
    def _string(self, text: str, i: int) -> int:
        m = _STRING_RUN.match(text, i)
        if m:
            run = m.group()
            if self._skip_ws:
                kept = run.lstrip(WS)
                self._skip_ws = not kept
                self.on_string_part(kept, run)
            else:
                self.on_string_part(run, run)
            return m.end()
        c = text[i]
        if c == '"':
            self._skip_ws = False
            self.on_string_end()
            if self.is_key:
                self.mode = _COLON
            else:
                self._value_done()
        elif c == "\\":
            self._skip_ws = False
            self.mode = _ESCAPE
            self.pending = "\\"
        elif c == "\n" and self.newline_repair:
            self._skip_ws = True
            self.on_string_part(" ", c)
        elif self._skip_ws and c in WS:
            self.on_string_part("", c)
        else:
            self._fail()
            return len(text)
        return i + 1

    def _structural(self, text: str, i: int) -> int:
        c = text[i]
        mode = self.mode
        if c in " \t\n\r" or (c in WS and (self._skip_ws or (self.lenient_ws and not self.stack and mode in (_VALUE, _DONE)))):
            m = _JSON_WS.match(text, i)
            j = m.end() if m else i + 1
            if self.newline_repair and "\n" in text[i:j]:
                self._skip_ws = True
            self.on_ws(text[i:j])
            return j
        self._skip_ws = False
        if mode == _DONE:
            if c != self.separator or not c:
                self._fail()
                return len(text)
            self.mode = _VALUE
            self.on_punct(c)
            return i + 1
        if mode in (_VALUE, _VALUE_OR_CLOSE):
            if c == "]" and mode == _VALUE_OR_CLOSE:
                self._close(c)
            elif c in "{[":
                self.stack.append("}" if c == "{" else "]")
                self.mode = _KEY_OR_CLOSE if c == "{" else _VALUE_OR_CLOSE
                self.on_punct(c)
            elif c == '"':
                self.is_key = False
                self.mode = _STRING
                self.on_string_start()
            elif c == "-" or "0" <= c <= "9":
                self.mode = _NUMBER
                self.pending = ""
                return i  # the number run starts here
            elif c in _LITERALS:
                self.mode = _LITERAL
                self.lit = _LITERALS[c]
                self.pending = ""
                return i
            else:
                self._fail()
                return len(text)
        elif mode in (_KEY, _KEY_OR_CLOSE):
            if c == '"':
                self.is_key = True
                self.mode = _STRING
                self.on_string_start()
            elif c == "}" and mode == _KEY_OR_CLOSE:
                self._close(c)
            else:
                self._fail()
                return len(text)
        elif mode == _COLON:
            if c != ":":
                self._fail()
                return len(text)
            self.mode = _VALUE
            self.on_punct(c)
        else:  # _AFTER
            top = self.stack[-1]
            if c == ",":
                self.mode = _KEY if top == "}" else _VALUE
                self.on_punct(c)
            elif c == top:
                self._close(c)
            else:
                self._fail()
                return len(text)
        return i + 1

    def _fail(self) -> None:
        if self.mode != _BAD:
            self.mode = _BAD
            self.on_bad()

    def _value_done(self) -> None:
        self.mode = _AFTER if self.stack else _DONE

    def _close(self, c: str) -> None:
        self.stack.pop()
        self.on_punct(c)
        self._value_done()

    def _end_scalar(self) -> None:
        raw, self.pending = self.pending, ""
        ok, _ = try_loads(raw)
        if not ok:
            self._fail()
            return
        self.on_scalar(raw)
        self._value_done()

    def _emit_escape(self, decoded: str, raw: str) -> None:
        self.pending = ""
        self.mode = _STRING
        self.on_string_part(decoded, raw)

    def _escape(self, text: str, i: int) -> int:
        """Consume escape characters one at a time (``pending`` holds the escape so far); json.loads'
        rule for surrogates: a ``\\uD8xx`` directly followed by a ``\\uDCxx`` escape is one character."""
        n = len(text)
        while i < n:
            c = text[i]
            p = self.pending
            k = len(p)
            if k == 1:  # just after the backslash
                if c in _ESCAPES:
                    self._emit_escape(_ESCAPES[c], p + c)
                    return i + 1
                if c != "u":
                    self._fail()
                    return n
            elif k < 6 or 8 <= k < 12:  # hex digits
                if c not in _HEX:
                    self._fail()
                    return n
            elif k == 6:  # after a high surrogate: a second escape may pair with it
                if c != "\\":
                    self._emit_escape(chr(int(p[2:6], 16)), p)
                    return i
            elif k == 7 and c != "u":  # not a \\u escape: the high surrogate stands alone
                self._emit_escape(chr(int(p[2:6], 16)), p[:6])
                self.mode, self.pending = _ESCAPE, "\\"
                continue
            self.pending = p = p + c
            i += 1
            k += 1
            if k == 6:
                code = int(p[2:6], 16)
                if not 0xD800 <= code < 0xDC00:
                    self._emit_escape(chr(code), p)
                    return i
            elif k == 12:
                high, low = int(p[2:6], 16), int(p[8:12], 16)
                if 0xDC00 <= low < 0xE000:
                    self._emit_escape(chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)), p)
                    return i
                self.on_string_part(chr(high), p[:6])  # unpaired: the second escape starts over
                self.pending = p[6:]
                if not 0xD800 <= low < 0xDC00:
                    self._emit_escape(chr(low), self.pending)
                    return i
        return n


_HEX = frozenset("0123456789abcdefABCDEF")


def close_json(text: str) -> str:
    """The suffix that completes ``text`` (a prefix of a JSON value) into a value; "" if impossible."""
    tokens = JsonTokens()
    tokens.feed(text)
    return tokens.closing()


class JsonCompactor(JsonTokens):
    """Streams the compact re-serialisation of the value (``out`` collects it; :meth:`take` drains it).

    The concatenated output equals ``dumps_compact(loads(text))`` for a valid text whose objects repeat no
    key (a repeated key moves ``loads``' result away from any prefix streamed so far: the compactor then
    stops, ``diverged`` is set, and the caller's final value decides).
    """

    __slots__ = ("out", "keys", "key", "diverged")

    def __init__(self, *, lenient_ws: bool = False, newline_repair: bool = False) -> None:
        super().__init__(lenient_ws=lenient_ws, newline_repair=newline_repair)
        self.out: list[str] = []
        self.keys: list[set[str]] = []
        self.key: list[str] = []
        self.diverged = False

    def plain_string(self) -> bool:
        """Inside a value string, where plain text (no quote, backslash or control character) re-serialises as
        itself: :meth:`push`'s fast path, and :class:`~.machine.RawSink`'s condition in the formats using this."""
        return self.mode == _STRING and not self.is_key and not self._skip_ws and not self.diverged

    def push(self, text: str) -> str:
        """Feed ``text`` and return the output it completes (the common case, string content, is fast)."""
        if self.plain_string() and text.isprintable() and '"' not in text and "\\" not in text:
            return text  # plain string content re-serialises as itself
        self.feed(text)
        return self.take()

    def take(self) -> str:
        if self.diverged or not self.out:
            return ""
        text = "".join(self.out)
        self.out.clear()
        return text

    def on_punct(self, c: str) -> None:
        if c == "{":
            self.keys.append(set())
        elif c == "}":
            self.keys.pop()
        self.out.append(c)

    def on_string_start(self) -> None:
        if self.is_key:
            self.key = []
        else:
            self.out.append('"')

    def on_string_part(self, decoded: str, raw: str) -> None:
        if not decoded:
            return
        if self.is_key:
            self.key.append(decoded)
        else:
            self.out.append(encode_basestring(decoded)[1:-1])

    def on_string_end(self) -> None:
        if self.is_key:
            key = "".join(self.key)
            seen = self.keys[-1]
            if key in seen:
                self.diverged = True
            seen.add(key)
            self.out.append(encode_basestring(key))
        else:
            self.out.append('"')

    def on_scalar(self, raw: str) -> None:
        ok, value = try_loads(raw)
        self.out.append(dumps_compact(value) if ok else raw)
