"""The strict checks of one answer set, each problem with a stable code and its values.

The engine builds one checker per question when it is built; ``problems``
then walks the answers once.  Every problem carries its English message and
the same as data (``code`` and ``params``, see ``AnswerProblem``), so an app
can say it in its own language.  Nothing is coerced: ``"yes"`` is not
``true`` and ``"40"`` is not ``40``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .answer_problem import AnswerProblem

__all__ = ["Checker", "Problem", "checker", "problems", "show"]

Problem = tuple[str, str, dict[str, Any]]
"""(English message, stable code, params): an ``AnswerProblem`` without its field."""

Checker = Callable[[object], Problem | None]


def checker(kind: str, lo: int | None, hi: int | None, choices: Sequence[str]) -> Checker:
    """A fast check for one question's answer: ``None`` when fine, else what is wrong."""
    if kind == "boolean":

        def check_bool(v: object) -> Problem | None:
            if v is True or v is False:
                return None
            return f"expected true or false, got {show(v)}", "not_boolean", {"value": _param(v)}

        return check_bool
    if kind == "integer":
        low = lo if lo is not None else -(2**63)
        high = hi if hi is not None else 2**63

        def check_int(v: object) -> Problem | None:
            if type(v) is not int:
                return f"expected a whole number, got {show(v)}", "not_integer", {"value": _param(v)}
            if v < low or v > high:
                params = {"minimum": low, "maximum": high, "value": _param(v)}
                return f"{show(v)} is out of range ({low}..{high})", "out_of_range", params
            return None

        return check_int
    allowed = frozenset(choices)
    listing = ", ".join(choices)

    def check_choice(v: object) -> Problem | None:
        if type(v) is not str or v not in allowed:
            params = {"choices": list(choices), "value": _param(v)}
            return f"expected one of {listing}, got {show(v)}", "not_a_choice", params
        return None

    return check_choice


def problems(
    checks: Mapping[str, Checker], required: frozenset[str], answers: object, *, partial: bool
) -> list[AnswerProblem]:
    """Every problem with ``answers``: unknown ids, bad values and (unless ``partial``) missing ones."""
    if not isinstance(answers, Mapping):
        kind = type(answers).__name__
        return [
            AnswerProblem(
                field="(answers)",
                message=f"expected an object of answers, got {kind}",
                code="not_an_object",
                params={"type": kind},
            )
        ]
    found: list[AnswerProblem] = []
    for key, value in answers.items():
        check = checks.get(key)
        if check is None:
            found.append(
                AnswerProblem(field=_field(key), message="unknown question id", code="unknown_question")
            )
            continue
        problem = check(value)
        if problem is not None:
            message, code, params = problem
            found.append(AnswerProblem(field=key, message=message, code=code, params=params))
    missing = () if partial else required.difference(answers)
    for key in sorted(missing):
        found.append(
            AnswerProblem(field=key, message="missing: this question must be answered", code="missing")
        )
    return found


def _param(value: object) -> object:
    """The answer as a JSON value for ``params``: itself when small and plain, else how it was shown."""
    if value is None or type(value) is bool:
        return value
    if type(value) is int and value.bit_length() <= 63:
        return value
    if type(value) is float and value == value and abs(value) != float("inf"):
        return value
    if type(value) is str and len(value) <= 40:
        return value
    return show(value)


def _field(key: object) -> str:
    """A question id as a field name; a key that cannot even be shown is described instead."""
    if isinstance(key, str) and issubclass(type(key), str):  # ``type``: not one that pretends
        return key
    try:
        return show(key)
    except Exception:  # a hostile key whose repr raises: the field is still named, never crashes
        return f"(a key of type {type(key).__name__})"


def show(value: object) -> str:
    """An answer as the messages show it: short, and never the whole of a huge value."""
    if type(value) is bool:  # ``type``, not ``isinstance``: an object can pretend its class
        text = str(value).lower()
    elif isinstance(value, int) and issubclass(type(value), int) and value.bit_length() > 128:
        text = f"a whole number of about {int(value.bit_length() * 0.30103)} digits"
    else:
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
