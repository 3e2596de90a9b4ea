"""`kmbot reminders preview` and `kmbot scheduler run|tick`."""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from bot.cli.output import print_rows
from bot.core import calendar
from bot.core.config import Config
from bot.web.extensions import get_config, get_database, get_line_client
from scheduler.clock import ClockSettings, FeedbackDigestSettings, KnowledgePushSettings, ReminderClock
from scheduler.experts import ExpertSettings, run_expert_duties
from scheduler.knowledge_push import parse_weekly_slot
from scheduler.lease import lease_timing
from scheduler.reminders import ReminderPolicy, preview_reminders, send_due_reminders

logger = logging.getLogger(__name__)


def clock_for_app(app: Flask) -> ReminderClock | None:
    """The app's reminder clock, or None in local mode (no LINE credentials: nothing to push with)."""
    line_client = get_line_client(app)
    if line_client is None:
        return None
    config = get_config(app)
    try:
        lease_duration, renew_every = lease_timing()
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return ReminderClock(get_database(app), line_client, ReminderPolicy.from_config(config),
                         lease_duration=lease_duration, renew_every=renew_every,
                         knowledge_push=knowledge_push_settings(config),
                         feedback_digest=feedback_digest_settings(config), experts=expert_settings(config),
                         settings_source=lambda: current_clock_settings(app))


def current_clock_settings(app: Flask) -> ClockSettings:
    """The reminder policy, weekly push and 👎 digest as the settings stand now (read each tick)."""
    config = get_config(app)
    try:
        push = knowledge_push_settings(config)
    except click.ClickException as error:
        logger.warning("weekly knowledge push is off: %s", error.message)
        push = None
    return ReminderPolicy.from_config(config), push, feedback_digest_settings(config)


def feedback_digest_settings(config: Config) -> FeedbackDigestSettings | None:
    return FeedbackDigestSettings(config.reach_channels, config.public_base_url) if config.feedback_digest else None


def expert_settings(config: Config) -> ExpertSettings:
    return ExpertSettings(resurface_after=timedelta(hours=config.expert_resurface_hours),
                          give_up_after=timedelta(days=config.expert_give_up_days), digest_hour=config.reminder_hour)


def knowledge_push_settings(config: Config) -> KnowledgePushSettings | None:
    if not config.knowledge_push_schedule:
        return None
    try:
        slot = parse_weekly_slot(config.knowledge_push_schedule)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return KnowledgePushSettings(slot, config.knowledge_push_article_id, config.public_base_url)


@click.group("reminders")
def reminders_group() -> None:
    """Reminders of the KM plan's activities to the committee groups."""


@reminders_group.command("preview")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--from", "from_date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only reminders at or after this date (YYYY-MM-DD).")
@with_appcontext
def reminders_preview_command(as_json: bool, from_date: datetime | None) -> None:
    """Every reminder the policy plans for the imported plans, past and future, with its state."""
    policy = ReminderPolicy.from_config(get_config())
    with get_database().session() as session:
        previews = preview_reminders(session, policy, calendar.now(), from_date.date() if from_date else None)
    rows = [preview.as_dict() for preview in previews]
    if as_json:
        print_rows(rows, [], as_json=True)
        return
    from_text = f" from {from_date.date().isoformat()}" if from_date else ""
    click.echo(f"planned reminders{from_text}: {len(previews)} (groups = committee groups it goes or went to)")
    click.echo(f"{'at (Bangkok)':17} {'kind':11} {'activity':11} {'plan':5} {'state':10} {'groups':7} name")
    for preview in previews:
        kind = preview.kind + (f" {preview.sequence}" if preview.kind == "overdue" else "")
        activity = f"#{preview.activity_id} {preview.step}"
        # A reminder the weekly look-ahead moved says which day it was for.
        ahead = f"  (week's look-ahead, for {preview.moved_from:%a %Y-%m-%d})" if preview.moved_from else ""
        click.echo(
            f"{preview.at:%Y-%m-%d %H:%M}  {kind:11} {activity:11} {preview.plan:<5} {preview.state:10} "
            f"{len(preview.recipients):<7} {preview.name}{ahead}"
        )


@click.group("scheduler")
def scheduler_group() -> None:
    """The reminder clock."""


@scheduler_group.command("run")
@with_appcontext
def scheduler_run_command() -> None:
    """Run the clock in the foreground (the Procfile's `clock`); stops on SIGTERM or Ctrl-C."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    reminder_clock = clock_for_app(app)
    if reminder_clock is None:
        raise click.ClickException("LINE_CHANNEL_ACCESS_TOKEN and LINE_CHANNEL_SECRET are not set: there is nothing to push reminders with")
    stop = threading.Event()

    def request_stop(signal_number: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(f"kmbot: reminder clock running as {reminder_clock.holder} (SIGTERM or Ctrl-C to stop)")
    reminder_clock.run_until(stop)
    click.echo("kmbot: reminder clock stopped")


@scheduler_group.command("tick")
@click.option("--now", "now_text", default=None, help="The moment to act at (ISO-8601; without an offset, Bangkok time).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def scheduler_tick_command(now_text: str | None, as_json: bool) -> None:
    """Send what is due now (or at --now) and was not sent yet; running it twice sends nothing twice."""
    line_client = get_line_client()
    if line_client is None:
        raise click.ClickException("LINE_CHANNEL_ACCESS_TOKEN and LINE_CHANNEL_SECRET are not set: there is nothing to push reminders with")
    try:
        moment = calendar.to_bangkok(datetime.fromisoformat(now_text)) if now_text else calendar.now()
    except ValueError:
        raise click.BadParameter(f"not an ISO-8601 moment: {now_text!r}", param_hint="--now") from None
    # A tick needs no lease: the claimed delivery rows are what keep every reminder to one
    # delivery, also beside a running clock.
    report = send_due_reminders(get_database(), line_client, moment, ReminderPolicy.from_config(get_config()))
    knowledge_push = knowledge_push_settings(get_config())
    if knowledge_push is not None:
        ReminderClock(get_database(), line_client, knowledge_push=knowledge_push).push_knowledge_if_due(moment)
    run_expert_duties(get_database(), line_client, moment, expert_settings(get_config()))
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"tick at {moment.isoformat()}: {len(report.sent)} sent, {len(report.missed)} missed, {len(report.failed)} failed")
    for label, items in (("sent", report.sent), ("missed", report.missed), ("failed", report.failed)):
        for item in items:
            line = f"  {label:6} {item.key:24} {item.step:6} {item.name} -> {item.recipient}"
            if item.already_delivered:
                line += " (LINE had it already)"
            if item.error:
                line += f" [{item.error}]"
            click.echo(line)
    if report.in_progress:
        click.echo(f"  {report.in_progress} being sent by another process")
