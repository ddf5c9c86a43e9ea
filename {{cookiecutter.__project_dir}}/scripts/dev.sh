#!/usr/bin/env bash
# Run the processes of Procfile.dev together through honcho, in one terminal.
# With REDIS_URL unset (in the environment and in .env), start a private
# redis-server on a free loopback port that lives as long as this script,
# and write its address to the session file that every command of the
# project reads (env_files.py): `make health` in another terminal finds it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f .env ]; then
    set -a
    # shellcheck disable=SC1091
    . ./.env
    set +a
fi

if [ -z "${REDIS_URL:-}" ]; then
    scripts/install-missing.sh redis-server
    port=$(uv run python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis_dir=$(mktemp -d)
    redis-server --port "$port" --bind 127.0.0.1 --dir "$redis_dir" --save "" --appendonly no --loglevel warning &
    redis_pid=$!
    session_file=state/dev-session.env
    stop_redis() {
        # Ctrl-C reaches Redis too, so it may be gone already; wait for it to
        # exit before its folder goes. Each step may fail: set -e must not
        # end the cleanup halfway. The session file goes only if it is still
        # this session's (a second make dev may have written its own).
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
        rm -rf "$redis_dir"
        if grep -qx "MAKE_DEV_PID=$$" "$session_file" 2>/dev/null; then
            rm -f "$session_file"
        fi
    }
    trap stop_redis EXIT
    export REDIS_URL="redis://127.0.0.1:$port/0"
    mkdir -p state
    printf '# Written by make dev (scripts/dev.sh) for the commands run beside it; removed when it stops.\nMAKE_DEV_PID=%s\nREDIS_URL=%s\n' "$$" "$REDIS_URL" >"$session_file"
    echo "Started a private redis-server for this session at $REDIS_URL"
fi
{% if cookiecutter.web_framework == "django" %}
# Beat would wait for the tables; create them first so everything starts at once.
uv run python manage.py migrate
{%- if cookiecutter.scheduler == "database" %}
uv run python manage.py sync_periodic_tasks
{%- endif %}
{% endif %}
# Ctrl-C is how a session ends, not a failure: exit 0 after it, so make
# reports no error.
interrupted=0
trap 'interrupted=1' INT
status=0
uv run honcho -f Procfile.dev start || status=$?
if [ "$interrupted" = 1 ]; then
    exit 0
fi
exit "$status"
