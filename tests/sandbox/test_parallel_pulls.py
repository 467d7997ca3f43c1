"""32 skopeo pulls at once through one fake, in one sandbox, every copy checked by digest."""

from __future__ import annotations

import json

import pytest
from sandboxkit import HOST, IMAGE, demo_manifest_digest, describe, needs, needs_sandbox, password, sh

pytestmark = [pytest.mark.sandbox, needs_sandbox, needs["skopeo"]]

PULLS = 32


def test_parallel_pulls_all_verify(workdir):
    expected = demo_manifest_digest(workdir)
    proc = sh(
        workdir,
        f"""{password("_json_key")}
        printf %s "$PASS" | skopeo login -u _json_key --password-stdin {HOST} >/dev/null
        "$PY" "$HELPERS/parallel_pull.py" {IMAGE} {PULLS} {expected}""",
        timeout=300,
    )
    assert proc.returncode == 0, describe(proc)
    assert json.loads(proc.stdout) == {"ok": PULLS, "failures": []}
    assert len(list(workdir.glob("pull-*/manifest.json"))) == PULLS
    # Every pull went to the fake under the real name: Host and SNI are the registry's.
    log = [json.loads(line) for line in (workdir / "requests.log").read_text().splitlines()]
    manifests = [r for r in log if "/manifests/" in r["path"] and r["method"] == "GET"]
    assert len(manifests) == PULLS
    assert {(r["status"], r["host"], r["sni"]) for r in manifests} == {(200, HOST, HOST)}
