"""TOTP (RFC 6238) for staff second factor: seeds, verification with replay refusal, QR codes."""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import segno

STEP_SECONDS = 30
DIGITS = 6
ALLOWED_DRIFT_STEPS = 1  # ±1 step, as RFC 6238 section 5.2 recommends
RECOVERY_CODE_COUNT = 10


def new_seed() -> str:
    """A random 160-bit base32 seed (the RFC's recommended HMAC-SHA1 key length)."""
    return pyotp.random_base32(32)


def code_at(seed: str, timestamp: float) -> str:
    return pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).at(int(timestamp))


def verify(seed: str, code: str, *, last_step: int | None, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to, or None when wrong or already used.

    A code is accepted for the current step ±1, and only for a step later than ``last_step`` so
    that a code (or an earlier one) can never be used twice.
    """
    code = "".join(ch for ch in code if not ch.isspace())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = time.time() if now is None else now
    current = int(now // STEP_SECONDS)
    for step in range(current - ALLOWED_DRIFT_STEPS, current + ALLOWED_DRIFT_STEPS + 1):
        expected = code_at(seed, step * STEP_SECONDS)
        if hmac.compare_digest(expected, code):
            if last_step is not None and step <= last_step:
                return None
            return step
    return None


def provisioning_uri(seed: str, account: str, issuer: str = "Casework") -> str:
    return pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_data_uri(uri: str) -> str:
    """The QR code as a PNG data URI, drawn on the server (no third-party script)."""
    return str(segno.make(uri, error="m").png_data_uri(scale=5, border=2))


def new_recovery_codes() -> list[str]:
    """Ten one-time recovery codes like ``k3f9-2mxq``, easy to copy by hand."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
