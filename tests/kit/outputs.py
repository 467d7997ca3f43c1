"""Program output: how tests read it, show it in assertion messages, and store it.

Program output the guide shows is stored under examples/ and compared with what the program
prints now (`compare`). GARAUTH_UPDATE_OUTPUTS=1 rewrites the stored file first (review the diff
after).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path


def compare(path: Path, actual: str) -> None:
    if os.environ.get("GARAUTH_UPDATE_OUTPUTS") == "1":
        path.write_text(actual)
    assert path.exists(), f"{path.name} is missing: run with GARAUTH_UPDATE_OUTPUTS=1 and review it"
    assert actual == path.read_text(), f"{path.name} differs from what the program printed"


_GO_LOG = re.compile(r'^time="[^"]*" level=(\w+) msg="(.*)"$')


def client_lines(text: str) -> list[str]:
    """Output lines, with logrus framing (`time=... level=fatal msg="..."`) reduced to the message."""
    out = []
    for line in text.splitlines():
        m = _GO_LOG.match(line)
        out.append(m.group(2).replace('\\"', '"') if m else line)
    return out


def describe(proc: subprocess.CompletedProcess) -> str:
    """For assertion messages: status and output (clients never print the secrets given to them)."""
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"
