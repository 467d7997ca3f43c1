"""`garauth key`: check, encode and generate, with one-line messages that never show key material."""

from __future__ import annotations

import base64
import json
import stat

import pytest

from garauth.cli import main


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "key.json"
    assert main(["key", "generate", "--out", str(path), "--account", "ci"]) == 0
    return path


def secret_lines(path) -> list[str]:
    key = json.loads(path.read_text())
    return [key["private_key_id"], key["private_key"].splitlines()[1]]


def test_generate_writes_a_private_file_that_checks(key_file, capsys):
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert main(["key", "check", str(key_file)]) == 0
    out = capsys.readouterr().out
    assert "OK, a JSON key for ci@demo-project.iam.gserviceaccount.com" in out
    for secret in secret_lines(key_file):
        assert secret not in out


def test_generate_refuses_to_overwrite(key_file, capsys):
    assert main(["key", "generate", "--out", str(key_file)]) == 2
    assert "exists already" in capsys.readouterr().err


def test_encode_is_one_line_of_base64(key_file, capsys):
    assert main(["key", "encode", str(key_file)]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1
    assert base64.b64decode(out.strip()).decode() == key_file.read_text()


def test_encode_to_file(key_file, tmp_path, capsys):
    out = tmp_path / "key.b64"
    assert main(["key", "encode", str(key_file), "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert key_file.read_text() not in capsys.readouterr().out


def variants(key_text: str) -> dict[str, tuple[str, str]]:
    key = json.loads(key_text)
    return {
        "base64-twice": (
            base64.b64encode(base64.b64encode(key_text.encode())).decode(),
            "it is wrapped in base64, then base64: store the key file exactly as it was downloaded",
        ),
        "quoted": (f"'{key_text}'", "it is wrapped in quotes: store the key file"),
        "json-string": (json.dumps(key_text), "it is wrapped in a JSON string: store the key file"),
        "double-escaped": (key_text.replace('"', '\\"'), 'it is wrapped in escaped quotes (\\")'),
        "newlines": (
            json.dumps({**key, "private_key": key["private_key"].replace("\n", "\\n")}),
            "literal \\n",
        ),
        "truncated": (key_text[: len(key_text) // 2], "it is cut short"),
        "bom": (
            "\ufeff" + key_text.replace("private_key_id", "private_key_idx"),
            "missing field(s): private_key_id",
        ),
        "null-key-id": (
            json.dumps({**key, "private_key_id": None}),
            "must be strings are not: private_key_id",
        ),
        "base64-of-text": (
            base64.b64encode(b"not a key, just some words").decode(),
            "neither JSON nor base64 of JSON",
        ),
        "pem-in-client-email": (
            json.dumps({**key, "client_email": {"nested": key["private_key"]}}),
            "must be strings are not: client_email",
        ),
        "empty": ("  \n", "it is empty"),
        "wif-config": (json.dumps({"type": "external_account"}), "Workload Identity Federation"),
        "user": (json.dumps({"type": "authorized_user"}), '"type" is authorized_user, where a key file has'),
    }


NAMES = [
    "base64-twice",
    "quoted",
    "json-string",
    "double-escaped",
    "newlines",
    "truncated",
    "bom",
    "null-key-id",
    "base64-of-text",
    "pem-in-client-email",
    "empty",
    "wif-config",
    "user",
]


@pytest.mark.parametrize("name", NAMES)
def test_check_explains_what_is_wrong(key_file, tmp_path, capsys, name):
    text, message = variants(key_file.read_text())[name]
    bad = tmp_path / f"{name}.json"
    bad.write_text(text)
    assert main(["key", "check", str(bad)]) == 1
    out, err = capsys.readouterr()
    assert err == "" and out.startswith(f"{bad}: ") and message in out
    assert len(out.strip().splitlines()) == 1
    assert "_json_key_base64" not in out  # only for base64 of a usable key
    for secret in secret_lines(key_file):
        assert secret not in out


def test_base64_of_a_usable_key_names_json_key_base64(key_file, tmp_path, capsys):
    bad = tmp_path / "key.b64"
    bad.write_text(base64.b64encode(key_file.read_bytes()).decode())
    assert main(["key", "check", str(bad)]) == 1
    assert "use it with username _json_key_base64" in capsys.readouterr().out


def test_missing_file(tmp_path, capsys):
    assert main(["key", "check", str(tmp_path / "nope.json")]) == 2
    assert "cannot read the file: No such file or directory" in capsys.readouterr().err


def test_a_broken_pipe_is_not_a_failure_to_write(key_file):
    """The reader of stdout went away before garauth wrote (`... | head -0`): no error, no traceback."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to write_end now fails with EPIPE
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "garauth", "key", "encode", str(key_file)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(write_end)
    assert (proc.returncode, proc.stderr) == (0, "")


@pytest.mark.parametrize("action", ["check", "encode", "generate"])
def test_every_key_action_has_its_own_help(action, capsys):
    with pytest.raises(SystemExit):
        main(["key", action, "--help"])
    out = capsys.readouterr().out
    assert out.startswith(f"usage: garauth key {action}") and "options:" in out


def test_generate_into_a_missing_directory_is_one_line_not_a_traceback(tmp_path, capsys):
    from garauth.cli import main

    target = tmp_path / "no-such-dir" / "k.json"
    assert main(["key", "generate", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert f"{target}: cannot write the file: No such file or directory" in err
