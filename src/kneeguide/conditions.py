"""The condition language: one small tree that every backend renders.

Clinicians write conditions in YAML as short expressions such as
``visible_swelling and hours_since_onset <= 72`` or
``trigger in [exercise, heavy_lifting]``.  This module parses them (a
hand-written recursive-descent parser: nothing is ever passed to ``eval``),
type-checks them against the question set, and renders the resulting tree as
Python source, FHIRPath and English.  The verifier and the exporters use the
same tree, so the logic exists exactly once.

The language is in three parts: the tree (``kneeguide.condition_tree``),
the parser (``kneeguide.condition_parser``, with the grammar) and the type
check here.  Every public name of the three is importable from this module.
"""

from __future__ import annotations

from collections.abc import Mapping

from .condition_parser import MAX_CONDITION_LENGTH, MAX_DEPTH, parse
from .condition_tree import (
    MAX_RESOLVED_DEPTH,
    And,
    Compare,
    Condition,
    ConditionError,
    Const,
    Flag,
    NestingError,
    Not,
    OneOf,
    Op,
    Or,
    QuestionSpec,
    QuestionType,
    RedFlagRef,
    Ref,
    conjoin,
    questions_used,
    resolve,
    thresholds,
    walk,
)

__all__ = [
    "MAX_CONDITION_LENGTH",
    "MAX_DEPTH",
    "MAX_RESOLVED_DEPTH",
    "And",
    "Compare",
    "Condition",
    "ConditionError",
    "Const",
    "Flag",
    "NestingError",
    "Not",
    "OneOf",
    "Op",
    "Or",
    "QuestionSpec",
    "QuestionType",
    "RedFlagRef",
    "Ref",
    "conjoin",
    "parse",
    "questions_used",
    "resolve",
    "thresholds",
    "typecheck",
    "walk",
]


def typecheck(
    node: Condition,
    questions: Mapping[str, QuestionSpec],
    red_flags: frozenset[str] = frozenset(),
) -> list[ConditionError]:
    """Every way the tree does not fit the question set (empty when it fits).

    Each error carries its code and, for an unknown name, the closest known
    one ("did you mean").
    """
    from .hints import did_you_mean

    errors: list[ConditionError] = []

    def known(name: str, col: int) -> QuestionSpec | None:
        spec = questions.get(name)
        if spec is None:
            hint = did_you_mean(name, questions)
            errors.append(ConditionError(f"unknown question {name!r}{hint}", col, code="unknown-question"))
        return spec

    for n in walk(node):
        if isinstance(n, Flag):
            spec = known(n.question, n.col)
            if spec is not None and spec.type != "boolean":
                hint = (
                    f"compare it with a number, e.g. '{n.question} >= {spec.minimum or 0}'"
                    if spec.type == "integer"
                    else f"use '{n.question} in [...]'"
                )
                errors.append(
                    ConditionError(
                        f"{n.question!r} is a {spec.type} question, not yes/no: {hint}",
                        n.col,
                        code="condition-type",
                    )
                )
        elif isinstance(n, Compare):
            spec = known(n.question, n.col)
            if spec is None:
                continue
            if spec.type != "integer":
                errors.append(
                    ConditionError(
                        f"{n.question!r} is a {spec.type} question and cannot be compared with a number",
                        n.col,
                        code="condition-type",
                    )
                )
            elif (spec.minimum is not None and n.value < spec.minimum) or (
                spec.maximum is not None and n.value > spec.maximum
            ):
                errors.append(
                    ConditionError(
                        f"{n.value} is outside the range of {n.question!r} ({spec.minimum}..{spec.maximum})",
                        n.col,
                        code="out-of-range",
                    )
                )
        elif isinstance(n, OneOf):
            spec = known(n.question, n.col)
            if spec is None:
                continue
            if spec.type != "choice":
                errors.append(
                    ConditionError(
                        f"{n.question!r} is a {spec.type} question and has no choices",
                        n.col,
                        code="condition-type",
                    )
                )
                continue
            for i, choice in enumerate(n.choices):
                if choice not in spec.choices:
                    hint = did_you_mean(choice, spec.choices)
                    errors.append(
                        ConditionError(
                            f"{choice!r} is not a choice of {n.question!r}{hint} "
                            f"(choices: {', '.join(spec.choices)})",
                            n.choice_cols[i] if i < len(n.choice_cols) else n.col,
                            code="unknown-choice",
                        )
                    )
        elif isinstance(n, RedFlagRef) and n.red_flag not in red_flags:
            hint = did_you_mean(n.red_flag, red_flags)
            errors.append(
                ConditionError(f"unknown red flag {n.red_flag!r}{hint}", n.col, code="unknown-red-flag")
            )
    return errors
