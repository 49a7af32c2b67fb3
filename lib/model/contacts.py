"""Who to contact: each customer's rhythm and expected next order, and ready lists with a reason per customer.

Everything is **as of** the view's end (``View.as_of``: the window's last day,
by default the data's last order), never the clock. The customers are every
customer acquired by then through the selected channels (``View.customers``),
with their history up to that day.

Per customer (:attr:`Contacts.customers`):

=================  ===========================================================
column             meaning
=================  ===========================================================
customer_id        the customer's id as in the file
customer_name,     only those the file maps (:data:`lib.schema.CONTACT_FIELDS`,
phone, email       from ``reach``): the latest known, to reach them today
last_order         date of the last order (day)
days_since_last    as_of − last_order in days
orders             orders up to as_of
spend              Σ order amounts up to as_of (currency, before refunds)
channel            acquisition channel
is_member          member flag on any order
rhythm_days        median days between the customer's own orders; for one
                   order, the median of their channel's customers (else the
                   shop's); at least 1
rhythm_from        "own", "channel" or "shop": where rhythm_days comes from
expected_next      last_order + rhythm_days (day)
days_to_due        expected_next − as_of in days (negative: overdue)
p_alive            P(active) from MBG/NBD (NaN when the model cannot be fitted)
clv_12m            predicted value of the orders of the next 12 months, before refunds (currency; NaN idem)
segment            RFM segment (:func:`lib.model.rfm.rfm_scores`)
brought            buying customers this customer referred
=================  ===========================================================

Ready lists (each row: the customer columns, ``reason`` and ``due_date``), first
match per list, a customer may be on several:

* ``due`` — due now: 2+ orders, expected next order within ``due_within_days``
  days or overdue by less than one rhythm; nearest to the expected day first.
* ``at_risk`` — valuable and slipping: predicted 12-month CLV in the top
  ``valuable_share`` (spend when there is no model), 2+ orders, overdue by one
  rhythm or more (P(active) falls while no order comes) and P(active) < 0.8.
* ``convert`` — one-time buyers to convert: one order, placed between one and
  two rhythms (their channel's) before as_of.
* ``referrers`` — top referrers to reward: brought at least one buying customer,
  most brought first, at most ``top_referrers``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.i18n import fmt_date, fmt_money, fmt_number, fmt_pct, translate
from lib.model.cohorts import days_between_orders
from lib.model.referrals import ReferralForest, direct_referees_revenue, referral_forest
from lib.model.rfm import rfm_scores
from lib.model.view import View
from lib.schema import CONTACT_FIELDS

LISTS = {"due": "Due now", "at_risk": "Valuable, at risk", "convert": "One-time buyers to convert",
         "referrers": "Top referrers to reward"}
REASONS = {
    "due": "Orders every {rhythm} days; last order {last}; next expected {due}.",
    "at_risk": "Worth {clv} in the next 12 months; P(active) {p} and falling: {late} days past the usual {rhythm}-day rhythm.",
    "convert": "One order, {days} days ago; {channel} customers usually order again within {rhythm} days.",
    "referrers": "Brought {n} buying customers, who spent {revenue}.",
}
EXPORT_COLUMNS = ("customer_id", "customer_name", "phone", "email", "list", "reason", "due_date", "last_order", "orders",
                  "spend", "channel", "is_member", "p_alive", "clv_12m", "segment")


@dataclass(frozen=True)
class Contacts:
    """What :func:`contacts` returns."""

    customers: pd.DataFrame           # one row per customer (columns in the module docstring)
    lists: dict[str, pd.DataFrame]    # list key -> customers on it, with reason and due_date
    summary: pd.DataFrame             # list, customers, clv_at_stake (Σ clv_12m of the list)
    as_of: pd.Timestamp
    model_note: str | None            # why P(active) and CLV are missing, when they are


def customer_rhythm(view: View) -> pd.DataFrame:
    """customer_id, rhythm_days, rhythm_from for ``view.customers`` (see the module docstring)."""
    gaps = days_between_orders(view.all_orders, view.customers)
    own = gaps.groupby("customer_id", observed=True)["days"].median()
    by_channel = gaps.groupby("channel", observed=True)["days"].median()
    shop = float(gaps["days"].median()) if len(gaps) else np.nan
    c = view.customers
    ids = c["customer_id"].astype(str)
    own_days = pd.Series(own.to_numpy(float), index=own.index.astype(str)).reindex(ids).to_numpy()
    ch_days = pd.Series(by_channel.to_numpy(float), index=by_channel.index.astype(str)).reindex(c["channel"].astype(str)).to_numpy()
    days = np.where(~np.isnan(own_days), own_days, np.where(~np.isnan(ch_days), ch_days, shop))
    source = np.where(~np.isnan(own_days), "own", np.where(~np.isnan(ch_days), "channel", "shop"))
    return pd.DataFrame({"customer_id": ids.to_numpy(), "rhythm_days": np.maximum(days, 1.0), "rhythm_from": source})


def contacts(view: View, predicted: pd.DataFrame | str | None, forest: ReferralForest | None = None, lang: str = "en",
             currency: str = "¥", due_within_days: int = 7, valuable_share: float = 0.2, top_referrers: int = 50,
             reach: pd.DataFrame | None = None) -> Contacts:
    """Per-customer contact facts and the ready lists, as of ``view.as_of``.

    ``predicted``: :attr:`lib.model.tables.Predicted.customers` (customer_id, p_alive,
    clv), or the reason the models could not be fitted (then P(active) and CLV
    are NaN and "valuable" means the top spenders). ``lang`` words the reasons.
    ``reach``: :attr:`lib.schema.Dataset.contacts` (name, phone, email per customer), when the file has them.
    """
    as_of = pd.Timestamp(view.as_of).normalize()
    c = view.customers.reset_index(drop=True)
    out = _customer_facts(view, c, as_of, predicted, reach)
    forest = forest if forest is not None else referral_forest(view.everyone)
    nodes = forest.nodes.assign(customer_id=forest.nodes["customer_id"].astype(str)).set_index("customer_id")
    out["brought"] = nodes["direct_referrals"].reindex(out["customer_id"]).fillna(0).to_numpy(int)
    brought_revenue = pd.Series(direct_referees_revenue(forest), index=nodes.index).reindex(out["customer_id"]).fillna(0).to_numpy(float)
    since_first = (as_of - c["first_order_date"].dt.normalize()).dt.days.to_numpy(float)
    lists = {"due": _due(out, due_within_days, lang), "at_risk": _at_risk(out, as_of, valuable_share, lang, currency),
             "convert": _to_convert(out, since_first, as_of, lang),
             "referrers": _referrers(out, brought_revenue, as_of, top_referrers, lang, currency)}
    summary = pd.DataFrame([{"list": k, "customers": len(df), "clv_at_stake": float(df["clv_12m"].sum(min_count=1))}
                            for k, df in lists.items()])
    return Contacts(out, lists, summary, as_of, predicted if isinstance(predicted, str) else None)


def _customer_facts(view: View, c: pd.DataFrame, as_of: pd.Timestamp, predicted: pd.DataFrame | str | None,
                    reach: pd.DataFrame | None) -> pd.DataFrame:
    """The per-customer columns of the module docstring, but ``brought``."""
    ids = c["customer_id"].astype(str)
    rhythm = customer_rhythm(view)
    last = c["last_order_date"].dt.normalize()
    out = pd.DataFrame({
        "customer_id": ids.to_numpy(), "last_order": last.to_numpy(), "orders": c["orders"].to_numpy(int),
        "spend": c["revenue"].to_numpy(float), "channel": c["channel"].astype(str).to_numpy(),
        "is_member": c["is_member"].to_numpy(bool), "rhythm_days": rhythm["rhythm_days"].to_numpy(),
        "rhythm_from": rhythm["rhythm_from"].to_numpy(),
    })
    if reach is not None:  # the latest name, phone, email known for the customer
        latest = reach.set_index(reach["customer_id"].astype(str))
        for i, f in enumerate([f for f in CONTACT_FIELDS if f in reach.columns], start=1):
            out.insert(i, f, latest[f].reindex(out["customer_id"]).astype("string").to_numpy())
    out["days_since_last"] = (as_of - out["last_order"]).dt.days.astype(float)
    out["expected_next"] = out["last_order"] + pd.to_timedelta(np.round(out["rhythm_days"]), unit="D")
    out["days_to_due"] = (out["expected_next"] - as_of).dt.days.astype(float)
    if isinstance(predicted, pd.DataFrame):
        p = predicted.assign(customer_id=predicted["customer_id"].astype(str)).set_index("customer_id")
        out["p_alive"] = p["p_alive"].reindex(out["customer_id"]).to_numpy(float)
        out["clv_12m"] = p["clv"].reindex(out["customer_id"]).to_numpy(float)
    else:
        out["p_alive"], out["clv_12m"] = np.nan, np.nan
    seg = rfm_scores(c, view.as_of)
    out["segment"] = seg["segment"].to_numpy() if len(seg) else []
    return out


def _reasons(key: str, lang: str, **values: object) -> list[str]:
    """The ``key`` reason of :data:`REASONS` in ``lang`` for each row; ``values``: one sequence per placeholder."""
    return [translate(REASONS[key], lang).format(**{k: v[i] for k, v in values.items()})  # type: ignore[index]
            for i in range(len(next(iter(values.values()))))]  # type: ignore[arg-type]


def _due(out: pd.DataFrame, due_within_days: int, lang: str) -> pd.DataFrame:
    r = out["rhythm_days"]
    due = (out["orders"] >= 2) & (out["days_to_due"] <= due_within_days) & (out["days_to_due"] > -r)
    d = out.loc[due]
    d = d.assign(_near=d["days_to_due"].abs())  # nearest to the day first: just due, about to be due
    d = d.sort_values(["_near", "days_to_due", "customer_id"]).drop(columns="_near")
    d["reason"] = _reasons("due", lang, rhythm=_days(d["rhythm_days"], lang), last=_dates(d["last_order"], lang),
                           due=_dates(d["expected_next"], lang))
    return d.assign(due_date=d["expected_next"])


def _at_risk(out: pd.DataFrame, as_of: pd.Timestamp, valuable_share: float, lang: str, currency: str) -> pd.DataFrame:
    value = out["clv_12m"] if out["clv_12m"].notna().any() else out["spend"]
    cut = value.quantile(1 - valuable_share) if len(value.dropna()) else np.inf
    p_alive = out["p_alive"].fillna(0.0) if out["p_alive"].notna().any() else pd.Series(0.0, index=out.index)
    risk = (value >= cut) & (out["orders"] >= 2) & (out["days_to_due"] <= -out["rhythm_days"]) & (p_alive < 0.8)
    a = out.loc[risk].sort_values(["clv_12m", "spend", "customer_id"], ascending=[False, False, True]).copy()
    a["reason"] = _reasons("at_risk", lang,
                           clv=[fmt_money(v, currency, lang) for v in (a["clv_12m"].where(a["clv_12m"].notna(), a["spend"]))],
                           p=[fmt_pct(v) if v == v else "—" for v in a["p_alive"]], late=_days(-a["days_to_due"], lang),
                           rhythm=_days(a["rhythm_days"], lang))
    return a.assign(due_date=as_of)


def _to_convert(out: pd.DataFrame, since_first: np.ndarray, as_of: pd.Timestamp, lang: str) -> pd.DataFrame:
    r = out["rhythm_days"]
    conv = (out["orders"] == 1) & (since_first >= r) & (since_first <= 2 * r)
    v = out.loc[conv].assign(since=since_first[conv.to_numpy()]).sort_values(["since", "customer_id"]).copy()
    v["reason"] = _reasons("convert", lang, days=_days(v["since"], lang), channel=v["channel"].tolist(),
                           rhythm=_days(v["rhythm_days"], lang))
    return v.drop(columns="since").assign(due_date=as_of)


def _referrers(out: pd.DataFrame, brought_revenue: np.ndarray, as_of: pd.Timestamp, top: int, lang: str,
               currency: str) -> pd.DataFrame:
    ref = out.assign(brought_revenue=brought_revenue)
    ref = ref.loc[ref["brought"] > 0].sort_values(["brought", "brought_revenue", "customer_id"],
                                                  ascending=[False, False, True]).head(top).copy()
    ref["reason"] = _reasons("referrers", lang, n=[fmt_number(x, lang) for x in ref["brought"]],
                             revenue=[fmt_money(x, currency, lang) for x in ref["brought_revenue"]])
    return ref.drop(columns="brought_revenue").assign(due_date=as_of)


def custom_list(customers: pd.DataFrame, segments: tuple[str, ...] = (), channels: tuple[str, ...] = (), min_orders: int = 1,
                last_order_days: tuple[float, float] = (0, float("inf")), max_p_alive: float | None = None) -> pd.DataFrame:
    """Customers matching every given condition (an empty tuple means any), most valuable first."""
    m = customers["orders"] >= min_orders
    if segments:
        m &= customers["segment"].isin(segments)
    if channels:
        m &= customers["channel"].isin(channels)
    since = customers["days_since_last"]
    m &= (since >= last_order_days[0]) & (since <= last_order_days[1])
    if max_p_alive is not None:
        m &= customers["p_alive"].fillna(0) <= max_p_alive
    return customers.loc[m].sort_values(["clv_12m", "spend", "customer_id"], ascending=[False, False, True])


def export_table(c: Contacts, keys: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The lists as one table a WeChat/SCRM or email tool imports (columns :data:`EXPORT_COLUMNS`, the contact ones
    only when the file has them; ``list`` is the list's name in :data:`LISTS`), list order kept."""
    columns = [col for col in EXPORT_COLUMNS if col not in CONTACT_FIELDS or col in c.customers.columns]
    frames = [df.assign(list=LISTS[key]) for key, df in c.lists.items() if keys is None or key in keys]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _days(values: pd.Series, lang: str) -> list[str]:
    return [fmt_number(round(float(x)), lang) for x in values]


def _dates(values: pd.Series, lang: str) -> list[str]:
    return [fmt_date(pd.Timestamp(x), lang) for x in values]
