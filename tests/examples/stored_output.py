"""Program output the guide shows is stored under examples/ and compared with what the program
prints now. GARAUTH_UPDATE_OUTPUTS=1 rewrites the stored file first (review the diff after)."""

from __future__ import annotations

import os
from pathlib import Path


def compare(path: Path, actual: str) -> None:
    if os.environ.get("GARAUTH_UPDATE_OUTPUTS") == "1":
        path.write_text(actual)
    assert path.exists(), f"{path.name} is missing: run with GARAUTH_UPDATE_OUTPUTS=1 and review it"
    assert actual == path.read_text(), f"{path.name} differs from what the program printed"
