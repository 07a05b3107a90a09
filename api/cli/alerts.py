"""Watchlists and alerts: ``tracegraph watch add|list|remove`` and ``tracegraph alerts [deliver]``."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Annotated, Any

import pandas as pd
import typer

from api.cli.common import err, settings
from exports.csv_safe import table_text
from graph.errors import InvalidInput, NotFound

FORMATS = ("csv", "json")
ALERT_FIELDS = ("alert_id", "created_at", "rule", "subject_label", "subject_key", "reason", "watch_id", "evidence",
                "analysis_run_id", "delivery_state")
WATCH_FIELDS = ("watch_id", "kind", "value", "note", "created_by", "created_at", "active")


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if hasattr(value, "item"):
        return value.item()
    return value


def _emit(frame: pd.DataFrame, fields: tuple[str, ...], fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}")
    rows = [{c: _plain(v) for c, v in zip(fields, values, strict=True)}
            for values in frame[list(fields)].itertuples(index=False)]
    if fmt == "json":
        print(json.dumps(rows, default=str))
        return
    sys.stdout.write(table_text(list(fields), rows))


def register(app: typer.Typer) -> None:
    watch = typer.Typer(help="Watchlists: persons, dealers, networks, firearms, serials, places, corridors.",
                        no_args_is_help=True)

    @watch.command("add")
    def add(ctx: typer.Context,
            kind: Annotated[str, typer.Argument(help="person | dealer | network | firearm | serial | place | "
                                                     "corridor")],
            value: Annotated[str, typer.Argument(help="the key (person_key, dealer_key REGN-DIST-SEQN, network_id, "
                                                      "firearm_key), a serial pattern (* ? or a fragment), a place "
                                                      "(state:US-NY, city:US-NY:NEW YORK) or a corridor "
                                                      "(state:US-GA>state:US-NY)")],
            note: Annotated[str | None, typer.Option(help="why it is watched")] = None) -> None:
        """Watch an item: the next incremental analysis that touches it raises an alert."""
        from algorithms.alerts import watch_rows

        row = watch_rows(kind, value, note=note, created_by="cli")
        with settings(ctx).open_store() as store:
            store.upsert_nodes("Watch", [row])
        print(row["watch_id"])

    @watch.command("list")
    def list_watches(ctx: typer.Context,
                     fmt: Annotated[str, typer.Option("--format", help="csv | json")] = "csv") -> None:
        """Every watch, active or not."""
        with settings(ctx).open_store() as store:
            frame = store.node_table("Watch", WATCH_FIELDS[1:]).to_pandas().rename(columns={"key": "watch_id"})
        _emit(frame.sort_values("watch_id"), WATCH_FIELDS, fmt)

    @watch.command("remove")
    def remove(ctx: typer.Context, watch_id: Annotated[str, typer.Argument(help="as `watch add` printed it")]
               ) -> None:
        """Stop watching (the watch and its alerts stay in the graph, inactive)."""
        with settings(ctx).open_store() as store:
            known = set(store.node_table("Watch").column("key").to_pylist())
            if watch_id not in known:
                raise NotFound(f"no watch {watch_id}")
            store.upsert_nodes("Watch", [{"watch_id": watch_id, "active": False}])

    app.add_typer(watch, name="watch")

    alerts_app = typer.Typer(help="Alerts raised by incremental analyses (newest first).",
                             invoke_without_command=True)

    @alerts_app.callback()
    def alerts_list(ctx: typer.Context,
                    rule: Annotated[str | None, typer.Option(help="only this rule, e.g. watched_dealer")] = None,
                    since: Annotated[str | None, typer.Option(help="raised on or after this date (YYYY-MM-DD)")
                                     ] = None,
                    subject: Annotated[str | None, typer.Option(help="only alerts about this key")] = None,
                    fmt: Annotated[str, typer.Option("--format", help="csv | json")] = "csv") -> None:
        """The alerts: rule, subject, reason and evidence (trace ids, run)."""
        if ctx.invoked_subcommand is not None:
            return
        from algorithms.alerts import list_alerts

        start = None
        if since is not None:
            try:
                start = datetime.combine(date.fromisoformat(since), datetime.min.time())
            except ValueError:
                raise InvalidInput(f"--since must be a date YYYY-MM-DD, not {since!r}") from None
        with settings(ctx).open_store() as store:
            frame = list_alerts(store, rule=rule, since=start, subject=subject)
        if frame.empty:
            err.print("no alerts (watch items with `tracegraph watch add`; alerts are raised by "
                      "`tracegraph analyze --incremental`)", highlight=False)
        _emit(frame, ALERT_FIELDS, fmt)

    @alerts_app.command("deliver")
    def deliver_command(ctx: typer.Context,
                        webhook: Annotated[str | None, typer.Option(
                            help="URL to POST each pending alert to (default TRACEGRAPH_ALERT_WEBHOOK)")] = None
                        ) -> None:
        """Deliver pending alerts to the webhook once each (retries back off; every attempt is audited)."""
        from api.app import audit_log_path
        from api.audit import AuditLog
        from api.webhook import deliver

        config = settings(ctx)
        url = webhook or config.alert_webhook
        if not url:
            raise InvalidInput("no webhook: pass --webhook URL or set TRACEGRAPH_ALERT_WEBHOOK")
        if not url.startswith(("http://", "https://")):
            raise InvalidInput(f"--webhook must be an http(s) URL, not {url!r}")
        with config.open_store() as store:
            report = deliver(store, url, audit=AuditLog(audit_log_path(config)), base_backoff=config.alert_backoff_s)
        err.print(f"delivered {report.delivered}, failed {report.failed} (will retry), waiting {report.waiting}",
                  highlight=False)

    app.add_typer(alerts_app, name="alerts")
