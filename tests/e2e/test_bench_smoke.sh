#!/usr/bin/env bash
# onair bench, short: a few viewers of an in-server source for a few seconds. Every viewer
# connects, gets video and audio, loses nothing, and every packet passes SRTP authentication;
# then 24 viewers of a server with two worker threads, whose fan-outs are split between them;
# then --verify-every, the generator's stated sample, --gro, its coalesced receive, and
# --srtp aes-cm, viewers without GCM.
# The long, loaded runs are bench/run-onair's, not the test suite's. TAP lines.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-bench.XXXXXX)
server_pid=

. tests/e2e/lib/tap.sh
cleanup() {
    stop_onair
    rm -rf "$work"
}
trap cleanup EXIT

start_demo_server "$work/serve.log"

"$ONAIR" bench "$base/whep/demo" --viewers 5 --ramp 10 --seconds 4 --json --server-pid "$server_pid" >"$work/bench.json" 2>"$work/bench.err"
check $? "onair bench exits 0 (every viewer connected and got video): $(cat "$work/bench.json")"
python3 - "$work/bench.json" <<'PY'
import json, sys
sys.path.insert(0, "tests/e2e/lib")
from tapcheck import report
r = json.load(open(sys.argv[1]))
checks = [
    (r["viewers"] == 5 and r["connected"] == 5 and r["with_video"] == 5, "5 viewers connected, all with video"),
    # 4 s of a ~1.5 Mbit/s VP8 + Opus clip is about 1,000 packets a viewer.
    (r["min_packets_per_viewer"] > 500, f"each viewer received over 500 packets ({r['min_packets_per_viewer']})"),
    (r["sequence_gaps"] == 0 and r["late_packets"] == 0,
     f"no sequence gap on loopback, nothing late ({r['sequence_gaps']}, {r['late_packets']})"),
    (r["srtp_auth_failures"] == 0, "every packet passed SRTP authentication"),
    (r["first_keyframe_ms"]["received"] == 5, "every viewer saw a keyframe"),
    (r["server_cpu_seconds"] > 0 and r["server_rss_kib"] > 0,
     f"the server's CPU and memory were measured ({r['server_cpu_us_per_packet']} us a packet, {r['server_rss_kib']} KiB)"),
]
report(checks)
PY
[ $? -eq 0 ] || failed=1
sleep 0.5
curl -s "$base/api/streams/demo" | grep -q '"viewers": *0'
check $? "the viewers' sessions ended with DELETE when bench finished"
stop_onair
check $? "the server stops cleanly"

# Two worker threads and 24 viewers: a frame's fan-out (24 viewers x its packets) is split
# between the loop's thread and the worker, and nothing is lost or garbled on the way. Split from
# 16 packet copies: the default (256) would keep 24 viewers' fan-outs on one thread.
start_demo_server "$work/serve2.log" --workers 2 --split-from 16
grep -q "2 fan-out threads" "$work/serve2.log"
check $? "onair serve --workers 2 says so: $(grep -o "media UDP port.*threads" "$work/serve2.log")"
"$ONAIR" bench "$base/whep/demo" --viewers 24 --ramp 24 --seconds 4 --json --server-pid "$server_pid" >"$work/bench2.json" 2>"$work/bench2.err"
check $? "onair bench of 24 viewers exits 0: $(cat "$work/bench2.json")"
curl -s "$base/metrics" >"$work/metrics2.txt"
python3 - "$work/bench2.json" "$work/metrics2.txt" <<'PY'
import json, re, sys
sys.path.insert(0, "tests/e2e/lib")
from tapcheck import report
r = json.load(open(sys.argv[1]))
m = {}
for line in open(sys.argv[2]):
    g = re.match(r'^(\w+(?:\{[^}]*\})?) (\S+)$', line)
    if g:
        m[g.group(1)] = float(g.group(2))
lane1 = m.get('onair_worker_datagrams_sent_total{worker="1"}', 0)
checks = [
    (r["connected"] == 24 and r["with_video"] == 24, "24 viewers connected, all with video"),
    (r["min_packets_per_viewer"] > 500, f"each viewer received over 500 packets ({r['min_packets_per_viewer']})"),
    (r["sequence_gaps"] == 0, f"no sequence gap with two threads sending ({r['sequence_gaps']})"),
    (r["srtp_auth_failures"] == 0, "every packet passed SRTP authentication"),
    (m.get("onair_fan_outs_split_total", 0) > 0 and m.get('onair_worker_fan_outs_total{worker="1"}', 0) > 0,
     f"fan-outs were split: {m.get('onair_fan_outs_split_total', 0):.0f} of {m.get('onair_fan_outs_total', 0):.0f}"),
    (lane1 > 24 * 100, f"the worker thread sent its share: {lane1:.0f} datagrams"),
]
report(checks)
PY
[ $? -eq 0 ] || failed=1

# --verify-every 10: a stated sample is checked, the rest counted by their headers; the count
# and the loss figure are the same kind of figure as when every packet is checked.
"$ONAIR" bench "$base/whep/demo" --viewers 3 --seconds 3 --verify-every 10 --json >"$work/bench3.json" 2>"$work/bench3.err"
check $? "onair bench --verify-every 10 exits 0"
python3 - "$work/bench3.json" <<'PY'
import json, sys
sys.path.insert(0, "tests/e2e/lib")
from tapcheck import report
r = json.load(open(sys.argv[1]))
checks = [
    (r["srtp_verify_every"] == 10 and r["srtp_auth_failures"] == 0, "no authentication failure in the sample"),
    # Every packet until a viewer's first keyframe, then one in ten: well under all of them.
    (0 < r["srtp_checked_packets"] < r["packets"] / 2,
     f"a sample was checked: {r['srtp_checked_packets']} of over {r['packets']} packets"),
    (r["min_packets_per_viewer"] > 300 and r["sequence_gaps"] == 0,
     f"unchecked packets are still counted: {r['min_packets_per_viewer']} a viewer, no gap"),
]
report(checks)
PY
[ $? -eq 0 ] || failed=1

# --gro: the viewers take the server's GSO messages whole (UDP_GRO) and cut them back into the
# datagrams they were; every one of them is still checked and counted.
"$ONAIR" bench "$base/whep/demo" --viewers 3 --seconds 3 --gro --json >"$work/bench4.json" 2>"$work/bench4.err"
check $? "onair bench --gro exits 0"
python3 - "$work/bench4.json" <<'PY'
import json, sys
sys.path.insert(0, "tests/e2e/lib")
from tapcheck import report
r = json.load(open(sys.argv[1]))
checks = [
    (r["gro"] and 0 < r["rx_messages"] < r["rx_datagrams"],
     f"datagrams arrived coalesced: {r['rx_datagrams']} in {r['rx_messages']} messages"),
    (r["min_packets_per_viewer"] > 300 and r["sequence_gaps"] == 0,
     f"cut back into every packet: {r['min_packets_per_viewer']} a viewer, no gap"),
    (r["srtp_auth_failures"] == 0 and r["srtp_checked_packets"] >= r["packets"],
     f"every packet passed SRTP authentication ({r['srtp_checked_packets']})"),
]
report(checks)
PY
[ $? -eq 0 ] || failed=1

# --srtp aes-cm: the viewers offer AES_CM_128_HMAC_SHA1_80 alone, as aiortc and GStreamer do,
# and the server protects their packets with it (rtc/srtp_cm): all of them authentic.
gcm_before=$(grep -c "viewer of demo connected (AEAD_AES_128_GCM)" "$work/serve2.log")
"$ONAIR" bench "$base/whep/demo" --viewers 3 --seconds 3 --srtp aes-cm --json >"$work/bench5.json" 2>"$work/bench5.err"
check $? "onair bench --srtp aes-cm exits 0"
python3 - "$work/bench5.json" <<'PY'
import json, sys
sys.path.insert(0, "tests/e2e/lib")
from tapcheck import report
r = json.load(open(sys.argv[1]))
checks = [
    (r["connected"] == 3 and r["min_packets_per_viewer"] > 300 and r["sequence_gaps"] == 0,
     f"3 viewers got {r['min_packets_per_viewer']} packets or more each, no gap"),
    (r["srtp_auth_failures"] == 0 and r["srtp_checked_packets"] >= r["packets"],
     f"every packet passed AES-CM's HMAC-SHA1 check ({r['srtp_checked_packets']})"),
]
report(checks)
PY
[ $? -eq 0 ] || failed=1
cm=$(grep -c "viewer of demo connected (AES_CM_128_HMAC_SHA1_80)" "$work/serve2.log")
[ "$cm" -eq 3 ] && [ "$gcm_before" -ge 24 ]
check $? "the server says AES-CM for those 3 and GCM for the viewers before ($cm, $gcm_before)"
stop_onair
check $? "the server with two workers stops cleanly"
# The servers' logs and every bench run's stderr: bench is the same binary, built with the same
# sanitizer ("WARNING: ThreadSanitizer: data race" from TSan, "ERROR: AddressSanitizer" etc.).
# On failure the reports' first and SUMMARY lines are quoted: $work is gone once the test ends.
reports=$(cd "$work" && grep -Hi "sanitizer\|runtime error" ./*.log ./*.err)
[ -z "$reports" ]
check $? "no sanitizer report in the servers' logs or bench's stderr" ||
    grep -E "(SUMMARY|WARNING|ERROR|FATAL): |runtime error" <<<"$reports" | head -n 4 |
    sed 's/^/#   /'
exit $failed
