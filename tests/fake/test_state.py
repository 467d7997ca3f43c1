"""The fake's state without HTTP: keys, IAM, tokens, clock, persistence, attribute mappings."""

from __future__ import annotations

import json
import stat

import pytest

from garauth import keyfile
from garauth.fake import cel, demo, images
from garauth.fake.errors import DOWNLOAD, UPLOAD
from garauth.fake.state import (
    ANONYMOUS,
    READER,
    WRITER,
    CredentialRefused,
    NotFound,
    Principal,
    State,
)


@pytest.fixture
def state():
    s = State(clock=lambda: 1_800_000_000.0)
    s.add_project("demo-project", "123456789012")
    s.add_service_account("demo-project", "ci")
    return s


EMAIL = "ci@demo-project.iam.gserviceaccount.com"


def test_key_file_has_googles_fields(state):
    key = state.create_key(EMAIL)
    assert set(key) == set(keyfile.REQUIRED_FIELDS) | {"universe_domain"}
    assert key["type"] == "service_account"
    assert key["private_key"].startswith("-----BEGIN PRIVATE KEY-----\n")
    assert key["token_uri"] == "https://oauth2.googleapis.com/token"
    assert key["client_x509_cert_url"].endswith("ci%40demo-project.iam.gserviceaccount.com")
    assert len(key["private_key_id"]) == 40 and key["client_id"].isdigit()
    assert keyfile.load_private_key(key).key_size == 2048
    assert keyfile.problems(key) == []


def test_live_key_is_accepted_and_refused_after_delete(state):
    key = state.create_key(EMAIL)
    assert state.check_key_file(key) == Principal("serviceAccount", EMAIL)
    state.delete_key(key["private_key_id"])
    with pytest.raises(CredentialRefused):
        state.check_key_file(key)
    with pytest.raises(NotFound):
        state.delete_key(key["private_key_id"])


def test_disabled_account_and_mismatched_private_key_are_refused(state):
    key = state.create_key(EMAIL)
    other = state.create_key(EMAIL)
    with pytest.raises(CredentialRefused):
        state.check_key_file({**key, "private_key": other["private_key"]})
    with pytest.raises(CredentialRefused):
        state.check_key_file({**key, "type": "external_account"})
    state.disable_account(EMAIL)
    with pytest.raises(CredentialRefused):
        state.check_key_file(key)


def test_iam_on_repository_and_project(state):
    repo = state.add_repository("demo-project", "us-central1", "r1")
    other = state.add_repository("demo-project", "us-central1", "r2")
    sa = Principal("serviceAccount", EMAIL)
    assert not state.has_permission(sa, DOWNLOAD, repo)
    state.grant(repo, READER, f"serviceAccount:{EMAIL}")
    assert state.has_permission(sa, DOWNLOAD, repo)
    assert not state.has_permission(sa, UPLOAD, repo)
    assert not state.has_permission(sa, DOWNLOAD, other)
    state.grant("projects/demo-project", WRITER, f"serviceAccount:{EMAIL}")
    assert state.has_permission(sa, UPLOAD, other)
    state.disable_account(EMAIL)
    assert not state.has_permission(sa, DOWNLOAD, repo)


def test_public_repository_is_readable_by_anonymous_only_for_pull(state):
    repo = state.add_repository("demo-project", "us", "pub", public=True)
    assert state.is_public(repo)
    assert state.has_permission(ANONYMOUS, DOWNLOAD, repo)
    assert not state.has_permission(ANONYMOUS, UPLOAD, repo)


def test_federated_principal_members(state):
    pool = "projects/123456789012/locations/global/workloadIdentityPools/p"
    p = Principal(
        "federated", f"principal://iam.googleapis.com/{pool}/subject/s1", {"attribute.org_id": "o1"}, pool
    )
    assert f"principalSet://iam.googleapis.com/{pool}/attribute.org_id/o1" in p.members()
    assert f"principalSet://iam.googleapis.com/{pool}/*" in p.members()
    assert f"principal://iam.googleapis.com/{pool}/subject/s1" in p.members()


def test_tokens_expire_with_the_clock(state):
    token, expiry = state.issue_token(Principal("serviceAccount", EMAIL), lifetime=3600)
    assert expiry == state.now() + 3600
    assert state.token_principal(token) is not None
    assert state.token_principal(token, ("registry",)) is None  # kinds are kept apart
    state.advance(3599)
    assert state.token_principal(token) is not None
    state.advance(1)
    assert state.token_principal(token) is None


def test_save_and_load_keep_public_keys_only(state, tmp_path):
    key = state.create_key(EMAIL)
    repo = state.add_repository("demo-project", "us-central1", "r1")
    digests = images.store_hello(state, repo)
    token, _ = state.issue_token(Principal("serviceAccount", EMAIL))
    state.ensure_issuer_key()
    state.advance(120)
    state.save(tmp_path)
    text = (tmp_path / "state.json").read_text()
    assert "PRIVATE KEY" not in text
    assert key["private_key"].splitlines()[1] not in text
    assert token not in text
    assert stat.S_IMODE((tmp_path / "oidc-issuer-key.pem").stat().st_mode) == 0o600

    loaded = State.load(tmp_path, clock=lambda: 1_800_000_000.0)
    assert loaded.now() == state.now()
    assert loaded.check_key_file(key).name == EMAIL
    assert loaded.token_principal(token).name == EMAIL
    assert loaded.get_manifest(repo, "hello", "1.0")[0] == digests["1.0"]
    assert loaded.issuer_private_pem == state.issuer_private_pem


def test_offline_change_then_reload(tmp_path):
    """What a test does before starting the fake in another process: load, change, save."""
    s = State()
    keys = demo.seed(s)
    s.save(tmp_path)
    changed = State.load(tmp_path)
    changed.delete_key(keys["reader"]["private_key_id"])
    changed.disable_account(demo.email("writer"))
    changed.save(tmp_path)
    again = State.load(tmp_path)
    with pytest.raises(CredentialRefused):
        again.check_key_file(keys["reader"])
    with pytest.raises(CredentialRefused):
        again.check_key_file(keys["writer"])
    assert again.check_key_file(keys["outsider"]).name == demo.email("outsider")


def test_demo_images_are_real(state):
    repo = state.add_repository("demo-project", "us-central1", "r1")
    digests = images.store_hello(state, repo)
    digest, media_type, content = state.get_manifest(repo, "hello", "1.0")
    assert media_type == images.OCI_MANIFEST and digest == digests["1.0"]
    manifest = json.loads(content)
    for desc in [manifest["config"], *manifest["layers"]]:
        assert state.has_blob(repo, desc["digest"])
    index = json.loads(state.get_manifest(repo, "hello", "multi")[2])
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["amd64", "arm64"]
    assert state.tags(repo, "hello") == ["1.0", "multi"]
    # byte-for-byte the same on every run
    again = State()
    again.add_project("demo-project", "1")
    assert images.store_hello(again, again.add_repository("demo-project", "us-central1", "r1")) == digests


# --- attribute mappings (CEL subset) -----------------------------------------------------------

CLAIMS = {
    "sub": "org/O1/project/P1/user/U1/vcs-origin/github.com/x/y/vcs-ref/refs/heads/main",
    "aud": "O1",
    "oidc.circleci.com/project-id": "P1",
}


@pytest.mark.parametrize(
    "expression, value",
    [
        ("assertion.sub", CLAIMS["sub"]),
        ("assertion.aud", "O1"),
        ("assertion['oidc.circleci.com/project-id']", "P1"),
        ("assertion.aud + '/' + assertion.sub.extract('/user/{user_id}/')", "O1/U1"),
        ("assertion.sub.extract('/nothing/{x}/')", ""),
        ('assertion.aud == "O1" && assertion[\'oidc.circleci.com/project-id\'] in ["P1", "P2"]', True),
        ("assertion.aud != 'O1' || false", False),
        ("assertion.sub.startsWith('org/O1/')", True),
        ("assertion.missing", None),
    ],
)
def test_cel_subset(expression, value):
    assert cel.evaluate(expression, {"assertion": CLAIMS}) == value


def test_cel_errors_are_clear():
    with pytest.raises(cel.CelError, match="unknown name"):
        cel.evaluate("claims.sub", {"assertion": CLAIMS})
    with pytest.raises(cel.CelError, match="joins strings only"):
        cel.evaluate("assertion.missing + 'x'", {"assertion": CLAIMS})


def test_mapping_and_condition():
    attrs = cel.map_attributes(demo.MAPPING, CLAIMS)
    assert attrs == {"google.subject": CLAIMS["sub"], "attribute.org_id": "O1", "attribute.project": "P1"}
    assert cel.condition_holds("attribute.org_id == 'O1'", CLAIMS, attrs)
    assert not cel.condition_holds("attribute.project == 'P9'", CLAIMS, attrs)


def test_tls_leaf_names_every_host_and_is_reused(tmp_path):
    from cryptography import x509

    from garauth import data
    from garauth.fake import tls

    files = tls.ensure(tmp_path)
    leaf = x509.load_pem_x509_certificates(files.server.read_bytes())[0]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns_names = set(san.get_values_for_type(x509.DNSName))
    assert set(data.all_hosts()) <= dns_names
    assert "docker.europe-west3.rep.pkg.dev" in dns_names and not any("*" in n for n in dns_names)
    assert {"192.0.2.10", "127.0.0.1"} <= {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    assert oct(files.server.stat().st_mode & 0o777) == "0o600"
    ca = files.ca.read_bytes()
    assert tls.ensure(tmp_path).ca.read_bytes() == ca  # kept on a second start
