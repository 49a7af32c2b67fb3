"""The referral forest: who brought whom, and how far word of mouth reaches.

Edges come from each customer's referrer (see :func:`lib.model.customers.customers_table`).
Data problems are handled deterministically and reported:

* **self-referral** (referrer = the customer): the link is dropped;
* **referrer never bought** (a name not among the customers): the link is
  dropped and the name is a "potential" customer;
* **cycle** (A referred by B, B referred by A, ...): the link of the cycle
  member with the earliest first order (ties: smallest id) is dropped, so that
  customer becomes a root.

Everything is vectorised (pointer jumping), no recursion: a million
customers with chains 50 deep take about a second.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.model.customers import customer_ids


@dataclass
class ReferralForest:
    """Per-customer referral structure and the problems found.

    ``nodes`` columns: customer_id, referrer_id (valid link or <NA>; a
    categorical over the customer ids), generation (0 = not referred), root_id
    (categorical), direct_referrals,
    total_descendants, revenue (own), descendants_revenue (all descendants),
    first_order_date, referrer_row (the valid referrer's row in ``nodes``, -1 without one).
    ``issues`` columns: customer_id, referrer_id, issue.
    """

    nodes: pd.DataFrame
    issues: pd.DataFrame


def _steps(n: int) -> int:
    return int(np.ceil(np.log2(max(n, 2)))) + 2


def _stuck(parent: np.ndarray) -> np.ndarray:
    """Nodes whose chain of referrers never reaches a root (on or below a cycle)."""
    anc = parent.copy()
    for _ in range(_steps(len(parent))):
        m = anc >= 0
        if not m.any():
            break
        anc[m] = anc[anc[m]]
    return anc >= 0


def _depth_and_root(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Generation (steps to the root) and root of every node of an acyclic parent array."""
    idx = np.arange(len(parent))
    depth = (parent >= 0).astype(np.int64)
    root = np.where(parent >= 0, parent, idx)
    anc = parent.copy()
    for _ in range(_steps(len(parent))):
        m = anc >= 0
        if not m.any():
            break
        am = anc[m]
        depth[m] += depth[am]
        root[m] = root[am]
        anc[m] = anc[am]
    return depth, root


def referral_forest(customers: pd.DataFrame) -> ReferralForest:
    """Build the forest from a customers table (customer_id, referrer_id, first_order_date, revenue)."""
    c = customers.reset_index(drop=True)
    n = len(c)
    ids = customer_ids(c)
    ref = c["referrer_id"].astype("string")
    has_ref = ref.notna().to_numpy()
    ref_pos = np.full(n, -1, dtype=np.int64)
    if has_ref.any():
        ref_pos[has_ref] = ids.get_indexer(ref[has_ref])
    self_ref = has_ref & (ref_pos == np.arange(n))
    unknown = has_ref & (ref_pos < 0)
    issues = []
    for mask, label in ((self_ref, "self-referral"), (unknown, "referrer never bought")):
        if mask.any():
            issues.append(pd.DataFrame({"customer_id": ids[mask], "referrer_id": ref[mask].to_numpy(), "issue": label}))
    parent = np.where(has_ref & ~self_ref & ~unknown, ref_pos, -1)
    # break cycles deterministically
    first = c["first_order_date"].to_numpy()
    ids_arr = ids.to_numpy(dtype=object)
    stuck = _stuck(parent)
    while stuck.any():
        # walk from one stuck node far enough to land on its cycle, then collect the cycle
        node = int(np.flatnonzero(stuck)[0])
        for _ in range(n):
            node = int(parent[node])
        members = [node]
        nxt = int(parent[node])
        while nxt != node:
            members.append(nxt)
            nxt = int(parent[nxt])
        members_arr = np.array(members)
        order = np.lexsort((ids_arr[members_arr].astype(str), first[members_arr]))
        breaker = int(members_arr[order[0]])
        issues.append(pd.DataFrame({"customer_id": ids_arr[members_arr], "referrer_id": ids_arr[parent[members_arr]],
                                    "issue": "referral cycle"}))
        parent[breaker] = -1
        stuck = _stuck(parent)
    depth, root = _depth_and_root(parent)
    direct = np.bincount(parent[parent >= 0], minlength=n)
    revenue = c["revenue"].to_numpy(float) if "revenue" in c else np.zeros(n)
    size = np.zeros(n, dtype=np.int64)
    rev_desc = np.zeros(n)
    for d in range(int(depth.max()) if n else 0, 0, -1):
        at = np.flatnonzero(depth == d)
        np.add.at(size, parent[at], size[at] + 1)
        np.add.at(rev_desc, parent[at], rev_desc[at] + revenue[at])
    # ids as categoricals over the customer ids: codes only, no copy of a million strings. A view's customers already
    # have one (the dataset's ids): its dtype is reused, as building one checks a million ids for uniqueness (0.1 s)
    col = c["customer_id"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        own = col.cat.codes.to_numpy()

        def as_ids(rows: np.ndarray) -> pd.Categorical:
            return pd.Categorical.from_codes(np.where(rows >= 0, own[rows], -1), dtype=col.dtype)
    else:
        id_dtype = pd.CategoricalDtype(ids)

        def as_ids(rows: np.ndarray) -> pd.Categorical:
            return pd.Categorical.from_codes(rows, dtype=id_dtype)
    nodes = pd.DataFrame({
        "customer_id": c["customer_id"],
        "referrer_id": as_ids(parent),
        "generation": depth, "root_id": as_ids(root), "direct_referrals": direct,
        "total_descendants": size, "revenue": revenue, "descendants_revenue": rev_desc,
        "first_order_date": c["first_order_date"].to_numpy(), "referrer_row": parent,
    })
    iss = pd.concat(issues, ignore_index=True) if issues else pd.DataFrame(columns=["customer_id", "referrer_id", "issue"])
    return ReferralForest(nodes, iss)


def generation_sizes(forest: ReferralForest) -> pd.DataFrame:
    """Customers per generation and the K-factor between generations.

    Columns: generation (0 = not referred), customers, k (customers of the
    next generation / customers of this one; NaN for the last).
    """
    g = forest.nodes["generation"].value_counts().sort_index()
    t = pd.DataFrame({"generation": g.index.astype(int), "customers": g.to_numpy()})
    t["k"] = t["customers"].shift(-1) / t["customers"]
    return t


@dataclass(frozen=True)
class ReferralRates:
    """Word of mouth of a group of customers (the only place K-factor and sharing rate are defined).

    customers: customers in the group; referrers: of them, those who brought
    at least one buying customer (valid links); brought: the buying customers
    they brought directly (anyone, any channel; in a window, those acquired in
    it). K-factor = brought / customers (new customers per customer, the viral
    coefficient); sharing rate = referrers / customers (0..1). Both NaN for an
    empty group, and when the data has no referrer links at all (``known``
    False: a file without a referrer column says nothing about sharing, it
    does not say 0).
    """

    customers: int
    referrers: int
    brought: int
    known: bool = True

    @property
    def k_factor(self) -> float:
        return self.brought / self.customers if self.customers and self.known else float("nan")

    @property
    def sharing_rate(self) -> float:
        return self.referrers / self.customers if self.customers and self.known else float("nan")


def referrer_rows(forest: ReferralForest) -> np.ndarray:
    """Per node: the row of its valid referrer in ``forest.nodes``, -1 without one."""
    return forest.nodes["referrer_row"].to_numpy()


def direct_referees_revenue(forest: ReferralForest) -> np.ndarray:
    """Per node: the revenue (currency) of the customers it brought directly, the ones ``direct_referrals`` counts
    (not the generations below them: "brought 8, who spent ..." names the 8's own spending)."""
    parent = referrer_rows(forest)
    hit = parent >= 0
    return np.bincount(parent[hit], weights=forest.nodes["revenue"].to_numpy(float)[hit], minlength=len(forest.nodes))


def referral_rates(forest: ReferralForest, rows: np.ndarray | None = None,
                   referees: np.ndarray | None = None) -> ReferralRates:
    """:class:`ReferralRates` of the forest's customers, or of the rows of ``forest.nodes`` where ``rows`` is True.

    The links counted are the forest's valid ones (self-referrals, referrers
    who never bought and one link of each cycle are left out). ``referees``
    (per node, optional): only referred customers where it is True are
    counted as brought (a window's new customers: what the window's
    customers brought in it, not everyone they ever brought).
    """
    nodes = forest.nodes
    if referees is None:
        direct = nodes["direct_referrals"].to_numpy()
    else:
        parent = referrer_rows(forest)
        hit = (parent >= 0) & np.asarray(referees, dtype=bool)
        direct = np.bincount(parent[hit], minlength=len(nodes))
    if rows is not None:
        direct = direct[rows]
    known = bool(nodes["referrer_id"].notna().any()) or len(forest.issues) > 0
    return ReferralRates(int(len(direct)), int((direct > 0).sum()), int(direct.sum()), known)


def referral_revenue_share(forest: ReferralForest, rows: np.ndarray | None = None) -> float:
    """Share of revenue from referred customers (generation >= 1), 0..1, of all nodes or the ``rows``."""
    n = forest.nodes if rows is None else forest.nodes.loc[rows]
    total = n["revenue"].sum()
    return float(n.loc[n["generation"] > 0, "revenue"].sum() / total) if total else float("nan")


def top_referrers(forest: ReferralForest, n: int = 20, rows: np.ndarray | None = None) -> pd.DataFrame:
    """The customers worth rewarding (of all nodes or the ``rows``): most descendants, then their revenue.

    Columns: customer_id, direct_referrals, total_descendants,
    descendants_revenue, revenue (own), generation.
    """
    nodes = forest.nodes if rows is None else forest.nodes.loc[rows]
    t = nodes.loc[nodes["direct_referrals"] > 0]
    t = t.sort_values(["total_descendants", "descendants_revenue", "customer_id"], ascending=[False, False, True])
    return t[["customer_id", "direct_referrals", "total_descendants", "descendants_revenue", "revenue", "generation"]].head(n).reset_index(drop=True)


def referral_lag_days(forest: ReferralForest) -> pd.Series:
    """Days from each referrer's first order to their referee's first order (valid links only)."""
    n = forest.nodes
    linked = n.loc[n["referrer_id"].notna(), ["referrer_id", "first_order_date"]]
    ref_first = n.set_index("customer_id")["first_order_date"]
    lag = linked["first_order_date"].to_numpy() - ref_first.reindex(linked["referrer_id"]).to_numpy()
    return pd.Series(lag / np.timedelta64(1, "D"), name="days")


def median_referral_days(forest: ReferralForest) -> float:
    """Median days from a referrer's first order to their referee's (:func:`referral_lag_days`); NaN without links."""
    lag = referral_lag_days(forest).dropna()
    return float(lag.median()) if len(lag) else float("nan")


def descendants(forest: ReferralForest, customer_id: str, max_nodes: int = 500) -> pd.DataFrame:
    """The subtree under one referrer (breadth first, at most ``max_nodes`` nodes).

    Columns: customer_id, referrer_id, generation (relative: the referrer = 0), revenue.
    """
    n = forest.nodes
    children = n.loc[n["referrer_id"].notna()].groupby("referrer_id", observed=True)["customer_id"].apply(list).to_dict()
    frontier = [customer_id]
    rows = [(customer_id, None, 0)]
    level = 0
    while frontier and len(rows) < max_nodes:
        level += 1
        nxt = [k for p in frontier for k in children.get(p, [])]
        for k in nxt[: max_nodes - len(rows)]:
            rows.append((k, None, level))
        frontier = nxt
    t = pd.DataFrame(rows, columns=["customer_id", "referrer_id", "generation"])
    info = n.set_index("customer_id")
    t["referrer_id"] = info["referrer_id"].reindex(t["customer_id"]).to_numpy()
    t.loc[0, "referrer_id"] = None
    t["revenue"] = info["revenue"].reindex(t["customer_id"]).to_numpy()
    return t
