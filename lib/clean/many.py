"""One shop, many files: each file read and cleaned on its own, then combined into one dataset (issue #23).

A shop's history arrives in pieces (Taobao and Douyin export by time range; a private-domain shop sells
on a platform and in its own channel). :func:`combine` joins the datasets of several files:

* **Each order keeps its source**: the orders (and guest orders) get ``file`` and ``platform`` columns.
* **Overlaps counted once**: the same order (platform and order id) in two files — monthly exports that
  overlap by a day, a re-export — is kept from the first file only, and the quality report counts the
  others with their amount (``order_in_two_files``); a refund repeated that way likewise.
* **One person, one customer** (``link``, on by default): customers of different files that share a
  phone or an email (a contact column, or the customer id itself being one) are one customer, named by
  their id in the first file they appear in; the report says how many were linked and by which key.
  Otherwise ids are kept per platform (the same id on two platforms is two customers).
* **Masked platforms stay order-level for their part**: the orders of a file whose buyers are masked
  (Douyin) become guest orders: they count in the order totals, in no customer figure.
* Files stating different currencies are refused: their amounts cannot be added.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lib.errors import DataError
from lib.schema import Dataset, QualityReport

UNRECOGNISED = "(unrecognised)"
_NOT_DIGIT = r"\D"  # as text, not compiled: Arrow's string kernels take it (a compiled pattern runs in Python)


def _platform(ds: Dataset) -> str:
    return ds.report.platform or UNRECOGNISED


def _check_currencies(parts: Sequence[tuple[str, Dataset]]) -> str | None:
    """The one currency the files state (None when none does); DataError naming the files when they differ."""
    stated = {name: ds.report.currency.strip() for name, ds in parts if ds.report.currency}
    if len(set(stated.values())) > 1:
        listed = ", ".join(f"{n} ({c})" for n, c in stated.items())
        raise DataError(f"These files are in different currencies, so their amounts cannot be added: {listed}. "
                        "Upload the files of one currency together.")
    return next(iter(stated.values()), None)


def _arrow(values: pd.Series | pd.Index) -> pa.Array:
    """``values`` (text) as one Arrow string array (zero-copy for pandas' Arrow-backed strings)."""
    arr = pa.array(values.astype("string[pyarrow]"))
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return arr.cast(pa.large_string())


def _text(value: str) -> pa.Scalar:
    """A text constant of the arrays' type (Arrow's kernels do not mix string and large_string)."""
    return pa.scalar(value, pa.large_string())


@dataclass(frozen=True)
class IdMap:
    """One file's customer ids (``old``, distinct) and their combined ids (``new``, the same length)."""

    old: pa.Array
    new: pa.Array

    def apply(self, ids: pd.Series, keep_unknown: bool = False) -> pd.Series:
        """``ids`` renamed (Arrow hash lookups, not a pandas index per column); an id the map lacks becomes <NA>,
        or stays as it is with ``keep_unknown`` (a referrer who never bought)."""
        given = _arrow(ids)
        out = pc.take(self.new, pc.index_in(given, value_set=self.old))
        if keep_unknown:
            out = pc.coalesce(out, given)
        return pd.Series(pd.arrays.ArrowStringArray(out.cast(pa.large_string())), index=ids.index).astype("string")


def _person_keys(ds: Dataset, ids: pa.Array) -> pa.Array:
    """Per customer id of ``ds`` (``ids``, distinct): the key that names the person across files: "tel:<digits>" from
    a phone (a contact column, or the id itself), else "mail:<address>", else "" (no shared key)."""
    digits = pc.replace_substring_regex(ids, _NOT_DIGIT, "")
    length = pc.utf8_length(digits)
    is_phone = pc.and_(pc.and_(pc.greater_equal(length, 7), pc.less_equal(length, 15)),
                       pc.match_substring_regex(ids, r"^[\d +\-()]+$"))
    mail = pc.if_else(pc.match_substring(ids, "@"), pc.binary_join_element_wise(_text("mail:"), pc.utf8_lower(ids), _text("")),
                      _text(""))
    keys = pc.if_else(is_phone, pc.binary_join_element_wise(_text("tel:"), digits, _text("")), mail)
    if ds.contacts is not None:  # a phone or email written on the orders beats what the id looks like
        c = ds.contacts
        at = pc.index_in(ids, value_set=_arrow(c["customer_id"]))
        if "email" in c.columns:
            given = pc.utf8_lower(pc.utf8_trim_whitespace(pc.take(_arrow(c["email"]), at)))
            keys = pc.if_else(pc.fill_null(pc.match_substring(given, "@"), False),
                              pc.binary_join_element_wise(_text("mail:"), given, _text("")), keys)
        if "phone" in c.columns:
            tel = pc.replace_substring_regex(pc.take(_arrow(c["phone"]), at), _NOT_DIGIT, "")
            keys = pc.if_else(pc.fill_null(pc.greater_equal(pc.utf8_length(tel), 7), False),
                              pc.binary_join_element_wise(_text("tel:"), tel, _text("")), keys)
    return pc.fill_null(keys, _text(""))


def _id_maps(parts: Sequence[tuple[str, Dataset]], link: bool) -> tuple[list[IdMap | None], dict[str, int]]:
    """Per part, its :class:`IdMap` (None for a part that names no customers); and how many people were linked
    across files by each key kind.

    A person is a key (a phone, an email, else the platform and id); their combined id is their id in the first
    file they appear in; two people given one id (the same id on two platforms, not linked) get their platform
    in front of it."""
    named = [i for i, (_, ds) in enumerate(parts) if ds.customer_level]
    if not named:
        return [None] * len(parts), {"tel": 0, "mail": 0}
    olds, keys = [], []
    for i in named:
        ds = parts[i][1]
        old = pc.unique(_arrow(ds.orders["customer_id"]))
        own = pc.binary_join_element_wise(_text(f"id:{_platform(ds)}:"), old, _text(""))
        key = _person_keys(ds, old) if link else own
        olds.append(old)
        keys.append(pc.if_else(pc.equal(key, _text("")), own, key))
    platform, names = pd.factorize(pd.Series([_platform(parts[i][1]) for i in named]))
    row_platform = np.repeat(platform, [len(o) for o in olds])
    encoded = pa.concat_arrays(keys).dictionary_encode()  # codes in order of first appearance (rows in file order)
    person = encoded.indices.to_numpy()
    _, first = np.unique(person, return_index=True)
    cid = pc.take(pa.concat_arrays(olds), pa.array(first))  # each person's id in the first file they appear in
    again = cid.dictionary_encode().indices.to_numpy()
    clash = np.bincount(again)[again] > 1
    if clash.any():  # one id for two people: platform in front
        front = pa.array(np.asarray(names, dtype=object)[row_platform[first]], pa.large_string())
        cid = pc.if_else(pa.array(clash), pc.binary_join_element_wise(front, cid, _text(":")), cid)
    new = pc.take(cid, pa.array(person))
    pairs = np.unique(person.astype(np.int64) * len(names) + row_platform)
    on_many = np.bincount(pairs // len(names), minlength=len(encoded.dictionary)) > 1  # people on two platforms or more
    linked = {k: int((on_many & pc.starts_with(encoded.dictionary, f"{k}:").to_numpy(zero_copy_only=False)).sum())
              for k in ("tel", "mail")}
    maps: list[IdMap | None] = [None] * len(parts)
    at = 0
    for i, old in zip(named, olds):  # each part's rows are one run
        maps[i] = IdMap(old, new.slice(at, len(old)))
        at += len(old)
    return maps, linked


def _tag(frame: pd.DataFrame, name: str, ds: Dataset, part: int) -> pd.DataFrame:
    """``frame`` with its file's name and platform, and the file's place in the upload (``_part``, the identity of a
    file: two uploads may have one name)."""
    return frame.assign(file=name, platform=_platform(ds), _part=part)


def _part_tables(name: str, ds: Dataset, ids: IdMap | None, part: int, order_level: bool) -> dict[str, pd.DataFrame]:
    """One file's orders, guest orders, refunds and lines, tagged with the file and platform, ids combined
    (``order_level``: no file names customers, so each order stays its own customer as in one such file)."""
    orders, guests = ds.orders, ds.guests
    refunds = ds.refunds
    if order_level:
        pass
    elif ds.customer_level:
        assert ids is not None
        orders = orders.assign(customer_id=ids.apply(orders["customer_id"]),
                               referrer_id=ids.apply(orders["referrer_id"], keep_unknown=True))  # a referrer who never bought: as is
        refunds = refunds.assign(customer_id=ids.apply(refunds["customer_id"]))
    else:  # masked or absent buyers: this file's orders count in the order totals only
        guests = pd.concat([g for g in (orders, guests) if g is not None]).assign(customer_id=pd.NA)
        guests["customer_id"] = guests["customer_id"].astype("string")
        orders = orders.iloc[:0]
        refunds = refunds.assign(customer_id=pd.Series(pd.NA, index=refunds.index, dtype="string"))
    out = {"orders": _tag(orders, name, ds, part), "refunds": _tag(refunds, name, ds, part)}
    if guests is not None:
        out["guests"] = _tag(guests, name, ds, part)
    if ds.lines is not None:
        out["lines"] = ds.lines.assign(_part=part)
    return out


def _first_only(frame: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows kept: the first file's of each key, rows of later files repeating a key)."""
    repeat = frame.duplicated(keys, keep="first")
    return frame.loc[~repeat], frame.loc[repeat]


def combine(parts: Sequence[tuple[str, Dataset]], link: bool = True) -> Dataset:
    """One dataset of several files' datasets (``parts``: (file name, its dataset), in upload order); see the module
    docstring. A single part is returned as it is."""
    if len(parts) == 1:
        return parts[0][1]
    if not parts:
        raise DataError("No file to read.")
    currency = _check_currencies(parts)
    maps, linked = _id_maps(parts, link)
    order_level = not any(ds.customer_level for _, ds in parts)
    tables = [_part_tables(name, ds, m, i, order_level) for i, ((name, ds), m) in enumerate(zip(parts, maps))]

    def stack(what: str) -> pd.DataFrame | None:
        frames = [t[what] for t in tables if what in t and len(t[what])]
        return pd.concat(frames, ignore_index=True) if frames else None

    report = _combined_report(parts, currency, linked, link)
    every = stack("orders")
    guests = stack("guests")
    orders, orders_again = _first_only(every if every is not None else tables[0]["orders"], ["platform", "order_id"])
    if guests is not None:
        guests, guests_again = _first_only(guests, ["platform", "order_id"])
        orders_again = pd.concat([orders_again, guests_again])
    _count_again(report, "order_in_two_files", orders_again)
    all_refunds = stack("refunds")
    refunds, refunds_again = _first_only(all_refunds if all_refunds is not None else tables[0]["refunds"],
                                         ["platform", "order_id", "kind", "refund_date", "amount"])
    _count_again(report, "refund_in_two_files", refunds_again)
    lines = stack("lines")
    if lines is not None:  # the lines of the orders kept, from the file they were kept from
        kept = pd.concat([orders[["_part", "order_id"]]] + ([guests[["_part", "order_id"]]] if guests is not None else []))
        lines = lines.merge(kept.drop_duplicates(), on=["_part", "order_id"], how="inner").drop(columns="_part")
    orders, refunds = orders.drop(columns="_part"), refunds.drop(columns="_part")
    guests = None if guests is None else guests.drop(columns="_part")
    return Dataset(_by_date(_same_columns(orders, parts), "order_date"), _by_date(refunds, "refund_date"), _spend(parts),
                   report, [f"{name}: {s}" for name, ds in parts for s in ds.sheet_names], lines, _contacts(parts, maps),
                   None if guests is None else _by_date(_same_columns(guests, parts), "order_date"))


def _count_again(report: QualityReport, code: str, again: pd.DataFrame) -> None:
    """Count in ``report`` the rows of later files repeating an earlier file's, per file, with their amount."""
    for name, rows in again.groupby("file", sort=False):
        report.add(code, len(rows), "dropped", float(rows["amount"].sum()), file=str(name))


def _same_columns(orders: pd.DataFrame, parts: Sequence[tuple[str, Dataset]]) -> pd.DataFrame:
    """Optional order columns only when every file has them (net sales on half the orders would be no basis)."""
    for col in ("net_sales", "discount_code"):
        if col in orders.columns and not all(col in ds.orders.columns for _, ds in parts):
            orders = orders.drop(columns=col)
    return orders


def _by_date(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    return frame.sort_values(col, kind="stable", ignore_index=True)


def _spend(parts: Sequence[tuple[str, Dataset]]) -> pd.DataFrame | None:
    """The files' spend sheets, each the spend of its file's platform (summed per channel, month and platform)."""
    frames = [ds.spend.assign(platform=ds.spend["platform"] if "platform" in ds.spend.columns else _platform(ds))
              for _, ds in parts if ds.spend is not None and len(ds.spend)]
    if not frames:
        return None
    s = pd.concat(frames, ignore_index=True)
    out = s.groupby(["channel", "month", "platform"], as_index=False, observed=True, dropna=False).agg(
        spend=("spend", "sum"), touches=("touches", lambda v: v.sum(min_count=1)), adds=("adds", lambda v: v.sum(min_count=1)))
    return out.astype({"channel": "string", "platform": "string"})[["channel", "month", "spend", "touches", "adds", "platform"]]


def _contacts(parts: Sequence[tuple[str, Dataset]], maps: list[IdMap | None]) -> pd.DataFrame | None:
    """Each combined customer's latest known name, phone and email (a later file's over an earlier one's)."""
    frames = []
    for (_, ds), m in zip(parts, maps):
        if ds.contacts is not None and m is not None:
            frames.append(ds.contacts.assign(customer_id=m.apply(ds.contacts["customer_id"])))
    if not frames:
        return None
    c = pd.concat(frames, ignore_index=True)
    return c.groupby("customer_id", sort=False).last().reset_index()


def _combined_report(parts: Sequence[tuple[str, Dataset]], currency: str | None, linked: dict[str, int],
                     link: bool) -> QualityReport:
    """The files' quality reports as one: each issue says its file; a note per file (platform, rows, orders)."""
    platforms = sorted({_platform(ds) for _, ds in parts})
    report = QualityReport(
        rows_read=sum(ds.report.rows_read for _, ds in parts),
        sheets_used=[f"{name}: {s}" for name, ds in parts for s in ds.report.sheets_used],
        mapping=dict(parts[0][1].report.mapping), issues=[], notes=[],
        platform=platforms[0] if len(platforms) == 1 else ", ".join(platforms), currency=currency,
        customer_level=any(ds.customer_level for _, ds in parts),
        order_level=sorted({f for _, ds in parts for f in ds.report.order_level}),
    )
    for name, ds in parts:
        report.issues += [dataclasses.replace(i, params={**i.params, "file": name}) for i in ds.report.issues]
        kind = "" if ds.customer_level else " (buyers masked or absent: its orders count as guest orders)"
        report.notes.append(f"{name}: {_platform(ds)}, {ds.report.rows_read:,} rows, {len(ds.orders):,} orders{kind}.")
        report.notes += [f"{name}: {n}" for n in ds.report.notes]
    if link and (linked["tel"] or linked["mail"]):
        report.notes.append(f"One person, one customer: {linked['tel']:,} customers linked across files by phone, "
                            f"{linked['mail']:,} by email.")
    return report

