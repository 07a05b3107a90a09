"""Watchlists and alerts: ``tracegraph watch add|list|remove`` and ``tracegraph alerts [deliver]``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from api.cli.common import err, settings
from api.cli.output import check_format, emit
from graph.errors import InvalidInput

ALERT_FIELDS = ("alert_id", "created_at", "rule", "subject_label", "subject_key", "reason", "watch_id", "evidence",
                "analysis_run_id", "delivery_state")
WATCH_FIELDS = ("watch_id", "kind", "value", "note", "created_by", "created_at", "active")
FORMAT_HELP = "table | csv | json"


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
        from api.services import watches

        with settings(ctx).open_store() as store:
            row = watches.add(store, kind.strip().lower(), value, note=note)
        print(row["watch_id"])

    @watch.command("list")
    def list_watches(ctx: typer.Context,
                     fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "csv") -> None:
        """Every watch, active or not (changes made through the API and not yet applied included)."""
        from api.services import watches

        check_format(fmt)
        with settings(ctx).open_store() as store:
            rows = watches.listing(store)
        emit(rows, WATCH_FIELDS, fmt)

    @watch.command("remove")
    def remove(ctx: typer.Context, watch_id: Annotated[str, typer.Argument(help="as `watch add` printed it")]
               ) -> None:
        """Stop watching (the watch and its alerts stay in the graph, inactive)."""
        from api.services import watches

        with settings(ctx).open_store() as store:
            watches.remove(store, watch_id)

    app.add_typer(watch, name="watch")

    alerts_app = typer.Typer(help="Alerts raised by incremental analyses (newest first).",
                             invoke_without_command=True)

    @alerts_app.callback()
    def alerts_list(ctx: typer.Context,
                    rule: Annotated[str | None, typer.Option(help="only this rule, e.g. watched_dealer")] = None,
                    since: Annotated[str | None, typer.Option(help="raised on or after this date (YYYY-MM-DD)")
                                     ] = None,
                    subject: Annotated[str | None, typer.Option(help="only alerts about this key")] = None,
                    fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "csv") -> None:
        """The alerts: rule, subject, reason and evidence (trace ids, run)."""
        if ctx.invoked_subcommand is not None:
            return
        from algorithms.alerts import list_alerts

        check_format(fmt)
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
        emit(frame.to_dict("records"), ALERT_FIELDS, fmt, structured=("evidence",))

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
