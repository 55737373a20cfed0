#!/usr/bin/env bash
# An edge over a lossy path: between the origin and the edge a relay loses one video packet in
# 25 (tests/e2e/lib/lossy_udp_proxy.py; this kernel has no netem). The edge asks the origin for
# each lost packet (NACK) and relays the retransmission, so its viewers (onair bench, full
# WebRTC clients) get every packet, some late, and none lost. TAP lines; exits non-zero on any
# failure.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-edge-loss.XXXXXX)
server_pid=
origin_pid=
proxy_pid=

. tests/e2e/lib/tap.sh

cleanup() {
    stop_onair
    [ -n "$origin_pid" ] && kill "$origin_pid" 2>/dev/null && wait "$origin_pid"
    [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid"
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

scripts/make-demo-media "$work" >/dev/null 2>&1
read -r origin_port edge_port origin_media < <(free_ports 3)
read -r _ edge_media < <(free_ports 2)
origin="http://127.0.0.1:$origin_port"

# The origin's media port is bound to 127.0.0.1 and announced as 127.0.0.2, where the relay
# listens: the edge's ICE, DTLS and media all go through it. The edge's offer names VP8 96.
/usr/bin/python3 tests/e2e/lib/lossy_udp_proxy.py 127.0.0.2 "$origin_media" 127.0.0.1 \
    "$origin_media" 96 25 >"$work/proxy.log" 2>&1 &
proxy_pid=$!
wait_for 5 grep -q "^ready" "$work/proxy.log"
check $? "the lossy relay listens on 127.0.0.2:$origin_media"

base=$origin
start_onair "$work/origin.log" --listen "127.0.0.1:$origin_port" --media-bind 127.0.0.1 \
    --media-port "$origin_media" --public-ip 127.0.0.2 --source "demo=$work/demo.webm"
origin_pid=$server_pid
base="http://127.0.0.1:$edge_port"
start_onair "$work/edge.log" --listen "127.0.0.1:$edge_port" --media-port "$edge_media" \
    --public-ip 127.0.0.1 --source "relay=whep://127.0.0.1:$origin_port/whep/demo"

live() { curl -s "$base/api/streams/relay" | grep -q '"live":true'; }
wait_for 10 live
check $? "the edge relays the origin's stream through the lossy path"

"$ONAIR" bench "$base/whep/relay" --viewers 2 --seconds 8 --json >"$work/bench.json" \
    2>"$work/bench.err"
resent=$(curl -s "$origin/metrics" | awk '/^onair_retransmissions_total/ {print $2}')
asked=$(curl -s "$base/metrics" | awk '/^onair_publisher_nacked_packets_total/ {print $2}')
kill "$proxy_pid"
wait "$proxy_pid"
proxy_pid=
/usr/bin/python3 - "$work/bench.json" "$work/proxy.log" "${resent:-0}" "${asked:-0}" <<'PY'
import json, re, sys
r = json.loads(open(sys.argv[1]).read() or "{}")
m = re.search(r"rtp (\d+) dropped (\d+)", open(sys.argv[2]).read())
dropped = int(m.group(2)) if m else 0
resent, asked = int(float(sys.argv[3])), int(float(sys.argv[4]))
checks = [
    (r.get("connected") == 2 and r.get("with_video") == 2
     and r.get("min_packets_per_viewer", 0) > 1000,
     f"2 viewers of the edge received video ({r.get('min_packets_per_viewer')} packets or more)"),
    (dropped >= 20, f"the path lost video packets ({dropped} of {m.group(1) if m else '?'})"),
    # The two servers' counters are read a moment apart, while the stream goes on.
    (asked >= 20 and abs(resent - asked) <= 2,
     f"the edge asked for them (its /metrics: {asked}), the origin resent them ({resent})"),
    # A gap per viewer at most: a packet lost in the run's last milliseconds, its repair after.
    (r.get("sequence_gaps", 99) <= 2,
     f"the viewers lost nothing: {r.get('sequence_gaps')} sequence numbers never received"),
    (r.get("late_packets", 0) >= 20,
     f"the repairs reached them, late ({r.get('late_packets')} packets)"),
    (r.get("srtp_auth_failures", 1) == 0, "every packet authenticated"),
]
for good, what in checks:
    print(("ok" if good else "not ok") + " - " + what)
sys.exit(0 if all(good for good, _ in checks) else 1)
PY
[ $? = 0 ] || failed=1

stop_onair
check $? "the edge exits 0 on SIGTERM"
kill "$origin_pid"
wait "$origin_pid"
check $? "the origin exits 0 on SIGTERM"
origin_pid=
! grep -q "runtime error\|AddressSanitizer\|ThreadSanitizer" "$work"/*.log
check $? "no sanitizer report in any log"
exit "$failed"
