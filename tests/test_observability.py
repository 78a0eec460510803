"""Eyes on it: JSON request logs, readiness distinct from liveness, Prometheus metrics."""

from __future__ import annotations

import json
import logging
import secrets

import pytest
from sqlalchemy import text

from casework.config import ConfigError, Settings
from casework.extensions import db
from casework.observability.readiness import register_check

METRICS_TOKEN = secrets.token_urlsafe(32)


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "casework.requests"]


def test_each_request_logs_one_json_line_without_paths_or_personal_data(
        client, make_user, login, caplog):
    caplog.set_level(logging.INFO, logger="casework.requests")
    user = make_user("caseworker")
    login(client, user)
    token = "A" * 43
    caplog.clear()
    client.get(f"/account/set-password/{token}")
    client.get("/cases?q=0912345678+Nguy%E1%BB%85n")
    response = client.get("/healthz", headers={"X-Request-ID": "nginx-5f2a9c1e7b3d4a6f"})
    lines = _request_lines(caplog)
    assert [line["endpoint"] for line in lines] == ["auth.set_password", "cases.index",
                                                    "main.healthz"]
    assert lines[0]["route"] == "/account/set-password/[token]"  # masked as every log line
    assert lines[1] == {**lines[1], "route": "/cases", "status": 200, "role": "caseworker",
                        "method": "GET"}
    assert lines[2]["request_id"] == "nginx-5f2a9c1e7b3d4a6f"
    assert response.headers["X-Request-ID"] == "nginx-5f2a9c1e7b3d4a6f"
    assert all(isinstance(line["duration_ms"], float) for line in lines)
    assert len({line["request_id"] for line in lines}) == 3
    text_logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (token, "0912345678", "Nguy", "q="):
        assert secret not in text_logged


@pytest.mark.parametrize("given", ["0912345678 <script>", "id-0912345678-from-outside"])
def test_a_malformed_or_identifying_request_id_from_outside_is_replaced(client, caplog, given):
    caplog.set_level(logging.INFO, logger="casework.requests")
    response = client.get("/healthz", headers={"X-Request-ID": given})
    rid = response.headers["X-Request-ID"]
    assert len(rid) == 32
    assert _request_lines(caplog)[-1]["request_id"] == rid


def test_the_logged_request_id_is_never_masked():
    from casework.observability import log_line

    rid = "f467fb9adb074895982b61587a232dde"  # a uuid4 hex with a 9-digit run in it
    line = json.loads(log_line({"ts": "2026-01-01T00:00:00.000Z", "request_id": rid,
                                "route": "/x/0912345678", "status": 200}))
    assert line == {"ts": "2026-01-01T00:00:00.000Z", "request_id": rid,
                    "route": "/x/[phone]", "status": 200}


def test_readiness_checks_database_keys_and_migrations(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {
        "database": "ok", "keys": "ok", "migrations": "ok", "outbox": "ok"}}


def test_readiness_fails_when_outside_messages_wait_with_no_worker_but_not_in_quiet_hours(
        app, client):
    import time_machine

    from casework.outbox import to_contact

    with app.test_request_context():
        to_contact("sms", "0912345678", "partner_link", reference="GT-TEST")
        db.session.commit()
    vietnam_noon = "2030-01-02T05:00:00+00:00"  # 12:00 in Hanoi; the message was due long ago
    with time_machine.travel(vietnam_noon, tick=False):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["outbox"] == "fail"
    with time_machine.travel("2030-01-02T16:00:00+00:00", tick=False):  # 23:00: quiet hours
        assert client.get("/readyz").get_json()["checks"]["outbox"] == "ok"


def test_readiness_fails_when_the_schema_is_behind_the_code(app, client):
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001_foundation'"))
    db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "keys": "ok",
                                             "migrations": "fail", "outbox": "ok"}
    assert client.get("/healthz").status_code == 200  # alive, just not ready


def test_readiness_takes_extra_checks_and_hides_their_reasons(app, client, caplog):
    register_check(app, "outbox", lambda _app: "1200 messages waiting for 3 hours")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["outbox"] == "fail"
    assert "1200" not in response.get_data(as_text=True)
    assert "1200 messages waiting" in caplog.text

    def broken(_app):
        raise RuntimeError("postgresql://user:secret@host")

    register_check(app, "outbox", broken)
    response = client.get("/readyz")
    assert response.get_json()["checks"]["outbox"] == "fail"
    assert "secret" not in response.get_data(as_text=True) + caplog.text


def test_metrics_are_refused_while_no_token_is_set(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 401


def test_metrics_need_the_bearer_token(app, client, make_case, make_user, login):
    app.config["CASEWORK_METRICS_TOKEN"] = METRICS_TOKEN
    user = make_user("caseworker")
    case = make_case()
    login(client, user)
    client.get(f"/cases/{case.id}")
    client.get("/cases/999999")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": METRICS_TOKEN}).status_code == 401
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert 'casework_http_request_duration_seconds_bucket{endpoint="cases.view"' in body
    assert ('casework_http_requests_total{endpoint="cases.view",method="GET",status="2xx"} 1.0'
            in body)
    assert 'casework_http_requests_total{endpoint="none",method="GET",status="4xx"} 1.0' in body
    assert "casework_referrals_overdue 0.0" in body
    assert "casework_audit_anchor_age_seconds" in body
    assert "casework_audit_unanchored_events" in body
    assert "casework_database_up 1.0" in body
    assert 'casework_outbox_messages{status="given_up"} 0.0' in body
    assert f"/cases/{case.id}" not in body
    assert "/cases/" not in body


def test_metrics_count_server_errors(make_app):
    app = make_app(metrics_token=METRICS_TOKEN)

    @app.get("/boom-for-test")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    app.view_functions["boom"]._casework_public = True  # type: ignore[attr-defined]
    client = app.test_client()
    assert client.get("/boom-for-test").status_code == 500
    body = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
                      ).get_data(as_text=True)
    assert 'casework_http_errors_total{endpoint="boom"} 1.0' in body


def test_production_refuses_a_weak_metrics_token():
    env = {"CASEWORK_ENV": "production", "CASEWORK_SECRET_KEY": secrets.token_urlsafe(48),
           "CASEWORK_METRICS_TOKEN": "metrics"}
    with pytest.raises(ConfigError, match="CASEWORK_METRICS_TOKEN"):
        Settings.from_env(env).validate()
    env["CASEWORK_METRICS_TOKEN"] = secrets.token_urlsafe(32)
    Settings.from_env(env).validate()
