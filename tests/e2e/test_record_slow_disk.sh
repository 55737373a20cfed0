#!/usr/bin/env bash
# Server recording onto a disk that cannot keep up: --record-dir on a FUSE file system that takes
# 64 KiB/s (tests/e2e/lib/slowfs.py) while a 2.5 Mbit/s stream is recorded. The recording says so
# in the log and in /metrics; viewers (onair bench, full WebRTC clients) lose nothing; stopping
# the recording through the API answers at once; the server still stops promptly.
# TAP lines; exits non-zero on any failure. ONAIR names the binary (default build/onair).
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-slowdisk.XXXXXX)
server_pid=

. tests/e2e/lib/tap.sh
. tests/e2e/lib/slowfs.sh

cleanup() {
    # Not stop_onair: after a failure the server may still be draining to the slow disk, and
    # the cleanup should not wait for it.
    [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null
    unmount_slowfs
    rm -rf "$work"
}
trap cleanup EXIT

mount_slowfs 65536
check $? "the slow file system is mounted (64 KiB/s)"

start_demo_server "$work/serve.log" --record-dir "$work/mnt" --record demo

# Viewers while the recording falls behind: every packet arrives.
"$ONAIR" bench "$base/whep/demo" --viewers 3 --ramp 10 --seconds 8 --json >"$work/bench.json" 2>"$work/bench.err"
check $? "onair bench exits 0 while the recording falls behind"
python3 - "$work/bench.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = r["connected"] == 3 and r["with_video"] == 3 and r["sequence_gaps"] == 0 and r["min_packets_per_viewer"] > 1000
print(("ok" if ok else "not ok") + f" - viewers untouched: 3 connected with video, {r['sequence_gaps']} sequence gaps, "
      f"at least {r['min_packets_per_viewer']} packets each in 8 s")
sys.exit(0 if ok else 1)
PY
[ $? = 0 ] || failed=1

dropped=$(curl -s "$base/metrics" | awk '$1 == "onair_recording_dropped_packets_total" {print $2}')
[ "${dropped:-0}" -gt 0 ]
check $? "/metrics counts the packets the recording could not take (onair_recording_dropped_packets_total $dropped)"
grep -q "the disk cannot keep up" "$work/serve.log"
check $? "the log says the disk cannot keep up: $(grep -m1 'cannot keep up' "$work/serve.log" | cut -c1-140)"
curl -s "$base/api/recordings" | grep -q '"active": *true'
check $? "GET /api/recordings shows the recording still active"

start=$(date +%s%N)
status=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$base/api/streams/demo/recording")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$status" = 200 ] && [ "$ms" -lt 1000 ]
check $? "DELETE of the recording answers at once ($status in $ms ms) while the writer still drains to the slow disk"
curl -sf "$base/api/streams/demo" | grep -q '"live": *true'
check $? "the stream stays live"

start=$(date +%s)
stop_onair
code=$?
secs=$(( $(date +%s) - start ))
[ "$code" = 0 ] && [ "$secs" -le 12 ]
check $? "the server stops cleanly within 12 s with the slow disk (exit $code after $secs s)"
file=$(ls "$work/backing"/demo-*.mkv 2>/dev/null | head -1)
frames=$(ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$file" 2>/dev/null)
[ "${frames:-0}" -gt 0 ]
check $? "the recording holds what the disk took (${frames:-0} video frames in $(basename "${file:-none}"))"
! grep -q "Sanitizer\|runtime error" "$work/serve.log" "$work/bench.err"
check $? "no sanitizer report"
# The cleanup removes the server's log: on a failure above, its last lines go into the output.
[ "$failed" = 0 ] || tail -n 60 "$work/serve.log" | sed 's/^/#   /'
echo "1..11"
exit $failed
