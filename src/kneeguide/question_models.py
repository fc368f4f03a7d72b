"""The model of questions.yaml: the questions a person answers, and the order they are asked."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .model_types import ContentModel, Id, Text

__all__ = ["Choice", "Question", "QuestionsFile"]


class Choice(ContentModel):
    code: Id
    label: Text


class Question(ContentModel):
    id: Id
    type: Literal["boolean", "integer", "choice"]
    text: Text = Field(description="The question as the person reads it.")
    help: Text
    required: bool = True
    minimum: int | None = None
    maximum: int | None = None
    unit: Text | None = None
    choices: list[Choice] | None = None
    subject: Text | None = Field(
        default=None,
        description="Integer and choice questions: the noun phrase used in "
        "rendered conditions, e.g. 'the pain score'.",
    )
    when_yes: Text | None = Field(
        default=None,
        description="Yes/no questions: the clause used in rendered conditions "
        "when the answer is yes, e.g. 'the knee is swollen'.",
    )
    when_no: Text | None = Field(default=None, description="Yes/no questions: the clause for a no.")
    worsens: Literal["yes", "higher", "none"] | None = Field(
        default=None,
        description="Which answer is the worse finding, so that verify proves urgency never "
        "falls as it worsens: 'yes' (the default for yes/no questions), 'higher' (integer "
        "questions), or 'none' with a 'worsens_note' saying why the answer has no order.",
    )
    worsens_note: Text | None = Field(
        default=None, description="Why a question with worsens: none has no direction of severity."
    )
    typical: int | str | None = Field(
        default=None,
        description="The answer a typical person in the intended use gives (integer and choice "
        "questions), e.g. 40 for an age: examples and counterexamples (verify, diff) use it "
        "instead of the minimum or the first choice, so they stay inside the intended use.",
    )

    @property
    def example_answer(self) -> bool | int | str | None:
        """The plainest in-scope answer: no, ``typical``, else the minimum or the first choice."""
        if self.type == "boolean":
            return False
        if self.typical is not None:
            return self.typical
        if self.type == "integer":
            return self.minimum
        return self.choices[0].code if self.choices else None

    @property
    def direction(self) -> str:
        """The direction of severity, with the default for yes/no questions filled in."""
        if self.worsens is not None:
            return self.worsens
        return "yes" if self.type == "boolean" else "none"


class QuestionsFile(ContentModel):
    questions: list[Question] = Field(min_length=1)
    ask_order: list[Id] = Field(
        min_length=1,
        description="Every question id once, in the order an interview asks them: the warning signs first.",
    )
