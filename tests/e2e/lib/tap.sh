# tap.sh: what the shell tests share. Source it after setting ONAIR; it sets `failed`.
#   ok WHAT / not_ok WHAT: a TAP line; check STATUS WHAT: ok when STATUS is 0.
#   free_ports N: N free loopback ports, TCP ones then (last) a UDP one, on one line.
failed=0
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failed=1; }
check() { if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi; }

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
