"""The Kubernetes manifests (``use_kubernetes``), checked by parsing: no cluster, no network.

``build`` does what ``kubectl kustomize`` does with the generated
kustomization, which uses only a few of kustomize's features; it refuses
any other, so that nothing the real kustomize would do is left out here.
What it builds is checked against the Kubernetes schemas
(``kubernetes-validate``) and the CRD schemas of KEDA and the Prometheus
operator (``tests/schemas``, vendored), and against the rules the compose
file is held to (``test_topology.py``): one sending beat, probes on every
container, secrets never inline; and the rules of a safe deployment on a
cluster: non-root pods, tagged images, resource requests, disruption
budgets.
"""

import base64
import copy
import re
import shlex
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from conftest import template_leftovers
from options import kubernetes_renders

RENDERS = kubernetes_renders()
# The Kubernetes version the built-in resources are checked against.
KUBERNETES_VERSION = "1.34"
SCHEMAS = Path(__file__).parent / "schemas"
CRD_SCHEMAS = {
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh_scaledobjects.yaml",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "keda.sh_triggerauthentications.yaml",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_servicemonitors.yaml",
}
# What ``build`` knows how to do; a kustomization that asks for more fails.
KUSTOMIZATION_FIELDS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "components",
    "images",
    "secretGenerator",
}
CLUSTER_SCOPED = {"Namespace"}
WORKLOADS = {"Deployment", "StatefulSet", "Job"}
# Files of the folder that are not resources: kustomize's input, and what git ignores.
NOT_RESOURCES = {"kustomization.yaml", "secrets.env", "secrets.env.example", ".gitignore"}
# A value that must come from the Secret, by the name of its variable.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_URL$|^REDIS_ADDRESS$")
# A value the render made up, which must appear in no other file.
FRESH_SECRET_NAME = re.compile(r"PASSWORD|SECRET|_URL$")
# A URL with a password in it: scheme://user:password@host.
CREDENTIALS_IN_URL = re.compile(r"://[^/\s@]*:[^/\s@]+@")


@pytest.fixture(scope="module", params=list(RENDERS), ids=list(RENDERS))
def rendered(request, shared_render):
    answers = RENDERS[request.param]
    return answers, shared_render(**answers)


@pytest.fixture
def folder(rendered) -> Path:
    _, project = rendered
    return project / "deploy" / "kubernetes"


@pytest.fixture
def resources(folder) -> list[dict[str, Any]]:
    """What ``kubectl apply -k`` would send, with the optional monitoring component in."""
    return build(folder, components=("monitoring",))


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def read_env_file(path: Path) -> dict[str, str]:
    """An env file as kustomize's secretGenerator reads it: NAME=value lines, # comments."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    pairs = [line.split("=", 1) for line in lines if not line.lstrip().startswith("#")]
    return {name: value for name, value in pairs}


def kustomization(folder: Path) -> dict[str, Any]:
    document = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(document) - KUSTOMIZATION_FIELDS
    assert not unknown, f"build() does not do {sorted(unknown)}: teach it, or keep it simple"
    return document


def resources_of(folder: Path, seen: set[Path]) -> Iterator[dict[str, Any]]:
    """The resources a kustomization or component lists, and those of its components."""
    document = kustomization(folder)
    for name in document.get("resources", []):
        seen.add((folder / name).resolve())
        yield from load_documents(folder / name)
    for name in document.get("components", []):
        component = folder / name
        assert kustomization(component)["kind"] == "Component", name
        yield from resources_of(component, seen)


def generated_secrets(folder: Path) -> Iterator[dict[str, Any]]:
    for generator in kustomization(folder).get("secretGenerator", []):
        # With kustomize's hash suffix, the references build() does not rewrite would break.
        assert generator["options"]["disableNameSuffixHash"] is True
        data: dict[str, str] = {}
        for env_file in generator["envs"]:
            data.update(read_env_file(folder / env_file))
        yield {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": generator["name"]},
            "type": "Opaque",
            "data": {
                name: base64.b64encode(value.encode()).decode() for name, value in data.items()
            },
        }


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    return resource["spec"]["template"]["spec"]


def containers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(resource)
    return [*spec.get("initContainers", []), *spec["containers"]]


def set_image(container: dict[str, Any], images: list[dict[str, str]]) -> None:
    """kustomize's ``images``: a container image named as an entry gets its name and tag."""
    name = re.sub(r"(:[^/:]+)?(@.*)?$", "", container["image"])
    for image in images:
        if image["name"] == name:
            container["image"] = f"{image.get('newName', name)}:{image['newTag']}"


def build(folder: Path, components: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """``kubectl kustomize FOLDER``, for what the generated kustomization uses.

    Its resources and components' resources, the Secrets its secretGenerator
    makes, its namespace on every namespaced resource, and its images.
    ``components`` adds components, as uncommenting them in the file would.
    """
    document = kustomization(folder)
    listed = resources_of(folder, set())
    extra = (resource for name in components for resource in resources_of(folder / name, set()))
    built = copy.deepcopy([*listed, *extra, *generated_secrets(folder)])
    for resource in built:
        if resource["kind"] not in CLUSTER_SCOPED:
            resource["metadata"]["namespace"] = document["namespace"]
        if resource["kind"] in WORKLOADS:
            for container in containers(resource):
                set_image(container, document.get("images", []))
    return built


def of_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def workloads(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] in WORKLOADS]


def long_running(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in resources if r["kind"] in {"Deployment", "StatefulSet"}]


def the_secret(resources: list[dict[str, Any]]) -> dict[str, str]:
    (secret,) = of_kind(resources, "Secret").values()
    return {name: base64.b64decode(value).decode() for name, value in secret["data"].items()}


def strict(schema: Any) -> Any:
    """A CRD schema that refuses unknown fields, which the API server would silently drop."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {name: strict(value) for name, value in schema.items()}
    if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        schema.setdefault("additionalProperties", False)
    return schema


def crd_validator(resource: dict[str, Any]) -> jsonschema.protocols.Validator:
    name = CRD_SCHEMAS[(resource["apiVersion"], resource["kind"])]
    schema = strict(yaml.safe_load((SCHEMAS / name).read_text()))
    validator_class = jsonschema.validators.validator_for(schema, jsonschema.Draft7Validator)
    validator_class.check_schema(schema)
    return validator_class(schema)


def schema_errors(resource: dict[str, Any]) -> list[str]:
    """Where ``resource`` breaks its schema: Kubernetes's own, or its CRD's."""
    if (resource["apiVersion"], resource["kind"]) in CRD_SCHEMAS:
        return [error.message for error in crd_validator(resource).iter_errors(resource)]
    try:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [error.message]
    return []


def slug(project: Path) -> str:
    return project.name


def found(pattern: str, text: str) -> str:
    """The first group of ``pattern``'s first match in ``text``; the test fails without one."""
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"no {pattern!r}"
    return match[1]


def test_the_manifests_hold_no_template_syntax(rendered):
    _, project = rendered
    leftovers = [line for line in template_leftovers(project) if line.startswith("deploy/")]

    assert leftovers == []


def test_every_file_of_the_folder_is_in_the_kustomization_or_a_component(folder):
    seen: set[Path] = set()
    list(resources_of(folder, seen))
    list(resources_of(folder / "monitoring", seen))
    files = {path.resolve() for path in folder.rglob("*") if path.is_file()}
    left_out = sorted(
        str(p.relative_to(folder)) for p in files - seen if p.name not in NOT_RESOURCES
    )

    assert left_out == []
    assert {p for p in seen if not p.exists()} == set()


def test_the_monitoring_component_is_one_uncommenting_away(folder):
    text = (folder / "kustomization.yaml").read_text()
    uncommented = text.replace("# components:\n#   - monitoring", "components:\n  - monitoring")

    assert uncommented != text
    assert yaml.safe_load(uncommented)["components"] == ["monitoring"]
    # Without it, no ServiceMonitor: a cluster without the operator would refuse one.
    assert not of_kind(build(folder), "ServiceMonitor")


def test_every_resource_follows_its_schema(resources):
    kinds = {resource["kind"] for resource in resources}
    assert {"ScaledObject", "TriggerAuthentication", "ServiceMonitor", "Deployment"} <= kinds

    for resource in resources:
        errors = schema_errors(resource)
        assert errors == [], f"{resource['kind']} {resource['metadata']['name']}: {errors}"


@pytest.mark.parametrize(
    ("kind", "name", "break_it"),
    [
        ("Deployment", "beat", lambda r: r["spec"].update(replicas="two")),
        ("Deployment", "worker", lambda r: pod_spec(r)["containers"][0].update(livenesProbe={})),
        ("ScaledObject", "worker", lambda r: r["spec"].update(minReplicaCunt=1)),
        ("ScaledObject", "worker", lambda r: r["spec"]["triggers"][0]["metadata"].update(x=5)),
        ("TriggerAuthentication", "redis", lambda r: r["spec"]["secretTargetRef"][0].pop("key")),
        ("ServiceMonitor", "metrics", lambda r: r["spec"]["endpoints"][0].update(interval="30")),
    ],
    ids=[
        "replicas",
        "misspelt-probe",
        "misspelt-crd-field",
        "number-metadata",
        "no-key",
        "interval",
    ],
)
def test_the_schema_checks_catch_a_broken_resource(resources, kind, name, break_it):
    broken = copy.deepcopy(of_kind(resources, kind)[name])
    break_it(broken)

    assert schema_errors(broken)


def test_exactly_one_beat_deployment_and_it_runs_the_projects_beat(rendered, resources):
    _, project = rendered
    beats = [
        workload["metadata"]["name"]
        for workload in workloads(resources)
        for container in containers(workload)
        if "beat" in container.get("command", [])
    ]
    assert beats == ["beat"]
    beat = of_kind(resources, "Deployment")["beat"]
    (container,) = containers(beat)
    assert container["command"][:4] == ["celery", "-A", f"{slug(project)}.celery_app", "beat"]
    assert not any(
        word in ("-B", "--beat") or word.startswith("--pidfile")
        for workload in workloads(resources)
        for container in containers(workload)
        for word in container.get("command", [])
    )
    # Two, each a standby while the other leads: the leader lock must stay on.
    assert beat["spec"]["replicas"] == 2
    settings = of_kind(resources, "ConfigMap")["settings"]["data"]
    assert settings.get("BEAT_LEADER_LOCK", "1") != "0"
    assert "BEAT_LEADER_LOCK" not in str(container.get("env", []))


def test_the_beats_spread_over_nodes_and_a_rollout_never_leaves_fewer(resources):
    beat = of_kind(resources, "Deployment")["beat"]
    labels = beat["spec"]["template"]["metadata"]["labels"]

    assert beat["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    spread = {c["topologyKey"]: c for c in pod_spec(beat)["topologySpreadConstraints"]}
    by_node = spread["kubernetes.io/hostname"]
    assert by_node["maxSkew"] == 1 and by_node["whenUnsatisfiable"] == "DoNotSchedule"
    assert by_node["labelSelector"]["matchLabels"] == labels


def test_every_container_has_liveness_and_readiness_probes(resources):
    for workload in long_running(resources):
        for container in containers(workload):
            for probe in ("livenessProbe", "readinessProbe"):
                assert container.get(probe), f"{workload['metadata']['name']} has no {probe}"


@pytest.mark.parametrize(("name", "check"), [("beat", "beat-loop"), ("worker", "worker-loop")])
def test_beat_and_workers_are_probed_on_their_own_loop(rendered, resources, name, check):
    _, project = rendered
    (container,) = containers(of_kind(resources, "Deployment")[name])
    command = ["python", "-m", f"{slug(project)}.health", check]

    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["exec"]["command"] == command, probe
    assert f'"{check}"' in (project / slug(project) / "health.py").read_text()
    # The sign of life is written to STATE_DIR, which must be writable.
    mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
    assert "/app/state" in mounts


def env_values(resources: list[dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every environment variable set in a manifest: (workload, name, entry)."""
    for workload in workloads(resources):
        for container in containers(workload):
            for entry in container.get("env", []):
                yield workload["metadata"]["name"], entry["name"], entry


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def test_no_secret_is_written_in_a_manifest(folder, resources):
    secret = the_secret(resources)
    manifests = [r for r in resources if r["kind"] != "Secret"]

    for workload, name, entry in env_values(manifests):
        if SECRET_NAME.search(name):
            assert "value" not in entry and "secretKeyRef" in entry["valueFrom"], (workload, name)
    for configmap in of_kind(manifests, "ConfigMap").values():
        assert not [name for name in configmap["data"] if SECRET_NAME.search(name)]
    found = [text for text in strings(manifests) if CREDENTIALS_IN_URL.search(text)]
    assert found == []
    texts = [path.read_text() for path in folder.rglob("*.yaml")]
    for name, value in secret.items():
        if FRESH_SECRET_NAME.search(name):
            assert not any(value in text for text in texts), name


def test_every_password_reaches_the_processes_from_the_secret(resources):
    secret = the_secret(resources)
    for workload in workloads(resources):
        if workload["metadata"]["name"] == "redis":
            continue
        for container in containers(workload):
            sources = container.get("envFrom", [])
            from_secret = [
                source["secretRef"]["name"] for source in sources if "secretRef" in source
            ]
            assert from_secret == ["secrets"], workload["metadata"]["name"]
    assert {"REDIS_URL", "REDIS_PASSWORD", "METRICS_PASSWORD"} <= set(secret)


def secret_references(resources: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """Every (secret, key) a resource reads: env, KEDA's TriggerAuthentication, basicAuth."""
    for _, _, entry in env_values(resources):
        if "secretKeyRef" in entry.get("valueFrom", {}):
            reference = entry["valueFrom"]["secretKeyRef"]
            yield reference["name"], reference["key"]
    for authentication in of_kind(resources, "TriggerAuthentication").values():
        for reference in authentication["spec"]["secretTargetRef"]:
            yield reference["name"], reference["key"]
    for monitor in of_kind(resources, "ServiceMonitor").values():
        for endpoint in monitor["spec"]["endpoints"]:
            for reference in endpoint.get("basicAuth", {}).values():
                yield reference["name"], reference["key"]


def test_every_secret_reference_names_a_key_the_secret_has(folder, resources):
    secret = the_secret(resources)
    references = set(secret_references(resources))

    assert {name for name, _ in references} == {"secrets"}
    assert {key for _, key in references} <= set(secret)
    assert set(secret) == set(read_env_file(folder / "secrets.env.example"))
    assert not [name for name, value in secret.items() if "<" in value or not value]


def test_the_secrets_file_is_fresh_private_and_never_committed(rendered, folder, render_into):
    answers, _ = rendered
    secrets = read_env_file(folder / "secrets.env")
    # A render of its own: `git init` writes into it.
    other = render_into(**answers).project
    other_secrets = read_env_file(other / "deploy" / "kubernetes" / "secrets.env")
    subprocess.run(["git", "init", "--quiet"], cwd=other, check=True)
    subprocess.run(["git", "add", "--all"], cwd=other, check=True)
    listed = subprocess.run(
        ["git", "ls-files"], cwd=other, capture_output=True, text=True, check=True
    )
    tracked = listed.stdout.splitlines()

    assert stat.S_IMODE((folder / "secrets.env").stat().st_mode) == 0o600
    for name in ("REDIS_PASSWORD", "METRICS_PASSWORD"):
        assert len(secrets[name]) >= 64 and secrets[name] != other_secrets[name]
    assert "deploy/kubernetes/secrets.env" not in tracked
    assert "deploy/kubernetes/secrets.env.example" in tracked
    for path in tracked:
        text = (other / path).read_text(errors="replace")
        for name, value in other_secrets.items():
            if FRESH_SECRET_NAME.search(name):
                assert value not in text, f"{path} holds {name}"


def test_every_image_has_a_version_tag(rendered, resources):
    _, project = rendered
    version = found(r'^version = "(.+)"$', (project / "pyproject.toml").read_text())
    images = [c["image"] for w in workloads(resources) for c in containers(w)]

    for image in images:
        name, _, tag = image.rpartition(":")
        assert name and "/" not in tag and tag not in ("", "latest"), image
    app_images = {image for image in images if not image.startswith("redis:")}
    assert app_images == {f"registry.example.com/{slug(project).replace('_', '-')}:{version}"}


def test_pods_run_as_the_dockerfiles_user_with_nothing_to_gain(rendered, resources):
    _, project = rendered
    dockerfile = (project / "Dockerfile").read_text()
    uid = int(found(r"useradd .*--uid (\d+)", dockerfile))
    gid = int(found(r"groupadd .*--gid (\d+)", dockerfile))

    for workload in workloads(resources):
        spec = pod_spec(workload)
        context = spec["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert spec["automountServiceAccountToken"] is False
        if workload["metadata"]["name"] != "redis":
            assert (context["runAsUser"], context["runAsGroup"]) == (uid, gid)
        writable = {volume["name"] for volume in spec.get("volumes", []) if "emptyDir" in volume}
        for container in containers(workload):
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            if workload["metadata"]["name"] != "redis":
                assert mounts.get("/tmp") in writable  # Python's and Celery's temporary files


def test_every_container_requests_resources_and_has_a_memory_limit(resources):
    for workload in workloads(resources):
        for container in containers(workload):
            resources_ = container["resources"]
            assert set(resources_["requests"]) == {"cpu", "memory"}, workload["metadata"]["name"]
            assert "memory" in resources_["limits"], workload["metadata"]["name"]


def test_disruption_budgets_keep_a_beat_and_let_a_drain_through(resources):
    budgets = of_kind(resources, "PodDisruptionBudget")
    deployments = of_kind(resources, "Deployment")

    for name in ("beat", "worker"):
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budgets[name]["spec"]["selector"]["matchLabels"] == labels
    # One beat always; the other may go, so a drain is never stuck.
    assert budgets["beat"]["spec"]["minAvailable"] == 1 < deployments["beat"]["spec"]["replicas"]
    assert budgets["beat"]["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    # Workers may be few (KEDA's minimum is 1): a budget by minimum would block drains.
    assert budgets["worker"]["spec"] == {**budgets["worker"]["spec"], "maxUnavailable": 1}
    assert "minAvailable" not in budgets["worker"]["spec"]


def test_workers_scale_on_the_projects_queue_with_the_secrets_credentials(rendered, resources):
    _, project = rendered
    (scaled,) = of_kind(resources, "ScaledObject").values()
    worker = of_kind(resources, "Deployment")["worker"]
    (trigger,) = scaled["spec"]["triggers"]
    authentication = of_kind(resources, "TriggerAuthentication")[
        trigger["authenticationRef"]["name"]
    ]
    config = (project / slug(project) / "celery_config.py").read_text()
    schedule = (project / slug(project) / "beat_schedule.py").read_text()

    assert scaled["spec"]["scaleTargetRef"]["name"] == "worker"
    # KEDA owns the count: a replicas here would undo it on every apply.
    assert "replicas" not in worker["spec"]
    assert trigger["type"] == "redis"
    # Every task goes to Celery's default queue: no routes, no queue of its own.
    assert not re.search(r"task_default_queue|task_routes|[\"']queue[\"']", config + schedule)
    assert trigger["metadata"]["listName"] == "celery"
    assert 1 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
    assert not {"address", "password", "host", "passwordFromEnv"} & set(trigger["metadata"])
    parameters = {reference["parameter"] for reference in authentication["spec"]["secretTargetRef"]}
    assert parameters == {"address", "password"}


def test_the_metrics_are_served_and_monitored_behind_their_login(resources):
    service = of_kind(resources, "Service")["metrics"]
    deployment = of_kind(resources, "Deployment")["metrics"]
    (monitor,) = of_kind(resources, "ServiceMonitor").values()
    (container,) = containers(deployment)
    environment = {entry["name"]: entry.get("value") for entry in container["env"]}

    assert service["spec"]["selector"] == deployment["spec"]["template"]["metadata"]["labels"]
    (port,) = service["spec"]["ports"]
    (container_port,) = container["ports"]
    assert port["targetPort"] == container_port["name"] == "metrics"
    assert str(container_port["containerPort"]) == environment["METRICS_PORT"]
    assert environment["METRICS_ADDRESS"] == "0.0.0.0"
    assert monitor["spec"]["selector"]["matchLabels"] == service["metadata"]["labels"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics"
    assert {ref["key"] for ref in endpoint["basicAuth"].values()} == {
        "METRICS_USER",
        "METRICS_PASSWORD",
    }


def test_flower_is_there_with_use_flower_only_and_behind_its_login(rendered, resources):
    answers, _ = rendered
    flower = of_kind(resources, "Deployment").get("flower")
    if answers.get("use_flower") == "n":
        assert flower is None and "flower" not in of_kind(resources, "Service")
        assert not [name for name in the_secret(resources) if name.startswith("FLOWER_")]
        return
    assert flower is not None
    assert {"FLOWER_USER", "FLOWER_PASSWORD"} <= set(the_secret(resources))
    service = of_kind(resources, "Service")["flower"]
    assert service["spec"]["selector"] == flower["spec"]["template"]["metadata"]["labels"]
    (container,) = containers(flower)
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthcheck"


def test_django_migrates_once_as_compose_does(rendered, resources):
    answers, project = rendered
    jobs = of_kind(resources, "Job")
    if answers.get("web_framework") != "django":
        assert jobs == {}
        assert not {"SECRET_KEY", "DATABASE_URL"} & set(the_secret(resources))
        return
    compose = yaml.safe_load((project / "compose.yaml").read_text())["services"]
    (container,) = containers(jobs["migrate"])

    assert container["command"] == shlex.split(compose["migrate"]["command"])
    assert {"SECRET_KEY", "DATABASE_URL"} <= set(the_secret(resources))


def test_django_serves_its_site_as_compose_does_ready_once_migrated(rendered, resources):
    answers, project = rendered
    deployments = of_kind(resources, "Deployment")
    if answers.get("web_framework") != "django":
        assert "web" not in deployments
        return
    compose = yaml.safe_load((project / "compose.yaml").read_text())["services"]
    (container,) = containers(deployments["web"])

    assert container["command"] == shlex.split(compose["web"]["command"])
    # Ready when the admin answers, which it does only once migrated; and
    # asked as through the TLS proxy, or the answer is a redirect to https.
    ready = container["readinessProbe"]["httpGet"]
    assert ready["path"] == "/admin/login/"
    assert {"name": "X-Forwarded-Proto", "value": "https"} in ready["httpHeaders"]
    settings = of_kind(resources, "ConfigMap")["settings"]["data"]
    assert settings["BEHIND_TLS_PROXY"] == "1"
    assert "web" in of_kind(resources, "Service")
    assert "web" in of_kind(resources, "PodDisruptionBudget")


def test_a_render_without_kubernetes_has_no_deploy_folder(shared_render):
    assert not (shared_render() / "deploy").exists()
