"""The production install works as the README writes it: keys, schema, first admin, gunicorn
with deploy/gunicorn.conf.py on loopback, PostgreSQL, CASEWORK_ENV=production; then a smoke
journey over real HTTP (tests/deploy/test_nginx.py: the same through nginx with TLS)."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest

from tests.deploy.servers import Client, login_admin_first_time, pg_database, production_env

pytestmark = pytest.mark.postgres_only


def test_the_readme_production_steps_give_a_working_server(production):
    key_file = production.folder / "etc" / "keys.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    client = Client(production.server.url)
    login_page = client.get("/login")
    assert login_page.status == 200
    assert "; Secure" in login_page.headers.get("set-cookie", "; Secure")
    assert client.get("/readyz").status == 200
    login_admin_first_time(client, "admin")
    users = client.get("/admin/users")
    assert users.status == 200
    assert "admin" in users.body
    logout = client.submit("/logout", {}, page="/account")
    assert logout.status == 302
    after = client.get("/admin/users")
    assert after.status == 302
    assert "/login" in after.location

    scrape = Client(production.server.url,
                    headers={"Authorization": f"Bearer {production.metrics_token}"})
    metrics = scrape.get("/metrics").body
    # Every worker's requests in one view (multiprocess mode): the logins were counted.
    assert 'casework_http_requests_total{endpoint="auth.login",method="POST"' in metrics
    assert "casework_referrals_overdue 0.0" in metrics

    log_text = production.server.log.read_text("utf-8")
    lines = [json.loads(line) for line in log_text.splitlines() if line.startswith('{"ts"')]
    assert {"auth.login", "auth.enrol_pending", "admin.users", "auth.logout"} <= {
        line["endpoint"] for line in lines}
    assert all(len(str(line["request_id"])) >= 8 for line in lines)
    assert "Tram-chim" not in log_text
    assert "Canh-dong" not in log_text


def test_production_refuses_to_start_without_its_key_file(tmp_path):
    with pg_database("casework_nokeys") as url:
        env = production_env(url, tmp_path)
        done = subprocess.run([sys.executable, "-m", "flask", "db", "current"], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "key file" in done.stdout + done.stderr
