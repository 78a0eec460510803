"""Real servers for the deployment tests: a PostgreSQL database, the app installed as the README's
production steps say (flask commands in subprocesses), gunicorn with deploy/gunicorn.conf.py,
and a small HTTP client that keeps cookies by hand (the production session cookie is
``Secure``; on plain loopback HTTP to gunicorn a browser-like jar would drop it).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, SEED_ON_PAGE_RE, _admin_engine

ROOT = Path(__file__).resolve().parents[2]
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ADMIN_PASSWORD = "Tram-chim-bay-qua-song-Dao-2025"
NEW_ADMIN_PASSWORD = "Canh-dong-lua-chin-vang-Hai-Hau"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def pg_database(prefix: str) -> Iterator[str]:
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with _admin_engine().connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(False)
    finally:
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def production_env(database_url: str, folder: Path, **extra: str) -> dict[str, str]:
    """The environment file of README step 3, for a server under ``folder``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env.update({
        "PYTHONPATH": str(ROOT),
        "FLASK_APP": "casework:create_app",
        "CASEWORK_ENV": "production",
        "CASEWORK_DATABASE_URL": database_url,
        "CASEWORK_SECRET_KEY": secrets.token_urlsafe(48),
        "CASEWORK_KEY_FILE": str(folder / "etc" / "keys.json"),
        "CASEWORK_INSTANCE_PATH": str(folder / "instance"),
        "CASEWORK_AUDIT_ANCHOR_PATH": str(folder / "anchor" / "audit-anchors.jsonl"),
    })
    env.update(extra)
    return env


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"flask {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def install(env: dict[str, str]) -> None:
    """README production steps 2, 4 and 5: keys, schema, first province and admin."""
    (Path(env["CASEWORK_KEY_FILE"]).parent).mkdir(mode=0o700, parents=True, exist_ok=True)
    flask(env, "keys", "init")
    flask(env, "db", "upgrade")
    flask(env, "users", "create-province", "--code", "ND", "--name", "Tỉnh Nam Định")
    create_admin(env, "admin")


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> Gunicorn:
    """gunicorn as the systemd unit starts it (deploy/gunicorn.conf.py), on 127.0.0.1:port."""
    env = {**env, "CASEWORK_BIND": f"127.0.0.1:{port}"}
    handle = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
         "casework:create_app()"],
        env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    handle.close()  # the child holds its own copy
    server = Gunicorn(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            if Client(server.url).get("/healthz").status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise AssertionError(f"gunicorn did not answer: {log.read_text(errors='replace')[-3000:]}")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Client:
    """Requests to one base URL with a cookie jar that keeps Secure cookies on loopback."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, data: dict[str, str] | None = None,
                base: str | None = None) -> Reply:
        parts = urlsplit(base or self.base)
        if parts.scheme == "https":
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the test's self-signed certificate
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=30, context=context)
        else:
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                jar: SimpleCookie = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                         text)
        finally:
            conn.close()

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def csrf(self, page: str) -> str:
        match = CSRF_RE.search(self.get(page).body)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(self, path: str, data: dict[str, str], page: str | None = None) -> Reply:
        return self.request("POST", path, {**data, "csrf_token": self.csrf(page or path)})


def totp_now(seed: str) -> str:
    from casework.crypto import totp

    return totp.code_at(seed, time.time())


def create_admin(env: dict[str, str], username: str) -> None:
    flask({**env, "CASEWORK_NEW_USER_PASSWORD": ADMIN_PASSWORD},
          "users", "create", "--username", username, "--role", "admin", "--unit", "ND")


def login_admin_first_time(client: Client, username: str) -> None:
    """Password, then the enrolment and the new password a first admin login asks for
    (README step 5)."""
    reply = client.submit("/login", {"username": username, "password": ADMIN_PASSWORD})
    assert reply.status == 302, reply.body[:300]
    assert reply.location.endswith("/login/enrol"), reply.location
    page = client.get("/login/enrol").body
    seed = SEED_ON_PAGE_RE.search(page)
    assert seed, "no authenticator key on the enrolment page"
    token = CSRF_RE.search(page)
    assert token
    reply = client.request("POST", "/login/enrol",
                           {"code": totp_now(seed.group(1)), "csrf_token": token.group(1)})
    assert reply.status == 302, reply.status
    codes = client.get(urlsplit(reply.location).path)  # the recovery codes, shown once
    assert codes.status == 200
    if client.get("/admin/users").location.endswith("/account/password"):
        # An account made on the command line chooses its own password at first login.
        reply = client.submit("/account/password", {
            "current_password": ADMIN_PASSWORD, "password": NEW_ADMIN_PASSWORD,
            "confirm": NEW_ADMIN_PASSWORD})
        assert reply.status == 302, reply.body[:500]
