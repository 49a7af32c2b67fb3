"""Server-side store for shared views: datasets as Parquet, links as hashed random tokens.

Layout under the data directory (``LTV_DATA_DIR``, default ``./.data``)::

    datasets/<id>/orders.parquet, refunds.parquet, spend.parquet, lines.parquet, report.json, meta.json
    links/<sha256(token)>.json   {"dataset": id, "state": {...}, "expires": ISO time}

Every write goes to a temporary path first and is renamed into place, so a
crash never leaves a half-written dataset or link. Tokens come from
``secrets`` (192 bits), are never derived from the data or a file name, and
only their SHA-256 is stored: the store alone cannot produce a working link.
Links expire (``LTV_LINK_DAYS``, default 30); :func:`purge_expired` deletes
expired links and datasets no live link uses.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from lib.ingest import Dataset, Issue, QualityReport

DEFAULT_DAYS = 30


def data_dir() -> Path:
    """The store's root, from ``LTV_DATA_DIR`` (default ``.data`` in the working directory)."""
    return Path(os.environ.get("LTV_DATA_DIR", ".data"))


def link_days() -> int:
    return int(os.environ.get("LTV_LINK_DAYS", str(DEFAULT_DAYS)))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_dataset(ds: Dataset, root: Path | None = None) -> str:
    """Store a dataset's canonical tables; returns its new random id."""
    root = root or data_dir()
    dataset_id = secrets.token_hex(16)
    final = root / "datasets" / dataset_id
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=".tmp-"))
    try:
        ds.orders.to_parquet(tmp / "orders.parquet", index=False)
        ds.refunds.to_parquet(tmp / "refunds.parquet", index=False)
        if ds.spend is not None:
            ds.spend.to_parquet(tmp / "spend.parquet", index=False)
        if ds.lines is not None:
            ds.lines.to_parquet(tmp / "lines.parquet", index=False)
        report = asdict(ds.report)
        (tmp / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
        (tmp / "meta.json").write_text(json.dumps({"created": _now().isoformat(), "sheets": ds.sheet_names}), encoding="utf-8")
        os.replace(tmp, final)  # atomic: the dataset appears whole or not at all
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dataset_id


def load_dataset(dataset_id: str, root: Path | None = None) -> Dataset | None:
    """A stored dataset, or None when it does not exist."""
    root = root or data_dir()
    if not dataset_id or not all(c in "0123456789abcdef" for c in dataset_id):
        return None
    d = root / "datasets" / dataset_id
    if not (d / "orders.parquet").exists():
        return None
    orders = pd.read_parquet(d / "orders.parquet")
    refunds = pd.read_parquet(d / "refunds.parquet")
    for frame, cols in ((orders, ("order_id", "customer_id", "channel", "referrer_id")), (refunds, ("order_id", "customer_id", "kind"))):
        for c in cols:
            frame[c] = frame[c].astype("string")
    spend = pd.read_parquet(d / "spend.parquet") if (d / "spend.parquet").exists() else None
    if spend is not None:
        spend["channel"] = spend["channel"].astype("string")
    lines = pd.read_parquet(d / "lines.parquet") if (d / "lines.parquet").exists() else None
    if lines is not None:
        for c in ("order_id", "product", "sku"):
            lines[c] = lines[c].astype("string")
    raw = json.loads((d / "report.json").read_text(encoding="utf-8"))
    raw["issues"] = [Issue(**i) for i in raw.get("issues", [])]
    meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    return Dataset(orders, refunds, spend, QualityReport(**raw), meta.get("sheets", []), lines)


def create_link(dataset_id: str, view_state: dict[str, Any], days: int | None = None, root: Path | None = None) -> tuple[str, datetime]:
    """A new random token for a dataset and view state; returns (token, expiry time)."""
    root = root or data_dir()
    token = secrets.token_urlsafe(24)  # 192 bits
    expires = _now() + timedelta(days=link_days() if days is None else days)
    record = {"dataset": dataset_id, "state": view_state, "expires": expires.isoformat()}
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
        purge_expired(root)
        return None
    if not (root / "datasets" / record["dataset"] / "orders.parquet").exists():
        return None
    return record["dataset"], record["state"]


def purge_expired(root: Path | None = None) -> int:
    """Delete expired links and the datasets no live link uses; returns how many links went."""
    root = root or data_dir()
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
    datasets = root / "datasets"
    for d in datasets.iterdir() if datasets.exists() else []:
        if d.is_dir() and not d.name.startswith(".") and d.name not in live:
            age = _now() - datetime.fromtimestamp(d.stat().st_mtime, timezone.utc)
            if age > timedelta(hours=1):  # a dataset saved a moment ago may be about to get its link
                shutil.rmtree(d, ignore_errors=True)
    return removed
