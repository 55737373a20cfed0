#!/usr/bin/env bash
# onair serve --max-load: while the media loop was busier than the bound over the last second,
# the next WHEP offer is refused with 503, Retry-After and the reason; the viewers it took keep
# their video; once the load is gone, offers are read again. The load is real: a crowd of
# onair bench viewers joining (their handshakes) and watching. TAP lines.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-maxload.XXXXXX)
server_pid=
bench_pid=

. tests/e2e/lib/tap.sh
cleanup() {
    [ -n "$bench_pid" ] && kill "$bench_pid" 2>/dev/null
    stop_onair
    rm -rf "$work"
}
trap cleanup EXIT

# 8 %: the demo stream alone keeps the loop under 1 % busy (2 % under the sanitizers); 300
# viewers joining at 100 a second, 20-30 % (plain build; more under the sanitizers).
start_demo_server "$work/serve.log" --max-load 8
busy() { curl -s "$base/metrics" | awk '$1 == "onair_loop_busy_ratio" {print $2}'; }
below() { awk -v busy="$(busy)" -v bound="$1" 'BEGIN { exit !(busy != "" && busy < bound) }'; }
offer() { # status of a WHEP offer that is no SDP: 400 when read, 503 when refused before
    curl -s -D "$work/$1.headers" -o "$work/$1.body" -w '%{http_code}' \
        -H 'Content-Type: application/sdp' --data-binary 'not an offer' "$base/whep/demo"
}

wait_for 5 below 0.08
check $? "the server with its stream alone is under 8 % busy: onair_loop_busy_ratio $(busy)"
"$ONAIR" bench "$base/whep/demo" --viewers 1 --seconds 2 >"$work/first.out" 2>"$work/first.err"
check $? "and takes a viewer"
wait_for 5 below 0.08

"$ONAIR" bench "$base/whep/demo" --viewers 300 --ramp 100 --seconds 8 --json \
    >"$work/bench.json" 2>"$work/bench.err" &
bench_pid=$!
# An offer while the crowd loads the loop: retried until one lands in a busy second (the ramp
# takes 3 s, the crowd stays 8).
status=
for _ in $(seq 100); do
    status=$(offer busy)
    [ "$status" = 503 ] && break
    sleep 0.1
done
[ "$status" = 503 ]
check $? "an offer while the loop is busy gets 503: $(head -1 "$work/busy.headers" | tr -d '\r')"
grep -qi "^Retry-After: *10" "$work/busy.headers"
check $? "with Retry-After"
grep -q "the server is busy: its media loop was [0-9]* % busy over the last second (--max-load 8)" \
    "$work/busy.body"
check $? "and the reason: $(cat "$work/busy.body")"
curl_refusals=$(grep -l "^HTTP/1.1 503" "$work"/busy.headers | wc -l)

wait "$bench_pid"
bench_pid=
refused=$(grep -c "503.*the server is busy" "$work/bench.err")
python3 - "$work/bench.json" "$refused" <<'PY'
import json, sys
sys.path.insert(0, "tests/e2e/lib")
from tapcheck import report
r, refused = json.load(open(sys.argv[1])), int(sys.argv[2])
report([
    (refused > 0 and r["connected"] > 0 and r["connected"] + refused == 300,
     f"of 300 viewers joining, {r['connected']} were taken and {refused} refused for the load"),
    (r["with_video"] == r["connected"] and r["sequence_gaps"] == 0
     and r["packets"] > 300 * r["connected"],
     f"the viewers taken got video throughout: {r['with_video']} of them video, "
     f"{r['packets'] // max(r['connected'], 1)} packets each on average, "
     f"{r['sequence_gaps']} gaps"),
])
PY
[ $? -eq 0 ] || failed=1
counted=$(curl -s "$base/metrics" | awk '$1 == "onair_viewers_refused_busy_total" {print $2}')
[ "$counted" = $((refused + curl_refusals)) ]
check $? "/metrics counts each refusal: onair_viewers_refused_busy_total $counted ($refused \
viewers, $curl_refusals offer)"

# The crowd left (onair bench ends its sessions with DELETE): the load goes, offers are read.
wait_for 5 below 0.08
check $? "with the crowd gone the loop is under 8 % busy again: $(busy)"
status=$(offer after)
[ "$status" = 400 ] && grep -q "malformed SDP offer" "$work/after.body"
check $? "and an offer is read again (this one is malformed: $status)"

stop_onair
check $? "the server stops cleanly"
grep -qi "sanitizer\|runtime error" "$work"/*.log "$work"/*.err
[ $? -ne 0 ]
check $? "no sanitizer report"
exit $failed
