"""Shared fixtures: a real, freshly migrated database per test, real HTTP through the app.

The suite runs on SQLite by default and on PostgreSQL when ``CASEWORK_TEST_DATABASE_URL`` points
at a server (any database on it: each run creates its own databases and drops them afterwards).
Each test gets its own database copied from a migrated template (a file copy on SQLite,
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL), so tests never see each other's rows.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from casework import create_app
from casework.i18n import compile_catalogues

PG_URL = os.environ.get("CASEWORK_TEST_DATABASE_URL", "").strip()
TEST_PASSWORD = "correct horse battery staple"
TEST_TOTP_SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# A secret strong enough for production settings (made fresh each run, as an operator would).
PRODUCTION_SECRET = secrets.token_urlsafe(48)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def pytest_report_header(config: pytest.Config) -> str:
    backend = make_url(PG_URL).render_as_string(hide_password=True) if PG_URL else "SQLite"
    return f"casework database: {backend}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``postgres_only`` tests (e.g. TRUNCATE triggers) run in the PostgreSQL pass of CI."""
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: runs when CASEWORK_TEST_DATABASE_URL is set")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


# --- Database per test -----------------------------------------------------------------------


def _admin_engine() -> sa.Engine:
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@pytest.fixture(scope="session", autouse=True)
def _catalogues() -> None:
    compile_catalogues()


@pytest.fixture(scope="session")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from casework.crypto.keyring import create_key_file

    path = tmp_path_factory.mktemp("keys") / "casework-keys.json"
    create_key_file(path)
    return path


def base_env(database_url: str, key_file: Path, instance: Path) -> dict[str, str]:
    return {
        "CASEWORK_ENV": "testing",
        "CASEWORK_DATABASE_URL": database_url,
        "CASEWORK_KEY_FILE": str(key_file),
        "CASEWORK_SECRET_KEY": "test-" + "x" * 40,
        "CASEWORK_INSTANCE_PATH": str(instance),
        "CASEWORK_LOGIN_RATE_LIMIT": "1000 per minute",
    }


def migrate(database_url: str, key_file: Path, instance: Path) -> None:
    from flask_migrate import upgrade

    from casework.extensions import db

    app = create_app(base_env(database_url, key_file, instance))
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Iterator[str]:
    """A migrated database to copy for each test: a file path (SQLite) or a name (PostgreSQL)."""
    instance = tmp_path_factory.mktemp("instance")
    if PG_URL:
        name = f"casework_tpl_{os.getpid()}_{secrets.token_hex(3)}"
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        migrate(make_url(PG_URL).set(database=name).render_as_string(False), key_file, instance)
        yield name
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        migrate(f"sqlite:///{path}", key_file, instance)
        yield str(path)


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        name = f"casework_test_{os.getpid()}_{secrets.token_hex(4)}"
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(False)
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path / "casework.sqlite3"
        shutil.copyfile(template_database, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database (for migration tests)."""
    if PG_URL:
        name = f"casework_empty_{os.getpid()}_{secrets.token_hex(4)}"
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield make_url(PG_URL).set(database=name).render_as_string(False)
        with _admin_engine().connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"


# --- App and clients -------------------------------------------------------------------------


class CaseworkClient(FlaskClient):
    """A test client that fills in the CSRF token the way a browser's form would.

    Each request runs in its own app context, as in production: ``g`` (per-request key cache,
    audit collector, CSRF token) and the database session do not leak between requests or into
    the test's own session. Re-read objects in the test after a request (``db.session.refresh``).
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self, page: str = "/account") -> str:
        response = self.get(page)
        if response.status_code in (301, 302, 303):
            response = self.get("/login")
        match = CSRF_RE.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        page: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """GET ``page`` (default ``path``) for a token, then POST the form to ``path``."""
        token = self.csrf_token(page or path)
        return self.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def make_app(database_url: str, key_file: Path, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build an app on this test's database; keyword overrides become CASEWORK_* settings."""
    built: list[Flask] = []

    def factory(**overrides: str) -> Flask:
        env = base_env(database_url, key_file, tmp_path / "instance")
        env.update({f"CASEWORK_{k.upper()}": str(v) for k, v in overrides.items()})
        app = create_app(env)
        app.test_client_class = CaseworkClient
        built.append(app)
        return app

    yield factory
    from casework.extensions import db

    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    application = make_app()
    with application.app_context():
        yield application


@pytest.fixture
def client(app: Flask) -> CaseworkClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def db_session(app: Flask) -> Any:
    from casework.extensions import db

    return db.session


# --- Domain factories ------------------------------------------------------------------------


@dataclass
class Org:
    """A small hierarchy: province P; district D1 (communes C1, C2); district D2 (commune C3)."""

    province: Any
    d1: Any
    c1: Any
    c2: Any
    d2: Any
    c3: Any


@pytest.fixture
def org(app: Flask) -> Org:
    from casework.extensions import db
    from casework.services.org_units import create_unit

    p = create_unit(code="P", name="Tỉnh Thử", kind="province", parent=None, actor=None)
    d1 = create_unit(code="D1", name="Huyện Một", kind="district", parent=p, actor=None)
    c1 = create_unit(code="C1", name="Xã Một A", kind="commune", parent=d1, actor=None)
    c2 = create_unit(code="C2", name="Xã Một B", kind="commune", parent=d1, actor=None)
    d2 = create_unit(code="D2", name="Huyện Hai", kind="district", parent=p, actor=None)
    c3 = create_unit(code="C3", name="Xã Hai A", kind="commune", parent=d2, actor=None)
    db.session.commit()
    return Org(p, d1, c1, c2, d2, c3)


@pytest.fixture
def make_provider(app: Flask) -> Callable[..., Any]:
    from casework.extensions import db
    from casework.models.provider import ServiceProvider

    counter = iter(range(1, 10_000))

    def factory(**fields: Any) -> ServiceProvider:
        n = next(counter)
        provider = ServiceProvider(
            code=fields.pop("code", f"PRV{n}"), name=fields.pop("name", f"Đối tác {n}"), **fields
        )
        db.session.add(provider)
        db.session.commit()
        return provider

    return factory


@pytest.fixture
def make_user(app: Flask, org: Org, make_provider: Callable[..., Any]) -> Callable[..., Any]:
    """Create a user; admins and supervisors get a known TOTP seed (see ``login``)."""
    from casework.extensions import db
    from casework.services import accounts, mfa

    counter = iter(range(1, 10_000))

    def factory(
        role: str = "caseworker",
        unit: Any = None,
        provider: Any = None,
        username: str | None = None,
        password: str = TEST_PASSWORD,
        enrol_mfa: bool | None = None,
        **fields: Any,
    ) -> Any:
        if role == "partner":
            provider = provider or make_provider()
            unit = None
        else:
            unit = unit or (org.province if role in ("admin", "supervisor") else org.c1)
        user = accounts.create_user(
            accounts.NewUser(
                username=username or f"{role}{next(counter)}",
                display_name=f"Người dùng {role}",
                role=role,
                password=password,
                org_unit=unit,
                provider=provider,
                must_change_password=fields.pop("must_change_password", False),
            ),
            actor=None,
        )
        if enrol_mfa if enrol_mfa is not None else mfa.required_for(user):
            mfa.store_seed(user, TEST_TOTP_SEED)
        for name, value in fields.items():
            setattr(user, name, value)
        db.session.commit()
        return user

    return factory


def next_totp_code(user: Any) -> str:
    """A valid, not yet used TOTP code for ``user`` (each step can be used once)."""
    from casework.crypto import totp
    from casework.extensions import db

    db.session.refresh(user)
    while True:
        now = int(time.time() // totp.STEP_SECONDS)
        # The current step, else the next one. (A previous-step code may already be outside
        # the ±1 window by the time a loaded machine verifies it.)
        for step in (now, now + 1):
            if user.totp_last_step is None or step > user.totp_last_step:
                return totp.code_at(TEST_TOTP_SEED, step * totp.STEP_SECONDS)
        # Both used (a third login within one step): wait for the next step, as a person would.
        time.sleep(totp.STEP_SECONDS - time.time() % totp.STEP_SECONDS + 0.05)


SEED_ON_PAGE_RE = re.compile(r"<code>([A-Z2-7]{16,})</code>")


def seed_on_page(html: str) -> str:
    """The new authenticator key an enrolment page shows (as a person would type it)."""
    match = SEED_ON_PAGE_RE.search(html)
    assert match, "no authenticator key on the page"
    return match.group(1)


@pytest.fixture
def login() -> Callable[..., Any]:
    """Log ``user`` in through the real login form (and the second step when enrolled)."""

    def do_login(client: CaseworkClient, user: Any, password: str = TEST_PASSWORD) -> Any:
        response = client.submit("/login", {"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        if response.headers["Location"].endswith("/login/verify"):
            response = client.submit("/login/verify", {"code": next_totp_code(user)})
            assert response.status_code == 302, "second factor refused"
        return response

    return do_login


# --- Case-record factories (build rows directly; services have their own tests) ---------------


@pytest.fixture
def make_case(app: Flask, org: Org) -> Callable[..., Any]:
    """A case with one open episode and custody at ``unit`` (default: commune C1)."""
    from datetime import date

    from casework.crypto import new_subject
    from casework.domain import birth_year_band
    from casework.extensions import db
    from casework.models.case import Case, CaseCustody, CaseEpisode

    counter = iter(range(1, 100_000))

    def factory(
        unit: Any = None,
        *,
        group: str = "left_sex_work",
        intake_date: date = date(2024, 1, 15),
        full_name: str = "Nguyễn Thị Lan",
        date_of_birth: date | None = date(1995, 5, 20),
        phone: str | None = "0912345678",
        national_id: str | None = None,
        closed_on: date | None = None,
        **fields: Any,
    ) -> Case:
        unit = unit or org.c1
        n = next(counter)
        subject = new_subject()
        db.session.add(subject)
        case = Case(
            subject=subject,
            case_number=fields.pop("case_number", f"{unit.code}-{n:05d}"),
            group=group,
            org_unit=unit,
            intake_date=intake_date,
            birth_year_band=birth_year_band(date_of_birth.year if date_of_birth else None),
            referral_source=fields.pop("referral_source", "union"),
            status="closed" if closed_on else "open",
        )
        case.full_name = full_name
        case.given_name = full_name.split()[-1] if full_name else None
        case.date_of_birth = date_of_birth
        case.phone = phone
        case.national_id = national_id
        for name, value in fields.items():
            setattr(case, name, value)
        case.episodes.append(
            CaseEpisode(
                opened_on=intake_date,
                closed_on=closed_on,
                close_reason="other" if closed_on else None,
            )
        )
        case.custody.append(CaseCustody(org_unit=unit, from_date=intake_date, reason="intake"))
        db.session.add(case)
        db.session.commit()
        return case

    return factory


@pytest.fixture
def make_need(app: Flask) -> Callable[..., Any]:
    from datetime import date

    from casework.extensions import db
    from casework.models.need import Need

    def factory(
        case: Any,
        category: str = "vocational_training",
        *,
        identified_on: date | None = None,
        status: str = "identified",
        ended_on: date | None = None,
    ) -> Need:
        need = Need(
            case_id=case.id,
            subject_id=case.subject_id,
            category=category,
            status=status,
            identified_on=identified_on or case.intake_date,
            ended_on=ended_on,
        )
        db.session.add(need)
        db.session.commit()
        return need

    return factory


@pytest.fixture
def make_consent(app: Flask) -> Callable[..., Any]:
    from datetime import date

    from casework.extensions import db
    from casework.models.consent import Consent

    def factory(
        case: Any,
        purpose: str = "share",
        service_category: str | None = None,
        *,
        given_on: date | None = None,
        expires_on: date | None = None,
        withdrawn_on: date | None = None,
        method: str = "signed_form",
    ) -> Consent:
        consent = Consent(
            case_id=case.id,
            subject_id=case.subject_id,
            purpose=purpose,
            service_category=service_category,
            given_on=given_on or case.intake_date,
            method=method,
            text_version="v1",
            expires_on=expires_on,
            withdrawn_on=withdrawn_on,
        )
        db.session.add(consent)
        db.session.commit()
        return consent

    return factory
