"""What operators need around every request: ids, access logs, the digest header, no tracebacks.

``Operations`` is plain ASGI middleware, outside the app's routing, so it
sees every request, including the ones that are refused or that fail:

* each request gets an id, returned in ``Kneeguide-Request-Id``;
* each response carries the digest of the guidance that produced it in
  ``Kneeguide-Guidance-Digest``, so a client can tell which content answered;
* one JSON line per request is logged (method, path, status, duration, id);
* an unexpected error is logged with its traceback under that id, and the
  client gets a 500 problem naming only the id: no traceback, no detail.

Logs are JSON lines (``JsonLines``) so that log shippers need no parser; the
server's own messages use the same format (see ``server.log_config``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import Problem

__all__ = ["DIGEST_HEADER", "REQUEST_ID_HEADER", "JsonLines", "Operations"]

DIGEST_HEADER = "Kneeguide-Guidance-Digest"
REQUEST_ID_HEADER = "Kneeguide-Request-Id"

access_log = logging.getLogger("kneeguide.service.access")
error_log = logging.getLogger("kneeguide.service.error")


class JsonLines(logging.Formatter):
    """One JSON object per record; ``extra={"fields": {...}}`` adds members."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class Operations:
    """Request ids, access logs, the digest header, and a 500 with only an id for bugs."""

    def __init__(self, app: ASGIApp, digest: str) -> None:
        self.app = app
        self.digest = digest.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        start = time.perf_counter()
        state = {"status": 0, "started": False}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                headers = MutableHeaders(scope=message)
                headers.append(DIGEST_HEADER, self.digest.decode("latin-1"))
                headers.append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            error_log.exception(
                "unexpected error", extra={"fields": {"request_id": request_id, "path": scope["path"]}}
            )
            if state["started"]:
                raise  # the response is half sent: only closing the connection is left
            problem = Problem(
                500,
                "internal-error",
                "Internal error",
                f"An unexpected error occurred; it was logged with id {request_id}.",
                extra={"error_id": request_id},
            )
            await problem.response()(scope, receive, send_with_headers)
        finally:
            client = scope.get("client")
            access_log.info(
                "request",
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": state["status"],
                        "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                        "client": f"{client[0]}:{client[1]}" if client else None,
                    }
                },
            )
