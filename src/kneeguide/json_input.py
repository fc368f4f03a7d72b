"""The strict JSON reading of answers, shared by the command line and the service.

``kneeguide assess --answers`` and the HTTP service accept exactly the same
texts: UTF-8, no ``NaN`` or ``Infinity``, no key given twice, nesting at most
``MAX_JSON_DEPTH`` deep (measured before parsing, so a hostile input cannot
make the parser recurse), and at most ``MAX_ANSWERS_BYTES`` from a file or
standard input (only the limit plus one byte is read).
"""

from __future__ import annotations

import json
import sys

from .errors import UsageError

__all__ = [
    "MAX_ANSWERS_BYTES",
    "MAX_JSON_DEPTH",
    "json_depth",
    "json_kind",
    "no_constant",
    "no_duplicates",
    "read_answers",
]

MAX_ANSWERS_BYTES = 64 * 1024
MAX_JSON_DEPTH = 20


def read_answers(source: str) -> object:
    """The JSON value in file ``source`` (``-``: standard input), or a ``UsageError`` saying why not."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_ANSWERS_BYTES + 1)
            name = "standard input"
        else:
            with open(source, "rb") as fh:
                raw = fh.read(MAX_ANSWERS_BYTES + 1)
            name = source
    except OSError as exc:
        raise UsageError(f"cannot read answers from {source}: {exc.strerror or exc}") from None
    if len(raw) > MAX_ANSWERS_BYTES:
        raise UsageError(f"the answers in {name} are larger than {MAX_ANSWERS_BYTES} bytes")
    if not raw.strip():
        raise UsageError(f"the answers in {name} are empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"the answers in {name} are not UTF-8 text") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise UsageError(f"the answers in {name} are nested too deeply")
    try:
        return json.loads(text, parse_constant=no_constant, object_pairs_hook=no_duplicates)
    except (json.JSONDecodeError, ValueError) as exc:
        raise UsageError(f"the answers in {name} are not valid JSON: {exc}") from None


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects, skipping brackets inside strings.

    Measured before parsing so the JSON parser never recurses into a hostile
    input; an unterminated string simply ends the scan (the parser reports it).
    """
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def no_constant(name: str) -> object:
    """Refuse ``NaN``, ``Infinity`` and ``-Infinity``: they are not JSON numbers."""
    raise ValueError(f"{name} is not allowed in answers")


def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Refuse a key given twice: which answer the sender meant cannot be known."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"{key!r} is given more than once")
        out[key] = value
    return out


def json_kind(value: object) -> str:
    """What a JSON value is, in the words of a message: 'a list', 'a number', 'null'..."""
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "null" if value is None else type(value).__name__
    )
