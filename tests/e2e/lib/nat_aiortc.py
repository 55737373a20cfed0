#!/usr/bin/python3
"""nat_aiortc.py WHEP_URL SECONDS: an aiortc viewer for the NAT tests, run inside the client
namespace. It takes its ICE servers from the server's /api/ice-servers, watches through WHEP for
SECONDS, and prints one JSON line: the video frames it decoded and the candidate pair aioice
nominated ({local, remote}: type, protocol, address, port)."""
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


async def main(url, seconds):
    base = urllib.parse.urljoin(url, "/")
    _, body, _ = http(urllib.parse.urljoin(base, "api/ice-servers"))
    servers = [RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
               for s in json.loads(body)["iceServers"]]
    pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
    pc.addTransceiver("video", direction="recvonly")
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
    report = {"status": status, "frames": frames, "pair": nominated_pair(pc),
              "state": pc.iceConnectionState}
    for task in tasks:
        task.cancel()
    await pc.close()
    if location:
        try:
            http(urllib.parse.urljoin(base, location), method="DELETE")
        except OSError:
            pass
    print(json.dumps(report), flush=True)


asyncio.run(main(sys.argv[1], float(sys.argv[2])))
