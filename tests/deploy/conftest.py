"""One production install per test run: PostgreSQL, keys, schema, first admin, gunicorn."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PG_URL
from tests.deploy.servers import (
    Gunicorn,
    free_port,
    install,
    pg_database,
    production_env,
    start_gunicorn,
)


@dataclass
class Production:
    env: dict[str, str]
    folder: Path
    server: Gunicorn
    metrics_token: str


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    if not PG_URL:
        pytest.skip("PostgreSQL only: runs when CASEWORK_TEST_DATABASE_URL is set")
    folder = tmp_path_factory.mktemp("production")
    token = secrets.token_urlsafe(32)
    with pg_database("casework_prod") as url:
        env = production_env(url, folder, CASEWORK_METRICS_TOKEN=token,
                             PROMETHEUS_MULTIPROC_DIR=str(folder / "metrics"))
        install(env)
        server = start_gunicorn(env, free_port(), folder / "gunicorn.log")
        try:
            yield Production(env, folder, server, token)
        finally:
            server.stop()
