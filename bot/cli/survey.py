"""`kmbot survey push`: the staff survey (satisfaction, the understanding quiz, comments), pushed
once per fiscal year to every active staff group."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from bot.core.calendar import now, resolve_period
from bot.web.extensions import get_database, get_line_client


@click.group("survey")
def survey_group() -> None:
    """The staff survey of the KM plan's step 6."""


@survey_group.command("push")
@click.option("--fiscal-year", type=int, default=None, help="Thai fiscal year in BE (default: the current one).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def survey_push_command(fiscal_year: int | None, as_json: bool) -> None:
    """Push the survey to every active staff group, once per fiscal year; running it again sends nothing twice."""
    from handlers.survey_command import survey_push_messages
    from scheduler.survey_push import push_survey

    line_client = get_line_client()
    if line_client is None:
        raise click.ClickException("LINE_CHANNEL_ACCESS_TOKEN and LINE_CHANNEL_SECRET are not set: there is nothing to push with")
    year = resolve_period(fiscal_year, None, strict=True).fiscal_year
    report = push_survey(get_database(), line_client, survey_push_messages(), year, now())
    if as_json:
        click.echo(json.dumps({"fiscal_year": year, "sent": report.sent, "skipped": report.skipped, "failed": report.failed}))
        return
    click.echo(f"survey {year}: sent to {len(report.sent)} staff group(s), {len(report.skipped)} had it already, "
               f"{len(report.failed)} failed")
