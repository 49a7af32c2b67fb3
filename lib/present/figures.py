"""The Overview figures: one catalogue read by the Overview page (its tiles) and the Excel report (its Overview sheet).

Each :class:`lib.model.metrics.Overview` field has one entry: its English label (translated by
:mod:`lib.i18n`), how its value is shown and how its change against the previous period is said.
A new Overview figure is its function in ``lib/model/`` (a field of ``Overview``) and one entry here;
the labels are English, translated where they are shown (the page's ``t``, the report's ``present``).

==========  ====================================  ==========  ==============================================
kind        shown as                              delta       change vs. the previous period
==========  ====================================  ==========  ==============================================
int         whole number, thousands separators    pct         relative change, "+12.5%"
money       the shop's currency (``decimals``)    points      a rate's change in percentage points, "+1.5 pp"
pct         a share 0..1 as a percentage          None        no change shown
num         2 decimals (K-factor)
ratio       "3.2×" (LTV:CAC)
date        an ISO date as it is
text        as it is (the LTV:CAC months, "2024-01, 2024-02")
==========  ====================================  ==========  ==============================================
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from lib.i18n import fmt_money, fmt_number, fmt_pct, fmt_ratio

Kind = Literal["int", "money", "pct", "num", "ratio", "date", "text"]
Delta = Literal["pct", "points"] | None


@dataclass(frozen=True)
class Figure:
    """One Overview figure: ``key`` (the Overview field), English ``label``, ``kind`` and ``delta`` as in the module table.

    ``decimals``: of a money figure; ``inverse``: a fall is good news (CAC), so the page colours it green.
    """

    key: str
    label: str
    kind: Kind
    delta: Delta = "pct"
    decimals: int = 0
    inverse: bool = False

    def text(self, value: float | int | str, currency: str = "¥", lang: str = "en") -> str:
        """``value`` as a tile shows it, in ``lang``; "—" when it cannot be computed."""
        if self.kind in ("date", "text") or isinstance(value, str):
            return str(value)
        if self.kind == "int":
            return fmt_number(value, lang)
        if self.kind == "money":
            return fmt_money(value, currency, lang, self.decimals)
        if self.kind == "pct":
            return fmt_pct(value)
        if self.kind == "ratio":
            return fmt_ratio(value)
        return "—" if pd.isna(value) else f"{value:.2f}"

    def change(self, now: float, before: float | None) -> str | None:
        """The change from ``before`` to ``now`` as the delta kind says; None without a comparable previous value."""
        if self.delta is None or before is None or pd.isna(now) or pd.isna(before) or before == 0:
            return None
        if self.delta == "points":
            return f"{(now - before) * 100:+.1f} pp"
        return f"{(now / before - 1) * 100:+.1f}%"


FIGURES: dict[str, Figure] = {f.key: f for f in (  # in the order of lib.model.metrics.Overview (the report's rows)
    Figure("customers", "Customers", "int"), Figure("new_customers", "New customers", "int"),
    Figure("orders", "Orders", "int"), Figure("revenue_gross", "Revenue before refunds", "money"),
    Figure("refunds", "Refunds", "money"), Figure("revenue_net", "Net revenue", "money"),
    Figure("aov", "AOV", "money", decimals=1), Figure("aov_net", "AOV after refunds", "money", decimals=1),
    Figure("orders_per_customer", "Orders per customer", "num"),
    Figure("repurchase_rate", "Repurchase rate", "pct", "points"),
    Figure("repeat_30d", "Repurchase within 30 days", "pct", "points"),
    Figure("repeat_60d", "Repurchase within 60 days", "pct", "points"),
    Figure("repeat_90d", "Repurchase within 90 days", "pct", "points"),
    Figure("repeat_180d", "Repurchase within 180 days", "pct", "points"),
    Figure("sharing_rate", "Sharing rate", "pct", "points"), Figure("k_factor", "K-factor", "num"),
    Figure("ltv_3m", "3-month LTV", "money"), Figure("ltv_6m", "6-month LTV", "money"),
    Figure("ltv_12m", "12-month LTV", "money"), Figure("spend", "Spend", "money"),
    Figure("cac", "CAC", "money", inverse=True), Figure("ltv_cac", "LTV:CAC", "ratio"),
    Figure("ltv_cac_months", "LTV:CAC acquisition months", "text", None), Figure("margin", "Gross margin", "pct", None),
    Figure("as_of", "Analysis date", "date", None), Figure("date_from", "From", "date", None),
    Figure("date_to", "To", "date", None),
    Figure("guest_orders", "Guest orders (no customer)", "int"),
    Figure("guest_revenue", "Guest orders' revenue", "money"),
)}

# the Overview page's tiles, a row of five each; with buyers masked or absent, the order-level ones only (no deltas)
TILES: tuple[tuple[str, ...], ...] = (("customers", "orders", "revenue_net", "aov", "repurchase_rate"),
                                      ("sharing_rate", "ltv_12m", "cac", "ltv_cac", "k_factor"))
ORDER_LEVEL_TILES: tuple[str, ...] = ("orders", "revenue_net", "aov", "refunds")
