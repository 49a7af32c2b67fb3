"""The referral forest: who brought whom, and how far word of mouth reaches.

Edges come from each customer's referrer (see :func:`lib.model.customers.customers_table`).
Data problems are handled deterministically and reported:

* **self-referral** (referrer = the customer): the link is dropped;
* **referrer never bought** (a name not among the customers): the link is
  dropped and the name is a "potential" customer;
* **cycle** (A referred by B, B referred by A, ...): the link of the cycle
  member with the earliest first order (ties: smallest id) is dropped, so that
  customer becomes a root.

Everything is vectorised, no recursion and no walk per cycle, per generation or per customer: pointer
jumping (each round doubles how far a pointer reaches) finds the cycles, every cycle at once, and the
generations, roots and descendants' sums, in a number of array passes that grows with the log of the
depth. 100,000 customers in 50,000 cycles, or in one chain 100,000 deep, take well under a second.
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


def _stuck(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes whose chain of referrers never reaches a root (on or below a cycle), and where each lands: for a stuck
    node, a node on its cycle (at least ``len(parent)`` steps up); -1 for the others."""
    anc = parent.copy()
    for _ in range(_steps(len(parent))):
        m = anc >= 0
        if not m.any():
            break
        anc[m] = anc[anc[m]]
    return anc >= 0, anc


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


def _up(parent: np.ndarray, rows: np.ndarray, steps: int) -> np.ndarray:
    """The node ``steps`` referrers above each of ``rows``, whose chains never end (binary lifting, no walk)."""
    jump, at = parent.copy(), rows.copy()
    while steps:
        if steps & 1:
            at = jump[at]
        steps >>= 1
        if steps:
            jump = jump[np.maximum(jump, 0)]  # a root's entry is never followed from a stuck node
    return at


def _cycle_label(parent: np.ndarray, on_cycle: np.ndarray) -> np.ndarray:
    """Per node on a cycle, the smallest row of its cycle (-1 elsewhere): the minimum over ever longer spans."""
    rows = np.flatnonzero(on_cycle)
    label = np.full(len(parent), -1, dtype=np.int64)
    label[rows] = rows
    jump = parent.copy()
    span = 1
    while span < len(rows):
        label[rows] = np.minimum(label[rows], label[jump[rows]])
        jump[rows] = jump[jump[rows]]
        span *= 2
    return label


@dataclass(frozen=True)
class _Cycles:
    rows: np.ndarray     # the members of every cycle, as listed: cycle by cycle, each from where a walk lands on it
    breakers: np.ndarray  # per cycle, the member whose link is dropped


def _find_cycles(parent: np.ndarray, first: np.ndarray, ids: np.ndarray) -> _Cycles:
    """Every cycle of the referrer links, each once, and the link that breaks it (see the module's docstring).

    Cycles are listed in the order of the first row that leads into each (on it or below it), a cycle's members
    from the node reached by walking ``len(parent)`` steps up from that row, then on up the links.
    """
    stuck, anc = _stuck(parent)
    if not stuck.any():
        return _Cycles(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    n = len(parent)
    stuck_rows = np.flatnonzero(stuck)
    on_cycle = np.zeros(n, dtype=bool)
    on_cycle[anc[stuck_rows]] = True
    label = _cycle_label(parent, on_cycle)
    cycle_of, lead_pos = np.unique(label[anc[stuck_rows]], return_index=True)  # per cycle its first row leading in
    lead = stuck_rows[lead_pos]
    start = _up(parent, lead, n)
    cut = np.where(on_cycle, parent, -1)
    cut[start] = -1
    steps_to_start, _ = _depth_and_root(cut)
    members = np.flatnonzero(on_cycle)
    length = np.bincount(label[members], minlength=n)[label[members]]
    place = (length - steps_to_start[members]) % length  # 0 at the start, 1 at its referrer, ...
    rank = np.empty(n, dtype=np.int64)
    rank[cycle_of] = np.argsort(np.argsort(lead))  # cycles by their first row leading in
    listed = members[np.lexsort((place, rank[label[members]]))]
    by_age = members[np.lexsort((ids[members].astype(str), first[members], label[members]))]
    breakers = by_age[np.r_[True, label[by_age][1:] != label[by_age][:-1]]]
    return _Cycles(listed, breakers)


def _below(parent: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per node, the sum of ``values`` over everyone below it (its referees, theirs, ...) of an acyclic parent array.

    Spans that double each round (the referees 1 step below, then up to 2, 4, 8 ... below): rounds grow with
    the log of the depth, not with the depth.
    """
    n = len(parent)
    live = np.flatnonzero(parent >= 0)
    total = np.bincount(parent[live], weights=values[live], minlength=n).astype(np.float64)  # 1 step below
    jump = parent.copy()
    while len(live):
        total = total + np.bincount(jump[live], weights=total[live], minlength=n)
        jump[live] = jump[jump[live]]
        live = live[jump[live] >= 0]
    return total


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
    ids_arr = ids.to_numpy(dtype=object)
    cycles = _find_cycles(parent, c["first_order_date"].to_numpy(), ids_arr)
    if len(cycles.rows):
        issues.append(pd.DataFrame({"customer_id": ids_arr[cycles.rows], "referrer_id": ids_arr[parent[cycles.rows]],
                                    "issue": "referral cycle"}))
        parent[cycles.breakers] = -1
    depth, root = _depth_and_root(parent)
    direct = np.bincount(parent[parent >= 0], minlength=n)
    revenue = c["revenue"].to_numpy(float) if "revenue" in c else np.zeros(n)
    size = _below(parent, np.ones(n)).astype(np.int64)
    rev_desc = _below(parent, revenue)
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


GENERATIONS_SHOWN = 20  # a chart draws generations 0 .. 20 one by one and sums the later ones
TREEMAP_NODES = 3000    # a treemap draws at most this many customers (and one box for the trees left out)


def generation_groups(sizes: pd.DataFrame, first: int = GENERATIONS_SHOWN) -> pd.DataFrame:
    """The rows of :func:`generation_sizes` that a chart or a list shows: generations 0 .. ``first`` one by one, the
    later ones summed in one row labelled ``"{first + 1}+"`` (a chain 100,000 deep is 22 bars, not 100,000).

    Columns: generation (text: "0", "1", ..., "21+"), since (the row's first generation), customers (they add up
    to the forest's), k (as in :func:`generation_sizes`; the summed row's NaN), summed (True on the summed row).
    """
    head = sizes.loc[sizes["generation"] <= first]
    tail = sizes.loc[sizes["generation"] > first]
    out = pd.DataFrame({"generation": head["generation"].astype(int).astype(str).to_numpy(),
                        "since": head["generation"].astype(int).to_numpy(), "customers": head["customers"].to_numpy(),
                        "k": head["k"].to_numpy(float), "summed": False})
    if len(tail):
        rest = pd.DataFrame({"generation": [f"{first + 1}+"], "since": [first + 1], "customers": [int(tail["customers"].sum())],
                             "k": [float("nan")], "summed": [True]})
        out = pd.concat([out, rest], ignore_index=True)
    return out


@dataclass(frozen=True)
class ForestShown:
    """The part of the referral forest a treemap draws (:func:`forest_shown`), and what it leaves out.

    nodes: rows of ``forest.nodes``, the drawn customers of the largest trees, the first generations first;
    trees, trees_total: trees drawn, trees with at least one referral; customers, customers_total: customers
    drawn, customers in the trees drawn (the others are inside their referrer's box, whose area holds them);
    other_trees, other_customers, other_revenue: the trees not drawn, their customers and revenue (own +
    descendants', currency), one box.
    """

    nodes: pd.DataFrame
    trees: int
    trees_total: int
    customers: int
    customers_total: int
    other_trees: int
    other_customers: int
    other_revenue: float


def forest_shown(nodes: pd.DataFrame, top_roots: int = 30, max_nodes: int = TREEMAP_NODES) -> ForestShown:
    """The ``top_roots`` trees with the most descendants' revenue, at most ``max_nodes`` of their customers
    (generation by generation; within one, the largest branches first), from ``forest.nodes``."""
    roots = nodes.loc[(nodes["generation"] == 0) & (nodes["total_descendants"] > 0)]
    top = roots.nlargest(top_roots, "descendants_revenue")
    members = nodes.loc[nodes["root_id"].isin(top["customer_id"].astype(str))]
    kept = members.sort_values(["generation", "descendants_revenue"], ascending=[True, False], kind="stable").head(max_nodes)
    rest = roots.drop(index=top.index)
    return ForestShown(kept, len(top), len(roots), len(kept), len(members), len(rest),
                       int((rest["total_descendants"] + 1).sum()), float((rest["revenue"] + rest["descendants_revenue"]).sum()))


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
    """The subtree under one referrer (breadth first, at most ``max_nodes`` nodes; referees in the forest's row order).

    Columns: customer_id, referrer_id, generation (relative: the referrer = 0), revenue.
    """
    n = forest.nodes
    parent = referrer_rows(forest)
    ids = customer_ids(n)
    found = ids.get_indexer([customer_id])[0]
    if found < 0:  # not a customer: the name alone
        return pd.DataFrame({"customer_id": pd.array([customer_id], dtype="string"),
                             "referrer_id": pd.array([pd.NA], dtype="string"), "generation": [0], "revenue": [float("nan")]})
    linked = np.flatnonzero(parent >= 0)
    by_referrer = linked[np.argsort(parent[linked], kind="stable")]  # each referrer's referees side by side
    start = np.searchsorted(parent[by_referrer], np.arange(len(n) + 1))
    rows, levels = [np.array([found])], [np.zeros(1, dtype=np.int64)]
    frontier, level, count = rows[0], 0, 1
    while len(frontier) and count < max_nodes:
        level += 1
        frontier = np.concatenate([by_referrer[start[p]:start[p + 1]] for p in frontier])[: max_nodes - count]
        rows.append(frontier)
        levels.append(np.full(len(frontier), level))
        count += len(frontier)
    at = np.concatenate(rows)
    referrer = ids.take(np.maximum(parent[at], 0)).astype("string").to_numpy(copy=True)
    referrer[0] = pd.NA
    return pd.DataFrame({"customer_id": pd.array(ids.take(at), dtype="string"), "referrer_id": pd.array(referrer, dtype="string"),
                         "generation": np.concatenate(levels), "revenue": n["revenue"].to_numpy(float)[at]})
