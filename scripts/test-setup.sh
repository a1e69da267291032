#!/usr/bin/env bash
# System packages the tests need: Chromium (browser tests), GNU gettext (the translation-completeness
# test extracts strings with xgettext) and PostgreSQL's client tools (pg_dump/pg_restore: the backup
# tests). Installed from Debian's packages when missing and we may do so.
set -u
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "test-setup: missing ${missing[*]} and cannot install them (not root); those tests will be skipped" >&2
    exit 0
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test-setup: missing ${missing[*]}; install them with your package manager" >&2
  exit 0
fi
echo "test-setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
