#!/usr/bin/python3
"""GStreamer's webrtcbin (libnice ICE, its own DTLS and SDP) watches a stream through WHEP and
decodes it: an independent WebRTC stack against the server."""
import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("Nice", "0.1")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from onair import Server, Tap, demo_media  # noqa: E402

tap = Tap()
check = tap.check


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def delete(url):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


class Viewer:
    """webrtcbin with recvonly VP8 and Opus transceivers; decoded video frames are counted."""

    def __init__(self, whep_url):
        self.url = whep_url
        self.frames = 0
        self.audio_buffers = 0
        self.status = None
        self.error = None
        self.pipe = Gst.Pipeline.new("viewer")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipe.add(self.webrtc)
        # libnice leaves loopback out when it gathers; name 127.0.0.1 as the only local
        # address, so the test's traffic stays on loopback and pairs with the server's
        # 127.0.0.1 candidate. UDP only: the server has no TCP candidates.
        # (Keep the wrappers for the viewer's life: PyGObject releases a reference it was
        # never given when they are collected.)
        self.ice = self.webrtc.get_property("ice-agent")
        self.ice.set_property("ice-tcp", False)
        self.nice = self.ice.get_property("agent")
        loopback = Nice.Address()
        loopback.set_from_string("127.0.0.1")
        self.nice.add_local_address(loopback)
        self.webrtc.connect("pad-added", self.on_pad_added)
        for caps in ("application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000",
                     "application/x-rtp,media=audio,encoding-name=OPUS,payload=97,clock-rate=48000"):
            self.webrtc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                             Gst.Caps.from_string(caps))
        self.size = None
        self.location = None

    def start(self):
        """Asks for one offer once the pipeline plays. (on-negotiation-needed fires once per
        transceiver in 1.22; answering each with create-offer races set-local-description.)"""
        promise = Gst.Promise.new_with_change_func(self.on_offer_created, None)
        self.webrtc.emit("create-offer", None, promise)
        return False

    def on_offer_created(self, promise, _):
        # Hold the reply while reading it: the description inside belongs to it (PyGObject's
        # wrapper of a temporary reply frees it too early, and the offer with it).
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        text = offer.sdp.as_text() if offer is not None and offer.sdp is not None else None
        GLib.idle_add(self.post_offer, text)  # HTTP from the main loop, not webrtcbin's thread

    def post_offer(self, offer_text):
        """Posts the offer at once: the server is ICE-lite and learns this client's addresses
        from its connectivity checks, so no candidates need to reach it (no trickle)."""
        if offer_text is None:
            self.error = "webrtcbin made no offer"
            return False
        _, msg = GstSdp.SDPMessage.new_from_text(offer_text)
        offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, msg)
        self.webrtc.emit("set-local-description", offer, None)
        req = urllib.request.Request(self.url, data=offer_text.encode(), method="POST",
                                     headers={"Content-Type": "application/sdp"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                self.status = r.status
                self.location = r.headers.get("Location")
                answer_text = r.read().decode()
        except Exception as error:  # reported by the test's checks
            self.error = repr(error)
            return False
        _, msg = GstSdp.SDPMessage.new_from_text(answer_text)
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, msg)
        self.webrtc.emit("set-remote-description", answer, Gst.Promise.new())
        return False

    def on_pad_added(self, element, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        decode = Gst.ElementFactory.make("decodebin")
        decode.connect("pad-added", self.on_decoded_pad)
        self.pipe.add(decode)
        decode.sync_state_with_parent()
        pad.link(decode.get_static_pad("sink"))

    def on_decoded_pad(self, decodebin, pad):
        caps = pad.get_current_caps().to_string()
        if caps.startswith("video/"):
            structure = pad.get_current_caps().get_structure(0)
            self.size = (structure.get_value("width"), structure.get_value("height"))
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("signal-handoffs", True)
        sink.set_property("sync", False)
        video = caps.startswith("video/")
        sink.connect("handoff", self.on_video if video else self.on_audio)
        self.pipe.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    def on_video(self, *args):
        self.frames += 1

    def on_audio(self, *args):
        self.audio_buffers += 1


def main():
    Gst.init(None)
    tmp = tempfile.mkdtemp(prefix="onair-gst-")
    server = Server("gstreamer_whep", ["--source", f"demo={demo_media(tmp)}"])
    base = server.base
    try:
        viewer = Viewer(f"{base}/whep/demo")
        viewer.pipe.set_state(Gst.State.PLAYING)
        GLib.idle_add(viewer.start)
        loop = GLib.MainLoop()
        watching = {}

        def look_at_api():
            watching.update(get_json(f"{base}/api/streams/demo"))
            return False
        GLib.timeout_add_seconds(6, look_at_api)
        GLib.timeout_add_seconds(10, loop.quit)
        loop.run()
        check(viewer.status == 201, "webrtcbin's WHEP offer is answered 201", viewer.error)
        check(viewer.frames > 150, "webrtcbin decodes the stream's video (> 150 frames in 10 s)",
              viewer.frames)
        check(viewer.size == (1280, 720), "the decoded video is the source's 1280x720",
              viewer.size)
        check(viewer.audio_buffers > 100, "webrtcbin decodes the stream's audio",
              viewer.audio_buffers)
        check(watching.get("viewers") == 1, "/api/streams/demo counts webrtcbin as a viewer",
              watching)
        status = delete(base + viewer.location) if viewer.location else None
        check(status in (200, 204), "DELETE on the Location ends the session", status)
        after = get_json(f"{base}/api/streams/demo")
        check(after.get("viewers") == 0, "and the stream has no viewer left", after)
        viewer.pipe.set_state(Gst.State.NULL)
    finally:
        problems = server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        check(not problems, "the server ran and stopped cleanly", problems)
    return tap.plan()


sys.exit(main())
