"""The model of questions.yaml: the questions a person answers, and the order they are asked.

A question is one of three models, told apart by its ``type`` (a tagged
union): each has exactly the fields its type needs, so the generated JSON
Schema, and an editor that reads it, refuses a range on a yes/no question
or a choice question without choices before any Python check runs.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, TypeAlias

from pydantic import Field

from .model_types import ContentModel, Id, Text

__all__ = [
    "QUESTION_TYPES",
    "BooleanQuestion",
    "Choice",
    "ChoiceQuestion",
    "IntegerQuestion",
    "Question",
    "QuestionsFile",
]


class Choice(ContentModel):
    code: Id
    label: Text


class _QuestionFields(ContentModel):
    """What every question has, whatever its type."""

    id: Id
    text: Text = Field(description="The question as the person reads it.")
    help: Text
    required: bool = True
    worsens: Literal["yes", "higher", "none"] | None = Field(
        default=None,
        description="Which answer is the worse finding, so that verify proves urgency never "
        "falls as it worsens: 'yes' (the default for yes/no questions), 'higher' (integer "
        "questions), or 'none' with a 'worsens_note' saying why the answer has no order.",
    )
    worsens_note: Text | None = Field(
        default=None, description="Why a question with worsens: none has no direction of severity."
    )

    default_direction: ClassVar[str] = "none"

    @property
    def direction(self) -> str:
        """The direction of severity, with the default for yes/no questions filled in."""
        return self.worsens if self.worsens is not None else self.default_direction


# The fields one type has and another cannot: read on a question of another
# type they are None, so code that handles every type reads them alike.


class _NoRange:
    @property
    def minimum(self) -> None:
        return None

    @property
    def maximum(self) -> None:
        return None

    @property
    def unit(self) -> None:
        return None


class _NoChoices:
    @property
    def choices(self) -> None:
        return None


class _NoClauses:
    @property
    def when_yes(self) -> None:
        return None

    @property
    def when_no(self) -> None:
        return None


class _NoSubject:
    @property
    def subject(self) -> None:
        return None

    @property
    def typical(self) -> None:
        return None


_SUBJECT = Field(
    description="The noun phrase used in rendered conditions, e.g. 'the pain score'.",
)
_TYPICAL = (
    "The answer a typical person in the intended use gives, e.g. 40 for an age: examples and "
    "counterexamples (verify, diff) use it instead of the {instead}, so they stay inside the "
    "intended use."
)


class BooleanQuestion(_NoRange, _NoChoices, _NoSubject, _QuestionFields):
    """A yes/no question; unanswered, an optional one counts as no."""

    type: Literal["boolean"]
    when_yes: Text = Field(
        description="The clause used in rendered conditions when the answer is yes, "
        "e.g. 'the knee is swollen'.",
    )
    when_no: Text = Field(description="The clause for a no.")

    default_direction: ClassVar[str] = "yes"

    @property
    def example_answer(self) -> bool:
        """The plainest answer: no."""
        return False


class IntegerQuestion(_NoChoices, _NoClauses, _QuestionFields):
    """A whole number from ``minimum`` to ``maximum``."""

    type: Literal["integer"]
    minimum: int
    maximum: int
    unit: Text | None = None
    subject: Text = _SUBJECT
    typical: int | None = Field(default=None, description=_TYPICAL.format(instead="minimum"))

    @property
    def example_answer(self) -> int:
        """The plainest in-scope answer: ``typical``, else the minimum."""
        return self.typical if self.typical is not None else self.minimum


class ChoiceQuestion(_NoRange, _NoClauses, _QuestionFields):
    """One code of ``choices``."""

    type: Literal["choice"]
    choices: list[Choice]
    subject: Text = _SUBJECT
    typical: Text | None = Field(default=None, description=_TYPICAL.format(instead="first choice"))

    @property
    def example_answer(self) -> str | None:
        """The plainest in-scope answer: ``typical``, else the first choice."""
        if self.typical is not None:
            return self.typical
        return self.choices[0].code if self.choices else None


QUESTION_TYPES: tuple[type[BooleanQuestion | IntegerQuestion | ChoiceQuestion], ...] = (
    BooleanQuestion,
    IntegerQuestion,
    ChoiceQuestion,
)
"""The question models, one per ``type``."""

Question: TypeAlias = Annotated[
    BooleanQuestion | IntegerQuestion | ChoiceQuestion, Field(discriminator="type")
]
"""A question of any type, told apart by its ``type``: the fields each type needs and cannot
have are in its model, so the JSON Schema (and an editor using it) enforces them."""


class QuestionsFile(ContentModel):
    questions: list[Question] = Field(min_length=1)
    ask_order: list[Id] = Field(
        min_length=1,
        description="Every question id once, in the order an interview asks them: the warning signs first.",
    )
