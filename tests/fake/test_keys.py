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
        "base64": (base64.b64encode(key_text.encode()).decode(), "this is base64, not JSON"),
        "quoted": (f"'{key_text}'", "wrapped in quotes"),
        "escaped": (json.dumps(key_text), "wrapped in quotes"),
        "double-escaped": (key_text.replace('"', '\\"'), "escaped"),
        "newlines": (
            json.dumps({**key, "private_key": key["private_key"].replace("\n", "\\n")}),
            "literal \\n",
        ),
        "truncated": (key_text[: len(key_text) // 2], "not valid JSON"),
        "empty": ("  \n", "it is empty"),
        "wif-config": (json.dumps({"type": "external_account"}), "Workload Identity Federation"),
        "user": (json.dumps({"type": "authorized_user"}), 'expected "service_account"'),
    }


@pytest.mark.parametrize(
    "name",
    ["base64", "quoted", "escaped", "double-escaped", "newlines", "truncated", "empty", "wif-config", "user"],
)
def test_check_explains_what_is_wrong(key_file, tmp_path, capsys, name):
    text, message = variants(key_file.read_text())[name]
    bad = tmp_path / f"{name}.json"
    bad.write_text(text)
    assert main(["key", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and message in err
    assert len(err.strip().splitlines()) == 1
    for secret in secret_lines(key_file):
        assert secret not in err


def test_missing_file(tmp_path, capsys):
    assert main(["key", "check", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_generate_into_a_missing_directory_is_one_line_not_a_traceback(tmp_path, capsys):
    from garauth.cli import main

    target = tmp_path / "no-such-dir" / "k.json"
    assert main(["key", "generate", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0
    assert f"{target}: cannot write the file: No such file or directory" in err
