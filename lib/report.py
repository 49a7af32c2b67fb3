"""Exports: CSV and Excel for any table, and the one-file Excel report.

Text cells that start with = + - @, a tab or a carriage return are
neutralised against formula injection (OWASP "CSV injection"): in CSV they
get a leading apostrophe; in Excel they are written as plain text cells
that can never become formulas (and also get the apostrophe, so a copy of
the sheet pasted elsewhere stays inert). Numbers stay numbers.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.utils import get_column_letter

from lib import tables as T
from lib.filters import Filters, View, apply_filters
from lib.ingest import Dataset
from lib.metrics import DEFAULT_MARGIN, overview, window_rows
from lib.referrals import referral_forest, top_referrers

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a text value that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _text_safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s)):
            out[col] = s.map(neutralise, na_action="ignore")
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with BOM (so Excel opens Chinese text correctly), formulas neutralised."""
    return _text_safe(df).to_csv(index=False).encode("utf-8-sig")


def _write_sheet(wb: Workbook, name: str, df: pd.DataFrame) -> None:
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
    for i, col in enumerate(safe.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(40, max(10, len(str(col)) + 2))
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


def excel_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An .xlsx with one sheet per table (sheet name -> table), formulas neutralised."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        _write_sheet(wb, name, df)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report_tables(ds: Dataset, margin: float = DEFAULT_MARGIN, view: View | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the report: overview, cohorts, LTV, CAC, referrals, ladder, data quality."""
    view = view or apply_filters(ds, Filters())
    forest = referral_forest(view.everyone)
    k = overview(view, margin=margin, forest=forest)
    curves = T.ltv_by(view, "channel")
    return {
        "Overview": pd.DataFrame({"metric": list(k.keys()), "value": [str(v) if isinstance(v, str) else v for v in k.values()]}),
        "Cohorts": T.cohort_heatmap(view),
        "LTV by channel": curves,
        "CAC by channel": T.cac_table(view, margin, curves),
        "Top referrers": top_referrers(forest, 100, window_rows(view)),
        "Referral issues": forest.issues,
        "Value ladder": T.ladder(view, forest=forest)[0],
        "Data quality": ds.report.table(),
    }


def write_report(ds: Dataset, path: str | Path, margin: float = DEFAULT_MARGIN, view: View | None = None) -> None:
    """Write :func:`report_tables` (of ``view``, default: no filters) to one .xlsx file at ``path``."""
    Path(path).write_bytes(excel_bytes(report_tables(ds, margin, view)))
