#!/usr/bin/env bash
# A stream with a watch token is private, whoever may publish to it: a server with
# --watch-token for "demo" and no publish token (anyone may publish) shows demo, its recordings
# and their bytes only to a request with the watch token. A .mkv whose name names no stream (put
# in the directory by hand, or renamed) is not an open stream's: a server with tokens neither
# lists nor serves it. The server warns at start that anyone may publish to demo, and does not
# once demo has a publish token. TAP lines; exits non-zero on any failure. ONAIR names the binary.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-private-rec.XXXXXX)
server_pid=

. tests/e2e/lib/tap.sh

cleanup() {
    stop_onair
    rm -rf "$work"
}
trap cleanup EXIT

token=demo-watch-token-of-24-chars
mkdir -p "$work/rec"
echo "notes" >"$work/rec/notes.mkv"
start_demo_server "$work/serve.log" --record-dir "$work/rec" --watch-token "demo=$token"

# ask PATH [TOKEN]: the body and the status, on one line.
ask() {
    local args=()
    [ -n "${2:-}" ] && args+=(-H "Authorization: Bearer $2")
    curl -s -m 5 "${args[@]}" -w ' %{http_code}' "$base$1"
}

# --record-dir records every live stream: demo's file is being written once its keyframe came.
check "$(grep -qF -- "--watch-token for 'demo': publishing to it needs no token" "$work/serve.log"
    echo $?)" "the server warns at start that anyone may go live as the private demo"
out=$("$ONAIR" serve --watch-token "demo=$token" --publish-token "demo=$token-pub" --check 2>&1)
check "$([[ "$out" != *'needs no token'* ]] && [[ "$out" == *'would do'* ]]; echo $?)" \
    "with a publish token for demo as well, no such warning" || echo "#   $out"
demo_listed() { ask /api/recordings "$token" | grep -q '"stream":"demo"'; }
wait_for 10 demo_listed
file=$(ask /api/recordings "$token" | sed -n 's/.*"file":"\(demo-[^"]*\)".*/\1/p')
check "$([ -n "$file" ]; echo $?)" "with the watch token, GET /api/recordings lists demo's recording ($file)"

reply=$(ask /api/recordings)
check "$([[ "$reply" == *'"recordings":[]'*' 200' ]]; echo $?)" \
    "without it, the listing is empty: neither demo's file nor notes.mkv" || echo "#   $reply"
reply=$(ask "/api/recordings/$file")
check "$([[ "$reply" == *"downloading the recordings of 'demo' needs a token"*' 401' ]]; echo $?)" \
    "downloading demo's file without the token: 401" || echo "#   ${reply:0:200}"
reply=$(ask /api/streams/demo)
check "$([[ "$reply" == *"seeing 'demo' needs a token"*' 401' ]]; echo $?)" \
    "GET /api/streams/demo without the token: 401" || echo "#   $reply"
reply=$(ask /api/streams)
check "$([[ "$reply" != *'"demo"'* ]] && [[ "$reply" == *' 200' ]]; echo $?)" \
    "GET /api/streams leaves demo out" || echo "#   $reply"
status=$(curl -s -m 5 -o "$work/part" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Range: bytes=0-3' "$base/api/recordings/$file")
check "$([ "$status" = 206 ] && [ "$(od -An -tx1 "$work/part" | tr -d ' ')" = 1a45dfa3 ]; echo $?)" \
    "with the token, the file downloads (Matroska's first bytes)"
reply=$(ask /api/recordings/notes.mkv "$token")
check "$([[ "$reply" == *'names no stream'*' 403' ]]; echo $?)" \
    "notes.mkv, whose name names no stream: 403, even with a stream's token" || echo "#   $reply"

stop_onair
check $? "the server stops cleanly"
grep -qi "sanitizer\|runtime error" "$work"/*.log
[ $? -ne 0 ]
check $? "no sanitizer report in any log"
exit "$failed"
