"""Routes: the live case feed (Server-Sent Events) — new cases, state changes, overdue.

Each event carries ``id`` = the history row id; a client that reconnects with
``Last-Event-ID`` (browsers do this by themselves) gets what it missed replayed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.security import ROLES, PrincipalDep, allow
from gis.cases.events import public_payload, replay
from gis.cases.feed import Feed
from gis.errors import InvalidInput, Unavailable

router = APIRouter(prefix="/api/v1", tags=["events"])


def setup(app: FastAPI) -> None:
    """Start one feed per server process with the app, stop it with the app."""

    async def start(app: FastAPI) -> None:
        app.state.feed = Feed(app.state.engine)
        app.state.feed.start()

    async def stop(app: FastAPI) -> None:
        feed = getattr(app.state, "feed", None)
        if feed is not None:
            await feed.stop()

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)


def _sse(event: dict[str, Any], sees_personal: bool) -> ServerSentEvent:
    body = public_payload(event, sees_personal=sees_personal)
    return ServerSentEvent(
        data=json.dumps(body, ensure_ascii=False, default=str),
        event=str(body.get("kind", "case.updated")),
        id=str(body["id"]),
    )


@router.get(
    "/events",
    summary="案卷实时事件流 (live case events, text/event-stream)",
    dependencies=[Depends(allow(*ROLES))],
    response_class=EventSourceResponse,
)
async def events(
    request: Request,
    principal: PrincipalDep,
    last_event_id: Annotated[str | None, Header(description="断线续传 (resume after)")] = None,
    since: Annotated[int | None, Query(ge=0, description="同 Last-Event-ID")] = None,
) -> EventSourceResponse:
    feed: Feed | None = getattr(request.app.state, "feed", None)
    if feed is None:
        raise Unavailable("事件流未启动 (the event feed is not running)")
    after = since
    if last_event_id:
        if not last_event_id.isdigit():
            raise InvalidInput("Last-Event-ID 须为数字 (must be a number)", field="Last-Event-ID")
        after = int(last_event_id)
    sub = feed.subscribe()  # before the replay: nothing falls between the two
    engine = request.app.state.engine
    personal = principal.sees_personal

    async def stream() -> AsyncIterator[ServerSentEvent]:
        try:
            sent: set[int] = set()
            if after is not None:

                def fetch() -> list[dict[str, Any]]:
                    with engine.connect() as conn:
                        return replay(bind=conn, after=after)

                for ev in await asyncio.to_thread(fetch):
                    sent.add(int(ev["id"]))
                    yield _sse(ev, personal)
            yield ServerSentEvent(
                data=json.dumps({"last_id": feed.last_id}), event="ready", retry=2000
            )
            while True:
                try:
                    ev = await asyncio.wait_for(sub.queue.get(), timeout=5)
                except TimeoutError:
                    if sub.closed.is_set():
                        return  # fell behind: the client reconnects and replays
                    continue
                if int(ev["id"]) not in sent:
                    yield _sse(ev, personal)
        finally:
            feed.unsubscribe(sub)

    return EventSourceResponse(stream(), ping=15, headers={"X-Accel-Buffering": "no"})
