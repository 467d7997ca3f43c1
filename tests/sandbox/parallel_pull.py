"""Run N `skopeo copy docker://IMAGE dir:pull-I` at once (inside `garauth sandbox`, after a login)
and check every copy: the manifest's digest, and every blob's digest and size.

    python parallel_pull.py IMAGE N EXPECTED_MANIFEST_DIGEST
Prints one JSON object: {"ok": count, "failures": [...]}. Exit 0 only if all N are good.
"""

import hashlib
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def pull(image: str, i: int, expected: str) -> str | None:
    out = Path(f"pull-{i}")
    proc = subprocess.run(
        ["skopeo", "copy", "--quiet", f"docker://{image}", f"dir:{out}"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        return f"pull {i}: exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"
    if sha256(out / "manifest.json") != expected:
        return f"pull {i}: manifest digest differs"
    manifest = json.loads((out / "manifest.json").read_text())
    for desc in [manifest["config"], *manifest["layers"]]:
        blob = out / desc["digest"].split(":", 1)[1]
        if not blob.is_file() or sha256(blob) != desc["digest"] or blob.stat().st_size != desc["size"]:
            return f"pull {i}: blob {desc['digest']} missing or wrong"
    return None


def main() -> int:
    image, n, expected = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(lambda i: pull(image, i, expected), range(n)))
    failures = [r for r in results if r]
    print(json.dumps({"ok": n - len(failures), "failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
