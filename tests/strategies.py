"""Hypothesis strategies: answer sets derived from the question definitions, and YAML-like text.

Nothing here lists questions by hand: booleans, integer ranges and choices
come from the loaded guidance, and integers are biased towards every
threshold a condition compares them with, and one either side, where rule
boundaries hide their mistakes.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import strategies as st

from kneeguide import conditions
from kneeguide.guidance import Guidance
from kneeguide.models import Question

YAML_TOKENS = st.sampled_from(
    [
        "key", "id", "steps", "- ", ": ", ":", "-", "[", "]", "{", "}", ", ", "'", '"', "&a ", "*a",
        "!", "!!str ", "!!python/object:os.system ", "|", ">", "|-", ">+", "\n", "\n  ", "\n    ",
        "  ", "#", "?", "---\n", "...\n", "%YAML 1.2\n", "<<: ", "~", "null", "true", "1", "-1.5",
        ".nan", "0x1F", "2026-01-01", "\\", "\u00e9", "@", "`", "%",
    ]
)  # fmt: skip
"""Pieces of YAML syntax, names and values that the fuzz joins into files: the characters and
markers parsers trip on (indicators, tags, anchors, directives, document markers).  No tab
and no byte-order mark: the reader refuses either anywhere before a parser runs
(test_yaml_reader.py), so they would mostly keep the parsers from being tried."""


def boundary_values(guidance: Guidance) -> dict[str, list[int]]:
    """For each integer question: its limits, and each threshold with one either side."""
    found: dict[str, set[int]] = {}
    for tree in guidance.conditions.values():
        for qid, values in conditions.thresholds(tree).items():
            found.setdefault(qid, set()).update(v + d for v in values for d in (-1, 0, 1))
    out: dict[str, list[int]] = {}
    for q in guidance.questions:
        if q.type == "integer":
            lo, hi = q.minimum or 0, q.maximum or 0
            vals = {lo, hi} | {v for v in found.get(q.id, set()) if lo <= v <= hi}
            out[q.id] = sorted(vals)
    return out


def answer_value(q: Question, boundaries: list[int]) -> st.SearchStrategy[Any]:
    if q.type == "boolean":
        return st.booleans()
    if q.type == "integer":
        lo, hi = q.minimum or 0, q.maximum or 0
        return (
            st.one_of(st.sampled_from(boundaries), st.integers(lo, hi)) if boundaries else st.integers(lo, hi)
        )
    return st.sampled_from([c.code for c in q.choices or ()])


def answer_sets(guidance: Guidance) -> st.SearchStrategy[dict[str, Any]]:
    """Complete, valid answer sets (optional questions answered or left out)."""
    bounds = boundary_values(guidance)
    required = {q.id: answer_value(q, bounds.get(q.id, [])) for q in guidance.questions if q.required}
    optional = {q.id: answer_value(q, bounds.get(q.id, [])) for q in guidance.questions if not q.required}
    return st.fixed_dictionaries(required, optional=optional)


def drawn_answer_sets(guidance: Guidance, count: int, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` complete, valid answer sets drawn from a fixed seed, the same on every run.

    Unlike hypothesis examples they are known before a test starts, so a
    test can choose among them (``covering`` in test_fhir_engines.py).  Each
    draw says yes to a boolean with its own chance, from rarely to often, so
    that some draws fire many red flags at once and others none, and takes
    integers from the thresholds and limits as often as from the range.
    """
    rng = random.Random(seed)
    bounds = boundary_values(guidance)
    out = []
    for n in range(count):
        yes = (0.02, 0.05, 0.1, 0.2, 0.4)[n % 5]
        answers: dict[str, Any] = {}
        for q in guidance.questions:
            if not q.required and rng.random() < 0.2:
                continue
            if q.type == "boolean":
                answers[q.id] = rng.random() < yes
            elif q.type == "integer":
                lo, hi = q.minimum or 0, q.maximum or 0
                edges = bounds.get(q.id, [])
                answers[q.id] = rng.choice(edges) if edges and rng.random() < 0.5 else rng.randint(lo, hi)
            else:
                answers[q.id] = rng.choice([c.code for c in q.choices or ()])
        out.append(answers)
    return out


def holds(node: conditions.Condition, answers: dict[str, Any]) -> bool:
    """Evaluate a resolved condition tree on answers (an absent optional answer is no).

    A third, deliberately plain reading of the condition language, so tests
    can check the engine and the verifier against something that shares
    code with neither.
    """
    if isinstance(node, conditions.Const):
        return node.value
    if isinstance(node, conditions.Flag):
        return answers.get(node.question, False) is True
    if isinstance(node, conditions.Compare):
        value = answers[node.question]
        return {
            "<": value < node.value,
            "<=": value <= node.value,
            ">": value > node.value,
            ">=": value >= node.value,
            "==": value == node.value,
            "!=": value != node.value,
        }[node.op]
    if isinstance(node, conditions.OneOf):
        return answers[node.question] in node.choices
    if isinstance(node, conditions.Not):
        return not holds(node.operand, answers)
    if isinstance(node, conditions.And):
        return all(holds(c, answers) for c in node.operands)
    if isinstance(node, conditions.Or):
        return any(holds(c, answers) for c in node.operands)
    raise TypeError(f"unresolved condition node {type(node).__name__}")
