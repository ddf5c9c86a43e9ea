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
as a standby. One that finds the lock merely gone (Redis was away longer
than the ttl, or restarted without it) and free takes it again and goes on:
no other beat led meanwhile, since none holds it.

Built, like ``locks.exclusive``, on redis-py's Lock: a random token per
holder, and renewal and release that check the token first.
"""

import contextlib
import logging
import time

from redis.exceptions import LockNotOwnedError, RedisError

from .redis_client import get_redis, key
from .settings import settings

logger = logging.getLogger(__name__)

LEADER_LOCK_KEY = key("beat", "leader")
LEADER_LOCK_TTL_SECONDS = 10
# Three renewals per ttl: one or two may fail (Redis briefly away) before the
# lock expires under a leader that is still running.
RENEW_INTERVAL_SECONDS = LEADER_LOCK_TTL_SECONDS / 3
STANDBY_POLL_SECONDS = 1


class LostLeadership(SystemExit):
    """The leader's lock expired or was taken: this beat must stop sending."""


def wait_until_leader():
    """Block until this process holds the leader lock; return the lock."""
    lock = get_redis().lock(LEADER_LOCK_KEY, timeout=LEADER_LOCK_TTL_SECONDS, thread_local=False)
    waiting_for = None
    while True:
        try:
            if lock.acquire(blocking=False):
                logger.info("This beat is the leader: it holds %s and sends", LEADER_LOCK_KEY)
                return lock
            reason = "standby"
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
        time.sleep(STANDBY_POLL_SECONDS)


class LeaderOnlyScheduler:
    """Mix in before a beat scheduler class: only the leader lock's holder sends.

    The scheduler calls ``become_leader()`` first thing in ``setup_schedule``,
    so a standby neither sends nor opens the schedule's state. BEAT_LEADER_LOCK=0
    turns the lock off (a single beat under a process manager that already
    guarantees one).
    """

    _leader_lock = None

    def become_leader(self):
        if settings.beat_leader_lock:
            self._leader_lock = wait_until_leader()

    def tick(self, *args, **kwargs):
        if self._leader_lock is None:
            return super().tick(*args, **kwargs)
        try:
            self._leader_lock.reacquire()
        except LockNotOwnedError:
            self._take_back_or_stop()
        except RedisError as exc:
            # Unconfirmed leadership sends nothing; the next tick tries again.
            logger.warning("Could not renew the leader lock, not sending this tick: %s", exc)
            return STANDBY_POLL_SECONDS
        return min(super().tick(*args, **kwargs), RENEW_INTERVAL_SECONDS)

    def _take_back_or_stop(self):
        """The lock expired under this leader: lead on if it is free, exit if it is taken."""
        try:
            free = self._leader_lock.acquire(blocking=False)
        except RedisError:
            free = False
        if free:
            logger.warning(
                "The leader lock %s expired under this beat (Redis was away, or the beat "
                "was paused); no other beat took it, so this beat leads on",
                LEADER_LOCK_KEY,
            )
            self.leadership_regained()
            return
        logger.error(
            "This beat lost the leader lock %s to another beat: stopping now, "
            "so that only one beat sends",
            LEADER_LOCK_KEY,
        )
        self._leader_lock = None
        raise LostLeadership(1)

    def leadership_regained(self):
        """Called when this beat took back its expired lock: Redis may have restarted empty."""

    def close(self):
        try:
            super().close()
        finally:
            if self._leader_lock is not None:
                # Released, a standby takes over at once; if it already expired
                # or Redis is away, it frees itself after its ttl anyway.
                with contextlib.suppress(LockNotOwnedError, RedisError):
                    self._leader_lock.release()
                self._leader_lock = None
