"""What a share link stores of the people in a dataset: ids, never a way to reach them.

A shop's customer id is often the buyer's phone (Youzan's 买家手机号) or email, and a several-file dataset's
combined id may carry one ("youzan:13800000001"). Whoever holds a link sees the stored ids, so before a
dataset is stored every id that looks like a phone or an email (:func:`contact_like`) becomes a pseudonym: a
keyed hash of the id (HMAC-SHA-256 under a key made for this dataset and never stored), the same for the
same id in every table of the dataset, so customers, their refunds and who referred whom stay linked.
Phones and emails written in the report's notes are replaced by "…". Contact columns (names, phones,
emails) are not stored at all (:mod:`lib.share.storage`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
from typing import Any

import pandas as pd

from lib.schema import Dataset, QualityReport

PREFIX = "id-"  # a pseudonym: "id-" and 16 hex digits
_PHONE = re.compile(r"\+?[\d\s().\-]+")
_EMAIL_TEXT = r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
_EMAIL = re.compile(_EMAIL_TEXT)
_ID_PREFIX = re.compile(r"^[A-Za-z][\w\- ]{0,40}:")  # "youzan:" before a combined id
_IN_TEXT = re.compile(rf"\+?\d[\d\s().\-]{{5,}}\d|{_EMAIL_TEXT}")
PHONE_DIGITS = (7, 15)  # a phone number has this many digits (E.164 at most 15); fewer is a shop's own number


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def contact_like(value: str) -> bool:
    """Whether an id is (or ends in) a phone number or an email address: "13800000001", "+86 138-0000-0001",
    "a@b.cn", "youzan:13800000001"; not "c123" or "1001"."""
    text = _ID_PREFIX.sub("", value.strip(), count=1)
    if _EMAIL.fullmatch(text):
        return True
    return bool(_PHONE.fullmatch(text)) and PHONE_DIGITS[0] <= _digits(text) <= PHONE_DIGITS[1]


def _in_text(match: re.Match[str]) -> str:
    found = match.group(0)
    return "…" if "@" in found or PHONE_DIGITS[0] <= _digits(found) <= PHONE_DIGITS[1] and not _is_date(found) else found


def _is_date(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()))


def scrub(text: str) -> str:
    """``text`` with the phone numbers and email addresses in it replaced by "…" (dates and counts stay)."""
    return _IN_TEXT.sub(_in_text, text)


def _pseudonym(key: bytes, value: str) -> str:
    return PREFIX + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _ids(frame: pd.DataFrame | None, key: bytes) -> pd.DataFrame | None:
    if frame is None:
        return None
    changed = {}
    for col in ("customer_id", "referrer_id"):
        if col not in frame.columns:
            continue
        ids = frame[col].astype("string")
        distinct = ids.dropna().unique()
        swap = {v: _pseudonym(key, v) for v in distinct if contact_like(str(v))}
        if swap:
            changed[col] = ids.map(lambda v: swap.get(v, v), na_action="ignore").astype(frame[col].dtype)
    return frame.assign(**changed) if changed else frame


def _scrub_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: scrub(v) if isinstance(v, str) else v for k, v in params.items()}


def _report(report: QualityReport) -> QualityReport:
    return dataclasses.replace(report, notes=[scrub(n) for n in report.notes],
                               issues=[dataclasses.replace(i, params=_scrub_params(i.params)) for i in report.issues])


def pseudonymised(ds: Dataset, key: bytes | None = None) -> Dataset:
    """``ds`` as a share link stores it: ids that are phones or emails replaced by pseudonyms (``key``: the
    HMAC key, by default a new random one), phones and emails in the report's notes by "…", no contacts.

    Orders, guest orders and refunds get the same pseudonym for the same id; ``ds`` is not changed.
    """
    key = key or secrets.token_bytes(32)
    return dataclasses.replace(ds, orders=_ids(ds.orders, key), refunds=_ids(ds.refunds, key), guests=_ids(ds.guests, key),
                               report=_report(ds.report), contacts=None)
