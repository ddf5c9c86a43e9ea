"""A process of its own that takes a lock, for test_locks.py.

python -m <package>.tests.lock_holder contend NAME ROUNDS HOLD_SECONDS
    takes the lock ROUNDS times, waiting for it each time, holds it for
    HOLD_SECONDS and prints "entered exited" (Unix times) for each round;
python -m <package>.tests.lock_holder hold NAME TTL
    takes the lock, prints "held" and keeps it until killed;
python -m <package>.tests.lock_holder contend-through-errors NAME SECONDS HOLD_SECONDS
    as contend, for SECONDS, pausing HOLD_SECONDS between turns, through
    Redis going away (a failover): a round that Redis fails prints "failed"
    (and when it held the lock, if it did), and the next one begins.
"""

import sys
import time

from redis import RedisError

from ..locks import exclusive


def take_turn(name: str, hold_seconds: float, turn: list[float]) -> None:
    """Wait for the lock and hold it ``hold_seconds``; ``turn`` gets when it entered, then left.

    Filled as it goes, so that a caller whose release failed knows the turn too.
    """
    with exclusive(name, ttl=5, wait=30) as acquired:
        if not acquired:
            sys.exit(f"waited 30 s for lock {name} without getting it")
        turn.append(time.time())
        time.sleep(hold_seconds)
        turn.append(time.time())


def contend(name: str, rounds: int, hold_seconds: float) -> None:
    for _ in range(rounds):
        turn: list[float] = []
        take_turn(name, hold_seconds, turn)
        print(*turn, flush=True)


def contend_through_errors(name: str, seconds: float, hold_seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        turn: list[float] = []
        try:
            take_turn(name, hold_seconds, turn)
        except RedisError:
            print("failed", flush=True)
        if turn:
            # Held until done with it, or until Redis failed it while held.
            entered, left = turn[0], turn[1] if len(turn) > 1 else time.time()
            print(entered, left, flush=True)
        # A pause between turns: a lock has no queue, and a holder that took
        # it again at once would keep the other one waiting for good.
        time.sleep(hold_seconds)


def hold(name: str, ttl: float) -> None:
    with exclusive(name, ttl=ttl) as acquired:
        if not acquired:
            sys.exit(f"lock {name} was already held")
        print("held", flush=True)
        while True:
            time.sleep(60)


if __name__ == "__main__":
    command, name, *numbers = sys.argv[1:]
    if command == "contend":
        contend(name, int(numbers[0]), float(numbers[1]))
    elif command == "contend-through-errors":
        contend_through_errors(name, float(numbers[0]), float(numbers[1]))
    else:
        hold(name, float(numbers[0]))
