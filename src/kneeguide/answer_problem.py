"""``AnswerProblem``: one bad answer, as text and as data an app can translate.

It is a pydantic model (the service and the JSON Schemas publish it), kept
out of ``kneeguide.errors`` so that the errors every command catches stay
free of pydantic; ``kneeguide.errors.AnswerProblem`` still names it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AnswerProblem"]


class AnswerProblem(BaseModel):
    """One bad answer: which question, what is wrong (in English), and the same as data.

    ``code`` is stable and ``params`` holds its values, so an app can say it
    in its own language: ``unknown_question``, ``missing``, ``not_an_object``
    ``{type}``, ``not_boolean`` ``{value}``, ``not_integer`` ``{value}``,
    ``out_of_range`` ``{minimum, maximum, value}``, ``not_a_choice``
    ``{choices, value}``.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    field: str
    message: str
    code: str = "invalid"
    params: dict[str, Any] = Field(default_factory=dict)
