"""The daemon: APScheduler 3.x ticks that read and write our own tables.

Jobs: poll the feeds every FEED_POLL_MINUTES (then delete anything withdrawn and wake the
urgent sender; polling and withdrawal have their own threads and never send), send at each
posting slot in TIMEZONE, retry pending deletions every minute, send whatever the schedule
says is due every URGENT_INTERVAL (urgent appeals, pinned posts, a slot being caught up after
a restart), and hourly queue due re-appeals and purge
expired personal data. Nothing about the queue lives in APScheduler: its jobs are in memory
and rebuilt at start, so a restart loses nothing. Each job opens its own database connection,
so jobs on different threads never share one.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from types import FrameType
from typing import Any, NoReturn

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.appeals.housekeeping import housekeeping
from bot.appeals.withdrawal import process_deletions
from bot.core import events
from bot.core.alerts import notifier_for
from bot.core.clock import Clock, utcnow
from bot.core.db import open_db
from bot.core.lock import DaemonLock
from bot.core.settings import Settings
from bot.core.watch import check_alerts
from bot.platforms.base import Publisher
from bot.polling import poll_feeds
from bot.posts.schedule import catch_up_window, latest_slot, slot_key
from bot.sending.catch_up import note_on_start, slot_summary
from bot.sending.due import send_due
from bot.sending.photo_check import CHECK_EVERY as PHOTO_CHECK_EVERY
from bot.sending.photo_check import check_photos
from bot.sending.publishing import (
    RESUME_CHECK_INTERVAL,
    STALE_CLAIM_AGE,
    SlotReport,
    reconcile_stale,
)
from bot.shares.metrics import take_due_readings

log = logging.getLogger("appeal_bot")

# Urgent appeals never wait for a slot; this is how long one added by hand may wait at most.
URGENT_INTERVAL = timedelta(seconds=15)
HOUSEKEEPING_INTERVAL = timedelta(hours=1)
# How long a stop waits for the jobs in flight: the whole stop stays well within systemd's 90 s
# and the 10 s an operator expects; every network call has its own deadline besides.
STOP_GRACE = timedelta(seconds=5)
WITHDRAWALS_EXECUTOR = "withdrawals"


def slot_trigger(slot: time, settings: Settings) -> CronTrigger:
    """A daily trigger at a local wall-clock time; APScheduler follows the zone's DST rules."""
    return CronTrigger(hour=slot.hour, minute=slot.minute, timezone=settings.timezone)


class Daemon:
    """The long-running bot. ``stop`` ends it cleanly: the post in flight completes, the rest
    stay queued, nothing is left in ``sending``."""

    def __init__(
        self,
        settings: Settings,
        publishers: Mapping[str, Publisher],
        clock: Clock = utcnow,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.publishers = publishers
        self.clock = clock
        self.stop = stop or threading.Event()
        self.scheduler = BackgroundScheduler(
            timezone=settings.timezone,
            # Senders on one pool, polling and withdrawal on their own: a found appeal is never
            # withdrawn late because every thread was busy sending (issue 11).
            executors={
                "default": ThreadPoolExecutor(8),
                WITHDRAWALS_EXECUTOR: ThreadPoolExecutor(3),
            },
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self._running = 0
        self._idle = threading.Condition()
        self._slot_lock = threading.Lock()
        # The poll and the deletions job both delete; one at a time, so no post is deleted twice.
        self._deletions_lock = threading.Lock()

    # --- jobs ------------------------------------------------------------------------------
    def poll_job(self) -> None:
        """Poll, then delete what was withdrawn. Never sends: a send (a photo downloading, a
        slow platform) once held the poll past its next run, and a found appeal was published
        minutes after the feed said FOUND. New urgent appeals go out with the urgent job,
        woken here to run at once on the senders' own thread."""
        db = open_db(self.settings.database_path)
        try:
            now = self.clock()
            poll_feeds(db, self.settings, now)
            with self._deletions_lock:
                process_deletions(db, self.publishers, self.clock())
        finally:
            db.close()
        self._run_now("urgent")

    def _run_now(self, job_id: str) -> None:
        if self.scheduler.running and self.scheduler.get_job(job_id) is not None:
            self.scheduler.modify_job(job_id, next_run_time=datetime.now(self.settings.timezone))

    def sweep_job(self) -> list[int]:
        """Claims stranded in ``sending`` (saving "sent" failed, a disk full) back to the queue,
        to be looked up on the platform, without waiting for a restart."""
        db = open_db(self.settings.database_path)
        try:
            return reconcile_stale(db, now=self.clock(), own_too=False, max_age=STALE_CLAIM_AGE)
        finally:
            db.close()

    def deletions_job(self) -> None:
        db = open_db(self.settings.database_path)
        try:
            with self._deletions_lock:
                process_deletions(db, self.publishers, self.clock())
        finally:
            db.close()

    def urgent_job(self) -> SlotReport:
        """Send whatever the plan says is due now: urgent appeals, pinned posts, and a slot
        being caught up (after a restart, a retry or a rate limit)."""
        db = open_db(self.settings.database_path)
        try:
            return send_due(
                db,
                self.publishers,
                self.settings,
                clock=self.clock,
                stop=self.stop,
                resume_check_interval=RESUME_CHECK_INTERVAL,
            )
        finally:
            db.close()

    def photos_job(self) -> int:
        """Check waiting posts' photos: new ones, and those due soon (bot.sending.photo_check)."""
        db = open_db(self.settings.database_path)
        try:
            return len(check_photos(db, self.settings, self.clock()))
        finally:
            db.close()

    def alerts_job(self) -> int:
        """Tell a person what needs them (ALERT_URLS): see :mod:`bot.core.watch`."""
        notifier = notifier_for(self.settings.alert_urls, self.settings.secrets())
        if notifier is None:
            return 0
        db = open_db(self.settings.database_path)
        try:
            return len(check_alerts(db, self.settings, notifier, self.clock()))
        finally:
            db.close()

    def housekeeping_job(self) -> dict[str, int]:
        """Queue due re-appeals and purge personal data past RETENTION_DAYS."""
        db = open_db(self.settings.database_path)
        try:
            return housekeeping(db, self.settings, self.clock())
        finally:
            db.close()

    def metrics_job(self) -> int:
        """Take the share-count readings that are due (METRICS_SCHEDULE), within read limits."""
        db = open_db(self.settings.database_path)
        try:
            return take_due_readings(db, self.publishers, self.settings, self.clock())
        finally:
            db.close()

    def slot_job(self) -> SlotReport:
        """Send the slot's posts (and anything else due) by the plan, and log the slot: what
        went, and what is left if a stop cut it short. Running it twice sends nothing twice:
        the plan counts what the slot already sent."""
        now = self.clock()
        slot = latest_slot(now, self.settings.post_slots, self.settings.timezone)
        key = slot_key(slot, self.settings.timezone) if slot else "manual"
        db = open_db(self.settings.database_path)
        try:
            with self._slot_lock:
                db.execute(
                    "INSERT OR IGNORE INTO slot_runs (slot_key, started_at) VALUES (?, ?)",
                    [key, now.isoformat()],
                )
                report = send_due(
                    db, self.publishers, self.settings, clock=self.clock, stop=self.stop
                )
                outcome, line = slot_summary(
                    db, self.settings, key, self.clock(), self.stop.is_set()
                )
            db.execute(
                "UPDATE slot_runs SET sent = sent + ? WHERE slot_key = ?",
                [report.total_sent(), key],
            )
            events.record(db, "slot", outcome, line, now=self.clock())
            return report
        finally:
            db.close()

    # --- wiring ----------------------------------------------------------------------------
    def _tracked(self, job: Callable[..., Any]) -> Callable[..., Any]:
        """``job``, counted while it runs, so a stop knows whether anything is in flight."""

        @functools.wraps(job)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._idle:
                self._running += 1
            try:
                return job(*args, **kwargs)
            finally:
                with self._idle:
                    self._running -= 1
                    self._idle.notify_all()

        return run

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for running jobs to end; whether none is left."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED and event.job_id.startswith("slot-"):
            # Later than the catch-up window: the plan already gives its posts the next slot.
            db = open_db(self.settings.database_path)
            try:
                note_on_start(db, self.settings, self.clock())
            finally:
                db.close()
        elif event.code == EVENT_JOB_ERROR:
            log.error("job %s failed: %s", event.job_id, event.exception)

    def schedule(self) -> None:
        settings = self.settings
        self.scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        self.scheduler.add_job(
            self._tracked(self.poll_job),
            IntervalTrigger(minutes=settings.feed_poll_minutes, timezone=settings.timezone),
            id="poll-feeds",
            executor=WITHDRAWALS_EXECUTOR,
            next_run_time=datetime.now(settings.timezone),
            misfire_grace_time=settings.feed_poll_minutes * 60,
        )
        self.scheduler.add_job(
            self._tracked(self.deletions_job),
            IntervalTrigger(minutes=1, timezone=settings.timezone),
            id="deletions",
            executor=WITHDRAWALS_EXECUTOR,
            misfire_grace_time=60,
        )
        self.scheduler.add_job(
            self._tracked(self.sweep_job),
            IntervalTrigger(minutes=1, timezone=settings.timezone),
            id="sweep",
            executor=WITHDRAWALS_EXECUTOR,
            misfire_grace_time=60,
        )
        # Every minute: a reading falls due at most a minute late; most ticks read nothing.
        self.scheduler.add_job(
            self._tracked(self.metrics_job),
            IntervalTrigger(minutes=1, timezone=settings.timezone),
            id="metrics",
            misfire_grace_time=60,
        )
        self.scheduler.add_job(
            self._tracked(self.photos_job),
            IntervalTrigger(seconds=PHOTO_CHECK_EVERY.total_seconds(), timezone=settings.timezone),
            id="photos",
            misfire_grace_time=int(PHOTO_CHECK_EVERY.total_seconds()),
        )
        if settings.alert_urls:
            self.scheduler.add_job(
                self._tracked(self.alerts_job),
                IntervalTrigger(minutes=1, timezone=settings.timezone),
                id="alerts",
                misfire_grace_time=60,
            )
        self.scheduler.add_job(
            self._tracked(self.urgent_job),
            IntervalTrigger(seconds=URGENT_INTERVAL.total_seconds(), timezone=settings.timezone),
            id="urgent",
            misfire_grace_time=int(URGENT_INTERVAL.total_seconds()),
        )
        self.scheduler.add_job(
            self._tracked(self.housekeeping_job),
            IntervalTrigger(
                seconds=HOUSEKEEPING_INTERVAL.total_seconds(), timezone=settings.timezone
            ),
            id="housekeeping",
            next_run_time=datetime.now(settings.timezone),
            misfire_grace_time=int(HOUSEKEEPING_INTERVAL.total_seconds()),
        )
        for slot in settings.post_slots:
            self.scheduler.add_job(
                self._tracked(self.slot_job),
                slot_trigger(slot, settings),
                id=f"slot-{slot.strftime('%H%M')}",
                misfire_grace_time=int(catch_up_window(settings).total_seconds()),
            )

    def run(self, stop_grace: timedelta = STOP_GRACE) -> bool:
        """Run until ``stop`` is set. Refuses to start if another daemon holds the database.

        Returns whether every job had finished within ``stop_grace`` of the stop; if not, the
        caller should end the process now (:func:`exit_now`) rather than wait for them.
        """
        lock = DaemonLock(self.settings.database_path)
        lock.acquire()
        try:
            db = open_db(self.settings.database_path)
            try:
                reconcile_stale(db)
                events.record(db, "daemon", "started", f"platforms {', '.join(self.publishers)}")
                note_on_start(db, self.settings, self.clock())
            finally:
                db.close()
            self.schedule()
            self.scheduler.start()
            self.stop.wait()
            log.info("stopping: letting the post in flight finish")
            self.scheduler.shutdown(wait=False)
            finished = self.wait_idle(stop_grace.total_seconds())
            if not finished:
                # systemd kills at 90 s; a post cut off here is looked up on the platform at
                # the next start, as after a crash.
                log.warning(
                    "stopping without waiting longer: a job is still running; anything it was"
                    " sending is checked on the platform at the next start"
                )
            db = open_db(self.settings.database_path)
            try:
                reconcile_stale(db)
                how = "clean shutdown" if finished else "stopped with a job still running"
                events.record(db, "daemon", "stopped", how)
            finally:
                db.close()
        finally:
            lock.release()
        return finished


def exit_now(code: int = 0) -> NoReturn:
    """End the process without waiting for job threads still in a network call: Python would
    join them at exit, past the 10 s a stop may take (systemd kills at 90 s). The database is
    consistent: their posts were put back to be looked up on the platform at the next start."""
    logging.shutdown()
    os._exit(code)


def install_stop_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM set ``stop``; returns a function restoring the old handlers."""

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("received %s", signal.Signals(signum).name)
        stop.set()

    previous: dict[int, Any] = {
        sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)
    }

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
