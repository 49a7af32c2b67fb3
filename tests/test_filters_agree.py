"""Under a date filter and under a channel filter, every page's figures equal a plain-pandas computation.

Each test names the bug it guards (issue #10): cohort cells that counted
orders after the window's end, a channel filter that zeroed the K-factor, the
ladder / gaps / funnel that ignored the date filter, deltas against a period
before the data, and 12-month LTV with two definitions. The "truth" here is
computed from ``ds.orders`` and ``ds.refunds`` with pandas only, not with
``lib``'s helpers.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import load_here

from lib.model import tables
from lib.model.metrics import overview, value_decomposition, window_referrals
from lib.model.view import Filters, apply_filters, prepare, previous_view

START, END = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-15")
LATER = pd.Timestamp("2026-03-31")  # the sample starts in November 2024: customers 12 months old by then


class Truth:
    """Plain pandas over the loaded tables, as of the end of ``end`` (nothing later exists)."""

    def __init__(self, ds, start: pd.Timestamp, end: pd.Timestamp, channels: tuple[str, ...] | None = None):
        stop = end + pd.Timedelta(days=1)
        o = ds.orders.reset_index(drop=True)
        o = o.assign(row=np.arange(len(o))).sort_values(["order_date", "row"], kind="stable")
        acq = o.groupby("customer_id", sort=False)["channel"].first()  # channel of the first order
        o = o.loc[o["order_date"] < stop]
        if channels is not None:
            o = o.loc[acq.reindex(o["customer_id"]).isin(channels).to_numpy()]
        self.orders = o
        self.window = o.loc[o["order_date"] >= start]
        self.first = o.groupby("customer_id")["order_date"].min()
        self.new = self.first.index[(self.first >= start)]
        self.refunds = ds.refunds.loc[(ds.refunds["kind"] == "refund") & (ds.refunds["refund_date"] < stop)
                                      & ds.refunds["customer_id"].isin(self.first.index)]


@pytest.fixture(scope="module")
def sample(sample_path):
    return load_here(sample_path)


def test_cohort_cells_count_nothing_after_the_window(sample):
    # was: the June cell held every June order (47,743) though the window ends on the 15th (25,947)
    v = apply_filters(sample, Filters(START, END))
    got = tables.cohort_heatmap(v).set_index(["cohort", "period"])
    t = Truth(sample, START, END)
    o = t.orders.loc[t.orders["customer_id"].isin(t.new)]
    cohort = t.first.reindex(o["customer_id"]).dt.to_period("M").to_numpy()
    period = (o["order_date"].dt.to_period("M").to_numpy() - cohort)
    o = o.assign(cohort=[c.to_timestamp() for c in cohort], period=[p.n for p in period])
    r = t.refunds.loc[t.refunds["customer_id"].isin(t.new)]
    rc = t.first.reindex(r["customer_id"]).dt.to_period("M").to_numpy()
    r = r.assign(cohort=[c.to_timestamp() for c in rc], period=[p.n for p in (r["refund_date"].dt.to_period("M").to_numpy() - rc)])
    revenue = o.groupby(["cohort", "period"])["amount"].sum().sub(r.groupby(["cohort", "period"])["amount"].sum(), fill_value=0)
    active = o.groupby(["cohort", "period"])["customer_id"].nunique()
    assert got["revenue"].sum() == pytest.approx(revenue.sum())
    assert np.allclose(got.loc[revenue.index, "revenue"].to_numpy(), revenue.to_numpy())
    assert (got.loc[active.index, "active"] == active).all()
    assert (got.drop(active.index)["active"] == 0).all()
    june = got.xs(pd.Timestamp("2025-06-01"), level="cohort")
    assert june.loc[0, "revenue"] == pytest.approx(revenue.loc[(pd.Timestamp("2025-06-01"), 0)])


def test_a_channel_filter_keeps_the_referrals_its_customers_made(sample):
    # was: Channels = SMS showed sharing rate 0.0 % and K 0.00 (the people SMS customers brought came by "Referral")
    v = apply_filters(sample, Filters(channels=("SMS",)))
    rates = window_referrals(v)
    t = Truth(sample, pd.Timestamp("1900-01-01"), v.as_of, ("SMS",))
    everyone = Truth(sample, pd.Timestamp("1900-01-01"), v.as_of)
    o = everyone.orders.dropna(subset=["referrer_id"])
    link = o.groupby("customer_id")["referrer_id"].first()
    link = link.loc[(link != link.index) & link.isin(everyone.first.index)]  # no self-referral, referrer bought
    sms = set(t.first.index)
    brought = link.loc[link.isin(sms)]
    assert rates.customers == len(sms)
    assert rates.brought == len(brought) > 0
    assert rates.referrers == brought.nunique()
    k = overview(v)
    assert k.k_factor == pytest.approx(len(brought) / len(sms))
    assert k.sharing_rate == pytest.approx(brought.nunique() / len(sms))
    assert value_decomposition(v).referred_per_customer == pytest.approx(k.k_factor)


def test_k_factor_is_new_customers_per_customer(sample):
    # was: referred / not referred (K / (1 - K))
    v = apply_filters(sample)
    t = Truth(sample, pd.Timestamp("1900-01-01"), v.as_of)
    o = t.orders.dropna(subset=["referrer_id"])
    link = o.groupby("customer_id")["referrer_id"].first()
    link = link.loc[(link != link.index) & link.isin(t.first.index)]
    assert overview(v).k_factor == pytest.approx(len(link) / len(t.first))


def test_ladder_gaps_and_funnel_follow_the_date_filter(sample):
    # was: the funnel started at every customer (3,280) for a window of 765 customers
    v = apply_filters(sample, Filters(START, END))
    t = Truth(sample, START, END)
    window_customers = t.window["customer_id"].unique()
    counts = t.orders.groupby("customer_id").size()
    member = t.orders.groupby("customer_id")["is_member"].any()

    lad, movement = tables.ladder(v, loyal_orders=4)
    lad = lad.set_index("rung")["customers"]
    assert lad[["bought once", "repeat", "loyal"]].sum() == len(window_customers) == overview(v).customers
    once = counts.reindex(window_customers)
    assert lad["bought once"] == int(((once == 1) & ~member.reindex(window_customers)).sum())
    assert movement["month"].min() == pd.Timestamp("2025-01-01") and movement["month"].max() == pd.Timestamp("2025-06-01")

    rep = tables.repurchase(v)
    later = t.orders.assign(n=t.orders.groupby("customer_id").cumcount() + 1)
    later = later.loc[(later["n"] >= 2) & (later["order_date"] >= START)]
    assert len(rep.gaps) == len(later)
    new_counts = counts.reindex(t.new)
    assert rep.funnel["customers"].tolist() == [int((new_counts >= n).sum()) for n in (1, 2, 3, 4)]
    assert rep.by_cohort["customers"].sum() == len(t.new)


def test_no_deltas_against_a_period_before_the_data(sample):
    # was: +583 % orders against a previous period the file barely covers
    p = prepare(sample)
    first_half = apply_filters(p, Filters(p.data_start, p.data_start + pd.Timedelta(days=59)))
    assert previous_view(p, first_half) is None
    later = apply_filters(p, Filters(pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-31")))
    prev = previous_view(p, later)
    assert prev is not None and (prev.start, prev.as_of) == (pd.Timestamp("2025-01-29"), pd.Timestamp("2025-02-28"))


def test_twelve_month_ltv_has_one_definition(sample):
    # was: 566.41 on the Overview (one maturity rule), 567.17 on the LTV and CAC pages (another)
    for f in (Filters(), Filters(START, LATER), Filters(channels=("SMS", "Parcel card"))):
        v = apply_filters(sample, f)
        curve = tables.ltv_by(v, None).set_index("month")["ltv"]
        assert overview(v).ltv_12m == curve[12]
        by_channel = tables.cac_table(v, 0.6).set_index("channel")["ltv"]
        curves = tables.ltv_by(v, "channel")
        for ch, value in by_channel.dropna().items():
            assert value == curves.loc[(curves["group"] == ch) & (curves["month"] == 12), "ltv"].item()


def test_twelve_month_ltv_equals_plain_pandas(sample):
    v = apply_filters(sample, Filters(None, LATER))
    t = Truth(sample, pd.Timestamp("1900-01-01"), LATER)
    horizon = 12 * 30.4375
    age_end = ((LATER + pd.Timedelta(days=1)) - t.first).dt.total_seconds() / 86400
    mature = t.first.index[age_end >= horizon]
    o = t.orders.loc[t.orders["customer_id"].isin(mature)]
    o_age = (o["order_date"] - t.first.reindex(o["customer_id"]).to_numpy()).dt.total_seconds() / 86400
    r = t.refunds.loc[t.refunds["customer_id"].isin(mature)]
    r_age = (r["refund_date"] - t.first.reindex(r["customer_id"]).to_numpy()).dt.total_seconds() / 86400
    # within 12 months of 30.4375 days of the first order (times of day included)
    in_o = o_age < horizon
    in_r = r_age < horizon
    expected = (o.loc[in_o.to_numpy(), "amount"].sum() - r.loc[in_r.to_numpy(), "amount"].sum()) / len(mature)
    assert overview(v).ltv_12m == pytest.approx(expected)


# ----------------------------------------------------------------------------- a line-item workbook (UCI Online Retail)


def _online_retail(seed: int = 5) -> pd.DataFrame:
    """Invoice lines shaped like the public UCI Online Retail data: InvoiceNo (a "C" prefix cancels), StockCode,
    Description, Quantity, InvoiceDate, UnitPrice, CustomerID (a float, sometimes blank), Country. Dec 2010 - Dec 2011."""
    rng = np.random.default_rng(seed)
    rows, invoice = [], 536365
    countries = ["United Kingdom", "France", "Germany", "EIRE"]
    for c in range(240):
        cid = float(12346 + c)
        country = countries[int(rng.integers(0, 4))]
        first = pd.Timestamp("2010-12-01 08:26") + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 360)))
        when = first
        for _ in range(int(rng.geometric(0.45))):
            invoice += 1
            for _ in range(int(rng.integers(1, 5))):
                code = str(int(rng.integers(20000, 23000)))
                rows.append((str(invoice), code, f"ITEM {code}", int(rng.integers(1, 13)), when,
                             float(rng.choice([0.85, 1.25, 2.55, 3.39, 4.95])), cid, country))
            if rng.random() < 0.08:  # a cancellation of one line a few days later
                rows.append((f"C{invoice}", rows[-1][1], rows[-1][2], -rows[-1][3], when + pd.Timedelta(days=3),
                             rows[-1][5], cid, country))
            when = when + pd.Timedelta(days=int(rng.integers(5, 120)))
            if when > pd.Timestamp("2011-12-09"):
                break
    for k in range(15):  # guests: no CustomerID (in the order totals, no customer)
        invoice += 1
        rows.append((str(invoice), "85123A", "WHITE HANGING HEART", 6, pd.Timestamp("2011-03-01") + pd.Timedelta(days=k),
                     2.55, float("nan"), "United Kingdom"))
    return pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                                       "CustomerID", "Country"])


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    raw = _online_retail()
    path = tmp_path_factory.mktemp("retail") / "Online Retail.xlsx"
    raw.to_excel(path, index=False, sheet_name="Online Retail")
    mapping = {"order_id": "InvoiceNo", "sku": "StockCode", "product": "Description", "quantity": "Quantity",
               "order_date": "InvoiceDate", "unit_price": "UnitPrice", "customer_id": "CustomerID", "channel": "Country"}
    return raw, load_here(path, mapping=mapping)  # the country as the channel, as a user maps it in the sidebar


def test_online_retail_ii_states_its_currency_through_the_country(tmp_path):
    """Online Retail II names no currency: United Kingdom on most rows says pounds, and the Data notes say why."""
    raw = _online_retail()
    raw["Country"] = np.where(np.arange(len(raw)) % 10 == 0, "France", "United Kingdom")  # 90 % UK, as in the data
    path = tmp_path / "online_retail_II.xlsx"
    raw.to_excel(path, index=False, sheet_name="Year 2010-2011")
    ds = load_here(path)
    assert ds.report.currency == "£"
    assert any(n.startswith("Currency £: the country of 90% of the rows ('Country': United Kingdom)") for n in ds.report.notes)


def _retail_truth(raw: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, country: str | None):
    """Plain pandas on the raw lines: invoices, cancellations, customers as of the window's end."""
    stop = end + pd.Timedelta(days=1)
    lines = raw.dropna(subset=["CustomerID"]).assign(value=lambda d: d["Quantity"] * d["UnitPrice"],
                                                     customer=lambda d: d["CustomerID"].astype(int).astype(str))
    sales = lines.loc[~lines["InvoiceNo"].str.startswith("C")]
    inv = sales.groupby("InvoiceNo").agg(customer=("customer", "first"), date=("InvoiceDate", "first"),
                                         amount=("value", "sum"), country=("Country", "first"))
    canc = lines.loc[lines["InvoiceNo"].str.startswith("C")].groupby("InvoiceNo").agg(
        customer=("customer", "first"), date=("InvoiceDate", "first"), amount=("value", lambda v: -v.sum()))
    inv, canc = inv.loc[inv["date"] < stop], canc.loc[canc["date"] < stop]
    first = inv.sort_values("date").groupby("customer").agg(first=("date", "first"), country=("country", "first"))
    if country is not None:
        keep = set(first.index[first["country"] == country])
        inv, canc, first = inv.loc[inv["customer"].isin(keep)], canc.loc[canc["customer"].isin(keep)], first.loc[list(keep)]
    window = inv.loc[inv["date"] >= start]
    return inv, canc, first, window, canc.loc[canc["date"] >= start]


def _retail_guests(raw: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, country: str | None) -> pd.Series:
    """Plain pandas: the amount of each guest invoice (no CustomerID) of the window, of ``country`` when given."""
    g = raw.loc[raw["CustomerID"].isna() & ~raw["InvoiceNo"].str.startswith("C")]
    g = g.loc[(g["InvoiceDate"] >= start) & (g["InvoiceDate"] < end + pd.Timedelta(days=1))]
    if country is not None:
        g = g.loc[g["Country"] == country]
    return (g["Quantity"] * g["UnitPrice"]).groupby(g["InvoiceNo"]).sum()


@pytest.mark.parametrize("start, end, country", [
    (pd.Timestamp("2011-02-01"), pd.Timestamp("2011-07-31"), None),
    (pd.Timestamp("2010-12-01"), pd.Timestamp("2011-12-09"), "France"),
    (pd.Timestamp("2011-03-01"), pd.Timestamp("2011-10-31"), "Germany"),
], ids=["date window", "channel", "both"])
def test_a_line_item_workbook_agrees_with_plain_pandas_under_filters(retail, start, end, country):
    raw, ds = retail
    v = apply_filters(ds, Filters(start, end, (country,) if country else None))
    inv, canc, first, window, window_canc = _retail_truth(raw, start, end, country)
    k = overview(v)
    per = window.groupby("customer").size()
    guests = _retail_guests(raw, start, end, country)  # order totals count guest invoices; customer figures do not
    assert (k.orders, k.customers, k.guest_orders) == (len(window) + len(guests), len(per), len(guests))
    assert k.revenue_gross == pytest.approx(window["amount"].sum() + guests.sum())
    assert k.guest_revenue == pytest.approx(guests.sum())
    assert k.orders_per_customer == pytest.approx(len(window) / len(per))
    assert k.refunds == pytest.approx(window_canc["amount"].sum())
    assert k.repurchase_rate == pytest.approx((per >= 2).mean())
    new = first.index[first["first"] >= start]
    assert k.new_customers == len(new)
    # cohort heatmap: customers acquired in the window, net revenue per cohort month up to the window's end
    heat = tables.cohort_heatmap(v).groupby("cohort")["revenue"].sum()
    mine = inv.loc[inv["customer"].isin(new)]
    month = first.loc[mine["customer"], "first"].dt.to_period("M").dt.to_timestamp().to_numpy()
    net = mine.groupby(month)["amount"].sum()
    mc = canc.loc[canc["customer"].isin(new)]
    if len(mc):
        net = net.sub(mc.groupby(first.loc[mc["customer"], "first"].dt.to_period("M").dt.to_timestamp().to_numpy())["amount"].sum(),
                      fill_value=0)
    assert np.allclose(heat.reindex(net.index).to_numpy(), net.to_numpy())
    # the order funnel of the customers acquired in the window, counting their invoices to its end
    counts = inv.loc[inv["customer"].isin(new)].groupby("customer").size()
    assert tables.repurchase(v).funnel["customers"].tolist() == [int((counts >= n).sum()) for n in (1, 2, 3, 4)]
    # 12-month LTV: customers 12 months (of 30.4375 days) old by the analysis date (the window's end or the data's
    # last day, whichever is earlier), net revenue in their first 12 months
    horizon = pd.Timedelta(days=12 * 30.4375)
    as_of = min(end, raw["InvoiceDate"].max().normalize())
    assert v.as_of == as_of
    mature = first.index[(as_of + pd.Timedelta(days=1)) - first["first"] >= horizon]
    if len(mature):
        o = inv.loc[inv["customer"].isin(mature)]
        r = canc.loc[canc["customer"].isin(mature)]
        in_o = (o["date"] - first.loc[o["customer"], "first"].to_numpy()) < horizon
        in_r = (r["date"] - first.loc[r["customer"], "first"].to_numpy()) < horizon
        assert k.ltv_12m == pytest.approx((o.loc[in_o, "amount"].sum() - r.loc[in_r, "amount"].sum()) / len(mature))
    else:
        assert np.isnan(k.ltv_12m)


@pytest.mark.parametrize("end", ["2025-01-15", "2025-09-30", "2026-06-01", "2030-01-01"])
def test_the_fast_history_up_to_an_end_equals_the_plain_one(sample, end):
    # up to a new end, the customers and their orders come from the dataset's one sort by customer (a prefix of
    # date-sorted rows); without it they are sorted again: both must give the same tables
    import dataclasses

    p = prepare(sample)
    assert p.by_customer is not None
    plain = dataclasses.replace(p, by_customer=None)
    for channels in (None, ("SMS", "Referral")):
        f = Filters(None, pd.Timestamp(end), channels)
        a, b = apply_filters(p, f), apply_filters(plain, f)
        pd.testing.assert_frame_equal(a.customers, b.customers)
        pd.testing.assert_frame_equal(a.everyone, b.everyone)
        pd.testing.assert_frame_equal(a.all_orders, b.all_orders)
        assert pd.Series(overview(a).as_dict()).equals(pd.Series(overview(b).as_dict()))  # NaN where NaN
        assert (a.all_by_customer is not None) == (channels is None) and b.all_by_customer is None
        from lib.model.metrics import ladder_movement
        pd.testing.assert_frame_equal(ladder_movement(a.all_orders, 4, a.all_by_customer), ladder_movement(b.all_orders, 4))
