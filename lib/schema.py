"""Canonical tables that every calculation in ``lib`` works on.

Orders (one row per kept purchase, produced by :func:`lib.clean.load`):

=============  ==================  ==============================================
column         dtype               meaning
=============  ==================  ==============================================
order_id       string              order / invoice id as text ("12417", "A-1")
customer_id    string              customer id as text, never missing (orders
                                   without one are ``Dataset.guests``)
order_date     datetime64[ns]      time of the order (naive, the file's clock)
amount         float64             order value in the shop's currency, > 0
channel        string              channel of this order; "(none)" when blank
referrer_id    string / <NA>       customer who referred this customer
is_member      bool                member flag of this order's row(s)
discount_code  string / <NA>       only when the file maps one: the order's
                                   discount / coupon code
net_sales      float64             only when the file maps subtotal, tax or
                                   shipping: the order's value before tax and
                                   shipping (currency, >= 0): its subtotal when
                                   mapped, else amount - tax - shipping (see
                                   :mod:`lib.clean.basis`)
=============  ==================  ==============================================

Guest orders (``Dataset.guests``, when a customer-level file has rows naming no
customer: a guest checkout, a walk-in sale): the orders' columns, customer_id
<NA>. They count in order-level totals (orders, revenue, AOV, refunds) and in no
customer figure (customers, repurchase, cohorts, LTV, CAC, referrals).

Refunds (money returned or orders cancelled; never counted as orders):

=============  ==================  ==============================================
order_id       string              the order / invoice id of the refund row
customer_id    string / <NA>       customer, when known (<NA>: a guest order's)
refund_date    datetime64[ns]      date of the refund row
amount         float64             refunded money, > 0 (absolute value)
kind           string              a RefundKind: "refund" (negative amount, cancelled
                                   invoice, refund amount) or "cancelled" (status says
                                   cancelled, unpaid or refunded)
channel        string              the channel on the refund's row (a refund-amount
                                   column's: its order's); a guest's refund is kept
                                   by it under a channel filter (stored by earlier
                                   code: absent)
=============  ==================  ==============================================

Refund ``kind`` "free" marks an order of zero amount (a gift, a free sample): kept
apart, never an order.

Order lines (one row per product line of a kept order, when the file has
products; ``Dataset.lines``, else ``None``):

=============  ==================  ==============================================
order_id       string              the order the line belongs to
product        string / <NA>       product name as in the file
sku            string / <NA>       SKU / stock code / 商家编码 as in the file
quantity       float64 / NaN       units
amount         float64 / NaN       line amount: quantity × unit price, or the
                                   file's line amount (NaN when only order
                                   totals are known)
=============  ==================  ==============================================

Contacts (how to reach each customer, ``Dataset.contacts``; only when the file
maps a name, phone or email column, and only those columns; else ``None``):

=============  ==================  ==============================================
customer_id    string              the customer, as in orders
customer_name  string / <NA>       the latest name written on their kept orders
phone          string / <NA>       the latest phone (as written; masked ones are
                                   no phone)
email          string / <NA>       the latest email
=============  ==================  ==============================================

A customer with none of them known has no row. Kept apart from the orders so
that filtering never copies them, and not stored with a share link.

Spend (marketing cost per channel and month):

=============  ==================  ==============================================
channel        string              channel name as in the orders' channel column
month          datetime64[ns]      first day of the month
spend          float64             money spent in that month, >= 0
touches        float64 / NaN       cards posted, calls made, SMS sent …
adds           float64 / NaN       people who followed / added the account
=============  ==================  ==============================================
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

if TYPE_CHECKING:  # pandas is imported where frames are made: the parse child imports this module before it forks
    import pandas as pd

from lib.errors import DataError
from lib.i18n import QUALITY_ISSUES, quality_code, quality_sentence

if TYPE_CHECKING:  # the parse child imports this module before it forks: pandas would start threads there
    import pandas as pd
    import pyarrow as pa

ORDER_COLUMNS: tuple[str, ...] = (
    "order_id",
    "customer_id",
    "order_date",
    "amount",
    "channel",
    "referrer_id",
    "is_member",
)
REFUND_COLUMNS: tuple[str, ...] = ("order_id", "customer_id", "refund_date", "amount", "kind", "channel")
LINE_COLUMNS: tuple[str, ...] = ("order_id", "product", "sku", "quantity", "amount")
SPEND_COLUMNS: tuple[str, ...] = ("channel", "month", "spend", "touches", "adds")

DAYS_PER_MONTH = 30.4375  # a month of LTV curves and horizons (365.25 / 12 days)

NO_CHANNEL = "(none)"
REFERRAL_CHANNEL = "referral"

# Fields a user can map a source column to, in the order the UI lists them.
ORDER_FIELDS: tuple[str, ...] = (
    "order_id",
    "customer_id",
    "order_date",
    "amount",
    "subtotal",
    "tax",
    "shipping",
    "quantity",
    "unit_price",
    "channel",
    "referrer_id",
    "status",
    "refund_amount",
    "refund_status",
    "cancelled_at",
    "is_member",
    "product",
    "sku",
    "discount_code",
    "customer_name",
    "phone",
    "email",
)
# How to reach a customer (Dataset.contacts): the latest written on a customer's orders is the one to use.
CONTACT_FIELDS: tuple[str, ...] = ("customer_name", "phone", "email")
# Fields read from a line-item row itself, never carried down from an order's first row.
LINE_FIELDS: tuple[str, ...] = ("quantity", "unit_price", "product", "sku")
# Fields whose column must hold numbers (a text column is never proposed for them).
NUMERIC_FIELDS: tuple[str, ...] = ("amount", "quantity", "unit_price", "refund_amount", "subtotal", "tax", "shipping")
# Money of an order apart from its amount, for net sales (the orders' net_sales column): the subtotal after
# discounts and before tax and shipping, the tax, the shipping charged.
NET_SALES_FIELDS: tuple[str, ...] = ("subtotal", "tax", "shipping")
# The largest amount (in the file's currency, either sign) a row may hold: a number beyond it (1e308, a decimal(38)
# column's 10^35) or not finite (inf, from "1e999" or a float overflow) is no order's and is refused per row
# (lib.clean.amounts), so that every figure stays finite and a chart can draw it.
MAX_AMOUNT = 1e12
REQUIRED_FIELDS: tuple[str, ...] = ("customer_id", "order_date")
SPEND_FIELDS: tuple[str, ...] = ("channel", "month", "spend", "touches", "adds", "cost_per_touch")

# Excel's sheet limits.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
EXCEL_MAX_CELL_CHARS = 32_767


Mapping = dict[str, str]


_CURRENCY_HEADERS = re.compile(r"(?i)^(order[ _]?)?currency( code)?$|^币种$|^货币$|^結算幣別$|^通貨$")


def is_currency_column(name: str) -> bool:
    """Whether a header names the currency of the amounts (Currency, Order Currency, 币种 …): the mapping reads
    such a column with the amounts, cleaning takes the currency from it (here, free of pandas, for both)."""
    return bool(_CURRENCY_HEADERS.match(str(name).strip()))


_COUNTRY_HEADERS = re.compile(r"(?i)^((billing|shipping|customer)[ _])?country( code)?$|^国家$|^国家/地区$|^國家$|^国$")


def is_country_column(name: str) -> bool:
    """Whether a header names a country (Country, Billing Country, 国家 …): a file that states its currency only
    through its customers' country (Online Retail II: United Kingdom) is read with it, cleaning takes the currency
    from the country most rows name."""
    return bool(_COUNTRY_HEADERS.match(str(name).strip()))


def says_currency(name: str) -> bool:
    """Whether a column says what currency the amounts are in: a currency column or a country column. The reader
    keeps such columns with the mapped ones."""
    return is_currency_column(name) or is_country_column(name)


@dataclass
class RawSheet:
    """One sheet as read: columns as in the file, header row found."""

    name: str
    frame: pd.DataFrame
    header_row: int = 0
    unread: list[str] = field(default_factory=list)  # header names of columns not read (no mapping can use them)


@dataclass
class Workbook:
    """All non-empty sheets of an uploaded file, before mapping."""

    kind: FileKind
    sheets: list[RawSheet]
    notes: list[str] = field(default_factory=list)

    def sheet(self, name: str) -> RawSheet:
        for s in self.sheets:
            if s.name == name:
                return s
        raise DataError(f"There is no sheet named '{name}'. Sheets: {', '.join(self.sheet_names)}.")

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]


# What was done to a quality report entry's rows (the words are shown, translated through lib.i18n.ZH).
IssueAction = Literal["dropped", "changed", "kept as refund", "kept as cancelled", "kept apart", "kept as guests",
                      "refund added", "merged"]
IssueParam = str | int | float


@dataclass(frozen=True)
class SheetProposal:
    """What the mapping stage proposes for one sheet, read from its header and first cells.

    ``orders`` and ``spend`` map fields to the sheet's column names as if it
    were the orders (:data:`ORDER_FIELDS`) or the spend (:data:`SPEND_FIELDS`);
    ``profile`` is the key of the shop-system export it is
    (:data:`lib.mapping.profiles.PROFILES`), None when none.
    """

    orders: Mapping
    spend: Mapping
    profile: str | None = None


@dataclass(frozen=True)
class Proposal:
    """What the mapping stage proposes for a workbook before anyone chooses (:func:`lib.mapping.propose`).

    ``orders_sheets``: the sheet(s) the orders are read from: those that look
    like orders with the columns of the main one (one sheet a year, combined
    in workbook order), else the first sheet. ``order_mapping``: the mapping
    proposed for them (combined). ``spend_sheet``: the sheet that looks like
    spend, None when none does. ``sheets``: each sheet's own proposal, for a
    sheet the user picks instead.
    """

    orders_sheets: tuple[str, ...]
    order_mapping: Mapping
    spend_sheet: str | None
    sheets: dict[str, SheetProposal]

    @property
    def spend_mapping(self) -> Mapping:
        """The mapping proposed for the spend sheet ({} when there is none)."""
        return dict(self.sheets[self.spend_sheet].spend) if self.spend_sheet else {}

    @property
    def profile(self) -> str | None:
        """Key of the export the orders sheet is, None when none is recognised."""
        return self.sheets[self.orders_sheets[0]].profile


@dataclass
class Issue:
    """Rows dropped or changed for one reason: its ``code`` in :data:`lib.i18n.QUALITY_ISSUES` and the ``params``
    its sentence names; ``rows`` counted, ``amount`` the money on them (currency, 0 when not counted)."""

    code: str
    rows: int
    action: IssueAction
    amount: float = 0.0
    params: dict[str, IssueParam] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """The reason in English."""
        return self.describe("en")

    def describe(self, lang: str = "en") -> str:
        """The reason in ``lang`` ("en" or "zh"), from the one catalogue :data:`lib.i18n.QUALITY_ISSUES`."""
        return quality_sentence(self.code, self.params, lang)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Issue:
        """An entry as saved by :func:`dataclasses.asdict`, today's or older code's (``reason`` text, no code).

        An old sentence the catalogue still says gets its code back; any other, or an unknown code, is
        kept as written (code "legacy", ``params`` {"reason": text}). Unknown keys are ignored.
        """
        code, params = raw.get("code"), dict(raw.get("params") or {})
        if code not in QUALITY_ISSUES or (code == "legacy" and "reason" not in params):
            reason = str(raw.get("reason") or params.get("reason") or code or "")
            code = quality_code(reason)
            params = {} if code is not None else {"reason": reason}
        action = cast(IssueAction, str(raw.get("action", "changed")))
        return cls(code or "legacy", int(raw.get("rows", 0)), action, float(raw.get("amount", 0.0)), params)


@dataclass
class QualityReport:
    """What happened to the user's rows, by reason. Nothing is dropped silently."""

    rows_read: int = 0
    sheets_used: list[str] = field(default_factory=list)
    spend_sheet: str | None = None
    mapping: Mapping = field(default_factory=dict)
    spend_mapping: Mapping = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    platform: str | None = None      # the recognised export's name ("Shopify orders export"), if any
    currency: str | None = None      # the currency symbol the file states (a currency column, signs in amounts), if any
    customer_level: bool = True      # False: buyers masked or absent, order-level figures only
    order_level: list[str] = field(default_factory=list)  # money fields taken once per order, not summed per line

    def add(self, code: str, rows: int, action: IssueAction, amount: float = 0.0, **params: IssueParam) -> None:
        """Count ``rows`` (none: nothing is added) under ``code``, a key of :data:`lib.i18n.QUALITY_ISSUES`."""
        if code not in QUALITY_ISSUES:
            raise KeyError(f"No quality report code {code!r} in lib.i18n.QUALITY_ISSUES.")
        if rows:
            self.issues.append(Issue(code, int(rows), action, float(amount), dict(params)))

    def table(self, lang: str = "en") -> pd.DataFrame:
        """Issues as a table: reason (in ``lang``), rows, action, amount; first the file of each, when the report is of
        several files (:mod:`lib.clean.many`)."""
        import pandas as pd

        t = pd.DataFrame([(i.describe(lang), i.rows, i.action, i.amount) for i in self.issues],
                         columns=["reason", "rows", "action", "amount"])
        if any("file" in i.params for i in self.issues):
            t.insert(0, "file", [str(i.params.get("file", "")) for i in self.issues])
        return t

    def dropped(self) -> int:
        return sum(i.rows for i in self.issues if i.action == "dropped")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> QualityReport:
        """A report as saved by :func:`dataclasses.asdict` (a stored dataset's ``report.json``), today's or older
        code's: issues read by :meth:`Issue.from_dict`, missing fields at their defaults, unknown keys ignored."""
        known = {f.name for f in fields(cls)} - {"issues"}
        report = cls(**{k: v for k, v in raw.items() if k in known})
        report.issues = [Issue.from_dict(i) for i in raw.get("issues") or []]
        return report


@dataclass
class Dataset:
    """Canonical tables of one upload, see :mod:`lib.schema`."""

    orders: pd.DataFrame
    refunds: pd.DataFrame
    spend: pd.DataFrame | None
    report: QualityReport
    sheet_names: list[str] = field(default_factory=list)
    lines: pd.DataFrame | None = None  # order lines (see lib.schema), when the file has products
    contacts: pd.DataFrame | None = None  # how to reach each customer (see lib.schema), when the file says
    guests: pd.DataFrame | None = None  # guest orders (orders' columns, customer_id <NA>), when the file has any
    revenue_basis: str = "total"  # what ``amount`` counts: "total" (the file's order totals) or "net" (lib.model.basis)

    @property
    def customer_level(self) -> bool:
        """Whether customers can be told apart (False: masked or absent buyers, order-level figures only)."""
        return self.report.customer_level

    def every_order(self) -> pd.DataFrame:
        """Every kept order, customers' and guests' (customer_id <NA>), by date: the orders a file's totals count."""
        return with_guests(self.orders, self.guests)

    @cached_property
    def platforms(self) -> list[str]:
        """The platforms of a several-file dataset's orders (``platform``: the recognised exports), sorted; [] for
        one file."""
        if "platform" not in self.orders.columns:
            return []
        return sorted(self.orders["platform"].dropna().unique().tolist())

    @cached_property
    def channels(self) -> list[str]:
        """Distinct channels of the customers' orders, sorted: the channels a customer can be acquired by, which the
        channel filter chooses from (a guest order counts under the channel written on it; computed once, the
        tables are not changed after loading)."""
        return sorted(self.orders["channel"].dropna().unique().tolist())


def with_guests(orders: pd.DataFrame, guests: pd.DataFrame | None) -> pd.DataFrame:
    """``orders`` and the guest orders (customer_id <NA>) of the same columns as one table by date (a stable sort: the
    file's order within a day); ``orders`` itself without guests."""
    import pandas as pd

    if guests is None:
        return orders
    return pd.concat([orders, guests], ignore_index=True).sort_values("order_date", kind="stable", ignore_index=True)


FileKind = Literal["xlsx", "xls", "csv", "parquet"]
# What a row of the refunds table is (its ``kind``; see the Refunds table above and lib.clean.refunds):
# money returned, an order kept apart as cancelled or unpaid, or an order of zero amount.
RefundKind = Literal["refund", "cancelled", "free"]


class ColumnRules(Protocol):
    """What the read stage asks about column names, answered by the mapping stage (:data:`lib.mapping.RULES`).

    The reader never imports the mapping: it passes ``address`` (``module:attribute``) to its parse child,
    which imports the object there.
    """

    address: str

    def names_field(self, name: str) -> bool:
        """Whether a header cell's text names a field (finds the header row below titles)."""
        ...

    def may_map(self, name: str) -> bool:
        """Whether some rule (a synonym, a profile's column, a currency) may map a column of this name."""
        ...

    def choose_columns(self, table: pa.Table) -> dict[str, Any] | None:
        """The columns a mapping proposed from a big sheet's first rows (Arrow, unique names) uses (``keep``:
        positions), or None."""
        ...
