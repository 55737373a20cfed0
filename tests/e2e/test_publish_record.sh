#!/usr/bin/env bash
# onair publish → server → onair record, checked with ffprobe; and the clients' bad-input exits.
# TAP lines; exits non-zero on any failure. ONAIR names the binary (default build/onair).
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-pubrec.XXXXXX)
server_pid=
publish_pid=

. tests/e2e/lib/tap.sh

cleanup() {
    [ -n "$publish_pid" ] && kill "$publish_pid" 2>/dev/null
    stop_onair
    rm -rf "$work"
}
trap cleanup EXIT


read -r http_port media_port < <(free_ports)
base="http://127.0.0.1:$http_port"
start_onair "$work/serve.log" --listen "127.0.0.1:$http_port" --media-port "$media_port" \
    --public-ip 127.0.0.1

# A 6 s VP8 + Opus clip with a keyframe every second.
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=30 \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t 6 -c:v libvpx -g 30 -b:v 500k \
    -deadline realtime -c:a libopus -ac 2 "$work/clip.webm"
check $? "ffmpeg made a VP8 + Opus webm"

"$ONAIR" publish "$work/clip.webm" "$base/whip/cam" >"$work/publish.log" 2>&1 &
publish_pid=$!
sleep 0.8
"$ONAIR" record "$base/whep/cam" "$work/out.mkv" --duration 4 >"$work/record.out" 2>"$work/record.err" &
record_pid=$!
sleep 1.5
streams=$(curl -s "$base/api/streams/cam")
echo "$streams" | grep -q '"live": *true' && echo "$streams" | grep -q '"viewers": *1'
check $? "/api/streams shows the publisher live and one viewer while recording"
wait "$record_pid"
check $? "onair record exits 0 after --duration"
grep -q "^wrote .*out.mkv" "$work/record.out"
check $? "onair record says what it wrote: $(cat "$work/record.out")"
wait "$publish_pid"
check $? "onair publish exits 0 at the end of the file"
publish_pid=

probe() { ffprobe -v error -select_streams "$1" -count_frames -show_entries "stream=$2" \
    -of default=nw=1:nk=1 "$work/out.mkv"; }
[ "$(probe v codec_name)" = vp8 ]
check $? "the recording holds VP8, untouched"
frames=$(probe v nb_read_frames)
[ "${frames:-0}" -ge 72 ]
check $? "video frames: ${frames:-0} of about 120 expected (at least 60%)"
[ "$(probe a codec_name)" = opus ]
check $? "the recording holds Opus audio"
python3 - "$(probe v start_time)" "$(probe a start_time)" <<'EOF'
import sys
v, a = (float(x) for x in sys.argv[1:3])
sys.exit(0 if abs(v - a) <= 0.1 else 1)
EOF
check $? "audio and video start within 100 ms ($(probe v start_time) / $(probe a start_time))"

# H.264 + AAC in mp4, as OBS, phones and most files have it: the video goes through untouched,
# the AAC is transcoded to Opus (browsers play no AAC over WebRTC).
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=30 \
    -f lavfi -i sine=frequency=440:sample_rate=44100 -t 6 -c:v libx264 -profile:v high -bf 0 \
    -g 30 -pix_fmt yuv420p -c:a aac -b:a 128k "$work/clip.mp4"
check $? "ffmpeg made an H.264 (High) + AAC mp4"
"$ONAIR" publish "$work/clip.mp4" "$base/whip/h264" >"$work/publish-h264.log" 2>&1 &
publish_pid=$!
sleep 0.8
"$ONAIR" record "$base/whep/h264" "$work/h264.mkv" --duration 4 >"$work/record-h264.out" 2>"$work/record-h264.err"
check $? "onair record of the H.264 + AAC stream exits 0: $(cat "$work/record-h264.out")"
wait "$publish_pid"
publish_pid=
probe264() { ffprobe -v error -select_streams "$1" -count_frames -show_entries "stream=$2" \
    -of default=nw=1:nk=1 "$work/h264.mkv"; }
[ "$(probe264 v codec_name)" = h264 ] && [ "$(probe264 v profile)" = High ]
check $? "the recording holds the file's H.264 High, untouched"
frames=$(probe264 v nb_read_frames)
[ "${frames:-0}" -ge 72 ]
check $? "H.264 video frames: ${frames:-0} of about 120 expected (at least 60%)"
audio_frames=$(probe264 a nb_read_frames)
[ "$(probe264 a codec_name)" = opus ] && [ "${audio_frames:-0}" -ge 120 ]
check $? "the AAC arrived as Opus: ${audio_frames:-0} 20 ms frames of about 200"
python3 - "$(probe264 v start_time)" "$(probe264 a start_time)" <<'EOF'
import sys
v, a = (float(x) for x in sys.argv[1:3])
sys.exit(0 if abs(v - a) <= 0.1 else 1)
EOF
check $? "audio and video start within 100 ms ($(probe264 v start_time) / $(probe264 a start_time))"

# Live MPEG-TS on standard input (ffmpeg -re ... -f mpegts - | onair publish - URL).
ffmpeg -loglevel error -re -f lavfi -i testsrc=size=320x240:rate=30 \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t 7 -c:v libx264 -bf 0 -g 30 \
    -pix_fmt yuv420p -preset ultrafast -c:a aac -f mpegts - 2>"$work/ffmpeg-pipe.log" |
    "$ONAIR" publish - "$base/whip/pipe" >"$work/publish-pipe.log" 2>&1 &
pipe_pid=$!
sleep 2
"$ONAIR" record "$base/whep/pipe" "$work/pipe.mkv" --duration 3 >"$work/record-pipe.out" 2>"$work/record-pipe.err"
check $? "onair record of the stream from standard input exits 0: $(cat "$work/record-pipe.out")"
wait "$pipe_pid"
check $? "onair publish - exits 0 when its input ends"
pipe_frames=$(ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames \
    -of default=nw=1:nk=1 "$work/pipe.mkv" 2>/dev/null)
pipe_audio=$(ffprobe -v error -select_streams a -show_entries stream=codec_name \
    -of default=nw=1:nk=1 "$work/pipe.mkv" 2>/dev/null)
[ "${pipe_frames:-0}" -ge 54 ] && [ "$pipe_audio" = opus ]
check $? "from standard input: ${pipe_frames:-0} H.264 frames of about 90, audio as ${pipe_audio:-nothing}"

# A recording killed with SIGKILL still plays up to the cut (.mkv is live-safe).
"$ONAIR" publish "$work/clip.webm" "$base/whip/cut" --loop >/dev/null 2>&1 &
publish_pid=$!
sleep 0.8
"$ONAIR" record "$base/whep/cut" "$work/cut.mkv" >/dev/null 2>&1 &
record_pid=$!
sleep 4
kill -9 "$record_pid"
wait "$record_pid" 2>/dev/null
cut_frames=$(ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames \
    -of default=nw=1:nk=1 "$work/cut.mkv" 2>/dev/null)
[ "${cut_frames:-0}" -ge 30 ]
check $? "a recording killed with SIGKILL plays (${cut_frames:-0} frames)"

# 409: the stream already has a publisher.
"$ONAIR" publish "$work/clip.webm" "$base/whip/cut" >"$work/taken.log" 2>&1
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -q "taken" "$work/taken.log"
check $? "publish to a taken stream: exit $rc, $(head -1 "$work/taken.log")"
kill -INT "$publish_pid"
wait "$publish_pid"
check $? "publish exits 0 on SIGINT"
publish_pid=
sleep 0.3
curl -s "$base/api/streams/cut" | grep -q '"live": *true'
[ $? -ne 0 ]
check $? "SIGINT's DELETE ended the publisher's session"

# --reconnect: the server restarts under a publisher, which comes back by itself.
"$ONAIR" publish "$work/clip.webm" "$base/whip/again" --loop --reconnect >"$work/publish-again.log" 2>&1 &
publish_pid=$!
sleep 1.5
stop_onair
start_onair "$work/serve2.log" --listen "127.0.0.1:$http_port" --media-port "$media_port" \
    --public-ip 127.0.0.1
wait_for 8 sh -c "curl -s '$base/api/streams/again' | grep -q '\"live\": *true'"
"$ONAIR" record "$base/whep/again" "$work/again.mkv" --duration 2 >"$work/record-again.out" 2>&1
again_frames=$(ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames \
    -of default=nw=1:nk=1 "$work/again.mkv" 2>/dev/null)
[ "${again_frames:-0}" -ge 30 ] && grep -q "trying again in 1 s" "$work/publish-again.log"
check $? "publish --reconnect comes back after a server restart (${again_frames:-0} frames recorded after it): $(head -1 "$work/publish-again.log")"
# A recording that cannot be written (its directory does not exist): the reason, exit 1, no
# crash (the muxer whose header failed has no trailer to write).
"$ONAIR" record "$base/whep/again" "$work/missing/again.mkv" --duration 2 >"$work/bad-dir.log" 2>&1
rc=$?
[ "$rc" -eq 1 ] && grep -q "cannot write .*No such file or directory" "$work/bad-dir.log"
check $? "record into a directory that does not exist: exit $rc, $(head -1 "$work/bad-dir.log")"
kill -INT "$publish_pid"
wait "$publish_pid"
check $? "publish --reconnect exits 0 on SIGINT"
publish_pid=

# Bad input: each a clear message and a non-zero exit, no crash.
expect_fail() {
    local name=$1 pattern=$2
    shift 2
    "$@" >"$work/bad.log" 2>&1
    local rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -qi "$pattern" "$work/bad.log"
    check $? "$name: exit $rc, $(grep -v '^ *$' "$work/bad.log" | head -1)"
}
expect_fail "publish a missing file" "no such file" \
    "$ONAIR" publish "$work/missing.webm" "$base/whip/x"
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=160x120:rate=10 -t 1 -c:v mpeg4 "$work/mpeg4.avi"
expect_fail "publish a file with nothing browsers play (MPEG-4 part 2 video only)" "no playable track" \
    "$ONAIR" publish "$work/mpeg4.avi" "$base/whip/x"
ffmpeg -loglevel error -y -f lavfi -i testsrc=size=160x120:rate=30 -t 1 -c:v libx264 -bf 3 \
    -pix_fmt yuv420p "$work/bframes.mp4"
expect_fail "publish H.264 with B-frames (refused, with the ffmpeg command that fixes it)" "B-frames.*-bf 0" \
    "$ONAIR" publish "$work/bframes.mp4" "$base/whip/x"
head -c 20000 "$work/clip.webm" | tail -c 10000 >"$work/garbage.webm"
expect_fail "publish a file that is not media" "cannot" \
    "$ONAIR" publish "$work/garbage.webm" "$base/whip/x"
read -r dead_port _ < <(free_ports)
expect_fail "publish to an unreachable server" "cannot reach" \
    "$ONAIR" publish "$work/clip.webm" "http://127.0.0.1:$dead_port/whip/x"
expect_fail "record from an unreachable server" "cannot reach" \
    "$ONAIR" record "http://127.0.0.1:$dead_port/whep/x" "$work/x.mkv"
expect_fail "publish with a bad stream name (400)" "400" \
    "$ONAIR" publish "$work/clip.webm" "$base/whip/bad%20name"
expect_fail "publish - with --loop" "cannot replay standard input" \
    "$ONAIR" publish - "$base/whip/x" --loop
expect_fail "publish a whep:// URL" "a whep:// URL is a stream to watch: give it to onair serve --source" \
    "$ONAIR" publish "whep://:secret-token@127.0.0.1:9/whep/x" "$base/whip/x"
expect_fail "record to an unknown container" "mkv" \
    "$ONAIR" record "$base/whep/cam" "$work/out.avi"

stop_onair
grep -qi "sanitizer\|runtime error" "$work"/*.log "$work"/record.err 2>/dev/null
[ $? -ne 0 ]
check $? "no sanitizer report in any log"
exit $failed
