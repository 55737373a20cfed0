"""lossy_udp_proxy.py LISTEN_HOST PORT TARGET_HOST TARGET_PORT VIDEO_PT EVERY [REPAIR_EVERY]: a
UDP relay that loses packets, as a long path between two servers does (this kernel has no netem).

Datagrams from a client on LISTEN_HOST:PORT go to TARGET_HOST:TARGET_PORT from a socket of the
client's own, and the answers come back; of the answers, every EVERY-th RTP packet of payload
type VIDEO_PT is dropped the first time its sequence number passes, never its retransmission
(the same number again), nor STUN, DTLS or RTCP; with REPAIR_EVERY, the first retransmission of
every REPAIR_EVERY-th packet dropped is dropped too. SRTP leaves RTP headers clear, so this
works on encrypted media. Prints "ready" once listening, and "rtp N dropped M repairs-dropped
R" on SIGTERM."""
import asyncio
import signal
import sys

listen_host, port = sys.argv[1], int(sys.argv[2])
target_host, target_port = sys.argv[3], int(sys.argv[4])
video_pt, every = int(sys.argv[5]), int(sys.argv[6])
repair_every = int(sys.argv[7]) if len(sys.argv) > 7 else 0
counts = {"rtp": 0, "dropped": 0, "repairs": 0}
seen = set()
doomed_repairs = set()  # numbers whose next retransmission is dropped


def lose(data):
    """Whether to drop DATA, a datagram on its way to the client."""
    if len(data) < 12 or data[0] & 0xC0 != 0x80 or 192 <= data[1] <= 223:
        return False  # not RTP: STUN, DTLS, or RTCP (packet types 192-223)
    if data[1] & 0x7F != video_pt:
        return False
    counts["rtp"] += 1
    seq = int.from_bytes(data[2:4], "big")
    if seq in seen:  # a retransmission: let it through, or lose it once
        if seq not in doomed_repairs:
            return False
        doomed_repairs.discard(seq)
        counts["repairs"] += 1
        return True
    seen.add(seq)
    if len(seen) % every:
        return False
    counts["dropped"] += 1
    if repair_every and counts["dropped"] % repair_every == 0:
        doomed_repairs.add(seq)
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
    print(f"rtp {counts['rtp']} dropped {counts['dropped']} repairs-dropped {counts['repairs']}",
          flush=True)


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
