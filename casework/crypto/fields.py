"""ORM-level encrypted attributes: ``case.full_name`` reads and writes like a plain attribute.

Declare a model like this::

    class Case(EncryptedSubjectMixin, Base):
        __tablename__ = "cases"
        full_name = encrypted(str)          # stored in LargeBinary column ``full_name_enc``
        date_of_birth = encrypted(date)
        __blind_indexes__ = (name_year_index(), phone_index())

Writes keep the plaintext on the instance until flush; the ``before_flush`` hook (installed by
:func:`install_orm_hooks`) assigns the row UUID, encrypts under the woman's data key with the
row/column/subject bound into the associated data, and rewrites the blind-index entries.
Reads decrypt lazily, once per instance and value, and send :data:`field_read` so the audit
collector can write one "viewed" event per record per request.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar, overload

from blinker import Namespace
from sqlalchemy import ForeignKey, LargeBinary, delete, event, inspect
from sqlalchemy.orm import (
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    object_session,
    relationship,
)
from sqlalchemy.orm.attributes import flag_dirty

from casework.crypto import envelope, primitives
from casework.crypto.blind_index import BlindIndex, entries_for, full_name
from casework.crypto.errors import CryptoError, DecryptionError
from casework.crypto.models import BlindIndexEntry, Subject

V = TypeVar("V", str, date, bytes)
log = logging.getLogger("casework.security")
_PENDING = "_cw_pending"
_PLAIN = "_cw_plain"
signals = Namespace()
#: Sent with sender=table name, target_id=row UUID, field=attribute name on each decrypted read.
field_read = signals.signal("casework.crypto.field-read")
_MODELS: list[type[Any]] = []


class EncryptedField(Generic[V]):
    """Descriptor for one encrypted attribute backed by the column ``<name>_enc``."""

    def __init__(self, value_type: type[V]) -> None:
        self.value_type: type[V] = value_type
        self.name = ""
        self.column = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        # Runs before the declarative scan, so the new column is mapped like any other.
        self.name, self.column = name, f"{name}_enc"
        setattr(owner, self.column, mapped_column(self.column, LargeBinary, nullable=True))

    def __repr__(self) -> str:
        return f"<encrypted {self.value_type.__name__} {self.name}>"

    def __eq__(self, other: object) -> bool:
        raise TypeError(f"{self.name} is encrypted: search it with casework.crypto.blind_index")

    __hash__ = object.__hash__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> EncryptedField[V]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> V | None: ...

    def __get__(self, obj: object | None, owner: type[Any]) -> EncryptedField[V] | V | None:
        if obj is None:
            return self
        return read_plain(obj, self.name)  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: V | None) -> None:
        if value is not None and (
            not isinstance(value, self.value_type)
            or (self.value_type is date and isinstance(value, datetime))
        ):
            raise TypeError(f"{self.name} takes {self.value_type.__name__} or None")
        obj.__dict__.setdefault(_PENDING, {})[self.name] = value
        obj.__dict__.get(_PLAIN, {}).pop(self.name, None)
        flag_dirty(obj)


def encrypted(value_type: type[V] = str) -> EncryptedField[V]:  # type: ignore[assignment]
    """Declare an encrypted attribute holding ``str``, ``datetime.date`` or ``bytes`` (or None)."""
    return EncryptedField(value_type)


class EncryptedSubjectMixin:
    """Gives a model a Python-generated UUID ``id`` and ``subject_id`` → ``subjects``.

    Every row with encrypted fields belongs to one woman; her data key encrypts it.
    """

    __blind_indexes__: ClassVar[tuple[BlindIndex, ...]] = ()

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)

    @declared_attr
    def subject_id(cls) -> Mapped[uuid.UUID]:
        # A Column object, not a string, so models on another MetaData can refer to it too.
        return mapped_column(ForeignKey(Subject.__table__.c.id), index=True)

    @declared_attr
    def subject(cls) -> Mapped[Subject]:
        return relationship(Subject)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__tablename__" in cls.__dict__:
            _MODELS.append(cls)


def encrypted_models() -> list[type[Any]]:
    """Every mapped class with encrypted fields (the registry used by rotation and erasure)."""
    return list(_MODELS)


_FIELDS_OF: dict[type[Any], dict[str, EncryptedField[Any]]] = {}


def encrypted_fields(model: type[Any]) -> dict[str, EncryptedField[Any]]:
    """The encrypted attributes of ``model`` by name (computed once per class; read only)."""
    cached = _FIELDS_OF.get(model)
    if cached is not None:
        return cached
    found: dict[str, EncryptedField[Any]] = {}
    for klass in reversed(model.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, EncryptedField):
                found[name] = value
    _FIELDS_OF[model] = found
    return found


def _session_for(obj: object) -> Session:
    session = object_session(obj)
    if session is None:
        raise CryptoError("cannot decrypt a detached object whose key is not cached")
    return session


def decrypt_blob(session: Session, obj: Any, name: str, blob: bytes) -> Any:
    """Decrypt one stored value of ``obj.<name>``; a failure is logged and raised, never hidden."""
    table = obj.__tablename__
    column = encrypted_fields(type(obj))[name].column
    try:
        version, key = envelope.field_key(session, obj.subject_id, table, column)
        if primitives.field_dk_version(blob) != version:
            raise DecryptionError("ciphertext names another data-key version")
        raw = primitives.decrypt_field(key, blob, table=table, column=column, row_id=obj.id,
                                       subject_id=obj.subject_id)
        return primitives.decode_value(raw)
    except DecryptionError:
        log.error("security: decryption failed table=%s column=%s row=%s", table, column, obj.id)
        raise


def read_plain(obj: Any, name: str, *, notify: bool = True) -> Any:
    """The plaintext of ``obj.<name>``; ``notify`` tells the audit collector it was shown."""
    pending = obj.__dict__.get(_PENDING)
    if pending and name in pending:
        return pending[name]
    column = encrypted_fields(type(obj))[name].column
    blob = getattr(obj, column)
    if blob is None:
        return None
    plain = obj.__dict__.setdefault(_PLAIN, {})
    hit = plain.get(name)
    if hit is not None and hit[0] is blob:
        value = hit[1]
    else:
        value = decrypt_blob(_session_for(obj), obj, name, blob)
        plain[name] = (blob, value)
    if notify:
        field_read.send(obj.__tablename__, target_id=obj.id, field=name)
    return value


def _subject_id_of(obj: Any) -> uuid.UUID:
    if obj.subject_id is None and obj.subject is not None:
        obj.subject_id = obj.subject.id
    if obj.subject_id is None:
        raise CryptoError(f"{type(obj).__name__} needs a subject before encrypted fields are saved")
    return obj.subject_id  # type: ignore[no-any-return]


def encrypt_pending(session: Session, obj: Any) -> set[str]:
    """Encrypt the pending plaintexts of one object; returns the names written."""
    pending: dict[str, Any] | None = obj.__dict__.pop(_PENDING, None)
    if not pending:
        return set()
    if obj.id is None:
        obj.id = uuid.uuid4()
    subject_id = _subject_id_of(obj)
    table = obj.__tablename__
    fields = encrypted_fields(type(obj))
    plain = obj.__dict__.setdefault(_PLAIN, {})
    for name, value in pending.items():
        column = fields[name].column
        if value is None:
            setattr(obj, column, None)
            continue
        version, key = envelope.field_key(session, subject_id, table, column)
        blob = primitives.encrypt_field(key, primitives.encode_value(value), table=table,
                                        column=column, row_id=obj.id, subject_id=subject_id,
                                        dk_version=version)
        setattr(obj, column, blob)
        plain[name] = (blob, value)
    return set(pending)


def refresh_indexes(session: Session, obj: Any, touched: set[str] | None, *, new: bool) -> None:
    """Rewrite the blind-index entries of ``obj`` for indexes covering ``touched`` fields."""
    table = obj.__tablename__
    for index in type(obj).__blind_indexes__:
        if touched is not None and not touched & set(index.fields):
            continue
        name = full_name(table, index)
        if not new:
            session.execute(delete(BlindIndexEntry).where(
                BlindIndexEntry.index_name == name, BlindIndexEntry.row_id == obj.id))
        values = [read_plain(obj, f, notify=False) for f in index.fields]
        session.add_all(entries_for(table, index, values, row_id=obj.id,
                                    subject_id=obj.subject_id))


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, EncryptedSubjectMixin):
            touched = encrypt_pending(session, obj)
            if touched:
                refresh_indexes(session, obj, touched, new=inspect(obj).transient
                                or inspect(obj).pending)
    for obj in session.deleted:
        if isinstance(obj, EncryptedSubjectMixin) and obj.id is not None:
            session.execute(delete(BlindIndexEntry).where(BlindIndexEntry.row_id == obj.id))


def install_orm_hooks() -> None:
    """Register the flush hook on every SQLAlchemy session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
