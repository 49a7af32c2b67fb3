"""The team server: app.py served through Streamlit's ASGI ``App``, with login from ``LTV_AUTH_*`` and nothing about
the server given to visitors (``ui/server.py``). ``python -m lib serve`` runs ``streamlit run asgi.py`` with the
``LTV_*`` settings; ``make run`` (``streamlit run app.py``) stays the plain local mode.

Streamlit finds ``app`` below by reading this file (an ``App(...)`` assigned at the top level) and serves it
with uvicorn; the ``[auth]`` secrets go to it in memory (``App(secrets=...)``), never into a file.
"""
from pathlib import Path
from typing import Any

from starlette.middleware import Middleware
from streamlit.starlette import App

from lib import config
from ui.auth import login_configured
from ui.server import VisitorFilter, announcing, startup_notice

SCRIPT = Path(__file__).resolve().parent / "app.py"
_auth: dict[str, Any] | None = config.auth_section()

app = App(
    SCRIPT,
    secrets={"auth": _auth} if _auth else None,
    middleware=[Middleware(VisitorFilter, script_path=str(SCRIPT), metrics=config.metrics_on(), base=config.base_path())],
    lifespan=announcing(lambda: startup_notice(login_configured(), config.share_public(), config.metrics_on())),
)
