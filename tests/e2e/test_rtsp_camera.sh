#!/usr/bin/env bash
# RTSP cameras: GStreamer's RTSP server plays the camera (tests/e2e/lib/rtsp_camera.py) on
# loopback. onair serve --source, started before the camera, pulls it into a stream once it is
# up, and onair record watches it; the camera dies and comes back on the same port, and the
# server reconnects by itself while a viewer stays;
# onair publish rtsp://... sends it over WHIP, by TCP and by UDP; and the inputs a user gets
# wrong get a sentence and a non-zero exit. TAP lines; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-rtsp.XXXXXX)
server_pid=
camera_pid=
publish_pid=

. tests/e2e/lib/tap.sh

cleanup() {
    [ -n "$publish_pid" ] && kill "$publish_pid" 2>/dev/null
    [ -n "$camera_pid" ] && kill "$camera_pid" 2>/dev/null
    stop_onair
    rm -rf "$work"
}
trap cleanup EXIT

# start_camera: the camera on $camera_port, its PID in camera_pid, once it listens.
start_camera() {
    /usr/bin/python3 tests/e2e/lib/rtsp_camera.py "$camera_port" >>"$work/camera.log" 2>&1 &
    camera_pid=$!
    wait_for 10 grep -q "^ready $camera_port" "$work/camera.log"
}

# probe FILE STREAM ENTRY: one ffprobe figure of a recording's first video or audio stream.
probe() { ffprobe -v error -select_streams "$2" -count_frames -show_entries "stream=$3" \
    -of default=nw=1:nk=1 "$1" 2>/dev/null; }

read -r camera_port http_port closed_port media_port < <(free_ports 4)
camera="rtsp://127.0.0.1:$camera_port"
base="http://127.0.0.1:$http_port"

# The server starts before its camera: it serves, and tries the camera until it answers.
start_onair "$work/serve.log" --listen "127.0.0.1:$http_port" --media-port "$media_port" \
    --public-ip 127.0.0.1 --source "cam=$camera/test"
ok "onair serve --source cam=$camera/test starts while the camera is off" # $base answers
wait_for 5 grep -q "trying again in" "$work/serve.log"
check $? "the server says it will try again: $(grep -a -m1 -o "source cam: .*" "$work/serve.log")"

start_camera
check $? "the RTSP camera (gst-rtsp-server, H.264 + AAC) listens on 127.0.0.1:$camera_port"
wait_for 10 sh -c "curl -s '$base/api/streams/cam' | grep -q '\"live\": *true'"
check $? "once the camera answers, its stream cam is live"

"$ONAIR" record "$base/whep/cam" "$work/cam.mkv" --duration 4 >"$work/record.out" 2>"$work/record.err"
check $? "onair record of cam exits 0: $(cat "$work/record.out")"
frames=$(probe "$work/cam.mkv" v nb_read_frames)
[ "$(probe "$work/cam.mkv" v codec_name)" = h264 ] && [ "${frames:-0}" -ge 72 ]
check $? "the recording holds the camera's H.264, untouched: ${frames:-0} frames of about 120"
audio=$(probe "$work/cam.mkv" a nb_read_frames)
[ "$(probe "$work/cam.mkv" a codec_name)" = opus ] && [ "${audio:-0}" -ge 120 ]
check $? "the camera's AAC arrived as Opus: ${audio:-0} 20 ms frames of about 200"

# The camera dies under a viewer, and comes back on the same port.
"$ONAIR" record "$base/whep/cam" "$work/across.mkv" --duration 12 >"$work/across.out" \
    2>"$work/across.err" &
across_pid=$!
sleep 2
kill "$camera_pid"
wait "$camera_pid" 2>/dev/null
camera_pid=
wait_for 8 grep -q "lost: " "$work/serve.log"
check $? "the server log reports the drop: $(grep -a -m1 -o "source .*lost: .*" "$work/serve.log")"
wait_for 5 grep -q "reconnection attempt 1 failed" "$work/serve.log"
check $? "the server log reports a failed reconnection attempt: $(grep -a -m1 -o "source .*attempt 1 failed.*" "$work/serve.log")"
start_camera
check $? "the camera is back on the same port"
wait_for 10 grep -q "reconnected (attempt" "$work/serve.log"
check $? "the server reconnects: $(grep -a -m1 -o "source .*reconnected.*" "$work/serve.log")"
curl -s "$base/api/streams/cam" | grep -q '"live": *true'
check $? "stream cam stayed live through the outage"

"$ONAIR" record "$base/whep/cam" "$work/again.mkv" --duration 4 >"$work/again.out" 2>"$work/again.err"
check $? "onair record of cam after the reconnection exits 0: $(cat "$work/again.out")"
frames=$(probe "$work/again.mkv" v nb_read_frames)
[ "${frames:-0}" -ge 72 ]
check $? "a new viewer gets frames again: ${frames:-0} of about 120"
wait "$across_pid"
check $? "the viewer that stayed through the outage exits 0: $(cat "$work/across.out")" ||
    tail -n 5 "$work/across.err" | sed 's/^/#   /' # its reason; $work is gone once the test ends
# The viewer that stayed: frames before the outage, a gap, then frames again (from a keyframe).
ffprobe -v error -select_streams v -show_entries packet=pts_time,flags -of csv=p=0 \
    "$work/across.mkv" >"$work/across.csv" 2>/dev/null
python3 - "$work/across.csv" <<'PY'
import sys
times = [float(line.split(",")[0]) for line in open(sys.argv[1]) if line[0].isdigit()]
gaps = [(a, b) for a, b in zip(times, times[1:]) if b - a > 1.0]
after = [t for t in times if gaps and t > gaps[0][1]]
print(f"# {len(times)} frames, gaps {gaps}, {len(after)} after the first gap")
sys.exit(0 if len(gaps) == 1 and len(after) >= 30 and all(b > a for a, b in zip(times, times[1:])) else 1)
PY
check $? "the viewer that stayed resumes by itself, timestamps still increasing: $(grep -c . "$work/across.csv") frames"

# onair publish rtsp://... URL: the camera over WHIP (RTSP over TCP, the default).
"$ONAIR" publish "$camera/test" "$base/whip/cam2" >"$work/publish.log" 2>&1 &
publish_pid=$!
publish_started=$(date +%s.%N)
wait_for 10 sh -c "curl -s '$base/api/streams/cam2' | grep -q '\"live\": *true'"
check $? "onair publish $camera/test $base/whip/cam2 goes live (in $(echo "$(date +%s.%N) - $publish_started" | bc | cut -c1-4) s)" ||
    sed 's/^/#   /' "$work/publish.log"
"$ONAIR" record "$base/whep/cam2" "$work/cam2.mkv" --duration 4 >"$work/record2.out" 2>"$work/record2.err"
check $? "onair record of cam2 exits 0: $(cat "$work/record2.out")"
frames=$(probe "$work/cam2.mkv" v nb_read_frames)
[ "$(probe "$work/cam2.mkv" v codec_name)" = h264 ] && [ "${frames:-0}" -ge 72 ]
check $? "cam2 holds the camera's H.264: ${frames:-0} frames of about 120"
kill -INT "$publish_pid"
wait "$publish_pid"
check $? "onair publish of a camera exits 0 on SIGINT"
publish_pid=

# --rtsp-transport udp: the camera's media comes over UDP (RTP and RTCP ports of its own).
"$ONAIR" publish "$camera/opus" "$base/whip/cam3" --rtsp-transport udp >"$work/publish-udp.log" 2>&1 &
publish_pid=$!
wait_for 10 sh -c "curl -s '$base/api/streams/cam3' | grep -q '\"live\": *true'"
check $? "onair publish --rtsp-transport udp goes live"
udp_sockets=$(ss -uanp | grep -c "pid=$publish_pid,")
[ "$udp_sockets" -ge 3 ]
check $? "the camera's media comes over UDP: the publisher has $udp_sockets UDP sockets (WebRTC's and 2 per RTP stream)"
"$ONAIR" record "$base/whep/cam3" "$work/cam3.mkv" --duration 3 >"$work/record3.out" 2>"$work/record3.err"
frames=$(probe "$work/cam3.mkv" v nb_read_frames)
[ "${frames:-0}" -ge 54 ] && [ "$(probe "$work/cam3.mkv" a codec_name)" = opus ]
check $? "over UDP: ${frames:-0} H.264 frames of about 90, and the camera's Opus" ||
    tail -n 5 "$work/record3.err" "$work/publish-udp.log" | sed 's/^/#   /' # why; $work goes at the end
kill -INT "$publish_pid"
wait "$publish_pid"
publish_pid=

# What a user gets wrong: a sentence and a non-zero exit, in a few seconds at most.
start=$(date +%s)
timeout 20 "$ONAIR" publish "rtsp://admin:s3cret@127.0.0.1:$closed_port/live" "$base/whip/x" >"$work/refused.log" 2>&1
rc=$?
took=$(($(date +%s) - start))
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ "$took" -le 5 ] &&
    grep -q "cannot open rtsp://admin:\*\*\*@127.0.0.1:$closed_port/live: Connection refused" "$work/refused.log" &&
    ! grep -q s3cret "$work/refused.log"
check $? "an unreachable camera: exit $rc in ${took} s, $(grep "^onair" "$work/refused.log")"
start=$(date +%s)
timeout 20 "$ONAIR" publish "$camera/test" "http://127.0.0.1:$closed_port/whip/x" >"$work/noserver.log" 2>&1
rc=$?
took=$(($(date +%s) - start))
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && [ "$took" -le 5 ] && grep -q "cannot reach" "$work/noserver.log"
check $? "a camera published to a server that is not there: exit $rc in ${took} s, $(grep "^onair" "$work/noserver.log")"
timeout 20 "$ONAIR" publish "$camera/audio" "$base/whip/x" >"$work/novideo.log" 2>&1
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -q "sends no video" "$work/novideo.log"
check $? "a camera with no video: exit $rc, $(cat "$work/novideo.log")"
"$ONAIR" publish "$camera/test" "$base/whip/x" --rtsp-transport sctp >"$work/transport.log" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "udp or tcp" "$work/transport.log"
check $? "a bad --rtsp-transport: exit $rc, $(cat "$work/transport.log")"
"$ONAIR" serve --source "cam=rtsp://127.0.0.1:99999/x" >"$work/badurl.log" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "port" "$work/badurl.log"
check $? "a bad camera URL for serve --source: exit $rc, $(head -1 "$work/badurl.log")"

stop_onair
check $? "the server exits 0 on SIGTERM"
grep -qi "sanitizer\|runtime error" "$work"/*.log "$work"/*.err 2>/dev/null
[ $? -ne 0 ]
check $? "no sanitizer report in any log"
exit $failed
