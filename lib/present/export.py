"""Exports: CSV and Excel for any table, and the one-file Excel report.

Text cells that start with = + - @, a tab or a carriage return are
neutralised against formula injection (OWASP "CSV injection"): in CSV they
get a leading apostrophe; in Excel they are written as plain text cells
that can never become formulas (and also get the apostrophe, so a copy of
the sheet pasted elsewhere stays inert). Numbers stay numbers.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter

from lib.i18n import translate
from lib.model import tables as T
from lib.model.backtest import Backtest, accuracy_sentence, accuracy_table
from lib.model.basis import basis_name
from lib.model.contacts import LISTS, contacts
from lib.model.metrics import DEFAULT_MARGIN, overview, window_rows
from lib.model.planner import solve_lever
from lib.model.products import journey
from lib.model.referrals import referral_forest, top_referrers
from lib.model.view import Filters, View, apply_filters
from lib.present.figures import FIGURES
from lib.present.labels import EXCEL_FORMATS, describe, present, unique_headers
from lib.schema import Dataset

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
# an international phone number: "+" then digits, spaces, dashes, brackets; nothing a formula can call, and a contact
# list's importer must get it as written
_PHONE_RE = re.compile(r"\+\d[\d \-()]{5,}")


def neutralise(value: object) -> object:
    """Prefix a text value that a spreadsheet would run as a formula with an apostrophe (a phone number such as
    "+86 138 0013 8000" is left as it is: it holds no letter, so no function)."""
    if isinstance(value, str) and value.startswith(DANGEROUS) and not _PHONE_RE.fullmatch(value):
        return "'" + value
    return value


def restore(value: object) -> object:
    """The value :func:`neutralise` was given (for text a person edited in a neutralised table)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(DANGEROUS):
        return value[1:]
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are :func:`neutralise`d (numbers, dates and flags untouched; headers kept)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s)):
            if isinstance(s.dtype, pd.CategoricalDtype):
                s = s.astype(object)
            out[col] = s.map(neutralise, na_action="ignore")
    return out


def _text_safe(df: pd.DataFrame) -> pd.DataFrame:
    out = neutralise_frame(df)
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with BOM (so Excel opens Chinese text correctly), formulas neutralised.

    Every text cell is quoted, so a value holding the separator of either
    Excel locale (``,`` or ``;``) stays one cell and cannot start a formula
    cell of its own.
    """
    return _text_safe(df).to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC).encode("utf-8-sig")


def _write_sheet(wb: Workbook, name: str, df: pd.DataFrame, kinds: Mapping[str, str] | None = None) -> None:
    ws = wb.create_sheet(name[:31])
    safe = _text_safe(df)
    ws.append([str(c) for c in safe.columns])
    for row in safe.itertuples(index=False, name=None):
        ws.append([_cell(v) for v in row])
    for cell in ws[1]:
        cell.data_type = TYPE_STRING
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING  # text is text, never a formula
    for i, col in enumerate(df.columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = min(40, max(10, len(str(col)) + 2))
        fmt = EXCEL_FORMATS.get((kinds or {}).get(str(col), ""))
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                if not isinstance(cell.value, str):
                    cell.number_format = fmt
    ws.freeze_panes = "A2"


def _cell(v: object) -> object:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if isinstance(v, np.generic):
        return v.item()
    return v


def excel_bytes(sheets: dict[str, pd.DataFrame], kinds: Mapping[str, Mapping[str, str]] | None = None) -> bytes:
    """An .xlsx with one sheet per table (sheet name -> table), formulas neutralised.

    ``kinds`` (sheet -> column -> kind of :mod:`lib.present.labels`) sets number
    formats: thousands separators, 2-decimal money, percentages, dates.
    """
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        _write_sheet(wb, name, df, (kinds or {}).get(name))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report_tables(ds: Dataset, margin: float = DEFAULT_MARGIN, view: View | None = None,
                  lang: str = "en") -> dict[str, pd.DataFrame]:
    """Every table the pages show, for the view's filters (default: none), with code column names.

    Overview figures, cohorts, N-day repurchase by cohort, contact rhythm, the
    order funnel, LTV and CAC by channel, predicted CLV (per customer and per
    RFM segment, when the models fit), the levers that double revenue, top
    referrers, referral problems, the value ladder, the product journey (when
    the file has products), each contact list (names and phones where the
    file has them), data quality (its reasons in ``lang``). The Overview sheet
    gives each figure as the page shows it and as a number.
    """
    view = view or apply_filters(ds, Filters())
    forest = referral_forest(view.everyone)
    k = overview(view, margin=margin, forest=forest).as_dict()
    curves = T.ltv_by(view, "channel")
    rep = T.repurchase(view)
    currency = ds.report.currency or ""
    out = {
        "Overview": pd.DataFrame({"metric": [FIGURES[key].label for key in k] + ["Revenue basis"],
                                  "value": [round(v, 6) if isinstance(v, float) else v for v in k.values()] + [ds.revenue_basis],
                                  "shown": [FIGURES[key].text(v, currency, lang) for key, v in k.items()]  # as the page says it
                                  + [translate(basis_name(ds), lang)]}),
        "Cohorts": T.cohort_heatmap(view),
        "Repurchase by cohort": rep.by_cohort,
        "Contact rhythm": rep.rhythm,
        "Order funnel": rep.funnel,
        "LTV by channel": curves,
        "CAC by channel": T.cac_table(view, margin, curves),
    }
    predicted = T.prediction(view)
    if not isinstance(predicted, str):
        out["Predicted CLV"] = predicted.customers.sort_values("clv", ascending=False)
        out["CLV by segment"] = predicted.by_segment
        if isinstance(predicted.accuracy, Backtest):  # how close the predictions came on the shop's last months
            out["Prediction accuracy"] = accuracy_table(predicted.accuracy).assign(
                forecast=lambda d: d["forecast"].map(lambda f: translate(f, lang)),
                said=[accuracy_sentence(predicted.accuracy, lang)] + [""] * 2)
    levers = (("All three levers equally", "all"), ("AOV alone", "aov"), ("Repurchase alone", "repurchase"), ("Sharing alone", "sharing"))
    out["Levers to double revenue"] = pd.DataFrame([{"lever": name, **solve_lever(2.0, k["k_factor"], solve_for=key)} for name, key in levers])
    out["Top referrers"] = top_referrers(forest, 100, window_rows(view))
    out["Referral issues"] = forest.issues
    out["Value ladder"] = T.ladder(view, forest=forest)[0]
    if ds.lines is not None:
        j = journey(view, ds.lines)
        out["Product journey"], out["Next product"] = j.first, j.next
    c = contacts(view, predicted if isinstance(predicted, str) else predicted.customers, forest, lang=lang,
                 currency=currency or "¥", reach=ds.contacts)
    out.update({LISTS[key]: c.lists[key] for key in LISTS})  # a sheet a contact list, named as on the page
    out["Data quality"] = ds.report.table(lang)
    return out


REPORT_COLUMNS: dict[str, tuple[str, str]] = {
    "lever": ("Lever", "text"), "value": ("Value", "plain"), "shown": ("As shown", "text"), "aov": ("AOV lift %", "pct"), "repurchase": ("Repurchase lift %", "pct"),
    "sharing": ("Sharing lift %", "pct"),
}


def report_bytes(ds: Dataset, margin: float = DEFAULT_MARGIN, view: View | None = None, lang: str = "en") -> bytes:
    """:func:`report_tables` as an .xlsx people read: human headers and sheet names in ``lang``, number formats."""
    sheets: dict[str, pd.DataFrame] = {}
    kinds: dict[str, dict[str, str]] = {}
    for name, table in report_tables(ds, margin, view, lang).items():
        sheet = translate(name, lang)[:31]
        sheets[sheet] = present(table, lang, REPORT_COLUMNS)
        cols = describe(table, lang, REPORT_COLUMNS)
        kinds[sheet] = {h: c.kind for h, c in zip(unique_headers(cols), cols)}
    return excel_bytes(sheets, kinds)


def write_report(ds: Dataset, path: str | Path, margin: float = DEFAULT_MARGIN, view: View | None = None,
                 lang: str = "en") -> None:
    """Write :func:`report_bytes` (of ``view``, default: no filters) to one .xlsx file at ``path``."""
    Path(path).write_bytes(report_bytes(ds, margin, view, lang))
