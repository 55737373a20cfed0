#!/usr/bin/env bash
# An edge: `onair serve --source NAME=whep://ORIGIN/whep/STREAM` watches another server's stream
# and relays it as NAME. Its viewers get the origin's frames while the origin sees one viewer;
# a private stream is watched with the token in the URL (wheps://:TOKEN@...), a wrong token is
# refused with the origin's reason; when the origin goes away the stream ends, and it comes
# back when the origin does, after a crash too. TAP lines; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-edge.XXXXXX)
server_pid=
origin_pid=

. tests/e2e/lib/tap.sh

cleanup() {
    stop_onair
    [ -n "$origin_pid" ] && kill "$origin_pid" 2>/dev/null && wait "$origin_pid"
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

scripts/make-demo-media "$work" >/dev/null 2>&1
read -r origin_port edge_port origin_media < <(free_ports 3)
read -r _ edge_media < <(free_ports 2)
origin="http://127.0.0.1:$origin_port"
# start_origin N: the origin, as start_onair starts a server (its log originN.log), kept aside as
# origin_pid: the edge stays the server (base, server_pid) of the checks and of stop_onair.
start_origin() {
    local edge=${base:-} edge_pid=$server_pid
    base=$origin
    start_onair "$work/origin$1.log" --listen "127.0.0.1:$origin_port" --media-port "$origin_media" \
        --public-ip 127.0.0.1 --source "demo=$work/demo.webm" --source "private=$work/demo.webm" \
        --watch-token private=look-at-the-private-one
    origin_pid=$server_pid
    server_pid=$edge_pid
    base=$edge
}
base=
start_origin 1
base="http://127.0.0.1:$edge_port"
start_onair "$work/edge.log" --listen "127.0.0.1:$edge_port" --media-port "$edge_media" \
    --public-ip 127.0.0.1 --source "relay=whep://127.0.0.1:$origin_port/whep/demo" \
    --source "secret=whep://:look-at-the-private-one@127.0.0.1:$origin_port/whep/private" \
    --source "refused=whep://:a-wrong-token@127.0.0.1:$origin_port/whep/private"

live() { curl -s "$1/api/streams/$2" | grep -q '"live":true'; }
# frames FILE: the video frames in a recording.
frames() { ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames -of csv=p=0 "$1" 2>/dev/null || echo 0; }

wait_for 10 live "$base" relay
check $? "the edge's relay goes live from the origin's demo"
"$ONAIR" record "$base/whep/relay" "$work/a.mkv" --duration 3 >"$work/record-a.log" 2>&1 &
a=$!
"$ONAIR" record "$base/whep/relay" "$work/b.mkv" --duration 3 >"$work/record-b.log" 2>&1
b_status=$?
wait "$a"
a_status=$?
fa=$(frames "$work/a.mkv")
fb=$(frames "$work/b.mkv")
check "$([ "$a_status" = 0 ] && [ "$b_status" = 0 ] && [ "$fa" -ge 60 ] && [ "$fb" -ge 60 ]; echo $?)" \
    "two viewers of the edge each record the origin's video ($fa and $fb frames in 3 s)"
viewers=$(curl -s "$origin/api/streams/demo" | sed -n 's/.*"viewers":\([0-9]*\).*/\1/p')
check "$([ "$viewers" = 1 ]; echo $?)" "the origin sees one viewer, the edge ($viewers)"

wait_for 10 live "$base" secret
check $? "a private stream is relayed with the token in its URL"
check "$(! live "$base" refused && grep -q "source refused: whep://:\*\*\*@127.0.0.1:$origin_port/whep/private: .*401.*trying again" "$work/edge.log" &&
    ! grep -q "a-wrong-token" "$work/edge.log"; echo $?)" \
    "with a wrong token: not live, the origin's 401 logged (the token hidden), tried again"

kill "$origin_pid"
wait "$origin_pid"
origin_pid=
wait_for 15 bash -c "! curl -s '$base/api/streams/relay' | grep -q '\"live\":true'"
check $? "when the origin goes away, the relay ends"
start_origin 2
wait_for 20 live "$base" relay
check $? "and it comes back when the origin does"
"$ONAIR" record "$base/whep/relay" "$work/c.mkv" --duration 2 >"$work/record-c.log" 2>&1
fc=$(frames "$work/c.mkv")
check "$([ "$fc" -ge 30 ]; echo $?)" "a viewer of the edge records it again ($fc frames in 2 s)"

# A crash sends no DTLS close. The origin, back on its ports, answers the edge's next consent
# check (every 5 s) with 401, as it knows no such session; the edge connects again at once
# instead of waiting out the 30 s of consent (RFC 7675).
kill -KILL "$origin_pid"
wait "$origin_pid" 2>/dev/null
origin_pid=
start_origin 3
forgot() { grep -q "source relay: .*no longer knows the session; trying again" "$work/edge.log"; }
wait_for 15 forgot
check $? "after the origin crashed and came back, the edge heard at its next consent check"
"$ONAIR" record "$base/whep/relay" "$work/d.mkv" --duration 2 >"$work/record-d.log" 2>&1
fd=$(frames "$work/d.mkv")
check "$([ "$fd" -ge 30 ]; echo $?)" "and relays the new origin's stream ($fd frames in 2 s)"

stop_onair
check $? "the edge stops cleanly"
grep -qi "sanitizer\|runtime error" "$work"/*.log
[ $? -ne 0 ]
check $? "no sanitizer report in any log"
exit "$failed"
