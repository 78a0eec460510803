"""Staff and partner accounts, and their server-side login sessions."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casework.db import Base, utcnow
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider

STAFF_ROLES = ("admin", "supervisor", "caseworker")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("service_providers.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    totp_seed_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_last_step: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org_unit: Mapped[OrgUnit | None] = relationship()
    provider: Mapped[ServiceProvider | None] = relationship()
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'supervisor', 'caseworker', 'partner')", name="role_known"
        ),
        CheckConstraint(
            "(role = 'partner' AND provider_id IS NOT NULL AND org_unit_id IS NULL) OR "
            "(role <> 'partner' AND org_unit_id IS NOT NULL AND provider_id IS NULL)",
            name="belongs_to_unit_or_provider",
        ),
    )

    # Flask-Login protocol. The id Flask-Login stores is the *session* key, not the user id, so
    # that ending a session server-side logs that browser out (see services/sessions.py).
    current_session_key = cast("str | None", None)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.current_session_key

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def mfa_enrolled(self) -> bool:
        return self.totp_seed_sealed is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class RecoveryCode(Base):
    """A one-time two-factor recovery code, stored only as an argon2 hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(back_populates="recovery_codes")


class LoginSession(Base):
    """A server-side login session. The cookie holds a random key; only its hash is stored."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    mfa_verified: Mapped[bool] = mapped_column(default=False)
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(40))

    user: Mapped[User] = relationship()


class PendingLogin(Base):
    """A login between the password and the second step, kept on the server.

    The browser's cookie holds only a random key (its SHA-256 is stored here), so that whoever
    holds the Flask secret and can sign a cookie still cannot name a user to log in as. The row
    records which second step the login needs (``verify`` a code, or ``enrol`` a first
    authenticator), the wrong tries so far, and the new seed being enrolled (sealed).
    """

    __tablename__ = "pending_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    second_step: Mapped[str] = mapped_column(String(10))
    next_url: Mapped[str | None] = mapped_column(String(2048))
    tries: Mapped[int] = mapped_column(default=0)
    enrol_seed_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint("second_step IN ('verify', 'enrol')", name="second_step_known"),
    )
