#!/usr/bin/python3
"""Tokens signed with a key pair: `onair serve --token-public-key FILE`. An application's backend
mints JWTs with a JWT library (PyJWT here) and its private key; onair holds only the public key.
RS256, ES256 and EdDSA tokens open a stream (a WHEP offer with one gets its answer); refusals say
why (another key, expired, HS256 keyed with the public key's text); `onair token --key` signs
with the private key, and PyJWT checks its token; a SIGHUP takes the config file's new key; two
keys, as in a rotation, take tokens of either; a private key, a short RSA key or a missing file
keeps the server from starting, with the reason; a JWK Set (PyJWT's JWKs of the same keys) does
as the PEM keys, its key for encryption left out, and one holding a private key is refused."""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from onair import ONAIR, Server, Tap, demo_media, recvonly_offer, whep_try  # noqa: E402

tap = Tap()
check = tap.check
work = tempfile.mkdtemp(prefix="onair-public-key.")
JWK_WRITERS = {"RS256": RSAAlgorithm, "ES256": ECAlgorithm, "EdDSA": OKPAlgorithm}


def keypair(name, *genpkey):
    """A key pair made by openssl: the private key's PEM text, and the public key's file."""
    private, public = os.path.join(work, name + ".key"), os.path.join(work, name + ".pub")
    subprocess.run(["openssl", "genpkey", *genpkey, "-out", private], check=True,
                   stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-out", public], check=True)
    return open(private).read(), public


def token(private, alg, role="watch", stream="cam", expires_in=3600):
    claims = {"stream": stream, "role": role, "exp": int(time.time()) + expires_in, "sub": "u7"}
    return jwt.encode(claims, private, algorithm=alg)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def whep(server, offer, bearer):
    return whep_try(server.base, "cam", offer, bearer)


def check_cannot_start(args, reason, what):
    r = subprocess.run([ONAIR, "serve", *args, "--check"], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 2 and reason in r.stderr and "would do" not in r.stdout, what,
          (r.returncode, r.stdout, r.stderr))


try:
    rsa_private, rsa_public = keypair("rsa", "-algorithm", "RSA", "-pkeyopt",
                                      "rsa_keygen_bits:2048")
    ec_private, ec_public = keypair("ec", "-algorithm", "EC", "-pkeyopt",
                                    "ec_paramgen_curve:P-256")
    ed_private, ed_public = keypair("ed", "-algorithm", "ED25519")
    other_private, _ = keypair("other", "-algorithm", "EC", "-pkeyopt",
                               "ec_paramgen_curve:P-256")
    short_private, short_public = keypair("short", "-algorithm", "RSA", "-pkeyopt",
                                          "rsa_keygen_bits:1024")
    media = demo_media(work)
    offer = asyncio.run(recvonly_offer("video", "audio"))

    check_cannot_start(["--token-public-key", os.path.join(work, "ec.key")],
                       "a private key: onair needs only the public one (openssl pkey -in KEY "
                       "-pubout)", "a private key as --token-public-key: onair says to give the "
                       "public one, and does not start")
    check_cannot_start(["--token-public-key", short_public],
                       "an RSA key shorter than 2048 bits",
                       "a 1024-bit RSA key: refused as too weak for RS256")
    check_cannot_start(["--token-public-key", ec_public, "--token-public-key", short_public],
                       "an RSA key shorter than 2048 bits",
                       "a good key and a short one: refused all the same (the good one freed)")
    check_cannot_start(["--token-public-key", os.path.join(work, "nowhere.pub")],
                       f"cannot read {work}/nowhere.pub: No such file or directory",
                       "a missing key file: onair names it and does not start")

    # The key in a config file, so that a SIGHUP can change it.
    config = os.path.join(work, "onair.conf")
    with open(config, "w") as f:
        f.write(f"token-public-key {ec_public}\nsource cam={media}\n")
    server = Server("public_key_tokens", ["--config", config])
    try:
        log = open(server.log_path).read()
        check("publishing needs a token: every stream" in log and
              "watching needs a token: every stream" in log and
              "tokens: JWTs signed with the private half of --token-public-key 1 of 1 (ES256)"
              in log,
              "the server logs that every stream needs a token, and the key's algorithm", log)
        status, body = whep(server, offer, token(ec_private, "ES256"))
        check(status == 201 and body.startswith("v=0"),
              "an ES256 token from PyJWT, signed with the private key, opens the stream to a "
              "WHEP viewer", (status, body[:200]))

        public_text = open(ec_public).read().encode()
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = b64url(json.dumps({"stream": "cam", "role": "watch",
                                    "exp": int(time.time()) + 3600}).encode())
        mac = hmac.new(public_text, f"{header}.{claims}".encode(), hashlib.sha256).digest()
        forged = f"{header}.{claims}.{b64url(mac)}"
        refusals = [
            (token(other_private, "ES256"), "the token's signature does not match the public key"),
            (token(ec_private, "ES256", expires_in=-60), "the token has expired"),
            (token(ec_private, "ES256", role="publish"), "the token is for publishing"),
            (token(ec_private, "ES256", stream="lobby"), "the token is for another stream"),
            (forged, "the token is not signed with ES256 (its header's \"alg\")"),
            (token(ed_private, "EdDSA"),
             "the token is not signed with ES256 (its header's \"alg\")"),
        ]
        for bearer, reason in refusals:
            status, body = whep(server, offer, bearer)
            check(status == 401 and body.endswith(reason), f"refused: {body}", (status, body))

        # `onair token --key` signs with the private key: PyJWT reads its token with the public
        # key, and the server takes it.
        minted = subprocess.run([ONAIR, "token", "--key", os.path.join(work, "ec.key"),
                                 "--stream", "cam", "--role", "watch", "--ttl", "600"],
                                capture_output=True, text=True, timeout=30)
        claims = jwt.decode(minted.stdout.strip(), open(ec_public).read(), algorithms=["ES256"])
        status, body = whep(server, offer, minted.stdout.strip())
        check(minted.returncode == 0 and claims["stream"] == "cam" and claims["role"] == "watch"
              and abs(claims["exp"] - time.time() - 600) < 30 and status == 201,
              "onair token --key signs an ES256 token that PyJWT checks with the public key and "
              "the server takes", (minted, claims, status, body[:200]))
        wrong = subprocess.run([ONAIR, "token", "--key", ec_public, "--stream", "cam", "--role",
                                "watch"], capture_output=True, text=True, timeout=30)
        check(wrong.returncode == 2 and not wrong.stdout and
              "not a PEM private key (-----BEGIN PRIVATE KEY-----)" in wrong.stderr,
              "onair token --key with the public key: exits 2 with the reason, no token",
              (wrong.returncode, wrong.stdout, wrong.stderr))

        # SIGHUP: the config file's key now, an RSA one; the EC key's tokens no more.
        with open(config, "w") as f:
            f.write(f"token-public-key {rsa_public}\nsource cam={media}\n")
        server.process.send_signal(signal.SIGHUP)
        for _ in range(50):
            if "--token-public-key and --metrics-token are the config file's now" in \
                    open(server.log_path).read():
                break
            time.sleep(0.1)
        rs256 = whep(server, offer, token(rsa_private, "RS256"))
        es256 = whep(server, offer, token(ec_private, "ES256"))
        log = open(server.log_path).read()
        check("--token-public-key 1 of 1 (RS256)" in log and rs256[0] == 201 and es256[0] == 401 and
              es256[1].endswith("the token is not signed with RS256 (its header's \"alg\")"),
              "after a SIGHUP the config file's RSA key is the one: RS256 tokens open the "
              "stream, the EC key's are refused", (rs256[0], es256))

        # A reload whose key is wrong changes nothing.
        with open(config, "w") as f:
            f.write(f"token-public-key {short_public}\nsource cam={media}\n")
        server.process.send_signal(signal.SIGHUP)
        for _ in range(50):
            if "the settings are as they were" in open(server.log_path).read():
                break
            time.sleep(0.1)
        log = open(server.log_path).read()
        rs256 = whep(server, offer, token(rsa_private, "RS256"))
        check("the settings are as they were" in log and "shorter than 2048 bits" in log and
              rs256[0] == 201, "a reload with a short RSA key says why and keeps the key it had",
              (rs256[0], log[-600:]))
    finally:
        problems = server.stop()
        check(not problems, "the server ran and stopped cleanly (no leak of a replaced key)",
              problems)

    # Two keys, as during a rotation (and of the other two kinds): tokens of either open the
    # stream.
    server = Server("public_key_tokens_two", ["--token-public-key", rsa_public,
                                              "--token-public-key", ed_public,
                                              "--source", f"cam={media}"])
    try:
        log = open(server.log_path).read()
        rs256 = whep(server, offer, token(rsa_private, "RS256"))
        eddsa = whep(server, offer, token(ed_private, "EdDSA"))
        check("--token-public-key 1 of 2 (RS256)" in log and
              "--token-public-key 2 of 2 (EdDSA)" in log and rs256[0] == 201 and
              eddsa[0] == 201, "with two keys, RS256 and EdDSA tokens from PyJWT open the stream",
              (rs256[0], eddsa[0], log[-400:]))
    finally:
        problems = server.stop()
        check(not problems, "the server with two keys ran and stopped cleanly", problems)

    # A JWK Set, as an identity provider publishes at /.well-known/jwks.json, written by PyJWT
    # from the same public keys: its signing keys check tokens (a "kid" in their header is fine),
    # its key for encryption is left out.
    def jwk(private_text, kind, **members):
        """The JWK PyJWT writes for the public half of PRIVATE_TEXT, with MEMBERS added."""
        public = load_pem_private_key(private_text.encode(), None).public_key()
        out = json.loads(JWK_WRITERS[kind].to_jwk(public))
        out.update(members)
        return out

    jwks = os.path.join(work, "jwks.json")
    with open(jwks, "w") as f:
        json.dump({"keys": [jwk(rsa_private, "RS256", kid="r1", use="sig", alg="RS256"),
                            jwk(other_private, "ES256", kid="enc1", use="enc"),
                            jwk(ec_private, "ES256", kid="e1"),
                            jwk(ed_private, "EdDSA", kid="o1")]}, f)
    server = Server("public_key_tokens_jwks", ["--token-public-key", jwks,
                                               "--source", f"cam={media}"])
    try:
        log = open(server.log_path).read()
        answers = [whep(server, offer, jwt.encode(
            {"stream": "cam", "role": "watch", "exp": int(time.time()) + 60}, private,
            algorithm=alg, headers={"kid": kid}))[0]
            for private, alg, kid in [(rsa_private, "RS256", "r1"), (ec_private, "ES256", "e1"),
                                      (ed_private, "EdDSA", "o1")]]
        stranger = whep(server, offer, token(other_private, "ES256"))
        check(answers == [201, 201, 201] and stranger[0] == 401 and
              stranger[1].endswith("the token's signature does not match any of the public keys")
              and "jwks.json: 3 keys taken, 1 left out (the first as a key for another use than "
              "signatures" in log and "--token-public-key 3 of 3 (EdDSA)" in log,
              "a JWK Set from PyJWT: RS256, ES256 and EdDSA tokens open the stream, the key "
              "marked for encryption is left out (the log says so) and its tokens refused",
              (answers, stranger, log[-600:]))
    finally:
        problems = server.stop()
        check(not problems, "the server with a JWK Set ran and stopped cleanly", problems)
    leaked = os.path.join(work, "leaked.json")
    with open(leaked, "w") as f:
        private_jwk = json.loads(OKPAlgorithm.to_jwk(
            load_pem_private_key(ed_private.encode(), None)))
        json.dump({"keys": [jwk(rsa_private, "RS256"), private_jwk]}, f)
    check_cannot_start(["--token-public-key", leaked],
                       f"--token-public-key {leaked}: key 2: a private key (it has \"d\")",
                       "a JWK Set holding a private key: onair names the key and does not start")
except Exception as error:  # noqa: BLE001
    check(False, "public key tokens", repr(error))
finally:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(tap.plan())
