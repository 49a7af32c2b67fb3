"""Order lines (product, SKU, quantity, amount) from the orders sheet's rows or from another sheet of the workbook."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib import coerce
from lib.mapping import propose_mapping
from lib.schema import LINE_COLUMNS, Mapping, QualityReport, Workbook


def _lines_frame(df: pd.DataFrame, mapping: Mapping, order_ids: pd.Series, amount: pd.Series) -> pd.DataFrame:
    """Order lines (see :data:`lib.schema.LINE_COLUMNS`) from line rows of a sheet."""
    idx = df.index
    product = coerce.unwrap_text(df[mapping["product"]]) if "product" in mapping else pd.Series(pd.NA, index=idx, dtype="string")
    lines = pd.DataFrame({
        "order_id": order_ids.astype("string"),
        "product": product.mask(coerce.is_blank(product, product), pd.NA).astype("string"),
        "sku": (coerce.to_text_id(df[mapping["sku"]]).values if "sku" in mapping
                else pd.Series(pd.NA, index=idx, dtype="string")),
        "quantity": coerce.to_money(df[mapping["quantity"]]).values if "quantity" in mapping else pd.Series(np.nan, index=idx),
        "amount": amount.astype("float64"),
    })
    return lines[list(LINE_COLUMNS)].reset_index(drop=True)


def lines_from_other_sheet(wb: Workbook, used: list[str], orders: pd.DataFrame, report: QualityReport) -> pd.DataFrame | None:
    """Order lines from another sheet of the workbook whose order ids are the orders' (Taobao 千牛: 订单报表 +
    销售明细): lines of kept orders only."""
    for s in wb.sheets:
        if s.name in used:
            continue
        m = propose_mapping(s.frame)
        if "order_id" not in m or not ({"product", "sku"} & m.keys()):
            continue
        oid = coerce.to_text_id(s.frame[m["order_id"]]).values
        hit = coerce.ids_in(oid, orders["order_id"])
        if not hit.any() or hit.mean() < 0.5:
            continue
        rows = s.frame.loc[hit]
        amount = pd.Series(np.nan, index=rows.index)
        if {"quantity", "unit_price"} <= m.keys():
            amount = coerce.to_money(rows[m["quantity"]]).values * coerce.to_money(rows[m["unit_price"]]).values
        lines = _lines_frame(rows, m, oid[hit], amount)
        note = f"Products read from sheet '{s.name}': {len(lines):,} lines of {lines['order_id'].nunique():,} orders."
        if (~hit).sum():
            note += (f" Left out: {int((~hit).sum()):,} of its lines, whose orders are not kept (cancelled, unpaid "
                     "or not in the orders sheet).")
        report.notes.append(note)
        return lines
    return None


def sale_lines(df: pd.DataFrame, mapping: Mapping, sale_rows: pd.DataFrame, line_amount: pd.Series) -> pd.DataFrame | None:
    """Order lines of the sale rows (see :data:`lib.schema.LINE_COLUMNS`), or None when the file names no product."""
    if "product" not in mapping and "sku" not in mapping:
        return None
    idx = sale_rows.index
    lines = _lines_frame(df.loc[idx], mapping, sale_rows["order_id"], line_amount.loc[idx])
    if lines[["product", "sku"]].isna().all().all():
        return None  # a product column that is empty throughout (Stripe's Description) names no product
    return lines
