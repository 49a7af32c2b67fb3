"""Mapping: which column is which field (propose, classify sheets, recognise an export).

The names below are the stage's face; they are imported when first used, so the parse child
that asks :data:`RULES` about header names (:mod:`lib.mapping.rules`) pays for none of the
rest (pandas, the profiles' tables).
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lib.mapping.proposal import (
        ORDER_ROLE_FIELDS,
        SPEND_ROLE_FIELDS,
        columns_for_mapping,
        combined,
        implausible,
        implausible_message,
        missing_fields_message,
        propose,
        propose_mapping,
        propose_sheet,
        proposed_order_mapping,
        recognise,
    )
    from lib.mapping.rules import RULES

_HOMES = {name: "lib.mapping.proposal" for name in (
    "ORDER_ROLE_FIELDS", "SPEND_ROLE_FIELDS", "columns_for_mapping", "combined", "implausible", "implausible_message",
    "missing_fields_message", "propose",
    "propose_mapping", "propose_sheet", "proposed_order_mapping", "recognise")}
_HOMES["RULES"] = "lib.mapping.rules"
__all__ = ["ORDER_ROLE_FIELDS", "RULES", "SPEND_ROLE_FIELDS", "columns_for_mapping", "combined", "implausible",
           "implausible_message", "missing_fields_message",
           "propose", "propose_mapping", "propose_sheet", "proposed_order_mapping", "recognise"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'lib.mapping' has no attribute {name!r}")
