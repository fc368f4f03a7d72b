"""Render one condition tree as Python, FHIRPath or English.

These three small functions are the only places that turn conditions into
another language; the verifier encodes the same tree for its solver.  They
never copy condition text: identifiers and choice codes are quoted for the
target language, and numbers are written from integers, so no content can
inject code into the output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .conditions import And, Compare, Condition, Const, Flag, Not, OneOf, Or, RedFlagRef, Ref
from .models import Question

__all__ = ["fhirpath_string", "to_english", "to_fhirpath", "to_python"]


# --- Python ------------------------------------------------------------------


def to_python(node: Condition, var: Callable[[str], str], ref: Callable[[str], str] | None = None) -> str:
    """A Python expression; ``var(question_id)`` names the local holding its answer.

    ``ref(name)`` names the local holding a decision-model definition; without
    it a ``Ref`` cannot be rendered.
    """
    if isinstance(node, Ref) and ref is not None:
        return ref(node.name)
    if isinstance(node, Const):
        return "True" if node.value else "False"
    if isinstance(node, Flag):
        return f"({var(node.question)} is True)"
    if isinstance(node, Compare):
        return f"({var(node.question)} {node.op} {int(node.value)!r})"
    if isinstance(node, OneOf):
        choices = ", ".join(repr(str(c)) for c in sorted(set(node.choices)))
        return f"({var(node.question)} in ({choices},))"
    if isinstance(node, Not):
        return f"(not {to_python(node.operand, var, ref)})"
    if isinstance(node, And):
        return "(" + " and ".join(to_python(c, var, ref) for c in node.operands) + ")"
    if isinstance(node, Or):
        return "(" + " or ".join(to_python(c, var, ref) for c in node.operands) + ")"
    raise TypeError(f"cannot render {type(node).__name__} as Python; resolve references first")


# --- FHIRPath ----------------------------------------------------------------

_FHIRPATH_ESCAPES = {"'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "`": "\\`"}


def fhirpath_string(text: str) -> str:
    """A FHIRPath string literal that holds ``text`` exactly (quotes escaped).

    A backslash is refused rather than escaped: the FHIRPath grammar's string
    rule lets a lexer read ``'\\\\'`` either as one backslash or as the start
    of a longer string, and fhirpathpy takes the longer reading.  Ids and
    choice codes never contain one (the schemas allow ``[a-z0-9_]``), so
    refusing costs nothing and no engine can read the expression two ways.
    """
    if "\\" in text:
        raise ValueError(f"cannot write {text!r} as a FHIRPath string: it contains a backslash")
    return "'" + "".join(_FHIRPATH_ESCAPES.get(ch, ch) for ch in text) + "'"


def _answered(question: str, test: str) -> str:
    """True when the question has an answer meeting ``test``, else false (never empty).

    ``answer.where(...).exists()`` keeps every leaf two-valued: an unanswered
    optional question reads as "no", as in the Python engine, instead of
    FHIRPath's empty, which ``not()`` would pass on as empty.
    """
    return f"item.where(linkId={fhirpath_string(question)}).answer.where({test}).exists()"


def to_fhirpath(node: Condition) -> str:
    """A self-contained FHIRPath boolean over a QuestionnaireResponse.

    Uses only the widely supported subset of contracts.md section 4:
    ``where``, comparisons, ``and``/``or``/``not()``.  Every operand is
    parenthesised so precedence never depends on the engine.
    """
    if isinstance(node, Const):
        return "true" if node.value else "false"
    if isinstance(node, Flag):
        return _answered(node.question, "value = true")
    if isinstance(node, Compare):
        op = "=" if node.op == "==" else node.op  # FHIRPath equality is '='; '==' is not in its grammar
        return _answered(node.question, f"value {op} {int(node.value)}")
    if isinstance(node, OneOf):
        tests = [f"value.code = {fhirpath_string(c)}" for c in sorted(set(node.choices))]
        return _answered(node.question, " or ".join(tests))
    if isinstance(node, Not):
        return f"({to_fhirpath(node.operand)}).not()"
    if isinstance(node, And):
        return "(" + " and ".join(to_fhirpath(c) for c in node.operands) + ")"
    if isinstance(node, Or):
        return "(" + " or ".join(to_fhirpath(c) for c in node.operands) + ")"
    raise TypeError(f"cannot render {type(node).__name__} as FHIRPath; resolve references first")


# --- English -----------------------------------------------------------------

_OP_KEYS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}

ENGLISH: Mapping[str, str] = {
    "cond.always": "always",
    "cond.never": "never",
    "cond.and": "and",
    "cond.or": "or",
    "cond.nor": "nor",
    "cond.op.lt": "less than",
    "cond.op.le": "at most",
    "cond.op.gt": "more than",
    "cond.op.ge": "at least",
    "cond.op.eq": "exactly",
    "cond.op.ne": "not",
    "cond.compare": "{subject} is {op} {value}{unit}",
    "cond.is": "{subject} is {choices}",
    "cond.is_not": "{subject} is not {choice}",
    "cond.is_neither": "{subject} is neither {choices}",
    "cond.not": "not ({text})",
    "cond.flag_applies": "the warning sign '{title}' applies",
    "cond.flag_does_not_apply": "the warning sign '{title}' does not apply",
}
"""The joining words in English, for callers without a guidance (``Guidance.ui`` has them in
every locale, from ``ui.yaml``; a test keeps the two the same)."""


def to_english(
    node: Condition,
    questions: Mapping[str, Question],
    red_flag_titles: Mapping[str, str] | None = None,
    words: Mapping[str, str] | None = None,
) -> str:
    """A sentence a patient or clinician can read, built from the question wording.

    ``words`` are the joining words of a locale (``Guidance.ui``); English by
    default.  The name stays for the callers; the sentence is in the locale.
    """
    titles = red_flag_titles or {}
    table = words if words is not None else ENGLISH

    def say(key: str, **params: str) -> str:
        text = table[key]
        for name, value in params.items():
            text = text.replace("{" + name + "}", value)
        return text

    def choice_label(q: Question, code: str) -> str:
        for c in q.choices or ():
            if c.code == code:
                return c.label
        return code

    def alternatives(words: list[str], joiner: str) -> str:
        if len(words) == 1:
            return words[0]
        return ", ".join(words[:-1]) + f" {joiner} " + words[-1]

    def render(n: Condition, negated: bool = False) -> str:
        if isinstance(n, Const):
            return say("cond.always") if n.value != negated else say("cond.never")
        if isinstance(n, Flag):
            q = questions[n.question]
            text = q.when_no if negated else q.when_yes
            return text or (say("cond.not", text=q.text) if negated else q.text)
        if isinstance(n, Compare):
            q = questions[n.question]
            op = _negate(n.op) if negated else n.op
            return say(
                "cond.compare",
                subject=q.subject or q.id,
                op=say(f"cond.op.{_OP_KEYS[op]}"),
                value=str(n.value),
                unit=f" {q.unit}" if q.unit else "",
            )
        if isinstance(n, OneOf):
            q = questions[n.question]
            subject = q.subject or q.id
            labels = [choice_label(q, c) for c in n.choices]
            if negated:
                if len(labels) > 1:
                    return say(
                        "cond.is_neither", subject=subject, choices=f" {say('cond.nor')} ".join(labels)
                    )
                return say("cond.is_not", subject=subject, choice=labels[0])
            return say("cond.is", subject=subject, choices=alternatives(labels, say("cond.or")))
        if isinstance(n, RedFlagRef):
            title = titles.get(n.red_flag, n.red_flag)
            return say("cond.flag_does_not_apply" if negated else "cond.flag_applies", title=title)
        if isinstance(n, Not):
            return render(n.operand, not negated)
        if isinstance(n, And | Or):
            is_and = isinstance(n, And) != negated  # De Morgan when negated
            parts = [_group(c, render(c, negated)) for c in n.operands]
            return alternatives(parts, say("cond.and") if is_and else say("cond.or"))
        raise TypeError(type(n).__name__)

    return render(node)


def _group(node: Condition, text: str) -> str:
    """Bracket nested and/or groups so "a and (b or c)" stays unambiguous in words."""
    return f"({text})" if isinstance(node, And | Or) else text


def _negate(op: str) -> str:
    return {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}[op]
