"""Case reports answered in front of the framework: the hot path of field reporting.

At a few hundred reports a second, routing, dependency injection and the middleware layers
cost as much Python time as storing the report. This plain ASGI middleware, outermost, takes
a JSON ``POST /api/v1/cases`` from a caller known without the database
(:func:`api.security.known_caller`) whose role may report, with a declared length within the
JSON limit and a body that is a valid report, and stores it with the same call as the route
(:func:`api.routes.cases.intake_workers`). It gives what the route would: the same body and
status (201, or 200 for a resent client id), the same JSON errors, the rate limit, the
security headers, the request id, gzip, metrics and the access log.

Everything else — multipart with photos, an API key, an account not in the cache, a caller
who may not report, a body the model refuses, a chunked or oversize body, a cross-origin
request when CORS is on — goes on to the route (with the body it was sent, if it was read),
which gives the precise answer or error.
"""

from __future__ import annotations

import time

from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from api.answer import Exchange, FrontDoor, encoded
from api.errors import response_for
from api.hardening import rate_refusal, report_wait
from api.routes.cases import REPORTERS, intake_workers, report_answer
from api.security import known_caller
from gis.cases.schemas import CaseIn

PATH = "/api/v1/cases"
JSON = b"application/json"


class CasePath(FrontDoor):
    """Stores well-formed JSON reports of callers known without the database."""

    method = "POST"
    prefixes = (PATH,)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        if scope["path"] != PATH:
            return receive
        started = time.perf_counter()
        request = Request(scope)
        state = request.app.state
        headers = request.headers
        limits = state.hardening
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return receive
        if "origin" in headers and limits.cors_origins:
            return receive
        length = headers.get("content-length", "")
        if not length.isdigit() or int(length) > limits.max_json_bytes:
            return receive  # chunked or too big: BodyLimit's business
        principal = known_caller(request)
        if principal is None or principal.is_anonymous:
            return receive
        if principal.role not in REPORTERS.roles:  # type: ignore[attr-defined]  (admin included)
            return receive
        body, messages = await _read(receive)
        replay = _replay(messages, receive)
        if body is None:
            return replay
        try:
            case_in = CaseIn.model_validate_json(body)
        except (ValidationError, ValueError):
            return replay  # the route names the field
        with Exchange(request, "POST", PATH, started) as exchange:
            wait = report_wait(state.rate_windows, scope)
            if wait > 0:
                payload, retry_after = rate_refusal(wait)
                status, raw = 429, [(b"content-type", JSON), retry_after]
            else:
                try:
                    res = await intake_workers(request.app).report(case_in=case_in, actor=principal)
                    status, payload = report_answer(res)
                    raw = [(b"content-type", JSON)]
                except Exception as exc:  # noqa: BLE001 — answered as the app's handlers answer
                    error = response_for(exc)
                    status, payload = error.status_code, bytes(error.body)
                    raw = [(k, v) for k, v in error.raw_headers if k != b"content-length"]
            raw, payload = encoded(headers, raw, payload)
            await exchange.send(scope, send, status, raw, payload)
        return None


async def _read(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The whole body (None if the client left first) and the messages it came in."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        if not message.get("more_body", False):
            break
    return b"".join(m.get("body", b"") for m in messages), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay
