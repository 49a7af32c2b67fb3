"""Contact fields (name, phone, email) read from the orders sheet, and the latest per customer; masked ids found."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lib import coerce
from lib.mapping.synonyms import last_name_column
from lib.schema import CONTACT_FIELDS, Mapping, QualityReport

_MASK_RE = r"\*{3,}|密文|^#{2}|^\${2}|^\*+$"


def masked_ids(ids: pd.Series) -> pd.Series:
    """Ids a shop system masked for privacy: 186******05, ##密文, $$…, ***.

    Literal checks first (one pass each over the Arrow strings), the pattern only where one of them hit.
    """
    arr = pa.chunked_array([pa.array([], pa.string())]) if ids.empty else pa.array(ids.array, from_pandas=True)
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    hit = pc.or_(pc.or_(pc.match_substring(arr, "*"), pc.match_substring(arr, "密文")),
                 pc.or_(pc.starts_with(arr, "##"), pc.starts_with(arr, "$$")))
    hit = np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
    out = pd.Series(hit, index=ids.index)
    if hit.any():
        out &= ids.str.contains(_MASK_RE, regex=True).fillna(False).astype(bool)
    return out


def _contact_values(df: pd.DataFrame, column: str, field: str) -> tuple[pd.Series, int]:
    """A contact column as text, and how many of its values were masked: phones read as numbers lose their ".0"
    (and Taobao's leading apostrophe goes), a first-name column is completed with the file's matching last-name
    column; blanks ("", "——") and masked values (186******05, 王*, ##密文: no use to reach anyone) are <NA>."""
    text = coerce.to_text_id(df[column]).values if field == "phone" else coerce.unwrap_text(df[column]).astype("string")
    text = text.mask(coerce.is_blank(text, text), pd.NA)
    if field == "customer_name":
        last = last_name_column(column, [str(c) for c in df.columns])
        if last is not None:
            family = coerce.unwrap_text(df[last]).astype("string")
            family = family.mask(coerce.is_blank(family, family), pd.NA).fillna("")
            text = (text.fillna("") + " " + family).str.strip()
            text = text.mask(text == "", pd.NA)
    masked = masked_ids(text) | text.str.contains("*", regex=False).fillna(False)  # 王*, a***@x.com
    return text.mask(masked, pd.NA), int(masked.sum())


_MASKED_CONTACT = {"phone": "phone_masked", "email": "email_masked", "customer_name": "name_masked"}


def read_contact_fields(df: pd.DataFrame, mapping: Mapping, report: QualityReport) -> dict[str, pd.Series]:
    """Name, phone and email of each row as text (masked ones <NA>, counted in ``report``), for the mapped ones.

    Carried per order until orders are merged, then one row per customer (``Dataset.contacts``).
    """
    out: dict[str, pd.Series] = {}
    for f in CONTACT_FIELDS:
        if f in mapping:
            out[f], masked = _contact_values(df, mapping[f], f)
            report.add(_MASKED_CONTACT[f], masked, "changed")
    return out


def latest_contacts(orders: pd.DataFrame, customer_level: bool) -> pd.DataFrame | None:
    """The latest name, phone, email written on each customer's kept orders (see :mod:`lib.schema`), or None."""
    reach = [c for c in CONTACT_FIELDS if c in orders.columns]
    if not reach or not customer_level:
        return None
    contacts = orders.groupby("customer_id", sort=False)[reach].last().reset_index()
    contacts = contacts.loc[contacts[reach].notna().any(axis=1)].reset_index(drop=True)
    for col in contacts.columns:
        contacts[col] = contacts[col].astype("string")
    return contacts
