"""Fixtures for notices, the outbox and the schedule: the referral loop's people and rows."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.referrals.conftest import (  # noqa: F401 - fixtures shared with the referral tests
    bring_to,
    draft,
    loop,
    sent,
)


class Sink:
    """aiosmtpd handler keeping (recipients, subject + body) of each message."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos),
                              f"{message['Subject']}\n{message.get_content()}"))
        return "250 OK"


@pytest.fixture
def smtp_sink():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@dataclass
class Gateway:
    """A local HTTP server standing in for an SMS gateway or Zalo's API: it records each
    request (path, headers, JSON body) and answers from a script, else with ``ok``."""

    ok: tuple[int, Any, dict[str, str]]
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: deque[tuple[int, Any, dict[str, str]]] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *replies: tuple[int, Any, dict[str, str]]) -> None:
        self.script.extend(replies)

    def bodies(self) -> list[Any]:
        return [r["json"] for r in self.requests]


def _serve(gateway: Gateway):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with gateway.lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                gateway.requests.append({"path": self.path, "headers": headers,
                                         "json": json.loads(raw.decode("utf-8"))})
                status, body, headers = gateway.script.popleft() if gateway.script else gateway.ok
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def sms_gateway():
    gateway = Gateway(ok=(200, {"status": "accepted", "id": "sms-1"}, {}))
    server = _serve(gateway)
    gateway.url = f"http://127.0.0.1:{server.server_port}/v1/messages"
    yield gateway
    server.shutdown()
    server.server_close()


@pytest.fixture
def zalo_gateway():
    gateway = Gateway(ok=(200, {"error": 0, "message": "Success",
                                "data": {"msg_id": "z-1", "sent_time": "1700000000000"}}, {}))
    server = _serve(gateway)
    gateway.url = f"http://127.0.0.1:{server.server_port}/message/template"
    yield gateway
    server.shutdown()
    server.server_close()


@pytest.fixture
def channels_app(app, smtp_sink, sms_gateway, zalo_gateway):
    """The app with every channel pointing at its local stand-in; quiet hours as configured
    by default (21:00-07:00), so tests set the clock with time-machine."""
    app.config.update(
        CASEWORK_SMTP_HOST="127.0.0.1", CASEWORK_SMTP_PORT=smtp_sink[1],
        CASEWORK_SMS_URL=sms_gateway.url, CASEWORK_SMS_TOKEN="sms-token-1",
        CASEWORK_SMS_SENDER="HLHPN",
        CASEWORK_ZALO_URL=zalo_gateway.url, CASEWORK_ZALO_ACCESS_TOKEN="zalo-token-1",
        CASEWORK_ZALO_TEMPLATE_ID="301234",
        CASEWORK_PUBLIC_URL="https://casework.example",
        CASEWORK_OUTBOX_RETRY_SECONDS=60, CASEWORK_OUTBOX_MAX_ATTEMPTS=4,
        CASEWORK_OUTBOX_DIGEST_AFTER=5)
    return app
