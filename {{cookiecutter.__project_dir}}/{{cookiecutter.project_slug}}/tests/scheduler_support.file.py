"""What the tests need to know of the file scheduler: its schedule is BEAT_SCHEDULE."""


def one_second_heartbeat() -> dict[str, str]:
    """Make the heartbeat entry due every second; return the environment a beat needs for it."""
    return {"HEARTBEAT_INTERVAL": "1"}


def store_code_schedule() -> None:
    """Put BEAT_SCHEDULE where beat reads it: nothing to do, beat reads it from the code."""
