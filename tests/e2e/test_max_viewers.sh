#!/usr/bin/env bash
# onair serve --max-viewers: a server with its limit of viewers refuses the next WHEP offer
# with 503, Retry-After and the reason, before reading the offer; the viewers it has keep
# their video; once they leave, offers are read again. TAP lines.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-maxviewers.XXXXXX)
server_pid=
bench_pid=

. tests/e2e/lib/tap.sh
cleanup() {
    [ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null
    stop_onair
    rm -rf "$work"
}
trap cleanup EXIT

start_demo_server "$work/serve.log" --max-viewers 2

# Two viewers, the limit, watch for 8 s.
"$ONAIR" bench "$base/whep/demo" --viewers 2 --ramp 10 --seconds 8 --json >"$work/bench.json" 2>"$work/bench.err" &
bench_pid=$!
viewers() { curl -s "$base/api/streams/demo" | grep -q "\"viewers\": *$1"; }
wait_for 10 viewers 2
check $? "two viewers are watching"

# A third offer is refused for the limit before it is read: even this one, which is no SDP.
curl -s -D "$work/full.headers" -o "$work/full.body" -H 'Content-Type: application/sdp' \
    --data-binary 'not an offer' "$base/whep/demo"
grep -q "^HTTP/1.1 503" "$work/full.headers"
check $? "a third WHEP offer gets 503: $(head -1 "$work/full.headers" | tr -d '\r')"
grep -qi "^Retry-After: *10" "$work/full.headers"
check $? "with Retry-After"
grep -qi "^Access-Control-Expose-Headers:.*Retry-After" "$work/full.headers"
check $? "which a player on another site may read (Access-Control-Expose-Headers)"
grep -q "limit of 2 viewers (--max-viewers)" "$work/full.body"
check $? "and the reason: $(cat "$work/full.body")"
# A real viewer is refused the same way, and says so.
"$ONAIR" bench "$base/whep/demo" --viewers 1 --seconds 1 >"$work/third.out" 2>"$work/third.err"
[ $? -ne 0 ] && grep -q "503" "$work/third.err" && grep -q "limit of 2 viewers" "$work/third.err"
check $? "a third onair bench viewer is refused with the reason: $(grep -m1 503 "$work/third.err")"
refused=$(curl -s "$base/metrics" | awk '$1 == "onair_viewers_refused_total" {print $2}')
[ "$refused" = 2 ]
check $? "/metrics counts the two refusals: onair_viewers_refused_total $refused"

wait "$bench_pid"
check $? "the two viewers got video throughout: $(cat "$work/bench.json")"
bench_pid=
python3 - "$work/bench.json" <<'PY'
import json, sys
sys.path.insert(0, "tests/e2e/lib")
from tapcheck import report
r = json.load(open(sys.argv[1]))
report([(r["connected"] == 2 and r["sequence_gaps"] == 0 and r["min_packets_per_viewer"] > 500,
         f"the refusals cost them nothing: {r['min_packets_per_viewer']} packets a viewer, no gap")])
PY
[ $? -eq 0 ] || failed=1

# They left (onair bench ends its sessions with DELETE): offers are read again.
wait_for 5 viewers 0
status=$(curl -s -o "$work/after.body" -w '%{http_code}' -H 'Content-Type: application/sdp' \
    --data-binary 'not an offer' "$base/whep/demo")
[ "$status" = 400 ] && grep -q "malformed SDP offer" "$work/after.body"
check $? "with the viewers gone, an offer is read again (this one is malformed: $status)"

stop_onair
check $? "the server stops cleanly"
grep -qi "sanitizer\|runtime error" "$work"/*.log "$work"/*.err
[ $? -ne 0 ]
check $? "no sanitizer report"
exit $failed
