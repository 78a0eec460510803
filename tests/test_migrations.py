"""Migrations are tested code: upgrade from empty equals the models, and every step goes down."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from casework import create_app
from casework.extensions import db
from tests.conftest import base_env


@pytest.fixture
def empty_app(empty_database_url, key_file, tmp_path):
    app = create_app(base_env(empty_database_url, key_file, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _differences(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_matches_the_models(empty_app):
    upgrade()
    assert _differences(empty_app) == []


def test_every_revision_downgrades_and_upgrades_again(empty_app):
    script = ScriptDirectory.from_config(empty_app.extensions["migrate"].migrate.get_config())
    revisions = [r.revision for r in script.walk_revisions()]
    assert len(script.get_heads()) == 1, "migrations must form one line"
    upgrade()
    for _ in revisions:
        downgrade(revision="-1")
    inspector = sa.inspect(db.engine)
    assert set(inspector.get_table_names()) <= {"alembic_version"}
    upgrade()
    assert _differences(empty_app) == []
