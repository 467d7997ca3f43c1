"""Connections that stall or vanish: the fake drops silent and slow clients after its timeouts
(shortened here), and stops streaming a blob at once, with one log line, when the client goes."""

from __future__ import annotations

import logging
import os
import socket
import struct
import time

import pytest

from garauth.fake import demo
from garauth.fake.server import Timeouts
from garauth.fake.testing import raw_request, running_fake, tls_socket

from .conftest import IMAGE, REGISTRY

SHORT = Timeouts(handshake=0.5, header=0.5, idle=0.5, keep_alive=1)
RESOURCE = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/{demo.REPO}"


@pytest.fixture
def quick_fake(workdir):
    with running_fake(workdir, timeouts=SHORT) as fake:
        yield fake


def closed_within(sock, seconds: float) -> float | None:
    """Seconds until the peer closed the connection (None if still open after `seconds`)."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return None
    except OSError:
        pass  # reset or TLS error: closed all the same
    return time.monotonic() - start


def test_a_tcp_connection_that_never_starts_tls_is_dropped(quick_fake):
    with socket.create_connection(("127.0.0.1", quick_fake.port)) as sock:
        assert closed_within(sock, 5) is not None


def test_a_tls_connection_that_sends_nothing_is_dropped(quick_fake):
    with tls_socket(quick_fake.port, REGISTRY, quick_fake.ca) as sock:
        assert closed_within(sock, 5) is not None


def test_a_request_head_sent_a_byte_at_a_time_is_dropped(quick_fake):
    head = f"GET /v2/ HTTP/1.1\r\nHost: {REGISTRY}\r\nX-Slow: {'a' * 200}\r\n\r\n".encode()
    with tls_socket(quick_fake.port, REGISTRY, quick_fake.ca) as sock:
        start = time.monotonic()
        try:
            for byte in head:
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass
        else:
            pytest.fail("the fake waited for the whole slow head")
        assert time.monotonic() - start < 5


def test_a_body_that_stops_arriving_is_dropped(quick_fake):
    writer = quick_fake.key_text("writer")
    import base64

    auth = base64.b64encode(b"_json_key:" + writer.encode())
    with tls_socket(quick_fake.port, REGISTRY, quick_fake.ca) as sock:
        sock.sendall(
            f"POST /v2/{IMAGE}/blobs/uploads/ HTTP/1.1\r\nHost: {REGISTRY}\r\n".encode()
            + b"Authorization: Basic "
            + auth
            + b"\r\nContent-Length: 1000\r\n\r\n"
            + b"x" * 10
        )
        assert closed_within(sock, 5) is not None


def test_a_quiet_client_does_not_hold_a_connection_between_requests(quick_fake):
    with tls_socket(quick_fake.port, REGISTRY, quick_fake.ca) as sock:
        sock.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {REGISTRY}\r\n\r\n".encode())
        assert b"401" in sock.recv(4096)
        assert closed_within(sock, 5) is not None


def reset(sock) -> None:
    """Close with RST, as a killed client does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_download_cut_short_stops_at_once_with_one_log_line(fake, caplog):
    blob = os.urandom(48 << 20)
    digest = fake.state.put_blob(RESOURCE, blob)
    key = fake.key_text("reader")
    import base64

    auth = base64.b64encode(b"_json_key:" + key.encode())
    caplog.set_level(logging.DEBUG)
    redirect = raw_request(
        fake.port,
        REGISTRY,
        "GET",
        f"/v2/{IMAGE}/blobs/{digest}",
        [(b"Authorization", b"Basic " + auth)],
        ca=fake.ca,
    )
    assert redirect.status == 302
    for _ in range(5):
        sock = tls_socket(fake.port, REGISTRY, fake.ca)
        sock.sendall(f"GET {redirect.headers['location']} HTTP/1.1\r\nHost: {REGISTRY}\r\n\r\n".encode())
        got = 0
        while got < (1 << 20):
            got += len(sock.recv(65536))
        reset(sock)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        cut = [r for r in fake.log.records if r.get("outcome") == "client went away"]
        if len(cut) == 5:
            break
        time.sleep(0.1)
    assert len(cut) == 5
    for record in cut:
        sent, total = (int(x) for x in record["reason"].split()[1::2][:2])
        assert total == len(blob) and sent < total // 4  # stopped long before the end
    noise = [r.getMessage() for r in caplog.records if r.name in ("asyncio", "uvicorn.error")]
    assert noise == []
