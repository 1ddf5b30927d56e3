#!/usr/bin/env python3
"""Print the STUN benchmark's criterion results as a markdown table.

Reads <target>/criterion/<group>/<crate>/<baseline>/estimates.json (and benchmark.json
beside it, for the unsanitised names) for the groups stun_decode_verify, stun_encode and
stun_roundtrip, and prints one row per crate: the median time of each group and its ratio
to the fastest peer in that group (1.00x = fastest). When a `wren-stun` row is present the
table also gets a ratio against it (>1 means the peer is slower than wren-stun).

Usage: python3 benches/report.py [--target-dir DIR] [--baseline NAME]
Standard library only.
"""

import argparse
import json
import os
import sys
from pathlib import Path

GROUPS = [
    ("stun_decode_verify", "decode+verify"),
    ("stun_encode", "encode"),
    ("stun_roundtrip", "roundtrip"),
]
WREN = "wren-stun"
# Peer rows in this order first; anything else found (e.g. a new peer) after them.
ORDER = [WREN, "rtc-stun", "str0m", "stun-rs", "stun_codec", "webrtc-stun"]
# What a row does not measure; keep in step with benches/src/peers/*.rs.
NOTES = {
    "str0m": "no FINGERPRINT check (no API); SOFTWARE neither read (wrong code point "
    "0x0022) nor written, so encode writes 88 bytes, not 108",
}


def default_target_dir() -> Path:
    env = os.environ.get("CARGO_TARGET_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "target"


def load(criterion_dir: Path, baseline: str) -> dict:
    """{group: {crate: median_ns}} for the STUN groups."""
    results: dict = {}
    for group, _ in GROUPS:
        gdir = criterion_dir / group
        if not gdir.is_dir():
            continue
        for est in sorted(gdir.glob(f"*/{baseline}/estimates.json")):
            crate = est.parent.parent.name
            meta = est.parent / "benchmark.json"
            if meta.is_file():
                with meta.open() as f:
                    crate = json.load(f).get("function_id") or crate
            with est.open() as f:
                median = json.load(f)["median"]["point_estimate"]
            results.setdefault(group, {})[crate] = float(median)
    return results


def fmt_time(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target-dir", type=Path, default=default_target_dir())
    ap.add_argument("--baseline", default="new", help="criterion baseline directory")
    args = ap.parse_args()

    criterion_dir = args.target_dir / "criterion"
    results = load(criterion_dir, args.baseline)
    if not results:
        print(f"no STUN results under {criterion_dir}; run "
              "`cargo bench -p wren-benches --bench stun` first", file=sys.stderr)
        return 1

    crates = {c for g in results.values() for c in g}
    rows = [c for c in ORDER if c in crates] + sorted(crates - set(ORDER))
    has_wren = WREN in crates

    header = ["crate"]
    for _, label in GROUPS:
        header += [f"{label} (median)", "× fastest peer"]
        if has_wren:
            header.append("× wren-stun")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    for crate in rows:
        cells = [crate + (" ¹" if crate in NOTES else "")]
        for group, _ in GROUPS:
            g = results.get(group, {})
            t = g.get(crate)
            peers = [v for c, v in g.items() if c != WREN]
            fastest = min(peers) if peers else None
            if t is None:
                cells += ["–", "–"] + (["–"] if has_wren else [])
                continue
            cells.append(fmt_time(t))
            cells.append(f"{t / fastest:.2f}x" if fastest else "–")
            if has_wren:
                w = g.get(WREN)
                cells.append(f"{t / w:.2f}x" if w else "–")
        lines.append("| " + " | ".join(cells) + " |")

    print("\n".join(lines))
    notes = [f"¹ {c}: {NOTES[c]}." for c in rows if c in NOTES]
    if notes:
        print()
        print("\n".join(notes))
    print()
    print("× fastest peer: median / fastest non-Wren median in that group (1.00x = fastest).")
    if has_wren:
        print("× wren-stun: median / wren-stun's median (> 1 = slower than wren-stun).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
