"""The sign-in gate in front of every page, and the sidebar's account box (Streamlit's ``st.login`` / ``st.user``).

Login is on when Streamlit has an ``[auth]`` section in its secrets: made from
``LTV_AUTH_*`` by ``asgi.py`` (``python -m lib serve``), or written by hand in
``.streamlit/secrets.toml``. Then :func:`gate`, called by ``app.py`` before
``st.navigation``, lets a run go on only for a signed-in person on
``LTV_ALLOWED_USERS`` or, with ``LTV_SHARE_PUBLIC=1``, for a session that shows
a live share link's data and nothing else.
"""
from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from lib import config
from lib.i18n import LANGS
from lib.share import storage
from ui import session as S
from ui.page import plain
from ui.session import t


def login_configured() -> bool:
    """Whether Streamlit has ``[auth]`` secrets, so that ``st.login`` works."""
    try:
        return "auth" in st.secrets
    except StreamlitSecretNotFoundError:  # no secrets at all
        return False


def email() -> str:
    """The signed-in person's address as the provider gave it ("" when none)."""
    value = st.user.get("email")
    return value if isinstance(value, str) else ""


def team_member() -> bool:
    """Whether this session's person signed in with an address on ``LTV_ALLOWED_USERS`` that the provider did not
    call unverified."""
    return (bool(st.user.is_logged_in) and st.user.get("email_verified") is not False
            and config.may_use(email(), config.allowed_users()))


def link_guest() -> bool:
    """Whether a session may go on as the holder of a share link (``LTV_SHARE_PUBLIC=1``), signed in or not: the URL
    holds a live link's token, and the session shows that link's data, with no upload waiting to be read."""
    applied = st.session_state.get(S.K_APPLIED)  # the link this session opened (the sidebar's page links drop ?view=)
    token = st.query_params.get("view") or (applied if st.session_state[S.K_SOURCE] == "shared" else None)
    if not config.share_public() or not token or st.session_state[S.K_UPLOAD_PENDING]:
        return False
    if token == applied:  # opened already: still on its data (not the sample, not a file)
        return st.session_state[S.K_SOURCE] == "shared"
    return storage.resolve_link(token) is not None


def gate() -> None:
    """With login on, stop every run that is not a team member's or a link's guest's (see :func:`link_guest`), showing
    a sign-in button, or one sentence and a sign-out button; without it, let everything through. ``LTV_AUTH_*`` set
    while Streamlit has no ``[auth]`` (the app started some other way than ``python -m lib serve``) stops everyone."""
    if not login_configured():
        if config.login_settings_given():
            st.error(t("LTV_AUTH_* asks for a sign-in, but this server was not started with python -m lib serve, "
                       "which sets it up; nothing is shown until it is."))
            st.stop()
        return
    if not config.allowed_users():
        st.error(t("This server asks for a sign-in but LTV_ALLOWED_USERS names nobody who may use it."))
        st.stop()
    if team_member() or link_guest():
        return
    st.title(t("Customer value"))
    st.radio(t("Language"), list(LANGS), format_func=lambda k: LANGS[k], key=S.K_LANG, horizontal=True)
    if st.user.is_logged_in:
        st.error(f"{t('This account is not on the list of people who may use this dashboard')}: "
                 f"{plain(email() or '—')}.")
        st.button(t("Sign out"), on_click=st.logout, key="auth-sign-out")
    else:
        st.write(t("Sign in to use this dashboard."))
        st.button(t("Sign in"), on_click=st.login, key="auth-sign-in", type="primary")
    st.stop()


def account_box() -> None:
    """The sidebar's last lines: who is signed in (and the way out), the link guest's way in, or, without login,
    that anyone who reaches the address can use the app."""
    st.divider()
    if not login_configured():
        st.caption(t("No sign-in on this server: anyone who reaches its address can use this dashboard."))
    elif st.user.is_logged_in:
        st.caption(f"{t('Signed in as')} {plain(email() or '—')}")
        st.button(t("Sign out"), on_click=st.logout, key="auth-sign-out")
    else:
        st.caption(t("You are looking at a shared link. Sign in to use your own data."))
        st.button(t("Sign in"), on_click=st.login, key="auth-sign-in")
