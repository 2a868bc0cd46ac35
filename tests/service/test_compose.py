"""docker-compose.yml and the Dockerfile: valid, and saying what production needs.

There is no Docker engine here: Debian's docker-compose (v1) validates the file
(``config -q``) when installed, and the YAML is read with PyYAML for the rest.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
REDIS_URL = "redis://redis:6379/0"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return command.split() if isinstance(command, str) else [str(part) for part in command]


@pytest.mark.skipif(
    shutil.which("docker-compose") is None and not os.environ.get("CI"),
    reason="docker-compose (v1) is not installed: apt-get install -y docker-compose",
)
@pytest.mark.parametrize("profile", [None, "gpu"])
def test_docker_compose_accepts_the_file(profile: str | None) -> None:
    args = ["docker-compose", "-f", str(COMPOSE)]
    if profile:
        args += ["--profile", profile]
    done = subprocess.run(
        [*args, "config", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"redis", "api", "worker", "worker-gpu", "flower"}
    assert set(compose["volumes"]) == {"redis-data", "models"}


def test_redis_keeps_an_append_only_file(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = " ".join(_command(redis))
    assert "--appendonly yes" in command
    assert "--appendfsync everysec" in command
    # Redis holds the queues: evicting a key would lose an article.
    assert "--maxmemory-policy noeviction" in command
    assert "redis-data:/data" in redis["volumes"]
    assert redis["healthcheck"]["test"][-1] == "ping"


def test_every_newsum_service_talks_to_the_compose_redis(compose: dict[str, Any]) -> None:
    for name in ("api", "worker", "worker-gpu", "flower"):
        service = compose["services"][name]
        assert service["environment"]["NEWSUM_REDIS_URL"] == REDIS_URL, name
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", name


def test_api_runs_the_app_factory_without_a_worker(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    command = _command(api)
    assert command[:3] == ["uvicorn", "--factory", "service.app:create_app"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "8000"
    assert "8000:8000" in api["ports"]
    assert "/healthz" in " ".join(api["healthcheck"]["test"])
    assert "volumes" not in api  # the API never loads a model


def test_workers_scale_and_share_the_model_volume(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert _command(worker) == ["newsum", "worker"]
    assert worker["deploy"]["replicas"] >= 1
    assert "models:/models" in worker["volumes"]
    assert worker["environment"]["NEWSUM_MODEL_DIR"] == "/models"
    assert worker["environment"]["NEWSUM_DEVICE"] == "cpu"
    assert "ports" not in worker  # scaled replicas must not fight over a host port


def test_gpu_worker_is_a_profile_with_an_nvidia_reservation(compose: dict[str, Any]) -> None:
    gpu = compose["services"]["worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    assert _command(gpu) == ["newsum", "worker"]
    assert gpu["environment"]["NEWSUM_DEVICE"] == "cuda"
    assert "models:/models" in gpu["volumes"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert "/cu" in gpu["build"]["args"]["TORCH_INDEX"]
    # Only the GPU worker is behind a profile: `docker-compose up` starts the rest.
    others = [n for n, s in compose["services"].items() if n != "worker-gpu" and "profiles" in s]
    assert others == []


def test_flower_uses_newsums_celery_app(compose: dict[str, Any]) -> None:
    flower = compose["services"]["flower"]
    command = " ".join(_command(flower))
    assert "create_celery(load_settings())" in command
    assert "'flower'" in command
    assert flower["build"]["target"] == "flower"
    assert flower["ports"] == ["127.0.0.1:5555:5555"]


def test_dockerfile_installs_cpu_torch_before_the_project() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert text.startswith("#") and "FROM python:3.11-slim AS app" in text
    assert "ARG TORCH_VERSION=2.13.0" in text
    assert "ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu" in text
    torch_at = text.index('pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX}"')
    project_at = text.index("pip install -c constraints.txt .")
    assert torch_at < project_at
    assert re.search(r"^USER newsum$", text, re.MULTILINE)
    assert "FROM app AS flower" in text


def test_dockerignore_keeps_local_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".venv", ".git", "tests", "model-dir"):
        assert entry in ignored
