"""How a render runs in production: compose, Procfile and Dockerfile, checked by parsing.

Docker cannot run here; the generated GitHub workflow runs ``docker compose
config`` and builds the image. These tests check what can be checked
without it: the compose file against the Compose Specification's schema,
the rules that keep a deployment safe (one beat, loopback ports, passwords,
healthchecks), and what ``.dockerignore`` keeps out of the image.
"""

import re
import shutil
import subprocess

import pytest
import yaml
from conftest import tool
from docker.utils.build import exclude_paths
from options import chosen_scheduler, flavours_and_schedulers

RENDERS = {
    "default": {},
    "no-flower": {"use_flower": "n"},
    **flavours_and_schedulers(),
}

# Compose services that run once and exit, rather than for as long as the stack.
ONE_OFF_SERVICES = {"migrate"}


@pytest.fixture(scope="module", params=list(RENDERS), ids=list(RENDERS))
def rendered(request, shared_render):
    answers = RENDERS[request.param]
    return answers, shared_render(**answers)


@pytest.fixture
def services(rendered):
    _, project = rendered
    return yaml.safe_load((project / "compose.yaml").read_text())["services"]


def command_words(service):
    command = service.get("command", "")
    return command.split() if isinstance(command, str) else command


def check_compose_schema(path):
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
    )


def test_compose_file_follows_the_compose_specification(rendered):
    _, project = rendered
    result = check_compose_schema(project / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "version" not in yaml.safe_load((project / "compose.yaml").read_text())


def test_the_schema_check_catches_a_broken_compose_file(rendered, tmp_path):
    _, project = rendered
    broken = tmp_path / "compose.yaml"
    broken.write_text((project / "compose.yaml").read_text().replace("services:", "servics:"))
    assert check_compose_schema(broken).returncode != 0


def test_exactly_one_beat_and_no_worker_doubles_as_beat(services):
    beats = [name for name, service in services.items() if "beat" in command_words(service)]
    assert beats == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert not any(
        word in ("-B", "--beat") for service in services.values() for word in command_words(service)
    )


def test_beat_keeps_its_state_on_a_volume_and_writes_no_pidfile(rendered, services):
    answers, _ = rendered
    beat = services["beat"]
    if chosen_scheduler(answers) == "file":
        state_dir = beat["environment"]["STATE_DIR"]
        assert any(volume.endswith(f":{state_dir}") for volume in beat["volumes"])
    else:
        assert "volumes" not in beat  # the schedule lives in Redis or the database
    assert not any(word.startswith("--pidfile") for word in command_words(beat))


def test_ports_are_published_on_loopback_only(services):
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert published
    assert all(port.startswith("127.0.0.1:") for port in published), published


def test_redis_requires_a_password_and_never_evicts(services):
    command = command_words(services["redis"])
    password = command[command.index("--requirepass") + 1]
    assert password.startswith("${REDIS_PASSWORD:?")  # compose refuses to start without it
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert "${REDIS_PASSWORD" in services["worker"]["environment"]["REDIS_URL"]
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])


def test_every_service_has_a_healthcheck_and_a_restart_policy(services):
    for name, service in services.items():
        if name in ONE_OFF_SERVICES:
            assert service["restart"] == "no", f"{name} would run again and again"
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") in ("always", "unless-stopped", "on-failure"), name


def test_beat_and_workers_are_judged_by_the_health_command(rendered, services):
    _, project = rendered
    health = ["CMD", "python", "-m", f"{project.name}.health"]
    assert services["beat"]["healthcheck"]["test"] == [*health, "beat"]
    assert services["worker"]["healthcheck"]["test"] == [*health, "workers"]


def test_dependencies_wait_until_healthy(services):
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            expected = (
                "service_completed_successfully"
                if dependency in ONE_OFF_SERVICES
                else "service_healthy"
            )
            assert condition == {"condition": expected}, f"{name} -> {dependency}"


def test_django_waits_for_postgres_and_migrations(rendered, services):
    answers, _ = rendered
    if answers.get("web_framework") != "django":
        assert not {"web", "postgres", "migrate"} & set(services)
        return
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )
    assert "ports" not in services["postgres"]
    assert "migrate" in command_words(services["migrate"])
    for name in ("web", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    for name in ("web", "worker", "beat", "migrate"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_flower_is_authenticated_and_waits_for_a_worker(rendered, services):
    answers, project = rendered
    if answers.get("use_flower") == "n":
        assert "flower" not in services
        return
    flower = services["flower"]
    assert flower["depends_on"] == {"worker": {"condition": "service_healthy"}}
    assert flower["env_file"] == ".env"
    # The credentials are read, and their absence refused, by flowerconfig.py.
    assert "flower_options()" in (project / "flowerconfig.py").read_text()


def procfile_processes(path):
    """A Procfile's processes: {name: command}."""
    return dict(line.split(":", 1) for line in path.read_text().splitlines() if line.strip())


@pytest.mark.parametrize("procfile", ["Procfile", "Procfile.dev"])
def test_procfile_passes_honcho_check_with_one_beat(rendered, procfile):
    _, project = rendered
    result = subprocess.run(
        [tool("honcho"), "-f", procfile, "check"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    processes = procfile_processes(project / procfile)
    assert {"worker", "beat"} <= set(processes)
    assert [name for name, command in processes.items() if " beat " in command] == ["beat"]


def test_heroku_processes_shut_down_warm(rendered):
    _, project = rendered
    processes = procfile_processes(project / "Procfile")
    for name in ("worker", "beat"):
        assert processes[name].strip().startswith("REMAP_SIGTERM=SIGQUIT celery ")


def test_heroku_runs_the_django_site_and_migrates_on_release(rendered):
    answers, project = rendered
    processes = procfile_processes(project / "Procfile")
    if answers.get("web_framework") != "django":
        assert set(processes) == {"worker", "beat", "metrics"}
        return
    assert processes["web"].split()[:2] == ["gunicorn", f"{project.name}.wsgi"]
    assert "manage.py migrate" in processes["release"]


# What a project keeps on the machine that runs it, and that an image must not
# get: secrets, beat's state, the local database with its password hashes and
# sessions, Python's and the tools' leftovers.
LOCAL_STATE = [
    ".env",
    "deploy/kubernetes/secrets.env",
    "monitoring/metrics_password",
    "state/celerybeat-schedule",
    "state/dev-session.env",
    "celerybeat-schedule.db",
    "beat.pid",
    "db.sqlite3",
    "db.sqlite3-wal",
    "db.sqlite3-shm",
    ".venv/bin/python",
    ".pytest_cache/v/cache/lastfailed",
    ".git/config",
    "{slug}/__pycache__/settings.cpython-311.pyc",
    "{slug}/tests/__pycache__/conftest.cpython-311.pyc",
]


def test_the_image_gets_the_code_and_no_local_state_nor_secret(rendered, tmp_path):
    _, project = rendered
    context = tmp_path / "context"
    shutil.copytree(project, context)
    local_state = [path.format(slug=project.name) for path in LOCAL_STATE]
    for relative in local_state:
        (context / relative).parent.mkdir(parents=True, exist_ok=True)
        (context / relative).write_text("local")
    patterns = (context / ".dockerignore").read_text().splitlines()

    # What `docker build .` sends, by docker-py's reading of .dockerignore.
    sent = set(exclude_paths(str(context), patterns, dockerfile="Dockerfile"))

    assert [path for path in local_state if path in sent] == []
    assert {"Dockerfile", "pyproject.toml", f"{project.name}/celery_app.py"} <= sent


def test_dockerfile_runs_as_a_user_and_bakes_in_no_secrets(rendered):
    _, project = rendered
    dockerfile = (project / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim$", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert not re.search(r"PASSWORD|SECRET", dockerfile)
    assert ".env" in (project / ".dockerignore").read_text().splitlines()
