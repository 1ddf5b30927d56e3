"""Feeds RTP packets to a GStreamer depayloader and decoder; prints what came out.

Usage: /usr/bin/python3 depay.py PACKETS CAPS DEPAY DECODER
PACKETS holds the packets, each behind its length (4 bytes, big-endian). The pipeline is
appsrc (CAPS) ! DEPAY ! DECODER ! appsink (DECODER may be several elements joined by "!");
every decoded buffer is counted. Prints one JSON line: {"decoded": N, "errors": [...]}.
An element GStreamer cannot find (a plugin missing from the registry or GST_PLUGIN_PATH)
is named on stderr, with exit status 2. Written for wren-media's tests/gstreamer.rs.
"""
import json
import struct
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import Gst, GstApp  # noqa: E402

Gst.init(None)
path, caps, depay, decoder = sys.argv[1:5]
elements = [depay] + [part.split()[0] for part in decoder.split("!")]
missing = [e for e in elements if Gst.ElementFactory.find(e) is None]
if missing:
    print(f"GStreamer has no element {', '.join(missing)}", file=sys.stderr)
    sys.exit(2)
pipeline = Gst.parse_launch(
    f'appsrc name=src format=time caps="{caps}" ! {depay} ! {decoder} '
    f"! appsink name=sink sync=false emit-signals=false"
)
src = pipeline.get_by_name("src")
sink = pipeline.get_by_name("sink")
pipeline.set_state(Gst.State.PLAYING)

data = open(path, "rb").read()
at, n = 0, 0
while at < len(data):
    (size,) = struct.unpack(">I", data[at : at + 4])
    packet = data[at + 4 : at + 4 + size]
    at += 4 + size
    buf = Gst.Buffer.new_wrapped(packet)
    buf.pts = n * Gst.MSECOND
    src.push_buffer(buf)
    n += 1
src.end_of_stream()

decoded, errors = 0, []
bus = pipeline.get_bus()
while True:
    sample = sink.try_pull_sample(5 * Gst.SECOND)
    if sample is not None:
        decoded += 1
        continue
    if sink.is_eos():
        break
    msg = bus.pop_filtered(Gst.MessageType.ERROR)
    if msg is not None:
        err, _ = msg.parse_error()
        errors.append(err.message)
    break
while True:
    msg = bus.pop_filtered(Gst.MessageType.ERROR | Gst.MessageType.WARNING)
    if msg is None:
        break
    if msg.type == Gst.MessageType.ERROR:
        errors.append(msg.parse_error()[0].message)
pipeline.set_state(Gst.State.NULL)
print(json.dumps({"pushed": n, "decoded": decoded, "errors": errors}))
