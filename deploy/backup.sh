#!/bin/sh
# Nightly backup: pg_dump + manifest (one snapshot), then delete backups older than the
# retention period (CASEWORK_BACKUP_RETENTION_DAYS, SECURITY.md: erasure completes when the last
# backup holding a woman's wrapped key is gone). Copy the folder off the host afterwards
# (rsync/borg to the province's backup server); never copy the key file alongside.
set -eu
DIR="${CASEWORK_BACKUP_DIR:-/var/backups/casework}"
DAYS="${CASEWORK_BACKUP_RETENTION_DAYS:-35}"
FLASK="${CASEWORK_FLASK:-/opt/casework/.venv/bin/flask}"
umask 077
mkdir -p "$DIR"
"$FLASK" --app casework:create_app backup create --output-dir "$DIR"
find "$DIR" -maxdepth 1 -type f \( -name 'casework-*.dump' -o -name 'casework-*.manifest.json' \) \
    -mtime "+$DAYS" -print -delete
