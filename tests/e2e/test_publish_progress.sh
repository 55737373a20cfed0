#!/usr/bin/env bash
# onair publish's progress line: on a terminal (a pseudo-terminal made by script(1)) it shows
# the state, the position in the file rising over the file's duration, and the bitrate; when stderr is not a terminal it
# prints no progress at all, so logs stay clean.
# TAP lines; exits non-zero on any failure. ONAIR names the binary (default build/onair).
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-progress.XXXXXX)
server_pid=

. tests/e2e/lib/tap.sh

cleanup() {
    stop_onair
    rm -rf "$work"
}
trap cleanup EXIT

read -r http_port media_port < <(free_ports)
base="http://127.0.0.1:$http_port"
start_onair "$work/serve.log" --listen "127.0.0.1:$http_port" --media-port "$media_port" \
    --public-ip 127.0.0.1

ffmpeg -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=30 \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t 4 -c:v libvpx -g 30 -b:v 400k \
    -deadline realtime -c:a libopus -ac 2 "$work/clip.webm"
check $? "ffmpeg made a 4 s VP8 + Opus clip"

# On a terminal. script(1) runs the command on a pseudo-terminal and copies what it shows.
script -qefc "$ONAIR publish $work/clip.webm $base/whip/tty" "$work/tty.log" </dev/null >/dev/null 2>&1
check $? "onair publish on a terminal exits 0 at the end of the file"
python3 - "$work/tty.log" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace", newline="").read()
updates = [m.groups() for m in re.finditer(r"\r(live)\s+(\d\d):(\d\d\.\d) / (\d\d):(\d\d\.\d)\s+(\d+) kbit/s", text)]
positions = [int(m) * 60 + float(s) for _, m, s, *_ in updates]
durations = {int(u[3]) * 60 + float(u[4]) for u in updates}
rates = [int(u[5]) for u in updates]
ok = (len(updates) >= 3 and positions == sorted(positions) and positions[-1] >= 2.5 and max(rates) > 100
      and len(durations) == 1 and abs(next(iter(durations)) - 4.0) < 0.2)
print(("ok" if ok else "not ok") + f" - the progress line updates in place (\\r) with state, position / duration and bitrate: "
      f"{len(updates)} updates, positions {positions[:1]}..{positions[-1:]} of {sorted(durations)}, max {max(rates, default=0)} kbit/s")
if not ok:
    print("#   " + repr(text[-400:]))
sys.exit(0 if ok else 1)
PY
[ $? = 0 ] || failed=1

# Not a terminal: no progress line.
"$ONAIR" publish "$work/clip.webm" "$base/whip/log" 2>"$work/plain.err" >/dev/null </dev/null
check $? "onair publish with stderr to a file exits 0"
! grep -q $'\r' "$work/plain.err" && ! grep -q "kbit/s" "$work/plain.err"
check $? "with stderr to a file, no progress line is written ($(wc -l <"$work/plain.err") log lines)"

stop_onair
check $? "the server stops cleanly"
! grep -q "Sanitizer\|runtime error" "$work/serve.log"
check $? "no sanitizer report in the server log"
echo "1..7"
exit $failed
