"""An upload read in the main area with its stages shown; going back to the sample."""
from __future__ import annotations

import time

import streamlit as st

from lib.errors import DataError
from lib.i18n import fmt_number
from ui import cache
from ui import session as S
from ui.page import plain
from ui.session import t


def on_upload() -> None:
    # Only mark it: the file is read in the script run that follows, where its stages can be shown
    # (a callback runs before the page exists, and the page would look frozen for a big file).
    st.session_state[S.K_UPLOAD_ERROR] = None
    st.session_state[S.K_UPLOAD_PENDING] = bool(cache.uploaded_files())
    st.session_state[S.K_EVERY_COLUMN] = False  # a new file: read what a mapping can use
    # A file once read leaves the uploader (cache.upload_key: a new, empty one); removing a file chosen but not
    # read is a change to None: the current data stays, as it does when a replacement turns out bad.
    # "Back to the sample data" is the way back.


def read_pending_upload(where) -> None:  # noqa: ANN001 - a Streamlit container in the main area
    """Read a newly chosen file, showing its stages in ``where``: checking, waiting for a turn, reading, cleaning."""
    if not st.session_state[S.K_UPLOAD_PENDING]:
        return
    st.session_state[S.K_UPLOAD_PENDING] = False
    files = cache.uploaded_files()
    adding = st.session_state[S.K_ADD_FILES] and st.session_state[S.K_SOURCE] in ("upload", "files")
    if len(files) > 1 or (files and adding):
        read_files(where, files, adding)
        return
    uploaded = cache.uploaded_file()
    rereading = uploaded is None and st.session_state[S.K_DIGEST]  # "Read every column" of the file being used
    data = uploaded.getvalue() if uploaded is not None else cache.upload_bytes(st.session_state[S.K_DIGEST]) if rereading else None
    if uploaded is not None:  # read or refused below, the uploader is emptied: its bytes in Streamlit's store go now
        cache.release([uploaded])
        st.session_state[S.K_UPLOAD_GEN] += 1
    if data is None:
        if rereading:
            st.session_state[S.K_UPLOAD_ERROR] = cache.UPLOAD_GONE
        return
    name = uploaded.name if uploaded is not None else st.session_state[S.K_UPLOAD_NAME] or ""
    lang = S.settings().lang
    started = time.perf_counter()
    with where, st.status(f"{t('Reading')} {plain(name)} …", expanded=True) as status:
        def stage(name: str, n: int) -> None:
            if name == "checked":
                st.write(f"{t('File checked')}: {_size(n, lang)}")
            elif name == "waiting":
                st.write(t("Other files are being read first; yours is next in line.") if n == 0 else
                         f"{t('Other files are being read first. Files before yours')}: {n}")
            elif name == "reading":
                st.write(f"{t('Reading the sheets')} ({_size(n, lang)} {t('unpacked')}) …" if n else
                         f"{t('Reading the sheets')} …")
            elif name == "columns":
                st.write(f"{t('Reading only the columns the mapping uses')}: {fmt_number(n, lang)}")
            elif name == "read":
                st.write(f"{t('Rows read')}: {fmt_number(n, lang)}")
            elif name == "cached":
                st.write(f"{t('This server has read this file already')} ({t('Rows read')}: {fmt_number(n, lang)})")

        try:
            digest = cache.parse_upload(data, on_stage=stage, every_column=st.session_state[S.K_EVERY_COLUMN])
        except DataError as err:
            st.session_state[S.K_UPLOAD_ERROR] = str(err)
            status.update(label=t("The file could not be used:"), state="error", expanded=False)
            return
        same = st.session_state[S.K_SOURCE] == "upload" and st.session_state[S.K_DIGEST] == digest
        st.session_state[S.K_SOURCE] = "upload"
        st.session_state[S.K_DIGEST] = digest
        st.session_state[S.K_UPLOAD_NAME] = name  # read and kept: an empty uploader from now on ("Using" names the file)
        if not same:  # the same file read again with every column keeps its sheet, mapping and spend choices
            _reset_config()
            st.query_params.clear()  # a shared view's token no longer describes what is shown
        st.write(f"{t('Cleaning the orders')} …")
        try:
            _, ds = cache.current_dataset()
        except DataError:  # a mapping to choose: the page says what is missing
            status.update(label=t("Read; choose the columns in the mapping"), state="complete", expanded=False)
            return
        st.write(f"{t('Drawing the page')} …")
        status.update(label=f"{t('Read')} {plain(name)}: {fmt_number(len(ds.orders), lang)} {t('orders')} "
                            f"({time.perf_counter() - started:.1f} s)", state="complete", expanded=False)


def read_files(where, files: list, adding: bool) -> None:  # noqa: ANN001 - a Streamlit container; UploadedFiles
    """Read several files of one shop, each cleaned on its own with its proposed mapping, and use them together
    (after the files in use when ``adding``); the stages of each are shown in ``where``."""
    lang = S.settings().lang
    kept = list(st.session_state[S.K_FILES]) if st.session_state[S.K_SOURCE] == "files" else []
    if adding and st.session_state[S.K_SOURCE] == "upload":  # the file in use, with its sheet and mapping, comes first
        key, ds = cache.current_dataset()
        cache.FILE_DATASETS.put(key, ds)
        kept = [(key, st.session_state[S.K_UPLOAD_NAME] or "")]
    started = time.perf_counter()
    with where, st.status(f"{t('Reading')} {fmt_number(len(files), lang)} {t('files')} …", expanded=True) as status:
        new = []
        blobs = [(f.name, f.getvalue()) for f in files]
        cache.release(files)  # read or refused below, the uploader is emptied: its bytes in Streamlit's store go now
        st.session_state[S.K_UPLOAD_GEN] += 1
        for name, data in blobs:
            st.write(f"{t('Reading')} {plain(name)} …")
            try:
                new.append((cache.read_file_dataset(data), name))
            except DataError as err:
                st.session_state[S.K_UPLOAD_ERROR] = f"{name}: {t(str(err))}"
                status.update(label=t("The file could not be used:"), state="error", expanded=False)
                return
        together = kept + [n for n in new if n[0] not in {d for d, _ in kept}]
        st.session_state[S.K_SOURCE] = "files"
        st.session_state[S.K_FILES] = together
        st.session_state[S.K_UPLOAD_NAME] = f"{len(together)} {t('files')}"
        _reset_config()
        st.query_params.clear()
        try:
            _, ds = cache.current_dataset()
        except DataError as err:  # files in two currencies
            st.session_state[S.K_UPLOAD_ERROR] = str(err)
            st.session_state[S.K_FILES] = kept
            if not kept:
                back_to_sample()
            status.update(label=t("The file could not be used:"), state="error", expanded=False)
            return
        status.update(label=f"{t('Read')} {fmt_number(len(together), lang)} {t('files')}: {fmt_number(len(ds.orders), lang)} "
                            f"{t('orders')} ({time.perf_counter() - started:.1f} s)", state="complete", expanded=False)


STILL_SHOWING = "Still showing the data you had:"
SHOWING_SHARED = "Still showing the shared data."


def refusal() -> str | None:
    """The last refused upload's sentence (its ``DataError``) and what is shown instead, or None when there is none."""
    err = st.session_state[S.K_UPLOAD_ERROR]
    if not err:
        return None
    src = st.session_state[S.K_SOURCE]
    instead = (t(cache.SHOWING_SAMPLE) if src == "sample" else t(SHOWING_SHARED) if src == "shared" else
               f"{t(STILL_SHOWING)} {st.session_state[S.K_UPLOAD_NAME] or ''}.")
    return f"{t('The file could not be used:')} {t(err)} {instead}"


def refusal_notice(where, sentence: str) -> None:  # noqa: ANN001 - a Streamlit container in the main area
    """Say a refused upload's :func:`refusal` in the main area, above the page, until the next upload or Dismiss."""
    with where:
        st.error(plain(sentence), icon="🚫")
        st.button(t("Dismiss"), key="dismiss-refusal", on_click=dismiss_refusal)


def dismiss_refusal() -> None:
    st.session_state[S.K_UPLOAD_ERROR] = None


def remove_file(i: int) -> None:
    """Use the files in use but the ``i``-th; none left: the sample."""
    files = list(st.session_state[S.K_FILES])
    files.pop(i)
    st.session_state[S.K_FILES] = files
    st.session_state[S.K_UPLOAD_NAME] = f"{len(files)} {t('files')}"
    _reset_config()
    if not files:
        back_to_sample()


def read_every_column() -> None:
    st.session_state[S.K_EVERY_COLUMN] = True
    st.session_state[S.K_UPLOAD_PENDING] = True  # read again, with its stages shown


def _size(n: int, lang: str) -> str:
    return f"{fmt_number(n / 1e6, lang, 1)} MB" if n >= 100_000 else f"{fmt_number(n / 1e3, lang, 0)} KB"


def _reset_config() -> None:
    for k in (S.K_SHEET, S.K_MAPPING, S.K_SPEND_SHEET, S.K_SPEND_EDIT, S.K_SHARED_ID, S.K_SHARE_URL):
        st.session_state[k] = None


def back_to_sample() -> None:
    st.session_state[S.K_SOURCE] = "sample"
    st.session_state[S.K_DIGEST] = None
    st.session_state[S.K_FILES] = []
    st.session_state[S.K_UPLOAD_NAME] = None
    _reset_config()
    st.query_params.clear()
