"""The Kubernetes reader: how it finds a pod's pull Secrets and matches their registry keys the way
the kubelet does (the examples of https://kubernetes.io/docs/concepts/containers/images/#config-json
and the cases of keyring.go), what it makes of Secrets it cannot read, and that nothing secret
leaves it."""

from __future__ import annotations

import base64
import json

import pytest

from garauth import yamlfile
from garauth.commands.check import examine
from garauth.errors import UserError
from garauth.model import CredentialKind
from garauth.readers import kubernetes as reader

IMAGE = "us-central1-docker.pkg.dev/demo-project/demo-repo/hello:1.0"
MARKER = "NOT-A-REAL-KEY-" + "7" * 12
KEY = json.dumps({"type": "service_account", "private_key": f"-----BEGIN PRIVATE KEY-----{MARKER}"})


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(
    name: str, auths: dict, namespace: str | None = None, kind: str = "kubernetes.io/dockerconfigjson"
) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    config = json.dumps({"auths": auths}, separators=(",", ":"))
    return f"""apiVersion: v1
kind: Secret
metadata:
  name: {name}{ns}
type: {kind}
data:
  .dockerconfigjson: {b64(config)}
"""


def pod(
    pull_secrets: list[str] = (), image: str = IMAGE, namespace: str | None = None, account: str = ""
) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    sa = f"\n  serviceAccountName: {account}" if account else ""
    refs = "".join(f"\n    - name: {n}" for n in pull_secrets)
    pulls = f"\n  imagePullSecrets:{refs}" if pull_secrets else ""
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: app{ns}
spec:{sa}
  containers:
    - name: app
      image: {image}{pulls}
"""


def entry(username: str = "_json_key", password: str = KEY) -> dict:
    return {"auth": b64(f"{username}:{password}")}


def images(*docs: str):
    result = reader.read_docs("k8s.yaml", yamlfile.load_all("k8s.yaml", "---\n".join(docs)))
    assert result.errors == [], [str(e) for e in result.errors]
    return [s for s in result.pullspecs if s.image is not None]


def rules_of(*docs: str) -> list[str]:
    _, found = examine("k8s.yaml", "---\n".join(docs))
    return [f.rule for f in found]


# -- how the kubelet matches registry keys ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "image", "matches"),
    [
        # the documentation's examples
        ("*.kubernetes.io", "kubernetes.io/x", False),
        ("*.kubernetes.io", "abc.kubernetes.io/x", True),
        ("*.*.kubernetes.io", "abc.kubernetes.io/x", False),
        ("*.*.kubernetes.io", "abc.def.kubernetes.io/x", True),
        ("prefix.*.io", "prefix.kubernetes.io/x", True),
        ("*-good.kubernetes.io", "prefix-good.kubernetes.io/x", True),
        ("my-registry.example/images", "my-registry.example/images/my-image", True),
        ("*.my-registry.example/images", "sub.my-registry.example/images/my-image", True),
        ("*.my-registry.example/images", "a.sub.my-registry.example/images/my-image", False),
        # Artifact Registry hosts
        ("us-central1-docker.pkg.dev", "us-central1-docker.pkg.dev/p/r/i", True),
        ("us-central1-docker.pkg.dev", "europe-docker.pkg.dev/p/r/i", False),
        ("*-docker.pkg.dev", "europe-docker.pkg.dev/p/r/i", True),
        ("us-central1-docker.pkg.dev/demo-project", "us-central1-docker.pkg.dev/demo-project/r/i", True),
        ("us-central1-docker.pkg.dev/other", "us-central1-docker.pkg.dev/demo-project/r/i", False),
        ("us-central1-docker.pkg.dev:443", "us-central1-docker.pkg.dev/p/r/i", False),
        ("gcr.io", "us-central1-docker.pkg.dev/p/r/i", False),
    ],
)
def test_kubelet_matching(key, image, matches):
    assert reader.kubelet_matches(reader.keyring_key(key), image) is matches


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("us-central1-docker.pkg.dev", "us-central1-docker.pkg.dev"),
        ("https://us-central1-docker.pkg.dev", "us-central1-docker.pkg.dev"),
        ("https://us-central1-docker.pkg.dev/v2/", "us-central1-docker.pkg.dev"),
        ("http://us-central1-docker.pkg.dev/v1/demo-project", "us-central1-docker.pkg.dev/demo-project"),
        ("us-central1-docker.pkg.dev/", "us-central1-docker.pkg.dev"),
        ("oci://us-central1-docker.pkg.dev", "oci://us-central1-docker.pkg.dev"),  # no match: host "oci:"
    ],
)
def test_keyring_key_drops_the_scheme_and_v1_v2_as_the_kubelet_does(written, key):
    assert reader.keyring_key(written) == key


def test_the_longest_matching_key_is_tried_first():
    (spec,) = images(
        secret("host", {"us-central1-docker.pkg.dev": entry("oauth2accesstoken", "tok")}),
        secret("project", {"us-central1-docker.pkg.dev/demo-project": entry()}),
        pod(["host", "project"]),
    )
    assert spec.context["secret"] == "project" and spec.context["other_credentials"] == "1"
    assert spec.credential.username == "_json_key"


# -- which Secrets a pod uses -------------------------------------------------------------------------------


def test_service_account_pull_secrets_apply_only_to_pods_without_their_own():
    sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\nimagePullSecrets:\n  - name: sa-secret\n"
    sec = secret("sa-secret", {"us-central1-docker.pkg.dev": entry()})
    (inherited,) = images(sa, sec, pod(account="app"))
    assert (
        inherited.context["pull_secrets_from"] == "serviceaccount"
        and inherited.credential.kind is CredentialKind.BASIC
    )
    (own,) = images(sa, sec, pod(["elsewhere"], account="app"))
    assert own.context["service_account_pull_secrets_unused"] == "sa-secret"
    assert own.credential.kind is CredentialKind.UNKNOWN  # `elsewhere` is not in the file


def test_the_default_service_account_when_none_is_named():
    sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n"
    (spec,) = images(sa, pod())
    assert spec.context["service_account"] == "default"
    assert spec.credential.kind is CredentialKind.NONE and spec.context["node_credentials"] == "true"
    (unknown,) = images(pod())
    assert unknown.credential.kind is CredentialKind.UNKNOWN  # its ServiceAccount may carry Secrets


def test_namespaces_written_and_different_do_not_match():
    sec = secret("s", {"us-central1-docker.pkg.dev": entry("_json_key", "")}, namespace="ci")
    (spec,) = images(sec, pod(["s"], namespace="web"))
    assert spec.context["secret:s"] == "namespace:ci"
    (same,) = images(sec, pod(["s"], namespace="ci"))
    assert same.context["secret:s"] == "found"
    (unwritten,) = images(sec, pod(["s"]))
    assert unwritten.context["secret:s"] == "found"


def test_a_bad_auth_anywhere_fails_every_pull_of_the_pod():
    good = secret("good", {"us-central1-docker.pkg.dev": entry()})
    bad = secret("bad", {"europe-docker.pkg.dev": {"auth": "not base64!"}})
    (spec,) = images(good, bad, pod(["good", "bad"]))
    assert spec.context["pull_fails"] == "true" and spec.credential.kind is CredentialKind.UNKNOWN


def test_workloads_and_lists_are_read():
    deployment = f"""apiVersion: batch/v1
kind: CronJob
metadata: {{name: nightly}}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          initContainers: [{{name: init, image: busybox}}]
          containers: [{{name: job, image: {IMAGE}}}]
"""
    listed = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        "  - " + line + "\n" if i == 0 else "    " + line + "\n" for i, line in enumerate(pod().splitlines())
    )
    specs = images(deployment, listed)
    assert [(s.context["kind"], s.context["list"]) for s in specs] == [
        ("CronJob", "initContainers"),
        ("CronJob", "containers"),
        ("Pod", "containers"),
    ]


# -- Secrets garauth cannot read, and schema errors -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("  .dockerconfigjson: '!!'\n", "not-base64"),
        (f"  .dockerconfigjson: {b64('not json')}\n", "not-json"),
        (f"  .dockerconfigjson: {b64('[1]')}\n", "not-object"),
        (f"  .dockerconfigjson: {b64(json.dumps({'us-central1-docker.pkg.dev': {}}))}\n", "no-auths"),
        ("  other: YQ==\n", "missing"),
    ],
)
def test_unreadable_docker_configs_are_named(data, problem):
    text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: kubernetes.io/dockerconfigjson\ndata:\n{data}"
    result = reader.read_docs("s.yaml", yamlfile.load_all("s.yaml", text))
    (spec,) = result.pullspecs
    assert spec.context["docker_config_problem"] == problem
    assert rules_of(text) == ["GA702"]


def test_a_legacy_dockercfg_secret_is_read():
    text = f"""apiVersion: v1
kind: Secret
metadata:
  name: legacy
type: kubernetes.io/dockercfg
stringData:
  .dockercfg: '{json.dumps({"us-central1-docker.pkg.dev": {"username": "_json_key"}})}'
"""
    (spec,) = images(text, pod(["legacy"]))
    assert spec.context["secret"] == "legacy" and spec.credential.username == "_json_key"


def test_a_kind_the_api_does_not_serve_is_a_schema_error_and_a_custom_resource_is_not():
    removed = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: x\nspec: {}\n"
    (error,) = reader.read_docs("x.yaml", yamlfile.load_all("x.yaml", removed)).errors
    assert "has no kind CronJob in apiVersion batch/v1beta1" in error.message
    custom = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: x\n"
    assert reader.read_docs("x.yaml", yamlfile.load_all("x.yaml", custom)).errors == []


def test_a_document_that_is_not_an_object_is_refused():
    text = pod() + "---\n- just a list\n"
    (error,) = reader.read_docs("x.yaml", yamlfile.load_all("x.yaml", text)).errors
    assert "not a Kubernetes object" in error.message and error.position.line == 10


def test_too_many_objects_is_one_line(monkeypatch):
    from garauth import data

    limits = {**data.limits(), "kubernetes": {"max_objects": 2}}
    monkeypatch.setattr(data, "limits", lambda: limits)
    with pytest.raises(UserError, match="garauth reads files of up to 2"):
        reader.read_docs("x.yaml", yamlfile.load_all("x.yaml", "---\n".join([pod()] * 3)))


# -- nothing secret leaves the reader ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "docs",
    [
        [secret("s", {"us-central1-docker.pkg.dev": entry()}), pod(["s"])],
        [secret("s", {"us-central1-docker.pkg.dev": entry(KEY, "x")}), pod(["s"])],  # swapped
        [secret("s", {KEY: entry()}), pod(["s"])],
        [secret("s", {"us-central1-docker.pkg.dev": {"auth": MARKER + ":" + KEY}})],
        [pod(["s"], image=f"us-central1-docker.pkg.dev/p/r/i:{MARKER}A1")],
    ],
    ids=["literal-key", "swapped", "key-as-host", "unencoded-auth", "token-like-tag"],
)
def test_a_secret_in_a_manifest_never_reaches_the_output(capsys, docs, tmp_path):
    from garauth.cli import main

    path = tmp_path / "k8s.yaml"
    path.write_text("---\n".join(docs))
    for fmt in ("text", "json", "sarif"):
        main(["check", "--format", fmt, str(path)])
        out, err = capsys.readouterr()
        assert MARKER not in out + err, fmt
