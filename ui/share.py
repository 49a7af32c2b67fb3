"""Share links: store the current dataset on the server and restore a view from ``?view=TOKEN``."""
from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from lib import config
from lib.errors import DataError
from lib.i18n import fmt_date
from lib.schema import Dataset
from lib.share import storage
from lib.share.viewstate import ViewState
from ui import auth, cache
from ui import session as S
from ui.page import plain
from ui.session import t


def restore_from_link() -> None:
    """Apply ``?view=TOKEN`` once per session; keep the token in the URL while the view is shared."""
    token = st.query_params.get("view")
    if token and token != st.session_state.get(S.K_APPLIED):
        st.session_state[S.K_APPLIED] = token
        found = storage.resolve_link(token)
        if found is None:
            st.session_state[S.K_LINK_MSG] = "This link has expired or does not exist. Showing the sample data."
            st.session_state[S.K_SOURCE] = "sample"
            del st.query_params["view"]
        else:
            _apply(*found)
    elif st.session_state[S.K_SOURCE] == "shared" and st.session_state.get(S.K_APPLIED) and not token:
        st.query_params["view"] = st.session_state[S.K_APPLIED]  # survive moving between pages
    if st.session_state.get(S.K_LINK_MSG):
        st.warning(t(st.session_state.pop(S.K_LINK_MSG)))


def _apply(dataset_id: str, record: dict) -> None:
    """Open a link: its data, and its view: the one the URL says, else the one stored with the link."""
    st.session_state[S.K_SOURCE] = "shared"
    st.session_state[S.K_SHARED_ID] = dataset_id
    st.session_state[S.K_UPLOAD_NAME] = None
    stored = ViewState.from_record(record)
    S.apply_view_state(ViewState.from_query(st.query_params.to_dict(), page=stored.page, base=stored))


def share_box(page: str) -> None:
    """The "Share this view" button and, once clicked, the link with a copy button."""
    if st.button(t("Share this view"), key="share-button"):
        try:
            key, ds = cache.current_dataset()
            view = S.view_state(page)
            token, expires = storage.create_link(_stored_dataset(key, ds), view.to_record())
        except DataError as err:  # nothing to share while the data is not usable, or the store cannot take it
            st.error(plain(t(str(err))))
            return
        # the link is the view: the token names the data, the rest of the query string says what is shown
        st.session_state[S.K_SHARE_URL] = (f"{_base_url()}/{page}?{urlencode({'view': token, **view.to_query()})}", expires)
    if st.session_state.get(S.K_SHARE_URL):
        url, expires = st.session_state[S.K_SHARE_URL]
        st.code(url, language=None)
        who = ("Signed-in team members with this link see this data, page and filters until"
               if auth.login_configured() and not config.share_public()
               else "Anyone with this link sees this data, page and filters until")
        st.caption(f"{t(who)} {fmt_date(pd.Timestamp(expires), st.session_state[S.K_LANG])}.")


def _stored_dataset(key: str, ds: Dataset) -> str:
    """The id of ``ds`` in the store: the one this session saved (or opened from a link) while it is still stored,
    else ``ds`` saved now. The data folder may have been emptied, or the dataset purged, under a long session:
    a link to it would open as "expired or does not exist". Raises DataError when the store cannot take it."""
    storage.purge_expired()  # expired links and their datasets go whenever someone shares
    saved = st.session_state.setdefault(S.K_SAVED, {})
    spend = st.session_state[S.K_SPEND_EDIT]
    key = f"{key}:{cache.spend_key(spend)}"  # a shared dataset's key does not say the spend typed on it
    if st.session_state[S.K_SOURCE] == "shared" and spend is None:
        saved.setdefault(key, st.session_state[S.K_SHARED_ID])
    if not (saved.get(key) and storage.has_dataset(saved[key])):
        saved[key] = storage.save_dataset(ds)
    return saved[key]


def _base_url() -> str:
    """Where the app lives for the people a link goes to: ``LTV_PUBLIC_URL``, else the address this browser shows.

    Behind a proxy the browser's address is right for this person but the server
    cannot know it for others (and a newcomer on the server itself sees
    127.0.0.1), hence the setting. Without it: scheme, host and port of the
    page, plus the server's path prefix (``server.baseUrlPath``).
    """
    public = config.public_url()
    if public:
        return public
    parts = (st.context.url or "").split("/")
    prefix = str(st.get_option("server.baseUrlPath") or "").strip("/")
    root = "/".join(parts[:3]) if len(parts) >= 3 else ""
    return f"{root}/{prefix}" if prefix else root
