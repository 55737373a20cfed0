#!/usr/bin/python3
"""room_participant.py BASE STREAM NAME [whep|offer]: an aiortc peer in a stream's room, driven
by a test.

It watches STREAM over WHEP (or the seed's /offer) with "chat" and "file" data channels (the protocol of
src/app/room_files.h), says hello as NAME, and then takes commands, one JSON object a line on
stdin, and reports what happens, one JSON object a line on stdout:
  {"cmd":"chat","text":...}            send a chat message
  {"cmd":"hello","name":...}           take another name
  {"cmd":"send-file","path":...}       offer and send a file, paced by the channel's queue
  {"cmd":"raw-file","text":...}        send TEXT as is on the file channel (bad input)
  {"cmd":"raw-chunk","id":...,"bytes":N} send one chunk of N zero bytes for ID (bad input)
  {"cmd":"open-channel","label":...}   open another channel and send a message on it
  {"cmd":"freeze","seconds":N}         stop everything, reading included, for N seconds: a
                                       receiver whose network stalls
  {"cmd":"quit"}
Reports: {"event":"open"}, {"event":"chat",...} and {"event":"file",...} for every message the
server sends on those channels, {"event":"file-received","id","name","size","sha256"} once a
file's end arrives, {"event":"channel-open","label"}, {"event":"sent","id"} after a file's last
chunk is queued."""
import asyncio
import hashlib
import json
import os
import sys
import time
import urllib.request

from aiortc import RTCPeerConnection, RTCSessionDescription

CHUNK = 60 * 1024
QUEUE_HIGH = 1024 * 1024
QUEUE_LOW = 256 * 1024


def report(**fields):
    print(json.dumps(fields), flush=True)


class Participant:
    def __init__(self, base, stream, name, signaling):
        self.base, self.stream, self.name = base, stream, name
        self.signaling = signaling
        self.pc = RTCPeerConnection()
        self.incoming = {}  # id -> {"name", "size", "parts"}
        self.chat = self.file = None
        self.low = asyncio.Event()

    async def connect(self):
        pc = self.pc
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        self.chat = pc.createDataChannel("chat")
        self.file = pc.createDataChannel("file")
        self.file.bufferedAmountLowThreshold = QUEUE_LOW
        opened = asyncio.Event()

        @self.chat.on("open")
        def on_chat_open():
            self.chat.send(json.dumps({"type": "hello", "name": self.name}))
            if self.file.readyState == "open":
                opened.set()

        @self.file.on("open")
        def on_file_open():
            if self.chat.readyState == "open":
                opened.set()

        @self.chat.on("message")
        def on_chat(message):
            report(event="chat", **json.loads(message))

        @self.file.on("message")
        def on_file(message):
            self.on_file_message(message)

        @self.file.on("bufferedamountlow")
        def on_low():
            self.low.set()

        @pc.on("track")
        def on_track(track):
            asyncio.ensure_future(self.drain(track))

        await pc.setLocalDescription(await pc.createOffer())
        if self.signaling == "offer":
            body = json.dumps({"sdp": pc.localDescription.sdp, "type": "offer",
                               "stream": self.stream})
            req = urllib.request.Request(f"{self.base}/offer", data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        else:
            req = urllib.request.Request(f"{self.base}/whep/{self.stream}",
                                         data=pc.localDescription.sdp.encode(), method="POST",
                                         headers={"Content-Type": "application/sdp"})
        with urllib.request.urlopen(req, timeout=10) as r:
            answer = r.read().decode()
        if self.signaling == "offer":
            answer = json.loads(answer)["sdp"]
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await asyncio.wait_for(opened.wait(), 20)
        report(event="open")

    async def drain(self, track):
        """Media is received and dropped: this peer is here for the room."""
        try:
            while True:
                await track.recv()
        except Exception:  # noqa: BLE001 - the track ends when the connection closes
            pass

    def on_file_message(self, message):
        if isinstance(message, (bytes, bytearray)):
            n = message[0]
            file_id = message[1:1 + n].decode()
            entry = self.incoming.get(file_id)
            if entry is not None:
                entry["parts"].append(bytes(message[1 + n:]))
            return
        msg = json.loads(message)
        report(event="file", **msg)
        if msg.get("type") == "file-offer":
            self.incoming[msg["id"]] = {"name": msg["name"], "size": msg["size"], "parts": []}
        elif msg.get("type") == "file-end" and msg["id"] in self.incoming:
            entry = self.incoming.pop(msg["id"])
            data = b"".join(entry["parts"])
            report(event="file-received", id=msg["id"], name=entry["name"], size=len(data),
                   sha256=hashlib.sha256(data).hexdigest())

    async def send_file(self, path):
        data = open(path, "rb").read()
        file_id = os.urandom(8).hex()
        self.file.send(json.dumps({"type": "file-offer", "id": file_id,
                                   "name": os.path.basename(path), "size": len(data),
                                   "sha256": hashlib.sha256(data).hexdigest()}))
        header = bytes([len(file_id)]) + file_id.encode()
        for offset in range(0, len(data), CHUNK):
            while self.file.bufferedAmount > QUEUE_HIGH:
                self.low.clear()
                await self.low.wait()
            self.file.send(header + data[offset:offset + CHUNK])
        self.file.send(json.dumps({"type": "file-end", "id": file_id}))
        report(event="sent", id=file_id)

    async def command(self, cmd):
        kind = cmd["cmd"]
        if kind == "chat":
            self.chat.send(json.dumps({"type": "chat", "text": cmd["text"]}))
        elif kind == "hello":
            self.chat.send(json.dumps({"type": "hello", "name": cmd["name"]}))
        elif kind == "send-file":
            await self.send_file(cmd["path"])
        elif kind == "raw-file":
            self.file.send(cmd["text"])
        elif kind == "raw-chunk":
            self.file.send(bytes([len(cmd["id"])]) + cmd["id"].encode() + bytes(cmd["bytes"]))
        elif kind == "freeze":
            report(event="frozen")
            time.sleep(cmd["seconds"])  # blocks the event loop: nothing is read or acknowledged
            report(event="thawed")
        elif kind == "open-channel":
            channel = self.pc.createDataChannel(cmd["label"])

            @channel.on("open")
            def on_open():
                channel.send("anything at all")
                report(event="channel-open", label=cmd["label"])


async def main():
    base, stream, name = sys.argv[1:4]
    participant = Participant(base, stream, name, sys.argv[4] if len(sys.argv) > 4 else "whep")
    await participant.connect()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        await participant.command(cmd)
    await participant.pc.close()


if __name__ == "__main__":
    asyncio.run(main())
