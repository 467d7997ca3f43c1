"""A secret written in a config never comes back out of `garauth pulls`, whatever is wrong around
it: a duplicate key, a schema error on the enclosing block, or username and password swapped."""

from __future__ import annotations

import json

import pytest

from garauth.cli import main

MARKER = "NOT-A-REAL-KEY-" + "7" * 12
SECRET = json.dumps({"type": "service_account", "private_key": f"-----BEGIN PRIVATE KEY-----{MARKER}"})
IMAGE = "us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0"

CONFIGS = {
    "duplicate-key": f"""version: 2.1
jobs:
  build:
    docker:
      - image: {IMAGE}
        auth:
          username: _json_key
          password: $GCLOUD_KEY
          password: '{SECRET}'
    steps: [checkout]
""",
    "schema-error-on-the-block": f"""version: 2.1
jobs:
  build:
    docker:
      image: {IMAGE}
      auth:
        username: _json_key
        password: '{SECRET}'
    steps: [checkout]
""",
    "username-and-password-swapped": f"""version: 2.1
jobs:
  build:
    docker:
      - image: {IMAGE}
        auth:
          username: '{SECRET}'
          password: $GCLOUD_KEY
    steps: [checkout]
""",
    "literal-password": f"""version: 2.1
jobs:
  build:
    docker:
      - image: {IMAGE}
        auth:
          username: _json_key
          password: '{SECRET}'
    steps: [checkout]
""",
}


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_secret_never_printed(name, fmt, tmp_path, capsys):
    path = tmp_path / "config.yml"
    path.write_text(CONFIGS[name])
    status = main(["pulls", "--format", fmt, str(path)])
    out, err = capsys.readouterr()
    assert status in (1, 2)  # a problem was found, or the file is unusable
    assert MARKER not in out + err
    assert "PRIVATE KEY" not in out + err
