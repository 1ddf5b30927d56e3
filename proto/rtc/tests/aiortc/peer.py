"""aiortc's side of tests/aiortc.rs: one RTCPeerConnection on 127.0.0.1, signalled through
stdin and stdout as JSON lines, one object a line.

    python peer.py --role offerer|answerer --messages N --negotiated-id ID [--media]

Lines it writes (stdout):
    {"type": "offer"|"answer", "sdp": ...}      its description, with every candidate
    {"event": "state", "state": ...}            connectionState changes
    {"event": "open", "label": ..., "id": ..., "ordered": ..., "maxRetransmits": ...,
     "maxPacketLifeTime": ..., "negotiated": ..., "protocol": ...}
                                                a data channel opened (its own or ours)
    {"event": "complete", "label": ...}         all N messages of a channel arrived
    {"event": "frames", "kind": ..., "count": ...}
                                                decoded frames of a received track, every
                                                25th frame
    {"event": "close", "label": ...}            a data channel closed (by either side)
    {"event": "summary", "channels": {...}, "frames": {...}, "inbound": {...},
     "sent": {...}}                             what it received (messages per channel,
                                                decoded frames and RTP packets per kind),
                                                when told to finish
    {"event": "error", "error": ...}            something failed here (the test fails)

Lines it reads (stdin):
    {"type": "offer"|"answer", "sdp": ...}      the test's description
    {"type": "close", "label": ...}             close that data channel
    {"type": "finish"}                          write the summary, close, exit

Data channels: it opens in band "py-reliable" (ordered, reliable), "py-unordered-rtx0"
(unordered, maxRetransmits 0) and "py-lifetime" (ordered, maxPacketLifeTime 3000 ms), and
"negotiated" (negotiated=true with the given id; the test creates it too). On every open
channel, its own and the test's, it sends N messages made by `message(label, i)` (the test
makes the same ones), one channel after another in turn while all of them together buffer
less than 64 KiB, and checks every message it receives against the same function.

Media (--media): it sends its synthetic audio (silence, Opus) and video (green frames,
VP8) and counts the frames its receivers decode from what the test sends back.
"""

import argparse
import asyncio
import json
import logging
import os
import sys

import aioice.ice

# WREN_AIORTC_LOG=DEBUG (or INFO) logs aiortc's and aioice's inner workings to stderr, which
# the test prints when it fails.
if os.environ.get("WREN_AIORTC_LOG"):
    logging.basicConfig(level=os.environ["WREN_AIORTC_LOG"])

# Loopback only: aioice skips 127.0.0.1 when it lists host addresses.
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

from aiortc import (  # noqa: E402 (after the patch above)
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack  # noqa: E402

BUDGET = 64 * 1024

OWN_CHANNELS = [
    ("py-reliable", {}),
    ("py-unordered-rtx0", {"ordered": False, "maxRetransmits": 0}),
    ("py-lifetime", {"maxPacketLifeTime": 3000}),
]


def message(label, i):
    """Message i of a channel: even ones are strings, odd ones binary; every 100th (from
    99) is 64 KiB, the rest up to about 3 KB. tests/aiortc.rs has the same function."""
    head = f"{label}:{i}:"
    if i % 2 == 0:
        return head + "x" * (i * 7 % 1000)
    size = 65536 if i % 100 == 99 else i * 13 % 3000
    return head.encode() + bytes((i + k) % 256 for k in range(size))


def emit(obj):
    print(json.dumps(obj), flush=True)


class Received:
    """What one channel received."""

    def __init__(self, label):
        self.label = label
        self.indices = []
        self.strings = 0
        self.binary = 0
        self.intact = True

    def take(self, data):
        text = isinstance(data, str)
        raw = data.encode() if text else data
        try:
            label, i, _ = raw.split(b":", 2)
            i = int(i)
        except ValueError:
            self.intact = False
            return
        if label.decode() != self.label or message(self.label, i) != data:
            self.intact = False
        self.indices.append(i)
        if text:
            self.strings += 1
        else:
            self.binary += 1

    def summary(self):
        return {
            "received": len(self.indices),
            "in_order": self.indices == list(range(len(self.indices))),
            "increasing": all(a < b for a, b in zip(self.indices, self.indices[1:])),
            "distinct": len(set(self.indices)),
            "strings": self.strings,
            "binary": self.binary,
            "intact": self.intact,
        }


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["offerer", "answerer"], required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--negotiated-id", type=int, required=True)
    parser.add_argument("--media", action="store_true")
    args = parser.parse_args()

    loop = asyncio.get_running_loop()
    lines = asyncio.Queue()

    def read_stdin():
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, json.loads(line))
        loop.call_soon_threadsafe(lines.put_nowait, {"type": "finish"})

    loop.run_in_executor(None, read_stdin)

    # No STUN server: its default is a public one.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    received = {}
    sent = {}
    channels = {}
    frames = {"audio": 0, "video": 0}

    @pc.on("connectionstatechange")
    def on_state():
        emit({"event": "state", "state": pc.connectionState})

    def attach(channel):
        received[channel.label] = Received(channel.label)
        channels[channel.label] = channel

        @channel.on("close")
        def on_close():
            emit({"event": "close", "label": channel.label})

        @channel.on("message")
        def on_message(data):
            r = received[channel.label]
            r.take(data)
            if len(r.indices) == args.messages:
                emit({"event": "complete", "label": channel.label})

        def opened():
            emit(
                {
                    "event": "open",
                    "label": channel.label,
                    "id": channel.id,
                    "ordered": channel.ordered,
                    "maxRetransmits": channel.maxRetransmits,
                    "maxPacketLifeTime": channel.maxPacketLifeTime,
                    "negotiated": channel.negotiated,
                    "protocol": channel.protocol,
                }
            )
            sending.append(channel)
            sent[channel.label] = 0

        if channel.readyState == "open":
            opened()
        else:
            channel.on("open", opened)

    @pc.on("datachannel")
    def on_datachannel(channel):
        attach(channel)

    async def count_frames(track):
        while True:
            try:
                await track.recv()
            except Exception:  # MediaStreamError when the track ends
                return
            frames[track.kind] += 1
            if frames[track.kind] % 25 == 0:
                emit({"event": "frames", "kind": track.kind, "count": frames[track.kind]})

    tasks = []
    sending = []

    async def pump():
        """Sends on every open channel in turn while they buffer less than BUDGET."""
        while True:
            progress = False
            for channel in sending:
                n = sent[channel.label]
                buffered = sum(c.bufferedAmount for c in sending)
                if n == args.messages or buffered >= BUDGET or channel.readyState != "open":
                    continue
                channel.send(message(channel.label, n))
                sent[channel.label] = n + 1
                progress = True
            await asyncio.sleep(0 if progress else 0.005)

    tasks.append(asyncio.ensure_future(pump()))

    @pc.on("track")
    def on_track(track):
        tasks.append(asyncio.ensure_future(count_frames(track)))

    def add_channels():
        for label, options in OWN_CHANNELS:
            attach(pc.createDataChannel(label, **options))
        attach(pc.createDataChannel("negotiated", negotiated=True, id=args.negotiated_id))

    def add_media():
        if args.media:
            pc.addTrack(AudioStreamTrack())
            pc.addTrack(VideoStreamTrack())

    if args.role == "offerer":
        add_media()
        add_channels()
        await pc.setLocalDescription(await pc.createOffer())
        emit({"type": "offer", "sdp": pc.localDescription.sdp})
        answer = await lines.get()
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    else:
        offer = await lines.get()
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        add_media()
        add_channels()
        await pc.setLocalDescription(await pc.createAnswer())
        emit({"type": "answer", "sdp": pc.localDescription.sdp})

    while True:
        line = await lines.get()
        if line.get("type") == "close":
            channels[line["label"]].close()
        elif line.get("type") == "finish":
            break
    inbound = {}
    for stat in (await pc.getStats()).values():
        if stat.type == "inbound-rtp":
            inbound[stat.kind] = inbound.get(stat.kind, 0) + stat.packetsReceived
    emit(
        {
            "event": "summary",
            "channels": {label: r.summary() for label, r in received.items()},
            "frames": frames,
            "inbound": inbound,
            "sent": sent,
        }
    )
    await pc.close()
    for t in tasks:
        t.cancel()


try:
    asyncio.run(main())
except Exception as e:  # reported to the test, which fails with it
    emit({"event": "error", "error": repr(e)})
    raise
