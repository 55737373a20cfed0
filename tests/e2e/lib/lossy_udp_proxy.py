"""lossy_udp_proxy.py LISTEN_HOST PORT TARGET_HOST TARGET_PORT VIDEO_PT EVERY: a UDP relay
that loses packets, as a long path between two servers does (this kernel has no netem).

Datagrams from a client on LISTEN_HOST:PORT go to TARGET_HOST:TARGET_PORT from a socket of the
client's own, and the answers come back; of the answers, every EVERY-th RTP packet of payload
type VIDEO_PT is dropped the first time its sequence number passes, never its retransmission
(the same number again), nor STUN, DTLS or RTCP. SRTP leaves RTP headers clear, so this works
on encrypted media. Prints "ready" once listening, and "rtp N dropped M" on SIGTERM."""
import asyncio
import signal
import sys

listen_host, port = sys.argv[1], int(sys.argv[2])
target_host, target_port = sys.argv[3], int(sys.argv[4])
video_pt, every = int(sys.argv[5]), int(sys.argv[6])
counts = {"rtp": 0, "dropped": 0}
seen = set()


def lose(data):
    """Whether to drop DATA, a datagram on its way to the client."""
    if len(data) < 12 or data[0] & 0xC0 != 0x80 or 192 <= data[1] <= 223:
        return False  # not RTP: STUN, DTLS, or RTCP (packet types 192-223)
    if data[1] & 0x7F != video_pt:
        return False
    counts["rtp"] += 1
    seq = int.from_bytes(data[2:4], "big")
    if seq in seen:
        return False  # a retransmission: let it through
    seen.add(seq)
    if len(seen) % every:
        return False
    counts["dropped"] += 1
    return True


class Upstream(asyncio.DatagramProtocol):
    def __init__(self, downstream, client):
        self.downstream, self.client = downstream, client

    def datagram_received(self, data, addr):
        if not lose(data):
            self.downstream.sendto(data, self.client)


class Downstream(asyncio.DatagramProtocol):
    def __init__(self):
        self.upstreams = {}

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if addr not in self.upstreams:
            self.upstreams[addr] = asyncio.ensure_future(loop.create_datagram_endpoint(
                lambda: Upstream(self.transport, addr), remote_addr=(target_host, target_port)))
        upstream = self.upstreams[addr]

        async def send():
            transport, _ = await upstream
            transport.sendto(data)
        asyncio.ensure_future(send())


async def main():
    await loop.create_datagram_endpoint(Downstream, local_addr=(listen_host, port))
    print("ready", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    print(f"rtp {counts['rtp']} dropped {counts['dropped']}", flush=True)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
