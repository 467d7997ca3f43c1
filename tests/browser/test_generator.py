"""The snippet generator page: the tested examples, refilled with the reader's values, in the
browser only.

- With an example's own values, the output is that example byte for byte, as the guide shows
  it (for every platform and credential the page offers).
- With other values, the output is a config that CircleCI's schema accepts and on which
  `garauth check` finds nothing.
- Bad values are flagged inline with the rule IDs `garauth check` gives for the same output.
- Typing sends nothing: no request leaves the page after it has loaded.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from served import EXAMPLES, ROOT

from garauth import schemas, yamlfile

PAGE = "how-to/snippet-generator/"
EXAMPLE = {
    "location": "us-central1",
    "project": "demo-project",
    "repository": "demo-repo",
    "image": "hello",
    "ref": "1.0",
    "account": "reader",
    "project_number": "123456789012",
    "pool": "circleci",
    "provider": "circleci",
}
# (platform, credential) -> the example file it must reproduce
COMBINATIONS = {
    ("circleci-image", "raw"): "circleci/json-key-raw.yml",
    ("circleci-image", "base64"): "circleci/json-key-base64.yml",
    ("circleci-image", "keyless"): "circleci/gcp-auth-explicit.yml",
    ("circleci-login", "raw"): "circleci/docker-login-machine.yml",
}


def as_shown(example: str) -> str:
    """The example file as a page shows it whole: no section markers, no annotation comments,
    no trailing spaces."""
    lines = (EXAMPLES / example).read_text(encoding="utf-8").splitlines()
    kept = [s for s in lines if not re.match(r"^\s*# --8<-- \[(start|end):", s)]
    return "\n".join(re.sub(r"\s*# \(\d+\)!$", "", s).rstrip() for s in kept) + "\n"


def open_generator(visit):
    page = visit(PAGE)
    page.wait_for_selector("form#generator[data-ready]")
    return page


def fill(page, platform: str, credential: str, values: dict[str, str]):
    page.select_option("#g-platform", platform)
    page.select_option("#g-credential", credential)
    page.select_option("#g-location", values["location"])
    for field, value in values.items():
        if field != "location" and page.locator(f"#g-{field}").is_visible():
            page.fill(f"#g-{field}", value)


def output(page) -> str:
    return page.locator("#generator-output").text_content()


def page_rules(page) -> set[str]:
    return set(
        page.locator("#generator-findings [data-rule]").evaluate_all("ps => ps.map(p => p.dataset.rule)")
    )


def check(tmp_path: Path, text: str) -> set[str]:
    config = tmp_path / "config.yml"
    config.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "garauth", "check", "--format", "json", "--fail-on", "error", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = json.loads(proc.stdout)
    assert found["errors"] == [] and found["checked"], proc.stdout
    return {f["rule"] for f in found["findings"]}


@pytest.mark.parametrize(("platform", "credential"), COMBINATIONS, ids=lambda x: x)
def test_the_example_s_values_give_the_example_byte_for_byte(visit, platform, credential):
    page = open_generator(visit)
    fill(page, platform, credential, EXAMPLE)
    assert output(page) == as_shown(COMBINATIONS[platform, credential])
    assert page_rules(page) == set()


def test_the_page_starts_with_the_example(visit):
    page = open_generator(visit)
    assert output(page) == as_shown(COMBINATIONS["circleci-image", "raw"])


def test_copy_puts_the_output_on_the_clipboard(visit):
    page = open_generator(visit)
    page.click("#generator-copy")
    assert page.evaluate("navigator.clipboard.readText()") == output(page)


OWN = {
    "location": "europe-west4",
    "project": "acme-build-42",
    "repository": "ci-images",
    "image": "tools/node",
    "ref": "sha256:" + "ab" * 32,
    "account": "ci-puller",
    "project_number": "987654321098",
    "pool": "circleci-pool",
    "provider": "circleci-oidc",
}


@pytest.mark.parametrize(("platform", "credential"), COMBINATIONS, ids=lambda x: x)
def test_own_values_give_a_valid_config_that_garauth_check_accepts(visit, tmp_path, platform, credential):
    page = open_generator(visit)
    fill(page, platform, credential, OWN)
    text = output(page)
    assert "europe-west4-docker.pkg.dev/acme-build-42/ci-images/tools/node@sha256:" in text
    assert schemas.validate(yamlfile.load(tmp_path / "x.yml", text), "circleci") == []
    assert page_rules(page) == set()
    assert check(tmp_path, text) == set()


BAD = [
    ("circleci-image", "raw", {"project": "My_Project"}),
    ("circleci-image", "raw", {"project": "12345"}),
    ("circleci-image", "raw", {"repository": ""}),
    ("circleci-image", "raw", {"image": "Hello"}),
    ("circleci-image", "raw", {"ref": ".bad"}),
    ("circleci-image", "base64", {"ref": "sha256:abc"}),
    ("circleci-image", "keyless", {"project_number": "demo-project"}),
    (
        "circleci-image",
        "keyless",
        {"provider": "projects/1/locations/global/workloadIdentityPools/p/providers/x"},
    ),
    ("circleci-image", "raw", {"project": "ab"}),
]


@pytest.mark.parametrize(("platform", "credential", "change"), BAD, ids=lambda x: str(x))
def test_bad_values_are_flagged_with_the_rules_garauth_check_reports(
    visit, tmp_path, platform, credential, change
):
    page = open_generator(visit)
    fill(page, platform, credential, {**EXAMPLE, **change})
    shown = page_rules(page)
    assert shown, f"{change}: nothing flagged"
    assert shown == check(tmp_path, output(page))
    for rule in shown:
        link = page.locator(f'#generator-findings [data-rule="{rule}"] a')
        assert link.get_attribute("href").endswith(f"reference/rules/{rule}/")


def test_a_login_step_s_reference_is_judged_as_the_job_image_s(visit):
    """`garauth check` does not read `docker pull` lines, so for the docker-login platform the
    page's findings are compared with its findings for the same values as a job image."""
    page = open_generator(visit)
    for change in [c for _, _, c in BAD if not set(c) & {"project_number", "provider"}]:
        fill(page, "circleci-image", "raw", {**EXAMPLE, **change})
        as_image = page_rules(page)
        fill(page, "circleci-login", "raw", {**EXAMPLE, **change})
        assert page_rules(page) == as_image, change


def test_typing_sends_nothing(visit):
    page = open_generator(visit)
    page.wait_for_load_state("networkidle")
    sent = []
    page.on("request", lambda r: sent.append(r.url))
    page.select_option("#g-credential", "keyless")
    for field in ("project", "repository", "image", "ref", "account", "project_number", "pool", "provider"):
        page.fill(f"#g-{field}", "")
        page.locator(f"#g-{field}").press_sequentially("typed-value-1")
    page.select_option("#g-location", "europe-west1")
    page.click("#generator-copy")
    page.wait_for_timeout(500)
    assert sent == []
    assert "typed-value-1" in output(page)
