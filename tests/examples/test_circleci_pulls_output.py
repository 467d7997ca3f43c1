"""`garauth pulls` output the guide shows is a file, compared here with what the command prints.

Set GARAUTH_UPDATE_OUTPUTS=1 to rewrite the files after a deliberate change of the output.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kit.outputs import compare

CIRCLECI = Path(__file__).resolve().parents[2] / "examples" / "circleci"


@pytest.mark.parametrize("expected", sorted((CIRCLECI / "output").glob("*.pulls.txt")), ids=lambda p: p.name)
def test_pulls_output_matches_the_file_the_page_shows(expected):
    config = expected.name.removesuffix(".pulls.txt") + ".yml"
    result = subprocess.run(
        [sys.executable, "-m", "garauth", "pulls", config],
        cwd=CIRCLECI,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    compare(expected, result.stdout)
