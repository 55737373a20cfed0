# wait_for.sh: sourced by the shell tests (tests/e2e/lib/tap.sh) and the benchmarks
# (bench/lib.sh), from the repository's root.
#   wait_for SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds (status 0) or
#     SECONDS have passed (status 1).
wait_for() {
    local tries=$(($1 * 10))
    shift
    for _ in $(seq "$tries"); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
