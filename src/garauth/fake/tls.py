"""TLS for the fake: a trustme CA and one leaf certificate naming every host the fake serves.

The leaf lists each host of `garauth.data.all_hosts()` explicitly (a wildcard such as *.pkg.dev
does not cover docker.LOCATION.rep.pkg.dev, which has two more labels), plus localhost,
127.0.0.1, ::1 and 192.0.2.10 (the address the sandbox puts the fake on). The CA goes to
WORKDIR/ca.pem for clients (mode 0644); the leaf key and chain to WORKDIR/tls/server.pem (mode
0600, in a 0700 directory), whatever the umask. A
workdir that already has both keeps them (as long as the leaf still names every host), so clients
configured once keep trusting the fake.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import trustme

from garauth import data, keyfile
from garauth.fake.blobstore import make_dir, write_durably

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
    if files.ca.exists() and files.server.exists() and _covers(files.server, names()):
        return files
    make_dir(files.server.parent, 0o700)
    ca = trustme.CA(organization_name="garauth fake Google Cloud (tests only)")
    leaf = ca.issue_cert(*names())
    keyfile.write_private(files.server, leaf.private_key_and_cert_chain_pem.bytes())
    write_durably(files.ca, ca.cert_pem.bytes(), 0o644)
    return files


def _covers(server_pem: Path, wanted: list[str]) -> bool:
    """Does the leaf certificate in server_pem name every host and address in wanted?"""
    import ipaddress

    from cryptography import x509

    try:
        leaf = x509.load_pem_x509_certificates(server_pem.read_bytes())[0]
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, IndexError, x509.ExtensionNotFound):
        return False
    have = set(san.get_values_for_type(x509.DNSName))
    have |= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return all((str(ipaddress.ip_address(n)) if _is_ip(n) else n) in have for n in wanted)


def _is_ip(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False
