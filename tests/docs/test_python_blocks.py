"""Every Python block written inline in docs/ is linted and run, and its printed output checked.

A block marked ```{.py data-test="stand-in"}``` runs against the local stand-in for Google served in this
process (garauth.fake.testing): the real hostnames resolve to it, TLS is verified against its CA
(REQUESTS_CA_BUNDLE), and the block runs in a directory holding what the page says it holds:
key.json (the demo reader's key, which GOOGLE_APPLICATION_CREDENTIALS names), the page's
credential-config.json (as gcloud writes it: examples/shell/output/) and oidc-token (a CircleCI-shaped token from the
stand-in's issuer, which the demo pool trusts).
"""

from __future__ import annotations

import re
import shutil

import pytest
from docpages import DOCS, EXAMPLES, fences, pages
from pytest_examples import CodeExample, EvalExample, find_examples

from garauth.fake import demo
from garauth.fake.oidc import mint_circleci_token
from garauth.fake.testing import running_fake


@pytest.fixture
def google_stand_in(tmp_path, monkeypatch):
    with running_fake(tmp_path / "fake") as fake, fake.route():
        cwd = tmp_path / "cwd"
        cwd.mkdir()
        shutil.copy(fake.key_path("reader"), cwd / "key.json")
        shutil.copy(
            EXAMPLES / "shell" / "output" / "credential-config.json.txt", cwd / "credential-config.json"
        )
        token = mint_circleci_token(fake.state, demo.ORG_ID, demo.CIRCLECI_PROJECT_ID)
        (cwd / "oidc-token").write_text(token)
        monkeypatch.chdir(cwd)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca)
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(cwd / "key.json"))
        for name in ("CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        yield fake


@pytest.mark.parametrize("example", list(find_examples(str(DOCS))), ids=str)
def test_python_block(example: CodeExample, eval_example: EvalExample, request):
    settings = example.prefix_settings()
    # `data-test`: the one attribute form Material's code blocks keep (pymdownx.superfences drops a
    # block whose plain `key="value"` it does not know, and renders it as text).
    test = settings.get("data-test") or settings.get("test")
    if test == "skip":
        pytest.skip("marked test=skip in the page")
    if test == "stand-in":
        request.getfixturevalue("google_stand_in")
    eval_example.set_config(line_length=100, target_version="py311")
    if eval_example.update_examples:
        eval_example.format(example)
        eval_example.run_print_update(example)
    else:
        eval_example.lint(example)
        eval_example.run_print_check(example)


KNOWN_OPTIONS = {"title", "hl_lines", "linenums"}  # what pymdownx.highlight takes in the plain form


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_python_fence_options_are_ones_the_site_renders(page):
    """A plain fence option the highlighter does not know (```py test="x"```) makes superfences
    give up on the block and print it as text, silently; the brace form ({.py data-x="y"}) works."""
    for fence in fences(page):
        if fence.language not in ("py", "python") or fence.info.startswith("{"):
            continue
        unknown = set(re.findall(r'([\w-]+)=["\']', fence.info)) - KNOWN_OPTIONS
        assert not unknown, (
            f"{fence}: write {{.py {' '.join(sorted(unknown))}=...}} in the brace form, with data- names"
        )
