"""Session state: its keys (named once), the settings, and the translation helper ``t``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from lib import config
from lib.i18n import translate
from lib.model.metrics import DEFAULT_MARGIN
from lib.present.text import currency_symbol
from lib.share.viewstate import ViewState

# session_state keys
K_SOURCE = "source"            # "sample" | "upload" | "files" (several files of one shop) | "shared"
K_UPLOAD = "upload_file"       # the file_uploader widget
K_DIGEST = "upload_digest"     # sha256 of the accepted upload
K_UPLOAD_NAME = "upload_name"
K_UPLOAD_ERROR = "upload_error"
K_UPLOAD_PENDING = "upload_pending"  # a file was chosen: read it in this run, showing its stages
K_MAPPING_OPEN = "mapping_open"  # the sidebar's column-mapping expander is open
K_UPLOAD_GEN = "upload_gen"  # the uploader's generation: a new one (empty) once a file is read
K_EVERY_COLUMN = "every_column"  # read the upload's columns that no rule maps too (the user asked)
K_SHEET = "sheet"
K_SPEND_SHEET = "spend_sheet"
K_MAPPING = "mapping"          # applied mapping (dict) or None for the proposal
K_SPEND_EDIT = "spend_override"  # spend entered in the CAC page (DataFrame) or None
K_SPEND_NOTE = "spend_note"      # rows of that spend left out, and why: [(rows, lib.schema.Issue)], said once
K_DATES = "date_range"
K_DATES_NOTE = "dates_note"    # (date widget key, window) when a link's dates were moved into the data's: said until changed
K_CHANNELS = "channels"
K_PLATFORMS = "platforms"      # acquisition platforms chosen (several files), [] for all
K_CURRENCY = "currency"
K_CURRENCY_FOR = "currency_for"  # the data source whose currency the currency box holds
K_MARGIN = "margin_pct"
K_LANG = "lang"
K_BASIS = "revenue_basis"      # "total" | "net" (lib.model.basis), offered when the file has net sales
K_SHARED_ID = "shared_dataset"  # dataset id opened from a share link
K_FILES = "upload_files"       # several files of one shop in use (source "files"): [(digest, file name), ...]
K_ADD_FILES = "add_files"      # the next upload adds its files to those in use instead of replacing them
K_LINK = "link_customers"      # several files: the same phone or email on two platforms is one customer
K_APPLIED = "applied_token"     # the share token this session has opened
K_LINK_MSG = "link_message"     # a message about a link, shown once on the next run
K_SAVED = "saved_datasets"      # dataset key -> stored dataset id (one save per data, however often shared)
K_PENDING_VIEW = "pending_view"  # a link's ViewState, applied by the sidebar before its filter widgets exist
K_SHARE_URL = "share_url"

DEFAULT_CURRENCY = config.default_currency()  # when the file states none: LTV_CURRENCY, else ¥ (the sample's yuan)


def filter_keys(base: str) -> tuple[str, str, str]:
    """Keys of the sidebar's date-range and channel widgets for the data ``base``, and of the span its dates were set for.

    One pair per data source: another file starts from its own span and channels.
    """
    return f"dates-{base}", f"channels-{base}", f"dates-{base}-span"


@dataclass(frozen=True)
class Settings:
    currency: str
    margin: float  # 0..1
    lang: str
    basis: str = "total"  # the revenue basis (lib.model.basis): "total" or "net"


@st.cache_resource(show_spinner=False)
def startup() -> tuple[str, ...]:
    """Once per server process: the environment's problems (``lib.config``); when there are none, clear what
    interrupted saves left in the store."""
    from lib import config
    from lib.share import storage

    found = tuple(config.problems())
    if not found:
        storage.clean_temporary()
    return found


def init_state() -> None:
    """Set every session key once (the ``.get()`` idiom lives here only)."""
    defaults: dict[str, Any] = {
        K_SOURCE: "sample", K_DIGEST: None, K_UPLOAD_NAME: None, K_UPLOAD_ERROR: None, K_UPLOAD_PENDING: False,
        K_UPLOAD_GEN: 0, K_EVERY_COLUMN: False,
        K_SHEET: None, K_SPEND_SHEET: None, K_MAPPING: None, K_SPEND_EDIT: None, K_CURRENCY: DEFAULT_CURRENCY,
        K_MARGIN: int(DEFAULT_MARGIN * 100), K_LANG: "en", K_BASIS: "total", K_SHARED_ID: None, K_SHARE_URL: None,
        K_FILES: [], K_ADD_FILES: False, K_LINK: True,
    }
    for k, v in defaults.items():
        if k not in st.session_state:
            st.session_state[k] = v


def view_state(page: str = "overview") -> ViewState:
    """The view this session shows (:class:`lib.share.viewstate.ViewState`): what a share link keeps and its URL says."""
    dates = st.session_state.get(K_DATES)
    window = (pd.Timestamp(dates[0]).date(), pd.Timestamp(dates[1]).date()) \
        if isinstance(dates, (list, tuple)) and len(dates) == 2 and all(d is not None for d in dates) else None
    return ViewState(page, window, tuple(st.session_state.get(K_CHANNELS) or ()), currency(),
                     int(st.session_state[K_MARGIN]), st.session_state[K_LANG], st.session_state[K_BASIS],
                     tuple(st.session_state.get(K_PLATFORMS) or ()))


def apply_view_state(view: ViewState) -> None:
    """Show ``view``: settings at once, the window and channels when the sidebar draws its filters."""
    st.session_state[K_CURRENCY] = view.currency
    st.session_state[K_MARGIN] = view.margin_pct
    st.session_state[K_LANG] = view.lang
    st.session_state[K_BASIS] = view.basis
    st.session_state[K_PENDING_VIEW] = view


def currency() -> str:
    """The currency symbol every money figure starts with: the sidebar's box when it holds a symbol
    (:func:`lib.present.text.currency_symbol`), else :data:`DEFAULT_CURRENCY` (the sidebar says so)."""
    typed = currency_symbol(st.session_state[K_CURRENCY] or "")
    return DEFAULT_CURRENCY if typed is None else typed


def settings() -> Settings:
    return Settings(currency(), st.session_state[K_MARGIN] / 100, st.session_state[K_LANG], st.session_state[K_BASIS])


def t(text: str) -> str:
    """Translate a UI string into the session's language."""
    return translate(text, st.session_state.get(K_LANG, "en"))
