"""Audit events: an append-only, HMAC-chained record of who did what to which object.

Rows hold pseudonymous ids, action names and field *names* only; never names, phones, ID
numbers or free text about a woman. The database refuses UPDATE and DELETE (triggers in
migration 0002_confidentiality, also attached on ``create_all``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from casework.db import Base, utcnow

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
)
SQLITE_DROP_TRIGGERS = (
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
)
POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()",
)
POSTGRES_DROP_TRIGGERS = (
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events",
    "DROP FUNCTION IF EXISTS audit_events_refuse_change()",
)


class AuditEvent(Base):
    """One audit event; ``seq`` and ``mac`` are assigned at flush under the append lock."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    actor_role: Mapped[str | None] = mapped_column(String(20))
    actor_unit_id: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64), index=True)
    fields: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of field names
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[str | None] = mapped_column(Text)  # JSON object, no personal data
    key_version: Mapped[int] = mapped_column()  # audit key version of the MAC
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditEvent #{self.seq} {self.action} {self.target_type}:{self.target_id}>"


for _statement in SQLITE_TRIGGERS:
    event.listen(
        AuditEvent.__table__,
        "after_create",
        DDL(_statement).execute_if(dialect="sqlite"),  # type: ignore[no-untyped-call]
    )
for _statement in POSTGRES_TRIGGERS:
    event.listen(
        AuditEvent.__table__,
        "after_create",
        DDL(_statement).execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
    )
