# tap.sh: what the shell tests share. Source it after setting ONAIR; it sets `failed`.
#   ok WHAT / not_ok WHAT: a TAP line; check STATUS WHAT: ok when STATUS is 0, else not ok and 1.
#   free_ports N: N free loopback ports, TCP ones then (last) a UDP one, on one line.
#   start_onair LOG ARGS...: runs "$ONAIR" serve ARGS in the background, its output in LOG and its
#     PID in server_pid, and returns once $base/healthz answers: the caller sets base to the URL
#     ARGS make the server listen on. A server that does not answer within 5 s fails the test
#     there (a "not ok" line with the end of LOG, then exit; the caller's EXIT trap cleans up),
#     as every later check would fail for the same reason.
#   start_demo_server LOG ARGS...: start_onair on free loopback ports (setting base) serving the
#     demo clip, made in $work once, as the stream "demo", with ARGS after that.
#   stop_onair: stops that server (SIGTERM), waits for it and returns its exit status; clears
#     server_pid, so a cleanup trap can call it again. Does nothing when server_pid is empty.
#   wait_for SECONDS COMMAND...: scripts/lib/wait_for.sh.
. scripts/lib/wait_for.sh

failed=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failed=1; }
check() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; return 1; fi; }

free_ports() {
    python3 - "${1:-2}" <<'PY'
import socket, sys
held = []
for _ in range(int(sys.argv[1]) - 1):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
held.append(u)
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

start_onair() {
    local log=$1
    shift
    "$ONAIR" serve "$@" >"$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 50); do
        curl -sf "$base/healthz" >/dev/null && return 0
        sleep 0.1
    done
    not_ok "onair serve answers on $base/healthz within 5 s; the end of $log:"
    tail -n 20 "$log" | sed 's/^/#   /'
    exit 1
}

start_demo_server() {
    local log=$1 http_port media_port
    shift
    scripts/make-demo-media "$work" >/dev/null 2>&1
    read -r http_port media_port < <(free_ports 2)
    base="http://127.0.0.1:$http_port"
    start_onair "$log" --listen "127.0.0.1:$http_port" --media-port "$media_port" \
        --public-ip 127.0.0.1 --source "demo=$work/demo.webm" "$@"
}

stop_onair() {
    [ -n "$server_pid" ] || return 0
    kill "$server_pid" 2>/dev/null
    wait "$server_pid"
    local status=$?
    server_pid=
    return "$status"
}
