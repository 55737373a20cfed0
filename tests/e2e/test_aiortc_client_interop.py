#!/usr/bin/python3
"""onair's own clients against the article's reference peer: an aiortc server in the seed's
shape (POST /offer with the SDP as JSON, {sdp, type} back). `onair publish --seed-offer` plays a
clip into it and aiortc records what arrives; `onair record --seed-offer` records what an
aiortc MediaPlayer sends. ffprobe checks both recordings. aiortc gathers on 127.0.0.1 only, so
every packet stays on loopback."""
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import aioice.ice
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer, MediaRecorder

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
ONAIR = os.path.join(ROOT, os.environ.get("ONAIR", "build/onair"))
failed = 0
checks = 0

# Loopback only: the peer offers 127.0.0.1, not the machine's other addresses.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def check(ok, what, detail=""):
    global failed, checks
    checks += 1
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failed += 1
        print("#   " + str(detail))


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries",
                          "stream=codec_type,codec_name,nb_read_frames", "-of", "json", path],
                         capture_output=True, text=True)
    streams = json.loads(out.stdout or "{}").get("streams", [])
    return {s["codec_type"]: (s.get("codec_name"), int(s.get("nb_read_frames", 0))) for s in streams}


class SeedServer:
    """The article's offer server: one POST /offer at a time, answered by a new aiortc peer that
    either records what it receives (mode "record") or plays CLIP (mode "play")."""

    def __init__(self, mode, path):
        self.mode, self.path = mode, path
        self.pcs, self.recorder, self.player, self.bodies = [], None, None, []

    async def handle(self, reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode().split("\r\n"):
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        body = json.loads(await reader.readexactly(length))
        self.bodies.append(body)
        sdp = body if isinstance(body, str) else body["sdp"]  # the seed posts a bare string
        pc = RTCPeerConnection()
        self.pcs.append(pc)
        if self.mode == "record":
            self.recorder = MediaRecorder(self.path)
            pc.on("track", lambda track: self.recorder.addTrack(track))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        if self.mode == "play":
            self.player = MediaPlayer(self.path, loop=True)
            pc.addTrack(self.player.video)
            pc.addTrack(self.player.audio)
        await pc.setLocalDescription(await pc.createAnswer())
        if self.recorder:
            await self.recorder.start()
        reply = json.dumps({"sdp": pc.localDescription.sdp, "type": "answer"}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                     str(len(reply)).encode() + b"\r\nConnection: close\r\n\r\n" + reply)
        await writer.drain()
        writer.close()

    async def close(self):
        if self.recorder:
            await self.recorder.stop()
        for pc in self.pcs:
            await pc.close()
        if self.player:
            self.player.video.stop()
            self.player.audio.stop()


async def serve(seed):
    server = await asyncio.start_server(seed.handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def sanitizer_free(text):
    return "Sanitizer" not in text and "runtime error" not in text


async def main():
    tmp = tempfile.mkdtemp(prefix="onair-aiortc-client-")
    clip = os.path.join(tmp, "clip.webm")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=320x240:rate=30:duration=8", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000:duration=8", "-c:v", "libvpx",
                    "-b:v", "500k", "-g", "30", "-c:a", "libopus", clip], check=True)
    try:
        # 1. onair publish --seed-offer into an aiortc peer that records.
        received = os.path.join(tmp, "received.mkv")
        seed = SeedServer("record", received)
        server, port = await serve(seed)
        publisher = await asyncio.create_subprocess_exec(
            ONAIR, "publish", clip, f"http://127.0.0.1:{port}/offer", "--seed-offer",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        await asyncio.sleep(6)
        publisher.send_signal(signal.SIGINT)
        out = (await publisher.communicate())[0].decode(errors="replace")
        await seed.close()
        server.close()
        check(publisher.returncode == 0 and sanitizer_free(out),
              "onair publish --seed-offer runs against aiortc and exits 0 on SIGINT",
              f"exit {publisher.returncode}: {out[-500:]}")
        check(len(seed.bodies) == 1 and isinstance(seed.bodies[0], str),
              "it posted the SDP as a bare JSON string, as the article's client does", seed.bodies)
        got = probe(received)
        check(got.get("video", (None, 0))[1] >= 60,
              "aiortc received and recorded onair's video (>= 60 frames in about 5 s)", got)
        check(got.get("audio", (None, 0))[1] > 0, "and its audio", got)

        # 2. onair record --seed-offer from an aiortc peer that plays the clip.
        seed = SeedServer("play", clip)
        server, port = await serve(seed)
        out_path = os.path.join(tmp, "from-aiortc.mkv")
        recorder = await asyncio.create_subprocess_exec(
            ONAIR, "record", f"http://127.0.0.1:{port}/offer", out_path, "--seed-offer",
            "--duration", "4", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            out = (await asyncio.wait_for(recorder.communicate(), 30))[0].decode(errors="replace")
        except asyncio.TimeoutError:
            recorder.kill()
            out = "timed out"
        await seed.close()
        server.close()
        check(recorder.returncode == 0 and sanitizer_free(out),
              "onair record --seed-offer records from aiortc and exits 0", f"exit {recorder.returncode}: {out[-500:]}")
        got = probe(out_path)
        check(got.get("video", ("", 0))[0] == "vp8" and got["video"][1] >= 60,
              "the recording holds aiortc's VP8 (>= 60 frames in 4 s)", got)
        check(got.get("audio", ("", 0))[0] == "opus", "and its Opus audio", got)
    except Exception as error:  # a failure to run is a failed test, with its reason
        check(False, "the aiortc client interop scenario ran to its end", repr(error))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{checks}")
    return failed


sys.exit(1 if asyncio.run(main()) else 0)
