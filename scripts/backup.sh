#!/usr/bin/env bash
# Back up the xinshimin database: a pg_dump in custom format (compressed, restorable table by table).
#
#   DATABASE_URL=postgres://user@host:5432/xinshimin scripts/backup.sh [OUTPUT_FILE]
#
# Without OUTPUT_FILE the dump goes to $XINSHIMIN_BACKUP_DIR (default var/backups) as
# xinshimin-YYYYmmddTHHMMSSZ.dump, with a .sha256 next to it. The dump holds personal data (encrypted
# columns, blind indexes, OTP secrets): store it encrypted, with the same care as the database, and never
# together with the field-encryption keys (XINSHIMIN_FIELD_KEYS). See docs/operations.md.
set -euo pipefail

if [[ -z "${DATABASE_URL:-}" ]]; then
  echo "backup: set DATABASE_URL to the PostgreSQL database to back up (postgres://user@host:port/name)" >&2
  exit 2
fi
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "backup: DATABASE_URL must be a PostgreSQL URL; SQLite development databases are not backed up" >&2; exit 2 ;;
esac

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="${1:-${XINSHIMIN_BACKUP_DIR:-var/backups}/xinshimin-$stamp.dump}"
mkdir -p "$(dirname "$out")"
umask 077
tmp="$out.partial"
trap 'rm -f "$tmp"' EXIT

# --no-owner/--no-acl: the dump restores into a database owned by whoever restores it.
pg_dump --format=custom --compress=6 --no-owner --no-acl --file="$tmp" --dbname="$DATABASE_URL"
mv "$tmp" "$out"
trap - EXIT
(cd "$(dirname "$out")" && sha256sum "$(basename "$out")" > "$(basename "$out").sha256")
tables=$(pg_restore --list "$out" | grep -c " TABLE DATA " || true)
echo "backup: wrote $out ($(du -h "$out" | cut -f1), $tables tables)"
