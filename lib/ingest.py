"""The single input boundary: a user's file in, canonical tables and a quality report out.

``load(source)`` does everything: vets the file, parses it in a resource-limited
child process, finds the orders (and spend) sheet, proposes a column mapping,
coerces types, turns line items into orders, separates refunds and counts
every dropped or changed row by reason. Any problem a person can fix raises
:class:`lib.errors.DataError` with one sentence for them.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

from lib import coerce
from lib.errors import DataError
from lib.safety import FileKind, vet_file
from lib.schema import NO_CHANNEL, ORDER_COLUMNS, REFUND_COLUMNS, SPEND_COLUMNS
from lib.synonyms import match_field

PARSE_TIMEOUT_S = float(os.environ.get("LTV_PARSE_TIMEOUT_S", "240"))
ORDER_ROLE_FIELDS = ("order_id", "customer_id", "order_date", "amount", "quantity", "unit_price",
                     "channel", "referrer_id", "status", "is_member")
SPEND_ROLE_FIELDS = ("channel", "month", "spend", "touches", "adds", "cost_per_touch")

Mapping = dict[str, str]


@dataclass
class RawSheet:
    """One sheet as read: columns as in the file, header row found."""

    name: str
    frame: pd.DataFrame
    header_row: int = 0


@dataclass
class Workbook:
    """All non-empty sheets of an uploaded file, before mapping."""

    kind: FileKind
    sheets: list[RawSheet]
    notes: list[str] = field(default_factory=list)

    def sheet(self, name: str) -> RawSheet:
        for s in self.sheets:
            if s.name == name:
                return s
        raise DataError(f"There is no sheet named '{name}'. Sheets: {', '.join(self.sheet_names)}.")

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]


@dataclass
class Issue:
    """Rows dropped or changed for one reason."""

    reason: str
    rows: int
    action: str  # "dropped", "changed", "kept as refund", "merged"
    amount: float = 0.0


@dataclass
class QualityReport:
    """What happened to the user's rows, by reason. Nothing is dropped silently."""

    rows_read: int = 0
    sheets_used: list[str] = field(default_factory=list)
    spend_sheet: str | None = None
    mapping: Mapping = field(default_factory=dict)
    spend_mapping: Mapping = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, reason: str, rows: int, action: str, amount: float = 0.0) -> None:
        if rows:
            self.issues.append(Issue(reason, int(rows), action, float(amount)))

    def table(self) -> pd.DataFrame:
        """Issues as a table: reason, rows, action, amount."""
        return pd.DataFrame(
            [(i.reason, i.rows, i.action, i.amount) for i in self.issues],
            columns=["reason", "rows", "action", "amount"],
        )

    def dropped(self) -> int:
        return sum(i.rows for i in self.issues if i.action == "dropped")


@dataclass
class Dataset:
    """Canonical tables of one upload, see :mod:`lib.schema`."""

    orders: pd.DataFrame
    refunds: pd.DataFrame
    spend: pd.DataFrame | None
    report: QualityReport
    sheet_names: list[str] = field(default_factory=list)

    @cached_property
    def channels(self) -> list[str]:
        """Distinct channels of the orders, sorted (computed once; the tables are not changed after loading)."""
        return sorted(self.orders["channel"].dropna().unique().tolist())


# --------------------------------------------------------------------------- reading


def read_workbook(source: bytes | str | Path | BinaryIO) -> Workbook:
    """Vet and parse a file into raw sheets, in a child process with limits.

    The kind (xlsx/xlsm, xls, csv, parquet) comes from the first bytes, never
    the name. A crash, hang or memory blow-up of the parser becomes a
    :class:`DataError`; the calling process is never at risk.
    """
    with tempfile.TemporaryDirectory(prefix="ltv-parse-") as tmp:
        path = Path(tmp) / "upload.bin"
        if isinstance(source, bytes):
            path.write_bytes(source)
        elif isinstance(source, (str, Path)):
            src = Path(source)
            if not src.is_file():
                raise DataError(f"File not found: {src}")
            path = src
        else:
            source.seek(0)
            path.write_bytes(source.read())
        with open(path, "rb") as fh:
            kind, vet = vet_file(fh)
        out = Path(tmp) / "out"
        out.mkdir()
        meta = _run_worker(path, kind, out)
        sheets = []
        for s in meta["sheets"]:
            with pa.memory_map(str(out / s["file"])) as source:  # zero-copy read of the child's Arrow file
                frame = ipc.open_file(source).read_all().to_pandas()
            sheets.append(RawSheet(s["name"], frame, s.get("header_row", 0)))
        notes = list(vet.notes)
        if meta["sheets"] and meta["sheets"][0].get("encoding"):
            notes.append(f"Text encoding: {meta['sheets'][0]['encoding']}; separator: "
                         f"{meta['sheets'][0]['separator']!r}.")
    if not sheets or all(len(s.frame) == 0 for s in sheets):
        raise DataError("The file has no data: every sheet is empty.")
    return Workbook(kind, [s for s in sheets if len(s.frame.columns)], notes)


def _run_worker(path: Path, kind: FileKind, out: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "lib._worker", str(path), kind, str(out)],
            capture_output=True, timeout=PARSE_TIMEOUT_S, env=env, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise DataError("Reading the file took too long and was stopped. Is it unusually large or damaged?") from exc
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    if meta.get("error") and meta["error"] != "memory":
        raise DataError(meta["error"])
    if proc.returncode != 0 or "sheets" not in meta:
        raise DataError(
            "The file could not be read: it is damaged, or far larger inside than a normal spreadsheet "
            "(the reader ran out of memory or time). Save it again in Excel and upload the new copy."
        )
    return meta


# --------------------------------------------------------------------------- mapping


def propose_mapping(frame: pd.DataFrame, fields: tuple[str, ...] = ORDER_ROLE_FIELDS) -> Mapping:
    """Field -> source column, from column-name synonyms (English, 中文, 日本語).

    The first column matching a field wins; each column serves one field.
    """
    mapping: Mapping = {}
    for col in frame.columns:
        f = match_field(str(col))
        if f in fields and f not in mapping:
            mapping[f] = str(col)
    return mapping


def _is_orders(m: Mapping) -> bool:
    return "customer_id" in m and "order_date" in m and ("amount" in m or {"quantity", "unit_price"} <= m.keys())


def _is_spend(m: Mapping, frame: pd.DataFrame) -> bool:
    om = propose_mapping(frame)
    return "channel" in m and ("spend" in m or "cost_per_touch" in m) and "customer_id" not in om


def classify_sheets(wb: Workbook) -> tuple[list[str], str | None]:
    """Names of the orders sheet(s) and the spend sheet, guessed from their columns.

    Sheets with the same columns as the largest orders sheet (one sheet a year)
    are all used, in workbook order.
    """
    orders = [s for s in wb.sheets if _is_orders(propose_mapping(s.frame))]
    spend = next((s.name for s in wb.sheets if _is_spend(propose_mapping(s.frame, SPEND_ROLE_FIELDS), s.frame)), None)
    if not orders:
        return [], spend
    main = max(orders, key=lambda s: len(s.frame))
    cols = [str(c).strip().lower() for c in main.frame.columns]
    same = [s.name for s in orders if [str(c).strip().lower() for c in s.frame.columns] == cols]
    return same, spend


def _combine(wb: Workbook, names: list[str]) -> pd.DataFrame:
    frames = [wb.sheet(n).frame for n in names]
    if len(frames) == 1:
        return frames[0]
    base = list(frames[0].columns)
    return pd.concat([f.set_axis(base, axis=1) for f in frames], ignore_index=True)


# --------------------------------------------------------------------------- cleaning


def _missing_fields_message(mapping: Mapping, frame: pd.DataFrame) -> str | None:
    need = []
    if "customer_id" not in mapping:
        need.append("customer")
    if "order_date" not in mapping:
        need.append("order date")
    if "amount" not in mapping and not {"quantity", "unit_price"} <= mapping.keys():
        need.append("amount (or quantity and unit price)")
    if not need:
        return None
    cols = ", ".join(str(c) for c in list(frame.columns)[:20])
    return f"No {' / '.join(need)} column found. Columns in the file: {cols}. Choose the right columns in the mapping."


def _blank_rows(df: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is empty or whitespace.

    Cheap checks first: a row with any number or date is not blank, and text
    columns are stripped only on the rows still in doubt (usually none after
    the first full column), so a million rows cost little.
    """
    cand = np.ones(len(df), dtype=bool)
    text_cols = []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_bool_dtype(s):
            cand &= s.isna().to_numpy()
        else:
            text_cols.append(col)
    for col in sorted(text_cols, key=lambda c: int(df[c].isna().sum())):  # fullest column first
        if not cand.any():
            break
        s = df[col]
        check = cand & s.notna().to_numpy()
        if check.any():
            filled = s[check].astype("string").str.strip().fillna("").ne("").to_numpy()
            cand[np.flatnonzero(check)[filled]] = False
    return pd.Series(cand, index=df.index)


def _duplicate_rows(df: pd.DataFrame, ids_unique: bool) -> pd.Series:
    """Exact duplicate rows after the first (like ``df.duplicated()``).

    When the order ids are complete and unique (``ids_unique``), no two rows
    can be equal, and the costly full-row comparison is skipped.
    """
    if ids_unique:
        return pd.Series(False, index=df.index)
    return df.duplicated(keep="first")


def _unique_complete(ids: pd.Series) -> bool:
    if not ids.notna().all():
        return False
    return len(pd.factorize(ids)[1]) == len(ids)  # factorize: about half the time of is_unique on arrow strings


def clean_orders(raw: pd.DataFrame, mapping: Mapping, report: QualityReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical orders and refunds from a raw orders sheet and a field mapping.

    Steps, each counted in ``report``: blank rows and exact duplicate rows
    dropped; ids, dates and amounts coerced; rows without a readable date or
    amount, or without a customer, dropped; negative amounts and cancelled
    invoices ("C" + number) kept as refunds; rows whose status says cancelled
    or refunded kept as cancelled (not orders, not revenue); line items summed
    per order id (amount = Σ quantity × unit price).
    """
    msg = _missing_fields_message(mapping, raw)
    if msg:
        raise DataError(msg)
    for f, col in mapping.items():
        if col not in raw.columns:
            raise DataError(f"The mapping points {f} to a column '{col}' that the sheet does not have.")
    df = raw
    blank = _blank_rows(df)
    report.add("blank row", int(blank.sum()), "dropped")
    df = df.loc[~blank]
    raw_ids_unique = "order_id" in mapping and _unique_complete(raw[mapping["order_id"]])
    dup = _duplicate_rows(df, raw_ids_unique)
    report.add("exact duplicate row", int(dup.sum()), "dropped")
    df = df.loc[~dup]

    out = pd.DataFrame(index=df.index)
    order_id = coerce.to_text_id(df[mapping["order_id"]]) if "order_id" in mapping else None
    cust = coerce.to_text_id(df[mapping["customer_id"]])
    report.add("customer id read as a number (12417.0 → 12417)", cust.changed, "changed")
    out["customer_id"] = cust.values
    dates = coerce.to_datetime(df[mapping["order_date"]])
    report.add("date given as an Excel serial number", dates.changed, "changed")
    out["order_date"] = dates.values
    if {"quantity", "unit_price"} <= mapping.keys():
        qty = coerce.to_money(df[mapping["quantity"]])
        price = coerce.to_money(df[mapping["unit_price"]])
        amount = qty.values * price.values
        if "amount" in mapping:
            given = coerce.to_money(df[mapping["amount"]]).values
            amount = amount.where(amount.notna(), given)
        report.add("amount computed as quantity × unit price", int(amount.notna().sum()), "changed")
    else:
        money = coerce.to_money(df[mapping["amount"]])
        report.add("amount written as text with symbols or separators", money.changed, "changed")
        amount = money.values
    out["amount"] = amount
    if order_id is not None:
        report.add("order id read as a number (12417.0 → 12417)", order_id.changed, "changed")
        oid = order_id.values
    else:
        oid = pd.Series(pd.NA, index=df.index, dtype="string")
    missing_oid = oid.isna()
    if missing_oid.any():
        oid = oid.copy()
        oid[missing_oid] = ("row-" + pd.Series(np.arange(len(df)), index=df.index).astype("string"))[missing_oid]
        if "order_id" in mapping:
            report.add("order id missing (each such row is its own order)", int(missing_oid.sum()), "changed")
    out["order_id"] = oid
    if "channel" in mapping:
        ch = df[mapping["channel"]].astype("string").str.strip()
        ch = ch.mask(ch.isin(["", "nan", "None"]), pd.NA)
        report.add("channel missing (shown as “(none)”)", int(ch.isna().sum()), "changed")
        out["channel"] = ch.fillna(NO_CHANNEL)
    else:
        out["channel"] = NO_CHANNEL
    out["channel"] = out["channel"].astype("string")
    if "referrer_id" in mapping:
        out["referrer_id"] = coerce.to_text_id(df[mapping["referrer_id"]]).values
    else:
        out["referrer_id"] = pd.Series(pd.NA, index=df.index, dtype="string")
    if "is_member" in mapping:
        flag = coerce.to_flag(df[mapping["is_member"]])
        report.add("member flag not recognised (read as no)", flag.changed, "changed")
        out["is_member"] = flag.values
    else:
        out["is_member"] = False
    cancelled = coerce.is_cancelled_status(df[mapping["status"]]) if "status" in mapping else pd.Series(False, index=df.index)

    bad_date = out["order_date"].isna()
    report.add("date missing or unreadable", int(bad_date.sum()), "dropped", float(out.loc[bad_date, "amount"].abs().sum()))
    bad_amount = ~bad_date & out["amount"].isna()
    report.add("amount missing or unreadable", int(bad_amount.sum()), "dropped")
    no_cust = ~bad_date & ~bad_amount & out["customer_id"].isna()
    report.add("customer id missing", int(no_cust.sum()), "dropped", float(out.loc[no_cust, "amount"].abs().sum()))
    out = out.loc[~(bad_date | bad_amount | no_cust)]
    cancelled = cancelled.loc[out.index]

    numeric_ids = out["order_id"].str.fullmatch(r"\d+").mean() >= 0.5 if len(out) else False
    c_invoice = out["order_id"].str.fullmatch(r"[Cc]\d+") if numeric_ids else pd.Series(False, index=out.index)
    c_invoice = c_invoice.fillna(False).astype(bool)
    negative = out["amount"] < 0
    refund_rows = (negative | c_invoice) & ~cancelled
    report.add("refund (negative amount or cancelled invoice)", int(refund_rows.sum()), "kept as refund",
               float(out.loc[refund_rows, "amount"].abs().sum()))
    report.add("cancelled or refunded order (status column)", int(cancelled.sum()), "kept as cancelled",
               float(out.loc[cancelled, "amount"].abs().sum()))
    kept_apart = out.loc[refund_rows | cancelled]
    refunds = pd.DataFrame({
        "order_id": kept_apart["order_id"], "customer_id": kept_apart["customer_id"], "refund_date": kept_apart["order_date"],
        "amount": kept_apart["amount"].abs(), "kind": np.where(cancelled.loc[kept_apart.index], "cancelled", "refund"),
    })
    purchases = out.loc[~(refund_rows | cancelled)]

    # ids unique and complete in the sheet, and not rewritten (12417.0 -> 12417), are unique orders
    ids_unique = order_id is not None and order_id.changed == 0 and raw_ids_unique
    orders = _lines_to_orders(purchases, report, ids_unique=ids_unique)
    # by date, keeping the file's order within a day (a stable sort; ids are not sorted, that is slow)
    orders = orders[list(ORDER_COLUMNS)]
    if not orders["order_date"].is_monotonic_increasing:
        orders = orders.sort_values("order_date", kind="stable")
    orders = orders.reset_index(drop=True)
    refunds = refunds[list(REFUND_COLUMNS)].sort_values("refund_date", kind="stable").reset_index(drop=True)
    refunds["kind"] = refunds["kind"].astype("string")
    if orders.empty:
        raise DataError("No orders are left after cleaning: every row was blank, a refund, or lacked a date, "
                        "amount or customer. See the mapping and the data quality report.")
    return orders, refunds


def _lines_to_orders(lines: pd.DataFrame, report: QualityReport, ids_unique: bool = False) -> pd.DataFrame:
    if ids_unique or lines["order_id"].is_unique:
        return lines.reset_index(drop=True)
    g = lines.groupby("order_id", sort=False, observed=True)
    multi_customer = g["customer_id"].nunique() > 1
    if multi_customer.any():
        report.add("order id used by several customers (first customer kept)",
                   int(lines["order_id"].isin(multi_customer[multi_customer].index).sum()), "changed")
    orders = g.agg(
        customer_id=("customer_id", "first"), order_date=("order_date", "min"), amount=("amount", "sum"),
        channel=("channel", "first"), referrer_id=("referrer_id", "first"), is_member=("is_member", "max"),
    ).reset_index()
    report.add("line items merged into their orders", int(len(lines) - len(orders)), "merged")
    for col in ("order_id", "customer_id", "channel", "referrer_id"):
        orders[col] = orders[col].astype("string")
    orders["is_member"] = orders["is_member"].astype(bool)
    return orders


def clean_spend(raw: pd.DataFrame, mapping: Mapping, report: QualityReport) -> pd.DataFrame:
    """Canonical spend: channel, month, spend, touches, adds (sums per channel and month).

    Spend may be given directly or as cost per touch × touches. Rows without a
    channel or month, or without any spend, are dropped and counted.
    """
    if "channel" not in mapping or "month" not in mapping or not ({"spend"} & mapping.keys() or
                                                                 {"cost_per_touch", "touches"} <= mapping.keys()):
        raise DataError("The spend sheet needs a channel, a month (or date) and a spend column "
                        "(or cost per touch and touches).")
    out = pd.DataFrame(index=raw.index)
    out["channel"] = raw[mapping["channel"]].astype("string").str.strip()
    out["month"] = coerce.month_start(raw[mapping["month"]]).values
    touches = coerce.to_money(raw[mapping["touches"]]).values if "touches" in mapping else pd.Series(np.nan, index=raw.index)
    adds = coerce.to_money(raw[mapping["adds"]]).values if "adds" in mapping else pd.Series(np.nan, index=raw.index)
    spend = coerce.to_money(raw[mapping["spend"]]).values if "spend" in mapping else pd.Series(np.nan, index=raw.index)
    if "cost_per_touch" in mapping:
        cpt = coerce.to_money(raw[mapping["cost_per_touch"]]).values
        derived = cpt * touches
        report.add("spend computed as cost per touch × touches", int((spend.isna() & derived.notna()).sum()), "changed")
        spend = spend.where(spend.notna(), derived)
    out["spend"], out["touches"], out["adds"] = spend, touches, adds
    bad = out["channel"].isna() | (out["channel"] == "") | out["month"].isna() | out["spend"].isna()
    report.add("spend row without channel, month or spend", int(bad.sum()), "dropped")
    out = out.loc[~bad]
    neg = out["spend"] < 0
    report.add("negative spend", int(neg.sum()), "dropped")
    out = out.loc[~neg]
    spend_t = (out.groupby(["channel", "month"], as_index=False, sort=True)
               .agg(spend=("spend", "sum"), touches=("touches", lambda s: s.sum(min_count=1)),
                    adds=("adds", lambda s: s.sum(min_count=1))))
    spend_t["channel"] = spend_t["channel"].astype("string")
    return spend_t[list(SPEND_COLUMNS)]


# --------------------------------------------------------------------------- the whole pipeline


def build_dataset(
    wb: Workbook,
    sheet: str | list[str] | None = None,
    mapping: Mapping | None = None,
    spend_sheet: str | None = None,
    spend_mapping: Mapping | None = None,
) -> Dataset:
    """Canonical dataset from parsed sheets; ``None`` arguments are guessed.

    ``spend_sheet=""`` means "no spend sheet".
    """
    guess_orders, guess_spend = classify_sheets(wb)
    if sheet is None:
        names = guess_orders or [wb.sheets[0].name]
    else:
        names = [sheet] if isinstance(sheet, str) else list(sheet)
    for n in names:
        wb.sheet(n)
    raw = _combine(wb, names)
    report = QualityReport(rows_read=len(raw), sheets_used=names, notes=list(wb.notes))
    if len(names) > 1:
        report.notes.append(f"Sheets {', '.join(names)} have the same columns and were combined.")
    if raw.empty:
        raise DataError(f"Sheet '{names[0]}' is empty.")
    mapping = dict(mapping) if mapping is not None else propose_mapping(raw)
    report.mapping = mapping
    orders, refunds = clean_orders(raw, mapping, report)
    spend = None
    if spend_sheet is None:
        spend_sheet = guess_spend if guess_spend not in names else None
    if spend_sheet:
        sraw = wb.sheet(spend_sheet).frame
        smap = dict(spend_mapping) if spend_mapping is not None else propose_mapping(sraw, SPEND_ROLE_FIELDS)
        report.spend_sheet = spend_sheet
        report.spend_mapping = smap
        spend = clean_spend(sraw, smap, report)
    return Dataset(orders, refunds, spend, report, wb.sheet_names)


def load(
    source: bytes | str | Path | BinaryIO,
    sheet: str | list[str] | None = None,
    mapping: Mapping | None = None,
    spend_sheet: str | None = None,
    spend_mapping: Mapping | None = None,
    spend_source: bytes | str | Path | BinaryIO | None = None,
) -> Dataset:
    """Read a file and return its canonical :class:`Dataset`.

    ``spend_source`` is an optional second file holding the spend table.
    """
    wb = read_workbook(source)
    if spend_source is not None:
        swb = read_workbook(spend_source)
        first = swb.sheets[0]
        wb.sheets.append(RawSheet(f"{first.name} (spend file)", first.frame, first.header_row))
        spend_sheet = spend_sheet or f"{first.name} (spend file)"
    return build_dataset(wb, sheet, mapping, spend_sheet, spend_mapping)
