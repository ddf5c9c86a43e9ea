"""``docs/benchmarks.md`` from the figures ``make bench`` measured.

Each section shows a figure beside its reference and its target, and says
in words what the numbers mean; where a target is missed it says why.
"""

from typing import Any

# What ``make bench`` measured: benchmarks.json, read back.
Figures = dict[str, Any]

TARGETS: dict[str, Any] = {
    "render_s": 1.5,
    "scaffold_s": {"plain": 30, "django": 60},
    "dispatch_p99_ms": 50,
    "pickup_s": 5,
    "single_instance_keeps": 0.9,
    "startup_10k_s": 10,
    "cpu_share": 0.05,
    "health_s": 2,
    # What the project README promises of a standby: it leads within a
    # second of its poll once the dead leader's lock expired, and within a
    # second of a clean stop (plus the first tick's send, well under 1 s).
    "takeover_after_ttl_s": 2,
    "takeover_stopped_s": 2,
    # The run ledger: a worker keeps this share of its throughput, and the
    # schedule command's list and ``health jobs`` answer within this, at
    # 10,000 entries.
    "ledger_keeps": 0.95,
    "ledger_reports_s": 2,
}


def compared(value, reference, better="faster", worse="slower"):
    """``value`` beside ``reference`` in words, for figures where less is better.

    "3.0x faster", "1.4x slower", or "about the same" within a tenth.
    """
    if value == reference:
        return "the same"
    if not reference:
        return f"{worse}, where the reference is 0"
    if not value:
        return f"{better}, at 0"
    ratio = reference / value
    if ratio >= 1.1:
        return f"{ratio:.1f}x {better}"
    if ratio <= 1 / 1.1:
        return f"{1 / ratio:.1f}x {worse}"
    return "about the same"


def loop_interval(beat_options):
    """The ``--max-interval`` seconds in a stock beat's options."""
    words = beat_options.split()
    return int(words[words.index("--max-interval") + 1])


def against(value, target, unit=" s", at_least=False):
    """A table cell: the target, and whether ``value`` meets it."""
    ok = value >= target if at_least else value <= target
    return f"{'at least' if at_least else 'under'} {target}{unit}: {'met' if ok else '**missed**'}"


def summary_row(figure, measured, verdict):
    """A row of the summary table: the figure, what was measured, and against its target."""
    return f"| {figure} | {measured} | {verdict} |"


def summary_section(figures):
    """One line per figure: the worst case measured, against its target."""
    render, throughput = figures["render"], figures["throughput"]
    health = figures["locks_and_health"]["health"]
    lines = [
        summary_row(
            "1. render, slowest combination",
            f"{render['max_s']} s",
            against(render["max_s"], TARGETS["render_s"]),
        )
    ]
    for name, scaffold in figures["scaffold"].items():
        target = TARGETS["scaffold_s"][name]
        lines.append(
            summary_row(
                f"2. scaffold to green, {name}",
                f"{scaffold['total_s']} s",
                against(scaffold["total_s"], target),
            )
        )
    for scheduler, dispatch in figures["dispatch"].items():
        p99 = dispatch["dispatch"]["project"]["p99_ms"]
        lines.append(
            summary_row(
                f"3. dispatch p99, {scheduler}",
                f"{p99} ms",
                against(p99, TARGETS["dispatch_p99_ms"], " ms"),
            )
        )
        if dispatch["change_pickup"]:
            worst = dispatch["change_pickup"]["project"]["max_s"]
            lines.append(
                summary_row(
                    f"4. change pickup, {scheduler}",
                    f"{worst} s",
                    against(worst, TARGETS["pickup_s"]),
                )
            )
    keeps = round(throughput["single_instance_keeps"] * 100, 1)
    target = round(TARGETS["single_instance_keeps"] * 100)
    lines.append(
        summary_row(
            "5. `single_instance` throughput kept", f"{keeps}%", against(keeps, target, "%", True)
        )
    )
    for scheduler, scale in figures["beat_at_scale"].items():
        biggest = scale["sizes"]["10000"]
        slowest_start = max(biggest["startup_s"], biggest["restart_s"])
        lines.append(
            summary_row(
                f"6. 10,000 entries, {scheduler}: slower of start and restart / CPU",
                f"{slowest_start} s / {biggest['core_percent']}%",
                f"{against(slowest_start, TARGETS['startup_10k_s'])}; "
                f"{against(biggest['core_percent'], TARGETS['cpu_share'] * 100, '%')}",
            )
        )
    for scheduler, takeover in figures["takeover"].items():
        killed = takeover["killed"]["standby"]["max_s"]
        stopped = takeover["stopped"]["standby"]["max_s"]
        killed_target = takeover["lock_ttl_s"] + TARGETS["takeover_after_ttl_s"]
        stopped_target = TARGETS["takeover_stopped_s"]
        lines.append(
            summary_row(
                f"8. takeover by a standby, {scheduler}: leader killed / stopped",
                f"{killed} s / {stopped} s",
                f"{against(killed, killed_target)}; {against(stopped, stopped_target)}",
            )
        )
    worst_health = max(health[case]["max_s"] for case in ("redis_up", "redis_refusing"))
    frozen = health["redis_frozen"]["max_s"]
    lines.append(
        summary_row(
            "7. health, Redis up or refusing / frozen",
            f"{worst_health} s / {frozen} s",
            against(max(worst_health, frozen), TARGETS["health_s"]),
        )
    )
    if "ledger" in figures:
        lines += ledger_summary_lines(figures["ledger"])
    for scheduler, failover in figures.get("failover", {}).items():
        lines.append(
            summary_row(
                f"11. Sentinel failover, {scheduler}: worker / beat / health back; "
                "sent twice, lost",
                f"{failover['worker']['max_s']} s / {failover['beat']['max_s']} s / "
                f"{failover['health']['max_s']} s; {failover['sent_twice']}, {failover['lost']}",
                f"none sent twice or lost: "
                f"**{'met' if failover['sent_twice'] == failover['lost'] == 0 else 'missed'}**",
            )
        )
    table = "\n".join(lines)
    return f"""## Summary

| figure (worst case) | measured | target |
|---|---|---|
{table}
"""


def render_section(render):
    reference = render["minimal_template"]
    verdict = against(render["max_s"], TARGETS["render_s"])
    offline = (
        "inside a network namespace with no network\n(`unshare --net`), so the hooks need none"
        if render["offline"]
        else "with the network on\n(`unshare` was not allowed here)"
    )
    slowest = " ".join(f"{name}={value}" for name, value in render["slowest"].items())
    return f"""## 1. Render

`cookiecutter --no-input` for each of the {render["combinations"]} combinations of
framework, scheduler, Flower, Docker, Heroku and CI, run {offline}. Beside
it, the same command on a one-file template without hooks: what
cookiecutter costs by itself.

| | median | max | target |
|---|---|---|---|
| a combination of this template | {render["median_s"]} s | {render["max_s"]} s | {verdict} |
| a one-file template (reference) | {reference["median_s"]} s | {reference["max_s"]} s | |

The slowest combination: `{slowest}`.
"""


SCAFFOLD_TABLE_HEAD = (
    "| flavour | render | make install | test suite | total | target "
    "| suite CPU / per core | `uv sync --locked` (reference) | `uv sync`, no lock (reference) "
    "| suite in one process (reference) | collect only (reference) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def scaffold_section(scaffold, cores):
    rows = "\n".join(
        f"| {name} | {figures['render_s']} s | {figures['install_s']} s | {figures['tests_s']} s "
        f"| {figures['total_s']} s | {against(figures['total_s'], TARGETS['scaffold_s'][name])} "
        f"| {figures['tests_cpu_s']} s / {round(figures['tests_cpu_s'] / cores, 1)} s "
        f"| {figures['locked_sync_s']} s | {figures['unlocked_sync_s']} s "
        f"| {figures['one_process_tests_s']} s | {figures['collect_only_s']} s |"
        for name, figures in scaffold.items()
    )
    slowest = "\n".join(
        f"- {name}: " + "; ".join(f"{test} {time_s} s" for time_s, test in figures["slowest_tests"])
        for name, figures in scaffold.items()
    )
    results = ", ".join(
        f"{name}: {figures['result']} (in one process: {figures['one_process_result']})"
        for name, figures in scaffold.items()
    )
    targets = TARGETS["scaffold_s"]
    missed = [name for name, figures in scaffold.items() if figures["total_s"] > targets[name]]
    floors = "\n".join(
        f"- {name}: its CPU per core was {round(figures['tests_cpu_s'] / cores, 1)} s of the "
        f"{figures['tests_s']} s it took, and its longest test {figures['slowest_tests'][0][0]} s; "
        f"in one process it took {figures['one_process_tests_s']} s "
        f"({compared(figures['tests_s'], figures['one_process_tests_s'])} in four)."
        for name, figures in scaffold.items()
        if name in missed
    )
    why = (
        f"""
Where the target is missed ({", ".join(missed)}), two floors hold the suite
up. Its CPU: most of it goes to starting real worker, beat and web
processes, each a Python interpreter importing Celery (and Django), so on
{cores} cores the suite cannot end sooner than its CPU time per core,
however its tests are spread. And its longest tests, which wait on real
clocks: a standby beat takes over only once the dead leader's lock expires,
and a task lost with its worker comes back only after the visibility
timeout.

{floors}
"""
        if missed
        else ""
    )
    return f"""## 2. Scaffold to green

Render, `make install` with a warm cache, then the generated test suite,
per flavour. `make install` installs the versions in the render's `uv.lock`
and compiles them to bytecode (`uv sync --locked --compile-bytecode`).
Beside it, the lock alone (`uv sync --locked`), and the render without its
lock, synced as renders were before they shipped one: uv resolves every
dependency afresh. The suite runs in four test processes (pytest-xdist, as the
project's `make test` runs it), each with its own Redis, worker and
database; the CPU column adds up every process the suite started, and
divides it by the {cores} cores. Beside it, the same suite in one process
(`-n0`), and `pytest --collect-only` (interpreter, imports and collection:
the floor of any test run). Results: {results}.

{SCAFFOLD_TABLE_HEAD}
{rows}

The suites' slowest tests, the profile of where their time goes:

{slowest}
{why}"""


def dispatch_section(dispatch):
    def latency(figures):
        return f"{figures['p50_ms']} / {figures['p99_ms']} / {figures['max_ms']} ms"

    def pickup(figures):
        return f"{figures['median_s']} s ({figures['max_s']} s)"

    rows = []
    for scheduler, figures in dispatch.items():
        project, stock = figures["dispatch"]["project"], figures["dispatch"]["stock"]
        verdict = against(project["p99_ms"], TARGETS["dispatch_p99_ms"], " ms")
        rows.append(
            f"| {scheduler} | dispatch p50 / p99 / max | {latency(project)} "
            f"| {latency(stock)} | p99 {verdict} |"
        )
    for scheduler, figures in dispatch.items():
        change = figures["change_pickup"]
        if change is None:
            rows.append(
                f"| {scheduler} | change pickup | not applicable: the schedule is code | | |"
            )
            continue
        verdict = against(change["project"]["max_s"], TARGETS["pickup_s"])
        rows.append(
            f"| {scheduler} | change pickup, median (max) | {pickup(change['project'])} "
            f"| {pickup(change['stock'])} | {verdict} |"
        )
    stock_settings = "; ".join(
        f"{scheduler}: `{figures['stock_beat_options']}`" for scheduler, figures in dispatch.items()
    )
    table = "\n".join(rows)
    findings = []
    for scheduler, figures in dispatch.items():
        project, stock = figures["dispatch"]["project"], figures["dispatch"]["stock"]
        findings.append(
            f"- {scheduler}: dispatch at the 99th percentile {project['p99_ms']} ms beside "
            f"{stock['p99_ms']} ms stock: {compared(project['p99_ms'], stock['p99_ms'])}."
        )
        change = figures["change_pickup"]
        if change is not None:
            ours, theirs = change["project"]["median_s"], change["stock"]["median_s"]
            findings.append(
                f"- {scheduler}: a change picked up in {ours} s at the median beside {theirs} s "
                f"stock, whose loop interval is {loop_interval(figures['stock_beat_options'])} s: "
                f"{compared(ours, theirs)}."
            )
    listed = "\n".join(findings)
    return f"""## 3. Dispatch latency, and 4. schedule change pickup

How late beat sends an entry due every second, and how soon a running beat
acts on a schedule change, each beside the same case under Celery's stock
beat settings for that scheduler ({stock_settings}; the stock file
scheduler runs without the leader lock). Latency runs from a run's due time
(one second after beat sent the run before) to the task starting on a
worker, read from the processes' own millisecond log stamps, over 60 runs
after 2 warm-up runs. Pickup runs from adding an every-second entry with
`python -m <project>.schedule add` (with the database scheduler, a
PeriodicTask saved through the ORM, as the admin does) to beat sending it:
5 changes at random moments of one minute. Both stores first run a new entry
one second after it is saved, so every pickup includes that second.

| scheduler | figure | project | stock beat settings (reference) | target |
|---|---|---|---|---|
{table}

What the figures show:

{listed}

A stock beat reads a changed schedule only when it wakes, and sleeps up to
its loop interval; the project's beat wakes at least every
`beat_max_loop_interval` (5 s where the schedule changes at runtime), and
more often while it renews the leader lock.
"""


def lock_section(locks, throughput):
    keeps = throughput["single_instance_keeps"]
    verdict = against(
        round(keeps * 100, 1), round(TARGETS["single_instance_keeps"] * 100), "%", at_least=True
    )
    return f"""## 5. Lock overhead

A no-op task through one real worker (concurrency 1, so the decorated task
takes and releases its lock on every run), {throughput["tasks_per_round"]} tasks
a round, median of {throughput["rounds"]} alternating rounds.

| task | tasks per second |
|---|---|
| no-op (reference) | {throughput["noop_per_s"]} |
| no-op under `@single_instance()` | {throughput["single_instance_noop_per_s"]} |

The decorated task keeps {keeps:.1%} of the throughput (target {verdict}).
Taking and releasing the lock is two Redis round trips per run, on top of
the worker's own for the message, its result and its events.

`exclusive(name, ttl=60)` taken and released from one process, beside the
naive `SET NX PX` + `DEL` it replaces and a bare `PING` (mean per call,
median over 5 batches of 2,000):

| operation | µs per call |
|---|---|
| `PING` (one round trip) | {locks["redis_ping_us"]} |
| naive `SET NX PX` + `DEL` | {locks["naive_set_nx_del_us"]} |
| `exclusive`, renewed while held (the default) | {locks["exclusive_us"]} |
| `exclusive(renew=False)` | {locks["exclusive_without_renewal_us"]} |

That is {locks["exclusive_per_second"]} acquisitions per second,
{locks["exclusive_vs_naive"]}x the naive lock: two round trips (`SET NX PX`,
then the Lua compare-and-delete).
A real task, which works for milliseconds or minutes, pays the same
{locks["exclusive_us"]} µs per run.
"""


def scale_section(scale):
    rows = []
    for scheduler, figures in scale.items():
        reference = figures["reference"]["sizes"]
        for size, ours in figures["sizes"].items():
            stock = reference[size]
            startup = f"{ours['startup_s']} s ({stock['startup_s']} s)"
            restart = f"{ours['restart_s']} s ({stock['restart_s']} s)"
            cpu = f"{ours['core_percent']}% ({stock['core_percent']}%)"
            memory = f"{ours['rss_mib']} MiB ({stock['rss_mib']} MiB)"
            wakeups = f"{ours['wakeups_per_min']} ({stock['wakeups_per_min']})"
            verdicts = ""
            if size == "10000":
                slowest_start = max(ours["startup_s"], ours["restart_s"])
                verdicts = (
                    f"start {against(slowest_start, TARGETS['startup_10k_s'])}; "
                    f"CPU {against(ours['core_percent'], TARGETS['cpu_share'] * 100, '%')}"
                )
            rows.append(
                f"| {scheduler} | {int(size):,} | {startup} | {restart} | {cpu} "
                f"| {wakeups} | {memory} | {verdicts} |"
            )
    window = next(iter(scale.values()))["window_s"]
    table = "\n".join(rows)
    findings = []
    for scheduler, figures in scale.items():
        ours, stock = figures["sizes"]["10000"], figures["reference"]["sizes"]["10000"]
        findings.append(
            f"- {scheduler}: start-up {ours['startup_s']} s beside {stock['startup_s']} s "
            f"({compared(ours['startup_s'], stock['startup_s'])}), restart {ours['restart_s']} s "
            f"beside {stock['restart_s']} s ({compared(ours['restart_s'], stock['restart_s'])}); "
            f"{ours['core_percent']}% of a core beside {stock['core_percent']}% "
            f"({compared(ours['core_percent'], stock['core_percent'], 'less', 'more')}), "
            f"{ours['wakeups_per_min']} wake-ups a minute beside {stock['wakeups_per_min']}."
        )
    listed = "\n".join(findings)
    return f"""## 6. Beat at scale

Beat with 10, 1,000 and 10,000 entries (half interval, every 5 to 60
minutes; half hourly crontab), for each scheduler, beside the upstream class
it extends at the same size (in brackets). Start-up runs from starting
`celery beat` on an empty Redis, state folder or database until its first
tick sends the one entry due at start; restart is the same on the schedule
the first beat left. CPU is a share of one core over {window} s of steady
state, when beat waits rather than sends; wake-ups are its voluntary
context switches per minute; memory is resident.

| scheduler | entries | start-up | restart | CPU | wake-ups / min | memory | target |
|---|---|---|---|---|---|---|---|
{table}

What the figures show, at 10,000 entries, the project beside the class it
extends:

{listed}

Where they differ, the code says why. Stock RedBeat stores every entry at
start with two round trips each; the project's scheduler reads and stores
them in pipelined batches of 500, and learns from the same read which
entries an operator paused. The project's beat wakes to renew its leader
lock, and each wake-up runs a full tick of the upstream scheduler, which
compares the whole schedule with a copy: more wake-ups and CPU than stock.
Outside the window, the file scheduler writes its state every 3 minutes
and django-celery-beat reloads every row every 5 minutes.
"""


def health_section(health):
    def row(case, label):
        figures = health[case]
        return (
            f"| {label} | {figures['median_s']} s | {figures['max_s']} s "
            f"| {against(figures['max_s'], TARGETS['health_s'])} |"
        )

    import_only = health["import_only"]
    frozen_extra = round(health["redis_frozen"]["median_s"] - import_only["median_s"], 2)
    return f"""## 7. Health answer time

`python -m <project>.health`, wall time of the whole command over 7 runs,
beside only importing it (interpreter start-up plus imports).

| case | median | max | target |
|---|---|---|---|
| import only (reference) | {import_only["median_s"]} s | {import_only["max_s"]} s | |
{row("redis_up", "Redis up")}
{row("redis_refusing", "Redis down, connection refused")}
{row("redis_frozen", "Redis frozen (SIGSTOP: accepts, never answers)")}

The command makes one attempt with a 1-second timeout and no retries: a
frozen Redis cost {frozen_extra} s on top of the import, at the median.
"""


def takeover_section(takeover, send_cost, dispatch, previous):
    def seconds(figures):
        return f"{figures['median_s']} s ({figures['max_s']} s)"

    ttl = next(iter(takeover.values()))["lock_ttl_s"]
    takeover_rows = "\n".join(
        f"| {scheduler} | {seconds(figures['killed']['standby'])} "
        f"| {seconds(figures['killed']['restart'])} | {seconds(figures['stopped']['standby'])} "
        f"| {seconds(figures['stopped']['restart'])} |"
        for scheduler, figures in takeover.items()
    )

    def standby_beside_restart(figures):
        standby, restart = figures["standby"]["median_s"], figures["restart"]["median_s"]
        return f"{standby} s beside {restart} s for a restart ({compared(standby, restart)})"

    takeover_findings = "\n".join(
        f"- {scheduler}: after a kill, {standby_beside_restart(figures['killed'])}; "
        f"after a stop, {standby_beside_restart(figures['stopped'])}."
        for scheduler, figures in takeover.items()
    )
    cost_rows = []
    for scheduler, figures in send_cost.items():
        ours, stock = figures["project"], figures["stock"]
        more = {
            name: round(calls - stock["commands"].get(name, 0), 2)
            for name, calls in ours["commands"].items()
            if calls > stock["commands"].get(name, 0)
        }
        extra = ", ".join(f"{name} +{calls}" for name, calls in more.items()) or "none"
        p99 = dispatch[scheduler]["dispatch"]
        before = previous["dispatch_p99_ms"].get(scheduler, "n/a") if previous else "n/a"
        cost_rows.append(
            f"| {scheduler} | {ours['commands_per_send']} ({stock['commands_per_send']}) "
            f"| {extra} | {ours['tick_us_p50']} / {ours['tick_us_p99']} µs "
            f"({stock['tick_us_p50']} / {stock['tick_us_p99']} µs) "
            f"| {p99['project']['p99_ms']} ms ({before} ms; stock {p99['stock']['p99_ms']} ms) |"
        )
    cost_table = "\n".join(cost_rows)
    previous_run = f"the report of {previous['date']}" if previous else "no earlier report"
    return f"""## 8. Takeover, and what writing each run down costs a send

Two real beats on state folders of their own, the heartbeat due every
second, the leader lock at its default life ({ttl} s). The leader is killed
with SIGKILL three times, then stopped with SIGTERM three times; each figure
runs from the signal to the first send by the beat that took over, median
(max). Beside it, the reference from the same run: one beat alone, started
again at once after the same signal, as a process manager does without a
standby.

| scheduler | killed: standby | killed: restart (reference) | stopped: standby \
| stopped: restart (reference) |
|---|---|---|---|---|
{takeover_rows}

A killed leader's lock lives on for {ttl} s (`BEAT_LEADER_LOCK_TTL`), and
no beat leads before it expires, a restarted one no more than a standby.
A leader stopped cleanly releases its lock, and the standby takes over
within its one-second poll. What the standby saves is the start-up a
restart needs:

{takeover_findings}

Before it sends a run, the project's scheduler confirms its lock once more
and writes the run down where the next leader reads it. What that costs, per
send: the scheduler's tick made in one process on a frozen clock, each tick
sending one entry, 200 sends, beside the upstream class it extends (in
brackets). Redis commands are Redis's own count (sending the task is among
them, for both); the tick's time includes publishing the message. The last
column is section 3's dispatch p99, beside {previous_run} (in brackets) and
stock.

| scheduler | Redis commands per send | more than stock | tick p50 / p99 | dispatch p99 |
|---|---|---|---|---|
{cost_table}

Each tick of the project's scheduler renews the lock, sending or not: an
`evalsha`, one round trip, which runs `get` and `pexpire` in Redis. Before
a send it confirms the lock with another. The `file` scheduler writes the
run down with an `hset`; RedBeat writes every run down already; the
database scheduler writes the entry's row at once, so its tick also pays
for a database write (SQLite here), where django-celery-beat would batch it.
"""


def ledger_summary_lines(ledger):
    keeps = round(ledger["worker"]["throughput"]["kept"] * 100, 1)
    target = round(TARGETS["ledger_keeps"] * 100)
    lines = [
        summary_row(
            "9. throughput kept with the run ledger", f"{keeps}%", against(keeps, target, "%", True)
        )
    ]
    for scheduler, figures in ledger["schedulers"].items():
        p99 = figures["dispatch"]["on"]["p99_ms"]
        lines.append(
            summary_row(
                f"9. dispatch p99 with the run ledger, {scheduler}",
                f"{p99} ms",
                against(p99, TARGETS["dispatch_p99_ms"], " ms"),
            )
        )
    for scheduler, figures in ledger["schedulers"].items():
        listed = figures["reports"]["schedule_list"]["max_s"]
        jobs = figures["reports"]["health_jobs"]["max_s"]
        lines.append(
            summary_row(
                f"9. `schedule list` / `health jobs` at 10,000 entries, {scheduler}",
                f"{listed} s / {jobs} s",
                f"{against(listed, TARGETS['ledger_reports_s'])}; "
                f"{against(jobs, TARGETS['ledger_reports_s'])}",
            )
        )
    return lines


def ledger_throughput(throughput):
    off, on = throughput["off"], throughput["on"]
    keeps = throughput["kept"]
    verdict = against(
        round(keeps * 100, 1), round(TARGETS["ledger_keeps"] * 100), "%", at_least=True
    )
    more_worker = round(on["worker_cpu_ms_per_task"] - off["worker_cpu_ms_per_task"], 3)
    more_redis = round(on["redis_cpu_ms_per_task"] - off["redis_cpu_ms_per_task"], 3)
    missed = keeps < TARGETS["ledger_keeps"]
    # What the same extra CPU would be to a task that works for 10 ms.
    ten_ms_task = more_worker / (off["worker_cpu_ms_per_task"] + 10)
    why = (
        f"""
Where the target is missed, the CPU says why: a run with the header has
its start and end written to Redis, by the worker's writing thread, and
the no-op task does nothing else to hide that behind. They cost
the worker {more_worker} ms of CPU and Redis {more_redis} ms per run, beside
the {off["worker_cpu_ms_per_task"]} ms a no-op run costs the worker without
them. To a task that works for 10 ms they would be {ten_ms_task:.0%} of its
time, and less to a longer one.
"""
        if missed
        else ""
    )
    return f"""A no-op task through one real worker (concurrency 1),
{throughput["tasks_per_round"]} tasks a round, median of {throughput["rounds"]} alternating rounds:
sent with the `periodic_task_name` header, as beat sends an entry's run, so
that the worker writes each run's start and end to the ledger; and sent
without it (the reference), which leaves the ledger alone. The worker
writes from a thread of its own, the ends of 0.1 s in one round trip, and
a run shorter than half a second has its start written with its end; a
round with the header ends only once the ledger has every run. Beside each rate,
the CPU time per task of the worker (its main and pool processes) and of
Redis over the same rounds, less noisy than the rate on a shared machine.

| runs sent | tasks per second | worker CPU per task | Redis CPU per task |
|---|---|---|---|
| without the header: no ledger (reference) | {off["per_s"]} \
| {off["worker_cpu_ms_per_task"]} ms | {off["redis_cpu_ms_per_task"]} ms |
| with the header: start and end written | {on["per_s"]} \
| {on["worker_cpu_ms_per_task"]} ms | {on["redis_cpu_ms_per_task"]} ms |

With the ledger the worker keeps {keeps:.1%} of its throughput (target
{verdict}). The ledger counted {throughput["runs_recorded"]:,} runs of the
{throughput["runs_sent_with_header"]:,} sent with the header.
{why}"""


def ledger_sends(schedulers, dispatch, dispatch_date):
    def latency(figures):
        return f"{figures['p50_ms']} / {figures['p99_ms']} / {figures['max_ms']} ms"

    def tick(figures):
        return f"{figures['tick_us_p50']} / {figures['tick_us_p99']} µs"

    rows = []
    findings = []
    for scheduler, figures in schedulers.items():
        on, off = figures["dispatch"]["on"], figures["dispatch"]["off"]
        send_on, send_off = figures["send"]["on"], figures["send"]["off"]
        section_3 = dispatch.get(scheduler, {}).get("dispatch", {}).get("project", {})
        before = f"{section_3['p99_ms']} ms" if section_3 else "n/a"
        verdict = against(on["p99_ms"], TARGETS["dispatch_p99_ms"], " ms")
        rows.append(
            f"| {scheduler} | {latency(on)} | {latency(off)} | {before} | p99 {verdict} "
            f"| {send_on['round_trips_per_send']} ({send_off['round_trips_per_send']}) "
            f"| {send_on['commands_per_send']} ({send_off['commands_per_send']}) "
            f"| {tick(send_on)} ({tick(send_off)}) |"
        )
        more_commands = round(send_on["commands_per_send"] - send_off["commands_per_send"], 2)
        more_trips = round(send_on["round_trips_per_send"] - send_off["round_trips_per_send"], 2)
        findings.append(
            f"- {scheduler}: dispatch p99 {on['p99_ms']} ms with the ledger beside "
            f"{off['p99_ms']} ms without its writes ({compared(on['p99_ms'], off['p99_ms'])}) "
            f"and {before} in section 3; a send makes {more_trips:g} more "
            f"round trip{'' if more_trips == 1 else 's'}, "
            f"{more_commands} more commands in Redis, and its tick takes "
            f"{send_on['tick_us_p50']} µs at the median beside {send_off['tick_us_p50']} µs "
            f"({compared(send_on['tick_us_p50'], send_off['tick_us_p50'])})."
        )
    table = "\n".join(rows)
    listed = "\n".join(findings)
    held = "; ".join(
        f"{scheduler} {figures['dispatch']['on'].get('ledger_runs', 'n/a')} "
        f"and {figures['dispatch']['off'].get('ledger_runs', 'n/a')}"
        for scheduler, figures in schedulers.items()
    )
    return f"""Beat writes each run to the ledger as it sends it: section 3's dispatch
latency (a real beat and worker, the heartbeat due every second, 60 runs),
with the ledger, beside the same with every ledger write left out (beat and
worker run the project's app with `ledger.record` made to do nothing), and
beside section 3's figure of {dispatch_date}. Then section 8's cost of a send,
in one process on a frozen clock, with the ledger's write and without it (in
brackets): of three alternating pairs of 200 sends, each case's run with the
median tick.

| scheduler | dispatch p50 / p99 / max | without ledger writes (reference) \
| section 3's p99 | target | round trips per send | Redis commands per send \
| tick p50 / p99 |
|---|---|---|---|---|---|---|---|
{table}

{listed}

After each dispatch case the ledger held this many runs of the heartbeat,
with the ledger and without its writes: {held}.

The ledger's write is one round trip, an `evalsha`; in Redis the script
reads and writes the run, keeps the history to its length and counts the
outcome, which Redis counts as several commands.
"""


def ledger_memory(memory):
    checkpoints = memory["runs_written"]
    rows = "\n".join(
        f"| {int(runs):,}{' (reference)' if number == 0 else ''} | {figures['runs_kept']} "
        f"| {figures['bytes_per_entry']:,} | {figures['memory_usage_bytes']:,} |"
        for number, (runs, figures) in enumerate(checkpoints.items())
    )
    full = str(memory["recent_runs"])
    last = list(checkpoints)[-1]
    at_full = checkpoints[full]["bytes_per_entry"]
    grown = checkpoints[last]["bytes_per_entry"] - at_full
    more_runs = (int(last) - int(full)) * memory["entries"]
    return f"""{memory["entries"]} entries, run after run, each run written as beat and a
worker write it (sent, started, finished: three `ledger.record` calls).
Redis's `used_memory` above the empty database, per entry, and Redis's own
`MEMORY USAGE` of one entry's three keys. An entry keeps its last
{memory["recent_runs"]} runs; the reference is an entry with a single run.

| runs written per entry | runs kept | bytes per entry (`used_memory`) \
| `MEMORY USAGE` of one entry |
|---|---|---|---|
{rows}

With a full history an entry takes {at_full / 1024:.1f} KiB, so 10,000 entries
take {at_full * 10_000 / 2**20:.0f} MiB. {more_runs:,} runs more past a full history
changed it by {grown:+,} bytes per entry ({grown / at_full:+.2%}): the history is
capped, and memory stays flat.
"""


def ledger_reports(schedulers):
    rows = []
    for scheduler, figures in schedulers.items():
        reports = figures["reports"]

        def seconds(name, reports=reports):
            return f"{reports[name]['median_s']} s ({reports[name]['max_s']} s)"

        worst = max(reports["schedule_list"]["max_s"], reports["health_jobs"]["max_s"])
        rows.append(
            f"| {scheduler} | {reports['schedule_list']['entries']:,} "
            f"| {seconds('schedule_list')} | {seconds('health_jobs')} | {seconds('health')} "
            f"| {seconds('python')} | {against(worst, TARGETS['ledger_reports_s'])} |"
        )
    table = "\n".join(rows)
    repeats = next(iter(schedulers.values()))["reports"]["repeats"]
    work_rows = "\n".join(
        f"| {scheduler} | "
        + " | ".join(f"{figures['reports']['work_s'][step]} s" for step in REPORT_STEPS)
        + f" | {figures['reports']['health']['median_s']} s |"
        for scheduler, figures in schedulers.items()
    )
    missed = {
        scheduler: figures["reports"]
        for scheduler, figures in schedulers.items()
        if max(
            figures["reports"]["schedule_list"]["max_s"], figures["reports"]["health_jobs"]["max_s"]
        )
        > TARGETS["ledger_reports_s"]
    }
    biggest = "\n".join(
        f"- {scheduler}: {REPORT_STEPS[step]}, {reports['work_s'][step]} s of the "
        f"{round(sum(reports['work_s'].values()), 2)} s the steps took."
        for scheduler, reports in missed.items()
        for step in [max(reports["work_s"], key=reports["work_s"].get)]
    )
    why = (
        f"""
Where the target is missed ({", ".join(missed)}), the commands' time is the
interpreter and its imports (about what `health` takes), then work that
grows with the entries, each step of it done for every entry. The biggest
step:

{biggest}

The steps leave out, and so do not add up to the commands' time: importing
the project's tasks (with Django, setting Django up), which `health` does
not do; formatting and printing the list's 80,000 lines; and with the file
scheduler, the module that grows BEAT_SCHEDULE building its 10,000
schedules before either command starts.
"""
        if missed
        else ""
    )
    return f"""`python -m <project>.schedule list` and `python -m <project>.health jobs`,
wall time of the whole command, median (max) of {repeats} runs, with 10,000
entries in the scheduler's store (section 6's), each with a ledger summary
of one run (one entry in ten failed; one in ten last succeeded a day ago,
so judging it asks its schedule for a due time), beside `python -c pass` and `python -m
<project>.health` (its default checks, which read no entries), run in turn.
With the redis scheduler a real beat stored the entries in Redis; with the
database scheduler they are PeriodicTask rows; with the file scheduler they
are code, BEAT_SCHEDULE grown as in section 6, so there both commands run
through `runpy` after the module that grows it, as `python -m` runs them.

| scheduler | entries listed | `schedule list` | `health jobs` | `health` (reference) \
| `python -c pass` (reference) | target |
|---|---|---|---|---|---|---|
{table}

Where that time goes: each step of the list at 10,000 entries, timed once in
the probe's own process, whose imports are done; `health jobs` takes the
first three. Beside them, `health` at the median, for the interpreter and
its imports.

| scheduler | {" | ".join(REPORT_STEPS.values())} | `health` (reference) |
|---|{"---|" * len(REPORT_STEPS)}---|
{work_rows}
{why}"""


# The steps of ``schedule list``, as the ledger probe times them.
REPORT_STEPS = {
    "store_entries": "reading the entries from the store",
    "ledger_summaries": "their ledger summaries",
    "statuses": "judging each one's status",
    "schedules_in_words": "each schedule in words",
    "next_runs": "each next run",
}


def ledger_section(ledger, dispatch, dispatch_date):
    return f"""## 9. The run ledger

Every run of a schedule entry is written to the run ledger in Redis: as
sent by beat, which marks the run's message with the entry's name (the
`periodic_task_name` header), then as started and as finished by the
worker's task signals, one Lua script call each. A run without the header
is not written. Measured on {ledger["date"]}.

### Worker throughput

{ledger_throughput(ledger["worker"]["throughput"])}
### Dispatch, and what the ledger adds to a send

{ledger_sends(ledger["schedulers"], dispatch, dispatch_date)}
### Redis memory per entry

{ledger_memory(ledger["worker"]["memory"])}
### `schedule list` and `health jobs` at 10,000 entries

{ledger_reports(ledger["schedulers"])}"""


def first_heartbeat_section(times):
    steps = [
        ("`git clone` of the template", "clone_s"),
        ("redis-server installed (apt-get)", "redis_installed_s"),
        ("project rendered", "rendered_s"),
        ("first heartbeat in the log", "first_heartbeat_s"),
    ]
    rows = "\n".join(f"| {step} | {times[key]} s |" for step, key in steps if key in times)
    return f"""## 10. A fresh clone to the first heartbeat

The README's first command on a machine without redis-server and with an
empty uv cache, as a new user meets it: `git clone`, then `make demo`,
which installs redis-server, renders the default project, downloads and
installs its locked packages, and starts worker, beat and Flower with a
5-second heartbeat. Each row is the time since the clone began, at the
line of make's output that ends the step. The clone is of a local
checkout; cloning from a forge adds its download.

| step | since the clone began |
|---|---|
{rows}
"""


FAILOVER_HEADER = (
    "| scheduler | sentinels promote | beat sends | a worker runs one | `health` green "
    "| runs | sent twice | expired | lost |\n|---|---|---|---|---|---|---|---|---|"
)


def failover_section(failover):
    def seconds(figures):
        return f"{figures['median_s']} s ({figures['max_s']} s)"

    rows = "\n".join(
        f"| {scheduler} | {seconds(f['sentinels'])} | {seconds(f['beat'])} | "
        f"{seconds(f['worker'])} | {seconds(f['health'])} | {f['runs']} | {f['sent_twice']} | "
        f"{f['expired']} | {f['lost']} |"
        for scheduler, f in failover.items()
    )
    figures = next(iter(failover.values()))
    return f"""## 11. Redis Sentinel: the primary killed

{figures["trials"]} times per scheduler: a primary, its replica and three sentinels on
loopback (a primary counts as down after {figures["down_after_ms"]} ms without an answer), a
worker and a beat pointed at the sentinels, the heartbeat due every second.
Once `health` is green the primary is killed with SIGKILL. Each time runs
from the kill to: a sentinel naming the replica as the primary (the
reference: nothing that asks the sentinels is back sooner); beat's first
send; the first heartbeat a worker ran; `health` green, naming the new
primary. Median (max). The counts are the run ledger's, over every trial:
runs of the heartbeat, runs sent twice for one due time, runs that expired
(due every second, they go stale while the worker reconnects), and runs
sent that no worker started and did not expire: lost with the primary.

{FAILOVER_HEADER}
{rows}

Beat is back within a second of the promotion: its next tick asks the
sentinels again. The worker takes longer, and the same with or
without Sentinel: kombu tries to reconnect at once, then after 2 s, then
after 4 s more (fixed in kombu's `ensure_connection`), and a promotion
that comes after the second try waits for the third.
"""


def markdown(figures):
    machine = figures["machine"]
    sections = [
        summary_section(figures),
        render_section(figures["render"]),
        scaffold_section(figures["scaffold"], figures["machine"]["cores"]),
        dispatch_section(figures["dispatch"]),
        lock_section(figures["locks_and_health"]["locks"], figures["throughput"]),
        scale_section(figures["beat_at_scale"]),
        health_section(figures["locks_and_health"]["health"]),
        takeover_section(
            figures["takeover"], figures["send_cost"], figures["dispatch"], figures.get("previous")
        ),
    ]
    if "ledger" in figures:
        sections.append(ledger_section(figures["ledger"], figures["dispatch"], machine["date"]))
    if "first-heartbeat" in figures:
        sections.append(first_heartbeat_section(figures["first-heartbeat"]))
    if "failover" in figures:
        sections.append(failover_section(figures["failover"]))
    notes = "".join(f"{note}\n\n" for note in figures.get("notes", {}).values())
    return f"""# Benchmarks

Written by `make bench` on {machine["date"]}: {machine["cpu"]}, {machine["cores"]} cores,
{machine["os"]}, Python {machine["python"]}, Redis {machine["redis"]}. Raw figures are in
`benchmarks.json`. Figures move from run to run on a shared machine; compare
each one with its reference in the same table.

{notes}""" + "\n".join(sections)
