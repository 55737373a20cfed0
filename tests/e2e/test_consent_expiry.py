#!/usr/bin/python3
"""A viewer that vanishes, its process killed with no DELETE and no DTLS alert, is dropped when
its ICE consent expires (RFC 7675: 30 s without a check), and not before: the server counts it
until then, and afterwards neither counts nor serves it. The viewer has no data channel, so by
the time it is killed its DTLS state is released and its session is looked at once a second."""
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from aiortc import RTCPeerConnection, RTCSessionDescription

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from onair import Server, Tap, demo_media, whep_answer  # noqa: E402

tap = Tap()
check = tap.check


def packets_sent(base):
    """onair_rtp_packets_sent_total from the server's /metrics."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("onair_rtp_packets_sent_total "):
                return float(line.split()[1])
    return None


def viewers(base, name):
    with urllib.request.urlopen(f"{base}/api/streams/{name}", timeout=5) as r:
        return json.loads(r.read()).get("viewers")


async def watch(base, stream):
    """The viewer's process: watches STREAM, prints a line at its first video frame, and goes
    on receiving until it is killed."""
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    first = asyncio.Event()

    @pc.on("track")
    def on_track(track):
        async def drain():
            while True:
                await track.recv()
                if track.kind == "video" and not first.is_set():
                    print("frame", flush=True)
                    first.set()
        asyncio.ensure_future(drain())

    await pc.setLocalDescription(await pc.createOffer())
    answer = whep_answer(base, stream, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    await asyncio.sleep(3600)


def main():
    tmp = tempfile.mkdtemp(prefix="onair-consent-")
    demo = demo_media(tmp)
    server = Server("consent_expiry", ["--source", f"demo={demo}", "--log-level", "debug"])
    base = server.base
    viewer = subprocess.Popen([sys.executable, __file__, "viewer", base],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = viewer.stdout.readline().strip()
        check(line == "frame", "the viewer decodes a video frame", line)
        check(viewers(base, "demo") == 1, "the server counts one viewer", viewers(base, "demo"))
        time.sleep(11)
        log = open(server.log_path).read()
        check("DTLS state released" in log, "10 s on, its DTLS state is released", "")
        viewer.send_signal(signal.SIGKILL)
        viewer.wait()
        killed_at = time.monotonic()
        # Its last check came at most a few seconds before the kill (aiortc checks consent
        # every ~5 s): 20 s on, consent still holds.
        time.sleep(20)
        check(viewers(base, "demo") == 1, "20 s after the viewer vanished it is still counted",
              viewers(base, "demo"))
        gone = None
        while time.monotonic() - killed_at < 40:
            if viewers(base, "demo") == 0:
                gone = time.monotonic() - killed_at
                break
            time.sleep(0.2)
        log = open(server.log_path).read()
        check(gone is not None and gone <= 32, "it is dropped by 32 s after it vanished "
              f"({gone and round(gone, 1)} s)", gone)
        check("consent expired (no STUN check for 30 s)" in log,
              "the server's log says why: consent expired", "")
        sent = packets_sent(base)
        time.sleep(1)
        again = packets_sent(base)
        check(sent is not None and sent > 0 and sent == again,
              "nothing more is sent to it", (sent, again))
    finally:
        if viewer.poll() is None:
            viewer.kill()
            viewer.wait()
        problems = server.stop()
        check(not problems, "the server ran and stopped cleanly", problems)
        shutil.rmtree(tmp, ignore_errors=True)
    return tap.plan()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "viewer":
        asyncio.run(watch(sys.argv[2], "demo"))
    else:
        sys.exit(main())
