"""Customer-value calculations: pure functions on pandas tables, no UI.

The code follows a user's bytes one way, a package a stage, each importing only the stages
before it and :mod:`lib.schema` (the types that pass between stages):

``read`` (bytes → sheets) → ``mapping`` (which column is which field) → ``clean`` (sheets +
mapping → :class:`Dataset` + quality report) → ``model`` (figures; no I/O) → ``present``
(charts, labels, the Excel report) → ``share`` (stored datasets, links, view state).

Start at :func:`load` (a file in, canonical tables out), then :func:`apply_filters` for the
:class:`View` every figure in :mod:`lib.model` takes. The names below are the public face;
they are imported when first used, so the parse child (:mod:`lib.read.child`) that imports
``lib`` pays for none of them.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lib.clean import build_dataset, load
    from lib.errors import DataError
    from lib.model.view import Filters, View, apply_filters
    from lib.read import read_workbook
    from lib.schema import Dataset, QualityReport

_HOMES = {
    "load": "lib.clean",
    "build_dataset": "lib.clean",
    "read_workbook": "lib.read",
    "Dataset": "lib.schema",
    "QualityReport": "lib.schema",
    "Filters": "lib.model.view",
    "View": "lib.model.view",
    "apply_filters": "lib.model.view",
    "DataError": "lib.errors",
}
__all__ = ["DataError", "Dataset", "Filters", "QualityReport", "View", "apply_filters", "build_dataset", "load",
           "read_workbook"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'lib' has no attribute {name!r}")
