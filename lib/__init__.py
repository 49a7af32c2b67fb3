"""Customer-value calculations: pure functions on pandas tables, no UI.

Start at :func:`lib.clean.load` (a file in, canonical tables out); the
metric modules (``metrics``, ``cohorts``, ``ltv``, ``cac``, ``referrals``,
``planner``) take those tables; ``charts`` turns results into Plotly figures.
"""
