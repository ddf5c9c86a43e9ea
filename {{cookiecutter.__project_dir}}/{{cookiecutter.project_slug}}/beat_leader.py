"""One sending beat at a time: the leader lock, and standby beats.

Every guide says to run exactly one beat, and sooner or later a second one
starts anyway: a deploy that overlaps the old and the new, a scaled service,
a ``make beat`` left running. So every beat takes a lock in Redis before it
sends anything, and only the holder sends. Another beat waits as a standby,
trying every STANDBY_POLL_SECONDS; it takes over at most
LEADER_LOCK_TTL_SECONDS after the leader dies, and at once when the leader
stops cleanly and releases the lock.

The leader renews the lock on every tick of its loop, and ticks at least
every RENEW_INTERVAL_SECONDS. The lock therefore says that the sending loop
is alive, not just the process: a beat frozen for longer than the ttl loses
it. A leader that finds another beat holding its lock stops sending at once:
it exits, and whatever restarts it (compose, systemd, Heroku) brings it back
as a standby. One whose lock merely expired (Redis was away longer than the
ttl, or restarted empty) takes it back and goes on, if no other beat led in
the meantime: every new leader counts a term in Redis, and the leader
compares the count with its own.

A beat that starts leading continues the heartbeat from the last one sent,
by whichever beat: at once when there was none within its interval (a
fresh deployment, a beat that was down), so that `make health` turns green
within seconds of a start rather than after a full interval.

A leader sends a run only once it has, just before, confirmed the lock
and written that the entry runs now where the next leader will read it:
every scheduler records its runs in the store that every beat shares
(``record_run``). A new leader therefore continues the schedule from when
each entry really last ran, wherever the last leader ran, and a beat that
dies between the two steps loses that one run rather than sending it twice.

Built, like ``locks.exclusive``, on redis-py's Lock: a random token per
holder, and renewal and release that check the token first.
"""

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from celery.beat import ScheduleEntry, Scheduler
from celery.schedules import BaseSchedule
from celery.schedules import schedule as interval
from kombu import Producer
from redis.exceptions import AuthenticationError, LockNotOwnedError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.lock import Lock

from . import ledger, liveness
from .beat_schedule import HEARTBEAT_ENTRY
from .redis_client import HEARTBEAT_KEY, get_redis, key, wait_for_replica
from .run_events import sent_by_beat
from .settings import settings
from .timetable import due_time
from .typing_gaps import interval_of, reserve

logger = logging.getLogger(__name__)

LEADER_LOCK_KEY = key("beat", "leader")
# How many times a beat became the leader: a count another leader has moved
# on says that it led while this one's lock had expired.
LEADER_TERM_KEY = key("beat", "leader_term")
# How long the lock outlives the leader's last renewal (BEAT_LEADER_LOCK_TTL):
# a standby takes over this long after the leader died, and a leader frozen
# for longer loses the lock.
LEADER_LOCK_TTL_SECONDS = settings.beat_leader_lock_ttl
# Three renewals per ttl: one or two may fail (Redis briefly away) before the
# lock expires under a leader that is still running.
RENEW_INTERVAL_SECONDS = LEADER_LOCK_TTL_SECONDS / 3
STANDBY_POLL_SECONDS = 1


class LostLeadership(SystemExit):
    """Another beat led while this one's lock had expired: this beat must stop sending."""


class StoppedBeforeSending(SystemExit):
    """SIGTERM or SIGINT reached a beat still starting (waiting to lead, say): it stops at once."""


@contextlib.contextmanager
def stopping_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT stop a beat at once while it starts: waits to lead, opens its schedule.

    It has sent nothing yet, and has nothing to save. Celery's own handlers
    would save the schedule's state first, and to do that build a scheduler,
    which would wait all over again: a waiting beat would ignore every stop
    but SIGKILL. They are back in place once this beat has started.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals (an embedded beat)
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        logger.info("Stopping (%s) before sending anything", signal.Signals(signum).name)
        raise StoppedBeforeSending(0)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def wait_until_leader() -> tuple[Lock, int]:
    """Block until this process holds the leader lock; return the lock and its term."""
    client = get_redis()
    lock = client.lock(LEADER_LOCK_KEY, timeout=LEADER_LOCK_TTL_SECONDS, thread_local=False)
    waiting_for = None
    while True:
        try:
            if lock.acquire(blocking=False):
                term = client.incr(LEADER_TERM_KEY)
                wait_for_replica(client, "the leader lock")
                logger.info("This beat is the leader: it holds %s and sends", LEADER_LOCK_KEY)
                return lock, term
            reason = "standby"
        except AuthenticationError as exc:
            reason = f"Redis refused the credentials in REDIS_URL ({exc})"
        except RedisError as exc:
            reason = f"Redis is unreachable ({exc})"
        if reason != waiting_for:
            if reason == "standby":
                logger.warning(
                    "Another beat holds the leader lock %s (or held it until it died, less "
                    "than %d s ago); this beat waits as a standby and takes over at most %d s "
                    "after the leader stops",
                    LEADER_LOCK_KEY,
                    LEADER_LOCK_TTL_SECONDS,
                    LEADER_LOCK_TTL_SECONDS + STANDBY_POLL_SECONDS,
                )
            else:
                logger.warning("This beat cannot take the leader lock yet: %s", reason)
            waiting_for = reason
        liveness.beat_loop_turned(STANDBY_POLL_SECONDS)
        time.sleep(STANDBY_POLL_SECONDS)


def heartbeat_continues_from(schedule: BaseSchedule | None, now: datetime) -> datetime | None:
    """When the heartbeat entry last ran, as far as it matters: the last heartbeat sent.

    By any beat, or by hand. With none on record, one interval ago: due at
    once. None when Redis cannot say, or for a heartbeat made a crontab
    with none sent: it keeps its own schedule.
    """
    try:
        sent_at = get_redis().hget(HEARTBEAT_KEY, "sent_at")
    except RedisError as exc:
        logger.warning("Could not read when the last heartbeat was sent: %s", exc)
        return None
    if sent_at is not None:
        return datetime.fromtimestamp(float(sent_at), UTC)
    if isinstance(schedule, interval):
        return now - interval_of(schedule)
    return None


class NeverBecameLeader(SystemExit):
    """A scheduler class skipped the leader lock: it would send beside every other beat."""


class LeaderOnlyScheduler(Scheduler):
    """Put before a beat scheduler class: only the leader lock's holder sends.

    Its ``setup_schedule`` takes the lock before the scheduler opens its
    schedule, so a standby neither sends nor opens the schedule's state. A
    scheduler adds to it through two hooks rather than by overriding it:
    ``before_leading`` (what must be ready first, a migrated database say)
    and ``setup_leader_schedule`` (opening the schedule, once it leads). One
    that overrides ``setup_schedule`` all the same and never takes the lock
    does not send: its first tick says so and stops beat.

    BEAT_LEADER_LOCK=0 turns the lock off (a single beat under a process
    manager that already guarantees one).
    """

    _leader_lock: Lock | None = None
    _leader_term: int | None = None

    def setup_schedule(self) -> None:
        with stopping_on_signals():
            try:
                self.before_leading()
                self.become_leader()
                self.setup_leader_schedule()
                self.watch_schedule()
                self.continue_heartbeat()
            except StoppedBeforeSending:
                self._release_lock()  # a standby need not wait out its ttl
                raise

    def before_leading(self) -> None:
        """What must be ready before this beat may lead; nothing, unless a scheduler says so."""

    def setup_leader_schedule(self) -> None:
        """Open the schedule, once this beat leads: the upstream scheduler's own setup."""
        super().setup_schedule()

    def watch_schedule(self) -> None:
        """Have the run ledger watch every entry this beat sends, from now if it did not yet."""
        ledger.watch({*self.app.conf.beat_schedule, *self.schedule})

    def continue_heartbeat(self) -> None:
        """Have the heartbeat entry count from the last heartbeat sent, by any beat or by hand.

        A schedule counts an entry that never ran from when beat opened it,
        so a fresh beat would send its first heartbeat a full interval after
        it started, with health red until then. With no heartbeat on record
        it counts from one interval ago: due at once. A paused heartbeat, or
        one made a crontab, keeps its own schedule.
        """
        entry = self.find_entry(HEARTBEAT_ENTRY)
        if entry is None:
            return
        continue_from = heartbeat_continues_from(entry.schedule, self.app.now())
        if continue_from is not None:
            self.set_last_run(HEARTBEAT_ENTRY, continue_from)

    def find_entry(self, name: str) -> ScheduleEntry | None:
        """The entry ``name`` as this beat will send it; None if it is paused or not there."""
        return self.schedule.get(name)

    def set_last_run(self, name: str, when: datetime) -> None:
        """Have the entry ``name`` count from ``when``, as if it last ran then."""
        self.schedule[name].last_run_at = when

    def become_leader(self) -> None:
        # Already the leader (setup_schedule called again): a second lock
        # would wait out this one's ttl, and lead no more than it does.
        if settings.beat_leader_lock and self._leader_lock is None:
            self._leader_lock, self._leader_term = wait_until_leader()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        # Signed at the end: a tick that never returns leaves no sign (``liveness``).
        sleeps_for = self._leader_tick(*args, **kwargs)
        liveness.beat_loop_turned(sleeps_for)
        return sleeps_for

    def _leader_tick(self, *args: Any, **kwargs: Any) -> float:
        if not settings.beat_leader_lock:
            return super().tick(*args, **kwargs)
        if self._leader_lock is None:
            logger.error(
                "This beat never took the leader lock %s, so it would send beside every "
                "other beat: stopping without sending. %s.setup_schedule must not be "
                "overridden; use before_leading and setup_leader_schedule",
                LEADER_LOCK_KEY,
                type(self).__name__,
            )
            raise NeverBecameLeader(1)
        try:
            self._renew_or_take_back(self._leader_lock)
        except RedisError as exc:
            # Unconfirmed leadership sends nothing; the next tick tries again.
            logger.warning("Could not renew the leader lock, not sending this tick: %s", exc)
            return STANDBY_POLL_SECONDS
        try:
            return min(super().tick(*args, **kwargs), RENEW_INTERVAL_SECONDS)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            # Redis went away after the renewal, while the scheduler read its
            # schedule there (RedBeat does): what was not sent goes out on a
            # later tick, once the lock is renewed again, as after a restart.
            logger.warning("Lost Redis during this tick, trying again: %s", exc)
            return STANDBY_POLL_SECONDS

    def apply_async(
        self,
        entry: ScheduleEntry,
        producer: Producer | None = None,
        advance: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Send an entry's task: on a lock confirmed just now, and with its run recorded first.

        The tick confirmed the lock too, but a beat frozen since (a GC pause,
        SIGSTOP, a stalled VM) may have lost it to a standby by now: it finds
        that out here, and exits instead of sending. What is left is a
        freeze longer than the lock's ttl in the microseconds between this
        confirmation's reply and the publish; such a beat sends that one run
        beside the new leader, then exits at its next tick.

        The run goes out marked with its entry's name, and the run ledger
        has it as sent, due when the entry was due (``run_events``).
        """
        if self._leader_lock is not None:
            self._renew_or_take_back(self._leader_lock)
        # ``entry`` is as it was before this run: when it was due follows from its last run.
        due_at = due_time(entry.schedule, self.app.now(), entry.last_run_at)
        if advance:
            entry = reserve(self, entry)
        self.record_run(entry)
        sending = sent_by_beat(entry, due_at)
        # Beat runs in one thread, so its client's pool holds one connection:
        # the lock's renewal and both records of the run went through it.
        wait_for_replica(get_redis(), f"the run of {entry.name} about to be sent")
        # Keywords: sentry-sdk's beat monitoring wraps this with a function
        # that takes the entry as the only positional argument.
        return super().apply_async(sending, producer=producer, advance=False, **kwargs)

    def record_run(self, entry: ScheduleEntry) -> None:
        """Write that ``entry`` runs now where the next leader reads it, before it is sent.

        A scheduler whose store already does so as the entry is reserved
        (RedBeat's) needs nothing more. An error here leaves the run unsent.
        """

    def _renew_or_take_back(self, lock: Lock) -> None:
        """Renew the lock; take it back if it expired and no beat led since; else stop."""
        try:
            lock.reacquire()
            return
        except LockNotOwnedError:
            pass
        client = get_redis()
        term = client.get(LEADER_TERM_KEY)
        # No count at all: Redis restarted empty, and no beat has led since.
        led_since = term is not None and int(term) != self._leader_term
        if not led_since and lock.acquire(blocking=False):
            self._leader_term = client.incr(LEADER_TERM_KEY)
            wait_for_replica(client, "the leader lock")
            logger.warning(
                "The leader lock %s expired under this beat (Redis was away, or the beat "
                "was paused); no other beat led since, so this beat leads on",
                LEADER_LOCK_KEY,
            )
            self._after_taking_back()
            return
        logger.error(
            "This beat lost the leader lock %s to another beat: stopping now, "
            "so that only one beat sends",
            LEADER_LOCK_KEY,
        )
        self._leader_lock = None
        raise LostLeadership(1)

    def _after_taking_back(self) -> None:
        try:
            self.leadership_regained()
            self.watch_schedule()
        except RedisError as exc:
            # Half restored is worse than a clean start, which restores it all.
            logger.error("Could not restore the schedule after taking the lock back: %s", exc)
            self._release_lock()
            raise LostLeadership(1) from None

    def leadership_regained(self) -> None:
        """Called when this beat took back its expired lock: Redis may have restarted empty."""

    def close(self) -> None:
        """Save the schedule's state and hand the lock on, if this beat still leads.

        One that lost the lock, or never took it, leaves the state alone:
        another beat may lead and have it open (two beats may share the file
        scheduler's state folder), and a write now would overwrite, or tear,
        what the leader keeps there.
        """
        if settings.beat_leader_lock and self._leader_lock is None:
            return
        try:
            super().close()
        finally:
            self._release_lock()

    def _release_lock(self) -> None:
        if self._leader_lock is not None:
            # Released, a standby takes over at once; if it already expired
            # or Redis is away, it frees itself after its ttl anyway.
            with contextlib.suppress(LockNotOwnedError, RedisError):
                self._leader_lock.release()
            self._leader_lock = None
