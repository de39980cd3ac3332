"""The generated delivery files pass the tools that judge them, offline, in every combination.

Dockerfile: hadolint. compose.yaml: `docker compose config` and the Compose schema. Kubernetes:
`kubectl kustomize` per overlay, `kubernetes-validate --strict` on the result, and the Argo
Rollouts custom resources by their required fields. GitHub: the workflow schema, the
require-timeout rule, zizmor, the Dependabot schema. GitLab: the gitlab-ci and Renovate schemas.
Scripts: shellcheck. No image is built and no cluster or CI server runs here (docs/architecture.md).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cases import DELIVERY_CASE_IDS, DELIVERY_CASES, Case
from tests.conftest import load_preset
from tests.test_render import project_files

BIN = Path(sys.executable).parent
Rendered = Callable[[Case], Path]
FULL_SHA = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def answers(case: Case) -> dict[str, Any]:
    defaults = {"ci_provider": "github", "deploy_target": "compose", "cache_backend": "memory"}
    return defaults | load_preset(case.preset) | case.data


#: The settings production refuses to start without, per chosen provider or cache.
SECRETS = {
    "openai": ["OPENAI_API_KEY"],
    "anthropic": ["ANTHROPIC_API_KEY"],
    "azure_openai": ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT"],
    "gemini": ["GEMINI_API_KEY"],
}


#: The passwords compose needs for PostgreSQL: the server's superuser, the owner, the service.
DATABASE_PASSWORDS = {
    "POSTGRES_PASSWORD": "admin-x",
    "POSTGRES_OWNER_PASSWORD": "owner-x",
    "POSTGRES_SERVICE_PASSWORD": "service-x",
}


def production_secrets(case: Case) -> list[str]:
    chosen = answers(case)
    names = [name for provider in chosen["llm_providers"] for name in SECRETS.get(provider, [])]
    return names + (["REDIS_URL"] if chosen["cache_backend"] == "redis" else [])


def cases_where(**wanted: str) -> list[Any]:
    return [
        pytest.param(case, id=case.id)
        for case in DELIVERY_CASES
        if all(answers(case)[key] == value for key, value in wanted.items())
    ]


def tool(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed in {cwd}:\n{output}"
    return result.stdout


def yaml_documents(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


# ---------------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", DELIVERY_CASES, ids=DELIVERY_CASE_IDS)
def test_dockerfile_passes_hadolint(case: Case, rendered: Rendered) -> None:
    tool("hadolint", "--failure-threshold", "info", "Dockerfile", cwd=rendered(case))


@pytest.mark.parametrize("case", DELIVERY_CASES, ids=DELIVERY_CASE_IDS)
def test_runtime_stage_runs_as_non_root_with_a_healthcheck_and_no_build_tools(
    case: Case, rendered: Rendered
) -> None:
    dockerfile = (rendered(case) / "Dockerfile").read_text()
    runtime = dockerfile.split(" AS runtime", 1)[1]
    assert "USER 10001:10001" in runtime
    assert "HEALTHCHECK" in runtime
    assert "/healthz" in runtime
    assert re.search(r'^ENTRYPOINT \["demo-app"\]$', runtime, re.M)  # exec form
    assert "uv" not in re.findall(r"^COPY --from=(\S+)", runtime, re.M)
    assert "/app/.venv" in runtime
    assert "apt-get" not in runtime
    assert f"ARG PYTHON_VERSION={answers(case)['python_version']}" in dockerfile
    labels = re.findall(r"([\w.]+)=\"\$\{(\w+)\}\"", runtime)
    assert ("org.opencontainers.image.version", "VERSION") in labels
    assert ("service.models.sha256", "MODELS_SHA256") in labels


@pytest.mark.parametrize("case", DELIVERY_CASES, ids=DELIVERY_CASE_IDS)
def test_dockerignore_admits_only_what_the_image_needs(case: Case, rendered: Rendered) -> None:
    lines = (rendered(case) / ".dockerignore").read_text().splitlines()
    admitted = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert "*" in lines
    assert admitted == {"pyproject.toml", "uv.lock", "README.md", "src", "config"}


@pytest.mark.parametrize("case", DELIVERY_CASES, ids=DELIVERY_CASE_IDS)
def test_compose_file_passes_compose_config_and_the_compose_schema(
    case: Case, rendered: Rendered
) -> None:
    root = rendered(case)
    tool("docker-compose", "config", "--quiet", cwd=root, env=DATABASE_PASSWORDS)
    tool("check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml", cwd=root)


@pytest.mark.parametrize("case", DELIVERY_CASES, ids=DELIVERY_CASE_IDS)
def test_compose_app_starts_after_migrations_and_healthy_backing_services(
    case: Case, rendered: Rendered
) -> None:
    root = rendered(case)
    config = yaml.safe_load(
        tool("docker-compose", "config", "--format", "yaml", cwd=root, env=DATABASE_PASSWORDS)
    )
    services = config["services"]
    backing = {"postgres"} if answers(case)["database"] == "postgres" else set()
    if answers(case)["cache_backend"] == "redis":
        backing.add("redis")
    roles = {"db-roles"} if "postgres" in backing else set()
    # profiles (ollama) are off by default
    assert set(services) == {"app", "migrate"} | roles | backing
    app_needs = {name: dep["condition"] for name, dep in services["app"]["depends_on"].items()}
    assert app_needs == {"migrate": "service_completed_successfully"} | dict.fromkeys(
        backing, "service_healthy"
    )
    migrate_needs = {
        name: d["condition"] for name, d in services["migrate"].get("depends_on", {}).items()
    }
    assert migrate_needs == dict.fromkeys(roles, "service_completed_successfully") | dict.fromkeys(
        backing, "service_healthy"
    )
    assert services["migrate"]["command"] == ["migrate"]
    for name in {"app"} | backing:
        assert services[name]["healthcheck"]["test"], name
    environment = services["app"]["environment"]
    url = environment["DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://" if "postgres" in backing else "sqlite:")
    for name in production_secrets(case):
        expected = "redis://redis:6379/0" if name == "REDIS_URL" else ""
        assert environment[name] == expected, name  # taken from the environment or .env


@pytest.mark.parametrize("missing", sorted(DATABASE_PASSWORDS))
def test_compose_requires_each_database_password_instead_of_shipping_one(
    rendered: Rendered, missing: str
) -> None:
    root = rendered(next(c for c in DELIVERY_CASES if c.id == "database=postgres"))
    env = {key: value for key, value in os.environ.items() if key not in DATABASE_PASSWORDS}
    env |= {key: value for key, value in DATABASE_PASSWORDS.items() if key != missing}
    result = subprocess.run(
        [str(BIN / "docker-compose"), "config", "--quiet"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert missing in result.stderr


def test_compose_runs_the_app_as_the_service_role_and_migrations_as_the_owner(
    rendered: Rendered,
) -> None:
    """The app's container never holds the owner's or the superuser's password."""
    root = rendered(next(c for c in DELIVERY_CASES if c.id == "database=postgres"))
    config = yaml.safe_load(
        tool("docker-compose", "config", "--format", "yaml", cwd=root, env=DATABASE_PASSWORDS)
    )
    services = config["services"]
    app, migrate, roles = (services[name]["environment"] for name in ("app", "migrate", "db-roles"))
    service_url = "postgresql+psycopg://demo_app_service:service-x@postgres:5432/demo_app"
    owner_url = "postgresql+psycopg://demo_app_owner:owner-x@postgres:5432/demo_app"
    assert app["DATABASE_URL"] == migrate["DATABASE_URL"] == roles["DATABASE_URL"] == service_url
    assert migrate["MIGRATION_DATABASE_URL"] == roles["MIGRATION_DATABASE_URL"] == owner_url
    assert roles["DATABASE_ADMIN_URL"].startswith("postgresql+psycopg://demo_app:admin-x@")
    assert set(roles) == {"DATABASE_ADMIN_URL", "MIGRATION_DATABASE_URL", "DATABASE_URL"}
    for value in app.values():
        assert "owner-x" not in str(value)
        assert "admin-x" not in str(value)
    assert services["db-roles"]["command"] == ["db-roles"]


# ---------------------------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------------------------

OVERLAYS = ("staging", "production")
ARGO = "argoproj.io/v1alpha1"


@pytest.mark.parametrize("case", DELIVERY_CASES, ids=DELIVERY_CASE_IDS)
def test_kubernetes_files_exist_only_for_the_kubernetes_target(
    case: Case, rendered: Rendered
) -> None:
    root = rendered(case)
    wanted = answers(case)["deploy_target"] == "kubernetes"
    assert (root / "deploy" / "k8s" / "base" / "kustomization.yaml").is_file() == wanted
    assert (root / "deploy" / "k8s").exists() == wanted


def kustomize(root: Path, overlay: str) -> str:
    return tool("kubectl", "kustomize", f"deploy/k8s/overlays/{overlay}", cwd=root)


@pytest.fixture(scope="module")
def manifests(rendered: Rendered) -> Callable[[Case, str], list[dict[str, Any]]]:
    cache: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def _manifests(case: Case, overlay: str) -> list[dict[str, Any]]:
        if (case.id, overlay) not in cache:
            cache[case.id, overlay] = yaml_documents(kustomize(rendered(case), overlay))
        return cache[case.id, overlay]

    return _manifests


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("case", cases_where(deploy_target="kubernetes"))
def test_overlay_renders_and_built_in_kinds_pass_strict_validation(
    case: Case, overlay: str, rendered: Rendered, tmp_path: Path
) -> None:
    out = tmp_path / f"{overlay}.yaml"
    out.write_text(kustomize(rendered(case), overlay))
    report = tool("kubernetes-validate", "--strict", str(out), cwd=tmp_path)
    validated = set(re.findall(r"passed for resource (\w+)/", report))
    expected = {"deployment", "service", "horizontalpodautoscaler", "poddisruptionbudget"}
    expected |= {"networkpolicy", "serviceaccount", "configmap", "job", "namespace"}
    assert expected <= validated
    # Only Argo's custom resources lack a built-in schema; they are checked below.
    unknown = set(re.findall(r"Couldn't find schema for kind (\w+)", report))
    assert unknown == ({"Rollout", "AnalysisTemplate"} if overlay == "production" else set())


@pytest.mark.parametrize("case", cases_where(deploy_target="kubernetes"))
def test_production_rollout_is_a_canary_with_analysis_and_a_manual_last_step(
    case: Case, manifests: Callable[[Case, str], list[dict[str, Any]]]
) -> None:
    docs = manifests(case, "production")
    (rollout,) = of_kind(docs, "Rollout")
    assert rollout["apiVersion"] == ARGO
    spec = rollout["spec"]
    # Required by the Rollout CRD: a selector, and a pod template or a workloadRef to one.
    assert spec["selector"]["matchLabels"]
    ref = spec["workloadRef"]
    (deployment,) = of_kind(docs, "Deployment")
    assert (ref["kind"], ref["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert deployment["spec"]["replicas"] == 0  # the Rollout runs the pods
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    canary = spec["strategy"]["canary"]
    services = {s["metadata"]["name"] for s in of_kind(docs, "Service")}
    assert {canary["stableService"], canary["canaryService"]} <= services
    steps = canary["steps"]
    allowed = {"setWeight", "pause", "analysis", "setCanaryScale", "experiment"}
    assert all(len(step) == 1 and set(step) <= allowed for step in steps)
    weights = [step["setWeight"] for step in steps if "setWeight" in step]
    assert weights == sorted(weights)
    assert weights[0] <= 25
    assert all(0 < w < 100 for w in weights)
    assert steps[-1] == {"pause": {}}  # full traffic only after a person promotes
    hpa = of_kind(docs, "HorizontalPodAutoscaler")[0]["spec"]["scaleTargetRef"]
    assert (hpa["apiVersion"], hpa["kind"]) == (ARGO, "Rollout")


@pytest.mark.parametrize("case", cases_where(deploy_target="kubernetes"))
def test_analysis_templates_exist_declare_their_args_and_have_one_provider_each(
    case: Case, manifests: Callable[[Case, str], list[dict[str, Any]]]
) -> None:
    docs = manifests(case, "production")
    templates = {t["metadata"]["name"]: t for t in of_kind(docs, "AnalysisTemplate")}
    (rollout,) = of_kind(docs, "Rollout")
    canary = rollout["spec"]["strategy"]["canary"]
    used = [t["templateName"] for t in canary["analysis"]["templates"]]
    used += [
        t["templateName"]
        for step in canary["steps"]
        for t in step.get("analysis", {}).get("templates", [])
    ]
    assert set(used) == set(templates)
    passed = {arg["name"] for arg in canary["analysis"].get("args", [])}
    queries: list[str] = []
    for name, template in templates.items():
        assert template["apiVersion"] == ARGO
        declared = {arg["name"] for arg in template["spec"].get("args", [])}
        metrics = template["spec"]["metrics"]
        assert metrics, name
        for metric in metrics:
            assert metric["name"], name
            assert len(metric["provider"]) == 1, name
            text = json.dumps(metric)
            assert set(re.findall(r"\{\{args\.([\w-]+)\}\}", text)) <= declared, name
            prometheus = metric["provider"].get("prometheus")
            if prometheus:
                assert prometheus["address"].startswith("http")
                assert prometheus["query"]
                assert metric["successCondition"]
                queries.append(prometheus["query"])
            job = metric["provider"].get("job")
            if job:
                (container,) = job["spec"]["template"]["spec"]["containers"]
                assert container["image"]
                assert job["spec"]["template"]["spec"]["restartPolicy"]
        if declared - {arg["name"] for arg in template["spec"].get("args", []) if "value" in arg}:
            assert name in {t["templateName"] for t in canary["analysis"]["templates"]}
            assert declared <= passed
    # Error rate and p95 latency of the canary pods, on the metric names docs/runbook.md states.
    assert any("http_requests_total" in q and "5.." in q for q in queries)
    assert any("histogram_quantile(0.95" in q for q in queries)
    assert all("rollouts_pod_template_hash" in q for q in queries)


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in docs:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] in {"Deployment", "Job"}:
            yield name, doc["spec"]["template"]["spec"]
        if doc["kind"] == "AnalysisTemplate":
            for metric in doc["spec"]["metrics"]:
                if "job" in metric["provider"]:
                    yield name, metric["provider"]["job"]["spec"]["template"]["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("case", cases_where(deploy_target="kubernetes"))
def test_every_pod_meets_the_restricted_pod_security_standard_with_resources(
    case: Case, overlay: str, manifests: Callable[[Case, str], list[dict[str, Any]]]
) -> None:
    docs = manifests(case, overlay)
    specs = dict(pod_specs(docs))
    assert len(specs) >= 2
    for name, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert context["readOnlyRootFilesystem"] is True, name
            assert container["resources"]["requests"], name
            assert container["resources"]["limits"], name
    (namespace,) = of_kind(docs, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("case", cases_where(deploy_target="kubernetes"))
def test_service_pods_probe_healthz_and_readyz_and_take_secrets_by_reference(
    case: Case, manifests: Callable[[Case, str], list[dict[str, Any]]]
) -> None:
    docs = manifests(case, "staging")
    (deployment,) = of_kind(docs, "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert of_kind(docs, "Secret") == []
    env = {item["name"]: item for item in container["env"]}
    assert "value" not in env["DATABASE_URL"]
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "demo-app-secrets"
    for name in production_secrets(case):
        assert "value" not in env[name], name
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == "demo-app-secrets", name
    jobs = {job["metadata"]["name"]: job for job in of_kind(docs, "Job")}
    assert set(jobs) == {"demo-app-migrate", "demo-app-db-roles"}
    migrate = jobs["demo-app-migrate"]["spec"]["template"]["spec"]["containers"][0]
    assert migrate["args"] == ["migrate"]


def secret_refs(container: dict[str, Any]) -> dict[str, str]:
    """Each environment variable a container takes from a Secret, and that Secret's name."""
    return {
        item["name"]: item["valueFrom"]["secretKeyRef"]["name"]
        for item in container.get("env", [])
        if "secretKeyRef" in item.get("valueFrom", {})
    }


@pytest.mark.parametrize("case", cases_where(deploy_target="kubernetes"))
def test_pods_connect_as_the_service_role_and_only_jobs_see_the_owner_and_admin(
    case: Case, manifests: Callable[[Case, str], list[dict[str, Any]]]
) -> None:
    docs = manifests(case, "staging")
    (deployment,) = of_kind(docs, "Deployment")
    (server,) = deployment["spec"]["template"]["spec"]["containers"]
    jobs = {job["metadata"]["name"]: job for job in of_kind(docs, "Job")}
    migrate = jobs["demo-app-migrate"]["spec"]["template"]["spec"]["containers"][0]
    roles_job = jobs["demo-app-db-roles"]
    roles = roles_job["spec"]["template"]["spec"]["containers"][0]
    assert set(secret_refs(server).values()) == {"demo-app-secrets"}
    assert "MIGRATION_DATABASE_URL" not in secret_refs(server)
    assert secret_refs(migrate) == {
        "MIGRATION_DATABASE_URL": "demo-app-migration-secrets",
        "DATABASE_URL": "demo-app-secrets",
    }
    assert secret_refs(roles) == {
        "DATABASE_ADMIN_URL": "demo-app-db-admin",
        "MIGRATION_DATABASE_URL": "demo-app-migration-secrets",
        "DATABASE_URL": "demo-app-secrets",
    }
    assert roles["args"] == ["db-roles"]
    # Created on request only: Argo CD skips it, deploy.sh applies it with DB_ROLES=true.
    assert roles_job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "Skip"
    (policy,) = of_kind(docs, "NetworkPolicy")
    selected = set(policy["spec"]["podSelector"]["matchExpressions"][1]["values"])
    components = {
        job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
        for job in jobs.values()
    }
    assert {"server"} | components <= selected  # every pod may reach the database


def fake_kubectl(tmp_path: Path) -> tuple[Path, Path]:
    """A kubectl that renders with the real one and records every other call."""
    calls = tmp_path / "calls.log"
    fake = tmp_path / "bin" / "kubectl"
    fake.parent.mkdir()
    fake.write_text(
        "#!/usr/bin/env bash\n"
        f'if [ "$1" = kustomize ]; then exec {BIN / "kubectl"} "$@"; fi\n'
        f'printf "%s\\n" "$*" >> {calls}\n'
        'if [ "$1" = apply ]; then cat "$3" >> ' + str(tmp_path / "applied.yaml") + "; fi\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake.parent, calls


@pytest.mark.parametrize("case", cases_where(deploy_target="kubernetes"))
def test_deploy_script_sets_the_image_and_migrates_before_the_service_starts(
    case: Case, rendered: Rendered, tmp_path: Path
) -> None:
    root = rendered(case)
    bindir, calls = fake_kubectl(tmp_path)
    image = "ghcr.io/acme/demo-app@sha256:" + "0" * 64
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        ["deploy/k8s/deploy.sh", "production", image],
        cwd=root,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        timeout=120,
    )
    lines = calls.read_text().splitlines()
    migration = next(i for i, line in enumerate(lines) if "component=migration" in line)
    waited = next(i for i, line in enumerate(lines) if line.startswith("wait job/demo-app-migrate"))
    server = next(i for i, line in enumerate(lines) if "component=server" in line)
    assert migration < waited < server
    # The scratch overlay that carried the image is gone.
    assert list((root / "deploy" / "k8s").glob(".release.*")) == []


@pytest.mark.parametrize("db_roles", [False, True], ids=["default", "DB_ROLES=true"])
@pytest.mark.parametrize("case", cases_where(deploy_target="kubernetes"))
def test_deploy_script_creates_the_database_roles_only_when_asked_before_migrating(
    case: Case, rendered: Rendered, tmp_path: Path, db_roles: bool
) -> None:
    root = rendered(case)
    bindir, calls = fake_kubectl(tmp_path)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    if db_roles:
        env["DB_ROLES"] = "true"
    subprocess.run(
        ["deploy/k8s/deploy.sh", "staging", "registry.example.com/demo-app:1.4.0"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    lines = calls.read_text().splitlines()
    first = next(line for line in lines if line.startswith("apply"))
    assert "notin (server,migration,database-roles)" in first
    roles = [i for i, line in enumerate(lines) if "component=database-roles" in line]
    waited = [i for i, line in enumerate(lines) if line.startswith("wait job/demo-app-db-roles")]
    migration = next(i for i, line in enumerate(lines) if "component=migration" in line)
    if db_roles:
        assert roles
        assert waited
        assert roles[0] < waited[0] < migration
    else:
        assert roles == waited == []


@pytest.mark.parametrize("case", cases_where(deploy_target="kubernetes"))
def test_deploy_script_puts_the_image_in_every_pod_including_the_smoke_job(
    case: Case, rendered: Rendered, tmp_path: Path
) -> None:
    root = rendered(case)
    bindir, _ = fake_kubectl(tmp_path)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        ["deploy/k8s/deploy.sh", "production", "registry.example.com/demo-app:1.4.0"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    applied = (tmp_path / "applied.yaml").read_text()
    images = set(re.findall(r"image: (\S+)", applied))
    assert images == {"registry.example.com/demo-app:1.4.0"}


@pytest.mark.parametrize("case", cases_where(deploy_target="kubernetes"))
def test_deploy_scripts_pass_shellcheck_and_are_executable(case: Case, rendered: Rendered) -> None:
    root = rendered(case)
    scripts = sorted((root / "deploy" / "k8s").glob("*.sh"))
    assert [s.name for s in scripts] == ["canary.sh", "deploy.sh"]
    assert all(s.stat().st_mode & stat.S_IXUSR for s in scripts)
    tool("shellcheck", *map(str, scripts), cwd=root)


# ---------------------------------------------------------------------------------------------
# CI/CD
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", DELIVERY_CASES, ids=DELIVERY_CASE_IDS)
def test_ci_files_exist_only_for_the_chosen_provider(case: Case, rendered: Rendered) -> None:
    root = rendered(case)
    github = answers(case)["ci_provider"] == "github"
    assert (root / ".github").exists() == github
    assert (root / ".gitlab-ci.yml").exists() != github
    assert (root / "renovate.json").exists() != github
    workflows = {p.name for p in (root / ".github" / "workflows").glob("*.yml")}
    if github:
        expected = {"ci.yml", "deploy.yml", "rollback.yml"}
        if answers(case)["deploy_target"] == "kubernetes":
            expected.add("canary.yml")
        assert workflows == expected


@pytest.mark.parametrize("case", cases_where(ci_provider="github"))
def test_github_workflows_pass_the_schema_the_timeout_rule_and_zizmor(
    case: Case, rendered: Rendered
) -> None:
    root = rendered(case)
    workflows = sorted(str(p) for p in (root / ".github" / "workflows").glob("*.yml"))
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        tool("check-jsonschema", "--builtin-schema", schema, *workflows, cwd=root)
    tool(
        "check-jsonschema",
        "--builtin-schema",
        "vendor.dependabot",
        ".github/dependabot.yml",
        cwd=root,
    )
    tool("zizmor", "--offline", "--no-progress", ".github/workflows", cwd=root)


@pytest.mark.parametrize("case", cases_where(ci_provider="github"))
def test_github_workflows_pin_actions_restrict_permissions_and_time_out(
    case: Case, rendered: Rendered
) -> None:
    root = rendered(case)
    for path in (root / ".github" / "workflows").glob("*.yml"):
        workflow = yaml.safe_load(path.read_text())
        assert workflow["permissions"] == {}, path.name
        for name, job in workflow["jobs"].items():
            assert isinstance(job["timeout-minutes"], int), (path.name, name)
            assert "write" not in json.dumps(job["permissions"]) or name == "image", name
            for step in job["steps"]:
                if "uses" in step:
                    assert FULL_SHA.match(step["uses"]), step["uses"]
        assert "concurrency" in workflow or all(
            "concurrency" in j for j in workflow["jobs"].values()
        )


@pytest.mark.parametrize("case", cases_where(ci_provider="github"))
def test_github_tests_get_postgres_and_redis_services_exactly_when_chosen(
    case: Case, rendered: Rendered
) -> None:
    ci = yaml.safe_load((rendered(case) / ".github" / "workflows" / "ci.yml").read_text())
    services = ci["jobs"]["test"].get("services", {})
    assert ("postgres" in services) == (answers(case)["database"] == "postgres")
    redis = answers(case)["cache_backend"] == "redis"
    assert ("redis" in services) == redis
    assert ("TEST_REDIS_URL" in ci["jobs"]["test"].get("env", {})) == redis


@pytest.mark.parametrize("case", cases_where(ci_provider="github"))
def test_production_deploys_need_the_protected_environment(case: Case, rendered: Rendered) -> None:
    deploy = yaml.safe_load((rendered(case) / ".github" / "workflows" / "deploy.yml").read_text())
    jobs = deploy["jobs"]
    assert jobs["production"]["environment"] == "production"
    assert "tag" in jobs["production"]["if"]
    assert "branch" in jobs["staging"]["if"]
    assert deploy[True]["push"]["tags"] == ["v*.*.*"]  # YAML 1.1 reads the `on` key as True


@pytest.mark.parametrize("case", cases_where(ci_provider="gitlab"))
def test_gitlab_ci_and_renovate_pass_their_schemas(case: Case, rendered: Rendered) -> None:
    root = rendered(case)
    tool("check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml", cwd=root)
    tool("check-jsonschema", "--builtin-schema", "vendor.renovate", "renovate.json", cwd=root)


@pytest.mark.parametrize("case", cases_where(ci_provider="gitlab"))
def test_gitlab_pipeline_has_the_same_stages_and_a_manual_production(
    case: Case, rendered: Rendered
) -> None:
    pipeline = yaml.safe_load((rendered(case) / ".gitlab-ci.yml").read_text())
    assert {"lint", "test", "audit", "build-image", "staging", "production", "rollback"} <= set(
        pipeline
    )
    assert pipeline["production"]["environment"]["name"] == "production"
    assert pipeline["production"]["rules"][-1]["when"] == "manual"
    services = {service["alias"] for service in pipeline["test"].get("services", [])}
    wanted_services = {"postgres"} if answers(case)["database"] == "postgres" else set()
    if answers(case)["cache_backend"] == "redis":
        wanted_services.add("redis")
    assert services == wanted_services
    canary = {name for name in pipeline if name.startswith("canary:")}
    wanted = answers(case)["deploy_target"] == "kubernetes"
    assert canary == ({"canary:promote", "canary:full", "canary:abort"} if wanted else set())


# ---------------------------------------------------------------------------------------------
# Secret scanning
# ---------------------------------------------------------------------------------------------

SECRET_SHAPES = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "AKIA" + "ABCDEFGHIJKLMNOP",
    "sk-proj-" + "a1B2" * 10,
    "sk-ant-" + "x9Y8" * 10,
    "ghp_" + "A1b2" * 9,
    "glpat-" + "abcd" * 5,
    "AIza" + "Sy" + "A1b2C3d4" * 4 + "E",
]


@pytest.mark.parametrize("case", DELIVERY_CASES, ids=DELIVERY_CASE_IDS)
def test_secret_hook_catches_credential_shapes_and_passes_the_project_itself(
    case: Case, rendered: Rendered
) -> None:
    root = rendered(case)
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert all(repo["repo"] == "local" for repo in config["repos"])  # offline
    hook = hooks["no-secrets"]
    assert hook["language"] == "pygrep"
    pattern = re.compile(hook["entry"])
    missed = [shape for shape in SECRET_SHAPES if not pattern.search(shape)]
    assert missed == []
    flagged = [
        str(path.relative_to(root))
        for path in project_files(root)
        if pattern.search(path.read_text())
    ]
    assert flagged == []
