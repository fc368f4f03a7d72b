"""CDS Hooks 2.0: the guidance as a ``patient-view`` service that EHRs call.

Discovery (``GET /cds-services``) offers one service per guidance, with a
prefetch template that asks the EHR for the patient's latest completed
QuestionnaireResponse to the guidance's exported Questionnaire.  A call
(``POST /cds-services/{id}``) reads that response from ``prefetch``; when the
EHR left the prefetch out but gave its FHIR server and a bearer token, the
same search is made against the server, if it is one the service may call
(``fhir_access``); if not, the answer is 412, as CDS Hooks 2.0 asks of a
service that cannot obtain its data.  The answers are assessed and returned
as one card for clinicians: the urgency as the card's indicator, the
clinician notes of the red flags that fired, links to the sources, and a
suggestion to record the plan as a draft CarePlan.  No response to assess
(a prefetch of ``null`` or an empty search) is not an error: the answer is
``{"cards": []}``.

The card's words are in the locale the service URL asks for
(``/cds-services?locale=es-US``, as on every other endpoint; CDS Hooks
requests carry no language of their own), else the guidance's default; they
come from the locale's UI strings (``cds.*`` in ``ui.yaml``).  Card ids are
derived from the request's ``hookInstance`` and the guidance digest, so the
same call always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..engine import AnswersError
from ..responses import answers_from_response, questionnaire_url
from .fhir_access import FhirServers, fhir_get, url_problem
from .problems import Problem, answers_problem, check_query, read_json

if TYPE_CHECKING:
    from ..engine import Assessment
    from ..guidance import Guidance

__all__ = ["INDICATOR", "PREFETCH_KEY", "discovery", "routes"]

HOOK = "patient-view"
PREFETCH_KEY = "questionnaireResponse"
INDICATOR = {"emergency": "critical", "urgent": "warning", "soon": "info", "self_care": "info"}
"""Our urgency -> the card's indicator (CDS Hooks offers only three levels)."""

FINISHED = ("completed", "amended")
"""QuestionnaireResponse statuses whose answers are final."""
REQUEST_FIELDS = (
    "hook",
    "hookInstance",
    "fhirServer",
    "fhirAuthorization",
    "context",
    "prefetch",
    "extension",
)


def routes(g: Guidance, max_body: int, servers: FhirServers) -> list[Route]:
    """The discovery and service routes for ``g``, calling only the FHIR ``servers`` allowed."""
    service = _Service(g, servers)
    locales = g.locales
    listings = {tag: JSONResponse(discovery(g.localized(tag), service.template)).body for tag in locales}

    async def discover(request: Request) -> Response:
        return Response(listings[check_query(request, locales=locales)], media_type="application/json")

    async def call(request: Request) -> Response:
        locale = check_query(request, locales=locales)
        if request.path_params["service_id"] != g.id:
            raise Problem(
                404,
                "not-found",
                "No such CDS service",
                f"the only service here is {g.id!r}",
                [("service_id", "unknown CDS service")],
            )
        body = await read_json(request, max_body)
        return JSONResponse(await service.call(body, locale))

    return [
        Route("/cds-services", discover, methods=["GET"]),
        Route("/cds-services/{service_id}", call, methods=["POST"]),
    ]


def discovery(g: Guidance, template: str) -> dict[str, Any]:
    """The discovery response: one ``patient-view`` service."""
    meta = g.metadata
    return {
        "services": [
            {
                "hook": HOOK,
                "id": g.id,
                "title": meta.title,
                "description": g.words("cds.description", title=meta.title),
                "prefetch": {PREFETCH_KEY: template},
                "usageRequirements": g.words("cds.usage", url=questionnaire_url(g)),
            }
        ]
    }


class _Service:
    """One guidance's CDS service: what is computed once, and a call."""

    def __init__(self, g: Guidance, servers: FhirServers) -> None:
        from kneeguide_exporters.fhir import build_bundle

        self.g = g
        self.servers = servers
        self.questionnaire = questionnaire_url(g)
        self.template = (
            f"QuestionnaireResponse?patient={{{{context.patientId}}}}&questionnaire={self.questionnaire}"
            "&status=completed&_sort=-authored&_count=1"
        )
        plan = next(
            e["resource"]
            for e in build_bundle(g)["entry"]
            if e["resource"]["resourceType"] == "PlanDefinition"
        )
        self.plan = f"{plan['url']}|{plan['version']}"

    async def call(self, body: object, locale: str) -> dict[str, Any]:
        """The cards for one request, in ``locale`` (one of the guidance's)."""
        request = _checked(body)
        prefetch = request.get("prefetch") or {}
        # A key given as null is the EHR saying it has no such data; a key left out, that it did not look.
        found = prefetch[PREFETCH_KEY] if PREFETCH_KEY in prefetch else await self.search(request)
        response = self.latest(found)
        if response is None:
            return {"cards": []}
        g = self.g.localized(locale)
        try:
            assessment = g.assess(answers_from_response(response, g))
        except AnswersError as exc:
            raise answers_problem(exc.problems, "latest QuestionnaireResponse") from None
        return {"cards": [self.card(g, request, response, assessment)]}

    async def search(self, request: Mapping[str, Any]) -> object:
        """The search the prefetch would have held, made against the request's FHIR server.

        CDS Hooks 2.0: a service that cannot obtain the data it needs, from
        the prefetch or the FHIR server, answers 412 Precondition Failed.
        """
        server, auth = request.get("fhirServer"), request.get("fhirAuthorization")
        missing = (
            f"prefetch.{PREFETCH_KEY}",
            "missing: the service needs it, or a FHIR server it may search",
        )
        if server is None or auth is None:
            why = "missing" if server is None else "given without fhirAuthorization, so it cannot be searched"
            raise _precondition([missing, ("fhirServer", why)])
        refusal = self.servers.refusal(server)
        if refusal is not None:
            raise _precondition([("fhirServer", refusal), missing])
        query = self.template.replace(
            "{{context.patientId}}", quote(request["context"]["patientId"], safe="")
        )
        return await fhir_get(server, auth["access_token"], query)

    def latest(self, found: object) -> Mapping[str, Any] | None:
        """The latest finished response to our Questionnaire in a prefetch or search result."""
        if found is None:
            return None
        kind = found.get("resourceType") if isinstance(found, Mapping) else None
        entries = found.get("entry", []) if isinstance(found, Mapping) and kind == "Bundle" else None
        if isinstance(entries, list):
            candidates = [e.get("resource") for e in entries if isinstance(e, Mapping)]
        elif kind == "QuestionnaireResponse":
            candidates = [found]
        else:
            raise Problem(
                422,
                "invalid-request",
                "Unusable prefetch",
                "expected a QuestionnaireResponse or a Bundle of them",
                [(f"prefetch.{PREFETCH_KEY}", f"expected a QuestionnaireResponse or Bundle, got {kind!r}")],
            )
        ours = [
            r
            for r in candidates
            if isinstance(r, Mapping)
            and r.get("resourceType") == "QuestionnaireResponse"
            and r.get("status") in FINISHED
            and isinstance(r.get("questionnaire"), str)
            and r["questionnaire"].split("|", 1)[0] == self.questionnaire
        ]
        return max(ours, key=_authored, default=None)

    def card(
        self, g: Guidance, request: Mapping[str, Any], response: Mapping[str, Any], a: Assessment
    ) -> dict[str, Any]:
        """The one card for an assessment, in ``g``'s locale."""
        words = g.words
        notes = {rf.id: rf.clinician_note for rf in g.red_flags}
        advice = words(f"cds.advice.{a.thermal.advice}")
        if a.red_flags:
            flags = ", ".join(rf.title for rf in a.red_flags)
            summary = words("cds.summary_flags", urgency=words(f"cds.summary.{a.urgency}"), flags=flags)
        else:
            summary = words("cds.summary_self_care", advice=advice)
        date = response.get("authored", words("cds.unknown_date"))
        lines = [words("cds.answers_of", urgency=words(f"cds.urgency.{a.urgency}"), date=date)]
        lines += [
            words("cds.flag", title=rf.title, urgency=words(f"urgency.{rf.urgency}"), note=notes[rf.id])
            for rf in a.red_flags
        ]
        lines.append("\n" + words("cds.ice_or_heat", advice=advice, instructions=a.thermal.instructions))
        steps = [s.title for s in [*a.relief, *a.prevention]]
        if steps:
            lines.append("\n" + words("cds.steps", steps="; ".join(steps)))
        lines.append(f"\n*{a.disclaimer}*")
        cited = dict.fromkeys(
            [*(s for rf in a.red_flags for s in rf.sources), *a.thermal.sources]
            + [s for step in [*a.relief, *a.prevention] for s in step.sources]
        )
        instance = str(request["hookInstance"])
        return {
            "uuid": self.uuid(instance, "card"),
            "summary": _clip(summary, 140),
            "detail": "\n".join(lines),
            "indicator": INDICATOR[a.urgency],
            "source": {"label": f"{g.metadata.title} {g.version}", "url": g.metadata.url},
            "suggestions": [
                {
                    "label": words("cds.record_plan"),
                    "uuid": self.uuid(instance, "record-plan"),
                    "isRecommended": True,
                    "actions": [
                        {
                            "type": "create",
                            "description": words("cds.add_plan"),
                            "resource": self.care_plan(g, request["context"]["patientId"], response, a),
                        }
                    ],
                }
            ],
            "selectionBehavior": "at-most-one",
            "links": [
                {"label": g.sources[s].title, "url": g.sources[s].url, "type": "absolute"}
                for s in cited
                if s in g.sources
            ],
        }

    def care_plan(
        self, g: Guidance, patient: str, response: Mapping[str, Any], a: Assessment
    ) -> dict[str, Any]:
        """A FHIR R4 CarePlan (draft) holding the advice, instantiating the exported PlanDefinition."""
        advice = [(rf.title, rf.advice) for rf in a.red_flags]
        advice.append((a.thermal.title, a.thermal.instructions))
        advice += [(s.title, s.text) for s in [*a.relief, *a.prevention]]
        plan: dict[str, Any] = {
            "resourceType": "CarePlan",
            "status": "draft",
            "intent": "plan",
            "instantiatesCanonical": [self.plan],
            "title": g.metadata.title,
            "description": f"{g.words(f'cds.urgency.{a.urgency}')}. {a.disclaimer}",
            "subject": {"reference": f"Patient/{patient}"},
            "activity": [
                {"detail": {"status": "not-started", "description": f"{title}: {text}"}}
                for title, text in advice
            ],
        }
        if isinstance(response.get("id"), str):
            plan["supportingInfo"] = [{"reference": f"QuestionnaireResponse/{response['id']}"}]
        return plan

    def uuid(self, instance: str, part: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{instance}/{self.g.digest}/{part}"))


def _checked(body: object) -> dict[str, Any]:
    """The request, or a 400 naming every field that breaks CDS Hooks 2.0 for ``patient-view``."""
    if not isinstance(body, dict):
        raise _bad([("(body)", "expected a CDS Hooks request object")])
    errors = [(k, "unknown field") for k in body if k not in REQUEST_FIELDS]
    if body.get("hook") != HOOK:
        errors.append(("hook", f"this service answers {HOOK!r}, got {body.get('hook')!r}"))
    if not isinstance(body.get("hookInstance"), str) or not body["hookInstance"]:
        errors.append(("hookInstance", _wanted(body, "hookInstance", "a string (a UUID)")))
    context = body.get("context")
    if not isinstance(context, dict):
        errors.append(("context", _wanted(body, "context", "an object")))
    else:
        if not isinstance(context.get("patientId"), str) or not context["patientId"]:
            errors.append(("context.patientId", _wanted(context, "patientId", "the patient's FHIR id")))
        errors += [
            (f"context.{k}", "expected a string")
            for k in ("userId", "encounterId")
            if k in context and not isinstance(context[k], str)
        ]
    if "prefetch" in body and not isinstance(body["prefetch"], dict | None):
        errors.append(("prefetch", "expected an object"))
    server = body.get("fhirServer")
    if server is not None:
        problem = url_problem(server) if isinstance(server, str) else "expected an http or https URL"
        if problem is not None:
            errors.append(("fhirServer", problem))
    auth = body.get("fhirAuthorization")
    if auth is not None:
        if not isinstance(auth, dict):
            errors.append(("fhirAuthorization", "expected an object"))
        else:
            if not isinstance(auth.get("access_token"), str) or not auth["access_token"]:
                errors.append(("fhirAuthorization.access_token", _wanted(auth, "access_token", "a string")))
            if str(auth.get("token_type", "")).lower() != "bearer":
                errors.append(("fhirAuthorization.token_type", "expected 'Bearer'"))
        if server is None:
            errors.append(("fhirServer", "missing: fhirAuthorization is given without a FHIR server"))
    if errors:
        raise _bad(errors)
    return body


def _wanted(where: Mapping[str, Any], key: str, what: str) -> str:
    """The message for a member that is missing, or present with the wrong type or empty."""
    return f"missing: expected {what}" if key not in where else f"expected {what}, got {where[key]!r}"[:200]


def _precondition(errors: list[tuple[str, str]]) -> Problem:
    return Problem(
        412,
        "prefetch-required",
        "Prefetch required",
        f"The request has no prefetch.{PREFETCH_KEY}, and the service may not search a FHIR server "
        "for it; nothing was assessed.",
        errors,
    )


def _bad(errors: list[tuple[str, str]]) -> Problem:
    return Problem(
        400, "invalid-request", "Bad CDS Hooks request", "The CDS Hooks request was refused.", errors
    )


def _authored(response: Mapping[str, Any]) -> dt.datetime:
    """When a response was authored, for ordering; unknown or unreadable dates sort first."""
    text = response.get("authored")
    if isinstance(text, str):
        padded = text + "-01-01"[len(text) - 4 :] if len(text) in (4, 7) else text
        try:
            when = dt.datetime.fromisoformat(padded)
        except ValueError:
            pass
        else:
            return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return dt.datetime.min.replace(tzinfo=dt.UTC)


def _clip(text: str, most: int) -> str:
    return text if len(text) < most else text[: most - 2].rstrip() + "…"
