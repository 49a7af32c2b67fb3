"""Command line: ``python -m lib load|kpis|report FILE ...`` and ``python -m lib serve``.

A bad file prints one sentence on stderr and exits with status 2.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lib.clean import load, load_many
from lib.errors import DataError, ModelError
from lib.model.money import count_kind, money_back
from lib.schema import Dataset


def load_summary(ds: Dataset) -> dict[str, Any]:
    """The load report as plain data: sheets, mapping, counts (orders: guest orders included, customers: not),
    revenue, the data's first and last day (orders and refunds), issues."""
    o, r, rep = ds.orders, ds.refunds, ds.report
    every = ds.every_order()
    refunds = float(money_back(r)["amount"].sum())
    gross = float(every["amount"].sum())  # order-level: guest orders count
    guest_revenue = gross - float(o["amount"].sum())
    dates = pd.concat([every["order_date"], money_back(r)["refund_date"]])
    return {
        "platform": rep.platform,
        "currency": rep.currency,
        "customer_level": rep.customer_level,
        "sheets_used": rep.sheets_used,
        "spend_sheet": rep.spend_sheet,
        "mapping": rep.mapping,
        "spend_mapping": rep.spend_mapping,
        "rows_read": rep.rows_read,
        "orders": int(len(every)),
        "guest_orders": int(len(every) - len(o)),
        "guest_revenue": round(guest_revenue, 2),
        "customers": int(o["customer_id"].nunique()) if rep.customer_level else None,
        "revenue_gross": round(gross, 2),
        "refunds": round(refunds, 2),
        "revenue_net": round(gross - refunds, 2),
        "cancelled_orders": count_kind(r, "cancelled"),
        "free_orders": count_kind(r, "free"),
        "order_lines": None if ds.lines is None else int(len(ds.lines)),
        "date_from": dates.min().date().isoformat(),
        "date_to": dates.max().date().isoformat(),
        "spend_rows": 0 if ds.spend is None else int(len(ds.spend)),
        "issues": [
            {"code": i.code, "reason": i.reason, "rows": i.rows, "action": i.action, "amount": round(i.amount, 2),
             **({"file": i.params["file"]} if "file" in i.params else {})}
            for i in rep.issues
        ],
        "notes": rep.notes,
    }


def _print_summary(s: dict[str, Any]) -> None:
    if s["platform"]:
        print(f"Recognised:    {s['platform']}")
    if s["currency"]:
        print(f"Currency:      {s['currency'].strip()}")
    print(f"Sheets used:   {', '.join(s['sheets_used'])}" + (f"  (spend: {s['spend_sheet']})" if s["spend_sheet"] else ""))
    print("Mapping:       " + ", ".join(f"{k} ← {v}" for k, v in s["mapping"].items()))
    print(f"Rows read:     {s['rows_read']:,}")
    print(f"Orders:        {s['orders']:,}" + (f"  (of them {s['guest_orders']:,} guest orders without a customer, "
                                                  f"{s['guest_revenue']:,.2f}: in orders and revenue, not in customer "
                                                  "figures)" if s["guest_orders"] else ""))
    print(f"Customers:     {s['customers']:,}" if s["customers"] is not None
          else "Customers:     — (buyers masked or absent: order-level figures only)")
    print(f"Revenue:       gross {s['revenue_gross']:,.2f}, refunds {s['refunds']:,.2f}, net {s['revenue_net']:,.2f}")
    print(f"Dates:         {s['date_from']} to {s['date_to']}")
    if s["cancelled_orders"] or s["free_orders"]:
        print(f"Kept apart:    {s['cancelled_orders']:,} cancelled or unpaid, {s['free_orders']:,} of zero amount")
    if s["order_lines"] is not None:
        print(f"Order lines:   {s['order_lines']:,}")
    if s["issues"]:
        print("Rows dropped or changed:")
        for i in s["issues"]:
            amt = f"  (amount {i['amount']:,.2f})" if i["amount"] else ""
            where = f"{i['file']}: " if "file" in i else ""
            print(f"  {i['rows']:>9,}  {i['action']:<18} {where}{i['reason']}{amt}")
    for n in s["notes"]:
        print(f"Note: {n}")


def _json_safe(values: Mapping[str, object]) -> dict[str, object]:
    """NaN and infinities (a figure that cannot be computed, e.g. CAC without spend) and missing text (a customer
    without a phone) become JSON null."""
    return {k: (None if (isinstance(v, float) and not math.isfinite(v)) or v is pd.NA else v) for k, v in values.items()}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows as JSON-ready dicts: numpy scalars as Python's, days as "YYYY-MM-DD", NaN and <NA> as null."""
    return [_json_safe({k: (v.isoformat()[:10] if isinstance(v, pd.Timestamp) else v.item() if hasattr(v, "item") else v)
                        for k, v in r.items()}) for r in df.to_dict("records")]


def serve_command(root: Path) -> list[str]:
    """The Streamlit command line of the production mode, from the ``LTV_*`` settings (see :mod:`lib.config`).

    Listens on ``LTV_ADDRESS``:``LTV_PORT``, serves under the path of
    ``LTV_PUBLIC_URL`` (so a reverse proxy can forward https://host/ltv/ as is),
    keeps XSRF protection on, caps uploads at ``LTV_MAX_UPLOAD_MB`` and shows no error's details. It runs
    ``asgi.py`` (app.py in Streamlit's ASGI ``App``): login from ``LTV_AUTH_*``, and nothing about the server
    (its paths, versions, metrics) for visitors (``ui/server.py``).
    """
    from lib import config

    return [sys.executable, "-m", "streamlit", "run", str(root / "asgi.py"),
            "--server.address", config.address(),
            "--server.port", str(int(config.value("LTV_PORT"))),
            "--server.baseUrlPath", config.base_path(),
            "--server.maxUploadSize", str(int(config.value("LTV_MAX_UPLOAD_MB"))),
            "--server.enableXsrfProtection", "true",
            "--server.enableCORS", "true",
            "--server.headless", "true",
            "--client.showErrorDetails", "none",
            "--browser.gatherUsageStats", "false"]


def _view(args: argparse.Namespace, ds: Dataset) -> Any:
    """The dataset seen through the command's window and channels (``--from``, ``--to``/``--as-of``, ``--channel``)."""
    from lib.model.view import Filters, apply_filters

    to = args.date_to or args.as_of
    return apply_filters(ds, Filters(date_from=pd.Timestamp(args.date_from) if args.date_from else None,
                                     date_to=pd.Timestamp(to) if to else None,
                                     channels=tuple(args.channel) if args.channel else None))


def on_revenue(args: argparse.Namespace, ds: Dataset) -> Dataset:
    """The dataset on the command's revenue basis (``--revenue net``: net sales; DataError when the file has none):
    what every figure command is handed."""
    from lib.model.basis import NO_NET_SALES, has_net_sales, on_basis

    if args.revenue == "net" and not has_net_sales(ds):
        raise DataError(NO_NET_SALES)
    return on_basis(ds, args.revenue)


def _margin(args: argparse.Namespace) -> float:
    from lib.model.metrics import DEFAULT_MARGIN

    return args.margin if args.margin is not None else DEFAULT_MARGIN


def products_summary(ds: Dataset, view: Any) -> dict[str, Any]:
    """The product journey (:func:`lib.model.products.journey`) as plain data; raises DataError without product lines."""
    from lib.model.products import NO_PRODUCTS, journey

    if ds.lines is None:
        raise DataError(NO_PRODUCTS)
    j = journey(view, ds.lines)
    return {"shop": _json_safe(j.shop), "first_products": _records(j.first), "next_products": _records(j.next),
            "left_out": _records(j.left_out), "customers_without_product_lines": j.customers_without_lines}


def _print_products(out: dict[str, Any]) -> None:
    shop = out["shop"]
    print(f"New customers with products: {shop['customers']:,.0f}; shop repeat rate {shop['repeat_rate']:.1%}")
    print(f"{'first product':<32} {'customers':>9} {'repeat':>7} {'days to 2nd':>11} {'12m LTV':>9}")
    for r in out["first_products"]:
        days = "—" if r["median_days_to_2nd"] is None else f"{r['median_days_to_2nd']:.0f}"
        ltv = "—" if r["ltv_12m"] is None else f"{r['ltv_12m']:,.0f}"
        print(f"{str(r['product'])[:32]:<32} {r['customers']:>9,} {r['repeat_rate']:>7.1%} {days:>11} {ltv:>9}")
    if out["left_out"]:
        print("Not products (left out): " + ", ".join(f"{r['item']} ({r['lines']} lines)" for r in out["left_out"]))


def _contacts(args: argparse.Namespace, ds: Dataset) -> None:
    from lib.model.contacts import contacts, export_table
    from lib.model.tables import prediction
    from lib.present.export import csv_bytes, excel_bytes
    from lib.schema import CONTACT_FIELDS

    if not ds.customer_level:
        raise DataError("Contact lists need a customer id: this file has none (or only masked buyers).")
    view = _view(args, ds)
    predicted = prediction(view)
    c = contacts(view, predicted if isinstance(predicted, str) else predicted.customers, lang=args.lang,
                 currency=ds.report.currency or "¥", reach=ds.contacts)
    table = export_table(c, tuple(args.list) if args.list else None)
    if args.out:
        if args.out.lower().endswith(".xlsx"):
            Path(args.out).write_bytes(excel_bytes({"Contacts": table}))
        else:
            Path(args.out).write_bytes(csv_bytes(table))
        print(f"Wrote {args.out}: {len(table):,} rows", file=sys.stderr)
    if args.json:
        reach = [f for f in CONTACT_FIELDS if f in c.customers.columns]  # name, phone, email where the file has them
        out = {"as_of": c.as_of.date().isoformat(), "model_note": c.model_note,
               "summary": [_json_safe(r) for r in c.summary.to_dict("records")],
               "lists": {k: [_json_safe({kk: (vv.isoformat()[:10] if isinstance(vv, pd.Timestamp) else
                                              (vv.item() if hasattr(vv, "item") else vv)) for kk, vv in r.items()})
                             for r in df[["customer_id", *reach, "reason", "due_date", "last_order", "orders", "spend",
                                          "channel", "p_alive", "clv_12m", "segment"]].to_dict("records")]
                         for k, df in c.lists.items() if not args.list or k in args.list}}
        print(json.dumps(out, ensure_ascii=False, indent=2, allow_nan=False))
    elif not args.out:
        for r in c.summary.itertuples():
            print(f"{r.list:<10} {r.customers:>6,} customers  CLV at stake {r.clv_at_stake:>12,.0f}")


def _load(args: argparse.Namespace, ds: Dataset) -> None:
    s = load_summary(ds)
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
    else:
        _print_summary(s)


def _kpis(args: argparse.Namespace, ds: Dataset) -> None:
    from lib.model.metrics import overview

    k = overview(_view(args, ds), margin=_margin(args)).as_dict() | {"revenue_basis": args.revenue}
    if args.json:
        print(json.dumps(_json_safe(k), ensure_ascii=False, indent=2, allow_nan=False))
    else:
        for key, val in k.items():
            print(f"{key:<22} {val:,.4f}" if isinstance(val, float) else f"{key:<22} {val}")


def _report(args: argparse.Namespace, ds: Dataset) -> None:
    from lib.present.export import write_report

    write_report(ds, args.out, margin=_margin(args), view=_view(args, ds))
    print(f"Wrote {args.out}")


def predict_summary(view: Any, months: int = 12, holdout: float | None = None, lang: str = "en") -> dict[str, Any]:
    """Predicted CLV (average per customer, fitted parameters, whose forecast) and its backtest on the last
    ``holdout`` months, as plain data; raises ModelError with the reason when the models cannot be fitted."""
    from lib.model.backtest import Backtest, accuracy_sentence, accuracy_table
    from lib.model.tables import prediction

    p = prediction(view, months, holdout=holdout)
    if isinstance(p, str):
        raise ModelError(p)
    from lib.model.btyd import spend_sentence

    out: dict[str, Any] = {"as_of": view.as_of.date().isoformat(), "months": months, "customers": len(p.customers),
                           "forecast": p.forecast, "average": _json_safe(p.average), "params": _json_safe(p.params),
                           "order_value_model": spend_sentence(p.spend, lang) if p.spend is not None else None,
                           "revenue_interval": None if p.interval is None else
                           {"point": p.interval.point, "low": p.interval.low, "high": p.interval.high, "level": p.interval.level}}
    bt = p.accuracy
    if isinstance(bt, Backtest):
        out["backtest"] = {"calibration_end": bt.calibration_end.date().isoformat(), "holdout_days": bt.holdout_days,
                           "customers": bt.customers, "sentence": accuracy_sentence(bt, lang), "model_wins": bt.model_wins,
                           "forecasts": [_json_safe(r) for r in accuracy_table(bt).to_dict("records")],
                           "by_frequency": [_json_safe(r) for r in bt.by_frequency.to_dict("records")]}
    else:
        out["backtest"] = {"reason": bt}
    return out


def _predict(args: argparse.Namespace, ds: Dataset) -> None:
    out = predict_summary(_view(args, ds), args.months, args.holdout, args.lang)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2, allow_nan=False))
        return
    avg = out["average"]
    print(f"Predicted over {out['months']} months, {out['customers']:,} customers: CLV {avg['clv']:,.2f} per customer, "
          f"{avg['expected_purchases']:.2f} orders, P(active) {avg['p_alive']:.0%}"
          + ("" if out["forecast"] == "model" else f" (the {out['forecast']!r} forecast: it beat the model)"))
    iv = out["revenue_interval"]
    if iv:
        print(f"Their predicted revenue: {iv['point']:,.2f} (90 % interval {iv['low']:,.2f} – {iv['high']:,.2f})")
    if out["order_value_model"]:
        print(out["order_value_model"])
    bt = out["backtest"]
    print(bt.get("sentence") or f"No backtest: {bt['reason']}")
    for r in bt.get("forecasts", []):
        print(f"  {r['forecast']:<36} revenue {r['predicted_revenue']:>14,.2f} vs {r['actual_revenue']:,.2f}"
              f"  ({(r['revenue_error'] or 0) * 100:+.0f} %), mean error per customer {r['mean_abs_error']:,.2f}")


def _journey(args: argparse.Namespace, ds: Dataset) -> None:
    from lib.model.journey import journey
    from lib.present.export import csv_bytes, excel_bytes

    j = journey(_view(args, ds), ds.contacts)
    if isinstance(j, str):
        raise DataError(j)
    if args.out:
        table = j.not_moved.assign(first_order=j.not_moved["first_order"].dt.date.astype(str))
        Path(args.out).write_bytes(excel_bytes({"Not moved": table}) if args.out.lower().endswith(".xlsx") else csv_bytes(table))
        print(f"Wrote {args.out}: {len(table):,} rows", file=sys.stderr)
    if args.json:
        print(json.dumps({"by_platform": _records(j.by_platform), "moved_to": _records(j.moved_to), "not_moved": len(j.not_moved)},
                         ensure_ascii=False, indent=2, allow_nan=False))
    elif not args.out:
        for r in j.by_platform.itertuples():
            print(f"{r.platform}: {r.customers:,} customers, {r.moved:,} moved to an owned channel ({r.share:.0%}), "
                  f"median {r.median_days_to_move:.0f} days; 12-month value after moving {r.value_after_move:,.2f} "
                  f"vs {r.value_stayed:,.2f} for those who stayed")
        print(f"Not moved yet, with a phone: {len(j.not_moved):,} customers (--out FILE for the list)")


def _products(args: argparse.Namespace, ds: Dataset) -> None:
    out = products_summary(ds, _view(args, ds))
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2, allow_nan=False))
    else:
        _print_products(out)


def _serve(args: argparse.Namespace) -> None:
    import os

    cmd = serve_command(Path(__file__).resolve().parent.parent)
    print("Serving on http://" + cmd[cmd.index("--server.address") + 1] + ":" + cmd[cmd.index("--server.port") + 1]
          + "/" + cmd[cmd.index("--server.baseUrlPath") + 1], file=sys.stderr)
    os.execv(sys.executable, cmd)


Argument = tuple[tuple[str, ...], dict[str, Any]]  # add_argument's names and keywords
JSON: Argument = (("--json",), {"action": "store_true"})
FILES: tuple[Argument, ...] = (  # one file, or several files of one shop (combined: lib.clean.many)
    (("file",), {"nargs": "+", "help": "an export; several files of one shop are combined into one customer base"}),
    (("--sheet",), {"help": "the orders sheet (one file only)"}),
    (("--no-link",), {"action": "store_true", "dest": "no_link",
                      "help": "several files: do not make one customer of the same phone or email on two platforms"}),
)
WINDOW: tuple[Argument, ...] = (  # the files and the window every figure command reads
    *FILES,
    (("--from",), {"dest": "date_from", "help": "first day of the window (YYYY-MM-DD)"}),
    (("--to",), {"dest": "date_to", "help": "last day of the window; the analysis date (nothing later is seen)"}),
    (("--as-of",), {"dest": "as_of", "help": "the same as --to"}),
    (("--channel",), {"action": "append", "help": "an acquisition channel (repeat for several)"}),
    (("--margin",), {"type": float, "default": None, "help": "gross margin, 0..1"}),
    (("--revenue",), {"choices": ["total", "net"], "default": "total",
                      "help": "revenue basis: order totals (default) or net sales before tax and shipping"}),
)
CONTACT_OPTIONS: tuple[Argument, ...] = (
    JSON,
    (("--out",), {"help": "write the lists as CSV (or .xlsx) for a WeChat/SCRM or email tool"}),
    (("--list",), {"action": "append", "choices": ["due", "at_risk", "convert", "referrers"],
                   "help": "only this list (repeat for several)"}),
    (("--lang",), {"choices": ["en", "zh"], "default": "en", "help": "language of the reasons"}),
)

# name -> (help, arguments, handler); a handler of a file command gets the loaded dataset, "serve" none
COMMANDS: dict[str, tuple[str, tuple[Argument, ...], Callable[..., None]]] = {
    "load": ("read files and print the data-quality report", (*FILES, JSON), _load),
    "serve": ("run the app for a team (address, port, public URL, upload limit and sign-in from LTV_* settings)", (), _serve),
    "kpis": ("print the Overview numbers", (*WINDOW, JSON), _kpis),
    "report": ("write the Excel report (the pages' tables for the same filters)",
               (*WINDOW, (("--out",), {"required": True})), _report),
    "predict": ("predicted CLV per customer, and how accurate it was on the shop's own last months (a backtest)",
                (*WINDOW, JSON, (("--months",), {"type": int, "default": 12, "help": "the prediction's horizon"}),
                 (("--holdout",), {"type": float, "default": None,
                                   "help": "months held out for the backtest (default 6, or a third of a shorter history)"}),
                 (("--lang",), {"choices": ["en", "zh"], "default": "en"})), _predict),
    "journey": ("platform customers who moved to a channel the shop owns (several files: a platform's and the shop's own)",
                (*WINDOW, JSON, (("--out",), {"help": "write who has not moved yet, with a phone, as CSV (or .xlsx)"})),
                _journey),
    "products": ("first products: repeat rate, days to the 2nd order, 12-month LTV; what comes next", (JSON, *WINDOW),
                 _products),
    "contacts": ("who to contact: due now, valuable at risk, one-time buyers, top referrers", (*CONTACT_OPTIONS, *WINDOW),
                 _contacts),
}


def parser() -> argparse.ArgumentParser:
    """The command line of :data:`COMMANDS`."""
    out = argparse.ArgumentParser(prog="python -m lib", description="Customer-value calculations.")
    sub = out.add_subparsers(dest="command", required=True)
    for name, (help_text, arguments, _) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        for names, options in arguments:
            p.add_argument(*names, **options)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run one command of :data:`COMMANDS`; 0 when done, 2 with one sentence on stderr when it cannot be."""
    args = parser().parse_args(argv)
    from lib.config import problems

    bad = problems(store=args.command == "serve")
    if bad:  # a setting that cannot be used: say which, before any work
        print("\n".join(bad), file=sys.stderr)
        return 2
    handler = COMMANDS[args.command][2]
    try:
        if args.command == "serve":
            handler(args)  # replaces this process with the app's
        else:
            ds = load_many(args.file, link=not args.no_link) if len(args.file) > 1 else load(args.file[0], sheet=args.sheet)
            handler(args, on_revenue(args, ds) if "revenue" in args else ds)  # a figure command's revenue basis, once
    except (DataError, ModelError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print(f"Could not complete: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the process boundary: one sentence, never a traceback (the loader raises DataError only)
        print(f"Could not complete ({type(exc).__name__}): {exc}. Please report this with the file's export source.",
              file=sys.stderr)
        return 2
    return 0
