#!/usr/bin/env bash
# onair publish and onair record over IPv6: the server listens on [::1] and announces only ::1 as
# its candidate, so the clients' dual-stack socket must reach it over IPv6. The recording holds
# the published frames. TAP lines; exits non-zero on any failure. ONAIR names the binary.
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-v6client.XXXXXX)
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
base="http://[::1]:$http_port"
start_onair "$work/serve.log" --listen "[::1]:$http_port" --media-port "$media_port" \
    --media-bind ::1 --public-ip ::1 --log-level debug
ok "the server answers on [::1]:$http_port" # start_onair returns only then

ffmpeg -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=30 \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t 6 -c:v libvpx -g 30 -b:v 400k \
    -deadline realtime -c:a libopus -ac 2 "$work/clip.webm"

"$ONAIR" publish "$work/clip.webm" "$base/whip/v6" >"$work/publish.log" 2>&1 &
publish_pid=$!
sleep 1
"$ONAIR" record "$base/whep/v6" "$work/out.mkv" --duration 3 >"$work/record.out" 2>"$work/record.err"
check $? "onair record over IPv6 exits 0: $(cat "$work/record.out" "$work/record.err" | tr "\n" " " | cut -c1-200)"
wait "$publish_pid"
check $? "onair publish over IPv6 exits 0 at the end of the file: $(tail -1 "$work/publish.log")"
publish_pid=
frames=$(ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$work/out.mkv" 2>/dev/null)
[ "${frames:-0}" -ge 45 ]
check $? "the recording holds the published video (${frames:-0} frames of about 90 in 3 s)"
# The media socket is bound to ::1 and ::1 is the only candidate: no IPv4 path exists.
grep -q "v6: publisher on" "$work/serve.log" && [ "$(grep -c '^.*  candidate ' "$work/serve.log")" = 1 ] &&
    grep -q "  candidate ::1:$media_port\$" "$work/serve.log"
check $? "the only path was IPv6: one candidate, ::1 port $media_port ($(grep -m2 'candidate' "$work/serve.log" | tr '\n' ' '))"
stop_onair
check $? "the server stops cleanly"
! grep -q "Sanitizer\|runtime error" "$work/serve.log" "$work/record.err" "$work/publish.log"
check $? "no sanitizer report"
echo "1..7"
exit $failed
