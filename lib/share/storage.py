"""Server-side store for shared views: datasets as Parquet, links as hashed random tokens.

Layout under the data directory (``LTV_DATA_DIR``, default ``./.data``)::

    datasets/<id>/orders.parquet, refunds.parquet, spend.parquet, lines.parquet, guests.parquet, report.json, meta.json
    links/<sha256(token)>.json   {"dataset": id, "state": {...}, "expires": ISO time}

``meta.json`` says which shape the dataset was saved in (``"schema"``, :data:`SCHEMA`; a dataset
saved before the version was written is schema 0, the same shape as 1). A dataset of a newer
schema, with a field this code does not know, or with a damaged file raises :class:`DataError`
with one sentence for a person, never a TypeError from rebuilding the report.

Every write goes to a temporary path first and is renamed into place, so a
crash never leaves a half-written dataset or link. Tokens come from
``secrets`` (192 bits), are never derived from the data or a file name, and
only their SHA-256 is stored: the store alone cannot produce a working link.
Files are fsynced before the rename and the folder after it, so a power cut
cannot leave a renamed but incomplete dataset. Links expire (``LTV_LINK_DAYS``,
default 30); :func:`purge_expired` deletes expired links, datasets no live
link uses and temporary folders of interrupted saves (the app also clears
those once at start, :func:`clean_temporary`).
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from lib import config
from lib.errors import DataError
from lib.schema import Dataset, Issue, QualityReport
from lib.share.pseudonyms import pseudonymised

SCHEMA = 2  # raise it when a stored table or report.json changes shape, and teach load_dataset the old one
# 2: guests.parquet (guest orders) and the refunds' channel; version 1 has neither and opens without them
TMP_PREFIX = ".tmp-"
STALE_TMP = timedelta(hours=1)  # the purge leaves younger temporary folders alone: a save may be writing them


def data_dir() -> Path:
    """The store's root, from ``LTV_DATA_DIR`` (default ``.data`` in the working directory)."""
    return config.data_dir()


def link_days() -> int:
    """Days a new link lives (``LTV_LINK_DAYS``, checked by :func:`lib.config.problems`; 30 when unusable)."""
    return int(config.value("LTV_LINK_DAYS"))


def _fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` durable (a power cut must not undo it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_synced(path: Path, write: Any) -> None:
    """Write a file with ``write(path)`` and fsync it: a renamed dataset is complete on disk."""
    write(path)
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def clean_temporary(root: Path | None = None, older_than: timedelta = timedelta(0)) -> int:
    """Remove what interrupted saves left (``.tmp-*`` folders and files) older than ``older_than``; returns how many.

    The app calls it once at start with no age limit (a save killed with -9 left them), and the
    purge with :data:`STALE_TMP`.
    """
    root = root or data_dir()
    removed = 0
    for folder in (root / "datasets", root / "links"):
        for p in folder.glob(f"{TMP_PREFIX}*") if folder.exists() else []:
            try:
                age = _now() - datetime.fromtimestamp(p.stat().st_mtime, timezone.utc)
            except OSError:
                continue
            if age >= older_than:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
                removed += 1
    return removed


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


STORE_FULL = "The server's storage is full, so this view cannot be shared now: ask whoever runs the app to free space."
STORE_READ_ONLY = ("The server's storage is read-only, so views cannot be shared: ask whoever runs the app to make "
                   "its data folder (LTV_DATA_DIR) writable.")
STORE_FAILED = "The server could not store this view, so it cannot be shared now: try again, or ask whoever runs the app."
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


@contextmanager
def _writing() -> Iterator[None]:
    """Say a store that cannot be written in one sentence (:class:`DataError`): full, read-only, or failing."""
    try:
        yield
    except OSError as err:
        said = STORE_FULL if err.errno in _FULL else STORE_READ_ONLY if err.errno in _READ_ONLY else STORE_FAILED
        raise DataError(said) from err


def has_dataset(dataset_id: str, root: Path | None = None) -> bool:
    """Whether the dataset ``dataset_id`` is stored (its folder may have been purged or deleted under a session)."""
    root = root or data_dir()
    return bool(dataset_id) and all(c in "0123456789abcdef" for c in dataset_id) and \
        (root / "datasets" / dataset_id / "orders.parquet").exists()


def save_dataset(ds: Dataset, root: Path | None = None) -> str:
    """Store a dataset's canonical tables; returns its new random id.

    What is stored is what a link holder may see: ids that are phones or emails are pseudonyms, the contact
    table is not stored (:func:`lib.share.pseudonyms.pseudonymised`).

    Raises :class:`DataError` (:data:`STORE_FULL`, :data:`STORE_READ_ONLY`, :data:`STORE_FAILED`) when the store
    cannot take it; nothing of it is left behind.
    """
    with _writing():
        return _save(pseudonymised(ds), root or data_dir())


def _save(ds: Dataset, root: Path) -> str:
    dataset_id = secrets.token_hex(16)
    final = root / "datasets" / dataset_id
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=TMP_PREFIX))
    try:
        tables = {"orders": ds.orders, "refunds": ds.refunds, "spend": ds.spend, "lines": ds.lines, "guests": ds.guests}
        for name, frame in tables.items():
            if frame is not None:
                _write_synced(tmp / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
        report = json.dumps(asdict(ds.report), ensure_ascii=False)
        meta = json.dumps({"schema": SCHEMA, "created": _now().isoformat(), "sheets": ds.sheet_names})
        _write_synced(tmp / "report.json", lambda p: p.write_text(report, encoding="utf-8"))
        _write_synced(tmp / "meta.json", lambda p: p.write_text(meta, encoding="utf-8"))
        _fsync_dir(tmp)  # the folder's entries, before it is renamed into place
        os.replace(tmp, final)  # atomic: the dataset appears whole or not at all
        _fsync_dir(final.parent)  # and the rename itself
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dataset_id


NEWER = "This link's data was saved by a newer version of the app, so this version cannot open it: ask for a new link."
UNKNOWN = "This link's data has a field this version of the app does not know, so it cannot be opened: ask for a new link."
DAMAGED = "This link's stored data is damaged, so it cannot be opened: ask for a new link."


def load_dataset(dataset_id: str, root: Path | None = None) -> Dataset | None:
    """A stored dataset, or None when it does not exist.

    Raises DataError (:data:`NEWER`, :data:`UNKNOWN`, :data:`DAMAGED`) when it exists but cannot be opened.
    """
    root = root or data_dir()
    if not dataset_id or not all(c in "0123456789abcdef" for c in dataset_id):
        return None
    d = root / "datasets" / dataset_id
    if not (d / "orders.parquet").exists():
        return None
    meta = _json_object(d / "meta.json")
    if not isinstance(meta.get("schema", 0), int) or not isinstance(meta.get("sheets", []), list):
        raise DataError(DAMAGED)
    if meta.get("schema", 0) > SCHEMA:
        raise DataError(NEWER)
    if set(meta) - {"schema", "created", "sheets"}:
        raise DataError(UNKNOWN)
    report = _restore_report(_json_object(d / "report.json"))
    try:
        orders, refunds, spend, lines, guests = _read_tables(d)
    except (OSError, ValueError, KeyError) as err:  # a truncated or foreign Parquet file, a missing column
        raise DataError(DAMAGED) from err
    return Dataset(orders, refunds, spend, report, meta.get("sheets", []), lines, guests=guests)


def _read_tables(d: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None,
                                    pd.DataFrame | None]:
    """(orders, refunds, spend, lines, guests) of a stored dataset; the optional ones None when not stored."""
    orders = pd.read_parquet(d / "orders.parquet")
    refunds = pd.read_parquet(d / "refunds.parquet")
    guests = pd.read_parquet(d / "guests.parquet") if (d / "guests.parquet").exists() else None  # none before version 2
    order_ids = ("order_id", "customer_id", "channel", "referrer_id")
    refund_ids = ("order_id", "customer_id", "kind") + (("channel",) if "channel" in refunds.columns else ())
    for frame, cols in ((orders, order_ids), (refunds, refund_ids)):
        for c in cols:
            frame[c] = frame[c].astype("string")
    if guests is not None:
        guests = guests.astype({c: "string" for c in order_ids})
    spend = pd.read_parquet(d / "spend.parquet") if (d / "spend.parquet").exists() else None
    if spend is not None:
        spend = spend.astype({c: "string" for c in ("channel", "platform") if c in spend.columns})
    lines = pd.read_parquet(d / "lines.parquet") if (d / "lines.parquet").exists() else None
    if lines is not None:
        for c in ("order_id", "product", "sku"):
            lines[c] = lines[c].astype("string")
    return orders, refunds, spend, lines, guests


def _json_object(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:  # missing, unreadable, cut short or not UTF-8
        raise DataError(DAMAGED) from err
    if not isinstance(value, dict):
        raise DataError(DAMAGED)
    return value


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(value)
    return list(value)


def _text_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(value)
    return dict(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(value)
    return value


def _text_or_none(value: Any) -> str | None:
    return None if value is None else _text(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(value)
    return value


def _issues(value: Any) -> list[Issue]:
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise ValueError(value)
    if any(set(i) - {"code", "params", "reason", "rows", "action", "amount"} for i in value):
        raise DataError(UNKNOWN)
    for i in value:  # the shapes of today (code, params) and of the code before quality codes (reason text)
        _text(i["action"]), int(i["rows"]), float(i.get("amount", 0.0))
        _text(i["code"]) if "code" in i else _text(i["reason"])
        if not isinstance(i.get("params", {}), dict):
            raise ValueError(i)
    return [Issue.from_dict(i) for i in value]


# report.json, field by field: how each stored value becomes a QualityReport field (a field absent keeps its default)
_REPORT_FIELDS: dict[str, Callable[[Any], Any]] = {
    "rows_read": int, "sheets_used": _texts, "spend_sheet": _text_or_none, "mapping": _text_map, "spend_mapping": _text_map,
    "issues": _issues, "notes": _texts, "platform": _text_or_none, "currency": _text_or_none, "customer_level": _flag,
    "order_level": _texts,
}


def _restore_report(raw: dict[str, Any]) -> QualityReport:
    if set(raw) - set(_REPORT_FIELDS):
        raise DataError(UNKNOWN)
    try:
        return QualityReport(**{name: read(raw[name]) for name, read in _REPORT_FIELDS.items() if name in raw})
    except DataError:  # an unknown field inside an issue
        raise
    except (KeyError, TypeError, ValueError) as err:  # a field of the wrong type: the file was changed by hand or cut
        raise DataError(DAMAGED) from err


def create_link(dataset_id: str, view_state: dict[str, Any], days: int | None = None, root: Path | None = None) -> tuple[str, datetime]:
    """A new random token for a dataset and view state; returns (token, expiry time).

    Raises :class:`DataError` as :func:`save_dataset` does when the store cannot take the link.
    """
    root = root or data_dir()
    token = secrets.token_urlsafe(24)  # 192 bits
    expires = _now() + timedelta(days=link_days() if days is None else days)
    record = {"dataset": dataset_id, "state": view_state, "expires": expires.isoformat()}
    with _writing():
        _atomic_write(root / "links" / f"{_token_hash(token)}.json", json.dumps(record, ensure_ascii=False).encode("utf-8"))
    return token, expires


def resolve_link(token: str, root: Path | None = None) -> tuple[str, dict[str, Any]] | None:
    """(dataset id, view state) for a live token; None when unknown, expired or its data is gone."""
    root = root or data_dir()
    if not token or len(token) > 200:
        return None
    path = root / "links" / f"{_token_hash(token)}.json"
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if datetime.fromisoformat(record["expires"]) <= _now():
        try:
            purge_expired(root)
        except DataError:  # a read-only store keeps its expired links; the link is expired all the same
            pass
        return None
    if not (root / "datasets" / record["dataset"] / "orders.parquet").exists():
        return None
    return record["dataset"], record["state"]


def purge_expired(root: Path | None = None) -> int:
    """Delete expired links and the datasets no live link uses; returns how many links went.

    Raises :class:`DataError` as :func:`save_dataset` does when the store cannot be changed (read-only).
    """
    with _writing():
        return _purge(root or data_dir())


def _purge(root: Path) -> int:
    links = root / "links"
    live: set[str] = set()
    removed = 0
    for path in links.glob("*.json") if links.exists() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            expired = datetime.fromisoformat(record["expires"]) <= _now()
        except (OSError, ValueError, KeyError):
            expired, record = True, {}
        if expired:
            path.unlink(missing_ok=True)
            removed += 1
        else:
            live.add(record["dataset"])
    clean_temporary(root, STALE_TMP)
    datasets = root / "datasets"
    for d in datasets.iterdir() if datasets.exists() else []:
        if d.is_dir() and not d.name.startswith(".") and d.name not in live:
            age = _now() - datetime.fromtimestamp(d.stat().st_mtime, timezone.utc)
            if age > timedelta(hours=1):  # a dataset saved a moment ago may be about to get its link
                shutil.rmtree(d, ignore_errors=True)
    return removed
