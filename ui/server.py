"""What the team server (``asgi.py``, run by ``python -m lib serve``) tells a visitor, and what it keeps to itself.

Streamlit sends every browser that connects a NewSession message with the
server's absolute path to ``app.py``, its Streamlit and Python versions, OS and
machine-derived installation ids, answers ``/_stcore/metrics`` (session counts,
cache sizes) to anyone, and runs ``git`` for any session that asks for the
repository's name, branch and untracked files. None of it has a config option,
so :class:`VisitorFilter`, an ASGI middleware passed to Streamlit's own
``st.App(middleware=...)``, sits in front of it:

- the NewSession message leaves with ``main_script_path`` = ``app.py`` (the
  browser only hashes it into an app id) and ``environment_info`` and
  ``user_info`` (installation ids) empty; it is found without parsing every
  message: it is the one that carries the script's absolute path;
- ``…/_stcore/metrics`` answers 404 unless ``LTV_METRICS=1``;
- a session's ``load_git_info`` and ``clear_cache`` requests (the second empties
  every visitor's caches) are dropped.

``tests/test_login.py`` checks all of it against a real server.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

DROPPED_REQUESTS = frozenset({"load_git_info", "clear_cache"})
METRICS_PATH = "/_stcore/metrics"
# the first path segments Streamlit itself serves below (its API, media, components, the frontend's files, sign-in)
SERVED_BELOW = frozenset({"_stcore", "media", "component", "static", "app", "auth", "oauth2callback", "~"})


def nested_page(path: str, base: str = "") -> str | None:
    """Where to send a request for a path one level below a page (``/data/ltv``: Streamlit answers it with its
    index.html, whose relative scripts then load as HTML: a blank page): the page itself (``/data``), where the app
    says "page not found" if there is no such page; None for every other path. ``base``: the path prefix of
    ``LTV_PUBLIC_URL`` ("ltv"), without slashes."""
    prefix = f"/{base}" if base else ""
    if base and not (path == prefix or path.startswith(prefix + "/")):
        return None
    parts = [p for p in path[len(prefix):].split("/") if p]
    # the browser also asks a page's own path for Streamlit's (/cohorts/_stcore/health while it finds the base path)
    if len(parts) < 2 or any(p in SERVED_BELOW or "." in p for p in parts):
        return None
    return f"{prefix}/{parts[0]}"


def scrubbed(payload: bytes, script_path: bytes) -> bytes:
    """A ForwardMsg as a visitor may see it: a NewSession without the server's path, versions and ids; others as they are."""
    if script_path not in payload:
        return payload
    msg = ForwardMsg()
    msg.ParseFromString(payload)
    if msg.WhichOneof("type") != "new_session":
        return payload
    session = msg.new_session
    session.main_script_path = Path(session.main_script_path).name
    for part in (session.initialize.environment_info, session.initialize.user_info):
        part.Clear()
        part.SetInParent()  # present but empty: the browser reads its fields
    return msg.SerializeToString()


def dropped(payload: bytes) -> bool:
    """Whether a browser's BackMsg asks for something a visitor may not have (:data:`DROPPED_REQUESTS`)."""
    msg = BackMsg()
    try:
        msg.ParseFromString(payload)
    except Exception:  # noqa: BLE001 - not a BackMsg: Streamlit answers it as it would
        return False
    return msg.WhichOneof("type") in DROPPED_REQUESTS


class VisitorFilter:
    """ASGI middleware in front of Streamlit (see the module's docstring).

    ``script_path``: the absolute path of the app's script as Streamlit's runtime holds it; ``metrics``: serve
    ``/_stcore/metrics`` (``LTV_METRICS=1``); ``base``: the path prefix of ``LTV_PUBLIC_URL``. A path one level below
    a page is sent to the page (:func:`nested_page`).
    """

    def __init__(self, app: ASGIApp, script_path: str, metrics: bool = False, base: str = "") -> None:
        self.app = app
        self.script_path = script_path.encode()
        self.metrics = metrics
        self.base = base

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.metrics and scope["path"].rstrip("/").endswith(METRICS_PATH):
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"Not found"})
            return
        if scope["type"] == "http" and scope.get("method") == "GET" and (to := nested_page(scope["path"], self.base)):
            await send({"type": "http.response.start", "status": 302, "headers": [(b"location", to.encode())]})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return

        async def receive_allowed() -> Message:
            while True:
                message = await receive()
                if not (message["type"] == "websocket.receive" and message.get("bytes") and dropped(message["bytes"])):
                    return message

        async def send_scrubbed(message: Message) -> None:
            if message["type"] == "websocket.send" and message.get("bytes"):
                message = {**message, "bytes": scrubbed(message["bytes"], self.script_path)}
            await send(message)

        await self.app(scope, receive_allowed, send_scrubbed)


def startup_notice(login: bool, share_public: bool, metrics: bool) -> list[str]:
    """What the server says when it starts: who can use it, and what it shows to whom."""
    if not login:
        lines = ["No login is configured: anyone who reaches this address can use the app, its uploads and its share "
                 "links. Set LTV_AUTH_* and LTV_ALLOWED_USERS to ask for a sign-in (README, 'Serve it to your team')."]
    else:
        lines = ["Login is on: only signed-in people on LTV_ALLOWED_USERS can use the app.",
                 "Share links open for anyone who has them (LTV_SHARE_PUBLIC=1)." if share_public else
                 "Share links open only for signed-in people on LTV_ALLOWED_USERS (LTV_SHARE_PUBLIC=0)."]
    lines.append("/_stcore/metrics is served to anyone who asks (LTV_METRICS=1)." if metrics else
                 "/_stcore/metrics is not served (LTV_METRICS=1 serves it).")
    return lines


def announcing(lines: Callable[[], list[str]]) -> Callable[[Any], Any]:
    """A ``st.App`` lifespan that prints ``lines()`` once Streamlit has read its secrets, before the first visitor."""

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        print("\n".join(lines()), flush=True)
        yield

    return lifespan
