"""Run the service under uvicorn: one process, or N worker processes on one socket.

With one worker the app is built here from the guidance the command line has
already loaded.  With more, uvicorn starts each worker in its own process and
each calls ``app.app_from_environment``, which reads the settings this module
puts in the environment and loads the guidance once, at that worker's start.

uvicorn shuts down gracefully on SIGTERM or SIGINT: it stops accepting
connections, lets requests in flight finish (up to ``GRACE_S``) and exits 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import ENV_GUIDANCE, ENV_MAX_BODY, create_app
from .fhir_access import ENV_FHIR_SERVERS, FhirServers

if TYPE_CHECKING:
    from ..guidance import Guidance

__all__ = ["GRACE_S", "NoDelayH11Protocol", "log_config", "run"]

GRACE_S = 20
"""How long a shutdown waits for requests in flight."""


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, with Nagle's algorithm off on every connection.

    asyncio turns it off only for sockets whose ``proto`` is TCP; the
    listening socket uvicorn shares between worker processes has ``proto``
    0, so without this each keep-alive response waits ~40 ms for the
    client's delayed ACK.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def log_config(level: str = "INFO") -> dict[str, Any]:
    """Every log line, the server's and the access log's, as JSON on standard output."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    logger = {"handlers": ["json"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "kneeguide.service.operations.JsonLines"}},
        "handlers": {"json": handler},
        "loggers": {name: logger for name in ("uvicorn", "uvicorn.error", "kneeguide.service")},
    }


def run(
    guidance: Guidance,
    folder: Path | None,
    host: str,
    port: int,
    workers: int,
    max_body: int,
    fhir_servers: FhirServers,
) -> None:
    """Serve until a signal asks to stop."""
    import uvicorn

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "http": NoDelayH11Protocol,
        "log_config": log_config(),
        "access_log": False,  # Operations writes the access log, with request ids
        "server_header": False,
        "timeout_graceful_shutdown": GRACE_S,
    }
    # uvicorn stops gracefully on SIGTERM and SIGINT, then raises the signal
    # again under the handler that was installed before it started.  With this
    # one, that second delivery (or a signal before uvicorn is listening) ends
    # the command normally: a requested stop exits 0.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, _stopped)
    if workers == 1:
        uvicorn.run(create_app(guidance, max_body, fhir_servers), **options)
        return
    if folder is not None:
        os.environ[ENV_GUIDANCE] = str(folder.resolve())
    else:
        os.environ.pop(ENV_GUIDANCE, None)
    os.environ[ENV_MAX_BODY] = str(max_body)
    os.environ[ENV_FHIR_SERVERS] = " ".join(fhir_servers.entries())
    uvicorn.run("kneeguide.service.app:app_from_environment", factory=True, workers=workers, **options)


def _stopped(signum: int, frame: object) -> None:
    """Stop: the graceful shutdown has finished, or the server has not started yet."""
    raise SystemExit(0)
