"""With the file scheduler the schedule is code: the schedule command changes nothing at runtime."""

import pytest

from ..schedule import main
from ..tasks.cache import cleanup_expired_cache
from .support import is_listed, listed_entry


@pytest.mark.parametrize(
    "arguments",
    [
        ["add", "nightly-cleanup", cleanup_expired_cache.name, "--cron", "15 3 * * *"],
        ["pause", "heartbeat"],
        ["resume", "heartbeat"],
        ["remove", "heartbeat"],
    ],
    ids=["add", "pause", "resume", "remove"],
)
def test_changes_are_refused_with_one_line_saying_where_to_change_it(redis, capsys, arguments):
    assert main(arguments) == 2

    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: the schedule is code") and "beat_schedule.py" in line
    assert main(["list"]) == 0
    output = capsys.readouterr().out
    assert not is_listed(output, "nightly-cleanup")
    assert "enabled:  yes" in listed_entry(output, "heartbeat")
