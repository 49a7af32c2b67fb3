"""Write ``sample_data/orders.xlsx``: a believable private-domain shop (seeded, reproducible).

About 3,000 customers and 10,000 orders over 24 months (Nov 2024 - Oct 2026),
eight acquisition channels and a Spend sheet with monthly spend, touches and
adds per channel. Stories a user can find in it:

* Douyin short video: the cheapest customers, who almost never buy again (never pay back).
* Phone call: the most expensive customers, and the most loyal.
* A handful of super-referrers who each bring dozens of friends, with
  referral chains more than four generations deep.
* Members (flag set from a customer's 4th order) spend more; ~3% of orders
  are refunded, ~1% cancelled.
* Products (a tea shop): customers whose first order is the Oolong tea 250g come
  back far more often than the shop's average (and mostly buy it again); the
  Mid-autumn gift box brings one-time buyers. First orders from Douyin, SMS and
  referrals often carry a discount code (DOUYIN20, SMS10, FRIEND50).
* Each customer has a name and (nine in ten) a mobile number, as a WeChat shop
  export writes them, so the contact lists can be imported into an SCRM tool.

Run ``python sample_data/make_sample.py`` to rebuild the file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261123
START = pd.Timestamp("2024-11-01")
END = pd.Timestamp("2026-10-31 23:59")
MONTHS = pd.date_range(START, END, freq="MS")
OUT = Path(__file__).with_name("orders.xlsx")


@dataclass(frozen=True)
class Channel:
    name: str
    new_per_month: float   # new customers a month (paid / owned channels)
    aov: float             # mean order value, CNY
    rate: float            # repeat orders a month while active
    life_months: float     # mean active life after the first order
    cac: float             # cost per new customer (spend / buyers)
    add_rate: float        # adds per touch
    buy_rate: float        # buyers per add


CHANNELS = (
    Channel("Parcel card", 16, 128, 0.35, 10, 120, 0.05, 0.0083),
    Channel("Phone call", 7, 210, 0.60, 18, 450, 0.15, 0.45),
    Channel("SMS", 12, 105, 0.25, 7, 110, 0.010, 0.40),
    Channel("AI voice call", 9, 118, 0.30, 8, 130, 0.06, 0.40),
    Channel("WeChat official account", 14, 140, 0.40, 12, 90, 0.04, 0.25),
    Channel("Douyin short video", 30, 79, 0.02, 1.5, 60, 0.02, 0.35),
    Channel("Store poster", 5, 150, 0.30, 10, 80, 0.10, 0.40),
)
REFERRAL = Channel("Referral", 0, 150, 0.40, 12, 0, 0, 0)
REFERRAL_REWARD = 50.0  # CNY paid per referred first order
PRODUCTS = ("Oolong tea 250g", "Mid-autumn gift box", "Green tea 100g", "Black tea 200g", "Jasmine tea 150g",
            "Tea cup set")
CODES = {"Douyin short video": ("DOUYIN20", 0.7), "SMS": ("SMS10", 0.4), "Referral": ("FRIEND50", 0.6)}


def _referrer_code(customers: list[dict], c: dict) -> str | None:
    if c["referrer"] is None:
        return None
    ref = customers[c["referrer"]]
    if "potential_of" in ref:  # the introducer never bought: keep the link to show a potential customer
        return f"C{ref['id'] + 10001:05d}"
    return f"C{c['referrer'] + 10001:05d}"


def simulate(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shop's order rows (orders, refunds, cancellations) and its Spend sheet; every draw from ``rng``, in this order."""
    customers = _new_customers(rng)
    _referrals(customers, rng)
    orders = _orders(customers, rng)
    _products_and_codes(orders, np.random.default_rng(SEED + 1))  # its own stream: every other figure stays the same
    _names_and_phones(orders, np.random.default_rng(SEED + 2))  # idem
    return _refunds_and_cancellations(orders, rng), _spend(customers, rng)


def _new_customers(rng: np.random.Generator) -> list[dict]:
    """Customers of the paid and owned channels, growing month by month."""
    customers: list[dict] = []
    for ch in CHANNELS:
        for m_i, month in enumerate(MONTHS):
            growth = 0.78 * (1 + 0.025 * m_i)
            n = rng.poisson(ch.new_per_month * growth)
            for _ in range(n):
                day = month + pd.Timedelta(days=float(rng.uniform(0, month.days_in_month)))
                customers.append({"channel": ch.name, "start": day, "referrer": None, "gen": 0})
    return customers


def _referrals(customers: list[dict], rng: np.random.Generator) -> None:
    """Add referred customers (in place): a branching process; a few super-referrers."""
    queue = list(range(len(customers)))
    for i, c in enumerate(customers):
        c["id"] = i
    superstars = set(rng.choice(len(customers), size=6, replace=False).tolist())
    head = 0
    while head < len(queue):
        i = queue[head]
        head += 1
        c = customers[i]
        lam = 0.0
        r = rng.random()
        if i in superstars:
            lam = rng.uniform(18, 30)
        elif r < (0.12 if c["gen"] == 0 else 0.30):
            lam = rng.uniform(0.8, 2.5)
        n = rng.poisson(lam)
        for _ in range(n):
            t = c["start"] + pd.Timedelta(days=float(rng.exponential(70)) + 3)
            if t > END:
                continue
            j = len(customers)
            customers.append({"id": j, "channel": REFERRAL.name, "start": t, "referrer": i, "gen": c["gen"] + 1})
            if rng.random() < 0.03:  # a friend who was introduced but has not bought yet: a potential customer
                customers[-1]["potential_of"] = i
            queue.append(j)


def _orders(customers: list[dict], rng: np.random.Generator) -> pd.DataFrame:
    """Each buying customer's orders over their active life, at their channel's rhythm and order value."""
    channel_by_name = {ch.name: ch for ch in (*CHANNELS, REFERRAL)}
    rows = []
    order_no = 100000
    for c in customers:
        if "potential_of" in c:  # never buys; shows up only as the referrer of a later friend
            continue
        ch = channel_by_name[c["channel"]]
        cust_code = f"C{c['id'] + 10001:05d}"
        life_end = c["start"] + pd.Timedelta(days=float(rng.exponential(ch.life_months * 30.4)))
        t = c["start"]
        n_orders = 0
        taste = rng.lognormal(0, 0.25)
        while t <= min(life_end, END):
            n_orders += 1
            member = n_orders >= 4
            amount = round(float(ch.aov * taste * rng.lognormal(-0.08, 0.4) * (1.15 if member else 1.0)), 2)
            order_no += 1
            rows.append({
                "Order ID": f"SO{order_no}", "Customer": cust_code, "Order date": t.floor("min"),
                "Amount": amount, "Channel": c["channel"],
                "Referrer": _referrer_code(customers, c),
                "Member": "yes" if member else "no", "Status": "completed",
            })
            gap_months = rng.exponential(1 / (1.45 * ch.rate)) if ch.rate > 0 else 1e9
            t = t + pd.Timedelta(days=float(min(gap_months, 1e5) * 30.4) + 1)
    return pd.DataFrame(rows)


def _refunds_and_cancellations(orders: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The orders with refunds (negative rows with the same order id) and cancellations (status), by date."""
    idx = rng.choice(len(orders), size=int(0.03 * len(orders)), replace=False)
    refunds = orders.iloc[idx].copy()
    refunds["Amount"] = -refunds["Amount"]
    refunds["Order date"] = refunds["Order date"] + pd.to_timedelta(rng.integers(2, 15, len(refunds)), unit="D")
    refunds["Status"] = "refunded"
    refunds = refunds[refunds["Order date"] <= END]
    cancel_idx = rng.choice(np.setdiff1d(np.arange(len(orders)), idx), size=int(0.01 * len(orders)), replace=False)
    orders = orders.copy()
    orders.loc[cancel_idx, "Status"] = "cancelled"
    refunds["Status"] = "completed"  # the negative amount marks the refund
    return pd.concat([orders, refunds], ignore_index=True).sort_values("Order date", kind="stable")


def _spend(customers: list[dict], rng: np.random.Generator) -> pd.DataFrame:
    """Monthly spend, touches and adds per channel, from its new customers; referral rewards for the Referral channel."""
    cust = pd.DataFrame(customers)
    cust["month"] = cust["start"].dt.to_period("M").dt.to_timestamp()
    spend_rows = []
    new_by = cust.groupby(["channel", "month"]).size()
    for ch in CHANNELS:
        for month in MONTHS:
            buyers = int(new_by.get((ch.name, month), 0))
            spend = buyers * ch.cac * rng.uniform(0.85, 1.15) if buyers else ch.cac * rng.uniform(2, 5)
            adds = max(buyers / ch.buy_rate * rng.uniform(0.9, 1.1), 1)
            touches = adds / ch.add_rate
            spend_rows.append({"Channel": ch.name, "Month": month.strftime("%Y-%m"), "Spend": round(spend, 2),
                               "Touches": int(round(touches)), "Adds": int(round(adds))})
    for month in MONTHS:
        referred = int(new_by.get((REFERRAL.name, month), 0))
        spend_rows.append({"Channel": REFERRAL.name, "Month": month.strftime("%Y-%m"),
                           "Spend": round(referred * REFERRAL_REWARD, 2), "Touches": None, "Adds": None})
    return pd.DataFrame(spend_rows)


def _products_and_codes(orders: pd.DataFrame, rng: np.random.Generator) -> None:
    """Add Product and Discount code columns (in place), with the story in the module docstring."""
    n_orders = orders.groupby("Customer")["Order ID"].transform("size").to_numpy()
    nth = orders.groupby("Customer").cumcount().to_numpy()
    first = nth == 0
    back = [0.40, 0.03, 0.17, 0.16, 0.14, 0.10]   # first product of customers who come back
    once = [0.08, 0.34, 0.18, 0.16, 0.14, 0.10]   # of one-time buyers
    later = [0.30, 0.02, 0.20, 0.20, 0.18, 0.10]  # any later order
    pick = np.where(first & (n_orders >= 2), 0, np.where(first, 1, 2))
    weights = np.array([back, once, later])
    u = rng.random(len(orders))
    cum = np.cumsum(weights, axis=1)[pick]
    product = np.array(PRODUCTS, dtype=object)[(u[:, None] > cum).sum(axis=1).clip(0, len(PRODUCTS) - 1)]
    # an Oolong first order is mostly followed by Oolong again (the refill)
    first_product = pd.Series(np.where(first, product, None)).groupby(orders["Customer"].to_numpy()).transform("first")
    refill = (nth == 1) & (first_product.to_numpy() == PRODUCTS[0]) & (rng.random(len(orders)) < 0.6)
    product[refill] = PRODUCTS[0]
    orders["Product"] = product
    code = np.full(len(orders), None, dtype=object)
    for channel, (name, share) in CODES.items():
        hit = first & (orders["Channel"].to_numpy() == channel) & (rng.random(len(orders)) < share)
        code[hit] = name
    orders["Discount code"] = code


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬飞鑫波斌宇浩凯健俊帆帅旭宁琳晨欣悦佳怡雪梅婷倩颖"


def _names_and_phones(orders: pd.DataFrame, rng: np.random.Generator) -> None:
    """Add Name and Phone columns (in place): one name per customer; a mobile number for nine in ten of them."""
    customers = orders["Customer"].unique()
    n = len(customers)
    given = ["".join(rng.choice(list(GIVEN), size=k)) for k in rng.integers(1, 3, n, endpoint=True)]
    names = [rng.choice(list(SURNAMES)) + g for g in given]
    prefixes = rng.choice(["138", "139", "150", "151", "186", "187", "135", "177", "199"], size=n)
    phones = [f"{p}{x:08d}" if keep else None
              for p, x, keep in zip(prefixes, rng.integers(0, 10**8, n), rng.random(n) < 0.9)]
    orders["Name"] = orders["Customer"].map(dict(zip(customers, names)))
    orders["Phone"] = orders["Customer"].map(dict(zip(customers, phones)))


def main() -> None:
    rng = np.random.default_rng(SEED)
    orders, spend = simulate(rng)
    with pd.ExcelWriter(OUT, engine="openpyxl") as xw:
        orders.to_excel(xw, sheet_name="Orders", index=False)
        spend.to_excel(xw, sheet_name="Spend", index=False)
    print(f"Wrote {OUT}: {orders['Customer'].nunique():,} customers, {len(orders):,} order rows, "
          f"{len(spend):,} spend rows")


if __name__ == "__main__":
    main()
