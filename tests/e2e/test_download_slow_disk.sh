#!/usr/bin/env bash
# Downloading, listing and deleting recordings on a disk that stops answering: --record-dir on a
# FUSE file system (tests/e2e/lib/slowfs.py) whose opens, reads, listings and removals wait while
# a file of the test's exists. While a download, a listing and a deletion wait on the disk the
# API answers and viewers get every packet (the server calls the disk on a thread of its own, not
# on the loop that carries them); once the disk answers the download ends byte for byte and the
# listing and deletion are answered; a server stopped while a call is stuck stops promptly and
# the client sees the download cut short, not a file that looks whole.
# TAP lines; exits non-zero on any failure. ONAIR names the binary (default build/onair).
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-slowread.XXXXXX)
server_pid=
download_pid=
list_pid=
delete_pid=
stall="$work/stall"

. tests/e2e/lib/tap.sh
. tests/e2e/lib/slowfs.sh

cleanup() {
    rm -f "$stall"
    for pid in $download_pid $list_pid $delete_pid; do kill "$pid" 2>/dev/null; done
    [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null
    unmount_slowfs
    rm -rf "$work"
}
trap cleanup EXIT

mount_slowfs 100000000 "$stall"
check $? "the file system is mounted (calls wait while $stall exists)"

start_demo_server "$work/serve.log" --record-dir "$work/mnt"

# --record-dir alone records every stream: the demo's file is being written already.
sleep 3
file=$(curl -s "$base/api/recordings" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["recordings"][0]["file"])')
status=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$base/api/streams/demo/recording")
# A stopped recording is listed as active until its writer has written the queue and the
# trailer (slower through FUSE on a loaded machine): only then is the file whole.
wait_for 30 sh -c "curl -s '$base/api/recordings' | grep -q '\"active\": *false'"
finished=$?
size=$(stat -c %s "$work/backing/$file" 2>/dev/null || echo 0)
[ "$status" = 200 ] && [ "$finished" = 0 ] && [ "$size" -gt 100000 ]
check $? "a finished recording to download: $file, $size bytes (DELETE answered $status)"

# A second file, to be deleted while the disk waits.
cp "$work/backing/$file" "$work/backing/spare-20260101T000000Z.mkv"

# The disk stops answering; a download, a listing and a deletion start and wait on it.
touch "$stall"
curl -s -o "$work/got.mkv" "$base/api/recordings/$file" &
download_pid=$!
curl -s -o "$work/list.json" "$base/api/recordings" &
list_pid=$!
curl -s -o "$work/delete.json" -X DELETE "$base/api/recordings/spare-20260101T000000Z.mkv" &
delete_pid=$!
sleep 1

body=$(curl -s -m 5 "$base/api/streams/demo")
echo "$body" | grep -q '"live": *true'
check $? "the API answers while the download waits on the disk (GET /api/streams/demo: live)"

"$ONAIR" bench "$base/whep/demo" --viewers 2 --ramp 10 --seconds 4 --json >"$work/bench.json" \
    2>"$work/bench.err"
python3 - "$work/bench.json" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except ValueError:
    r = {"connected": 0, "with_video": 0, "sequence_gaps": -1, "min_packets_per_viewer": 0}
ok = r["connected"] == 2 and r["with_video"] == 2 and r["sequence_gaps"] == 0 \
    and r["min_packets_per_viewer"] > 500
print(("ok" if ok else "not ok") + " - viewers who join while the download waits get video: "
      f"{r['connected']} connected, {r['with_video']} with video, {r['sequence_gaps']} sequence "
      f"gaps, at least {r['min_packets_per_viewer']} packets each in 4 s")
sys.exit(0 if ok else 1)
PY
[ $? = 0 ] || failed=1

got=$(stat -c %s "$work/got.mkv" 2>/dev/null || echo 0)
kill -0 "$download_pid" 2>/dev/null && [ "$got" -lt "$size" ]
check $? "the download is still waiting on the disk ($got of $size bytes)"

kill -0 "$list_pid" 2>/dev/null && kill -0 "$delete_pid" 2>/dev/null
check $? "so are the listing and the deletion"

rm -f "$stall"
wait "$list_pid" "$delete_pid"
list_pid=
delete_pid=
grep -q "\"file\": *\"$file\"" "$work/list.json" &&
    grep -q '"deleted": *true' "$work/delete.json" &&
    [ ! -e "$work/backing/spare-20260101T000000Z.mkv" ]
check $? "once the disk answers, the listing names the file and the deletion is done: $(
    head -c 120 "$work/list.json"); $(cat "$work/delete.json")"
wait_for 10 sh -c "! kill -0 $download_pid 2>/dev/null"
wait "$download_pid"
code=$?
download_pid=
cmp -s "$work/got.mkv" "$work/backing/$file"
same=$?
sizes="$(stat -c %s "$work/got.mkv") bytes, the file $(stat -c %s "$work/backing/$file")"
check $same "once the disk answers the download ends, byte for byte (curl exit $code; $sizes)"

curl -s -o "$work/part.bin" -H 'Range: bytes=5000-70535' "$base/api/recordings/$file"
cmp -s "$work/part.bin" <(tail -c +5001 "$work/backing/$file" | head -c 65536)
check $? "a range across a chunk's end: those 65536 bytes"

# The disk stops again, and the server is stopped while a download waits on it.
touch "$stall"
curl -s -o "$work/cut.mkv" "$base/api/recordings/$file" &
download_pid=$!
sleep 1
# The shutdown is done when the server logs "stopped"; the exit comes after, once LeakSanitizer
# (in the [san] build) has stopped every thread, which it cannot do to one inside a FUSE read: so
# the disk answers again before the exit is waited for.
start=$(date +%s%N)
kill "$server_pid"
wait_for 5 grep -qE '^[0-9:.]+ info +stopped$' "$work/serve.log"
stopped=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
rm -f "$stall"
wait "$server_pid"
code=$?
server_pid=
[ "$stopped" = 0 ] && [ "$code" = 0 ]
check $? "the server stops cleanly while a read is stuck (stopped in $ms ms, exit $code)"
grep -q "a call to the disk has not returned" "$work/serve.log"
check $? "the log says so: $(grep -m1 'a call to the disk' "$work/serve.log" | cut -c1-120)"
wait "$download_pid"
code=$?
download_pid=
[ "$code" != 0 ]
check $? "the client sees the download cut short (curl exit $code), not a whole-looking file"

! grep -q "Sanitizer\|runtime error" "$work/serve.log" "$work/bench.err"
check $? "no sanitizer report"
echo "1..13"
exit $failed
