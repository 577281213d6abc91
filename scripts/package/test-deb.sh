#!/usr/bin/env bash
# The Debian package on this machine, for real (CI runs it as root after `make test`; docs/operations.md):
# install it, check the user, folder, configuration and unit, start the unit's command line as the caslite
# user from the installed configuration, answer calls (caslite call; swat over REST when .venv has it),
# reinstall without losing data, then purge and leave the machine as it was.
set -euo pipefail
deb=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "test-deb: needs root (dpkg -i)"; exit 1; }
had_user=$(getent passwd caslite >/dev/null && echo yes || echo no)
had_data=$([ -e /var/lib/caslite ] && echo yes || echo no)
dpkg -s caslite >/dev/null 2>&1 && { echo "test-deb: caslite is already installed here; not touching it"; exit 1; }
for port in 5570 5571; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "test-deb: port $port is in use (the installed configuration needs it)"; exit 1; fi
done
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  dpkg --purge caslite >/dev/null 2>&1 || true
  [ "$had_data" = no ] && rm -rf /var/lib/caslite
  [ "$had_user" = no ] && getent passwd caslite >/dev/null && userdel caslite 2>/dev/null || true
}
trap cleanup EXIT
pass=0 fail=0
check() {  # check "what" command...
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); echo "ok: $what"; else fail=$((fail + 1)); echo "FAILED: $what"; fi
}

dpkg-deb --info "$deb" | sed -n 's/^ Depends:/Depends:/p'
dpkg -i "$deb" >/dev/null
check "the caslite system user" bash -c 'getent passwd caslite | grep -q ":/var/lib/caslite:/usr/sbin/nologin$"'
check "/var/lib/caslite is 0700 caslite:caslite" bash -c '[ "$(stat -c %a:%U:%G /var/lib/caslite)" = 700:caslite:caslite ]'
check "the installed configuration is valid" /usr/bin/caslite config check /etc/caslite/caslite.toml
check "the unit is hardened" bash -c 'for k in "User=caslite" "ProtectSystem=strict" "NoNewPrivileges=yes" "Restart=on-failure" "KillSignal=SIGTERM"; do grep -qx "$k" /lib/systemd/system/caslite.service || exit 1; done'
if command -v systemd-analyze >/dev/null; then
  check "systemd-analyze verify caslite.service" bash -c 'out=$(systemd-analyze verify /lib/systemd/system/caslite.service 2>&1); echo "$out" | grep -i caslite.service && exit 1; exit 0'
else
  echo "skipped: systemd-analyze verify (systemd-analyze is not installed)"
fi

# the unit's command line, as the unit's user, in its working folder
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/caslite.service)
echo "alice-pw-123" | runuser -u caslite -- /usr/bin/caslite users add alice --data /var/lib/caslite --password-stdin >/dev/null
log=$(mktemp)
(cd /var/lib/caslite && exec runuser -u caslite -- $exec_start) >"$log" 2>&1 &
server=$!
for _ in $(seq 1 150); do grep -q "listening on" "$log" && break; sleep 0.2; done
check "the server started from /etc/caslite/caslite.toml" grep -q "listening on 127.0.0.1:5570, data /var/lib/caslite" "$log"
check "/healthz" bash -c 'curl -sf http://127.0.0.1:5571/healthz | grep -q alive'
check "/readyz" bash -c 'curl -sf http://127.0.0.1:5571/readyz | grep -q ready'
check "a JSON-lines call" env CASLITE_USER=alice CASLITE_PASSWORD=alice-pw-123 /usr/bin/caslite call --server 127.0.0.1:5570 builtins.serverStatus
check "the log is JSON lines" bash -c "grep -q '^{\"time\"' '$log'"
if [ -x "$root/.venv/bin/python" ]; then
  check "a swat call over REST" "$root/.venv/bin/python" -c "
import swat
s = swat.CAS('http://127.0.0.1:5571', username='alice', password='alice-pw-123')
r = s.builtins.serverStatus()
assert r.severity == 0, r
s.close()"
else
  echo "skipped: the swat call (no .venv; make test-python makes it)"
fi
check "data files belong to caslite and are private" bash -c '[ "$(stat -c %a:%U /var/lib/caslite/server.sqlite)" = 600:caslite ]'
[ "$fail" = 0 ] || { echo "== the server's log:"; tail -20 "$log"; }
kill "$server"; wait "$server" || true; server=""

dpkg -i "$deb" >/dev/null
check "reinstalling keeps the data" bash -c 'runuser -u caslite -- /usr/bin/caslite users list --data /var/lib/caslite | grep -q alice'
dpkg --purge caslite >/dev/null 2>&1
check "purging keeps the data" test -s /var/lib/caslite/server.sqlite
check "purging removes the configuration" test ! -e /etc/caslite/caslite.toml
echo "test-deb: $pass passed, $fail failed"
[ "$fail" = 0 ]
