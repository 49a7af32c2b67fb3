from __future__ import annotations

import io
import logging
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lib.clean import load
from lib.mapping import RULES
from lib.read import _child_frames, _run_worker, _workbook, read_here
from lib.read.vet import vet_file
from lib.schema import Dataset

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest's bare-mode warnings drown the failures


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    """A real .xlsx written by openpyxl: sheet name -> rows (first row usually the header)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def slow_but(values, *fast):
    """Parameters for ``pytest.mark.parametrize`` with all but ``fast`` marked ``slow``: a family of tests that each
    start processes keeps one or two members in ``make test-fast``; ``make test`` runs them all."""
    return [v if v in fast else pytest.param(v, marks=pytest.mark.slow) for v in values]


def load_here(source, sheet=None, mapping=None, spend_sheet=None, spend_mapping=None, spend_source=None) -> Dataset:
    """:func:`lib.clean.load` with the files read in this process (:func:`lib.read.read_here`): the same
    :class:`Dataset` without a parse child's start (about 1.3 s each). For tests of cleaning and figures;
    tests of the child itself (limits, hostile files, the split, timeouts, ``LTV_*`` read by the child) use
    ``load``. ``tests/test_read_here.py`` checks that both give the same dataset."""
    return load(source, sheet, mapping, spend_sheet, spend_mapping, spend_source, read=read_here)


def read_through_child(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data: bytes, split_min: str,
                       every_column: bool = False, choose_min: str | None = None):
    """A workbook's bytes read by the real parse child with ``LTV_SPLIT_MIN_BYTES`` set to ``split_min`` and
    ``LTV_CHOOSE_MIN_BYTES`` to ``choose_min`` (by default the same): the :class:`lib.schema.Workbook` and the
    child's meta of each sheet (``read_in_parts``, ``columns_chosen``), both from one run of the child. Its memory
    limit is ``LTV_PARSE_MEM_MB``, not the budget by declared size :func:`lib.read.read_workbook` gives (a workbook
    this small, forced to split, would outgrow that budget and be read the ordinary way). A problem a person can
    fix raises the child's :class:`DataError`."""
    import tempfile

    monkeypatch.setenv("LTV_SPLIT_MIN_BYTES", split_min)
    monkeypatch.setenv("LTV_CHOOSE_MIN_BYTES", choose_min or split_min)
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    path = work / "book.xlsx"
    path.write_bytes(data)
    out = work / "out"
    out.mkdir()
    with open(path, "rb") as fh:
        kind, vet = vet_file(fh)
    meta = _run_worker(path, kind, out, RULES, None, every_column)
    return _workbook(kind, meta["sheets"], _child_frames(out, meta["sheets"]), vet), meta["sheets"]


def rewrite_parts(data: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> bytes:
    """Copy an xlsx zip with some parts replaced or added (for hostile-file tests)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
        missing = {k: v for k, v in replace.items() if k not in src.namelist()}
        for name, blob in {**missing, **(add or {})}.items():
            dst.writestr(name, blob)
    return out.getvalue()


@pytest.fixture
def edge_path() -> Path:
    return FIXTURES / "edge_cases.csv"


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return ROOT / "sample_data" / "orders.xlsx"


@pytest.fixture(scope="session")
def sample_ds(sample_path: Path):
    return load_here(sample_path)


@pytest.fixture
def edge_ds(edge_path: Path):
    return load_here(edge_path)


def orders_frame(rows: list[tuple], member: bool = False) -> pd.DataFrame:
    """Canonical orders from (order_id, customer_id, date, amount, channel, referrer) tuples."""
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount", "channel", "referrer_id"])
    df["order_date"] = pd.to_datetime(df["order_date"]).astype("datetime64[ns]")
    df["amount"] = df["amount"].astype(float)
    for c in ("order_id", "customer_id", "channel", "referrer_id"):
        df[c] = df[c].astype("string")
    df["is_member"] = member
    return df

