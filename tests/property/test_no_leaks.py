"""Property tests: whatever a config or key file holds, and wherever a secret is planted in it,
`garauth check`, `garauth pulls` and `garauth key check` exit 0, 1 or 2, print no traceback, and
print neither the secret nor any 20-character piece of it, in any output format.

Examples hypothesis finds that fail are kept in tests/property/regressions/ and run every time
(test_regressions). The number of examples per test is set by GARAUTH_PROPERTY_EXAMPLES
(default 50); CI runs the default, derandomized, so a run is repeatable.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planted import Secret, key_secrets, leaks, password, secrets

from garauth.cli import main

EXAMPLES = int(os.environ.get("GARAUTH_PROPERTY_EXAMPLES", "50"))
REGRESSIONS = Path(__file__).parent / "regressions"
PROFILE = settings(
    max_examples=EXAMPLES,
    deadline=None,  # bounded time is asserted by the corpus tests with a hard timeout
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
WORK = Path(tempfile.mkdtemp(prefix="garauth-property-"))


def run(argv: list[str], stdin: str | None = None) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    old_stdin = None
    if stdin is not None:
        import sys

        old_stdin, sys.stdin = sys.stdin, io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8", "surrogatepass")))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exit_:  # argparse
                code = int(exit_.code or 0)
    finally:
        if old_stdin is not None:
            import sys

            sys.stdin = old_stdin
    return code, out.getvalue() + err.getvalue()


def assert_safe(secret: Secret, code: int, output: str, what: str) -> None:
    assert code in (0, 1, 2), f"{what}: exit {code}\n{output[-2000:]}"
    assert "Traceback" not in output and "internal error" not in output, f"{what}:\n{output[-3000:]}"
    assert not leaks(secret, output), f"{what}: {secret.kind} leaked {leaks(secret, output)}"


def check_everywhere(name: str, text: str, secret: Secret) -> None:
    path = WORK / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for fmt in ("text", "json", "sarif"):
        assert_safe(secret, *run(["check", "--format", fmt, str(path)]), f"check --format {fmt} {name}")
    if name.endswith(".yml"):
        for fmt in ("text", "json"):
            assert_safe(secret, *run(["pulls", "--format", fmt, str(path)]), f"pulls --format {fmt} {name}")


# -- CircleCI configs with a secret planted in every position --------------------------------------------

IMAGE = "us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0"
AUTH = "        auth:\n          username: _json_key\n          password: $KEY\n"
TEMPLATES = {
    "password": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth:\n          username: _json_key\n          password: {v}\n    steps: [checkout]\n",
    "username": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth:\n          username: {v}\n          password: $KEY\n    steps: [checkout]\n",
    "image-tag": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: us-central1-docker.pkg.dev/demo-project/demo-repo/hello:{raw}\n"
    + AUTH
    + "    steps: [checkout]\n",
    "image": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {v}\n"
    + AUTH
    + "    steps: [checkout]\n",
    "job-name": "version: 2.1\njobs:\n  {v}:\n    docker:\n      - image: {image}\n"
    + AUTH
    + "    steps: [checkout]\n",
    "gcp-account": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        gcp_auth:\n          oidc_service_account: {v}\n          workload_identity_pool: projects/1/locations/global/workloadIdentityPools/p\n          workload_identity_provider: c\n    steps: [checkout]\n",
    "gcp-pool": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        gcp_auth:\n          oidc_service_account: a@p.iam.gserviceaccount.com\n          workload_identity_pool: {v}\n          workload_identity_provider: c\n    steps: [checkout]\n",
    "gcp-provider": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        gcp_auth:\n          oidc_service_account: a@p.iam.gserviceaccount.com\n          workload_identity_pool: projects/1/locations/global/workloadIdentityPools/p\n          workload_identity_provider: {v}\n    steps: [checkout]\n",
    "orb": "version: 2.1\norbs:\n  o: {v}\njobs:\n  b:\n    docker:\n      - image: {image}\n"
    + AUTH
    + "    steps: [checkout]\n",
    "job-parameter": "version: 2.1\njobs:\n  b:\n    parameters:\n      pw:\n        type: string\n        default: {v}\n    docker:\n      - image: {image}\n        auth:\n          username: _json_key\n          password: << parameters.pw >>\n    steps: [checkout]\nworkflows:\n  w:\n    jobs: [b]\n",
    "workflow-argument": "version: 2.1\njobs:\n  b:\n    parameters:\n      user:\n        type: string\n    docker:\n      - image: {image}\n        auth:\n          username: << parameters.user >>\n          password: $KEY\n    steps: [checkout]\nworkflows:\n  w:\n    jobs:\n      - b:\n          user: {v}\n",
    "pipeline-parameter": "version: 2.1\nparameters:\n  tag:\n    type: string\n    default: {v}\njobs:\n  b:\n    docker:\n      - image: us-central1-docker.pkg.dev/demo-project/demo-repo/hello:<< pipeline.parameters.tag >>\n"
    + AUTH
    + "    steps: [checkout]\n",
    "environment": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n"
    + AUTH
    + "    environment:\n      KEY: {v}\n    steps: [checkout]\n",
    "executor-name": "version: 2.1\njobs:\n  b:\n    executor: {v}\n    steps: [checkout]\n",
    "flow-auth": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth: {{username:_json_key,password:{raw}}}\n    steps: [checkout]\n",
    "flow-auth-spaced": "version: 2.1\njobs:\n  b:\n    docker:\n      - {{image: {image}, auth: {{username: _json_key, password: {v}}}}}\n    steps: [checkout]\n",
    "duplicate-anchor": "version: 2.1\nx: &a {v}\ny: &a {v}\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth:\n          username: _json_key\n          password: *a\n    steps: [checkout]\n",
    "duplicate-key": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth:\n          username: _json_key\n          password: $KEY\n          password: {v}\n    steps: [checkout]\n",
    "tagged-timestamp": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth:\n          username: _json_key\n          password: !!timestamp {v}\n    steps: [checkout]\n",
    "tagged-float": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth:\n          username: _json_key\n          password: !!float {v}\n    steps: [checkout]\n",
    "tagged-bool": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth:\n          username: _json_key\n          password: !!bool {v}\n    steps: [checkout]\n",
    "local-tag": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth:\n          username: _json_key\n          password: !{raw_tag} x\n    steps: [checkout]\n",
    "aws-secret": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        aws_auth:\n          aws_access_key_id: AKIAEXAMPLE\n          aws_secret_access_key: {v}\n    steps: [checkout]\n",
    "key-of-auth": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth:\n          {v}: x\n          password: $KEY\n    steps: [checkout]\n",
    "matrix-value": "version: 2.1\njobs:\n  b:\n    parameters:\n      tag:\n        type: string\n    docker:\n      - image: us-central1-docker.pkg.dev/demo-project/demo-repo/hello:<< parameters.tag >>\n"
    + AUTH
    + "    steps: [checkout]\nworkflows:\n  w:\n    jobs:\n      - b:\n          matrix:\n            parameters:\n              tag: [{v}, '1.0']\n",
    "context": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n"
    + AUTH
    + "    steps: [checkout]\nworkflows:\n  w:\n    jobs:\n      - b:\n          context: {v}\n",
    "mixed-password": "version: 2.1\njobs:\n  b:\n    docker:\n      - image: {image}\n        auth:\n          username: _json_key\n          password: {mixed}\n    steps: [checkout]\n",
    "comment": "version: 2.1\n# {raw_line}\njobs:\n  b:\n    docker:\n      - image: {image}\n"
    + AUTH
    + "    steps: [checkout]\n",
    "version": "version: {v}\njobs:\n  b:\n    docker:\n      - image: {image}\n"
    + AUTH
    + "    steps: [checkout]\n",
}


def render(template: str, secret: Secret, quoting: str) -> str:
    text = secret.text
    if quoting == "double":
        v = json.dumps(text)
    elif quoting == "single":
        v = "'" + text.replace("'", "''").replace("\n", "\n\n") + "'"
    else:  # plain where it can be, else double
        v = (
            text
            if text.isprintable() and not any(c in text for c in ":#{}[],&*!|>'\"%@`")
            else json.dumps(text)
        )
    mixed = json.dumps("x" + text + "$KEY")
    raw_tag = "".join(c for c in text if c.isalnum())[:200] or "t"
    return template.format(
        v=v, raw=text, image=IMAGE, mixed=mixed, raw_tag=raw_tag, raw_line=text.replace("\n", " ")
    )


@PROFILE
@given(
    secret=secrets(),
    where=st.sampled_from(sorted(TEMPLATES)),
    quoting=st.sampled_from(["double", "single", "plain"]),
)
def test_a_secret_planted_in_a_circleci_config_never_leaks(secret, where, quoting):
    check_everywhere("config.yml", render(TEMPLATES[where], secret, quoting), secret)


def test_every_position_with_every_secret_kind():
    """Not left to chance: each template with each kind of key secret and a password."""
    kinds = {s.kind: s for s in key_secrets()}
    fixed = [
        kinds["raw key"],
        kinds["base64 key"],
        Secret("password", "Q7xAbcdefGhijKlmn0123456789Zz", "Q7xAbcdefGhijKlmn0123456789Zz"),
    ]
    for template in TEMPLATES.values():
        for secret in fixed:
            check_everywhere("config.yml", render(template, secret, "double"), secret)


# -- random trees: JSON and YAML shapes, the secret in a key or a value -------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12))


def trees(secret: str) -> st.SearchStrategy:
    leaf = st.one_of(scalars, st.just(secret))
    keys = st.one_of(
        st.text(max_size=10),
        st.just(secret),
        st.sampled_from(
            ["version", "jobs", "docker", "auth", "image", "password", "type", "private_key", "client_email"]
        ),
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
        max_leaves=12,
    )


@PROFILE
@given(data=st.data(), secret=secrets(), suffix=st.sampled_from([".yml", ".json"]))
def test_a_secret_in_a_random_tree_never_leaks(data, secret, suffix):
    tree = data.draw(trees(secret.text))
    if isinstance(tree, dict) and data.draw(st.booleans()):
        tree = {"version": 2.1, "jobs": {"b": {"docker": [{"image": IMAGE, "auth": tree}]}}, **tree}
    check_everywhere(f"tree{suffix}", json.dumps(tree), secret)


# -- key files, mangled layer by layer ------------------------------------------------------------------------

MANGLES = {
    "as is": lambda t: t,
    "quoted": lambda t: f"'{t}'",
    "json string": lambda t: json.dumps(t),
    "escaped quotes": lambda t: t.replace('"', '\\"'),
    "base64": lambda t: base64.b64encode(t.encode()).decode(),
    "base64 twice": lambda t: base64.b64encode(base64.b64encode(t.encode())).decode(),
    "truncated": lambda t: t[: len(t) // 2],
    "bom": lambda t: "\ufeff" + t,
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "escaped newlines": lambda t: t.replace("\\n", "\\\\n"),
}


@st.composite
def damaged_keys(draw) -> tuple[str, Secret]:
    secret = draw(st.sampled_from([s for s in key_secrets() if s.kind == "raw key"]))
    key = json.loads(secret.text)
    field = draw(
        st.sampled_from(["private_key_id", "client_email", "type", "project_id", "private_key", None])
    )
    if field:
        value = draw(
            st.one_of(
                st.none(),
                st.integers(),
                st.just(key["private_key"]),
                st.just({"nested": key["private_key"]}),
                st.just([key["private_key"]]),
                password().map(lambda s: s.text),
            )
        )
        key[field] = value
    text = json.dumps(key, indent=draw(st.sampled_from([None, 2])))
    for name in draw(st.lists(st.sampled_from(sorted(MANGLES)), max_size=3)):
        text = MANGLES[name](text)
    return text, secret


@PROFILE
@given(case=damaged_keys())
def test_key_check_never_shows_the_key(case):
    text, secret = case
    path = WORK / "key.json"
    path.write_text(text, encoding="utf-8")
    assert_safe(secret, *run(["key", "check", str(path)]), "key check")
    assert_safe(secret, *run(["key", "check", "-"], stdin=text), "key check -")
    assert_safe(secret, *run(["check", "--format", "json", str(path)]), "check key")


@PROFILE
@given(text=st.text(max_size=300))
def test_any_text_gets_an_answer(text):
    """Random text as a config or a key: never a traceback, always 0, 1 or 2."""
    secret = Secret("none", "\x00never-printed\x00", "\x00never-printed\x00")
    for name in ("any.yml", "any.json"):
        path = WORK / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        assert_safe(secret, *run(["check", str(path)]), f"check {name}")
    assert_safe(secret, *run(["key", "check", str(path)]), "key check")


# -- regressions: inputs that once failed, kept as files ----------------------------------------------------------


def regression_files() -> list[Path]:
    return sorted(p for p in REGRESSIONS.glob("*") if p.suffix in (".yml", ".json") and p.is_file())


@pytest.mark.parametrize("path", regression_files(), ids=lambda p: p.name)
def test_regressions(path):
    """Each file has a sidecar FILE.secret holding the planted secret that must never be printed."""
    sidecar = path.with_suffix(path.suffix + ".secret")
    core = sidecar.read_text().strip() if sidecar.exists() else "never-in-the-output"
    secret = Secret("regression", core, core)
    for fmt in ("text", "json", "sarif"):
        assert_safe(secret, *run(["check", "--format", fmt, str(path)]), f"check {path.name}")
    if path.suffix == ".yml":
        assert_safe(secret, *run(["pulls", str(path)]), f"pulls {path.name}")
    else:
        assert_safe(secret, *run(["key", "check", str(path)]), f"key check {path.name}")
