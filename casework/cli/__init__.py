"""Every ``flask`` command, registered in one place by the app factory.

The commands call services; secrets come from prompts or the environment, never from argv.

* ``flask demo``, ``flask users``, ``flask i18n``, ``flask indicators``: ``commands.py``;
* ``flask audit verify | anchor | export-head``: ``audit.py``;
* ``flask import-records``, ``flask import-staging-cleanup``: ``imports.py``;
* ``flask outbox work``, ``flask schedule run``: ``outbox.py`` (messages and reminders);
* ``flask backup create | verify-restore``: ``backup.py`` (the restore drill);
* ``flask retention schedule | due``: ``retention.py`` (issue 19);
* ``flask roles grant``: ``roles.py`` (PostgreSQL roles for the app);
* ``flask keys ...``, ``flask erase-subject``: ``casework/crypto/cli.py`` (the crypto package's).
"""

from __future__ import annotations

from flask import Flask

from casework.cli.audit import audit_cli
from casework.cli.backup import backup_cli
from casework.cli.commands import demo_cli, i18n_cli, indicators_cli, users_cli
from casework.cli.imports import import_records, import_staging_cleanup
from casework.cli.outbox import outbox_cli, schedule_cli
from casework.cli.retention import retention_cli
from casework.cli.roles import roles_cli
from casework.crypto.cli import erase_subject_command, keys_cli

COMMANDS = (
    demo_cli,
    users_cli,
    i18n_cli,
    indicators_cli,
    audit_cli,
    backup_cli,
    roles_cli,
    keys_cli,
    erase_subject_command,
    import_records,
    import_staging_cleanup,
    outbox_cli,
    schedule_cli,
    retention_cli,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
