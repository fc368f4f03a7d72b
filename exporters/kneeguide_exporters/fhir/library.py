"""The CQL library of a guidance: CQL text and ELM JSON, rendered from the decision model.

One ``define`` per definition of the decision model (``red_flag:<id>``,
``urgency:<level>``, ``applies:<id>``, ``above:<n>``, ``decides:<id>``,
``shown:<id>``...), each rendered from its condition tree, so definitions
refer to each other by name and the library grows linearly with the rules.
Before them, the answers are read from the one ``QuestionnaireResponse`` to
the guidance's Questionnaire (FHIR R4 4.0.1 model, as cql-execution with
cql-exec-fhir reads it):

``"Answer <q>"``
    the answer to question ``q`` when it is given once and valid (type,
    range, choice and code system), else null: CQL's null is the decision
    model's "unknown", and CQL's ``and``/``or``/``not`` are Kleene's, so each
    define has exactly the three-valued value that ``kneeguide.kleene`` gives.
    An unanswered optional question reads as false, as ``assess`` reads it.
``"Answers valid"``
    exactly one response, and every required question answered once with a
    valid value, every optional one at most once and valid.
``CompleteOrEmergency``
    the answers are valid, or an emergency is certain: the condition of the
    ice or heat and the step groups.
``AnyRedFlag``
    some red flag certainly fires (``urgency:soon`` is true): the condition
    of the red flag group, implied by each red flag's own.
``Select_<action id>``
    the condition of each action: what ``DecisionModel.given`` says must be
    certainly true and what must not be; ``Select_answers_incomplete`` is the
    validity gate.

The action conditions are plain identifiers, so each is a ``text/cql``
expression naming its define, which is how Encender (and cql-worker) look
them up.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from . import expr as x
from .common import Json, Urls, artifact_name
from .expr import X

if TYPE_CHECKING:
    from kneeguide.conditions import Condition
    from kneeguide.guidance import Guidance
    from kneeguide.models import Question

__all__ = ["ANY_RED_FLAG", "GATE_ID", "OPEN", "Library", "select_name"]

GATE_ID = "answers_incomplete"
"""The id of the validity gate's action (and of its ActivityDefinition)."""
OPEN = "CompleteOrEmergency"
ANY_RED_FLAG = "AnyRedFlag"
VALID = "Answers valid"


def select_name(action_id: str) -> str:
    """The define an action's condition names."""
    return f"Select_{action_id}"


class Library:
    """Builds the defines once; renders them as CQL text, ELM JSON and a FHIR ``Library``."""

    def __init__(self, guidance: Guidance, urls: Urls) -> None:
        self.g = guidance
        self.urls = urls
        self.name = artifact_name(guidance.id)
        self.questions = {q.id: q for q in guidance.questions}
        self.defines: list[tuple[str, X]] = []
        self._read_answers()
        model = guidance.decisions
        for d in model.definitions:
            self.define(d.name, self.render(d.expr))
        from kneeguide.decision import URGENCY_NAMES

        emergency = x.ref(model.urgency_at_least(len(URGENCY_NAMES) - 1))
        self.define(OPEN, x.joined("Or", [x.ref(VALID), emergency.is_true()]))
        # Some red flag certainly fires: implied by each red flag's own condition, so the
        # group's condition only spares an engine the red flags when none can fire.
        self.define(ANY_RED_FLAG, x.ref(model.urgency_at_least(1)).is_true())
        self.define(select_name(GATE_ID), x.ref(VALID).negated())
        for rule in guidance.rules():
            _, certain, not_certain = model.given(rule.id)
            parts = [x.ref(c).is_true() for c in certain]
            parts += [x.ref(n).is_true().negated() for n in not_certain]
            self.define(select_name(rule.id), x.joined("And", parts))

    def define(self, name: str, expression: X) -> None:
        self.defines.append((name, expression))

    # --- reading the response ----------------------------------------------------------

    def _read_answers(self) -> None:
        url = self.urls.url("Questionnaire", self.urls.plan_id)
        named = x.element("R", "questionnaire")
        self.define(
            "Responses",
            x.query(
                x.retrieve("QuestionnaireResponse"),
                "R",
                where=x.joined(
                    "Or",
                    [
                        named.is_null(),
                        named.prop("value").compare("==", x.string(url)),
                        x.starts_with(named.prop("value"), x.string(url + "|")),
                    ],
                ),
            ),
        )
        responses = x.ref("Responses")
        self.define(
            "Response",
            x.if_then_else(responses.count().compare("==", x.integer(1)), responses.singleton(), x.null()),
        )
        # Each item once, its linkId read into a plain tuple: FHIR elements are costly to
        # read in cql-exec-fhir, and every question looks its answers up here.
        self.define(
            "Items",
            x.query(
                x.ref("Response").prop("item"),
                "I",
                returns=x.tuple_of(
                    [("linkId", x.element("I", "linkId").prop("value")), ("answer", x.element("I", "answer"))]
                ),
            ),
        )
        checks: list[X] = [x.ref("Response").is_not_null()]
        for q in self.g.questions:
            checks.append(self._question(q))
        self.define(VALID, x.joined("And", checks))

    def _question(self, q: Question) -> X:
        """Define ``"Answers q"``, ``"Read q"``, ``"Answer q"``; return the check of q's answer."""
        given, read, answer = f"Answers {q.id}", f"Read {q.id}", f"Answer {q.id}"
        self.define(
            given,
            x.query(
                x.ref("Items"),
                "I",
                where=x.element("I", "linkId").compare("==", x.string(q.id)),
                returns=x.element("I", "answer"),
            ).flatten(),
        )
        answers = x.ref(given)
        value = x.if_then_else(
            answers.count().compare("==", x.integer(1)), answers.singleton().prop("value"), x.null()
        )
        if q.type == "boolean":
            self.define(read, value.as_type("boolean").prop("value"))
            if q.required:
                self.define(answer, x.ref(read))
                return x.ref(answer).is_not_null()
            self.define(answer, x.coalesce(x.ref(read), x.boolean(False)))
            unanswered = answers.count().compare("==", x.integer(0))
            return x.joined("Or", [unanswered, x.ref(read).is_not_null()])
        if q.type == "integer":
            self.define(read, value.as_type("integer").prop("value"))
            bounds = []
            if q.minimum is not None:
                bounds.append(x.ref(read).compare(">=", x.integer(q.minimum)))
            if q.maximum is not None:
                bounds.append(x.ref(read).compare("<=", x.integer(q.maximum)))
            ok = x.joined("And", bounds) if bounds else x.ref(read).is_not_null()
            self.define(answer, x.if_then_else(ok, x.ref(read), x.null()))
        else:
            self.define(read, value.as_type("Coding"))
            coding = x.ref(read)
            code = coding.prop("code").prop("value")
            known = x.joined("Or", [code.compare("==", x.string(c.code)) for c in q.choices or ()])
            system = coding.prop("system")
            ours = x.joined(
                "Or",
                [
                    system.is_null(),
                    system.prop("value").compare("==", x.string(self.urls.answer_system(q.id))),
                ],
            )
            self.define(answer, x.if_then_else(x.joined("And", [known, ours]), code, x.null()))
        return x.ref(answer).is_not_null()

    # --- the decision model ---------------------------------------------------------------

    def render(self, node: Condition) -> X:
        """A condition tree as CQL; references stay references (the library is linear)."""
        from kneeguide.conditions import And, Compare, Const, Flag, Not, OneOf, Or, Ref

        if isinstance(node, Ref):
            return x.ref(node.name)
        if isinstance(node, Const):
            return x.boolean(node.value)
        if isinstance(node, Flag):
            return x.ref(f"Answer {node.question}")
        if isinstance(node, Compare):
            return x.ref(f"Answer {node.question}").compare(node.op, x.integer(node.value))
        if isinstance(node, OneOf):
            # Equalities, not ``in``: ``null in {...}`` is false in cql-execution, where
            # the decision model needs unknown.
            answer = x.ref(f"Answer {node.question}")
            return x.joined("Or", [answer.compare("==", x.string(c)) for c in sorted(set(node.choices))])
        if isinstance(node, Not):
            return self.render(node.operand).negated()
        if isinstance(node, And):
            return x.joined("And", [self.render(c) for c in node.operands])
        if isinstance(node, Or):
            return x.joined("Or", [self.render(c) for c in node.operands])
        raise TypeError(f"cannot render {type(node).__name__} as CQL; resolve references first")

    # --- output ---------------------------------------------------------------------------

    def cql(self) -> str:
        lines = [
            f"library {self.name} version {x.string(self.urls.version).cql}",
            "",
            "using FHIR version '4.0.1'",
            "",
            "context Patient",
            "",
        ]
        for n, e in self.defines:
            lines += [f"define {x.name(n)}:", f"  {e.cql}", ""]
        return "\n".join(lines)

    def elm(self) -> Json:
        statements: list[Json] = []
        for n, e in self.defines:
            statements.append({"name": n, "context": "Patient", "accessLevel": "Public", "expression": e.elm})
        return {
            "library": {
                "identifier": {"id": self.name, "version": self.urls.version},
                "schemaIdentifier": {"id": "urn:hl7-org:elm", "version": "r1"},
                "usings": {
                    "def": [
                        {"localIdentifier": "System", "uri": "urn:hl7-org:elm-types:r1"},
                        {"localIdentifier": "FHIR", "uri": "http://hl7.org/fhir", "version": "4.0.1"},
                    ]
                },
                "contexts": {"def": [{"name": "Patient"}]},
                "statements": {"def": statements},
            }
        }

    def content(self) -> list[Json]:
        """The two attachments: ELM JSON is ASCII-only (Encender decodes it as ASCII)."""
        cql = self.cql().encode("utf-8")
        elm = json.dumps(self.elm(), ensure_ascii=True, separators=(",", ":")).encode("ascii")
        return [
            {"contentType": "text/cql", "data": base64.b64encode(cql).decode("ascii")},
            {"contentType": "application/elm+json", "data": base64.b64encode(elm).decode("ascii")},
        ]
