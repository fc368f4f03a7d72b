"""The FHIR servers the service may call, and the one call it makes to them.

A CDS Hooks request names its ``fhirServer``; a service that called any
server a request names would let anyone who can reach it make requests from
inside the network it runs in, to any address, carrying a bearer token
(server-side request forgery).  So the service calls only the FHIR servers
its operator lists (``kneeguide serve --fhir-server URL``, or
``KNEEGUIDE_FHIR_SERVERS``), and none by default.

An entry is a FHIR base URL.  A request's ``fhirServer`` may be called when
it has an entry's scheme, host and port (the default port when none is
written) and its path begins with the entry's path, segment by segment:
``https://ehr.example.org/fhir`` allows ``https://ehr.example.org/fhir`` and
``.../fhir/r4``, never ``.../fhir-test`` nor ``http://ehr.example.org/fhir``.
Hosts are compared by name, as written (no DNS).  The scheme is the entry's:
``http`` only when the operator wrote ``http`` (a server on the loopback, a
sidecar); the token then crosses that hop in the clear.

Neither an entry nor a request's URL may hold user information, a query, a
fragment, ``.`` or ``..`` segments, percent-encoded dots, slashes or
backslashes, empty segments, spaces or control characters: forms whose
meaning a server may read differently from this check.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .problems import Problem

__all__ = ["ENV_FHIR_SERVERS", "FHIR_MAX_BYTES", "FHIR_TIMEOUT_S", "FhirServers", "fhir_get", "url_problem"]

ENV_FHIR_SERVERS = "KNEEGUIDE_FHIR_SERVERS"
"""FHIR base URLs the service may call, separated by commas or white space."""
FHIR_TIMEOUT_S = 5.0
FHIR_MAX_BYTES = 1024 * 1024
DEFAULT_PORTS = {"https": 443, "http": 80}

_ENCODED = re.compile(r"%(2e|2f|5c)", re.IGNORECASE)
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")

log = logging.getLogger("kneeguide.service.fhir")


@dataclass(frozen=True)
class _Base:
    """A URL reduced to what is compared: scheme, host, port and path segments."""

    scheme: str
    host: str
    port: int
    segments: tuple[str, ...]

    def covers(self, other: _Base) -> bool:
        return (self.scheme, self.host, self.port) == (other.scheme, other.host, other.port) and (
            other.segments[: len(self.segments)] == self.segments
        )

    def __str__(self) -> str:
        port = "" if DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}{port}/{'/'.join(self.segments)}"


def _parse(url: str) -> _Base | str:
    """``url`` as a ``_Base``, or why it cannot be one."""
    if _UNSAFE.search(url):
        return "holds a space, a backslash or a control character"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return "expected an http or https URL"
    if "@" in parts.netloc:
        return "holds user information (user@ or user:password@): give credentials in fhirAuthorization"
    if "?" in url or "#" in url:
        return "holds a query or a fragment: expected a FHIR base URL"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "has no host"
    if not host.isascii():
        return "has a host that is not ASCII: write it in its punycode (xn--) form"
    try:
        port = DEFAULT_PORTS[scheme] if parts.port is None else parts.port
    except ValueError:
        port = 0
    if not port:
        return "has a port that is not a number from 1 to 65535"
    path = parts.path.rstrip("/")
    if _ENCODED.search(path):
        return "holds a percent-encoded dot, slash or backslash in its path"
    segments = tuple(path.split("/")[1:]) if path else ()
    if any(s in ("", ".", "..") for s in segments):
        return "holds an empty, '.' or '..' path segment"
    return _Base(scheme, host, port, segments)


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a FHIR base URL this service would call, whatever the allow-list; or None."""
    parsed = _parse(url)
    return parsed if isinstance(parsed, str) else None


def split_entries(text: str | None) -> list[str]:
    """The entries of a ``KNEEGUIDE_FHIR_SERVERS`` value: separated by commas or white space."""
    return [entry for entry in re.split(r"[\s,]+", text or "") if entry]


class FhirServers:
    """The allow-list: which ``fhirServer`` URLs may be called."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        """Raises ``ValueError`` naming every entry that is not a usable FHIR base URL."""
        bases, bad = [], []
        for entry in entries:
            parsed = _parse(entry)
            if isinstance(parsed, str):
                bad.append(f"{entry!r} {parsed}")
            else:
                bases.append(parsed)
        if bad:
            raise ValueError(f"bad FHIR server URL(s): {'; '.join(bad)}")
        self.bases = tuple(dict.fromkeys(bases))

    @classmethod
    def configured(cls, entries: Iterable[str] | None, environment: str | None) -> FhirServers:
        """The entries given on the command line, or when none are, those of the environment variable."""
        given = list(entries or ())
        return cls(given if given else split_entries(environment))

    def entries(self) -> list[str]:
        """Every entry, normalised (lowercase scheme and host, default port dropped, no trailing slash)."""
        return [str(base) for base in self.bases]

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be called, or None when an entry allows it."""
        parsed = _parse(url)
        if isinstance(parsed, str):
            return parsed
        if any(base.covers(parsed) for base in self.bases):
            return None
        log.warning("fhirServer not allowed", extra={"fields": {"fhir_server": str(parsed)}})
        if not self.bases:
            return "this service calls no FHIR server (none is allowed): send the prefetch"
        return "not a FHIR server this service may call (see --fhir-server): send the prefetch"


async def fhir_get(server: str, token: str, query: str) -> object:
    """The search result from the EHR's FHIR server, read with the bearer token it gave.

    Only ever called for a ``server`` the allow-list allows.  Redirects are
    not followed (a redirect could lead anywhere), the answer is read up to
    ``FHIR_MAX_BYTES`` and the whole call is bounded by ``FHIR_TIMEOUT_S``.
    """
    import httpx

    url = f"{server.rstrip('/')}/{query}"
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    try:
        async with (
            httpx.AsyncClient(timeout=FHIR_TIMEOUT_S, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", url, headers=headers) as reply,
        ):
            chunks, size = [], 0
            async for chunk in reply.aiter_bytes():
                size += len(chunk)
                if size > FHIR_MAX_BYTES:
                    raise _upstream(f"the FHIR server's answer is larger than {FHIR_MAX_BYTES} bytes")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise _upstream(f"the FHIR server could not be read: {type(exc).__name__}") from None
    if reply.status_code != 200:
        raise _upstream(f"the FHIR server answered {reply.status_code} to the search")
    try:
        result: object = json.loads(b"".join(chunks))
    except ValueError:
        raise _upstream("the FHIR server's answer is not JSON") from None
    return result


def _upstream(message: str) -> Problem:
    return Problem(502, "fhir-server", "FHIR server error", message, [("fhirServer", message)])
