"""The deployment files name the processes the README names, with commands that exist:
compose.yaml's services and their `backoffice …` subcommands, the Dockerfile installing
from the lock, and the lock pinning every runtime dependency of pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from backoffice.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"postgres", "redis", "migrate", "app", "scheduler", "worker1", "worker2"}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _subcommands() -> set[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return set(sub.choices)  # type: ignore[attr-defined]


def test_compose_names_every_process_of_the_production_shape():
    assert set(_compose()["services"]) >= SERVICES


def test_every_backoffice_command_in_compose_is_a_real_subcommand():
    known = _subcommands()
    commands = {
        name: service["command"]
        for name, service in _compose()["services"].items()
        if service.get("command") and service["command"][0] == "backoffice"
    }
    assert {"migrate", "scheduler", "worker1", "worker2"} <= set(commands)
    for name, command in commands.items():
        assert command[1] in known, f"{name}: `backoffice {command[1]}` does not exist"
    for name, service in _compose()["services"].items():
        test = (service.get("healthcheck") or {}).get("test", [])
        if test[1:2] == ["backoffice"]:
            assert test[2] in known, f"{name}'s healthcheck: `backoffice {test[2]}`"


def test_the_processes_wait_for_the_databases_and_the_migration():
    services = _compose()["services"]
    for name in ("app", "scheduler", "worker1", "worker2"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully", name
        assert needs["postgres"]["condition"] == "service_healthy", name
    assert "healthz" in " ".join(services["app"]["healthcheck"]["test"])
    assert "readyz" in " ".join(services["scheduler"]["healthcheck"]["test"])


def test_the_image_installs_from_the_lock_file():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert "--no-deps ." in dockerfile  # the package itself adds nothing unpinned


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_lock_pins_every_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {
        _name(line): line.split("==")[1].strip()
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith((" ", "#"))
    }
    missing = [d for d in project["dependencies"] if _name(d) not in pinned]
    assert not missing, f"not in requirements.lock (run pip-compile): {missing}"
