#!/usr/bin/python3
"""nat_aiortc.py WHEP_URL SECONDS [PORT]: an aiortc viewer for the NAT tests, run inside the
client namespace. It takes its ICE servers from the server's /api/ice-servers, watches through
WHEP for SECONDS, and prints one JSON line: the video frames it decoded and the candidate pair
aioice nominated ({local, remote}: type, protocol, address, port). PORT, when given, is the UDP
port of its host candidate (aioice asks for any; the test wants one that clashes)."""
import asyncio
import json
import sys
import urllib.parse
import urllib.request

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription


def http(url, body=None, content_type=None, method=None):
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method,
                                 headers={"Content-Type": content_type} if content_type else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read().decode(), r.headers.get("Location")


def describe(c):
    return c and {"type": c.type, "protocol": c.transport.lower(), "address": c.host,
                  "port": c.port}


def nominated_pair(pc):
    """aioice's nominated pair of the bundle's transport (aiortc exposes no getStats pair)."""
    for transceiver in pc.getTransceivers():
        connection = transceiver.receiver.transport.transport.iceGatherer._connection
        pair = connection._nominated.get(1)
        if pair:
            return {"local": describe(pair.local_candidate), "remote": describe(pair.remote_candidate)}
    return None


def bind_first_host_socket_to(port):
    """aioice binds each host candidate's socket with local_addr=(address, 0): the first such
    bind gets PORT instead."""
    loop = asyncio.get_running_loop()
    original = loop.create_datagram_endpoint
    pending = [port]

    async def bind(factory, local_addr=None, **kwargs):
        if pending and local_addr and local_addr[1] == 0:
            local_addr = (local_addr[0], pending.pop())
        return await original(factory, local_addr=local_addr, **kwargs)

    loop.create_datagram_endpoint = bind


async def main(url, seconds, port):
    if port:
        bind_first_host_socket_to(port)
    base = urllib.parse.urljoin(url, "/")
    _, body, _ = http(urllib.parse.urljoin(base, "api/ice-servers"))
    servers = [RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
               for s in json.loads(body)["iceServers"]]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
    pc.addTransceiver("video", direction="recvonly")
    # aiortc gathers for each section before bundling: with one PORT, only one section.
    if not port:
        pc.addTransceiver("audio", direction="recvonly")
    frames = 0

    async def count(track):
        nonlocal frames
        while True:
            await track.recv()
            frames += 1

    tasks = []
    pc.on("track", lambda track: track.kind == "video" and tasks.append(asyncio.ensure_future(count(track))))
    await pc.setLocalDescription(await pc.createOffer())
    status, answer, location = http(url, pc.localDescription.sdp, "application/sdp", "POST")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    await asyncio.sleep(seconds)
    connection = pc.getTransceivers()[0].receiver.transport.transport.iceGatherer._connection
    report = {"status": status, "frames": frames, "pair": nominated_pair(pc),
              "state": pc.iceConnectionState,
              "candidates": [f"{c.type} {c.host}:{c.port}" for c in connection.local_candidates]}
    for task in tasks:
        task.cancel()
    await pc.close()
    if location:
        try:
            http(urllib.parse.urljoin(base, location), method="DELETE")
        except OSError:
            pass
    print(json.dumps(report), flush=True)


asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0))
