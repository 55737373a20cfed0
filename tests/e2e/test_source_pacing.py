#!/usr/bin/python3
"""A file source's video reaches a viewer paced, not a frame at a time. The file hands the server
a whole frame's RTP packets at once, a 720p keyframe is tens of packets, and unpaced they leave
in one burst, the kind that fills router queues on the way (app/pacer.h). An aiortc viewer
watches the server's own source over WHEP and notes when each video datagram arrives (as early
as Python sees it, below aiortc): each keyframe must arrive spread out over about what the
pacer's rate allows, never held back past its 100 ms hold, at the clip's 30 frames a second.
Against `onair serve --no-source-pacing` the spread check fails."""
import asyncio
import os
import re
import shutil
import statistics
import struct
import sys
import tempfile
import time

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from onair import Server, Tap, demo_media, whep_answer  # noqa: E402

tap = Tap()
check = tap.check

RECORD_S = 7.0  # at least five of the clip's keyframes (one a second)
# The pacer's rule (app/pacer.h): PACER_FACTOR times the bitrate, at least PACER_MIN_BPS, in
# rounds of PACER_INTERVAL_US, and all that waits gone within about PACER_MAX_HOLD_US.
FACTOR, MIN_BPS, ROUND_S, MAX_HOLD_S = 2.5, 2e6, 0.005, 0.1

arrivals = []  # (monotonic time, payload type, sequence number, timestamp, SSRC, length)


def record_arrivals():
    """Wraps aioice's datagram callback, the first Python code that sees a datagram, to note
    each RTP packet's arrival; the RTP header is plaintext under SRTP (RFC 3711 section 3.1)."""
    original = aioice.ice.StunProtocol.datagram_received

    def datagram_received(self, data, addr):
        # RTP version 2, and not RTCP, whose second byte is 192..223 (RFC 5761 section 4).
        if len(data) >= 12 and 0x80 <= data[0] <= 0xBF and not 192 <= data[1] <= 223:
            _, pt, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
            arrivals.append((time.monotonic(), pt & 0x7F, seq, ts, ssrc, len(data)))
        original(self, data, addr)

    aioice.ice.StunProtocol.datagram_received = datagram_received


def video_payload_types(sdp):
    """The m=video line's payload types, without RTX (its retransmissions are not the frame's)."""
    section = sdp.split("m=video", 1)[1].split("\nm=", 1)[0]
    formats = section.split("\n", 1)[0].split()[2:]
    rtx = set(re.findall(r"a=rtpmap:(\d+) rtx/", section))
    return {int(f) for f in formats if f not in rtx}


def frames_of(packets):
    """Video packets grouped into frames by RTP timestamp, in order of arrival: packets, bytes,
    first and last arrival. A sequence number seen twice (a retransmission) counts once."""
    seen, frames = set(), {}
    for t, _, seq, ts, ssrc, length in packets:
        if (ssrc, seq) in seen:
            continue
        seen.add((ssrc, seq))
        frame = frames.setdefault((ssrc, ts), {"packets": 0, "bytes": 0, "first": t})
        frame["packets"] += 1
        frame["bytes"] += length
        frame["last"] = t
    return sorted(frames.values(), key=lambda f: f["first"])


async def drain(track):
    """Takes the decoded frames so they do not pile up in memory; only arrivals matter here."""
    try:
        while True:
            await track.recv()
    except MediaStreamError:  # the track ended
        pass


async def watch(base, stream):
    """A WHEP viewer of STREAM; returns the peer connection and the video payload types."""
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    pc.on("track", lambda track: asyncio.ensure_future(drain(track)))
    await pc.setLocalDescription(await pc.createOffer())
    answer = whep_answer(base, stream, pc.localDescription.sdp)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc, video_payload_types(answer)


def check_pacing(video):
    """The checks a user would make on the recorded video packets, with their numbers."""
    frames = frames_of(video)[1:-1]  # the first and last may be cut by the recording's edges
    span = frames[-1]["first"] - frames[0]["first"]
    fps = (len(frames) - 1) / span
    check(fps >= 25, f"the viewer gets about 30 frames/s ({fps:.1f} over {span:.1f} s)")
    # The clip's keyframes (one a second) are 11-28 kB, its other frames at most about 8 kB
    # (6 kB typically): the keyframes are the frames over twice the median.
    median = statistics.median(f["bytes"] for f in frames)
    keyframes = [f for f in frames if f["bytes"] > 2 * median]
    check(len(keyframes) >= 5, f"{len(keyframes)} keyframes (>= 5) over twice the median frame "
          f"({median:.0f} B)")
    # The pacer's rate, from the bitrate the viewer saw (its SRTP tags make it a little higher
    # than the server's measure, and so the bound a little lower).
    bps = sum(f["bytes"] for f in frames) * 8 / span
    rate = max(FACTOR * bps, MIN_BPS)
    print(f"# video {bps / 1e6:.2f} Mbit/s, to be paced at {rate / 1e6:.2f} Mbit/s")
    spreads, short = [], 0
    for f in keyframes:
        # B bytes take B*8/rate, or less when the 100 ms hold speeds the pacer up. Half that,
        # less a round (a round's budget may leave at once), is a bound the paced server
        # passes with room to spare, under ASan too (a slower server spreads more): 13-23
        # packet keyframes took 31-59 ms against bounds of 10-24 ms, and 1-6 ms unpaced, as
        # fast as Python reads them. A stalled viewer reads what queued back to back, which
        # can only shorten a spread: a false failure, never a false pass.
        bound = min(f["bytes"] * 8 / rate, MAX_HOLD_S) / 2 - ROUND_S
        spreads.append(f["last"] - f["first"])
        short += spreads[-1] < bound
        print(f"# keyframe {f['packets']} packets {f['bytes']} B: spread "
              f"{spreads[-1] * 1e3:.1f} ms, bound {bound * 1e3:.1f} ms")
    check(keyframes and not short, f"each keyframe arrives spread out, not in one burst: "
          f"spreads {min(spreads, default=0) * 1e3:.0f}-{max(spreads, default=0) * 1e3:.0f} ms, "
          f"each >= half its time at {rate / 1e6:.2f} Mbit/s less a round",
          f"{short} of {len(keyframes)} keyframes under their bound (the lines above)")
    check(max(spreads, default=0) <= MAX_HOLD_S + 0.15, "the pacer holds no keyframe back: "
          f"longest spread {max(spreads, default=0) * 1e3:.0f} ms <= the 100 ms hold + 150 ms")


async def main():
    tmp = tempfile.mkdtemp(prefix="onair-pacing-")
    demo = demo_media(tmp)
    server = Server("source_pacing", ["--source", f"clip={demo}"])
    pc = None
    try:
        record_arrivals()
        pc, pts = await watch(server.base, "clip")
        for _ in range(100):
            video = [a for a in arrivals if a[1] in pts]
            if video:
                break
            await asyncio.sleep(0.1)
        check(video, "the viewer receives video from the file source", f"payload types {pts}")
        if video:
            start = video[0][0]
            await asyncio.sleep(start + RECORD_S - time.monotonic())
            check_pacing([a for a in arrivals if a[1] in pts and a[0] < start + RECORD_S])
    except Exception as error:  # a failure to run is a failed test, with its reason
        check(False, "the pacing scenario ran to its end", repr(error))
    finally:
        if pc:
            await pc.close()
        problems = server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        check(not problems, "the server ran and stopped cleanly", problems)
    return tap.plan()


sys.exit(asyncio.run(main()))
