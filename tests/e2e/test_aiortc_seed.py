#!/usr/bin/python3
"""aiortc, the library of the article this project comes from, on both ends of the relay: viewers
that post {sdp, type, stream} to /offer or an SDP to WHEP and record what they receive with
aiortc's MediaRecorder (ffprobe counts the frames), of the server's own source, of a publisher in
the seed's shape (the SDP as a bare JSON string to /offer) and of a WHIP publisher."""
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer, MediaRecorder

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from onair import Server, Tap, demo_media  # noqa: E402

tap = Tap()
check = tap.check


def post(url, body, content_type):
    req = urllib.request.Request(url, data=body.encode(), method="POST",
                                 headers={"Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read().decode(), r.headers.get("Location")


async def publish_seed_shape(base, clip, stream):
    """The article's client: MediaPlayer into a peer connection, json=pc.localDescription.sdp."""
    player = MediaPlayer(clip, loop=True)
    pc = RTCPeerConnection()
    pc.addTrack(player.video)
    pc.addTrack(player.audio)
    await pc.setLocalDescription(await pc.createOffer())
    status, body, _ = post(f"{base}/offer?stream={stream}", json.dumps(pc.localDescription.sdp),
                           "application/json")
    reply = json.loads(body)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type=reply["type"]))
    return pc, player, status, reply


async def publish_whip(base, clip, stream):
    """An aiortc publisher through WHIP: application/sdp in, 201 and the answer out."""
    player = MediaPlayer(clip, loop=True)
    pc = RTCPeerConnection()
    pc.addTrack(player.video)
    pc.addTrack(player.audio)
    await pc.setLocalDescription(await pc.createOffer())
    status, answer, location = post(f"{base}/whip/{stream}", pc.localDescription.sdp,
                                    "application/sdp")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return pc, player, status, location


async def stop_publisher(pc, player):
    await pc.close()
    player.video.stop()
    player.audio.stop()


async def record(base, stream, path, seconds, use_offer):
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    recorder = MediaRecorder(path)

    @pc.on("track")
    def on_track(track):
        recorder.addTrack(track)

    await pc.setLocalDescription(await pc.createOffer())
    if use_offer:
        _, body, _ = post(f"{base}/offer", json.dumps({"sdp": pc.localDescription.sdp,
                                                       "type": "offer", "stream": stream}),
                          "application/json")
        answer = json.loads(body)["sdp"]
    else:
        _, answer, _ = post(f"{base}/whep/{stream}", pc.localDescription.sdp, "application/sdp")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    await recorder.start()
    await asyncio.sleep(seconds)
    await recorder.stop()
    await pc.close()


def stream_info(base, name):
    with urllib.request.urlopen(f"{base}/api/streams/{name}", timeout=5) as r:
        return json.loads(r.read())


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                          "stream=codec_type,nb_read_frames", "-of", "json", path],
                         capture_output=True, text=True)
    streams = json.loads(out.stdout or "{}").get("streams", [])
    return {s["codec_type"]: int(s.get("nb_read_frames", 0)) for s in streams}


async def main():
    tmp = tempfile.mkdtemp(prefix="onair-aiortc-")
    demo = demo_media(tmp)
    # aiortc re-encodes what it publishes in Python's process: a small clip keeps it real-time.
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:rate=30:duration=10", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000:duration=10", "-c:v", "libvpx",
                    "-b:v", "500k", "-g", "30", "-c:a", "libopus", f"{tmp}/small.webm"], check=True)
    server = Server("aiortc_seed", ["--source", f"demo={demo}"])
    base = server.base
    try:
        # 1. An aiortc viewer of the server's own source, through /offer {sdp,type,stream}.
        path = os.path.join(tmp, "viewer-offer.mkv")
        await record(base, "demo", path, 5, use_offer=True)
        frames = probe(path)
        check(frames.get("video", 0) >= 90, "an aiortc viewer through /offer records >= 90 frames in 5 s",
              frames)
        check(frames.get("audio", 0) > 0, "the aiortc recording has audio", frames)

        # 2. The seed's publisher shape, watched and recorded by an aiortc WHEP viewer: aiortc
        #    on both ends of the relay, as in the article.
        pc, player, status, reply = await publish_seed_shape(base, f"{tmp}/small.webm", "seed")
        check(status == 200 and reply.get("type") == "answer",
              "/offer with a bare JSON string answers {sdp, type: answer}", reply.get("type"))
        await asyncio.sleep(1)
        first = stream_info(base, "seed")
        path = os.path.join(tmp, "seed-via-whep.mkv")
        await record(base, "seed", path, 5, use_offer=False)
        info = stream_info(base, "seed")
        check(info.get("live") is True, "the seed-shaped aiortc publisher makes the stream live", info)
        tracks = {t["kind"]: t for t in info.get("tracks", [])}
        before = {t["kind"]: t for t in first.get("tracks", [])}
        grew = {k: tracks.get(k, {}).get("packets", 0) - before.get(k, {}).get("packets", 0)
                for k in ("video", "audio")}
        check(grew["video"] >= 100 and grew["audio"] >= 150 and tracks["video"]["codec"] == "VP8",
              "the server receives the aiortc publisher's VP8 video and Opus audio (5 s)", grew)
        frames = probe(path)
        # aiortc encodes and decodes in Python: about 20-25 of the clip's 30 fps get through.
        check(frames.get("video", 0) >= 75,
              "an aiortc WHEP viewer records the aiortc publisher's video (>= 75 frames in 5 s)",
              frames)
        check(frames.get("audio", 0) > 0, "and its audio", frames)
        await stop_publisher(pc, player)

        # 3. An aiortc publisher through WHIP, recorded by an aiortc viewer through /offer.
        pc, player, status, location = await publish_whip(base, f"{tmp}/small.webm", "whip")
        check(status == 201 and location and location.startswith("/session/"),
              "an aiortc WHIP publisher gets 201 and a Location", (status, location))
        await asyncio.sleep(1)
        path = os.path.join(tmp, "whip-via-offer.mkv")
        await record(base, "whip", path, 5, use_offer=True)
        frames = probe(path)
        check(frames.get("video", 0) >= 75 and frames.get("audio", 0) > 0,
              "an aiortc /offer viewer records the WHIP publisher's video and audio", frames)
        await stop_publisher(pc, player)
    except Exception as error:  # a failure to run is a failed test, with its reason
        check(False, "the aiortc interop scenario ran to its end", repr(error))
    finally:
        problems = server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        check(not problems, "the server ran and stopped cleanly", problems)
    return tap.plan()


sys.exit(asyncio.run(main()))
