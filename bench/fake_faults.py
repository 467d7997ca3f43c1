"""Benchmark: the fake under load and faults, each compared with a baseline taken in the same run.

    .venv/bin/python bench/fake_faults.py [--blob-mib 16] [--aborts 250] [--slow 50] [--kills 5]

Starts `garauth fake-registry` as a child process on 127.0.0.1 (a temporary workdir; the real
hostnames are routed to it inside this process only, so no traffic leaves loopback) and measures:

  * parallel pulls at 32, 64, 128 and 256: each pull is a fresh client that gets a token with
    the demo reader's key, then the manifest and every blob, each checked against its digest.
    Baseline: the same number of pulls one after another.
  * downloads cut short: ABORTS clients each read 1 MiB of a BLOB_MIB MiB blob, then reset the
    connection. Figures: the fake's CPU time and log lines per abort. Baseline: the CPU time of
    one whole download. Then a normal pull, checked.
  * slow clients: SLOW TLS clients that send their request head a byte every 0.5 s, and SLOW TCP
    sockets that never start TLS, while 32 parallel pulls run. Baseline: the same 32 pulls alone.
    Also: how many of the slow connections the fake still holds 15 s later.
  * kill -9 mid-push: KILLS times, push an image (a BLOB_MIB MiB layer, sent in 1 MiB chunks)
    and SIGKILL the fake at a random moment; restart it and check that every push it had
    acknowledged pulls with the right digests, that every blob file holds what its name says,
    and that no upload was left behind. Baseline: the same pushes without kills.

Prints the figures and, for each, the ratio to its baseline, and the fake's peak memory. A
benchmark, not a test: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import random
import shutil
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from garauth import data
from garauth.fake import demo, images
from garauth.fake.state import State
from garauth.fake.testing import FakeProcess, route, start_fake_process, tls_socket

HOST = f"{demo.LOCATION}-docker.pkg.dev"
IMAGE = f"{demo.PROJECT}/{demo.REPO}/hello"
RESOURCE = f"projects/{demo.PROJECT}/locations/{demo.LOCATION}/repositories/{demo.REPO}"
MIB = 1 << 20


def sha256(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(b"_json_key:" + key.encode()).decode()


def client(fake: FakeProcess) -> httpx.Client:
    return httpx.Client(verify=ssl.create_default_context(cafile=fake.ca), timeout=120, trust_env=False)


def pull(fake: FakeProcess, key: str, image: str = IMAGE, tag: str = "1.0") -> str:
    """One pull as a fresh client: token, manifest, blobs; every digest checked."""
    with client(fake) as c:
        r = c.get(
            f"https://{HOST}/v2/token",
            params={"scope": f"repository:{image}:pull", "service": HOST},
            auth=("_json_key", key),
        )
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['token']}", "Accept": images.OCI_MANIFEST}
        r = c.get(f"https://{HOST}/v2/{image}/manifests/{tag}", headers=headers)
        r.raise_for_status()
        if sha256(r.content) != r.headers["docker-content-digest"]:
            raise RuntimeError("manifest digest mismatch")
        for desc in [r.json()["config"], *r.json()["layers"]]:
            h = hashlib.sha256()
            url = f"https://{HOST}/v2/{image}/blobs/{desc['digest']}"
            with c.stream("GET", url, headers=headers, follow_redirects=True) as b:
                b.raise_for_status()
                for chunk in b.iter_bytes():
                    h.update(chunk)
            if "sha256:" + h.hexdigest() != desc["digest"]:
                raise RuntimeError("blob digest mismatch")
        return r.headers["docker-content-digest"]


def timed_pulls(fake: FakeProcess, key: str, count: int, parallel: int, **kw) -> float:
    expected = pull(fake, key, **kw)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        results = list(pool.map(lambda _: pull(fake, key, **kw), range(count)))
    elapsed = time.perf_counter() - start
    if results != [expected] * count:
        raise RuntimeError("a pull returned another manifest")
    return elapsed


def push_image(fake: FakeProcess, key: str, tag: str, layer_mib: int, chunk: int = MIB) -> str:
    """Push one image (config, one random layer sent in chunks, manifest) as the writer."""
    built = images.build_image({"random.bin": os.urandom(layer_mib * MIB)}, oci=True)
    with client(fake) as c:
        headers = {"Authorization": basic(key)}
        for blob in built.blobs:
            r = c.post(f"https://{HOST}/v2/{IMAGE}/blobs/uploads/", headers=headers)
            r.raise_for_status()
            location = r.headers["location"]
            for start in range(0, len(blob), chunk):
                part = blob[start : start + chunk]
                r = c.patch(
                    location,
                    content=part,
                    headers={**headers, "Content-Range": f"{start}-{start + len(part) - 1}"},
                )
                r.raise_for_status()
                location = r.headers["location"]
            c.put(location, params={"digest": sha256(blob)}, headers=headers).raise_for_status()
        r = c.put(
            f"https://{HOST}/v2/{IMAGE}/manifests/{tag}",
            content=built.manifest,
            headers={**headers, "Content-Type": built.media_type},
        )
        r.raise_for_status()
    return built.digest


def reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


# --------------------------------------------------------------------------- sections


def parallel_pulls(fake: FakeProcess, key: str) -> list[tuple]:
    rows = []
    for n in (32, 64, 128, 256):
        sequential = timed_pulls(fake, key, n, 1)
        parallel = timed_pulls(fake, key, n, n)
        rows.append(
            (
                f"{n} pulls, {n} at once (digests checked)",
                f"{parallel:.2f} s",
                f"{sequential:.2f} s one by one",
                f"{parallel / sequential:.2f}",
            )
        )
    return rows


def aborted_downloads(fake: FakeProcess, key: str, blob_mib: int, aborts: int, workdir: Path) -> list[tuple]:
    content = os.urandom(blob_mib * MIB)
    state_digest = sha256(content)
    with client(fake) as c:
        headers = {"Authorization": basic(fake.key_text("writer"))}
        c.post(
            f"https://{HOST}/v2/{IMAGE}/blobs/uploads/",
            params={"digest": state_digest},
            content=content,
            headers=headers,
        ).raise_for_status()
        # AR answers a blob GET with a 302 to a download URL on the same host: fetch that.
        location = c.get(
            f"https://{HOST}/v2/{IMAGE}/blobs/{state_digest}", headers={"Authorization": basic(key)}
        )
        location = location.headers["location"]
    request = f"GET {location} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()

    def one(abort: bool) -> None:
        sock = tls_socket(fake.port, HOST, fake.ca, timeout=60)
        sock.sendall(request)
        got, want = 0, MIB if abort else len(content)
        while got < want:
            chunk = sock.recv(256 * 1024)
            if not chunk:
                break
            got += len(chunk)
        reset(sock)

    cpu0 = fake.cpu_seconds()
    for _ in range(5):
        one(abort=False)
    full = (fake.cpu_seconds() - cpu0) / 5
    log = workdir / "requests.log"
    lines0 = sum(1 for _ in log.open()) if log.exists() else 0
    stderr0 = len(fake.stderr.splitlines())
    cpu0 = fake.cpu_seconds()
    for _ in range(aborts):
        one(abort=True)
    time.sleep(1)  # let the last aborts be noticed
    per_abort = (fake.cpu_seconds() - cpu0) / aborts
    log_lines = (sum(1 for _ in log.open()) - lines0) / aborts
    stderr_lines = len(fake.stderr.splitlines()) - stderr0
    after = pull(fake, key)
    return [
        (
            f"{aborts} downloads of {blob_mib} MiB cut after 1 MiB: CPU each",
            f"{per_abort * 1000:.1f} ms",
            f"{full * 1000:.1f} ms a whole download",
            f"{per_abort / full:.2f}",
        ),
        ("  request-log lines per abort", f"{log_lines:.2f}", "", ""),
        ("  stderr lines, all aborts", str(stderr_lines), "", ""),
        ("  a normal pull afterwards", "ok" if after else "FAILED", "", ""),
    ]


def slow_clients(fake: FakeProcess, key: str, slow: int) -> list[tuple]:
    alone = timed_pulls(fake, key, 32, 32)
    stop = threading.Event()
    socks: list[socket.socket] = []
    head = f"GET /v2/ HTTP/1.1\r\nHost: {HOST}\r\nX-Slow: {'a' * 100}\r\n\r\n".encode()

    def dribble(sock) -> None:
        try:
            for byte in head:
                if stop.is_set():
                    return
                sock.sendall(bytes([byte]))
                time.sleep(0.5)
        except OSError:
            pass

    fds0 = fake.open_files()
    threads = []
    for _ in range(slow):
        s = socket.create_connection(("127.0.0.1", fake.port))  # never starts TLS
        socks.append(s)
        t = tls_socket(fake.port, HOST, fake.ca, timeout=60)
        socks.append(t)
        threads.append(threading.Thread(target=dribble, args=(t,), daemon=True))
    for t in threads:
        t.start()
    time.sleep(1)
    fds_during = fake.open_files()
    with_slow = timed_pulls(fake, key, 32, 32)
    time.sleep(15)
    fds_after = fake.open_files()
    stop.set()
    for s in socks:
        s.close()
    return [
        (
            f"32 pulls at once beside {slow} slow TLS + {slow} silent TCP clients",
            f"{with_slow:.2f} s",
            f"{alone:.2f} s alone",
            f"{with_slow / alone:.2f}",
        ),
        ("  fake's open files: before, with them, 15 s later", f"{fds0}, {fds_during}, {fds_after}", "", ""),
    ]


def kills_mid_push(workdir: Path, blob_mib: int, kills: int) -> tuple[list[tuple], FakeProcess]:
    rng = random.Random(1)
    acknowledged: dict[str, str] = {}
    lost = bad_blobs = leftovers = 0
    durations = []
    fake = start_fake_process(workdir)
    writer = fake.key_text("writer")
    # Baseline: time for one push, no kill.
    start = time.perf_counter()
    with route(data.all_hosts(), fake.port):
        acknowledged["base"] = push_image(fake, writer, "base", blob_mib)
    push_time = time.perf_counter() - start
    for i in range(kills):
        tag = f"kill-{i}"
        delay = rng.uniform(0, push_time * 1.2)
        killer = threading.Timer(delay, fake.kill)
        killer.start()
        try:
            with route(data.all_hosts(), fake.port):
                acknowledged[tag] = push_image(fake, writer, tag, blob_mib)
        except (httpx.HTTPError, OSError):
            pass
        killer.join()
        if fake.proc.poll() is None:
            fake.kill()
        t0 = time.perf_counter()
        fake = start_fake_process(workdir)
        durations.append(time.perf_counter() - t0)
        with route(data.all_hosts(), fake.port):
            for done_tag, digest in acknowledged.items():
                try:
                    if pull(fake, fake.key_text("reader"), tag=done_tag) != digest:
                        lost += 1
                except (httpx.HTTPError, RuntimeError):
                    lost += 1
        for path in (workdir / "blobs" / "sha256").iterdir():
            if hashlib.sha256(path.read_bytes()).hexdigest() != path.name:
                bad_blobs += 1
        leftovers += len(list((workdir / "uploads").iterdir()))
    State.load(workdir)  # loads whole
    rows = [
        (
            f"{kills} kills -9 at random moments of a {blob_mib} MiB push",
            f"{len(acknowledged) - 1} of {kills} pushes acknowledged",
            f"push alone {push_time:.2f} s",
            "",
        ),
        ("  acknowledged pushes lost after restart", str(lost), "", ""),
        ("  blob files whose content is not their digest", str(bad_blobs), "", ""),
        ("  uploads left behind after restart", str(leftovers), "", ""),
        ("  restart time, median", f"{sorted(durations)[len(durations) // 2]:.2f} s", "", ""),
    ]
    return rows, fake


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blob-mib", type=int, default=16)
    parser.add_argument("--aborts", type=int, default=250)
    parser.add_argument("--slow", type=int, default=50)
    parser.add_argument("--kills", type=int, default=5)
    args = parser.parse_args(argv)
    if min(args.blob_mib, args.aborts, args.slow, args.kills) < 1:
        parser.error("every count must be at least 1")
    rows = [("", "measured", "baseline", "ratio")]
    with tempfile.TemporaryDirectory(prefix="garauth-faults-") as tmp:
        workdir = Path(tmp) / "fake"
        fake = start_fake_process(workdir)
        peaks = []
        try:
            with route(data.all_hosts(), fake.port):
                key = fake.key_text("reader")
                print("parallel pulls ...", flush=True)
                rows += parallel_pulls(fake, key)
                peaks.append(("after parallel pulls", fake.peak_rss_mib()))
                print("downloads cut short ...", flush=True)
                rows += aborted_downloads(fake, key, args.blob_mib, args.aborts, workdir)
                peaks.append(("after cut downloads", fake.peak_rss_mib()))
                print("slow clients ...", flush=True)
                rows += slow_clients(fake, key, args.slow)
                peaks.append(("after slow clients", fake.peak_rss_mib()))
        finally:
            fake.stop()
        print("kill -9 mid-push ...", flush=True)
        kill_dir = Path(tmp) / "kills"
        shutil.copytree(workdir, kill_dir, ignore=shutil.ignore_patterns("requests.log"))
        with_kills, fake = None, None
        try:
            with_kills, fake = kills_mid_push(kill_dir, args.blob_mib, args.kills)
            peaks.append(("during the pushes (last restart)", fake.peak_rss_mib()))
        finally:
            if fake is not None:
                fake.stop()
        rows += with_kills or []
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    print()
    for label, mib in peaks:
        print(f"fake peak RSS {label}: {mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
