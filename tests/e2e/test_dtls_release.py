#!/usr/bin/python3
"""A viewer without data channels costs the server no DTLS state once its handshake is 10 s old
(the SSL object and its buffers are freed), and yet: its media keeps flowing, and when it closes
its peer connection without a DELETE (aiortc sends a DTLS close_notify alert) the server ends
its session at once rather than 30 s later at consent expiry. A viewer with a data channel keeps
its DTLS (SCTP runs inside it)."""
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request

from aiortc import RTCPeerConnection, RTCSessionDescription

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from onair import Server, Tap, demo_media, whep_answer  # noqa: E402

tap = Tap()
check = tap.check


def viewers(base, name):
    with urllib.request.urlopen(f"{base}/api/streams/{name}", timeout=5) as r:
        return json.loads(r.read()).get("viewers")


async def connect(base, stream, data_channel):
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    if data_channel:
        pc.createDataChannel("chat")
    frames = {"n": 0}

    @pc.on("track")
    def on_track(track):
        async def drain():
            try:
                while True:
                    await track.recv()
                    if track.kind == "video":
                        frames["n"] += 1
            except Exception:  # noqa: BLE001 - ends with the connection
                pass
        asyncio.ensure_future(drain())

    await pc.setLocalDescription(await pc.createOffer())
    answer = whep_answer(base, stream, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc, frames


async def main():
    tmp = tempfile.mkdtemp(prefix="onair-dtls-release-")
    demo = demo_media(tmp)
    server = Server("dtls_release", ["--source", f"demo={demo}", "--log-level", "debug"])
    base = server.base
    try:
        plain, plain_frames = await connect(base, "demo", False)
        with_data, _ = await connect(base, "demo", True)
        await asyncio.sleep(12)
        log = open(server.log_path).read()
        released = log.count("DTLS state released")
        check(released == 1, "after 10 s the viewer without data channels has its DTLS state "
              "released, the one with a data channel keeps it", f"{released} released")
        before = plain_frames["n"]
        await asyncio.sleep(2)
        check(plain_frames["n"] > before + 20, "its video keeps flowing after the release",
              (before, plain_frames["n"]))
        check(viewers(base, "demo") == 2, "two viewers", viewers(base, "demo"))
        closed_at = time.monotonic()
        await plain.close()  # no DELETE: the DTLS alert is all the server gets
        gone = None
        for _ in range(50):
            if viewers(base, "demo") == 1:
                gone = time.monotonic() - closed_at
                break
            await asyncio.sleep(0.1)
        log = open(server.log_path).read()
        check(gone is not None and "an alert after the handshake" in log,
              "closing the peer connection without DELETE ends its session at once "
              f"({gone and round(gone, 2)} s), from the DTLS alert", gone)
        await with_data.close()
    finally:
        problems = server.stop()
        check(not problems, "the server ran and stopped cleanly", problems)
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.plan()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
