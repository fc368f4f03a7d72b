"""What the command line prints is safe for any terminal, encoding and output device.

Text reaching the terminal may quote content and answers (a question id typed
by an app, a diagnostic about a pull request), so the command line writes
through ``SafeStream``:

* control characters (C0 other than newline and tab, DEL, C1), invisible
  format characters (bidirectional overrides, zero-width characters) and line
  or paragraph separators are written as ``\\uXXXX``, never raw, so content
  cannot move the cursor, recolour the screen or reorder a line.  The same
  escape is valid inside a JSON string, so JSON output stays valid;
* lone surrogates (from JSON like ``"\\ud800"``) are escaped the same way;
* on a terminal whose encoding is not UTF-8 (``LANG=C`` without UTF-8
  mode, say), typographic quotes and dashes become their ASCII forms and
  any other character it cannot show becomes a ``\\uXXXX`` escape (valid
  in JSON too), instead of a ``UnicodeEncodeError``;
* a write that fails (a full disk, ``/dev/full``, a closed pipe) raises
  ``OutputError`` once; the stream is then pointed at ``os.devnull`` so the
  interpreter's own flush at exit cannot fail a second time with a traceback.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
from typing import TextIO

from .errors import UsageError

__all__ = ["OutputError", "SafeStream", "clean", "is_utf8"]

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
_ASCII = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2022": "*",
    }
)


def _u_escape(exc: UnicodeError) -> tuple[str, int]:
    """A codec error handler writing each unencodable character as JSON writes it."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for ch in exc.object[exc.start : exc.end]:
        code = ord(ch)
        if code > 0xFFFF:  # a surrogate pair, as JSON spells characters beyond the BMP
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out), exc.end


_ESCAPE = "kneeguide-u-escape"
codecs.register_error(_ESCAPE, _u_escape)


class OutputError(UsageError):
    """Standard output or error could not be written (exit 2)."""


def clean(text: str) -> str:
    """``text`` with every control, format and separator character as a ``\\uXXXX`` escape."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def is_utf8(stream: object) -> bool:
    """Whether ``stream`` encodes as UTF-8 (anything without an encoding is taken to)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


class SafeStream:
    """A text stream wrapper that writes only what the terminal can show safely."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream = stream
        self.name = name
        self._utf8 = is_utf8(stream)
        self._encoding = getattr(stream, "encoding", None) or "utf-8"
        self.failed = False

    @property
    def encoding(self) -> str:
        return self._encoding

    def write(self, text: str) -> int:
        if self.failed:
            return len(text)
        safe = clean(text)
        if not self._utf8:
            safe = safe.translate(_ASCII).encode(self._encoding, _ESCAPE).decode(self._encoding)
        try:
            self.stream.write(safe)
        except OSError as exc:
            self._fail(exc)
        return len(text)

    def flush(self) -> None:
        if self.failed:
            return
        try:
            self.stream.flush()
        except OSError as exc:
            self._fail(exc)

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def _fail(self, exc: OSError) -> None:
        self.failed = True
        _discard(self.stream)
        if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
            raise exc  # the reader went away (``| head``): not an error of ours
        raise OutputError(f"cannot write to standard {self.name}: {exc.strerror or exc}") from None


def _discard(stream: TextIO) -> None:
    """Point the stream's descriptor at ``os.devnull`` so buffered text is dropped quietly."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return  # not a real descriptor (a test's capture): nothing flushes it at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
