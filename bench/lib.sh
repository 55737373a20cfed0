# bench/lib.sh: what the benchmark scripts share (sourced, not run): the clip, free ports, an
# onair server serving the clip, and one `onair bench` run per viewer count. Callers set
# `work` (a temp dir) and ONAIR first, and stop "$onair_pid" at exit.

. scripts/lib/wait_for.sh

bench_clip=bench/clip-720p30-vp8-2500k.webm

# Makes the 20 s 720p30 VP8 2.5 Mbit/s + Opus clip once; every server is fed from it.
bench_make_clip() {
    [ -f "$bench_clip" ] && return
    echo "making $bench_clip (720p30 VP8 at 2.5 Mbit/s + Opus, 20 s; once)" >&2
    ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30 \
        -f lavfi -i sine=frequency=440:sample_rate=48000 -t 20 -c:v libvpx -b:v 2500k \
        -minrate 2500k -maxrate 2500k -g 60 -deadline realtime -cpu-used 8 -c:a libopus \
        -b:a 64k "$bench_clip"
}

# The address the server listens on, and what runs a command beside the viewers: loopback and
# nothing, unless bench_sink_up has put the server and the viewers in namespaces of their own.
bench_host=127.0.0.1
bench_at_viewers=()
bench_at_server=()

# bench_sink_up: SINK=1's network. The server runs in a namespace of its own and the viewers
# (the generator, and curl for the server's API) in another, joined by a veth pair; every RTP
# and RTCP datagram the server sends is dropped (nftables; the first byte of the payload says
# RTP or RTCP, RFC 7983), while STUN, DTLS and HTTP pass. Over loopback the kernel's work of
# receiving the crowd's packets (the socket lookup, the queueing, waking the reader) runs on the
# sending CPU and is billed to the server; here it is not, as when a network card takes the
# packets off the host. The viewers see no media: the server's own counters give the
# throughput. The server's UDP GSO messages leave whole, as to a card that segments UDP (most
# 10G+ cards); SINK_SOFT_GSO=1 has the kernel cut them on the server's CPU instead, as for a
# card without. Needs root. bench_sink_down undoes it.
bench_sink_up() {
    bench_sink_ns_server=onair-sink-server bench_sink_ns_viewers=onair-sink-viewers
    bench_sink_down
    ip netns add "$bench_sink_ns_server"
    ip netns add "$bench_sink_ns_viewers"
    ip link add osink0 netns "$bench_sink_ns_server" type veth peer name osink1 \
        netns "$bench_sink_ns_viewers"
    ip -n "$bench_sink_ns_server" addr add 10.199.78.1/30 dev osink0
    ip -n "$bench_sink_ns_viewers" addr add 10.199.78.2/30 dev osink1
    local ns
    for ns in "$bench_sink_ns_server" "$bench_sink_ns_viewers"; do
        ip -n "$ns" link set lo up
    done
    ip -n "$bench_sink_ns_server" link set osink0 up
    ip -n "$bench_sink_ns_viewers" link set osink1 up
    [ "${SINK_SOFT_GSO:-0}" = 1 ] && ip -n "$bench_sink_ns_server" link set osink0 gso_max_segs 1
    # What is dropped: UDP whose payload's first byte is 128-191, RTP or RTCP. Where
    # (SINK_DROP): "egress" (the default) as the server's veth takes it, before the veth hands it
    # to the other side (nftables' netdev egress hook), as a card takes a packet off the host:
    # no receiving is billed to the server at all; "ingress" as the viewers' veth receives it,
    # before the IP layer, which the veth's hand-over runs on the server's CPU; "iptables" at the
    # viewers' raw PREROUTING, past the IP layer's receiving (sessions 31 and 32). The egress
    # hook comes before the kernel cuts GSO messages, so SINK_SOFT_GSO=1 drops at the ingress.
    bench_sink_drop=${SINK_DROP:-egress}
    [ "${SINK_SOFT_GSO:-0}" = 1 ] && [ "$bench_sink_drop" = egress ] && bench_sink_drop=ingress
    case $bench_sink_drop in
    egress) bench_sink_nft "$bench_sink_ns_server" egress osink0 ;;
    ingress) bench_sink_nft "$bench_sink_ns_viewers" ingress osink1 ;;
    iptables)
        # IP header length, past the 8-byte UDP header, the payload's first byte.
        ip netns exec "$bench_sink_ns_viewers" iptables -t raw -A PREROUTING -i osink1 -p udp \
            -m u32 --u32 '0>>22&0x3C@8>>24&0xC0=0x80' -j DROP
        ;;
    *)
        echo "bench: SINK_DROP is egress, ingress or iptables" >&2
        return 2
        ;;
    esac
    bench_host=10.199.78.1
    bench_at_viewers=(ip netns exec "$bench_sink_ns_viewers")
    bench_at_server=(ip netns exec "$bench_sink_ns_server")
}

# bench_sink_nft NAMESPACE HOOK DEVICE: drops RTP and RTCP at DEVICE's netdev HOOK.
bench_sink_nft() {
    ip netns exec "$1" nft -f - <<NFT
table netdev onair_sink {
    chain drop_media {
        type filter hook $2 device "$3" priority -500; policy accept;
        ip protocol udp @th,64,8 & 0xc0 == 0x80 drop
    }
}
NFT
}

bench_sink_down() {
    [ -n "${bench_sink_ns_server:-}" ] || return 0
    ip netns del "$bench_sink_ns_server" 2>/dev/null || true # takes the veth pair with it
    ip netns del "$bench_sink_ns_viewers" 2>/dev/null || true
}

# Prints a free TCP and a free UDP port on the server's address.
bench_free_ports() {
    "${bench_at_server[@]}" python3 -c '
import socket, sys
t = socket.socket(); t.bind((sys.argv[1], 0))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[1], 0))
print(t.getsockname()[1], u.getsockname()[1])' "$bench_host"
}

# Starts `onair serve` on loopback with the clip as stream "clip" (with --workers $WORKERS when
# set); sets onair_pid and onair_base (its http:// root) once it answers. The clip is published
# inside the server (--source), or with FEED=publish by `onair publish --loop` over WHIP, another
# process whose CPU is not the server's (as ffmpeg feeds Janus), with its PID in
# onair_feed_pid; FEED=late starts no feed (the caller starts it with bench_start_feed once its
# viewers wait). UNPACED set: the video goes a frame at a time (--no-source-pacing, or
# publish's --no-pacing), not paced as browsers send. SERVE_ARGS: more arguments for the server
# (split at spaces: "--max-load 90").
bench_start_onair() {
    local http_port media_port source=(--source "clip=$bench_clip")
    read -r http_port media_port < <(bench_free_ports)
    [ "${FEED:-source}" = source ] || source=()
    "${bench_at_server[@]}" "$ONAIR" serve --listen "$bench_host:$http_port" \
        --media-port "$media_port" --public-ip "$bench_host" --log-level warn "${source[@]}" \
        ${WORKERS:+--workers "$WORKERS"} ${UNPACED:+--no-source-pacing} ${SERVE_ARGS:-} \
        >"$work/serve.log" 2>&1 &
    onair_pid=$!
    onair_base="http://$bench_host:$http_port"
    wait_for 5 "${bench_at_viewers[@]}" curl -sf -o /dev/null "$onair_base/healthz"
    [ "${FEED:-source}" = publish ] && bench_start_feed
    [ "${FEED:-source}" = late ] || sleep 2 # the source's first keyframe
}

# Starts `onair publish --loop` feeding the clip to the server of bench_start_onair over WHIP,
# in the background; its PID in onair_feed_pid.
bench_start_feed() {
    "${bench_at_viewers[@]}" "$ONAIR" publish --loop ${UNPACED:+--no-pacing} "$bench_clip" \
        "$onair_base/whip/clip" >"$work/publish.log" 2>&1 </dev/null &
    onair_feed_pid=$!
}

# Starts a second `onair serve` on loopback, an edge relaying the origin's stream "clip" (from
# bench_start_onair) as its own "clip" through onair's WHEP client (--source
# clip=whep://...): the origin carries one viewer, the edge the crowd. Sets edge_pid and
# edge_base once the stream is live there.
bench_start_edge() {
    local http_port media_port origin=${onair_base#http://}
    read -r http_port media_port < <(bench_free_ports)
    "$ONAIR" serve --listen "127.0.0.1:$http_port" --media-port "$media_port" \
        --public-ip 127.0.0.1 --log-level warn --source "clip=whep://$origin/whep/clip" \
        ${WORKERS:+--workers "$WORKERS"} >"$work/edge.log" 2>&1 &
    edge_pid=$!
    edge_base="http://127.0.0.1:$http_port"
    wait_for 10 bench_live "$edge_base"
    sleep 2 # the origin's next keyframe
}

# bench_live BASE: whether the server at BASE has stream "clip" live.
bench_live() {
    curl -sf "$1/api/streams/clip" | grep -q '"live": *true'
}

# bench_viewers N SERVER_PID OUT_JSON URL [ONAIR BENCH OPTIONS...]: N fresh viewers, ramped at
# up to 50 a second, measured for SECONDS_MEASURED (default 10) once the last joined, checking
# the SRTP of every packet, or of one in VERIFY_EVERY when set; GRO=1 has them receive
# coalesced (onair bench --gro); SRTP=aes-cm|gcm has them offer that profile alone (onair bench
# --srtp). BENCH_ONAIR, when set, is the onair binary that runs them (default ONAIR: set it to
# measure an older server with today's generator). The JSON object goes to OUT_JSON (empty when
# the run failed), stderr to OUT_JSON.err.
bench_viewers() {
    local n=$1 pid=$2 out=$3
    shift 3
    local ramp=$(( n < 50 ? n : 50 )) gro=
    [ "${GRO:-0}" = 1 ] && gro=--gro
    "${bench_at_viewers[@]}" "${BENCH_ONAIR:-$ONAIR}" bench "$@" --viewers "$n" --ramp "$ramp" \
        --seconds "${SECONDS_MEASURED:-10}" ${VERIFY_EVERY:+--verify-every "$VERIFY_EVERY"} \
        ${SRTP:+--srtp "$SRTP"} $gro --json --server-pid "$pid" \
        >"$out" 2>"$out.err" || true
}
