"""Benchmark: the fake Artifact Registry against the real CNCF Distribution 2.8, through skopeo.

    .venv/bin/python bench/fake_registry.py [--handshakes 200] [--blob-mib 64] [--pulls 3]

Runs inside one `garauth sandbox` (private network namespace; nothing leaves the machine):

  * the fake, as the sandbox starts it: https://us-central1-docker.pkg.dev (192.0.2.10:443), token
    auth with a service-account key (`_json_key`), TLS verified;
  * Debian's `docker-registry` (Distribution 2.8) on https://localhost:5000 inside the same
    namespace, with plain htpasswd (bcrypt) Basic auth and a TLS certificate from a CA made here.

and times, for each, the same skopeo commands:

  * HANDSHAKES runs of `skopeo inspect --raw`: ping /v2/, authenticate (the fake: token endpoint;
    Distribution: Basic), fetch the manifest. One process each, so skopeo's own start-up is in it.
  * PULLS runs of `skopeo copy docker://.../big:1 dir:...` of an image whose one layer is a random
    BLOB_MIB MiB blob, pushed first to both (to the fake as the writer account).

Prints the figures and the ratio fake/Distribution. Needs root or user namespaces, skopeo and
docker-registry. A benchmark, not a test: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from garauth import sandbox

FAKE_HOST = "us-central1-docker.pkg.dev"
FAKE_REPO = f"{FAKE_HOST}/demo-project/demo-repo"
SMALL = "hello:1.0"  # the fake's demo image
BIG = "bench-big:1"
DIST_HOST = "localhost:5000"
DIST_USER = "bench"


# --------------------------------------------------------------------------- helpers


def _digest(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def _bcrypt(password: str) -> str:
    """An htpasswd bcrypt hash, cost 5 as `htpasswd -B` makes by default."""
    try:
        import bcrypt  # type: ignore[import-not-found]

        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()
    except ImportError:
        pass
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt  # removed in Python 3.13; Debian's libcrypt does bcrypt
        except ImportError:
            sys.exit("bench: no bcrypt available: pip install bcrypt (needed for the htpasswd file)")
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5))
    if not hashed or not hashed.startswith("$2"):
        sys.exit("bench: this libc cannot make bcrypt hashes: pip install bcrypt")
    return hashed


def _auth_file(path: Path, entries: dict[str, tuple[str, str]]) -> Path:
    auths = {
        host: {"auth": base64.b64encode(f"{u}:{p}".encode()).decode()} for host, (u, p) in entries.items()
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"auths": auths}, fh)
    return path


def _skopeo(*args: str) -> None:
    proc = subprocess.run(["skopeo", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        sys.exit(f"bench: skopeo {args[0]} failed: {msg}")


def _big_image(out: Path, size: int) -> str:
    """A dir: transport image with one layer holding `size` random bytes; the layer's digest.

    The layer is gzipped (random data stays its size), as registries store layers: skopeo would
    compress an uncompressed one on push, and the digest to check after a pull would change.
    """
    out.mkdir(parents=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("random.bin")
        info.size, info.mode, info.mtime = size, 0o644, 0
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    tar_bytes = buf.getvalue()
    layer = gzip.compress(tar_bytes, compresslevel=1, mtime=0)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [_digest(tar_bytes)]},
        },
        separators=(",", ":"),
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "size": len(config),
                "digest": _digest(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "size": len(layer),
                    "digest": _digest(layer),
                }
            ],
        },
        separators=(",", ":"),
    ).encode()
    for blob in (layer, config):
        (out / _digest(blob).split(":")[1]).write_bytes(blob)
    (out / "manifest.json").write_bytes(manifest)
    (out / "version").write_text("Directory Transport Version: 1.1\n")
    return _digest(layer)


def _start_distribution(root: Path, password: str) -> tuple[subprocess.Popen, Path]:
    import trustme

    root = root.resolve()
    root.mkdir()
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(root / "server.pem"))
    certs_d = root / "certs.d"
    certs_d.mkdir()
    ca.cert_pem.write_to_path(str(certs_d / "ca.crt"))
    (root / "htpasswd").write_text(f"{DIST_USER}:{_bcrypt(password)}\n")
    (root / "config.yml").write_text(
        "version: 0.1\n"
        "log: {level: error}\n"
        f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}, delete: {{enabled: true}}}}\n"
        "http:\n"
        f"  addr: {DIST_HOST}\n"
        "  secret: bench-only-not-a-secret\n"
        f"  tls: {{certificate: {root / 'server.pem'}, key: {root / 'server.pem'}}}\n"
        f"auth: {{htpasswd: {{realm: bench, path: {root / 'htpasswd'}}}}}\n"
    )
    log = open(root / "registry.log", "wb")
    # Distribution reads REGISTRY_* variables as configuration: the sandbox's REGISTRY_AUTH_FILE
    # (meant for skopeo and podman) would override `auth:` with a string and stop it starting.
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    proc = subprocess.Popen(
        ["docker-registry", "serve", str(root / "config.yml")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    import socket

    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", 5000)) == 0:
                return proc, certs_d
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"bench: docker-registry did not start; see {root / 'registry.log'}")


def _time_handshakes(n: int, image: str, extra: list[str]) -> list[float]:
    times = []
    expected = None
    for _ in range(n):
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["skopeo", "inspect", "--raw", *extra, f"docker://{image}"], capture_output=True
        )
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            msg = (proc.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
            sys.exit(f"bench: skopeo inspect {image} failed: {msg}")
        got = _digest(proc.stdout)
        if expected is None:
            expected = got
        elif got != expected:
            sys.exit(f"bench: {image} returned a different manifest")
    return times


def _time_pulls(n: int, image: str, extra: list[str], scratch: Path, layer_digest: str) -> list[float]:
    times = []
    for i in range(n):
        out = scratch / f"pull-{i}"
        t0 = time.perf_counter()
        _skopeo("copy", "--quiet", *extra, f"docker://{image}", f"dir:{out}")
        times.append(time.perf_counter() - t0)
        got = _file_digest(out / layer_digest.split(":")[1])
        if got != layer_digest:
            sys.exit(f"bench: pulled layer of {image} has the wrong digest")
        shutil.rmtree(out)
    return times


# --------------------------------------------------------------------------- inside the sandbox


def inside(args: argparse.Namespace) -> int:
    work = Path.cwd()  # the sandbox's workdir; the fake is up
    scratch = Path(tempfile.mkdtemp(prefix="bench-", dir=work))
    password = base64.urlsafe_b64encode(os.urandom(18)).decode()
    writer = (work / "keys" / "writer.json").read_text()
    reader = (work / "keys" / "reader.json").read_text()
    fake_auth = _auth_file(scratch / "fake-auth.json", {FAKE_HOST: ("_json_key", reader)})
    writer_auth = _auth_file(scratch / "writer-auth.json", {FAKE_HOST: ("_json_key", writer)})
    dist_auth = _auth_file(scratch / "dist-auth.json", {DIST_HOST: (DIST_USER, password)})

    size = args.blob_mib << 20
    layer_digest = _big_image(scratch / "big", size)
    layer_mib = (scratch / "big" / layer_digest.split(":")[1]).stat().st_size / (1 << 20)
    dist, certs_d = _start_distribution(scratch / "distribution", password)
    try:
        fake_args = ["--authfile", str(fake_auth)]
        dist_args = ["--authfile", str(dist_auth), "--cert-dir", str(certs_d)]
        fake_src = ["--src-authfile", str(fake_auth)]
        dist_src = ["--src-authfile", str(dist_auth), "--src-cert-dir", str(certs_d)]
        print(
            f"seeding: {args.blob_mib} MiB layer to the fake (as the writer) and to Distribution", flush=True
        )
        t0 = time.perf_counter()
        _skopeo(
            "copy",
            "--quiet",
            "--dest-authfile",
            str(writer_auth),
            f"dir:{scratch / 'big'}",
            f"docker://{FAKE_REPO}/{BIG}",
        )
        push_fake = time.perf_counter() - t0
        t0 = time.perf_counter()
        _skopeo(
            "copy",
            "--quiet",
            "--dest-authfile",
            str(dist_auth),
            "--dest-cert-dir",
            str(certs_d),
            f"dir:{scratch / 'big'}",
            f"docker://{DIST_HOST}/demo-project/demo-repo/{BIG}",
        )
        push_dist = time.perf_counter() - t0
        _skopeo(
            "copy",
            "--quiet",
            "--src-authfile",
            str(fake_auth),
            "--dest-authfile",
            str(dist_auth),
            "--dest-cert-dir",
            str(certs_d),
            f"docker://{FAKE_REPO}/{SMALL}",
            f"docker://{DIST_HOST}/demo-project/demo-repo/{SMALL}",
        )

        print(f"timing: {args.handshakes} x skopeo inspect --raw on each", flush=True)
        hs_fake = _time_handshakes(args.handshakes, f"{FAKE_REPO}/{SMALL}", fake_args)
        hs_dist = _time_handshakes(args.handshakes, f"{DIST_HOST}/demo-project/demo-repo/{SMALL}", dist_args)
        print(f"timing: {args.pulls} x skopeo copy of the {args.blob_mib} MiB image on each", flush=True)
        pull_fake = _time_pulls(args.pulls, f"{FAKE_REPO}/{BIG}", fake_src, scratch, layer_digest)
        pull_dist = _time_pulls(
            args.pulls, f"{DIST_HOST}/demo-project/demo-repo/{BIG}", dist_src, scratch, layer_digest
        )
    finally:
        dist.terminate()
        try:
            dist.wait(10)
        except subprocess.TimeoutExpired:
            dist.kill()
        shutil.rmtree(scratch, ignore_errors=True)

    def ms(x: float) -> str:
        return f"{x * 1000:.1f} ms"

    rows = [
        ("", "fake", "Distribution 2.8", "fake/Dist."),
        (
            f"{args.handshakes} handshakes, total",
            f"{sum(hs_fake):.2f} s",
            f"{sum(hs_dist):.2f} s",
            f"{sum(hs_fake) / sum(hs_dist):.2f}",
        ),
        (
            "  per handshake, median",
            ms(statistics.median(hs_fake)),
            ms(statistics.median(hs_dist)),
            f"{statistics.median(hs_fake) / statistics.median(hs_dist):.2f}",
        ),
        (
            "  per handshake, p95",
            ms(_p95(hs_fake)),
            ms(_p95(hs_dist)),
            f"{_p95(hs_fake) / _p95(hs_dist):.2f}",
        ),
        (
            f"{args.blob_mib} MiB pull, median of {args.pulls}",
            f"{statistics.median(pull_fake):.2f} s",
            f"{statistics.median(pull_dist):.2f} s",
            f"{statistics.median(pull_fake) / statistics.median(pull_dist):.2f}",
        ),
        (
            "  throughput",
            f"{layer_mib / statistics.median(pull_fake):.0f} MiB/s",
            f"{layer_mib / statistics.median(pull_dist):.0f} MiB/s",
            "",
        ),
        (
            f"{args.blob_mib} MiB push (seeding, once)",
            f"{push_fake:.2f} s",
            f"{push_dist:.2f} s",
            f"{push_fake / push_dist:.2f}",
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    for r in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
    return 0


def _p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


# --------------------------------------------------------------------------- outside


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handshakes", type=int, default=200)
    parser.add_argument("--blob-mib", type=int, default=64)
    parser.add_argument("--pulls", type=int, default=3)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.handshakes < 1 or args.blob_mib < 1 or args.pulls < 1:
        parser.error("--handshakes, --blob-mib and --pulls must be at least 1")
    if args.inside:
        return inside(args)
    for tool, package in (("skopeo", "skopeo"), ("docker-registry", "docker-registry")):
        if shutil.which(tool) is None:
            print(f"bench: `{tool}` is not installed (apt-get install {package})", file=sys.stderr)
            return 1
    ok, reason = sandbox.available()
    if not ok:
        print(f"bench: {reason}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="garauth-bench-") as workdir:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--inside",
            "--handshakes",
            str(args.handshakes),
            "--blob-mib",
            str(args.blob_mib),
            "--pulls",
            str(args.pulls),
        ]
        return subprocess.run(sandbox.command_argv(cmd, Path(workdir), ready_timeout=60)).returncode


if __name__ == "__main__":
    sys.exit(main())
