"""The reminder clock: APScheduler 3 ticking every minute, gated by the database lease.

The clock's two jobs live in memory (APScheduler's MemoryJobStore) with the bound methods
passed directly, as python-telegram-bot's JobQueue keeps them: they are added again on every
start, and a job store cannot be shared between processes anyway. What decides who sends is
the lease row in the database (`scheduler.lease`), and what keeps each push to one delivery
are the claimed delivery rows; neither depends on the jobs.

On start the clock ticks once at once: that is the catch-up for reminders due while nothing
ran (sent within their grace window, recorded missed after it). A standby that takes the
lease over catches up at once too.

``kmbot serve`` runs a clock in the background; ``kmbot scheduler run`` is the clock process
of a multi-process deployment (the Procfile's ``clock``). Web workers never start one.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from bot.core import calendar
from bot.core.database import Database
from bot.core.line_client import LineClient
from scheduler.experts import ExpertSettings, run_expert_duties
from scheduler.feedback_digest import send_feedback_digest
from scheduler.knowledge_push import (
    WeeklySlot,
    push_weekly_knowledge,
    weekly_slot_reached,
)
from scheduler.lease import (
    LEASE_DURATION,
    RENEW_EVERY,
    acquire_lease,
    new_holder_id,
    release_lease,
)
from scheduler.reminders import ReminderPolicy, TickReport, send_due_reminders

logger = logging.getLogger(__name__)

TICK_JOB_ID = "reminder-tick"
LEASE_JOB_ID = "reminder-lease"
SWEEP_JOB_ID = "retention-sweep"
# Daily, at a quiet hour in Bangkok, away from the 09:00 reminders.
SWEEP_HOUR, SWEEP_MINUTE = 3, 17
# A tick that could not run on time (a busy or suspended process) still runs within this many
# seconds; later ones are skipped, and the next tick sends whatever is still in its window.
MISFIRE_GRACE_SECONDS = 300


@dataclass(frozen=True)
class KnowledgePushSettings:
    slot: WeeklySlot
    article_id: int | None = None
    base_url: str | None = None


@dataclass(frozen=True)
class FeedbackDigestSettings:
    """The committee's daily 👎 digest: which channels count as staff, and the admin pages' address."""

    declared_channels: tuple[str, ...] = ()
    base_url: str | None = None


# What the clock reads from the settings on each tick: the reminder policy, the weekly push and
# the 👎 digest (None where off).
ClockSettings = tuple[ReminderPolicy, KnowledgePushSettings | None, FeedbackDigestSettings | None]


class ReminderClock:
    """Sends due reminders every minute while it holds the lease."""

    def __init__(
        self,
        database: Database,
        line_client: LineClient,
        policy: ReminderPolicy | None = None,
        *,
        holder: str | None = None,
        lease_duration: timedelta = LEASE_DURATION,
        renew_every: timedelta = RENEW_EVERY,
        knowledge_push: KnowledgePushSettings | None = None,
        feedback_digest: FeedbackDigestSettings | None = None,
        experts: ExpertSettings | None = None,
        settings_source: Callable[[], ClockSettings] | None = None,
    ) -> None:
        self.database = database
        self.feedback_digest = feedback_digest
        self.experts = experts or ExpertSettings(digest_hour=(policy or ReminderPolicy()).settings.hour)
        self.knowledge_push = knowledge_push
        # Read on every tick: settings the secretary changes in /admin apply without a restart.
        self.settings_source = settings_source
        self.line_client = line_client
        self.policy = policy or ReminderPolicy()
        self.holder = holder or new_holder_id()
        self.lease_duration = lease_duration
        self.renew_every = renew_every
        self._scheduler: BackgroundScheduler | None = None
        self._tick_lock = threading.Lock()
        self._catch_up: threading.Thread | None = None
        # Whether the last attempt held the lease: a standby that gets it has taken over.
        self._holding = False

    # --- one step ---------------------------------------------------------------------------

    def hold_lease(self, now: datetime | None = None) -> bool:
        """Take or renew the lease; False when another clock holds it (or the database is away)."""
        try:
            held = acquire_lease(self.database, self.holder, now or calendar.now(), duration=self.lease_duration)
        except SQLAlchemyError as error:
            logger.error("reminder clock could not reach the lease (%s)", type(error).__name__)
            held = False
        if held and not self._holding:
            logger.info("reminder clock holds the lease now (holder %s)", self.holder)
        elif self._holding and not held:
            logger.warning("reminder clock lost the lease (holder %s)", self.holder)
        self._holding = held
        return held

    def tick(self, now: datetime | None = None) -> TickReport | None:
        """Send what is due at ``now`` if this clock holds the lease; None when it does not."""
        moment = calendar.to_bangkok(now) if now is not None else calendar.now()
        # One tick at a time in this process: the catch-up and a scheduled tick may overlap.
        with self._tick_lock:
            if not self.hold_lease(moment):
                return None
            try:
                if self.settings_source is not None:
                    self.policy, self.knowledge_push, self.feedback_digest = self.settings_source()
                report = send_due_reminders(self.database, self.line_client, moment, self.policy)
                self.push_knowledge_if_due(moment)
                if self.feedback_digest is not None:
                    send_feedback_digest(self.database, self.line_client, moment, self.policy.settings,
                                         declared_channels=self.feedback_digest.declared_channels,
                                         base_url=self.feedback_digest.base_url)
                self.expert_duties(moment)
                return report
            except SQLAlchemyError as error:
                logger.error("reminder tick failed: database error (%s)", type(error).__name__)
                return None

    def push_knowledge_if_due(self, moment: datetime) -> None:
        """The weekly knowledge push rides on the tick; it pushes each group once per week."""
        settings = self.knowledge_push
        if settings is not None and weekly_slot_reached(moment, settings.slot):
            push_weekly_knowledge(self.database, self.line_client, moment,
                                  article_id=settings.article_id, base_url=settings.base_url)

    def expert_duties(self, moment: datetime) -> None:
        """The experts' questions ride on the tick: failed cards again, the daily digest of
        unanswered ones, and the honest word to askers nobody answered."""
        run_expert_duties(self.database, self.line_client, moment, self.experts)

    def sweep(self, now: datetime | None = None) -> int | None:
        """The daily retention sweep of the webhook delivery log, by the clock holding the lease only."""
        from bot.core.retention import sweep_received_events

        moment = calendar.to_bangkok(now) if now is not None else calendar.now()
        if not self.hold_lease(moment):
            return None
        try:
            removed = sweep_received_events(self.database, moment)
        except SQLAlchemyError as error:
            logger.error("retention sweep failed: database error (%s)", type(error).__name__)
            return None
        logger.info("retention sweep: %d webhook delivery records removed", removed)
        return removed

    def renew(self) -> None:
        """Renew the lease; a standby that takes it over (the holder died) catches up at once
        instead of waiting up to a minute for the next scheduled tick."""
        was_holding = self._holding
        if self.hold_lease() and not was_holding:
            self.tick()

    # --- running ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def start(self, *, catch_up_in_background: bool = False) -> TickReport | None:
        """Schedule the jobs and catch up once; returns the catch-up tick's report
        (None when it runs in the background or another clock holds the lease)."""
        scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
            timezone=calendar.BANGKOK,
        )
        scheduler.add_job(
            self.tick,
            trigger=CronTrigger(second=0, timezone=calendar.BANGKOK),
            id=TICK_JOB_ID,
            name="send due KM plan reminders",
        )
        scheduler.add_job(
            self.sweep,
            trigger=CronTrigger(hour=SWEEP_HOUR, minute=SWEEP_MINUTE, timezone=calendar.BANGKOK),
            id=SWEEP_JOB_ID,
            name="delete webhook delivery records past LINE's redelivery window",
        )
        scheduler.add_job(
            self.renew,
            trigger=IntervalTrigger(seconds=self.renew_every.total_seconds(), timezone=calendar.BANGKOK),
            id=LEASE_JOB_ID,
            name="renew the reminder clock's lease",
        )
        report = None
        if catch_up_in_background:
            # The lease (and its heartbeat) is taken at once; only the sending waits for the thread.
            self.hold_lease()
            catch_up = threading.Thread(target=self.tick, name="reminder-catch-up", daemon=True)
            catch_up.start()
            # Published only once started: a SIGTERM during start-up runs shutdown() at once.
            self._catch_up = catch_up
        else:
            # Before the jobs start, so the catch-up's report says what it sent. A catch-up that
            # outlasts the lease may let a standby start sending too; the delivery rows keep
            # each reminder to one push all the same.
            report = self.tick()
        scheduler.start()
        self._scheduler = scheduler
        logger.info("reminder clock started (holder %s)", self.holder)
        return report

    def shutdown(self) -> None:
        """Stop the jobs and give the lease up, so another clock may take over at once."""
        if self._scheduler is not None:
            if self._scheduler.running:
                self._scheduler.shutdown(wait=True)
            self._scheduler = None
        catch_up, self._catch_up = self._catch_up, None
        if catch_up is not None and catch_up.ident is not None:
            catch_up.join(timeout=60)
        try:
            release_lease(self.database, self.holder, calendar.now())
        except SQLAlchemyError as error:
            logger.error("reminder clock could not release its lease (%s); it lapses by itself", type(error).__name__)
        logger.info("reminder clock stopped (holder %s)", self.holder)

    def run_until(self, stop: threading.Event) -> None:
        """Run in the foreground until ``stop`` is set (by a signal handler)."""
        self.start()
        try:
            # Short waits keep the main thread responsive to signals on every platform.
            while not stop.wait(1.0):
                pass
        finally:
            self.shutdown()
