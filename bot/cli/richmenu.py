"""`kmbot richmenu setup`: the staff and committee rich menus on the LINE channel."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from bot.core.line_client import LineApiError
from bot.core.rich_menus import set_up_menus
from bot.web.extensions import get_line_client


@click.group("richmenu")
def richmenu_group() -> None:
    """LINE rich menus for staff and the KM committee."""


@richmenu_group.command("setup")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def richmenu_setup_command(as_json: bool) -> None:
    """Create the staff menu (the default) and the committee menu, replacing those made before."""
    line_client = get_line_client()
    if line_client is None:
        raise click.ClickException("LINE_CHANNEL_ACCESS_TOKEN and LINE_CHANNEL_SECRET are not set: there is no channel to set menus on")
    try:
        result = set_up_menus(line_client)
    except LineApiError as error:
        raise click.ClickException(f"LINE refused the rich menu setup: {error}") from None
    if as_json:
        click.echo(json.dumps({"staff": result.staff, "committee": result.committee, "replaced": result.replaced}))
        return
    click.echo(f"staff rich menu (default for everyone): {result.staff}")
    click.echo(f"committee rich menu (linked on `kmbot users grant USER_ID committee|secretary`): {result.committee}")
    if result.replaced:
        click.echo(f"replaced {len(result.replaced)} menu(s) made by an earlier setup")
