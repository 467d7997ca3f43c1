"""32 skopeo pulls at once through one fake, in one sandbox, every copy checked by digest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit.availability import needs, needs_sandbox
from kit.outputs import describe
from kit.workdir import HOST, IMAGE, password

pytestmark = [pytest.mark.sandbox, needs_sandbox, needs["skopeo"]]

PULLS = 32
HELPER = Path(__file__).resolve().parent / "parallel_pull.py"


def test_parallel_pulls_all_verify(workdir):
    expected = workdir.manifest_digest()
    proc = workdir.sh(
        f"""{password("_json_key")}
        printf %s "$PASS" | skopeo login -u _json_key --password-stdin {HOST} >/dev/null
        "$PY" "{HELPER}" {IMAGE} {PULLS} {expected}""",
        timeout=300,
    )
    assert proc.returncode == 0, describe(proc)
    assert json.loads(proc.stdout) == {"ok": PULLS, "failures": []}
    assert len(list(workdir.path.glob("pull-*/manifest.json"))) == PULLS
    # Every pull went to the fake under the real name: Host and SNI are the registry's.
    manifests = [r for r in workdir.fake.requests() if "/manifests/" in r["path"] and r["method"] == "GET"]
    assert len(manifests) == PULLS
    assert {(r["status"], r["host"], r["sni"]) for r in manifests} == {(200, HOST, HOST)}
