#!/usr/bin/python3
"""rtsp_camera.py PORT: an IP camera on 127.0.0.1:PORT for the RTSP tests, made of GStreamer's
RTSP server (gst-rtsp-server through GObject introspection). It serves a live test pattern,
H.264 (x264, zero latency, a keyframe every KEYINT frames) with:
  /test   AAC audio (as most cameras send it)
  /opus   Opus audio
  /audio  AAC audio only: a "camera" with no video
CAMERA_KEYINT=N in the environment sets KEYINT (bench/join-time.mjs gives a camera's usual 2 s).
Prints "ready PORT" once it listens; runs until killed (SIGTERM or SIGINT)."""
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

# frames: a viewer that joins (or a reconnect) waits at most half a second
KEYINT = int(os.environ.get("CAMERA_KEYINT", "15"))

VIDEO = (
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 "
    f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={KEYINT} bitrate=500 "
    "! video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 pt=96 "
)
TONE = "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample "
AAC = TONE + "! audio/x-raw,rate=44100,channels=2 ! avenc_aac ! rtpmp4gpay name=pay{n} pt=97 "
OPUS = TONE + "! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay name=pay{n} pt=111 "

MOUNTS = {
    "/test": VIDEO + AAC.format(n=1),
    "/opus": VIDEO + OPUS.format(n=1),
    "/audio": AAC.format(n=0),
}


def main():
    port = sys.argv[1]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    mounts = server.get_mount_points()
    for path, launch in MOUNTS.items():
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(f"( {launch})")
        # One pipeline for all clients, as a camera has one encoder.
        factory.set_shared(True)
        mounts.add_factory(path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{port}", file=sys.stderr)
        sys.exit(1)
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print(f"ready {port}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
