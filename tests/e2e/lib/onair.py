"""onair.py: what the Python end-to-end tests share: TAP checks, free loopback ports, the demo
clip, and the server started by the test on loopback and stopped by its PID."""
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
ONAIR = os.path.join(ROOT, os.environ.get("ONAIR", "build/onair"))
OUT = os.path.join(ROOT, "tests/out")


class Tap:
    """TAP lines: check() prints ok / not ok (with the detail on failure); plan() the count."""

    def __init__(self):
        self.count = self.failed = 0

    def check(self, ok, what, detail=""):
        self.count += 1
        print(("ok - " if ok else "not ok - ") + what, flush=True)
        if not ok:
            self.failed += 1
            print("#   " + str(detail).replace("\n", "\n#   "), flush=True)

    def plan(self):
        print(f"1..{self.count}")
        return 1 if self.failed else 0


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def whep_request(base, stream, offer_sdp, bearer=None):
    """A WHEP POST of OFFER_SDP to /whep/STREAM, with BEARER's token if one is given."""
    headers = {"Content-Type": "application/sdp"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    return urllib.request.Request(f"{base}/whep/{stream}", data=offer_sdp.encode(), method="POST",
                                  headers=headers)


def whep_answer(base, stream, offer_sdp):
    """POSTs OFFER_SDP to the server's WHEP endpoint for STREAM; returns the answer SDP."""
    with urllib.request.urlopen(whep_request(base, stream, offer_sdp), timeout=10) as r:
        return r.read().decode()


def whep_try(base, stream, offer_sdp, bearer):
    """POSTs OFFER_SDP to /whep/STREAM with BEARER's token: the status and the body (the answer,
    or why not). A session answered is deleted: it is not wanted past its answer."""
    try:
        with urllib.request.urlopen(whep_request(base, stream, offer_sdp, bearer),
                                    timeout=10) as r:
            location = r.headers.get("Location")
            body = r.read().decode()
        urllib.request.urlopen(urllib.request.Request(f"{base}{location}", method="DELETE"),
                               timeout=10).read()
        return r.status, body
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode().strip()


async def recvonly_offer(*kinds):
    """An aiortc offer to receive KINDS ("video", "audio"), its peer closed: for requests that are
    to be answered or refused, with no media to follow."""
    from aiortc import RTCPeerConnection  # here: not every test that shares this file uses aiortc
    pc = RTCPeerConnection()
    for kind in kinds:
        pc.addTransceiver(kind, direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def demo_media(directory):
    """Makes the demo clip (1280x720 VP8 + Opus, 10 s) in DIRECTORY; returns its path."""
    subprocess.run([os.path.join(ROOT, "scripts/make-demo-media"), directory], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(directory, "demo.webm")


class Server:
    """`onair serve` on free loopback ports with ARGS, logging to tests/out/NAME-server.log."""

    def __init__(self, name, args=()):
        os.makedirs(OUT, exist_ok=True)
        self.log_path = os.path.join(OUT, f"{name}-server.log")
        self.http = free_port(socket.SOCK_STREAM)
        self.media = free_port(socket.SOCK_DGRAM)
        self.base = f"http://127.0.0.1:{self.http}"
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [ONAIR, "serve", "--listen", f"127.0.0.1:{self.http}", "--media-port",
                 str(self.media), "--public-ip", "127.0.0.1", *args], stdout=log, stderr=log)
        for _ in range(50):
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s. Returns the problems: a bad exit, a sanitizer
        report in the log (an empty list when the server ran and stopped cleanly)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        problems = [] if code == 0 else [f"exit {code}"]
        text = open(self.log_path).read()
        if "Sanitizer" in text or "runtime error" in text:
            problems.append(f"sanitizer report in {self.log_path}")
        return problems
