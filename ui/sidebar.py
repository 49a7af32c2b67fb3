"""The sidebar every page shares: data source, sheet and mapping, filters, settings, share link."""
from __future__ import annotations

import json

import streamlit as st

from lib.errors import DataError
from lib.i18n import LANGS, fmt_date, fmt_number
from lib.mapping import implausible_message, proposed_order_mapping
from lib.mapping.profiles import profile_by_key
from lib.model.basis import BASIS_NAMES, has_net_sales
from lib.present.labels import header
from lib.present.text import strip_controls
from lib.schema import ORDER_FIELDS, Proposal, Workbook
from lib.share.viewstate import ViewState
from ui import cache, choices
from ui import session as S
from ui.page import plain
from ui.session import t
from ui.upload import (back_to_sample, on_upload, read_every_column, read_pending_upload, refusal, refusal_notice,
                       remove_file)
from ui.widgets import safe_frame

NOT_MAPPED = "— not in the file —"
NOT_A_SYMBOL = "A currency symbol is letters or a sign such as ¥, $, €, kr, CHF; the figures show"


def data_source(progress) -> None:  # noqa: ANN001 - the main area's container for an upload's stages
    read_pending_upload(progress)  # first: what the sidebar says below follows the file just read
    st.subheader(t("Data source"))
    src = st.session_state[S.K_SOURCE]
    if src == "sample":
        st.info(t("You are looking at sample data: a made-up shop. Upload your own orders in the sidebar."), icon="ℹ️")
    else:
        name = st.session_state[S.K_UPLOAD_NAME] or t("shared link")
        st.caption(f"{t('Using')}: **{plain(name)}**")
        if src == "files":  # several files of one shop: each can be taken out
            for i, (_, file_name) in enumerate(st.session_state[S.K_FILES]):
                a, b = st.columns([4, 1])
                a.caption(plain(file_name))
                b.button("✕", key=f"remove-file-{i}", on_click=remove_file, args=(i,), help=t("Remove this file"))
        st.button(t("Back to the sample data"), on_click=back_to_sample, key="back-to-sample")
    st.file_uploader(t("Upload orders (.xlsx, .xls, .csv, .parquet)"), key=cache.upload_key(), on_change=on_upload,
                     accept_multiple_files=True,
                     help=t("Several files of one shop (monthly exports, a platform and your own store) are read together: "
                            "an order in two files counts once, the same phone or email on two platforms is one customer."))
    if S.settings().lang == "zh":  # Streamlit's own words in the uploader ("Browse files") cannot be translated
        st.caption(t("Click “Browse files” to choose a file, or drag it onto the box."))
    if src in ("upload", "files"):
        st.checkbox(t("Add the next files to these"), key=S.K_ADD_FILES)
    if src == "files":
        st.checkbox(t("One person, one customer across files"), key=S.K_LINK,
                    help=t("The same phone or email on two platforms is one customer."))
    try:
        wb = cache.current_workbook()
    except DataError as err:  # the upload fell out of every cache and its widget is gone
        st.session_state[S.K_UPLOAD_ERROR] = str(err)
        back_to_sample()
        wb = cache.current_workbook()
    if sentence := refusal():  # here and in the main area, where the user looks
        st.error(plain(sentence))
        refusal_notice(progress, sentence)
    if wb is None:
        return
    proposal = cache.current_proposal(wb)  # made once per workbook: a rerun never guesses the sheets again
    base = st.session_state[S.K_DIGEST] or "sample"
    if len(wb.sheet_names) > 1:
        _sheet_pickers(wb, proposal, base)
    _mapping_editor(wb, proposal, base)


def _sheet_pickers(wb: Workbook, proposal: Proposal, base: str) -> None:
    """The orders and spend sheet boxes: at most :data:`ui.choices.LIMIT` sheets each, those that look like orders
    (spend) first, and a search box for the others when the workbook has more."""
    names = wb.sheet_names
    wb_key = cache.workbook_key() or base
    orders_first, spend_first = choices.sheet_orders(wb_key, wb, proposal)
    query = st.text_input(t("Find a sheet"), key=f"sheet-find-{base}") if len(names) > choices.LIMIT else ""
    if len(names) > choices.LIMIT:
        st.caption(f"{t('Sheets in the file')}: {fmt_number(len(names), S.settings().lang)}. "
                   f"{t('The boxes offer those that look like orders or spend first; type part of a name to find others.')}")
    # several sheets of orders (one a year) are read combined: that is an option of its own, so choosing one
    # sheet and coming back returns to the combined data; option values are the shown text (no format_func)
    combined = f"{t('All sheets (combined)')}: {', '.join(proposal.orders_sheets)}" if len(proposal.orders_sheets) > 1 else None
    current = st.session_state[S.K_SHEET] or combined or proposal.orders_sheets[0]
    key = f"sheet-{base}-{S.settings().lang}"
    options = ([combined] if combined else []) + choices.offer(f"{wb_key}:orders", orders_first, query).options(
        current, st.session_state.get(key))
    picked = st.selectbox(t("Orders sheet"), options, index=options.index(current) if current in options else 0,
                          key=key, format_func=strip_controls)
    if picked != current:
        st.session_state[S.K_SHEET] = None if picked == combined else picked
        st.session_state[S.K_MAPPING] = None
    in_use = proposal.orders_sheets if picked == combined else (picked,)
    no_spend = t("(none)")
    cur_spend = st.session_state[S.K_SPEND_SHEET]
    spend_default = cur_spend if cur_spend is not None else (proposal.spend_sheet or no_spend)
    key = f"spend-{base}-{S.settings().lang}"
    offered = choices.offer(f"{wb_key}:spend", spend_first, query).options(spend_default, st.session_state.get(key))
    spend_opts = [no_spend] + [n for n in offered if n not in in_use]
    spend_default = no_spend if spend_default in ("", None) or spend_default not in spend_opts else spend_default
    chosen = st.selectbox(t("Spend sheet"), spend_opts, index=spend_opts.index(spend_default),
                          key=key, format_func=strip_controls)
    st.session_state[S.K_SPEND_SHEET] = "" if chosen == no_spend else chosen


def _mapping_editor(wb: Workbook, proposal: Proposal, base: str) -> None:
    chosen_sheet = st.session_state[S.K_SHEET]
    sheet_name = chosen_sheet or proposal.orders_sheets[0]
    frame = wb.sheet(sheet_name).frame
    profile = proposal.sheets[sheet_name].profile
    if profile is not None:
        st.caption(f"{t('Recognised')}: {profile_by_key(profile).label(S.settings().lang)}")
    # drawn only while open (a selectbox per field and a preview cost ≈ 0.1 s on every run of every page otherwise)
    with st.expander(t("Column mapping"), expanded=False, key=S.K_MAPPING_OPEN, on_change="rerun") as box:
        if not box.open:
            return
        # the mapping the dataset uses: the proposal's for the sheets it reads (several combined when none is chosen)
        applied = st.session_state[S.K_MAPPING] or proposed_order_mapping(
            proposal, wb, [chosen_sheet] if chosen_sheet else list(proposal.orders_sheets))
        not_mapped = t(NOT_MAPPED)  # the shown text is the option's value (no format_func), so it follows the language
        unread = wb.sheet(sheet_name).unread  # offered too: choosing one reads the file again with every column
        # at most choices.LIMIT columns a box (16,000 options in each of 22 boxes were built and sent on every rerun)
        names_key, lang = f"{cache.workbook_key() or base}:{sheet_name}:columns", S.settings().lang
        names = choices.column_names(names_key, wb.sheet(sheet_name))
        query = st.text_input(t("Find a column"), key=f"map-find-{base}-{sheet_name}") if len(names) > choices.LIMIT else ""
        if len(names) > choices.LIMIT:
            st.caption(f"{t('Columns in the sheet')}: {fmt_number(len(names), lang)}. "
                       f"{t('Each box offers the first of them; type part of a name to find others.')}")
        offered = choices.offer(names_key, names, query)
        chosen: dict[str, str] = {}
        for field in ORDER_FIELDS:
            current = applied.get(field, not_mapped)
            key = f"map-{base}-{sheet_name}-{lang}-{field}"
            cols = [not_mapped] + offered.options(st.session_state.get(key), current)
            pick = st.selectbox(header(field, lang), cols, index=cols.index(current) if current in cols else 0,
                                key=key,
                                format_func=strip_controls)
            if pick != not_mapped:
                chosen[field] = pick
        odd = cache.implausible_columns(f"{names_key}:{json.dumps(chosen, sort_keys=True)}", frame, chosen)
        if odd:  # said before it is applied: 'Order date' as the customer would make every second a customer
            st.warning(plain(implausible_message(odd, lang)))
        if unread:  # not parsed: the proposed mapping does not use them (a wide export reads faster)
            shown = ", ".join(unread[:choices.LIMIT]) + (" …" if len(unread) > choices.LIMIT else "")
            st.caption(f"{t('Columns not read, as the mapping does not use them')} ({len(unread)}): {plain(shown)}")
            st.caption(t("Mapping one of them reads the file again with every column."))
            st.button(t("Read every column"), key=f"every-{base}", on_click=read_every_column)
        st.caption(t("Preview of the sheet"))
        st.dataframe(safe_frame(_preview(frame, chosen)), hide_index=True, height=200, placeholder="—")  # what it shows is what its CSV gives
        if st.button(t("Apply mapping"), key=f"apply-{base}", type="primary"):
            st.session_state[S.K_MAPPING] = chosen
            st.session_state[S.K_SHEET] = sheet_name
            if set(chosen.values()) & set(unread):
                read_every_column()  # from the bytes the server keeps; the same file keeps this mapping
            st.rerun()


def _preview(frame, chosen: dict[str, str]):  # noqa: ANN001, ANN202 - pandas DataFrames
    """The sheet's first 8 rows in the columns chosen, then its first columns: at most choices.LIMIT of them."""
    if len(frame.columns) <= choices.LIMIT:
        return frame.head(8)
    first = [c for c in dict.fromkeys(chosen.values()) if c in frame.columns]
    at = [frame.columns.get_loc(c) for c in first]
    rest = [i for i in range(min(len(frame.columns), choices.LIMIT + len(at))) if i not in at]
    return frame.iloc[:8, (at + rest)[:choices.LIMIT]]


def _basis_choice() -> None:
    """The revenue basis radio. Its options are the shown text in the session's language (no ``format_func``, which
    AppTest cannot replay after a language switch); the basis itself is ``S.K_BASIS`` (a share link may set it), and
    the radio shows it."""
    labels = {b: t(BASIS_NAMES[b]).capitalize() for b in BASIS_NAMES}
    key = f"basis-{S.settings().lang}"
    st.session_state[key] = labels[st.session_state[S.K_BASIS]]

    def picked() -> None:
        st.session_state[S.K_BASIS] = {text: b for b, text in labels.items()}[st.session_state[key]]

    st.radio(t("Revenue"), list(labels.values()), key=key, on_change=picked,
             help=t("Order totals are what customers paid, tax and shipping included. Net sales leave tax and "
                    "shipping out (Shopify's definition); a refund counts in its order's proportion."))


LINK_DATES_MOVED = "The link's dates were outside the data; showing"


def link_window(dates: tuple | None, lo, hi) -> tuple[tuple, bool]:  # noqa: ANN001 - dates of the data
    """A link's window inside the data's [lo, hi], and whether it had to be moved: cut to the data where they
    overlap, the whole span where they do not (a window of one edge day would look like the data)."""
    if dates is None:
        return (lo, hi), False
    if dates[1] < lo or dates[0] > hi:
        return (lo, hi), True
    inside = (max(dates[0], lo), min(dates[1], hi))
    return inside, inside != tuple(dates)


def _dates_within(value: object, lo, hi) -> tuple:
    """The chosen date range, kept inside the data's [lo, hi]; the whole span when nothing valid is chosen.

    Switching to another sheet or mapping changes the data's dates; a range kept from the old data
    would make the date widget refuse to draw (StreamlitValueBelowMinError).
    """
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(v is not None for v in value):
        a, b = max(min(value[0], hi), lo), max(min(value[1], hi), lo)
        return (a, b) if a <= b else (lo, hi)
    if isinstance(value, (list, tuple)) and len(value) == 1 and value[0] is not None:
        return (max(min(value[0], hi), lo),)  # the user is halfway through picking a range
    return (lo, hi)


def filters_and_settings() -> None:
    try:
        key, ds = cache.current_dataset()
    except DataError:
        ds = None
    st.subheader(t("Filters"))
    if ds is not None:
        p = cache.prepared_dataset(key, ds)  # the data's first and last day: orders, guest orders and refunds
        lo, hi = p.data_start.date(), p.data_end.date()
        base = key.split(":")[0]
        dkey, ckey, span_key = S.filter_keys(base)
        pending: ViewState | None = st.session_state.pop(S.K_PENDING_VIEW, None)
        if pending is not None:  # a share link's window and channels, applied before the widgets exist
            st.session_state[dkey], moved = link_window(pending.dates, lo, hi)
            st.session_state[S.K_DATES_NOTE] = (dkey, st.session_state[dkey]) if moved else None
            st.session_state[ckey] = [c for c in pending.channels if c in ds.channels]
            st.session_state[S.K_CURRENCY_FOR] = base  # its currency came with it
        elif st.session_state.get(S.K_CURRENCY_FOR) != base:  # new data: the currency its file states (else ¥)
            st.session_state[S.K_CURRENCY_FOR] = base
            st.session_state[S.K_CURRENCY] = ds.report.currency or S.DEFAULT_CURRENCY
        if st.session_state.get(span_key) != (lo, hi):  # other data (sheet, mapping): its whole span, as on first load
            if span_key in st.session_state and pending is None:
                st.session_state[dkey] = (lo, hi)
            st.session_state[span_key] = (lo, hi)
        st.session_state[dkey] = _dates_within(st.session_state.get(dkey), lo, hi)
        if ckey in st.session_state:  # another sheet or mapping may not have the chosen channels
            st.session_state[ckey] = [c for c in st.session_state[ckey] if c in ds.channels]
        st.date_input(t("Date range"), min_value=lo, max_value=hi, key=dkey)
        note = st.session_state.get(S.K_DATES_NOTE)
        if note and note == (dkey, st.session_state.get(dkey)):  # said until the dates are changed
            lang = S.settings().lang
            st.warning(f"{t(LINK_DATES_MOVED)} {fmt_date(note[1][0], lang)} – {fmt_date(note[1][1], lang)}.")
        st.session_state[S.K_DATES] = st.session_state.get(dkey)
        st.multiselect(t("Channels"), ds.channels, key=ckey, placeholder=t("All channels"), format_func=strip_controls)
        st.session_state[S.K_CHANNELS] = st.session_state.get(ckey)
        pkey = f"platforms-{base}"
        if pending is not None:
            st.session_state[pkey] = [p for p in pending.platforms if p in ds.platforms]
        if len(ds.platforms) > 1:  # several files: the platform a customer was acquired on
            st.multiselect(t("Platforms"), ds.platforms, key=pkey, placeholder=t("All platforms"),
                           format_func=strip_controls)
        st.session_state[S.K_PLATFORMS] = [p for p in st.session_state.get(pkey) or [] if p in ds.platforms]
    st.subheader(t("Settings"))
    if ds is not None and has_net_sales(ds):  # the file maps a subtotal, tax or shipping column
        _basis_choice()
    st.text_input(t("Currency symbol"), key=S.K_CURRENCY, max_chars=5)
    if S.currency() != (st.session_state[S.K_CURRENCY] or "").strip():
        st.caption(f"{t(NOT_A_SYMBOL)} {S.currency()}")
    st.slider(t("Gross margin %"), 0, 100, key=S.K_MARGIN)
    st.radio(t("Language"), list(LANGS), format_func=lambda k: LANGS[k], key=S.K_LANG, horizontal=True)
