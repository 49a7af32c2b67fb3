"""What the sidebar's sheet and column pickers offer from a workbook, bounded.

A workbook of 2,400 sheets or a sheet of 16,000 columns would otherwise be two selectboxes of 2,400 options, or a
mapping editor of 22 selectboxes of 16,000 options each (352,000 options built and sent to the browser on every
rerun of every page). A picker offers at most :data:`LIMIT` names: the current choice, then the names that look
like what it picks (orders sheets, spend sheets) and then the others in workbook order; a search box finds the
rest. The orders of the names are made once per workbook (by its key), the matches once per search.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from lib.schema import Proposal, RawSheet, Workbook

LIMIT = 50  # names a picker offers at most (its search box finds the others)


def _looks_like_orders(mapping: dict) -> bool:
    return "order_date" in mapping and ("amount" in mapping or {"quantity", "unit_price"} <= mapping.keys())


@st.cache_resource(max_entries=8, show_spinner=False)
def sheet_orders(key: str, _wb: Workbook, _proposal: Proposal) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The workbook's sheet names as the orders picker offers them (the proposal's orders sheets, then sheets that
    look like orders, then the rest) and as the spend picker does (the proposed spend sheet, then sheets that look
    like spend, then the rest); ``key`` names the workbook (:func:`ui.cache.workbook_key`)."""
    sheets, names = _proposal.sheets, _wb.sheet_names
    orders = [*_proposal.orders_sheets, *(n for n in names if _looks_like_orders(sheets[n].orders)), *names]
    spend = [*([_proposal.spend_sheet] if _proposal.spend_sheet else []), *(n for n in names if sheets[n].spend), *names]
    return tuple(dict.fromkeys(orders)), tuple(dict.fromkeys(spend))


@st.cache_resource(max_entries=16, show_spinner=False)
def column_names(key: str, _sheet: RawSheet) -> tuple[str, ...]:
    """A sheet's column names as the mapping editor offers them: those read, then those not read (``key`` names the
    workbook and the sheet)."""
    return tuple(dict.fromkeys([*(str(c) for c in _sheet.frame.columns), *_sheet.unread]))


@st.cache_resource(max_entries=64, show_spinner=False)
def _matches(key: str, query: str, limit: int, _ordered: Sequence[str]) -> tuple[str, ...]:
    q = query.casefold()
    out: list[str] = []
    for name in _ordered:
        if q in name.casefold():
            out.append(name)
            if len(out) == limit:
                break
    return tuple(out)


@st.cache_resource(max_entries=16, show_spinner=False)
def _members(key: str, _ordered: Sequence[str]) -> frozenset[str]:
    return frozenset(_ordered)


@dataclass(frozen=True)
class Offer:
    """What a search of names finds (``found``, at most :data:`LIMIT`, in the names' order) and every name."""

    found: tuple[str, ...]
    members: frozenset[str]

    def options(self, *keep: object) -> list[str]:
        """At most :data:`LIMIT` names: those of ``keep`` that are names (a picker's current choice stays on offer
        whatever is searched), then those found."""
        kept = [k for k in dict.fromkeys(keep) if isinstance(k, str) and k in self.members]
        return list(dict.fromkeys([*kept, *self.found]))[:max(LIMIT, len(kept))]


def offer(key: str, ordered: Sequence[str], query: str) -> Offer:
    """The names of ``ordered`` that contain ``query`` (any case; all when blank), the first :data:`LIMIT` of them.

    ``key`` says what ``ordered`` is (workbook, sheet, picker): one search is made once, whatever the reruns."""
    return Offer(_matches(key, (query or "").strip(), LIMIT, ordered), _members(key, ordered))
