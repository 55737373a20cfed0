#!/usr/bin/env bash
# onair serve --config FILE: settings from the file, the command line winning over them, and the
# errors a user sees for a file that cannot be used. TAP lines; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-config.XXXXXX)
server_pid=

. tests/e2e/lib/tap.sh

cleanup() {
    stop_onair
    rm -rf "$work"
}
trap cleanup EXIT

scripts/make-demo-media "$work" >/dev/null 2>&1
read -r file_port cli_port media_port < <(free_ports 3)
cat >"$work/onair.conf" <<CONF
# the venue's settings
listen 127.0.0.1:$file_port
media-port $media_port
public-ip 127.0.0.1

source lobby=$work/demo.webm
ice-server stun:127.0.0.1:3478
CONF
base="http://127.0.0.1:$cli_port"
start_onair "$work/serve.log" --config "$work/onair.conf" --listen "127.0.0.1:$cli_port"
ok "the command line's --listen wins over the file's" # start_onair returns once $base answers
curl -s -m 1 "http://127.0.0.1:$file_port/healthz" >/dev/null
[ $? -ne 0 ]
check $? "nothing listens on the file's overridden address"
sleep 1
curl -s "$base/api/streams/lobby" | grep -q '"live": *true'
check $? "the file's source publishes stream lobby"
curl -s "$base/api/ice-servers" | grep -q 'stun:127.0.0.1:3478'
check $? "the file's ice-server reaches /api/ice-servers"
grep -q "media UDP port $media_port" "$work/serve.log"
check $? "the file's media-port is used"
stop_onair
check $? "the server stops cleanly"

expect_usage_error() {
    local name=$1 pattern=$2
    shift 2
    "$@" >"$work/bad.log" 2>&1
    local rc=$?
    [ "$rc" -eq 2 ] && grep -q "$pattern" "$work/bad.log"
    check $? "$name: exit $rc, $(head -1 "$work/bad.log")"
}
printf 'listen 127.0.0.1:1\nrecord-everything yes\n' >"$work/unknown.conf"
expect_usage_error "an unknown setting names its line" "unknown.conf, line 2: unknown setting 'record-everything'" \
    "$ONAIR" serve --config "$work/unknown.conf"
printf -- '--listen 127.0.0.1:1\n' >"$work/dashes.conf"
expect_usage_error "a setting written as an option" "line 1: write the setting's name without dashes" \
    "$ONAIR" serve --config="$work/dashes.conf"
expect_usage_error "a missing config file" "cannot read the config file $work/missing.conf" \
    "$ONAIR" serve --config "$work/missing.conf"

grep -qi "sanitizer\|runtime error" "$work"/*.log
[ $? -ne 0 ]
check $? "no sanitizer report in any log"
exit $failed
