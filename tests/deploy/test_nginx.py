"""deploy/nginx/casework.conf in front of the production gunicorn: a private nginx (its own
prefix, loopback ports, a self-signed certificate) serving the site file as shipped, only its
ports and paths rewritten. Skipped only when nginx is not installed (CI installs it)."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.servers import ROOT, Client, create_admin, free_port, login_admin_first_time

pytestmark = pytest.mark.postgres_only
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def site_for_test(folder: Path, upstream: int, http: int, https: int) -> str:
    site = (ROOT / "deploy" / "nginx" / "casework.conf").read_text("utf-8")
    replacements = [
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("/etc/ssl/casework/fullchain.pem", str(folder / "cert.pem")),
        ("/etc/ssl/casework/privkey.pem", str(folder / "key.pem")),
        ("/var/log/nginx/casework.access.log", str(folder / "access.log")),
        ("/etc/nginx/snippets/casework-proxy.conf", str(folder / "casework-proxy.conf")),
    ]
    for old, new in replacements:
        assert old in site, f"the site file no longer has {old!r}"
        site = site.replace(old, new)
    return re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)


@pytest.fixture(scope="session")
def nginx(production) -> Iterator[tuple[str, str, Path]]:
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx; .ci/run does)")
    folder = production.folder / "nginx"
    (folder / "logs").mkdir(parents=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                    "/CN=localhost", "-days", "1", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    shutil.copy(ROOT / "deploy" / "nginx" / "casework-proxy.conf", folder)
    upstream = int(production.server.url.rsplit(":", 1)[1])
    http, https = free_port(), free_port()
    (folder / "nginx.conf").write_text(f"""
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
daemon off;
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    {site_for_test(folder, upstream, http, https)}
}}
""", "utf-8")
    check = subprocess.run([NGINX, "-t", "-c", str(folder / "nginx.conf"), "-p", str(folder)],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([NGINX, "-c", str(folder / "nginx.conf"), "-p", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"https://127.0.0.1:{https}"
    try:
        for _ in range(100):
            try:
                if Client(base).get("/healthz").status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield base, f"http://127.0.0.1:{http}", folder
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=30)


def test_a_journey_through_nginx_with_tls(production, nginx):
    base, plain, folder = nginx
    redirect = Client(plain).get("/login?next=/cases")
    assert redirect.status == 301
    assert redirect.location.startswith("https://")

    create_admin(production.env, "admin.nginx")
    client = Client(base)
    page = client.get("/login")
    assert page.status == 200
    assert page.headers["strict-transport-security"] == "max-age=63072000"
    assert "server" not in page.headers or "nginx/" not in page.headers["server"]
    assert re.fullmatch(r"[0-9a-f]{32}", page.headers["x-request-id"])  # nginx's $request_id
    login_admin_first_time(client, "admin.nginx")
    assert client.get("/admin/users").status == 200
    assert client.submit("/logout", {}, page="/account").status == 302
    assert client.get("/admin/users").status == 302

    # The same request id in nginx's log and the app's JSON line, with no query string.
    access = (folder / "access.log").read_text("utf-8")
    assert page.headers["x-request-id"] in access
    assert page.headers["x-request-id"] in production.server.log.read_text("utf-8")
    assert "next=" not in access


def test_nginx_limits_bodies_and_login_rates(nginx):
    base, _plain, _folder = nginx
    client = Client(base)
    big = client.request("POST", "/imports/check", {"file": "x" * (17 * 1024 * 1024)})
    assert big.status == 413
    statuses = [client.get("/login").status for _ in range(30)]
    assert 429 in statuses  # 10 a minute with a burst of 10, per client address
    assert Client(base).get("/metrics").status == 401  # from loopback: the app's token check
