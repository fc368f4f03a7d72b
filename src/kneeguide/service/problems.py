"""RFC 9457 problem details, and the strict reading of requests that produces them.

Every refusal the service makes is a ``Problem``: an exception that carries
the status and an ``errors`` list naming every offending field, answered as
``application/problem+json``.  A request is refused whole, never partly
used: a body that is not JSON, too large, of the wrong media type, or that
holds unknown or mistyped fields, and unknown or bad query parameters.

The JSON reader is the command line's (``kneeguide assess --answers``, ``kneeguide.json_input``), so
the two accept exactly the same texts: UTF-8, no ``NaN`` or ``Infinity``, no
key given twice, nesting at most ``MAX_JSON_DEPTH`` deep (measured before
parsing, so a hostile body cannot make the parser recurse).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..engine import AnswerProblem
from ..json_input import MAX_JSON_DEPTH, json_depth, no_constant, no_duplicates

__all__ = [
    "LOCALES",
    "PROBLEM_BASE",
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "answers_problem",
    "check_query",
    "read_json",
]

PROBLEM_BASE = "https://kneeguide.example.org/problems/"
"""Problem ``type`` URIs are this plus a slug (listed in docs/service.md)."""

LOCALES = ("en-GB", "en-US", "es-US")
"""The locales the packaged content ships (``Guidance.locales``); the first is the default.
A service over another folder accepts that folder's locales instead (``check_query``)."""

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """A refused request: raised anywhere, answered by the app as problem details."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        errors: Iterable[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = [{"field": field, "message": message} for field, message in errors]
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        """Extension members of the problem object (RFC 9457 section 3.2)."""

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), self.status, headers=self.headers, media_type=PROBLEM_MEDIA_TYPE)


def answers_problem(problems: Iterable[AnswerProblem], what: str = "answers") -> Problem:
    """422 for answers that ``assess`` (or reading a QuestionnaireResponse) refused."""
    problems = list(problems)
    refused = Problem(
        422,
        "invalid-answers",
        "The answers were refused",
        f"{len(problems)} problem(s) with the {what}; nothing was assessed.",
    )
    # Each error carries the stable code and params too, for apps that speak other languages.
    refused.errors = [p.model_dump(mode="json") for p in problems]
    return refused


def check_query(
    request: Request, allowed: Collection[str] = ("locale",), locales: tuple[str, ...] = LOCALES
) -> str:
    """The request's locale, one of ``locales``; refuse unknown, repeated or unsupported parameters."""
    errors = []
    for name in sorted(set(request.query_params)):
        values = request.query_params.getlist(name)
        if name not in allowed:
            errors.append((name, f"unknown query parameter (allowed: {', '.join(sorted(allowed))})"))
        elif len(values) > 1:
            errors.append((name, "given more than once"))
    locale = request.query_params.get("locale", locales[0])
    if "locale" in allowed and len(request.query_params.getlist("locale")) <= 1:
        known = {tag.lower(): tag for tag in locales}
        if locale.lower() not in known:
            errors.append(("locale", f"unsupported locale {locale!r} (supported: {', '.join(locales)})"))
        else:
            locale = known[locale.lower()]
    if errors:
        raise Problem(400, "invalid-parameters", "Bad query parameters", "The query was refused.", errors)
    return locale


async def read_json(request: Request, limit: int) -> object:
    """The request body as JSON, read strictly and never past ``limit`` bytes."""
    _check_media_type(request.headers.get("content-type"))
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Problem(
                400,
                "bad-request",
                "Bad request",
                "Content-Length is not a number.",
                [("Content-Length", "not a number")],
            )
        if int(declared) > limit:
            raise _too_large(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return _parse(b"".join(chunks))


def _too_large(limit: int) -> Problem:
    return Problem(
        413,
        "body-too-large",
        "Request body too large",
        f"The body is larger than {limit} bytes.",
        [("(body)", f"larger than {limit} bytes")],
        headers={"Connection": "close"},
    )


def _check_media_type(header: str | None) -> None:
    media, _, params = (header or "").partition(";")
    media = media.strip().lower()
    charset = ""
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    message = None
    if media != "application/json":
        message = (
            f"expected application/json, got {header!r}" if header else "missing: expected application/json"
        )
    elif charset not in ("", "utf-8"):
        message = f"the charset must be utf-8, not {charset!r}"
    if message is not None:
        raise Problem(
            415, "unsupported-media-type", "Unsupported media type", message, [("Content-Type", message)]
        )


def _parse(raw: bytes) -> object:
    def bad(message: str) -> Problem:
        return Problem(400, "malformed-json", "Malformed JSON", message, [("(body)", message)])

    if not raw.strip():
        raise bad("the body is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("the body is not UTF-8 text") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise bad(f"the body is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        return json.loads(text, parse_constant=no_constant, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        raise bad(f"not valid JSON: {exc}") from None
