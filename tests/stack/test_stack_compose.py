"""docker-compose.yml and deploy/Dockerfile name only what the code has: variables, modules, CLI."""

from __future__ import annotations

import importlib
import ipaddress
import os
import pkgutil
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices, AliasPath
from pydantic_settings import BaseSettings
from typer.testing import CliRunner

from migration_plan.plan import env_var_for, load_plan

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
IN_CI = os.environ.get("CI", "").lower() == "true"
PACKAGES = ("legacy_monolith", "extracted", "router", "migration_plan")
# Which packages' settings each image's process reads (the migrate job runs every CLI step).
READS = {
    "monolith": ("legacy_monolith",),
    "auth": ("extracted.auth_service", "extracted.common"),
    "products": ("extracted.products_service", "extracted.common"),
    "orders": ("extracted.orders_service", "extracted.common"),
    "router": ("router", "migration_plan.plan"),
    "migrate": PACKAGES,
    # Relays and consumers read every database and the bus (`strangler events ...`).
    "events": PACKAGES,
}
# Read by the interpreter or pip, not by our settings.
RUNTIME_VARIABLES = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
RUNTIME_PREFIXES = ("PIP_",)


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def component_services() -> dict[str, dict[str, Any]]:
    """The compose services built from deploy/Dockerfile, keyed by their build target."""
    services = compose()["services"]
    return {
        s["build"]["target"]: s
        for s in services.values()
        if isinstance(s.get("build"), dict) and "target" in s["build"]
    }


def dockerfile_stages() -> dict[str, list[str]]:
    """Each stage's instruction lines, keyed by stage name."""
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in DOCKERFILE.read_text().splitlines():
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = stages.setdefault(match.group(1), [])
        elif line.strip() and not line.startswith("#"):
            current.append(line)
    return stages


def settings_classes() -> Iterator[type[BaseSettings]]:
    """Every pydantic-settings class in the project, found by importing its `settings` modules."""
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}.", onerror=lambda _: None):
            if info.name.rsplit(".", 1)[-1] == "settings":
                try:
                    importlib.import_module(info.name)
                except ImportError:
                    continue  # a component still being written; the entry point tests say so
    seen: set[type[BaseSettings]] = set()
    todo = list(BaseSettings.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo += cls.__subclasses__()
        if cls.__module__.startswith(PACKAGES):
            yield cls


def env_names(cls: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads (aliases, or prefix + field name)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    sensitive = bool(cls.model_config.get("case_sensitive", False))
    names: set[str] = set()
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
        found = [c if isinstance(c, str) else str(c.path[0]) for c in choices if c is not None]
        if not found and isinstance(alias, AliasPath):
            found = [str(alias.path[0])]
        if not found:
            found = [field.alias or prefix + name]
        names.update(n if sensitive else n.upper() for n in found)
    return names


def plan_override_names() -> set[str]:
    plan = load_plan(ROOT / "migration_plan" / "plan.yaml")
    return {env_var_for(name) for name in plan.upstreams}


UVICORN_SERVED = ("auth", "products", "orders", "router")


def names_read_by(target: str) -> set[str]:
    names = {
        n
        for cls in settings_classes()
        if cls.__module__.startswith(READS[target])
        for n in env_names(cls)
    }
    if target in ("router", "migrate"):
        names |= plan_override_names()
    if target in UVICORN_SERVED:
        names.add("FORWARDED_ALLOW_IPS")  # uvicorn.Config reads it itself
    return names


def import_or_skip(module: str) -> Any:
    """Import `module`; a component not written yet skips, except under CI=true."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if IN_CI:
            raise
        pytest.skip(f"{module} is not importable yet ({exc})")


@pytest.mark.unit
def test_every_component_service_builds_a_stage_of_the_dockerfile() -> None:
    stages = dockerfile_stages()
    assert set(component_services()) == set(READS)
    assert set(READS) <= set(stages)


@pytest.mark.unit
@pytest.mark.parametrize("target", sorted(READS))
def test_every_variable_compose_and_the_dockerfile_set_is_read_by_that_components_settings(
    target: str,
) -> None:
    service = component_services()[target]
    variables = set(service.get("environment", {}))
    for line in dockerfile_stages()["runtime"] + dockerfile_stages()[target]:
        if line.strip().startswith("ENV "):
            variables |= set(re.findall(r"([A-Z_][A-Z0-9_]*)=", line))
    variables = {
        v for v in variables if v not in RUNTIME_VARIABLES and not v.startswith(RUNTIME_PREFIXES)
    }
    known = names_read_by(target)
    unread = sorted(v for v in variables if v not in known and v.upper() not in known)
    assert not unread, f"{target}: no settings class reads {unread}"


def commands() -> dict[str, list[str]]:
    """Each stage's CMD as argv."""
    out = {}
    for target, lines in dockerfile_stages().items():
        for line in lines:
            if line.startswith("CMD "):
                out[target] = yaml.safe_load(line.removeprefix("CMD "))
    return out


@pytest.mark.unit
@pytest.mark.parametrize("target", ["monolith", "auth", "products", "orders", "router"])
def test_every_server_command_names_an_importable_factory(target: str) -> None:
    argv = commands()[target]
    if argv[0] == "strangler":  # the component's own CLI, which serves its factory
        strangler_help(*argv[1:])
        argv = ["uvicorn", f"{target}.app:create_app", "--factory"]
    if argv[0] == "gunicorn":
        spec = argv[-1]
        assert spec.endswith("()"), "gunicorn calls the factory: 'module:create_app()'"
        module, attribute = spec.removesuffix("()").split(":")
    else:
        assert argv[0] == "uvicorn" and "--factory" in argv
        module, attribute = argv[1].split(":")
    assert callable(getattr(import_or_skip(module), attribute))


def strangler_help(*words: str) -> str:
    from migration_plan.cli import app

    result = CliRunner().invoke(app, [*words, "--help"])
    assert result.exit_code == 0, f"`strangler {' '.join(words)} --help` failed:\n{result.output}"
    return result.output


@pytest.mark.unit
def test_the_migrate_job_runs_an_existing_cli_option() -> None:
    argv = commands()["migrate"]
    assert argv[:2] == ["strangler", "up"]
    output = strangler_help("up")
    for option in argv[2:]:
        assert option in output


@pytest.mark.unit
def test_every_cli_command_the_preparation_runs_exists() -> None:
    from migration_plan.commands import COMMAND_MODULES
    from migration_plan.stack import assign_ports, build_stack, preparation

    stack = build_stack(
        {},
        ports=assign_ports({}),
        upstreams={},
        var_dir=Path("var"),
        python="python",
        strangler=("strangler",),
        plan_path=Path("plan.yaml"),
        admin_token="t",
    )
    steps = [
        s for stage in preparation(stack, strangler=("strangler",), python="py") for s in stage
    ]
    for step in steps:
        if step.argv[0] != "strangler":
            continue
        words = [w for w in step.argv[1:] if not w.startswith("-")]
        if words[0] not in COMMAND_MODULES and not IN_CI:
            continue  # `up` skips a step whose command group is not registered yet
        # `--help` is eager: it answers for the deepest command even when the last word is an
        # argument (`data backfill all`), and fails on an unknown subcommand.
        strangler_help(*words)


@pytest.mark.unit
@pytest.mark.parametrize("service", ["auth", "products", "orders"])
def test_each_services_migrate_module_has_upgrade(service: str) -> None:
    module = import_or_skip(f"extracted.{service}_service.migrate")
    assert callable(module.upgrade)


@pytest.mark.unit
def test_healthchecks_probe_the_ports_each_component_listens_on() -> None:
    for target, service in component_services().items():
        if target == "migrate":
            continue
        test = " ".join(service["healthcheck"]["test"])
        port = re.search(r"127\.0\.0\.1:(\d+)/", test)
        assert port, f"{target}: healthcheck probes no local URL"
        listens = " ".join(
            commands()[target] + dockerfile_stages()[target] + service.get("command", [])
        )
        listens += " " + " ".join(map(str, service.get("environment", {}).values()))
        assert port.group(1) in listens, f"{target}: probes another port than it listens on"
        assert f"{port.group(1)}:{port.group(1)}" in " ".join(service.get("ports", []))


@pytest.mark.unit
def test_the_postgres_init_script_creates_every_database_compose_names() -> None:
    script = (ROOT / "deploy" / "postgres" / "init-databases.sh").read_text()
    created = set(re.search(r"for component in ([^;]+);", script).group(1).split())  # type: ignore[union-attr]
    urls = [v for s in component_services().values() for v in s["environment"].values()]
    named = {u.rsplit("/", 1)[1] for u in urls if str(u).startswith("postgresql")}
    assert named == created


@pytest.mark.integration
def test_docker_compose_accepts_the_file() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        if IN_CI:
            pytest.fail("docker-compose is not installed, and CI=true requires it", pytrace=False)
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    result = subprocess.run(
        [binary, "-f", str(COMPOSE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"{shlex.join(result.args)}:\n{result.stderr}"


@pytest.mark.unit
def test_the_backends_believe_forwarding_headers_from_the_routers_address_only() -> None:
    services = component_services()
    router = services["router"]["networks"]["default"]["ipv4_address"]
    assert services["monolith"]["environment"]["MONOLITH_TRUSTED_PROXIES"] == router
    for name in ("auth", "products", "orders"):
        assert services[name]["environment"]["FORWARDED_ALLOW_IPS"] == router, name
    subnet = compose()["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(router) in ipaddress.ip_network(subnet)
