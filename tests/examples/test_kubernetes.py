"""Kubernetes, on the test kit: the manifests pass the Kubernetes API's strict schema and
`garauth check`; the pull Secrets are what `kubectl create secret docker-registry --dry-run=client
-o yaml` prints (run with the real kubectl, with a key made per test); the reader finds, for every
image, the credential the kubelet would send; and containerd, the runtime Kubernetes nodes pull
with, pulls each image in the sandbox with the username and password decoded from that Secret.
The troubleshooting page's failures are the kit's refusals, reproduced with containerd and
worded as the kubelet reports them.

The stored Secrets (output/*.txt) hold a placeholder key, never a real one: they are what the
script prints for a key file whose private key is garauth.rules.pages.PLACEHOLDER.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from garauth import keyfile, yamlfile
from garauth.commands.check import examine
from garauth.fake.state import repository_name
from garauth.model import CredentialKind
from garauth.readers import docker_config
from garauth.readers import kubernetes as reader
from garauth.rules import pages
from kit.availability import needs_sandbox
from kit.outputs import client_lines, compare, describe
from kit.refusals import REFUSALS, prints
from kit.runner import Basic, pull_image, registry_answer
from kit.suite import PlatformSuite
from kit.workdir import Workdir

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "kubernetes"
MANIFESTS = sorted(FOLDER.glob("*.yaml"))
BROKEN = sorted((FOLDER / "broken").glob("*.yaml"))
SCRIPT = FOLDER / "create-pull-secrets.sh"
# The Secrets the script makes: stored output file -> the file the script writes
SECRETS = {
    "pull-secret-json-key.txt": "pull-secret-json-key.yaml",
    "pull-secret-json-key-base64.txt": "pull-secret-json-key-base64.yaml",
}
UPDATE = os.environ.get("GARAUTH_UPDATE_OUTPUTS") == "1"


# -- helpers ----------------------------------------------------------------------------------------------


def placeholder_key_text() -> str:
    """The key file the stored Secrets were made from: the layout Google hands out, with the
    placeholder instead of a private key."""
    return keyfile.dumps(
        {
            "type": "service_account",
            "project_id": "demo-project",
            "private_key_id": "0" * 40,
            "private_key": pages.PLACEHOLDER,
            "client_email": "reader@demo-project.iam.gserviceaccount.com",
            "client_id": "100000000000000000000",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": keyfile.token_uri(),
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            "reader%40demo-project.iam.gserviceaccount.com",
            "universe_domain": "googleapis.com",
        }
    )


def new_key_text() -> str:
    made = keyfile.new_key_file("demo-project", "reader@demo-project.iam.gserviceaccount.com", "1")
    return keyfile.dumps(made.key_file)


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip("kubectl is not installed (CI requires it: see tests/conftest.py)")
    return found


def run_script(tmp_path: Path, key_text: str, script: Path = SCRIPT) -> dict[str, str]:
    """Run a Secret-making script as written in an empty folder holding key.json; the Secrets it
    writes, by file name. The key reaches kubectl through a file, never through argv."""
    kubectl()
    (tmp_path / "key.json").write_text(key_text)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}  # no kubeconfig: --dry-run=client
    proc = subprocess.run(
        ["sh", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not (tmp_path / "config.json").exists(), "the script leaves the Docker config behind"
    return {name: (tmp_path / name).read_text() for name in SECRETS.values() if (tmp_path / name).exists()}


def normalized(text: str) -> dict:
    """A Secret as the API sees it: YAML values, metadata fields written as null left out
    (kubectl 1.32 prints creationTimestamp: null: to the API, a null field is an absent one)."""
    doc = json.loads(json.dumps(yamlfile.load("secret.yaml", text)))
    doc["metadata"] = {k: v for k, v in doc["metadata"].items() if v is not None}
    return doc


def decoded_entries(secret_text: str) -> dict[str, tuple[str, str]]:
    """registry key -> (username, password) of a Secret, decoded by the reader's own decoders
    (the test's values only: nothing here is printed or asserted on)."""
    config = reader.secret_config("secret.yaml", yamlfile.load("secret.yaml", secret_text))
    assert config.problem is None, config.problem
    out = {}
    for key, entry in config.config["auths"].items():
        username, password = docker_config._decode_auth(entry["auth"])
        assert username is not None, f"the auth of {key} does not decode"
        out[key] = (username, password)
    return out


def filled(stored: str, key_text: str) -> str:
    """A stored Secret with the placeholder key replaced by `key_text`, encoded as the script
    encodes it (compact JSON, base64 of USERNAME:PASSWORD)."""
    doc = yamlfile.load("secret.yaml", stored)
    auths = {}
    for host, (username, password) in decoded_entries(stored).items():
        placeholder = placeholder_key_text()
        if username == "_json_key":
            assert password == placeholder
            password = key_text
        else:
            assert username == "_json_key_base64" and password == keyfile.encode_base64(placeholder)
            password = keyfile.encode_base64(key_text)
        auths[host] = {"auth": keyfile.encode_base64(f"{username}:{password}")}
    config = json.dumps({"auths": auths}, separators=(",", ":"))
    return json.dumps(
        {**json.loads(json.dumps(doc)), "data": {".dockerconfigjson": keyfile.encode_base64(config)}}
    )


def cluster(key_text: str | None = None) -> str:
    """What `kubectl apply -f` of the folder would send: the two Secrets (their key filled in)
    and the manifests, as one multi-document file."""
    parts = []
    for stored in SECRETS:
        text = (FOLDER / "output" / stored).read_text()
        parts.append(filled(text, key_text) if key_text else text)
    parts += [p.read_text() for p in MANIFESTS]
    return "\n---\n".join(parts)


# -- the manifests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: str(p.relative_to(FOLDER)))
def test_manifest_passes_the_strict_kubernetes_schema(path):
    result = reader.read(path)
    assert result.errors == [], "\n".join(map(str, result.errors))


@pytest.mark.parametrize("stored", sorted(SECRETS), ids=str)
def test_stored_secret_passes_the_schema_and_decodes(stored):
    result = reader.read_docs(stored, yamlfile.load_all(stored, (FOLDER / "output" / stored).read_text()))
    assert result.errors == []
    (entry,) = result.pullspecs
    assert entry.image_text == "us-central1-docker.pkg.dev" and entry.credential.kind is CredentialKind.BASIC
    assert entry.credential.password_kind in (
        "a service-account JSON key",
        "a base64-encoded service-account JSON key",
    )


def test_the_schema_is_strict_and_reports_the_key_by_name(tmp_path):
    bad = tmp_path / "pod.yaml"
    bad.write_text((FOLDER / "pod.yaml").read_text().replace("imagePullSecrets:", "imagePullSecret:"))
    (error,) = reader.read(bad).errors
    assert str(error.message) == "$.spec: these keys are not allowed here: imagePullSecret."
    assert error.position.line == bad.read_text().splitlines().index("  imagePullSecret:") + 1


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_garauth_check_recognises_and_passes_the_manifest(path):
    fmt, found = examine(str(path), path.read_text())
    assert fmt == reader.NAME
    assert found == [], [f"{f.rule}: {f.message}" for f in found]


@pytest.mark.parametrize("stored", sorted(SECRETS), ids=str)
def test_garauth_check_flags_a_committed_secret_once(stored):
    """A Secret manifest holds the key itself: committed to a repository, it is GA102."""
    _, found = examine(stored.replace(".txt", ".yaml"), (FOLDER / "output" / stored).read_text())
    assert [f.rule for f in found] == ["GA102"]
    assert "kubectl create secret docker-registry" in found[0].fix


# -- the kubectl command ----------------------------------------------------------------------------------


def test_script_parses():
    assert subprocess.run(["sh", "-n", str(SCRIPT)], capture_output=True).returncode == 0


def test_stored_secrets_are_what_kubectl_prints_for_the_placeholder_key(tmp_path):
    made = run_script(tmp_path, placeholder_key_text())
    for stored, written in SECRETS.items():
        path = FOLDER / "output" / stored
        if UPDATE:
            path.write_text(made[written])
        assert normalized(made[written]) == normalized(path.read_text()), f"{stored} is out of date"


def test_kubectl_makes_the_example_secrets_from_a_new_key(tmp_path):
    """With a key made for this test, kubectl's Secrets are the stored ones with that key in the
    placeholder's place, and decode to exactly that key."""
    key_text = new_key_text()
    made = run_script(tmp_path, key_text)
    for stored, written in SECRETS.items():
        expected = json.loads(filled((FOLDER / "output" / stored).read_text(), key_text))
        expected["metadata"] = {k: v for k, v in expected["metadata"].items() if v is not None}
        assert normalized(made[written]) == expected, f"{written} differs from the example"
        ((username, password),) = decoded_entries(made[written]).values()
        sent = password if username == "_json_key" else keyfile.decode_base64(password)
        assert sent == key_text, f"{written} does not hold the key file"


def test_the_key_never_reaches_a_command_line():
    """Every command in the script gets the key from a file or a pipe, never as an argument."""
    text = SCRIPT.read_text()
    assert "$(cat" not in text and "`cat" not in text and "--docker-password" not in text


# -- what the kubelet would send --------------------------------------------------------------------------


def test_each_image_gets_the_credential_of_its_pods_secret():
    result = reader.read_docs("cluster.yaml", yamlfile.load_all("cluster.yaml", cluster()))
    assert result.errors == []
    images = {s.context["kind"]: s for s in result.pullspecs if s.image is not None}
    assert images["Pod"].context["secret"] == "ar-pull-json-key"
    assert images["Pod"].credential.username == "_json_key"
    assert images["Deployment"].context["pull_secrets_from"] == "serviceaccount"
    assert images["Deployment"].context["secret"] == "ar-pull-json-key-base64"
    assert images["Deployment"].credential.username == "_json_key_base64"


# -- on the test kit: pulls with containerd, and the troubleshooting page's failures ---------------------------


def stored_secrets(key_text: str | None = None) -> dict[str, str]:
    """Secret name -> its manifest: the stored ones, with `key_text` in the placeholder's place."""
    out = {}
    for stored in SECRETS:
        text = (FOLDER / "output" / stored).read_text()
        out[yamlfile.load(stored, text)["metadata"]["name"]] = filled(text, key_text) if key_text else text
    return out


def applied(path: Path, secrets: dict[str, str]) -> list:
    """The documents `kubectl apply` would send for `path` with the Secrets beside it."""
    docs = [yamlfile.load(f"{name}.yaml", text) for name, text in secrets.items()]
    return docs + yamlfile.load_all(path)


def sent(spec, secrets: dict[str, str]) -> Basic | None:
    """What the kubelet hands containerd for `spec`: the matched Secret entry, decoded (the
    test's own values: never printed or asserted on), or nothing."""
    if spec.credential.kind is CredentialKind.NONE:
        return None
    assert spec.credential.kind is CredentialKind.BASIC, f"{spec.position}: {spec.credential.kind}"
    username, password = decoded_entries(secrets[spec.context["secret"]])[spec.context["registry_key"]]
    return Basic(username, password)


# How the kubelet reports a failed pull on a containerd node, around containerd's own message:
# `Failed to pull image "IMAGE": failed to pull and unpack image "IMAGE": ...` in
# awslabs/kubeflow-manifests#833 (older kubelets add "rpc error: code = Unknown desc = " before
# "failed to pull and unpack image": Azure-Samples/container-apps-store-api-microservice#33).
# The rest is what ctr prints, without its "ctr: " prefix.
KUBELET = 'Failed to pull image "{image}": failed to pull and unpack image "{image}": {error}'


@dataclass(frozen=True)
class K8sCase:
    """A failure the troubleshooting page shows; stored outputs under errors/: NAME.kubelet.txt
    (containerd's message as the kubelet reports it), NAME.registry.txt (the token endpoint's
    own answer), NAME.check.txt (garauth check, when the mistake is in the manifest)."""

    name: str
    manifests: tuple[str, ...]  # relative to examples/, applied together
    refusal: str | None = None  # its entry in kit.refusals
    script: str | None = None  # relative to examples/: makes the Secret with kubectl from `who`'s key
    who: str = "reader"
    rule: str | None = None  # what garauth check reports for the manifests
    stored_check: bool = False  # the page shows garauth check's output (errors/NAME.check.txt)


class TestKubernetes(PlatformSuite):
    platform = "kubernetes"
    reader = reader
    pattern = "*.yaml"
    engine = "containerd"
    job_image_error = KUBELET
    cases = [
        K8sCase("wrong-host", ("rules/GA704/bad.yaml",), "unauthenticated-request", rule="GA704"),
        K8sCase("opaque-secret", ("rules/GA701/bad.yaml",), "unauthenticated-request", rule="GA701"),
        K8sCase("other-namespace", ("rules/GA706/bad.yaml",), "unauthenticated-request", rule="GA706"),
        K8sCase(
            "base64-as-json-key",
            ("kubernetes/pod.yaml",),
            "base64-with-json-key",
            script="kubernetes/broken/base64-as-json-key.sh",
        ),
        K8sCase(
            "no-reader-role",
            ("kubernetes/pod.yaml",),
            "no-reader-role",
            script="kubernetes/create-pull-secrets.sh",
            who="outsider",
        ),
        K8sCase(
            "committed-secret", ("kubernetes/broken/committed-secret.yaml",), rule="GA102", stored_check=True
        ),
    ]

    # Manifests have no steps to run, and `garauth pulls` reads CircleCI configs only.
    test_steps_run_as_written = None
    test_report_matches_the_stored_file = None

    @classmethod
    def ar_pulls(cls, path: Path) -> list:
        """Each Artifact Registry image of `path`, read with the stored pull Secrets beside it,
        as `kubectl apply -f` of the folder would create them."""
        result = reader.read_docs(str(path), applied(path, stored_secrets()))
        assert result.errors == [], [str(e) for e in result.errors]
        return [s for s in result.pullspecs if s.image is not None and s.image.ar is not None]

    @needs_sandbox
    def test_image_pulls_as_written(self, pullspec, workdir: Workdir):
        """containerd pulls the image with the credential decoded from the pull Secret the
        kubelet would choose, the Secret holding the demo reader's key."""
        path, spec = pullspec
        secrets = stored_secrets(workdir.key_text("reader"))
        result = reader.read_docs(str(path), applied(path, secrets))
        (live,) = [s for s in result.pullspecs if s.position == spec.position]
        cred = sent(live, secrets)
        assert cred is not None, f"{spec.position}: no pull Secret matches {spec.image_text}"
        proc = pull_image(spec.image_text, cred, workdir, engine="containerd")
        assert proc.returncode == 0, describe(proc)
        ar = spec.image.ar
        expected = workdir.state.get_manifest(
            repository_name(ar.project, ar.location, ar.repository), ar.image, spec.image.reference
        )
        assert expected is not None and proc.stdout.strip().rpartition("@")[2] == expected[0], describe(proc)

    @needs_sandbox
    def test_failure_prints_what_the_page_shows(self, case: K8sCase, workdir: Workdir, tmp_path):
        errors = self.errors_folder()
        text = "\n---\n".join((pages.EXAMPLES / m).read_text() for m in case.manifests)
        if case.rule:
            fmt, found = examine(case.manifests[0], text)
            assert fmt == reader.NAME and [f.rule for f in found] == [case.rule]
            if case.stored_check:
                compare(errors / f"{case.name}.check.txt", pages.check_output(case.manifests[0]))
        if not case.refusal:
            return
        secrets = {}
        if case.script:
            made = run_script(tmp_path, workdir.key_text(case.who), pages.EXAMPLES / case.script)
            secrets = {yamlfile.load("s.yaml", t)["metadata"]["name"]: t for t in made.values()}
        docs = [yamlfile.load("s.yaml", t) for t in secrets.values()] + yamlfile.load_all("k8s.yaml", text)
        (spec,) = [s for s in reader.read_docs("k8s.yaml", docs).pullspecs if s.image is not None]
        cred = sent(spec, {**secrets, **_inline_secrets(text)})
        refusal = REFUSALS[case.refusal]
        password = refusal.password_for(workdir)
        # The page's failure is the catalogue's refusal: the same image and credential.
        wanted = Basic(refusal.username, password) if refusal.username else None
        assert (spec.image_text, cred) == (refusal.image, wanted), f"{case.name} is not {refusal.name}"
        result = pull_image(spec.image_text, cred, workdir, engine="containerd")
        assert result.returncode != 0, f"{case.name}: the pull was expected to fail\n{describe(result)}"
        message = client_lines(result.stderr)[-1]
        assert message == prints("ctr", refusal), describe(result)
        error = message.removeprefix("ctr: ")
        compare(
            errors / f"{case.name}.kubelet.txt", KUBELET.format(image=spec.image_text, error=error) + "\n"
        )
        answer = registry_answer(spec.image_text, cred, workdir)
        assert answer.returncode == 0 and '"token"' not in answer.stdout, f"{case.name}: a token was issued"
        compare(errors / f"{case.name}.registry.txt", answer.stdout)

    def test_every_stored_output_belongs_to_a_case(self):
        names = {c.name for c in self.cases}
        strays = [p.name for p in self.errors_folder().glob("*.txt") if p.name.split(".")[0] not in names]
        assert strays == []


def _inline_secrets(text: str) -> dict[str, str]:
    """The Secrets written in the case's own manifests (no credential in them: see the rules' examples)."""
    out = {}
    for doc in yamlfile.load_all("k8s.yaml", text):
        if isinstance(doc, dict) and doc.get("kind") == "Secret":
            out[doc["metadata"]["name"]] = json.dumps(doc)
    return out
