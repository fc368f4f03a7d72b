"""The ASGI app: the guidance over HTTP for apps that are not Python, and CDS Hooks for EHRs.

The app is stateless: it holds one ``Guidance``, loaded and compiled when the
worker starts, and nothing that a request changes.  Any number of workers or
replicas behind a load balancer therefore answer alike, and the digest header
(``operations.DIGEST_HEADER``) says which content answered.

Routes are built by small factories over the guidance.  An endpoint that
takes an answer set and returns a model is one line with ``answers_endpoint``:
``POST /assess`` is ``answers_endpoint(lambda g, a: g.assess(a))``.

``create_app`` builds the app from loaded guidance (tests, one worker);
``app_from_environment`` is the factory each worker process calls, with the
settings that ``kneeguide serve`` puts in the environment.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..engine import AnswerProblem, AnswersError
from . import cds_hooks, openapi
from .fhir_access import ENV_FHIR_SERVERS, FhirServers
from .operations import Operations
from .problems import Problem, answers_problem, check_query, read_json

if TYPE_CHECKING:
    from ..adaptive import Interview
    from ..guidance import Guidance
    from ..results import Assessment

__all__ = ["DEFAULT_MAX_BODY", "ENV_GUIDANCE", "ENV_MAX_BODY", "app_from_environment", "create_app"]

DEFAULT_MAX_BODY = 64 * 1024
ENV_GUIDANCE = "KNEEGUIDE_SERVE_GUIDANCE"
ENV_MAX_BODY = "KNEEGUIDE_SERVE_MAX_BODY"

Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(
    guidance: Guidance, max_body: int = DEFAULT_MAX_BODY, fhir_servers: FhirServers | None = None
) -> Starlette:
    """The service for ``guidance``, refusing request bodies over ``max_body`` bytes.

    CDS Hooks calls may search only the ``fhir_servers`` allowed: none unless given.
    """
    g = guidance
    g.engine  # compile the rules now, not on the first request  # noqa: B018
    document = openapi.document(g)
    locales = g.locales
    for locale in locales:  # build every locale now, not on the first request
        g.localized(locale).engine  # noqa: B018

    def answers_endpoint(call: Callable[[Guidance, dict[str, object]], Assessment | Interview]) -> Endpoint:
        """An endpoint that reads an answer set, calls ``call`` and answers with the model's JSON."""

        async def endpoint(request: Request) -> Response:
            locale = check_query(request, locales=locales)
            answers = await read_json(request, max_body)
            if not isinstance(answers, dict):
                raise answers_problem(_not_an_object(answers))
            try:
                result = call(g.localized(locale), answers)
            except AnswersError as exc:
                raise answers_problem(exc.problems) from None
            # ``json.dumps(result.model_dump(mode="json"))``, joined from parts encoded ahead.
            return Response(result.to_json(), media_type="application/json")

        return endpoint

    def fixed(content: Callable[[str], Any]) -> Endpoint:
        """An endpoint that answers the same JSON every time for a locale (built here, once)."""
        bodies = {locale: JSONResponse(content(locale)).body for locale in locales}

        async def endpoint(request: Request) -> Response:
            return Response(bodies[check_query(request, locales=locales)], media_type="application/json")

        return endpoint

    routes = [
        Route("/questions", fixed(lambda locale: questions(g.localized(locale), locale)), methods=["GET"]),
        Route("/assess", answers_endpoint(lambda g, a: g.assess(a)), methods=["POST"]),
        Route("/interview", answers_endpoint(lambda g, a: g.interview(a)), methods=["POST"]),
        Route("/guidance", fixed(lambda locale: guidance_info(g.localized(locale))), methods=["GET"]),
        Route("/healthz", fixed(lambda locale: {"status": "ok", "guidance": _ref(g)}), methods=["GET"]),
        Route("/openapi.json", fixed(lambda locale: document), methods=["GET"]),
        *cds_hooks.routes(g, max_body, fhir_servers or FhirServers()),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(Operations, digest=g.digest)],
        exception_handlers={Problem: _problem, HTTPException: _http_problem},
    )


def app_from_environment() -> Starlette:
    """The uvicorn factory for worker processes: load the guidance once, here, at startup."""
    import kneeguide

    folder = os.environ.get(ENV_GUIDANCE)
    guidance = kneeguide.load(Path(folder) if folder else None)
    servers = FhirServers.configured(None, os.environ.get(ENV_FHIR_SERVERS))
    return create_app(guidance, int(os.environ.get(ENV_MAX_BODY, DEFAULT_MAX_BODY)), servers)


def questions(g: Guidance, locale: str) -> dict[str, Any]:
    """``GET /questions``: every question as an app shows it, in the content's ask order.

    That is the order an interview asks them (``ask_order``, warning signs
    first), so a form that shows them all asks the urgent ones first too.
    """
    by_id = {q.id: q for q in g.questions}
    items = []
    for q in (by_id[qid] for qid in g.ask_order):
        item: dict[str, Any] = {
            "id": q.id,
            "type": q.type,
            "text": q.text,
            "help": q.help,
            "required": q.required,
        }
        if q.type == "integer":
            item.update({"minimum": q.minimum, "maximum": q.maximum, "unit": q.unit})
        if q.type == "choice":
            item["choices"] = [{"code": c.code, "label": c.label} for c in q.choices or ()]
        items.append(item)
    return {"guidance": _ref(g), "locale": locale, "questions": items}


def guidance_info(g: Guidance) -> dict[str, Any]:
    """``GET /guidance``: what the content is, who reviewed it and when, and what it rests on."""
    meta = g.metadata
    return {
        "id": g.id,
        "version": g.version,
        "digest": g.digest,
        "title": meta.title,
        "status": meta.status,
        "experimental": meta.experimental,
        "url": meta.url,
        "publisher": meta.publisher,
        "description": meta.description,
        "intended_use": meta.intended_use,
        "disclaimer": meta.disclaimer,
        "approval_date": meta.approval_date.isoformat(),
        "last_review_date": meta.last_review_date.isoformat(),
        "next_review_due": meta.next_review_due.isoformat(),
        "reviewers": [{"name": r.name, "role": r.role, "date": r.date.isoformat()} for r in meta.reviewers],
        "sources": [s.model_dump(mode="json", exclude_none=True) for s in g.sources.values()],
    }


def _ref(g: Guidance) -> dict[str, str]:
    """The guidance as an assessment names it (``GuidanceRef``): the same fields, the locale included."""
    return {"id": g.id, "version": g.version, "digest": g.digest, "locale": g.locale}


def _not_an_object(value: object) -> list[AnswerProblem]:
    kind = "a list" if isinstance(value, list) else "null" if value is None else type(value).__name__
    message = f"expected an object keyed by question id, got {kind}"
    return [AnswerProblem(field="(answers)", message=message, code="not_an_object", params={"type": kind})]


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response()


async def _http_problem(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, wrong method) as problem details too."""
    assert isinstance(exc, HTTPException)
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "bad-request")
    where = "path" if exc.status_code == 404 else "method"
    return Problem(
        exc.status_code,
        slug,
        exc.detail,
        f"{request.method} {request.url.path}: {exc.detail.lower()}",
        [(where, exc.detail.lower())],
        headers=exc.headers,
    ).response()
