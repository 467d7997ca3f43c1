"""Small real images the fake stores: a gzip tar layer holding one file, a config, a manifest
(OCI or Docker schema 2), and optionally an image index over it. Built byte for byte the same on
every run, so digests are stable.

Media types: https://github.com/opencontainers/image-spec/blob/main/media-types.md and
https://distribution.github.io/distribution/spec/manifest-v2-2/
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass

from garauth.fake.state import State

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST) + INDEX_TYPES


def _digest(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def _json(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def layer_tar_gz(files: dict[str, bytes]) -> tuple[bytes, str]:
    """A reproducible gzip tar of the files; returns (compressed, diff_id of the tar)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(content))
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0), _digest(raw)


@dataclass(frozen=True)
class Built:
    manifest: bytes
    media_type: str
    blobs: tuple[bytes, ...]  # config first, then layers

    @property
    def digest(self) -> str:
        return _digest(self.manifest)


def build_image(files: dict[str, bytes], oci: bool = True, architecture: str = "amd64") -> Built:
    layer, diff_id = layer_tar_gz(files)
    config = _json(
        {
            "architecture": architecture,
            "os": "linux",
            "config": {"Cmd": ["/hello.txt"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created_by": "garauth fake registry"}],
        }
    )
    manifest = _json(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
            "config": {
                "mediaType": OCI_CONFIG if oci else DOCKER_CONFIG,
                "digest": _digest(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": OCI_LAYER if oci else DOCKER_LAYER,
                    "digest": _digest(layer),
                    "size": len(layer),
                }
            ],
        }
    )
    return Built(manifest, OCI_MANIFEST if oci else DOCKER_MANIFEST, (config, layer))


def build_index(children: list[tuple[Built, str]]) -> bytes:
    """An OCI image index over (image, architecture) pairs, all linux."""
    return _json(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": b.media_type,
                    "digest": b.digest,
                    "size": len(b.manifest),
                    "platform": {"architecture": arch, "os": "linux"},
                }
                for b, arch in children
            ],
        }
    )


def store(state: State, repository: str, image: str, tag: str, built: Built) -> str:
    for blob in built.blobs:
        state.put_blob(repository, blob)
    return state.put_manifest(repository, image, tag, built.manifest, built.media_type)


def store_hello(
    state: State,
    repository: str,
    image: str = "hello",
    tag: str = "1.0",
    index_tag: str | None = "multi",
    oci: bool = True,
) -> dict[str, str]:
    """Store the demo image (and an index tag over two architectures); return tag -> digest."""
    amd = build_image({"hello.txt": b"Hello from the garauth fake Artifact Registry.\n"}, oci=oci)
    out = {tag: store(state, repository, image, tag, amd)}
    if index_tag:
        arm = build_image(
            {"hello.txt": b"Hello from the garauth fake Artifact Registry (arm64).\n"},
            oci=oci,
            architecture="arm64",
        )
        store(state, repository, image, arm.digest, arm)
        index = build_index([(amd, "amd64"), (arm, "arm64")])
        out[index_tag] = state.put_manifest(repository, image, index_tag, index, OCI_INDEX)
    return out
