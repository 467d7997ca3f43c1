"""The sandbox's resolver: every query answered NXDOMAIN, so unrouted names fail as on the internet."""

import shutil
import socket
import struct

import pytest

from garauth import sandbox
from garauth.fake import dns


def _query(name: str, ident: int = 0x1234) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", 1, 1)


def test_answer_is_nxdomain_echoing_id_and_question():
    query = _query("us-central-1-docker.pkg.dev")
    reply = dns.answer(query)
    ident, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", reply[:12])
    assert ident == 0x1234
    assert flags & 0x8000 and flags & 0xF == dns.NXDOMAIN and flags & 0x0100
    assert (qd, an, ns, ar) == (1, 0, 0, 0)
    assert reply[12:] == query[12:]


def test_responses_and_truncated_packets_get_no_answer():
    assert dns.answer(b"\x00" * 5) is None
    response = bytearray(_query("x.example"))
    response[2] |= 0x80
    assert dns.answer(bytes(response)) is None
    assert dns.answer(_query("x.example")[:-3]) is None


def test_served_over_udp_on_loopback():
    port = dns.serve("127.0.0.1", 0).port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        client.sendto(_query("nowhere.example", 7), ("127.0.0.1", port))
        reply, _ = client.recvfrom(512)
    assert struct.unpack("!H", reply[:2])[0] == 7
    assert struct.unpack("!H", reply[2:4])[0] & 0xF == dns.NXDOMAIN


AVAILABLE, WHY_NOT = sandbox.available()


@pytest.mark.sandbox
@pytest.mark.skipif(not AVAILABLE, reason=f"garauth sandbox cannot run here: {WHY_NOT}")
@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_a_mistyped_host_is_no_such_host_in_the_sandbox(tmp_path):
    proc = sandbox.run(["skopeo", "inspect", "-n", "docker://us-central-1-docker.pkg.dev/p/r/i:1"], tmp_path)
    assert proc.returncode != 0
    assert "lookup us-central-1-docker.pkg.dev on 127.0.0.53:53: no such host" in proc.stderr
