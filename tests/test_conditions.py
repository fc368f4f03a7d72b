"""The condition language: parsing, type checks and the three renderers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kneeguide.conditions import (
    And,
    Compare,
    ConditionError,
    Const,
    Flag,
    Not,
    OneOf,
    Or,
    QuestionSpec,
    RedFlagRef,
    parse,
    questions_used,
    thresholds,
    typecheck,
)
from kneeguide.guidance import Guidance
from kneeguide.renderers import fhirpath_string, to_english, to_fhirpath, to_python
from strategies import holds

SPECS = {
    "swollen": QuestionSpec("swollen", "boolean"),
    "pain": QuestionSpec("pain", "integer", 0, 10),
    "muscle": QuestionSpec("muscle", "choice", choices=("calf", "thigh")),
}


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("swollen", Flag("swollen")),
        ("true", Const(True)),
        ("pain >= 8", Compare("pain", ">=", 8)),
        ("muscle == calf", OneOf("muscle", ("calf",))),
        ("muscle != 'calf'", Not(OneOf("muscle", ("calf",)))),
        ("muscle in [calf, thigh]", OneOf("muscle", ("calf", "thigh"))),
        ("muscle not in [calf]", Not(OneOf("muscle", ("calf",)))),
        ("not swollen", Not(Flag("swollen"))),
        ("red_flag(x)", RedFlagRef("x")),
        (
            "swollen or pain > 3 and not swollen",
            Or((Flag("swollen"), And((Compare("pain", ">", 3), Not(Flag("swollen")))))),
        ),
        (
            "(swollen or pain > 3) and swollen",
            And((Or((Flag("swollen"), Compare("pain", ">", 3))), Flag("swollen"))),
        ),
    ],
)
def test_parse(text: str, tree: object) -> None:
    assert parse(text) == tree


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("", "empty", 0),
        ("swollen and", "expected a question id", 11),
        ("swollen swollen", "unexpected 'swollen'", 8),
        ("(swollen", "expected ')'", 8),
        ("pain >= ", "expected a whole number or a choice", 8),
        ("pain => 3", "unexpected character '='", 5),
        ("muscle in [calf", "expected ']'", 15),
        ("__import__('os')", "unexpected '('", 10),
        ("swollen; drop", "unexpected character ';'", 7),
        ("not " * 60 + "swollen", "nested too deeply", 196),
    ],
)
def test_parse_errors_point_at_the_column(text: str, message: str, column: int) -> None:
    with pytest.raises(ConditionError) as info:
        parse(text)
    assert message in info.value.message
    assert info.value.column == column


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("swolen", "unknown question 'swolen'"),
        ("pain", "'pain' is a integer question, not yes/no"),
        ("muscle", "use 'muscle in [...]'"),
        ("pain > 11", "11 is outside the range of 'pain' (0..10)"),
        ("swollen > 1", "cannot be compared with a number"),
        ("muscle in [shin]", "'shin' is not a choice of 'muscle'"),
        ("pain in [calf]", "has no choices"),
        ("red_flag(nope)", "unknown red flag 'nope'"),
    ],
)
def test_typecheck(text: str, message: str) -> None:
    errors = typecheck(parse(text), SPECS)
    assert any(message in e.message for e in errors), [e.message for e in errors]


def test_typecheck_accepts_a_good_condition() -> None:
    assert typecheck(parse("swollen and pain <= 3 and muscle in [calf]"), SPECS) == []


def test_questions_used_and_thresholds() -> None:
    tree = parse("swollen and (pain <= 3 or pain > 7) and muscle == calf")
    assert questions_used(tree) == {"swollen", "pain", "muscle"}
    assert thresholds(tree) == {"pain": {3, 7}}


ANSWERS = st.fixed_dictionaries(
    {"swollen": st.booleans(), "pain": st.integers(0, 10), "muscle": st.sampled_from(["calf", "thigh"])}
)


@given(ANSWERS)
def test_python_rendering_matches_the_tree(answers: dict[str, object]) -> None:
    for text in [
        "swollen and pain >= 4",
        "not (muscle == calf or pain < 2)",
        "pain != 5 and muscle not in [thigh]",
    ]:
        tree = parse(text)
        code = to_python(tree, lambda q: f"a[{q!r}]")
        assert eval(code, {"__builtins__": {}}, {"a": answers}) is holds(tree, answers)


def test_fhirpath_strings_are_escaped() -> None:
    assert fhirpath_string("it's") == "'it\\'s'"
    with pytest.raises(ValueError, match="backslash"):
        fhirpath_string("a\\b")
    hostile = OneOf("q') or true or ('", ("x' or '1'='1",))
    expr = to_fhirpath(hostile)
    assert "linkId='q\\') or true or (\\''" in expr
    assert ".code = 'x\\' or \\'1\\'=\\'1'" in expr


def test_english_uses_question_wording(guidance: Guidance) -> None:
    questions = {q.id: q for q in guidance.questions}
    swollen = questions["visible_swelling"]
    pain = questions["pain_score"]
    text = to_english(parse("visible_swelling and pain_score >= 8"), questions)
    unit = f" {pain.unit}" if pain.unit else ""
    assert text == f"{swollen.when_yes} and {pain.subject} is at least 8{unit}"
    negated = to_english(parse("not (visible_swelling or pain_score >= 8)"), questions)
    assert negated == f"{swollen.when_no} and {pain.subject} is less than 8{unit}"
