"""The mapping's answers to the reader's questions about column names (:class:`lib.schema.ColumnRules`).

The parse child imports this module (``lib.mapping.rules:RULES``) to find a header row below titles:
it imports only the synonyms tables, so a small file's child stays within its few hundred MB of
address space; the column choice imports the rest of the mapping when a big sheet asks for it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lib.mapping.synonyms import match_field

if TYPE_CHECKING:
    import pyarrow as pa

    from lib.schema import ColumnRules


class _Rules:
    address = "lib.mapping.rules:RULES"

    def names_field(self, name: str) -> bool:
        return match_field(name) is not None

    def may_map(self, name: str) -> bool:
        from lib.mapping.profiles import may_map

        return may_map(name)

    def choose_columns(self, table: pa.Table) -> dict[str, Any] | None:
        from lib.mapping.proposal import columns_for_mapping

        return columns_for_mapping(table)


RULES: ColumnRules = _Rules()
