# slowfs.sh: the slow disk of lib/slowfs.py for the shell tests. Source it after tap.sh.
#   mount_slowfs RATE [STALL_FILE]: mounts $work/mnt over $work/backing (taking writes at RATE
#     bytes/s; reads, opens, listings and removals waiting while STALL_FILE exists), its PID in
#     fs_pid; 0 once mounted.
#   unmount_slowfs: unmounts it and stops the process (for an EXIT trap; a no-op without one).
mount_slowfs() {
    mkdir -p "$work/backing" "$work/mnt"
    /usr/bin/python3 tests/e2e/lib/slowfs.py "$work/backing" "$work/mnt" "$@" \
        >"$work/slowfs.log" 2>&1 &
    fs_pid=$!
    wait_for 5 mountpoint -q "$work/mnt"
}

unmount_slowfs() {
    fusermount3 -u "$work/mnt" 2>/dev/null
    [ -n "${fs_pid:-}" ] && kill "$fs_pid" 2>/dev/null && wait "$fs_pid" 2>/dev/null
    fs_pid=
}
