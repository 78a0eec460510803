"""Two app servers behind one name: two gunicorn instances (deploy/gunicorn.conf.py, 2 workers
each) on two loopback ports, one PostgreSQL, one Redis. A login is throttled across both (the
rate-limit counters live in Redis), failed passwords on either lock the account (the lock-out
is in the database), and a session opened on one is valid on the other and ends on both.

Two outbox workers (``flask outbox work --once``, two processes as on two hosts) drain one queue
and send each message exactly once.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess

import pytest
import redis
import sqlalchemy as sa

from tests.deploy.servers import (
    ADMIN_PASSWORD,
    Client,
    flask,
    free_port,
    install,
    pg_database,
    production_env,
    start_gunicorn,
)

pytestmark = pytest.mark.postgres_only
REDIS_URL = "redis://127.0.0.1:6379/0"
NEW_PASSWORD = "Song-Ninh-Co-chay-ra-bien-Thinh-Long"


def _redis_up() -> bool:
    if shutil.which("redis-cli") is None:
        return False
    done = subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True,
                          text=True, check=False)
    return done.stdout.strip() == "PONG"


def test_two_app_servers_share_throttles_lock_outs_and_sessions(tmp_path):
    if not _redis_up():
        pytest.fail("Redis is not running at 127.0.0.1:6379 (.ci/run starts it)")
    prefix = f"casework-test-{secrets.token_hex(4)}"
    with pg_database("casework_two") as url:
        env = production_env(url, tmp_path, CASEWORK_RATELIMIT_STORAGE_URI=REDIS_URL,
                             CASEWORK_RATELIMIT_KEY_PREFIX=prefix,
                             CASEWORK_LOGIN_RATE_LIMIT="9 per minute")
        install(env)
        flask(env, "users", "create-province", "--code", "HH", "--name", "Huyện Hải Hậu")
        flask({**env, "CASEWORK_NEW_USER_PASSWORD": ADMIN_PASSWORD}, "users", "create",
              "--username", "canbo", "--role", "caseworker", "--unit", "HH")
        flask({**env, "CASEWORK_NEW_USER_PASSWORD": ADMIN_PASSWORD}, "users", "create",
              "--username", "canbo2", "--role", "caseworker", "--unit", "HH")
        a = start_gunicorn(env, free_port(), tmp_path / "a.log")
        b = start_gunicorn(env, free_port(), tmp_path / "b.log")
        try:
            # A session opened on A is valid on B (server-side sessions in PostgreSQL).
            on_a = Client(a.url)
            reply = on_a.submit("/login", {"username": "canbo", "password": ADMIN_PASSWORD})
            assert reply.status == 302
            reply = on_a.submit("/account/password", {
                "current_password": ADMIN_PASSWORD, "password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD})
            assert reply.status == 302, reply.body[:300]
            on_b = Client(b.url, cookies=on_a.cookies)
            assert on_b.get("/account").status == 200
            assert on_a.get("/account").status == 200
            # ... and logging out on B ends it on A too.
            assert on_b.submit("/logout", {}, page="/account").status == 302
            stale = Client(a.url, cookies=dict(on_a.cookies))
            assert stale.get("/account").status == 302

            # Failed passwords on either server lock the account (the count is in the
            # database): 5 in a row, alternating servers.
            servers = [Client(a.url), Client(b.url)]
            for attempt in range(5):
                reply = servers[attempt % 2].submit(
                    "/login", {"username": "canbo2", "password": "wrong-password-123"})
                assert reply.status == 200  # the form again, one neutral message
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            with engine.connect() as conn:
                locked = conn.scalar(sa.text(
                    "SELECT locked_until IS NOT NULL FROM users WHERE username = 'canbo2'"))
            engine.dispose()
            assert locked

            # The login limit (9 a minute per client address) counts on both servers together:
            # 1 + 5 POSTs above; three more pass, the next is refused whichever server gets it.
            statuses = [servers[i % 2].submit(
                "/login", {"username": "nobody", "password": "x" * 12}).status
                for i in range(5)]
            assert statuses[:3] == [200, 200, 200], statuses
            assert statuses[3:] == [429, 429], statuses
        finally:
            a.stop()
            b.stop()
            store = redis.Redis.from_url(REDIS_URL)
            for key in store.scan_iter(f"*{prefix}*"):
                store.delete(key)
            store.close()


def test_two_outbox_workers_on_two_hosts_send_each_message_once(tmp_path):
    import concurrent.futures
    import os
    import sys
    from collections import Counter

    from casework import create_app
    from casework.extensions import db
    from casework.models.outbox import OutboxMessage
    from casework.outbox import to_contact
    from tests.deploy.servers import ROOT
    from tests.outbox.conftest import Gateway, _serve

    gateway = Gateway(ok=(200, {"status": "accepted", "id": "sms-1"}, {}))
    server = _serve(gateway)
    gateway.url = f"http://127.0.0.1:{server.server_port}/v1/messages"
    try:
        with pg_database("casework_outbox2") as url:
            env = production_env(url, tmp_path, CASEWORK_SMS_URL=gateway.url,
                                 CASEWORK_SMS_TOKEN=secrets.token_urlsafe(24),
                                 CASEWORK_QUIET_HOURS="", CASEWORK_OUTBOX_DIGEST_AFTER="1000")
            install(env)
            app = create_app({k: v for k, v in env.items() if k.startswith("CASEWORK_")})
            with app.test_request_context():
                for n in range(40):
                    to_contact("sms", f"09120{n:05d}", "partner_link", reference=f"GT-{n:04d}")
                db.session.commit()

            def work() -> int:
                done = subprocess.run(
                    [sys.executable, "-m", "flask", "outbox", "work", "--once"], env=env,
                    cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
                return done.returncode

            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                codes = list(pool.map(lambda _: work(), range(2)))
            assert codes == [0, 0]
            sent = Counter(body["reference"] for body in gateway.bodies())  # the message id
            assert set(sent.values()) == {1}  # each message once, whichever worker took it
            assert sorted(body["to"] for body in gateway.bodies()) == [
                f"849120{n:05d}" for n in range(40)]
            with app.app_context():
                rows = db.session.execute(sa.select(OutboxMessage.id, OutboxMessage.status))
                assert {str(i): status for i, status in rows} == dict.fromkeys(sent, "sent")
                db.session.remove()
                db.engine.dispose()
            assert os.environ.get("CASEWORK_SMS_URL") is None  # nothing leaked to this process
    finally:
        server.shutdown()
        server.server_close()
