#!/usr/bin/python3
"""Bad input costs nothing else: while an aiortc viewer watches a stream, the server is sent
malformed signaling, oversized bodies, wrong content types, random datagrams, and a "viewer"
that passes ICE but never starts DTLS. Each gets its error or is dropped; the viewer loses no
packet and the server stays up."""
import asyncio
import hashlib
import hmac
import http.client
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib

from aiortc import RTCPeerConnection, RTCSessionDescription

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from onair import Server, Tap, demo_media  # noqa: E402

tap = Tap()
check = tap.check


def request(url, method="POST", body=b"", content_type="application/sdp"):
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(errors="replace"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace"), dict(e.headers)


def stun_request(username, key):
    """An ICE connectivity check (RFC 8489/8445): USERNAME, PRIORITY, ICE-CONTROLLING,
    USE-CANDIDATE, MESSAGE-INTEGRITY (HMAC-SHA1 with the server's ice-pwd), FINGERPRINT."""
    def attr(kind, value):
        pad = (4 - len(value) % 4) % 4
        return struct.pack("!HH", kind, len(value)) + value + b"\0" * pad
    txid = os.urandom(12)
    body = attr(0x0006, username.encode()) + attr(0x0024, struct.pack("!I", 1853824767))
    body += attr(0x802A, os.urandom(8)) + attr(0x0025, b"")
    header = struct.pack("!HHI", 0x0001, len(body) + 24, 0x2112A442) + txid
    mac = hmac.new(key.encode(), header + body, hashlib.sha1).digest()
    body += attr(0x0008, mac)
    header = struct.pack("!HHI", 0x0001, len(body) + 8, 0x2112A442) + txid
    crc = (zlib.crc32(header + body) ^ 0x5354554E) & 0xFFFFFFFF
    return header + body + attr(0x8028, struct.pack("!I", crc)), txid


def oversized_bodies(base):
    """A body declared larger than the limit is refused: curl with `Expect: 100-continue` (its
    habit past 1 MB) is told 413 instead of 100 Continue, a client that declares more than it
    sends is not left waiting for the connection's timeout, and one that writes a body of up to
    1 MiB before reading gets the 413 rather than a reset."""
    body = os.path.join(tempfile.mkdtemp(prefix="onair-body-"), "2mb")
    with open(body, "wb") as f:
        f.write(b"a" * 2_000_000)
    out = subprocess.run(["curl", "-s", "-m", "10", "-w", "%{http_code} %{size_upload}",
                          "-o", "/dev/null", "-H", "Content-Type: application/sdp",
                          "-H", "Expect: 100-continue", "--data-binary", f"@{body}",
                          f"{base}/whip/demo"], capture_output=True, text=True).stdout
    shutil.rmtree(os.path.dirname(body), ignore_errors=True)
    check(out == "413 0", "a 2 MB offer sent with Expect: 100-continue -> 413, none of it sent",
          f"curl says '{out}' (status, bytes uploaded)")

    host, port = base.removeprefix("http://").split(":")
    started = time.monotonic()
    reply = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /whip/demo HTTP/1.1\r\nHost: onair\r\nContent-Type: application/sdp\r\n"
                     b"Content-Length: 999999999\r\n\r\nv=0\r\n")
        try:
            while chunk := sock.recv(4096):
                reply += chunk
        except OSError:
            pass
    took = time.monotonic() - started
    # Not a timing test: the server used to wait for the body until its 30 s connection timeout.
    check(reply.startswith(b"HTTP/1.1 413") and b"larger than 65536 bytes" in reply
          and took < 10, f"Content-Length: 999999999 and a short body -> 413 in {took:.2f} s",
          reply[:200])

    # Without Expect a client sends its whole body before it reads: the server reads (and drops)
    # up to 1 MiB of it before the 413, so the client gets the answer, not a reset mid-send.
    for size in (1_000_000, 1_048_576):
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            conn.request("POST", "/whip/demo", body=b"a" * size,
                         headers={"Content-Type": "application/sdp"})
            reply = conn.getresponse()
            status, text = reply.status, reply.read().decode(errors="replace")
        except OSError as e:
            status, text = None, repr(e)
        finally:
            conn.close()
        check(status == 413 and "larger than 65536 bytes" in text,
              f"a {size}-byte offer sent whole, without Expect -> 413, not a reset", f"{status} {text}")


def wrong_methods(base):
    """A path the server has, asked with a method it does not take: 405 with the methods it
    takes in Allow (RFC 9110 §15.5.6). RFC 9725 wants GET, HEAD and PUT on WHIP and WHEP
    endpoints answered so. A path it does not have stays 404; OPTIONS stays the preflight's."""
    cases = [(method, f"/{kind}/demo", "POST") for kind in ("whip", "whep")
             for method in ("GET", "HEAD", "PUT")]
    cases += [("POST", "/metrics", "GET"), ("PUT", "/api/streams/demo", "DELETE"),
              ("POST", "/api/streams", "GET"), ("GET", "/session/nosuchsession", "PATCH"),
              ("GET", "/api/streams/demo/recording", "POST")]
    for method, path, allowed in cases:
        status, text, headers = request(base + path, method=method)
        allow = [m.strip() for m in headers.get("Allow", "").split(",")]
        check(status == 405 and allowed in allow and (method == "HEAD" or allowed in text),
              f"{method} {path} -> 405, Allow: {headers.get('Allow')}", f"{status} {text[:200]}")
    status, text, _ = request(f"{base}/no/such/page", method="PUT")
    check(status == 404, "PUT of a path the server does not have -> 404", f"{status} {text}")
    status, _, headers = request(f"{base}/whep/demo", method="OPTIONS")
    check(status == 204 and headers.get("Accept-Post") == "application/sdp",
          "OPTIONS /whep/demo -> 204 with Accept-Post", f"{status} {headers}")


def bad_stream_names(base):
    """GET /api/streams/NAME of a name no stream can have answers 400 with the naming rule, as
    WHIP, WHEP, DELETE and the recording's routes do, not 404 'no such stream'."""
    for name in ("bad%20name", "x" * 64):
        status, text, _ = request(f"{base}/api/streams/{name}", method="GET")
        check(status == 400 and "1 to 63 letters" in text,
              f"GET /api/streams/{name[:12]} (no stream's name) -> 400 with the naming rule",
              f"{status} {text[:200]}")


async def viewer_stats(pc):
    stats = {"packets": 0, "lost": 0}
    for report in (await pc.getStats()).values():
        if report.type == "inbound-rtp":
            stats["packets"] += report.packetsReceived
            stats["lost"] += report.packetsLost
    return stats


async def main():
    tmp = tempfile.mkdtemp(prefix="onair-bad-")
    server = Server("bad_input", ["--source", f"demo={demo_media(tmp)}"])
    base, media = server.base, server.media
    try:
        # The viewer whose packets must all arrive.
        pc = RTCPeerConnection()
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")

        @pc.on("track")
        def on_track(track):
            async def drain():
                while True:
                    await track.recv()
            asyncio.ensure_future(drain())

        await pc.setLocalDescription(await pc.createOffer())
        good_offer = pc.localDescription.sdp
        status, answer, _ = request(f"{base}/whep/demo", body=good_offer.encode())
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.sleep(3)
        before = await viewer_stats(pc)
        check(before["packets"] > 100, "the watching viewer receives packets", before)

        # Signaling abuse: each refused with its status and a reason in the body.
        cases = [
            ("/whep/demo", b"this is not SDP", "application/sdp", 400, "SDP"),
            ("/whep/demo", b"v=0\r\nm=video notaport RTP/SAVPF 96\r\n", "application/sdp", 400, "port"),
            ("/whep/demo", good_offer.replace("a=group:BUNDLE", "a=group:NOBUNDLE").encode(),
             "application/sdp", 400, "BUNDLE"),
            ("/whep/demo", re.sub(r"a=fingerprint:[^\r\n]*\r\n", "", good_offer).encode(),
             "application/sdp", 400, "fingerprint"),
            ("/whep/demo", good_offer.encode(), "text/plain", 415, "application/sdp"),
            ("/whip/demo", b"v=0\r\n" + b"a=x\r\n" * 20000, "application/sdp", 413, "larger"),
            ("/offer", b"{not json", "application/json", 400, "JSON"),
            ("/offer", b"[1, 2]", "application/json", 400, "SDP"),
        ]
        for path, body, ctype, want, word in cases:
            status, text, _ = request(base + path, body=body, content_type=ctype)
            check(status == want and word.lower() in text.lower(),
                  f"POST {path} ({ctype}, {len(body)} bytes) -> {want} saying '{word}'",
                  f"{status} {text[:200]}")
        oversized_bodies(base)
        wrong_methods(base)
        bad_stream_names(base)
        no_vp8 = good_offer.replace("VP8/90000", "XVP8/90000")
        status, text, _ = request(f"{base}/whep/demo", body=no_vp8.encode())
        check(status == 406, "a viewer whose video offer has no VP8 -> 406", f"{status} {text[:200]}")
        status, text, _ = request(f"{base}/whip/demo", body=good_offer.replace("recvonly", "sendonly").encode())
        check(status == 409, "a second publisher for a live stream -> 409", f"{status} {text[:200]}")
        for method in ("DELETE", "PATCH"):
            status, text, _ = request(f"{base}/session/nosuchsession", method=method,
                                      content_type="application/trickle-ice-sdpfrag")
            check(status == 404, f"{method} of an unknown session -> 404", f"{status} {text}")

        # Random datagrams at the media port, with first bytes of every class (RFC 7983).
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rng = random.Random(7)
        for i in range(3000):
            first = rng.choice([0, 1, 20, 22, 23, 63, 64, 127, 128, 144, 191, 200, 255])
            size = rng.randrange(1, 1400)
            sock.sendto(bytes([first]) + rng.randbytes(size), ("127.0.0.1", media))
            if i % 100 == 0:
                await asyncio.sleep(0.01)

        # A viewer that completes ICE but never starts DTLS.
        status, answer, headers = request(f"{base}/whep/demo", body=good_offer.encode())
        ufrag = re.search(r"a=ice-ufrag:(\S+)", answer).group(1)
        pwd = re.search(r"a=ice-pwd:(\S+)", answer).group(1)
        client_ufrag = re.search(r"a=ice-ufrag:(\S+)", good_offer).group(1)
        packet, txid = stun_request(f"{ufrag}:{client_ufrag}", pwd)
        sock.settimeout(2)
        sock.sendto(packet, ("127.0.0.1", media))
        try:
            reply, _ = sock.recvfrom(2048)
            ok = reply[:2] == b"\x01\x01" and reply[8:20] == txid
        except socket.timeout:
            ok = False
        check(ok, "the silent viewer's ICE check is answered with a binding success")
        # A check for a session the server does not know (ended, or held before a restart):
        # 401, so that its client stops at once, in a reply no larger than the check.
        packet, txid = stun_request(f"nosuchsession:{client_ufrag}", pwd)
        sock.sendto(packet, ("127.0.0.1", media))
        try:
            reply, _ = sock.recvfrom(2048)
        except socket.timeout:
            reply = b""
        code, at = None, 20
        while at + 4 <= len(reply):
            kind, size = struct.unpack("!HH", reply[at:at + 4])
            if kind == 0x0009 and size >= 4:
                code = reply[at + 6] * 100 + reply[at + 7]
            at += 4 + size + (4 - size % 4) % 4
        check(reply[:2] == b"\x01\x11" and reply[8:20] == txid and code == 401
              and len(reply) <= len(packet),
              f"a check for an unknown session is answered 401 ({code}, {len(reply)} bytes "
              f"for {len(packet)})", reply.hex())
        # Garbage from that validated address too.
        for _ in range(300):
            sock.sendto(bytes([rng.choice([22, 128, 200])]) + rng.randbytes(200), ("127.0.0.1", media))
        await asyncio.sleep(3)

        after = await viewer_stats(pc)
        check(after["packets"] > before["packets"] + 100,
              "the watching viewer keeps receiving during the abuse", (before, after))
        check(after["lost"] == 0, "the watching viewer lost no packet", after)
        status, _, _ = request(f"{base}/healthz", method="GET")
        check(status == 200, "the server is still up")
        await pc.close()
    except Exception as error:
        check(False, "the scenario ran to its end", repr(error))
    finally:
        problems = server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        check(not problems, "the server ran and stopped cleanly", problems)
    return tap.plan()


sys.exit(asyncio.run(main()))
