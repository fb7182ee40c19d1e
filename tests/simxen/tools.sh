#! /bin/sh
# Copyright (c) 2026 The openvswitch-linc authors.
# Licensed under the Apache License, Version 2.0.
#
# The simxen daemon binary as an OVS-style daemon (--detach, --pidfile,
# --log-file, SIGTERM) driven by Xen's stock xenstore-* tools.  Skipped
# (exit 77) when xenstore-utils is not installed.

set -e
SIMXEN=${SIMXEN:-./utilities/simxen/simxen}
for tool in xenstore-write xenstore-read xenstore-ls xenstore-watch; do
    command -v "$tool" >/dev/null || { echo "no $tool: skipped"; exit 77; }
done

dir=$(mktemp -d /tmp/simxen-tools-XXXXXX)
cleanup () {
    if test -f "$dir/pid"; then kill "$(cat "$dir/pid")" 2>/dev/null || :; fi
    rm -rf "$dir"
}
trap cleanup EXIT
fail () { echo "FAIL: $*" >&2; cat "$dir/log" >&2 || :; exit 1; }

"$SIMXEN" --socket="$dir/s" --pidfile="$dir/pid" --log-file="$dir/log" \
    --detach || fail "simxen did not start"
pid=$(cat "$dir/pid")
kill -0 "$pid" || fail "pidfile names no process"
export XENSTORED_PATH="$dir/s/xenstored"

xenstore-write /a/b c || fail "xenstore-write"
test "$(xenstore-read /a/b)" = c || fail "xenstore-read"
xenstore-write /a/d "two words" /a/e/f g || fail "xenstore-write pairs"
xenstore-ls / > "$dir/ls" || fail "xenstore-ls"
grep -q '^ b = "c"' "$dir/ls" || fail "xenstore-ls lacks /a/b: $(cat "$dir/ls")"
grep -q '^  f = "g"' "$dir/ls" || fail "xenstore-ls lacks /a/e/f"
test "$(xenstore-list /a | tr '\n' ' ')" = "b d e " || fail "xenstore-list"
xenstore-exists /a/e/f || fail "xenstore-exists"
if xenstore-read /a/nope 2>/dev/null; then fail "read of a missing key"; fi
xenstore-chmod /a/b n0 r3 || fail "xenstore-chmod"
xenstore-ls -p /a | grep -q 'n0,r3' || fail "permissions not kept"
xenstore-rm /a || fail "xenstore-rm"
if xenstore-exists /a/b; then fail "rm is not recursive"; fi
test "$(xenstore-list /local/domain)" = 0 || fail "domain 0 missing"

# Watches: the initial event, then one per write below the path.
xenstore-watch -n 3 /w > "$dir/watch" &
wpid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
    test -s "$dir/watch" && break
    sleep 0.1
done
xenstore-write /w/x 1
xenstore-write /w/y 2
i=0
while kill -0 "$wpid" 2>/dev/null && test $i -lt 50; do
    sleep 0.1; i=$((i + 1))
done
wait "$wpid" || fail "xenstore-watch failed"
test "$(tr '\n' ' ' < "$dir/watch")" = "/w /w/x /w/y " ||
    fail "watch events: $(cat "$dir/watch")"

# SIGTERM: a clean exit that removes the pidfile and the sockets.
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && test $i -lt 50; do
    sleep 0.1; i=$((i + 1))
done
if kill -0 "$pid" 2>/dev/null; then fail "still running after SIGTERM"; fi
test ! -e "$dir/pid" || fail "pidfile left behind"
test ! -e "$dir/s/xenstored" || fail "socket left behind"
grep -q 'exiting$' "$dir/log" || fail "no clean exit in the log"
echo "simxen with the xenstore tools: ok"
