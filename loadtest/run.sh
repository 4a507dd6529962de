#!/usr/bin/env bash
# The bounded load test behind `make loadtest` (results in docs/operations.md): a throwaway SQLite
# database with a demo network, gunicorn on 127.0.0.1, then 20 simulated admins (locust, headless)
# browsing the customer list, searching it and opening customer pages for 45 seconds.
# Everything stays on this machine and stops by itself; CI doesn't run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
port="${LOADTEST_PORT:-8399}"

tmp="$(mktemp -d)"
cleanup() {
  if [[ -f "$tmp/gunicorn.pid" ]]; then kill "$(cat "$tmp/gunicorn.pid")" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

random() { "$bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))'; }
# Production settings (DEBUG off, compressed static files), except cookies over plain HTTP: the
# server is reached at http://127.0.0.1, without a TLS proxy in front.
export DATABASE_URL="sqlite:///$tmp/load.sqlite3" ENV_FILE="$tmp/no.env" DEBUG=false \
  SECURE_COOKIES=false ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING SECRET_KEY="$(random)"
export LOADTEST_USERNAME=loadtest LOADTEST_PASSWORD="$(random)"

echo "== Preparing a throwaway database with a demo network"
"$bin/python" manage.py migrate --no-input -v0
"$bin/python" manage.py seed_demo --customers 500 --seed 1 -v0
DJANGO_SUPERUSER_PASSWORD="$LOADTEST_PASSWORD" "$bin/python" manage.py createsuperuser \
  --no-input --username "$LOADTEST_USERNAME" --email loadtest@example.com >/dev/null
"$bin/python" manage.py collectstatic --no-input -v0

echo "== Starting gunicorn on 127.0.0.1:$port"
"$bin/gunicorn" network_admin.wsgi --bind "127.0.0.1:$port" --worker-class gthread \
  --workers 2 --threads 4 --pid "$tmp/gunicorn.pid" --log-level warning &
for _ in $(seq 50); do
  "$bin/python" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/healthz')" \
    2>/dev/null && break
  sleep 0.2
done

echo "== 20 admins for 45 s"
"$bin/locust" -f loadtest/locustfile.py --headless --users 20 --spawn-rate 5 --run-time 45s \
  --host "http://127.0.0.1:$port" --only-summary --stop-timeout 5
