"""Fixtures for notices, the outbox and the schedule: the referral loop's people and rows."""

from __future__ import annotations

from tests.referrals.conftest import (  # noqa: F401 - fixtures shared with the referral tests
    bring_to,
    draft,
    loop,
    sent,
)
