#!/usr/bin/env bash
# Who may change a stream: one with a publish token is changed with that token from anywhere; one
# anyone may publish to is changed only from the server's own machine, so that a stranger who
# reaches an open server cannot stop its recordings, delete its files or end its broadcasts,
# while reading (the API, the pages) stays open; nor can a page of another site in a browser on
# the server's machine. The server runs in a network namespace of the test's; a second one,
# joined to it by a veth pair, is the other machine. TAP lines; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-manage.XXXXXX)
server_pid=
srv=onair-mgr-$$-srv
cli=onair-mgr-$$-cli

. tests/e2e/lib/tap.sh

cleanup() {
    stop_onair
    ip netns del "$srv" 2>/dev/null
    ip netns del "$cli" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$srv" && ip netns add "$cli" &&
    ip link add mgr$$a netns "$srv" type veth peer name mgr$$b netns "$cli" &&
    ip -n "$srv" addr add 10.78.0.1/24 dev mgr$$a && ip -n "$cli" addr add 10.78.0.2/24 dev mgr$$b &&
    ip -n "$srv" link set mgr$$a up && ip -n "$cli" link set mgr$$b up &&
    ip -n "$srv" link set lo up
check $? "two network namespaces joined by a veth pair" || exit 1

scripts/make-demo-media "$work" >/dev/null 2>&1
mkdir -p "$work/rec"
# start_onair runs $ONAIR serve and polls $base from here: both go into the server's namespace.
real_onair=$ONAIR
ONAIR="$work/onair-in-srv"
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$srv" "$(realpath "$real_onair")" >"$ONAIR"
chmod +x "$ONAIR"
curl() { ip netns exec "$srv" "$(command -v curl)" "$@"; }
base="http://127.0.0.1:8080"
start_onair "$work/serve.log" --listen "[::]:8080" --media-port 8443 --public-ip 10.78.0.1 \
    --source "demo=$work/demo.webm" --record-dir "$work/rec" --record cam --publish-token cam=cam-publish-token-of-24
unset -f curl

# ask WHERE METHOD PATH [TOKEN [HEADER]]: the status and the body, on one line, of a request from
# the server's machine (local) or the other one (remote).
ask() {
    local ns=$srv url=http://127.0.0.1:8080$3
    if [ "$1" = remote ]; then
        ns=$cli
        url=http://10.78.0.1:8080$3
    fi
    local args=()
    [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
    [ -n "${5:-}" ] && args+=(-H "$5")
    [ "$2" = PUT ] && args+=(-H 'Content-Type: application/json' -d '{"enabled": false}')
    ip netns exec "$ns" curl -s -m 5 -X "$2" "${args[@]}" -w ' %{http_code}' "$url"
}

reply=$(ask remote GET /api/streams)
check "$([[ "$reply" == *'"name":"demo"'*' 200' ]]; echo $?)" "from the other machine, GET /api/streams lists the open stream"
for what in "POST /api/streams/demo/recording|starting or stopping the recording of" \
    "PUT /api/streams/demo/chat|switching the chat of" \
    "DELETE /api/streams/demo|ending the broadcast of"; do
    request=${what%|*}
    reply=$(ask remote $request)
    check "$([[ "$reply" == *"${what#*|} 'demo' is done from the server's own machine: the stream has no publish token (--publish-token) to send"*' 403' ]]; echo $?)" \
        "from the other machine, $request of the open stream: 403 with the reason"
    [[ "$reply" == *' 403' ]] || echo "#   $reply"
done
reply=$(ask remote GET /api/recordings)
check "$([[ "$reply" == *'"recordings":[]'*' 200' ]]; echo $?)" "and no recording was started"

reply=$(ask local POST /api/streams/demo/recording)
check "$([[ "$reply" == *'"active":true'*' 201' ]]; echo $?)" "from the server's own machine, POST starts the recording: 201"
file=$(echo "$reply" | sed -n 's/.*"file":"\([^"]*\)".*/\1/p')
# The file is made at the source's next keyframe: stopping before it would leave none.
wait_for 10 test -s "$work/rec/$file"
reply=$(ask local DELETE /api/streams/demo/recording)
check "$([[ "$reply" == *' 200' ]]; echo $?)" "and DELETE stops it: 200"
sleep 0.5
reply=$(ask remote DELETE "/api/recordings/$file")
check "$([[ "$reply" == *"deleting the recordings of 'demo' is done from the server's own machine"*' 403' ]] &&
    [ -e "$work/rec/$file" ]; echo $?)" "from the other machine, DELETE of its file: 403, and the file stays"
reply=$(ask local DELETE "/api/recordings/$file")
check "$([[ "$reply" == *'"deleted":true'*' 200' ]] && [ ! -e "$work/rec/$file" ]; echo $?)" \
    "from the server's own machine, DELETE removes it"
reply=$(ask local DELETE /api/streams/demo/recording "" "X-Forwarded-For: 203.0.113.9")
check "$([[ "$reply" == *"is done from the server's own machine"*' 403' ]]; echo $?)" \
    "a request a proxy on the server's machine forwarded (X-Forwarded-For) is not the machine's own: 403"
# A browser on the server's machine connects from loopback too, for whatever page it shows: a
# page of another site (its Origin), or of a name rebound to 127.0.0.1 (its Host), is not the
# machine's own; the server's own page is.
reply=$(ask local POST /api/streams/demo/recording "" "Origin: https://evil.example")
check "$([[ "$reply" == *"is done from the server's own machine"*' 403' ]]; echo $?)" \
    "a page of another site in a browser on the server's machine (Origin): 403" || echo "#   $reply"
reply=$(ask local PUT /api/streams/demo/chat "" "Host: evil.example:8080")
check "$([[ "$reply" == *"is done from the server's own machine"*' 403' ]]; echo $?)" \
    "a name rebound to 127.0.0.1 (Host evil.example): 403" || echo "#   $reply"
reply=$(ask local PUT /api/streams/demo/chat "" "Origin: http://127.0.0.1:8080")
check "$([[ "$reply" == *'"chat":false'*' 200' ]]; echo $?)" \
    "the server's own page (Origin http://127.0.0.1:8080) switches the chat: 200" || echo "#   $reply"
reply=$(ask local DELETE /api/streams/demo)
check "$([[ "$reply" == *'(--source): it ends with the server'*' 409' ]]; echo $?)" \
    "ending a --source's broadcast: 409, it ends with the server"

# A stream with a publish token: its token from anywhere, nothing without it.
reply=$(ask remote DELETE /api/streams/cam)
check "$([[ "$reply" == *"ending the broadcast of 'cam' needs a token"*' 401' ]]; echo $?)" \
    "a stream with a publish token, from the other machine without it: 401"
reply=$(ask local DELETE /api/streams/cam)
check "$([[ "$reply" == *' 401' ]]; echo $?)" "nor from the server's own machine without it: 401"
reply=$(ask remote DELETE /api/streams/cam cam-publish-token-of-24)
check "$([[ "$reply" == *'"error":"the stream has no publisher"'*' 404' ]]; echo $?)" \
    "with its token, from the other machine, the request is taken (404: cam has no publisher)"

stop_onair
check $? "the server stops cleanly"
grep -qi "sanitizer\|runtime error" "$work"/*.log
[ $? -ne 0 ]
check $? "no sanitizer report in any log"
exit "$failed"
