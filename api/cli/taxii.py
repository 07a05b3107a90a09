"""``tracegraph taxii poll``: pull STIX objects from TAXII 2.1 collections into the graph as Intel (each poll is a
``taxii`` load run: :mod:`loaders.taxii`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import emit_json, settings
from graph.errors import InvalidInput

taxii_app = typer.Typer(help="TAXII 2.1: poll partners' collections into the graph.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(taxii_app, name="taxii")


@taxii_app.command("poll")
def poll(ctx: typer.Context,
         api_root: Annotated[str | None, typer.Argument(help="API root URL, e.g. https://host/api1/")] = None,
         collection: Annotated[str | None, typer.Option("--collection", help="collection id")] = None,
         user: Annotated[str | None, typer.Option("--user")] = None,
         password: Annotated[str | None, typer.Option("--password", envvar="TRACEGRAPH_TAXII_PASSWORD")] = None,
         added_after: Annotated[str | None, typer.Option("--added-after", help="RFC 3339 timestamp")] = None,
         all_feeds: Annotated[bool, typer.Option("--all", help="poll every feed in --feeds")] = False,
         feeds_file: Annotated[Path | None, typer.Option("--feeds", help="TOML file of [[feed]] tables")] = None,
         timeout: Annotated[float, typer.Option("--timeout", min=0.1,
                                                help="seconds a server may keep a request unanswered")] = 30.0,
         ) -> None:
    """Poll one collection (or --all feeds); re-polls fetch only objects added since the feed's cursor. A server
    that fails or keeps a request unanswered for --timeout seconds: one line naming the feed, exit 2."""
    from loaders.taxii import Cursors, Feed, load_feeds, safe_url
    from loaders.taxii import poll as poll_feed

    if all_feeds:
        if not feeds_file:
            raise InvalidInput("--all needs --feeds FILE")
        feeds = load_feeds(feeds_file)
    else:
        if not api_root or not collection:
            raise InvalidInput("give API_ROOT_URL and --collection, or --all --feeds FILE")
        feeds = [Feed(safe_url(api_root), api_root, collection, user, password)]  # its name: no credentials
    conf = settings(ctx)
    cursors = Cursors(Path(conf.db).parent / "taxii_cursors.json")
    results = []
    with conf.open_store() as store:
        for feed in feeds:
            results.append(poll_feed(store, feed, cursors, added_after, timeout=timeout))
    emit_json({"feeds": results})
