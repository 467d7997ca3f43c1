"""Where the fake keeps image content (layers, configs, manifests), by SHA-256 digest.

Two kinds, with one interface:
- `MemoryBlobs`: a dict, for a State that is not attached to a workdir (tests, seeding);
- `DirectoryBlobs`: WORKDIR/blobs/sha256/HEX, for the running fake. A blob is written to a
  temporary name in the same directory, flushed to disk (fsync) and renamed, so a kill at any
  moment leaves either the whole blob or none, never a partial one under its digest's name.
  Content is read from disk when served, so the fake's memory does not grow with the images.

Uploads (`new_upload`) are spooled to a file as they arrive and hashed on the way, so a push of a
large layer never sits in memory; `put_upload` moves a finished upload into the store.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
from pathlib import Path
from typing import BinaryIO

FILE_MODE = 0o644  # blobs are image content, not secrets
DIR_MODE = 0o755
UPLOAD_DIR_MODE = 0o700
SPOOL_IN_MEMORY = 1 << 20  # an upload of up to 1 MiB stays in memory; larger ones go to disk


def digest_of(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def make_dir(path: Path, mode: int) -> None:
    """mkdir -p with an explicit mode for each directory it makes, whatever the umask (a directory
    that exists keeps its mode)."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir()
        except FileExistsError:
            pass
        os.chmod(d, mode)


def write_durably(path: Path, content: bytes, mode: int) -> None:
    """Write `path` so that a kill at any moment leaves the old file or the new one, whole:
    a temporary file in the same directory, fsync, chmod (the umask does not apply), rename,
    then fsync of the directory."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    sync_dir(path.parent)


def sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Upload:
    """A blob being received, hashed on the way: in memory up to 1 MiB, then in a file (named,
    mode 0600, in the store's uploads directory when there is one)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.path: Path | None = None  # the named file, once spilled to disk in `directory`
        self._memory = io.BytesIO()
        self._file: BinaryIO | None = None
        self.size = 0
        self._hash = hashlib.sha256()

    def write(self, chunk: bytes) -> None:
        if self._file is None and self.size + len(chunk) > SPOOL_IN_MEMORY:
            self._spill()
        (self._file or self._memory).write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def _spill(self) -> None:
        if self.directory is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        else:
            self.path = self.directory / secrets.token_hex(16)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._file = os.fdopen(fd, "w+b")
        self._file.write(self._memory.getvalue())
        self._memory = io.BytesIO()

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()

    @property
    def in_memory(self) -> bool:
        return self._file is None

    def read_all(self) -> bytes:
        if self._file is None:
            return self._memory.getvalue()
        self._file.flush()
        self._file.seek(0)
        return self._file.read()

    def sync(self) -> None:
        """Flush a spilled upload to disk (before it is renamed into the store)."""
        if self._file is not None:
            self._file.flush()
            os.fchmod(self._file.fileno(), FILE_MODE)
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None
        self._memory = io.BytesIO()


class MemoryBlobs:
    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def has(self, digest: str) -> bool:
        return digest in self._blobs

    def put(self, content: bytes) -> str:
        digest = digest_of(content)
        self._blobs.setdefault(digest, bytes(content))
        return digest

    def put_upload(self, upload: Upload) -> str:
        try:
            return self.put(upload.read_all())
        finally:
            upload.close()

    def size(self, digest: str) -> int | None:
        content = self._blobs.get(digest)
        return None if content is None else len(content)

    def read(self, digest: str) -> bytes | None:
        return self._blobs.get(digest)

    def open(self, digest: str) -> BinaryIO | None:
        content = self._blobs.get(digest)
        return None if content is None else io.BytesIO(content)

    def new_upload(self) -> Upload:
        return Upload(None)

    def digests(self) -> list[str]:
        return list(self._blobs)


class DirectoryBlobs:
    """Blobs as files under ROOT/sha256/; uploads under ROOT/../uploads/ (mode 0700)."""

    def __init__(self, root: Path, uploads: Path) -> None:
        self.root = root / "sha256"
        self.uploads = uploads
        make_dir(self.root, DIR_MODE)
        make_dir(self.uploads, UPLOAD_DIR_MODE)

    def path(self, digest: str) -> Path:
        algorithm, _, hexdigest = digest.partition(":")
        if (
            algorithm != "sha256"
            or len(hexdigest) != 64
            or not all(c in "0123456789abcdef" for c in hexdigest)
        ):
            raise ValueError("not a sha256 digest")
        return self.root / hexdigest

    def has(self, digest: str) -> bool:
        try:
            return self.path(digest).is_file()
        except ValueError:
            return False

    def put(self, content: bytes) -> str:
        digest = digest_of(content)
        path = self.path(digest)
        if not path.exists():
            write_durably(path, content, FILE_MODE)
        return digest

    def put_upload(self, upload: Upload) -> str:
        """Move a finished upload into the store: renamed from the uploads directory when it was
        spilled to disk (same filesystem, no copy), else written out."""
        digest = upload.digest
        path = self.path(digest)
        try:
            if path.exists():
                return digest
            if upload.path is None:
                write_durably(path, upload.read_all(), FILE_MODE)
                return digest
            upload.sync()
            os.replace(upload.path, path)
            upload.path = None
            sync_dir(self.root)
            return digest
        finally:
            upload.close()

    def size(self, digest: str) -> int | None:
        try:
            return self.path(digest).stat().st_size
        except (OSError, ValueError):
            return None

    def read(self, digest: str) -> bytes | None:
        try:
            return self.path(digest).read_bytes()
        except (OSError, ValueError):
            return None

    def open(self, digest: str) -> BinaryIO | None:
        try:
            return open(self.path(digest), "rb")  # noqa: SIM115 - the caller closes it
        except (OSError, ValueError):
            return None

    def new_upload(self) -> Upload:
        return Upload(self.uploads)

    def digests(self) -> list[str]:
        return ["sha256:" + p.name for p in self.root.iterdir() if len(p.name) == 64]

    def remove_leftovers(self) -> int:
        """Delete temporary files a killed fake left behind (never a whole blob); return how many."""
        gone = 0
        for directory in (self.root, self.uploads):
            for p in directory.iterdir():
                if p.name.endswith(".tmp") or directory == self.uploads:
                    p.unlink(missing_ok=True)
                    gone += 1
        return gone
