#!/usr/bin/env bash
# onair publish and onair record through TURN (Debian's coturn on loopback, use-auth-secret):
#  1. publish --relay takes the TURN server and its minted credentials from the server's WHIP
#     Link headers and sends everything through a UDP allocation;
#  2. record --relay --ice-server turn:...?transport=tcp with credentials given on the command
#     line goes through a TCP allocation;
#  3. with the direct path dropped (iptables on lo: UDP from 127.0.0.1 to the media port), a
#     plain publish finds no direct path and falls back to TURN after 3 s.
# The server sees each client's checks come from the relayed address the client was given.
# TAP lines; exits non-zero on any failure. ONAIR names the binary (default build/onair).
set -u
cd "$(dirname "$0")/../.."
ONAIR=${ONAIR:-build/onair}
work=$(mktemp -d /tmp/onair-clientturn.XXXXXX)
server_pid=
turn_pid=
publish_pid=
rule=

. tests/e2e/lib/tap.sh

cleanup() {
    [ -n "$rule" ] && iptables -D $rule 2>/dev/null
    [ -n "$publish_pid" ] && kill "$publish_pid" 2>/dev/null
    stop_onair
    [ -n "$turn_pid" ] && kill "$turn_pid" 2>/dev/null && wait "$turn_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

secret=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
read -r http_port turn_port media_port < <(free_ports 3)
# coturn listens on 127.0.0.1 and relays from 127.0.0.3, so the relay's packets to onair can be
# told from the client's own.
turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.3 --listening-port="$turn_port" \
    --min-port=49152 --max-port=65535 --use-auth-secret --static-auth-secret="$secret" \
    --realm=onair --no-cli --no-tls --no-dtls --allow-loopback-peers --log-file=stdout \
    --simple-log --pidfile="$work/turnserver.pid" --userdb="$work/turndb" >"$work/turn.log" 2>&1 &
turn_pid=$!
wait_for 5 grep -q "Total General servers" "$work/turn.log"
check $? "coturn runs on 127.0.0.1:$turn_port (relaying from 127.0.0.3)"

base="http://127.0.0.1:$http_port"
start_onair "$work/serve.log" --listen "127.0.0.1:$http_port" --media-port "$media_port" \
    --public-ip 127.0.0.1 --ice-server "turn:127.0.0.1:$turn_port?transport=udp" \
    --turn-secret "$secret" --log-level debug

ffmpeg -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=30 \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t 8 -c:v libvpx -g 30 -b:v 400k \
    -deadline realtime -c:a libopus -ac 2 "$work/clip.webm"

relayed_port() { sed -n 's/.*relayed address 127\.0\.0\.3:\([0-9]*\).*/\1/p' "$1" | head -1; }

# 1. publish --relay, the TURN server from the Link headers.
"$ONAIR" publish "$work/clip.webm" "$base/whip/relayed" --relay --log-level info \
    >"$work/publish.log" 2>&1 &
publish_pid=$!
sleep 1.5
pub_port=$(relayed_port "$work/publish.log")
[ -n "$pub_port" ] && grep -q "over UDP: relayed address" "$work/publish.log"
check $? "publish --relay allocates over UDP with the Link headers' credentials: $(grep -m1 'relayed address' "$work/publish.log" | cut -c1-120)"

# 2. record --relay over TCP, credentials on the command line (minted as onair does).
user="$(( $(date +%s) + 600 )):record-test"
pass=$(python3 -c 'import base64, hashlib, hmac, sys; print(base64.b64encode(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha1).digest()).decode())' "$secret" "$user")
"$ONAIR" record "$base/whep/relayed" "$work/out.mkv" --duration 3 --relay --log-level info \
    --ice-server "turn:127.0.0.1:$turn_port?transport=tcp" --ice-username "$user" \
    --ice-credential "$pass" >"$work/record.out" 2>"$work/record.err"
check $? "record --relay over TCP exits 0: $(tr '\n' ' ' <"$work/record.out" | cut -c1-160)"
rec_port=$(relayed_port "$work/record.err")
grep -q "over TCP: relayed address" "$work/record.err"
check $? "record allocated over TCP: $(grep -m1 'relayed address' "$work/record.err" | cut -c1-120)"
frames=$(ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$work/out.mkv" 2>/dev/null)
[ "${frames:-0}" -ge 45 ]
check $? "the relayed recording holds the relayed publication: ${frames:-0} frames of about 90"
grep -q "checks from 127.0.0.3:$pub_port over UDP" "$work/serve.log" &&
    grep -q "checks from 127.0.0.3:$rec_port over UDP" "$work/serve.log"
check $? "the server saw both clients only at their relayed addresses (127.0.0.3:$pub_port, 127.0.0.3:$rec_port)"
! grep -q "checks from 127.0.0.1:" "$work/serve.log"
check $? "and never at their own"
wait "$publish_pid"
check $? "publish --relay exits 0 at the end of the file"
publish_pid=

# 3. No direct path: UDP from the clients' address to the media port is dropped.
rule="INPUT -i lo -p udp -s 127.0.0.1 --dport $media_port -j DROP"
iptables -I $rule
"$ONAIR" publish "$work/clip.webm" "$base/whip/fallback" --log-level info >"$work/fallback.log" 2>&1 &
publish_pid=$!
"$ONAIR" record "$base/whep/fallback" "$work/fallback.mkv" --duration 3 --relay --log-level info \
    >/dev/null 2>"$work/fallback-record.err" &
record_pid=$!
wait "$record_pid"
record_rc=$?
grep -q "no direct path after 3 s: going through TURN" "$work/fallback.log"
check $? "a publisher without a direct path falls back to TURN: $(grep -m1 'no direct path' "$work/fallback.log" | cut -c1-120)"
frames=$(ffprobe -v error -select_streams v -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$work/fallback.mkv" 2>/dev/null)
[ "$record_rc" = 0 ] && [ "${frames:-0}" -ge 45 ]
check $? "and its video arrives: ${frames:-0} frames recorded (record exit $record_rc)"
iptables -D $rule
rule=
wait "$publish_pid"
publish_pid=

# Bad input.
"$ONAIR" publish "$work/clip.webm" "$base/whip/x" --ice-server "turns:127.0.0.1:443" >"$work/bad.log" 2>&1
[ $? = 2 ] && grep -q "not supported" "$work/bad.log"
check $? "turns: is refused with a sentence: $(head -1 "$work/bad.log")"
"$ONAIR" record "$base/whep/relayed" "$work/x.mkv" --relay --ice-server "turn:127.0.0.1:$turn_port" \
    --ice-username nobody --ice-credential wrong >"$work/bad.log" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -qi "TURN.*refused.*401\|401" "$work/bad.log"
check $? "wrong TURN credentials: exit $rc, $(grep -m1 -i 'turn' "$work/bad.log" | cut -c1-160)"

stop_onair
check $? "the server stops cleanly"
! grep -q "Sanitizer\|runtime error" "$work"/*.log "$work"/*.err
check $? "no sanitizer report"
echo "1..14"
exit $failed
