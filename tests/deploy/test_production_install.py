"""The production install works as the README writes it: keys, schema, first admin, gunicorn
with deploy/gunicorn.conf.py on loopback, PostgreSQL, CASEWORK_ENV=production; then a smoke
journey over real HTTP (and, in tests/deploy/test_nginx.py, through nginx with TLS)."""

from __future__ import annotations

import json
import secrets
import stat

import pytest

from tests.deploy.servers import (
    Client,
    free_port,
    install,
    login_admin_first_time,
    pg_database,
    production_env,
    start_gunicorn,
)

pytestmark = pytest.mark.postgres_only


def test_the_readme_production_steps_give_a_working_server(tmp_path):
    token = secrets.token_urlsafe(32)
    with pg_database("casework_prod") as url:
        env = production_env(url, tmp_path, CASEWORK_METRICS_TOKEN=token,
                             PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
        install(env)
        key_file = tmp_path / "etc" / "keys.json"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        server = start_gunicorn(env, free_port(), tmp_path / "gunicorn.log")
        try:
            client = Client(server.url)
            login_page = client.get("/login")
            assert login_page.status == 200
            assert "Secure" in login_page.headers.get("set-cookie", "Secure")
            assert client.get("/readyz").status == 200
            login_admin_first_time(client)
            users = client.get("/admin/users")
            assert users.status == 200
            assert "admin" in users.body
            logout = client.submit("/logout", {}, page="/account")
            assert logout.status == 302
            after = client.get("/admin/users")
            assert after.status == 302
            assert "/login" in after.location

            scrape = Client(server.url, headers={"Authorization": f"Bearer {token}"})
            metrics = scrape.get("/metrics").body
            # Both workers' requests in one view (multiprocess mode): the logins were counted.
            assert 'casework_http_requests_total{endpoint="auth.login",method="POST"' in metrics
            assert "casework_referrals_overdue 0.0" in metrics
        finally:
            server.stop()
        lines = [json.loads(line) for line in server.log.read_text("utf-8").splitlines()
                 if line.startswith('{"ts"')]
        assert {"auth.login", "auth.enrol_pending", "admin.users", "auth.logout"} <= {
            line["endpoint"] for line in lines}
        assert all(len(str(line["request_id"])) >= 8 for line in lines)
        log_text = server.log.read_text("utf-8")
        assert "Tram-chim" not in log_text
        assert "Canh-dong" not in log_text


def test_production_refuses_to_start_without_its_key_file(tmp_path):
    with pg_database("casework_prod") as url:
        env = production_env(url, tmp_path)
        import subprocess
        import sys

        done = subprocess.run([sys.executable, "-m", "flask", "db", "current"], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode != 0
        assert "key" in (done.stdout + done.stderr).lower()
