"""Watchlists and alerts: ``tracegraph watch add|list|remove`` and ``tracegraph alerts [deliver]``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from api.cli.common import err, settings
from api.cli.output import check_format, emit
from graph.errors import InvalidInput

ALERT_FIELDS = ("alert_id", "created_at", "rule", "subject_label", "subject_key", "reason", "watch_id", "evidence",
                "analysis_run_id", "delivery_state", "taxii_state")
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
        from algorithms.alerts import coverage, list_alerts

        check_format(fmt)
        start = None
        if since is not None:
            try:
                start = datetime.combine(date.fromisoformat(since), datetime.min.time())
            except ValueError:
                raise InvalidInput(f"--since must be a date YYYY-MM-DD, not {since!r}") from None
        with settings(ctx).open_store() as store:
            frame = list_alerts(store, rule=rule, since=start, subject=subject)
            missing = coverage(store)
        if frame.empty:
            err.print("no alerts (watch items with `tracegraph watch add`; alerts are raised by "
                      "`tracegraph analyze --incremental`)", highlight=False)
        for line in missing:  # rules that cannot fire on this store, and the load that would let them
            err.print(line, highlight=False, soft_wrap=True)
        emit(frame.to_dict("records"), ALERT_FIELDS, fmt, structured=("evidence",))

    @alerts_app.command("deliver")
    def deliver_command(ctx: typer.Context,
                        webhook: Annotated[str | None, typer.Option(
                            help="URL to POST each pending alert to (default TRACEGRAPH_ALERT_WEBHOOK)")] = None,
                        taxii: Annotated[str | None, typer.Option(
                            help="TAXII 2.1 collection URL (.../collections/<id>/) that receives each pending alert "
                                 "as a STIX sighting (default TRACEGRAPH_ALERT_TAXII_COLLECTION; the password only "
                                 "from TRACEGRAPH_ALERT_TAXII_PASSWORD)")] = None,
                        taxii_user: Annotated[str | None, typer.Option(
                            help="TAXII user (default TRACEGRAPH_ALERT_TAXII_USER)")] = None,
                        tlp: Annotated[str | None, typer.Option(
                            help="the highest TLP the collection may hold: an alert above it is withheld "
                                 "(default TRACEGRAPH_ALERT_TAXII_TLP, green)")] = None,
                        recipient: Annotated[str | None, typer.Option(
                            help="the agency the collection belongs to (recorded: `tracegraph disseminations`)")
                                             ] = None,
                        purpose: Annotated[str | None, typer.Option(help="why the alerts are shared (recorded)")
                                           ] = None,
                        ) -> None:
        """Deliver pending alerts once each: to the webhook, and as STIX sightings to the TAXII collection
        (retries back off; every attempt is audited; every sighting sent is a dissemination record)."""
        from api.services import delivery

        config = settings(ctx)
        overrides = {k: v for k, v in (("alert_webhook", webhook), ("alert_taxii_collection", taxii),
                                       ("alert_taxii_user", taxii_user), ("alert_taxii_tlp", tlp),
                                       ("alert_taxii_recipient", recipient), ("alert_taxii_purpose", purpose))
                     if v is not None}
        if tlp is not None:
            from exports.tlp import level

            overrides["alert_taxii_tlp"] = level(tlp)
        config = config.model_copy(update=overrides)
        url, goal = delivery.webhook_url(config), delivery.taxii_target(config)
        if url is None and goal is None:
            raise InvalidInput("no delivery channel: pass --webhook URL or --taxii COLLECTION_URL (or set "
                               "TRACEGRAPH_ALERT_WEBHOOK / TRACEGRAPH_ALERT_TAXII_COLLECTION)")
        with config.open_store() as store:
            done = delivery.deliver(store, config, webhook=url, taxii=goal)
        err.print(done.words(), highlight=False, soft_wrap=True)

    app.add_typer(alerts_app, name="alerts")
