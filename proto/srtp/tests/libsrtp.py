#!/usr/bin/env python3
"""libsrtp's side of tests/libsrtp_interop.rs, through pylibsrtp.

    libsrtp.py profiles
        prints the DTLS-SRTP profile numbers this pylibsrtp offers, one a line.
    libsrtp.py unprotect IN
        IN's first line is "<profile number> <master key||salt hex>", then one packet a
        line, "<rtp|rtcp> <plain hex> <protected hex>": unprotects every protected packet
        with libsrtp (in file order) and checks it gives the plain one.
    libsrtp.py protect IN OUT
        protects every plain packet of IN with libsrtp (in file order) and writes
        "<rtp|rtcp> <plain hex> <protected hex>" lines to OUT.

Prints one summary line; exits non-zero on the first mismatch.
"""
import sys

import pylibsrtp

PROFILES = {
    0x0001: pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    0x0002: pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    0x0007: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    0x0008: pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
}


def session(first_line, inbound):
    number, key = first_line.split()
    policy = pylibsrtp.Policy(
        key=bytes.fromhex(key),
        ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND if inbound else pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
        srtp_profile=PROFILES[int(number)],
    )
    return pylibsrtp.Session(policy)


def packets(lines):
    for line in lines:
        kind, plain, protected = line.split()
        yield kind, bytes.fromhex(plain), bytes.fromhex(protected)


def main():
    cmd = sys.argv[1]
    if cmd == "profiles":
        for number in sorted(PROFILES):
            print(number)
        return
    with open(sys.argv[2]) as f:
        lines = f.read().splitlines()
    if cmd == "unprotect":
        s = session(lines[0], inbound=True)
        n = 0
        for kind, plain, protected in packets(lines[1:]):
            got = s.unprotect(protected) if kind == "rtp" else s.unprotect_rtcp(protected)
            if got != plain:
                sys.exit(f"libsrtp: packet {n} ({kind}) unprotected to {got.hex()}, expected {plain.hex()}")
            n += 1
        print(f"libsrtp unprotected {n} packets")
    elif cmd == "protect":
        s = session(lines[0], inbound=False)
        out = []
        for kind, plain, _ in packets(lines[1:]):
            protected = s.protect(plain) if kind == "rtp" else s.protect_rtcp(plain)
            out.append(f"{kind} {plain.hex()} {protected.hex()}")
        with open(sys.argv[3], "w") as f:
            f.write("\n".join(out) + "\n")
        print(f"libsrtp protected {len(out)} packets")
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
