"""Clean: sheets + mapping into a :class:`lib.schema.Dataset` and its quality report.

``load(source)`` does everything: reads the file (:mod:`lib.read`), finds the orders (and
spend) sheet, proposes a column mapping (:mod:`lib.mapping`), then cleans. Any problem a
person can fix raises :class:`lib.errors.DataError` with one sentence for them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from lib import coerce
from lib.clean.lines import lines_from_other_sheet
from lib.clean.orders import clean_orders
from lib.clean.spend import clean_spend
from lib.errors import DataError
from lib.mapping import RULES, combined, implausible, implausible_message, missing_fields_message, propose, proposed_order_mapping
from lib.mapping.profiles import profile_by_key, profile_mapping
from lib.read import read_workbook
from lib.schema import Dataset, Mapping, Proposal, QualityReport, RawSheet, Workbook


@contextmanager
def _boundary(what: str) -> Iterator[None]:
    """Nothing but a :class:`DataError` leaves the input boundary.

    Cleaning is written to raise ``DataError`` for every problem it knows; a
    column so odd that pandas or numpy trips on it anyway is reported the same
    way, naming the sheet, instead of a traceback.
    """
    try:
        yield
    except DataError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError, ArithmeticError) as exc:
        raise DataError(f"Some values in {what} could not be read as the mapping says ({type(exc).__name__}: "
                        f"{str(exc)[:200]}). Check the column mapping.") from exc


def build_dataset(
    wb: Workbook,
    sheet: str | list[str] | None = None,
    mapping: Mapping | None = None,
    spend_sheet: str | None = None,
    spend_mapping: Mapping | None = None,
    proposal: Proposal | None = None,
) -> Dataset:
    """Canonical dataset from parsed sheets; ``None`` arguments are taken from the proposal.

    ``proposal`` is :func:`lib.mapping.propose` of ``wb`` (made here when not
    given; the UI keeps it per upload). ``spend_sheet=""`` means "no spend sheet".
    """
    proposal = proposal if proposal is not None else propose(wb)
    if sheet is None:
        names = list(proposal.orders_sheets)
    else:
        names = [sheet] if isinstance(sheet, str) else list(sheet)
    for n in names:
        wb.sheet(n)
    raw = combined(wb, names)
    sheet_of = np.repeat(np.arange(len(names)), [len(wb.sheet(n).frame) for n in names])  # by position in raw
    report = QualityReport(rows_read=len(raw), sheets_used=names, notes=list(wb.notes))
    unread = wb.sheet(names[0]).unread
    if mapping is not None and any(c in unread for c in mapping.values()):
        raise DataError("A column in the mapping was not read, as no rule maps it: choose 'Read every column' under the "
                        "column mapping, then map it again.")
    if unread:
        shown = ", ".join(unread[:12]) + (" …" if len(unread) > 12 else "")
        report.notes.append(f"{len(unread)} columns the mapping does not use were not read: {shown}.")
    if len(names) > 1:
        report.notes.append(f"Sheets {', '.join(names)} have the same columns and were combined.")
    if raw.empty:
        raise DataError(f"Sheet '{names[0]}' is empty.")
    mapping = dict(mapping) if mapping is not None else proposed_order_mapping(proposal, wb, names)
    report.mapping = mapping
    profile_key = proposal.sheets[names[0]].profile  # the combined sheets have the first one's columns
    profile = profile_by_key(profile_key) if profile_key is not None else None
    order_level: tuple[str, ...] = ()
    if profile is not None:
        report.platform = profile.name
        report.notes.insert(0, f"Recognised: {profile.name}.")
        if profile.needs and missing_fields_message(mapping, raw):
            raise DataError(profile.needs)
        # the profile's order-level fields hold where the user kept the profile's column
        ours = profile_mapping(profile, [str(c) for c in raw.columns])
        order_level = tuple(f for f in profile.order_level if f in mapping and ours.get(f) == mapping[f])
    report.currency = coerce.detect_currency(raw, mapping.get("amount")) or (profile.currency if profile is not None else None)
    if report.currency is None and (by_country := coerce.currency_by_country(raw)) is not None:
        report.currency = by_country.symbol
        report.notes.append(f"Currency {by_country.symbol.strip()}: the country of {by_country.share:.0%} of the rows "
                            f"('{by_country.column}': {by_country.country}).")
    odd = implausible(raw, mapping)
    if odd:
        report.notes.append(implausible_message(odd))
    with _boundary("the orders sheet"):
        try:
            cleaned = clean_orders(raw, mapping, report, order_level, sheet_of)
        except DataError as err:
            if odd:  # "no orders are left" because of a column that cannot be what it is mapped as: name it
                raise DataError(f"{implausible_message(odd)} {err}") from None
            raise
    orders, refunds, lines = cleaned.orders, cleaned.refunds, cleaned.lines
    report.customer_level = cleaned.customer_level
    report.order_level = sorted(cleaned.order_level)
    # a sheet of its own for the lines (Taobao 千牛: 销售明细 beside 订单报表) beats a title column of the orders sheet
    other = lines_from_other_sheet(wb, names, orders, report) if len(wb.sheets) > len(names) else None
    lines = other if other is not None else lines
    spend = None
    if spend_sheet is None:
        spend_sheet = proposal.spend_sheet if proposal.spend_sheet not in names else None
    if spend_sheet:
        sraw = wb.sheet(spend_sheet).frame
        smap = dict(spend_mapping) if spend_mapping is not None else dict(proposal.sheets[spend_sheet].spend)
        report.spend_sheet = spend_sheet
        report.spend_mapping = smap
        with _boundary(f"the spend sheet '{spend_sheet}'"):
            spend = clean_spend(sraw, smap, report)
    return Dataset(orders, refunds, spend, report, wb.sheet_names, lines, cleaned.contacts, cleaned.guests)


def load_many(sources: list[str | Path], link: bool = True, read: Callable[..., Workbook] = read_workbook) -> Dataset:
    """Several files of one shop as one dataset (:func:`lib.clean.many.combine`: overlaps counted once, the same
    person on two platforms one customer when ``link``); each file read and cleaned on its own, as many at once as
    the machine has cores (each parse child takes one of ``LTV_PARSE_SLOTS``). A file that cannot be read raises
    :class:`DataError` naming it."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from lib.clean.many import combine

    def one(source: str | Path) -> tuple[str, Dataset]:
        name = Path(source).name
        try:
            return name, load(source, read=read)
        except DataError as err:
            raise DataError(f"{name}: {err}") from None

    with ThreadPoolExecutor(max_workers=max(1, min(len(sources), os.cpu_count() or 1))) as pool:
        parts = list(pool.map(one, sources))  # in the given order
    return combine(parts, link=link)


def load(
    source: bytes | str | Path | BinaryIO,
    sheet: str | list[str] | None = None,
    mapping: Mapping | None = None,
    spend_sheet: str | None = None,
    spend_mapping: Mapping | None = None,
    spend_source: bytes | str | Path | BinaryIO | None = None,
    read: Callable[..., Workbook] = read_workbook,
) -> Dataset:
    """Read a file and return its canonical :class:`Dataset`.

    ``spend_source`` is an optional second file holding the spend table. ``read`` reads the files:
    :func:`lib.read.read_workbook` (a parse child with limits); tests of cleaning and figures pass
    :func:`lib.read.read_here` (the same reading in this process, never for an upload).
    """
    wb = read(source, RULES)
    asked = set((mapping or {}).values()) | set((spend_mapping or {}).values())
    if asked & {c for s in wb.sheets for c in s.unread}:  # the mapping names a column no rule would have kept
        wb = read(source, RULES, every_column=True)
    if spend_source is not None:
        swb = read(spend_source, RULES)
        first = swb.sheets[0]
        wb.sheets.append(RawSheet(f"{first.name} (spend file)", first.frame, first.header_row))
        spend_sheet = spend_sheet or f"{first.name} (spend file)"
    return build_dataset(wb, sheet, mapping, spend_sheet, spend_mapping)
