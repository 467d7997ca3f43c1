"""One sandbox and one fake for the whole test run, started on first use, stopped at its end.

    seed() -> Path         the run's seeded workdir (demo state, keys, CA), made once
    shared() -> Shared     .session (garauth.sandbox.session.Session), .fake (kit.fake.LiveFake),
                           .seed

The session runs every engine that can run here (kit.availability), so a test that pulls with
the Docker Engine or containerd joins one already running. Its workdir is a short path of its
own (engine sockets must fit in 107 bytes), removed when the run ends.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from garauth.fake.server import prepare
from garauth.sandbox import engines
from garauth.sandbox.session import Session
from kit.availability import AVAILABLE, WHY_NOT, engine_missing
from kit.fake import LiveFake


@dataclass
class Shared:
    root: Path
    seed: Path
    session: Session
    fake: LiveFake

    def reset(self) -> None:
        """What one test may leave in the shared sandbox, gone before the next: the fake's state
        (back to the seed's) and the caches root skopeo and podman keep whatever they are told
        (/var/lib/containers in the sandbox's private /var/lib)."""
        self.fake.reset()
        shutil.rmtree(self.session.inside("/var/lib/containers"), ignore_errors=True)

    def stop(self) -> None:
        try:
            self.fake.stop()
        finally:
            self.session.stop()


_root: Path | None = None
_seed: Path | None = None
_shared: Shared | None = None


def _kit_root() -> Path:
    global _root
    if _root is None:
        _root = Path(tempfile.mkdtemp(prefix="garauth-kit-"))
        atexit.register(stop)
    return _root


def seed() -> Path:
    """The run's seeded workdir: the demo state, its keys and CA, made once (by the fake's own
    `prepare`). Every test's workdir is a copy; the shared fake serves its state."""
    global _seed
    if _seed is None:
        path = _kit_root() / "seed"
        prepare(path)
        _seed = path
    return _seed


def shared() -> Shared:
    """The run's sandbox and fake (started now if this is the first use)."""
    global _shared
    if _shared is None:
        if not AVAILABLE:
            pytest.skip(f"garauth sandbox cannot run here: {WHY_NOT}")
        _shared = _start(_kit_root(), seed())
    return _shared


def started() -> Shared | None:
    return _shared


def _start(root: Path, seed: Path) -> Shared:
    names = [name for name in engines.ENGINES if not engine_missing(name)]
    where = root / "s"
    where.mkdir(exist_ok=True)
    shutil.copy(seed / "ca.pem", where / "ca.pem")
    session = Session(where, engines=names, serve_fake=False).start()
    try:
        fake = LiveFake(seed, session.listener, where / "requests.log")
    except BaseException:
        session.stop()
        raise
    return Shared(root, seed, session, fake)


def stop() -> None:
    """Stop the shared sandbox and fake, and remove the run's kit directory."""
    global _shared, _seed, _root
    shared_, _shared = _shared, None
    try:
        if shared_ is not None:
            shared_.stop()
    finally:
        if _root is not None:
            shutil.rmtree(_root, ignore_errors=True)
        _root = _seed = None
