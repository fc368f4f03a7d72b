"""JSON text with a two-space indent, as ``json.dumps(value, indent=2, ensure_ascii=False)`` writes it.

The standard library encodes indented JSON in pure Python, one generator per
container, which costs four times its compact C encoder: on a large Bundle,
more than building the Bundle.  This writes the same bytes with one list of
pieces and the C string encoder; a test compares it with ``json.dumps`` on
every exported Bundle shape.  Only what a Bundle holds is accepted: dicts
with string keys, lists, strings, integers, booleans and None.

``encoded`` gives the file's bytes directly: the pieces are encoded a chunk
at a time, so a large Bundle's pieces, its text and its bytes are never all
in memory together.
"""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import Any

__all__ = ["CHUNK", "dumps", "encoded"]

CHUNK = 1 << 16
"""Pieces gathered before ``encoded`` turns them into bytes."""


def dumps(value: Any) -> str:
    """``value`` as indented JSON text (no final newline)."""
    out: list[str] = []
    _write(value, out, "\n", None)
    return "".join(out)


def encoded(value: Any) -> bytes:
    """``(dumps(value) + "\n").encode("utf-8")``, holding at most ``CHUNK`` pieces as text at a time."""
    out: list[str] = []
    chunks: list[bytes] = []
    _write(value, out, "\n", chunks)
    out.append("\n")
    chunks.append("".join(out).encode("utf-8"))
    return b"".join(chunks)


def _write(value: Any, out: list[str], newline: str, chunks: list[bytes] | None) -> None:
    """Append ``value``; ``newline`` is a line break and the indent of the current level.

    With ``chunks``, every ``CHUNK`` pieces are moved there as UTF-8 (between
    two items, so no piece is ever split).
    """
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif isinstance(value, dict | list):
        if not value:
            out.append("{}" if isinstance(value, dict) else "[]")
            return
        named = isinstance(value, dict)
        opening, closing = ("{", "}") if named else ("[", "]")
        items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
        inner = newline + "  "
        sep = opening + inner
        for key, item in items:
            out.append(sep)
            if named:
                if not isinstance(key, str):
                    raise TypeError(f"JSON keys here are strings, not {type(key).__name__}")
                out.append(encode_basestring(key))
                out.append(": ")
            _write(item, out, inner, chunks)
            sep = "," + inner
            if chunks is not None and len(out) >= CHUNK:
                chunks.append("".join(out).encode("utf-8"))
                out.clear()
        out.append(newline + closing)
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif type(value) is int:
        out.append(int.__repr__(value))
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON here")
