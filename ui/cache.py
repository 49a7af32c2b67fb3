"""The current workbook, its proposal, dataset and filtered view for every page, cached at this edge.

``lib`` stays cache-free. Parsed workbooks and datasets are kept by the file's
SHA-256 with bounded entries (``st.cache_resource``, shared read-only, never
copied), and so is the proposal (which sheet, which column is which field),
once per workbook; small results with ``st.cache_data``. The bounds keep a
server with many 1M-row uploads within a few GB: a parsed workbook or dataset
of that size is a few hundred MB, a filtered view about 100 MB. Session keys
are named in :mod:`ui.session`.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from lib.clean import build_dataset
from lib.clean.spend import clean_spend
from lib.errors import DataError
from lib.mapping import RULES, implausible, propose
from lib.model.basis import has_net_sales, on_basis
from lib.model.referrals import ReferralForest, referral_forest
from lib.model.view import Filters, Prepared, View, apply_filters, prepare
from lib.read import read_workbook
from lib.schema import Dataset, Proposal, QualityReport, Workbook
from ui import session as S
from ui.session import t

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "orders.xlsx"


# ----------------------------------------------------------------------------- caches


@st.cache_resource(max_entries=1, show_spinner=False)
def _sample_workbook(mtime: float) -> Workbook:
    return read_workbook(SAMPLE, RULES, every_column=True)


UPLOAD_GONE = "The uploaded file is no longer on the server. Upload it again."


class _Workbooks:
    """The last parsed uploads, by SHA-256, shared by every session (with their bytes, to parse again if dropped).

    Not an ``st.cache_resource``: the parse reports its stages to the page of the
    session that uploaded (``on_stage``), and a cached function would replay those
    messages on later runs. Two sessions uploading the same file parse it once.
    """

    def __init__(self, keep: int = 2) -> None:
        self.keep = keep
        self._lock = threading.Lock()
        self._parsed: dict[str, Workbook] = {}
        self._bytes: dict[str, bytes] = {}
        self._busy: dict[str, threading.Lock] = {}

    def parsed(self, digest: str, every_column: bool = False) -> Workbook | None:
        """The parsed workbook if it is at hand (no bytes needed), else None."""
        with self._lock:
            return self._parsed.get(f"{digest}:{'all' if every_column else 'mapped'}")

    def data(self, digest: str) -> bytes | None:
        with self._lock:
            return self._bytes.get(digest)

    def get(self, digest: str, data: bytes | None, on_wait=None, on_stage=None,  # noqa: ANN001
            every_column: bool = False) -> Workbook:
        key = f"{digest}:{'all' if every_column else 'mapped'}"
        with self._lock:
            if key in self._parsed:
                if on_stage:
                    on_stage("cached", sum(len(s.frame) for s in self._parsed[key].sheets))
                return self._parsed[key]
            busy = self._busy.setdefault(key, threading.Lock())
            data = data or self._bytes.get(digest)
        with busy:
            with self._lock:
                if key in self._parsed:
                    return self._parsed[key]
            if not data:
                raise DataError(UPLOAD_GONE)
            wb = read_workbook(data, RULES, on_wait=on_wait, on_stage=on_stage, every_column=every_column)
            with self._lock:
                self._parsed[key], self._bytes[digest] = wb, data
                for store in (self._parsed, self._bytes):
                    while len(store) > self.keep:
                        store.pop(next(iter(store)))
                self._busy.pop(key, None)
            return wb


_WORKBOOKS = _Workbooks()


def parse_upload(data: bytes, on_stage=None, every_column: bool = False) -> str:  # noqa: ANN001
    """Parse uploaded bytes (kept by SHA-256 for every session); returns the digest. Raises DataError.

    ``on_stage(name, number)``: see :func:`lib.read.read_workbook`; a wait for a
    parse slot is reported as ("waiting", files ahead).
    """
    digest = hashlib.sha256(data).hexdigest()
    _WORKBOOKS.get(digest, data, on_wait=(lambda ahead: on_stage("waiting", ahead)) if on_stage else None,
                   on_stage=on_stage, every_column=every_column)
    return digest


def upload_key() -> str:
    """The file_uploader's key. Once a file is read (its bytes kept in the server's store) the uploader is replaced by
    an empty one: Streamlit copies a widget's value on every run, 0.1 s and the file's size again for a 150 MB upload."""
    return f"{S.K_UPLOAD}-{st.session_state[S.K_UPLOAD_GEN]}"


def uploaded_files() -> list:
    """The files the uploader holds (chosen, not read yet): streamlit's UploadedFile objects, maybe none."""
    value = st.session_state.get(upload_key())
    return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]


def release(files: list) -> None:
    """Let go of the bytes Streamlit's upload store holds for ``files`` (UploadedFiles this run has read).

    Streamlit keeps every uploaded file's bytes until its session shuts down, and a session that disconnects is
    kept for a reconnect and then dropped without shutting down: 200 uploads of one session held 258 MB with no
    session left. A file read here is kept by its SHA-256 (:class:`_Workbooks`, :data:`FILE_DATASETS`, bounded) and
    the uploader is replaced by an empty one (:func:`upload_key`), so its bytes in the upload store have no use left.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return
    for f in files:
        ctx.uploaded_file_mgr.remove_file(ctx.session_id, f.file_id)


def uploaded_file():  # noqa: ANN201 - streamlit's UploadedFile or None
    """The one file the uploader holds (chosen, not read yet), or None (none, or several)."""
    files = uploaded_files()
    return files[0] if len(files) == 1 else None


class _FileDatasets:
    """Each file of a several-file upload cleaned on its own, by SHA-256, for every session (the workbooks are not
    kept: a shop's twelve monthly files would push every other upload out of :class:`_Workbooks`)."""

    def __init__(self, keep: int = 48) -> None:
        self.keep = keep
        self._lock = threading.Lock()
        self._data: dict[str, Dataset] = {}

    def put(self, digest: str, ds: Dataset) -> None:
        with self._lock:
            self._data[digest] = ds
            while len(self._data) > self.keep:
                self._data.pop(next(iter(self._data)))

    def get(self, digest: str) -> Dataset | None:
        with self._lock:
            return self._data.get(digest)


FILE_DATASETS = _FileDatasets()
FILES_GONE = "A file of this upload is no longer on the server. Upload the files again."


def read_file_dataset(data: bytes, on_stage=None) -> str:  # noqa: ANN001
    """Read and clean one file of a several-file upload (its proposed mapping); returns its digest. Raises DataError."""
    digest = hashlib.sha256(data).hexdigest()
    if FILE_DATASETS.get(digest) is None:
        wb = read_workbook(data, RULES, on_wait=(lambda ahead: on_stage("waiting", ahead)) if on_stage else None,
                           on_stage=on_stage)
        FILE_DATASETS.put(digest, build_dataset(wb))
    return digest


@st.cache_resource(max_entries=4, show_spinner=False)
def _files_dataset(key: str, files: tuple[tuple[str, str], ...], link: bool = True) -> Dataset:
    from lib.clean.many import combine

    parts = []
    for digest, name in files:
        ds = FILE_DATASETS.get(digest)
        if ds is None:
            raise DataError(FILES_GONE)
        parts.append((name, ds))
    return combine(parts, link=link)


def upload_bytes(digest: str) -> bytes | None:
    """The bytes of the accepted upload (to read it again with every column), while the server keeps them."""
    uploaded = uploaded_file()
    return uploaded.getvalue() if uploaded is not None else _WORKBOOKS.data(digest)


def current_workbook() -> Workbook | None:
    """The parsed workbook of the current source (None for a shared dataset)."""
    src = st.session_state[S.K_SOURCE]
    if src == "upload" and st.session_state[S.K_DIGEST]:
        digest = st.session_state[S.K_DIGEST]
        wb = _WORKBOOKS.parsed(digest, st.session_state[S.K_EVERY_COLUMN])
        if wb is not None:  # every rerun: no hash of the upload's bytes (0.1 s per call at 150 MB)
            return wb
        uploaded = uploaded_file()
        data = uploaded.getvalue() if uploaded is not None else None
        if data is not None and hashlib.sha256(data).hexdigest() != digest:
            data = None  # the widget holds another file (chosen, not read yet): never parse it under this digest
        return _WORKBOOKS.get(digest, data, every_column=st.session_state[S.K_EVERY_COLUMN])
    if src == "sample":
        return _sample_workbook(SAMPLE.stat().st_mtime)
    return None


def workbook_key() -> str | None:
    """What the current workbook is: "sample", the upload's digest (":all" when read with every column); None when shared."""
    src = st.session_state[S.K_SOURCE]
    if src in ("shared", "files"):
        return None
    return "sample" if src == "sample" else f"{st.session_state[S.K_DIGEST]}{':all' if st.session_state[S.K_EVERY_COLUMN] else ''}"


# shared read-only: st.cache_data unpickled a copy on every call (2,400 sheets' proposals, three calls a rerun)
@st.cache_resource(max_entries=8, show_spinner=False)
def _propose(key: str, _wb: Workbook) -> Proposal:
    return propose(_wb)


@st.cache_data(max_entries=32, show_spinner=False)
def implausible_columns(key: str, _frame: pd.DataFrame, _mapping: dict[str, str]) -> list[tuple[str, str, str]]:
    """:func:`lib.mapping.implausible` for a mapping being chosen in the editor, checked once per mapping (``key``
    names the workbook, the sheet and the mapping), not on every rerun while the editor is open."""
    return implausible(_frame, _mapping)


def current_proposal(wb: Workbook) -> Proposal:
    """The proposal (:func:`lib.mapping.propose`) for ``wb``, the current workbook: made once per workbook, never per rerun.

    A 2,400-sheet workbook or a 20,000-column sheet takes seconds to propose for; the sidebar and the dataset ask on
    every rerun of every page.
    """
    key = workbook_key()
    assert key is not None, "a shared dataset has no workbook"
    return _propose(f"{key}@{SAMPLE.stat().st_mtime}" if key == "sample" else key, wb)


@st.cache_resource(max_entries=4, show_spinner=False)
def _dataset(key: str, _wb: Workbook, _proposal: Proposal, sheet: str | None, mapping_json: str, spend_sheet: str | None,
             _spend: pd.DataFrame | None) -> Dataset:
    mapping = json.loads(mapping_json) if mapping_json != "null" else None
    ds = build_dataset(_wb, sheet, mapping, spend_sheet, proposal=_proposal)
    if _spend is not None:
        ds.spend = _spend
        ds.report.notes.append("Spend entered in the app replaces the workbook's spend.")
    return ds


@st.cache_resource(max_entries=4, show_spinner=False)
def shared_dataset(dataset_id: str) -> Dataset:
    """A dataset stored for a share link (raises FileNotFoundError when it is no longer stored, DataError when it
    cannot be opened)."""
    from lib.share import storage

    ds = storage.load_dataset(dataset_id)
    if ds is None:
        raise FileNotFoundError(dataset_id)
    return ds


@st.cache_resource(max_entries=4, show_spinner=False)
def net_sales_dataset(key: str, _ds: Dataset) -> Dataset:
    """The dataset with order amounts on net sales (:func:`lib.model.basis.on_basis`)."""
    return on_basis(_ds, "net")


@st.cache_resource(max_entries=4, show_spinner=False)
def prepared_dataset(key: str, _ds: Dataset) -> Prepared:
    return prepare(_ds)


@st.cache_resource(max_entries=8, show_spinner=False)
def _view(key: str, date_from: str | None, date_to: str | None, channels: tuple[str, ...] | None, _ds: Dataset,
          platforms: tuple[str, ...] | None = None) -> View:
    f = Filters(pd.Timestamp(date_from) if date_from else None, pd.Timestamp(date_to) if date_to else None, channels,
                platforms)
    return apply_filters(prepared_dataset(key, _ds), f)


@st.cache_resource(max_entries=12, show_spinner=False)
def _forest(key: str, as_of: str, _view: View) -> ReferralForest:
    # built on every channel's customers as of the window's end: referrals cross channels
    return referral_forest(_view.everyone)


def spend_key(spend: pd.DataFrame | None) -> str:
    if spend is None:
        return "none"
    return hashlib.sha256(pd.util.hash_pandas_object(spend, index=False).to_numpy().tobytes()).hexdigest()[:16]


@dataclass
class Current:
    """What a page needs: the dataset, its key, the filtered view and settings."""

    key: str
    ds: Dataset
    view: View
    filters: Filters
    settings: S.Settings

    @property
    def forest(self) -> ReferralForest:
        return _forest(self.key, iso_date(self.view.as_of) or "", self.view)


def iso_date(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None else pd.Timestamp(ts).date().isoformat()


def dataset_key() -> str:
    if st.session_state[S.K_SOURCE] == "files":
        files = json.dumps(st.session_state[S.K_FILES], ensure_ascii=False)
        link = "linked" if st.session_state[S.K_LINK] else "apart"
        return f"files:{hashlib.sha256(files.encode()).hexdigest()[:16]}:{link}:{spend_key(st.session_state[S.K_SPEND_EDIT])}"
    base = workbook_key()
    if base is None:
        return f"shared:{st.session_state[S.K_SHARED_ID]}"
    cfg = json.dumps([st.session_state[S.K_SHEET], st.session_state[S.K_MAPPING], st.session_state[S.K_SPEND_SHEET],
                      spend_key(st.session_state[S.K_SPEND_EDIT])], sort_keys=True, ensure_ascii=False)
    return f"{base}:{hashlib.sha256(cfg.encode()).hexdigest()[:16]}"


def current_dataset() -> tuple[str, Dataset]:
    """The dataset of the current source (raises DataError for a bad mapping)."""
    key = dataset_key()
    if st.session_state[S.K_SOURCE] == "files":
        ds = _files_dataset(key.rsplit(":", 1)[0], tuple(map(tuple, st.session_state[S.K_FILES])), st.session_state[S.K_LINK])
        if st.session_state[S.K_SPEND_EDIT] is not None:
            ds = dataclasses.replace(ds, spend=st.session_state[S.K_SPEND_EDIT])
        return key, ds
    if st.session_state[S.K_SOURCE] == "shared":
        try:
            ds = shared_dataset(st.session_state[S.K_SHARED_ID])
        except (FileNotFoundError, DataError) as err:
            # FileNotFoundError: the link expired and its data was purged while this session had it open;
            # DataError: the stored data is of a newer version of the app, or damaged (its message says which)
            st.session_state[S.K_SOURCE] = "sample"
            st.session_state[S.K_SHARED_ID] = None
            if "view" in st.query_params:
                del st.query_params["view"]
            st.warning(f"{t(str(err))} {t(SHOWING_SAMPLE)}" if isinstance(err, DataError) else t(SHARED_DATA_GONE), icon="⚠️")
            return current_dataset()
        if st.session_state[S.K_SPEND_EDIT] is not None:
            ds = dataclasses.replace(ds, spend=st.session_state[S.K_SPEND_EDIT])
        return key, ds
    wb = current_workbook()
    assert wb is not None
    ds = _dataset(key, wb, current_proposal(wb), st.session_state[S.K_SHEET],
                  json.dumps(st.session_state[S.K_MAPPING], sort_keys=True), st.session_state[S.K_SPEND_SHEET],
                  st.session_state[S.K_SPEND_EDIT])
    return key, ds


def apply_spend(edited: pd.DataFrame) -> str | None:
    """Make spend typed in the CAC page's editor the dataset's spend; the reason it cannot be, or None.

    Channel names were shown neutralised against formulas (``lib.present.export.neutralise``); they are the
    data's names again here. Rows left out (a month that is not a month) are said on the next run
    (``S.K_SPEND_NOTE``), never dropped silently.
    """
    from lib.present.export import restore

    ident = {c: c for c in ("channel", "month", "spend", "touches", "adds", "cost_per_touch", "platform") if c in edited.columns}
    report = QualityReport()
    try:
        spend = clean_spend(edited.assign(channel=edited["channel"].astype(object).map(restore, na_action="ignore")),
                                   ident, report)
    except DataError as err:
        return str(err)
    st.session_state[S.K_SPEND_EDIT] = spend
    st.session_state[S.K_SPEND_NOTE] = [(i.rows, i) for i in report.issues] or None
    return None


def current_filters(ds: Dataset) -> Filters:
    """The session's :func:`view_state` as filters (every channel chosen = no channel filter)."""
    view = S.view_state()
    d_from, d_to = (pd.Timestamp(view.dates[0]), pd.Timestamp(view.dates[1])) if view.dates else (None, None)
    channels = view.channels if view.channels and set(view.channels) != set(ds.channels) else None
    platforms = view.platforms if view.platforms and set(view.platforms) != set(ds.platforms) else None
    return Filters(d_from, d_to, channels, platforms)


def current() -> Current:
    """The dataset, filtered view and settings for the page being drawn.

    Raises DataError when the filters leave nothing (pages show the message).
    """
    key, ds = current_dataset()
    if S.settings().basis == "net" and has_net_sales(ds):  # the pages' figures on net sales; a share link stores ds
        key, ds = f"{key}:net", net_sales_dataset(f"{key}:net", ds)
    f = current_filters(ds)
    view = _view(key, iso_date(f.date_from), iso_date(f.date_to), f.channels, ds, f.platforms)
    return Current(key, ds, view, f, S.settings())


SHOWING_SAMPLE = "Showing the sample data."
SHARED_DATA_GONE = ("The shared data of this link is no longer stored (its link expired). Showing the sample data; "
                    "ask for a new link.")


