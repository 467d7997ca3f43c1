"""A DNS server for the sandbox that knows no names: every query gets NXDOMAIN.

Inside `garauth sandbox`, every hostname the guide uses is in the private /etc/hosts. Any other
name (a typo such as `us-central-1-docker.pkg.dev`) then fails the way it fails on the internet,
"no such host", instead of "network is unreachable", and the resolver address a client names in
its message is the same on every machine (127.0.0.53, the stub address of systemd-resolved).
"""

from __future__ import annotations

import socket
import struct
import threading

RESOLVER_ADDR = "127.0.0.53"
NXDOMAIN = 3


def answer(query: bytes) -> bytes | None:
    """The NXDOMAIN response to a DNS query packet (None for something that is not a query)."""
    if len(query) < 12:
        return None
    ident, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000:  # a response, not a query
        return None
    opcode = (flags >> 11) & 0xF
    # QR=1, same opcode, RD copied, RA=1, RCODE=NXDOMAIN; the question section is echoed back.
    rflags = 0x8000 | (opcode << 11) | (flags & 0x0100) | 0x0080 | NXDOMAIN
    end = 12
    for _ in range(qdcount):
        while end < len(query) and query[end] != 0:
            end += query[end] + 1
        end += 1 + 4  # the zero label, QTYPE, QCLASS
    if end > len(query):
        return None
    return struct.pack("!HHHHHH", ident, rflags, qdcount, 0, 0, 0) + query[12:end]


def serve(addr: str = RESOLVER_ADDR, port: int = 53) -> threading.Thread:
    """Answer DNS queries on UDP addr:port with NXDOMAIN, in a daemon thread.

    Port 0 picks a free port; the thread's `port` attribute says which.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((addr, port))

    def loop() -> None:
        while True:
            query, peer = sock.recvfrom(4096)
            reply = answer(query)
            if reply:
                sock.sendto(reply, peer)

    thread = threading.Thread(target=loop, name="nxdomain-dns", daemon=True)
    thread.port = sock.getsockname()[1]
    thread.start()
    return thread
