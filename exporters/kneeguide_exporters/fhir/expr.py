"""CQL expressions that carry their ELM: one builder, two languages that cannot disagree.

There is no CQL-to-ELM translator to call (it is a Java program), so the
library is written in both languages at once: every builder here returns an
``X`` holding the CQL text and the ELM JSON of the same expression, as the
reference translator would write it (binary ``And``/``Or`` nested to the
left, FHIR primitives read through their ``value`` element, so no FHIRHelpers
library is needed).  Strings are quoted for each language by the builders,
never pasted, so no content text can change an expression.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["X", "boolean", "integer", "name", "ref", "string"]

Json = dict[str, Any]
SYSTEM = "{urn:hl7-org:elm-types:r1}"
FHIR = "{http://hl7.org/fhir}"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class X:
    """One expression: its CQL text, its ELM, and whether the text needs brackets inside another."""

    cql: str
    elm: Json
    atomic: bool = True

    def inner(self) -> str:
        return self.cql if self.atomic else f"({self.cql})"

    # --- operators -----------------------------------------------------------------

    def prop(self, path: str) -> X:
        """``self.path``: an element of a resource or a FHIR primitive's ``value``."""
        return X(f"{self.inner()}.{path}", {"type": "Property", "path": path, "source": self.elm})

    def as_type(self, type_name: str) -> X:
        """``self as FHIR.<type>``: null when the value is of another type."""
        return X(
            f"({self.inner()} as FHIR.{type_name})",
            {"type": "As", "asType": f"{FHIR}{type_name}", "operand": self.elm, "strict": False},
        )

    def is_null(self) -> X:
        return X(f"{self.inner()} is null", {"type": "IsNull", "operand": self.elm}, atomic=False)

    def is_not_null(self) -> X:
        return X(
            f"{self.inner()} is not null",
            {"type": "Not", "operand": {"type": "IsNull", "operand": self.elm}},
            atomic=False,
        )

    def is_true(self) -> X:
        """True only when ``self`` is true: unknown (null) counts as not true."""
        return X(f"{self.inner()} is true", {"type": "IsTrue", "operand": self.elm}, atomic=False)

    def negated(self) -> X:
        return X(f"not {self.inner()}", {"type": "Not", "operand": self.elm}, atomic=False)

    def compare(self, op: str, other: X) -> X:
        kinds = {
            "==": "Equal",
            "!=": "NotEqual",
            "<": "Less",
            "<=": "LessOrEqual",
            ">": "Greater",
            ">=": "GreaterOrEqual",
        }
        text = {"==": "=", "!=": "!="}.get(op, op)
        return X(
            f"{self.inner()} {text} {other.inner()}",
            {"type": kinds[op], "operand": [self.elm, other.elm]},
            atomic=False,
        )

    def count(self) -> X:
        return X(f"Count({self.cql})", {"type": "Count", "source": self.elm})

    def singleton(self) -> X:
        return X(
            f"singleton from {self.inner()}", {"type": "SingletonFrom", "operand": self.elm}, atomic=False
        )

    def exists(self) -> X:
        return X(f"exists {self.inner()}", {"type": "Exists", "operand": self.elm}, atomic=False)

    def flatten(self) -> X:
        return X(f"flatten {self.inner()}", {"type": "Flatten", "operand": self.elm}, atomic=False)


def name(text: str) -> str:
    """A CQL identifier for ``text``: as is when it is a plain identifier, else double-quoted."""
    if _IDENT.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cql_string(text: str) -> str:
    return "'" + json.dumps(text, ensure_ascii=True)[1:-1].replace("'", "\\'").replace('\\"', '"') + "'"


def string(text: str) -> X:
    return X(_cql_string(text), {"type": "Literal", "valueType": f"{SYSTEM}String", "value": text})


def integer(value: int) -> X:
    return X(str(int(value)), {"type": "Literal", "valueType": f"{SYSTEM}Integer", "value": str(int(value))})


def boolean(value: bool) -> X:
    text = "true" if value else "false"
    return X(text, {"type": "Literal", "valueType": f"{SYSTEM}Boolean", "value": text})


def null() -> X:
    return X("null", {"type": "Null"})


def ref(definition: str) -> X:
    """A reference to a define of this library."""
    return X(name(definition), {"type": "ExpressionRef", "name": definition})


def element(scope: str, path: str) -> X:
    """``scope.path`` for a query alias: the ELM names the alias as the scope."""
    return X(f"{scope}.{path}", {"type": "Property", "path": path, "scope": scope})


CHAIN = 64
"""Up to this many operands are nested to the left, as the translator nests ``a or b or c``."""


def joined(kind: str, parts: Sequence[X]) -> X:
    """``a and b and c`` (or ``or``): nested to the left as the translator nests it, up to ``CHAIN``.

    Longer lists are split in halves, each bracketed (``(a or b) or (c or d)``,
    which the translator nests the same way), so the ELM is only
    logarithmically deep in the operands: a JSON encoder or an engine walks
    it without recursing once per red flag.  ``and`` and ``or`` are
    associative in CQL's three-valued logic, so the grouping changes no value.
    """
    if not parts:
        return boolean(kind == "And")
    if len(parts) > CHAIN:
        half = len(parts) // 2
        first, second = joined(kind, parts[:half]), joined(kind, parts[half:])
        return X(
            f"{_leading(first, kind)} {kind.lower()} {second.inner()}",
            {"type": kind, "operand": [first.elm, second.elm]},
            atomic=False,
        )
    out = parts[0]
    text = [_leading(out, kind)]
    for part in parts[1:]:
        text.append(part.inner())
        out = X("", {"type": kind, "operand": [out.elm, part.elm]}, atomic=False)
    if len(parts) == 1:
        return out
    return X(f" {kind.lower()} ".join(text), out.elm, atomic=False)


def _leading(x: X, kind: str) -> str:
    """The first operand's text: a chain of the same operator needs no brackets to read left to right."""
    return x.cql if x.elm.get("type") == kind and not x.atomic else x.inner()


def if_then_else(condition: X, then: X, otherwise: X) -> X:
    return X(
        f"if {condition.cql} then {then.cql} else {otherwise.cql}",
        {"type": "If", "condition": condition.elm, "then": then.elm, "else": otherwise.elm},
        atomic=False,
    )


def query(source: X, alias_name: str, where: X | None = None, returns: X | None = None) -> X:
    """``source A where ... return ...`` over a list."""
    text = f"{source.inner()} {alias_name}"
    elm: Json = {
        "type": "Query",
        "source": [{"alias": alias_name, "expression": source.elm}],
        "relationship": [],
    }
    if where is not None:
        text += f" where {where.cql}"
        elm["where"] = where.elm
    if returns is not None:
        text += f" return {returns.cql}"
        elm["return"] = {"distinct": False, "expression": returns.elm}
    return X(f"({text})", elm)


def retrieve(resource_type: str) -> X:
    return X(f"[{resource_type}]", {"type": "Retrieve", "dataType": f"{FHIR}{resource_type}"})


def starts_with(text: X, prefix: X) -> X:
    return X(
        f"StartsWith({text.cql}, {prefix.cql})", {"type": "StartsWith", "operand": [text.elm, prefix.elm]}
    )


def coalesce(first: X, then: X) -> X:
    return X(f"Coalesce({first.cql}, {then.cql})", {"type": "Coalesce", "operand": [first.elm, then.elm]})


def tuple_of(elements: Sequence[tuple[str, X]]) -> X:
    """``Tuple { a: ..., b: ... }``."""
    text = ", ".join(f"{name(k)}: {v.cql}" for k, v in elements)
    return X(
        f"Tuple {{ {text} }}",
        {"type": "Tuple", "element": [{"name": k, "value": v.elm} for k, v in elements]},
    )
