#!/usr/bin/python3
"""Keys fetched from an identity provider: `onair serve --token-jwks-url URL`. A provider (an HTTP
server in this test, on loopback) publishes a JWK Set that PyJWT writes; tokens PyJWT signs with
its keys open a stream. Before the first fetch every stream is closed; the provider rotates its
key and, a refresh later, the new key's tokens open the stream and the old key's are refused
without a restart; a provider that fails (HTTP 500, a set that is not JSON, a dead port) leaves
the keys as they were and the log says why."""
import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from onair import Server, Tap, demo_media, recvonly_offer, whep_try  # noqa: E402

tap = Tap()
check = tap.check
work = tempfile.mkdtemp(prefix="onair-jwks-url.")

# What the provider answers: (status, body); the test changes it as it goes.
published = {"answer": (503, b"not yet")}


class Provider(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        status, body = published["answer"]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def publish(*jwks):
    published["answer"] = (200, json.dumps({"keys": list(jwks)}).encode())


def jwk(writer, private, kid):
    out = json.loads(writer.to_jwk(private.public_key()))
    out.update(kid=kid, use="sig")
    return out


def token(private, alg, kid):
    claims = {"stream": "cam", "role": "watch", "exp": int(time.time()) + 600}
    return jwt.encode(claims, private, algorithm=alg, headers={"kid": kid})


def whep(server, offer, bearer):
    return whep_try(server.base, "cam", offer, bearer)


def until(predicate, seconds):
    """Polls PREDICATE every 0.1 s for SECONDS: its first true value, or the last false one."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def log_has(server, text):
    return text in open(server.log_path).read()


provider = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
threading.Thread(target=provider.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{provider.server_address[1]}/.well-known/jwks.json"
server = None
try:
    media = demo_media(work)
    offer = asyncio.run(recvonly_offer("video"))
    old_key, new_key = ec.generate_private_key(ec.SECP256R1()), ed25519.Ed25519PrivateKey.generate()

    server = Server("jwks_url", ["--token-jwks-url", url, "--token-jwks-refresh", "1",
                                 "--source", f"cam={media}"])
    check(until(lambda: log_has(server, f"tokens: JWTs signed with a key of the JWK Set at {url}, "
                                        "fetched every 1 s"), 5),
          "the server's start names the URL it takes keys from",
          open(server.log_path).read()[-400:])
    # The provider answers 503: no key yet, and every stream closed all the same.
    check(until(lambda: log_has(server, f"--token-jwks-url {url}: answered HTTP 503; the keys "
                                        "stay as they were"), 5),
          "a provider answering 503: the log says so", open(server.log_path).read()[-400:])
    status, body = whep(server, offer, token(old_key, "ES256", "old"))
    check(status == 401 and body.strip().endswith("no key to check the token with yet"),
          f"before any set arrives a token is refused, saying why: {body}", (status, body))
    status, body = whep(server, offer, "")
    check(status == 401, "and a request without a token too", (status, body))

    publish(jwk(ECAlgorithm, old_key, "old"))
    check(until(lambda: log_has(server, f"tokens: JWTs signed with a key of {url} (1: ES256)"),
                15),
          "once the provider publishes its set, the server fetches it (its log names the key)",
          open(server.log_path).read()[-400:])
    check(re.search(r"--token-jwks-url \S+: read after [1-9]\d* failed fetch",
                    open(server.log_path).read()) and not log_has(server, "read again"),
          "the first set after a failed start is read, not read again",
          open(server.log_path).read()[-600:])
    status, body = whep(server, offer, token(old_key, "ES256", "old"))
    check(status == 201 and body.startswith("v=0"),
          "a token PyJWT signs with the provider's key opens the stream", (status, body[:200]))

    # A rotation: the new key alongside the old one, then the new key alone.
    publish(jwk(ECAlgorithm, old_key, "old"), jwk(OKPAlgorithm, new_key, "new"))
    rotated = until(lambda: whep(server, offer, token(new_key, "EdDSA", "new"))[0] == 201, 15)
    check(rotated and whep(server, offer, token(old_key, "ES256", "old"))[0] == 201,
          "the provider adds a key: a refresh later its tokens open the stream too, with no "
          "restart", open(server.log_path).read()[-400:])
    # The same keys listed the other way round are no change: nothing logged at info.
    publish(jwk(OKPAlgorithm, new_key, "new"), jwk(ECAlgorithm, old_key, "old"))
    time.sleep(2.5)
    check(not log_has(server, "(2: EdDSA ES256)"),
          "the same keys in another order: the log tells no change",
          open(server.log_path).read()[-400:])
    publish(jwk(OKPAlgorithm, new_key, "new"))
    retired = until(lambda: whep(server, offer, token(old_key, "ES256", "old"))[0] == 401, 15)
    check(retired and whep(server, offer, token(new_key, "EdDSA", "new"))[0] == 201,
          "the provider drops the old key: its tokens are refused, the new key's still open the "
          "stream", open(server.log_path).read()[-400:])

    # A key replaced by another of the same kind: the log tells each change once (not each
    # refresh, one a second here).
    third_key = ed25519.Ed25519PrivateKey.generate()
    publish(jwk(OKPAlgorithm, third_key, "third"))
    replaced = until(lambda: whep(server, offer, token(third_key, "EdDSA", "third"))[0] == 201, 15)
    time.sleep(2)
    log = open(server.log_path).read()
    changes = [log.count(f"of {url} ({keys})") for keys in ("1: ES256", "2: ES256 EdDSA",
                                                             "1: EdDSA")]
    check(replaced and whep(server, offer, token(new_key, "EdDSA", "new"))[0] == 401 and
          changes == [1, 1, 2],
          f"a key replaced by another: the log tells each of the 4 sets once ({changes})",
          log[-600:])

    # Failures keep the keys.
    published["answer"] = (500, b"oops")
    check(until(lambda: log_has(server, "answered HTTP 500; the keys stay as they were"), 15),
          "a provider answering 500: the log says so", open(server.log_path).read()[-400:])
    published["answer"] = (200, b"<html>maintenance</html>")
    check(until(lambda: log_has(server, "not JSON: a JWK Set ({\"keys\": [...]}) or a JWK; the "
                                        "keys stay as they were"), 15),
          "a page that is not a JWK Set: the log says so", open(server.log_path).read()[-400:])
    status, body = whep(server, offer, token(third_key, "EdDSA", "third"))
    check(status == 201, "and the keys fetched last still open the stream", (status, body[:200]))
    provider.shutdown()
    provider.server_close()
    check(until(lambda: log_has(server, "Could not connect") or
                log_has(server, "Connection refused") or log_has(server, "Couldn't connect"), 15),
          "a provider that is gone: the log says the fetch could not connect",
          open(server.log_path).read()[-400:])
    status, body = whep(server, offer, token(third_key, "EdDSA", "third"))
    check(status == 201, "and the keys still hold", (status, body[:200]))
    # A retry a second here: the log warns of the same failure once, not at every retry, and
    # says when the provider answers again.
    time.sleep(3)
    warned = [line for line in open(server.log_path)
              if " warn " in line and "--token-jwks-url" in line and "connect" in line.lower()]
    check(len(warned) == 1, "a provider gone for several retries: the log warns once",
          "".join(warned[:4]))
    publish(jwk(OKPAlgorithm, third_key, "third"))
    provider = ThreadingHTTPServer(("127.0.0.1", provider.server_address[1]), Provider)
    threading.Thread(target=provider.serve_forever, daemon=True).start()
    check(until(lambda: re.search(r"--token-jwks-url \S+: read again after ([3-9]|\d\d+) failed "
                                  "fetches", open(server.log_path).read()), 15),
          "and once it is back, the log says so, counting the fetches that failed",
          open(server.log_path).read()[-400:])
except Exception as error:  # noqa: BLE001
    check(False, "JWKS URL", repr(error))
finally:
    if server:
        problems = server.stop()
        check(not problems, "the server ran and stopped cleanly (no fetched key leaked)",
              problems)
    shutil.rmtree(work, ignore_errors=True)
sys.exit(tap.plan())
