"""TLS for the fake: a trustme CA and one leaf certificate naming every host the fake serves.

The leaf lists each host of `garauth.data.all_hosts()` explicitly (a wildcard such as *.pkg.dev
does not cover docker.LOCATION.rep.pkg.dev, which has two more labels), plus localhost,
127.0.0.1, ::1 and 192.0.2.10 (the address the sandbox puts the fake on). The CA goes to
WORKDIR/ca.pem for clients; the leaf key and chain to WORKDIR/tls/server.pem (mode 0600). A
workdir that already has both keeps them, so clients configured once keep trusting the fake.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme

from garauth import data

EXTRA_NAMES = ("localhost", "127.0.0.1", "::1", "192.0.2.10")


@dataclass(frozen=True)
class TlsFiles:
    ca: Path  # CA certificate (PEM) that clients trust
    server: Path  # leaf private key + certificate chain (PEM), for the server only


def names() -> list[str]:
    return list(data.all_hosts()) + list(EXTRA_NAMES)


def ensure(workdir: str | os.PathLike) -> TlsFiles:
    root = Path(workdir)
    files = TlsFiles(ca=root / "ca.pem", server=root / "tls" / "server.pem")
    if files.ca.exists() and files.server.exists():
        return files
    files.server.parent.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="garauth fake Google Cloud (tests only)")
    leaf = ca.issue_cert(*names())
    fd = os.open(files.server, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(leaf.private_key_and_cert_chain_pem.bytes())
    ca.cert_pem.write_to_path(str(files.ca))
    return files
