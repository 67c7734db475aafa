#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into a NEW, empty database, then verify it.
#
#   scripts/restore.sh DUMP_FILE TARGET_DATABASE_URL
#
# The target database must not exist yet: it is created here (restoring over a live database is never
# what you want; switch the application over by changing DATABASE_URL once the checks pass). After the
# restore the script runs, against the restored copy, `manage.py migrate --check` (schema matches the
# code) and `manage.py audit_verify` (the hash chain of the audit trail is intact).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: scripts/restore.sh DUMP_FILE TARGET_DATABASE_URL (a database that does not exist yet)" >&2
  exit 2
fi
dump=$1
target=$2
[[ -r "$dump" ]] || { echo "restore: cannot read $dump" >&2; exit 2; }
if [[ -f "$dump.sha256" ]]; then
  (cd "$(dirname "$dump")" && sha256sum --check --quiet "$(basename "$dump").sha256") \
    || { echo "restore: $dump does not match its .sha256: refusing to restore a damaged file" >&2; exit 1; }
fi

name="${target##*/}"
name="${name%%\?*}"
server="${target%/*}/postgres"
if [[ ! "$name" =~ ^[A-Za-z0-9_]+$ ]]; then
  echo "restore: the target database name must be letters, digits and _ (got '$name')" >&2
  exit 2
fi
if [[ "$(psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" == "1" ]]; then
  echo "restore: database $name already exists; restore into a new database" >&2
  exit 1
fi
psql "$server" -q -c "CREATE DATABASE \"$name\""

# One transaction: either the whole dump is restored, or nothing is.
pg_restore --no-owner --no-acl --exit-on-error --single-transaction --dbname="$target" "$dump"
echo "restore: restored $dump into $name"

here="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$here/.venv/bin/python}"
DATABASE_URL="$target" "$python" "$here/manage.py" migrate --check --noinput >/dev/null \
  || { echo "restore: the restored schema is behind the code: run migrate against $name" >&2; exit 1; }
DATABASE_URL="$target" "$python" "$here/manage.py" audit_verify
