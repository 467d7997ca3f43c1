"""GA7xx: Kubernetes pull Secrets, ServiceAccounts and what the kubelet does with them.

The facts each rule relies on are in garauth.readers.kubernetes (how the kubelet finds a pod's
pull Secrets and matches their registry keys); these rules judge what the reader found.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from garauth import boundary, refs
from garauth.boundary import fmt, own
from garauth.model import CredentialKind, PullSpec, Severity
from garauth.readers import kubernetes
from garauth.rules import Hit, Rule

IMAGES_PAGE = "https://kubernetes.io/docs/concepts/containers/images/"
SECRET_PAGE = "https://kubernetes.io/docs/concepts/configuration/secret/#docker-config-secrets"
KUBELET_SOURCE = "https://github.com/kubernetes/kubernetes/blob/master/pkg/credentialprovider"
ADMISSION_SOURCE = (
    "https://github.com/kubernetes/kubernetes/blob/master/plugin/pkg/admission/serviceaccount/admission.go"
)
GKE_PAGE = "https://cloud.google.com/artifact-registry/docs/integrate-gke"


def _k8s(spec: PullSpec) -> bool:
    return spec.platform == kubernetes.NAME


def _pull_secrets(spec: PullSpec) -> list[str]:
    return [n for n in spec.context.get("pull_secrets", "").split(",") if n]


def _on_ar(spec: PullSpec) -> bool:
    return spec.image is not None and refs.is_ar_host(spec.image.host)


def _ref_position(spec: PullSpec, name: str):
    return spec.credential.positions.get(f"secret:{name}", spec.position)


# -- checks -------------------------------------------------------------------------------------------


def pull_secret_wrong_type(spec: PullSpec) -> Iterator[Hit]:
    if not _k8s(spec):
        return
    for name in _pull_secrets(spec):
        status = spec.context.get(f"secret:{name}", "")
        if status.startswith("type:"):
            yield Hit(
                _ref_position(spec, name),
                fmt(
                    "The pull Secret {} is of type {}: the kubelet takes pull credentials only from "
                    "kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg Secrets, and ignores it.",
                    boundary.name(name),
                    boundary.name(status.removeprefix("type:")),
                ),
            )


_PROBLEMS = {
    "missing": "has no {} key (in data or stringData), which the API server requires",
    "not-base64": "has a {} in data that is not base64, which the API server refuses",
    "not-json": "has a {} that is not JSON, which the API server refuses",
    "not-object": "has a {} that is JSON but not an object, which the API server refuses",
    "no-auths": "has a {} with no auths mapping, so the kubelet finds no credential in it "
    "(the registry entries belong under auths)",
}


def docker_config_unreadable(spec: PullSpec) -> Iterator[Hit]:
    problem = spec.context.get("docker_config_problem")
    if not _k8s(spec) or problem not in _PROBLEMS:
        return
    key = ".dockercfg" if spec.context.get("docker_config_key") == ".dockercfg" else ".dockerconfigjson"
    yield Hit(
        spec.position,
        fmt(
            "The Secret {} " + _PROBLEMS[problem] + ".",
            boundary.name(spec.context.get("secret", "")),
            own(key),
        ),
    )


def auth_not_user_password(spec: PullSpec) -> Iterator[Hit]:
    if _k8s(spec) and spec.context.get("auth_undecodable"):
        yield Hit(
            spec.position,
            fmt(
                "In the Secret {}, the auth of {} is not base64 of USERNAME:PASSWORD: the kubelet "
                "cannot read the Secret, and every image of a pod that names it fails to pull.",
                boundary.name(spec.context.get("secret", "")),
                boundary.reference(spec.image_text),
            ),
        )


def no_entry_for_image(spec: PullSpec) -> Iterator[Hit]:
    if not _k8s(spec) or not spec.context.get("no_matching_entry") or not _on_ar(spec):
        return
    keys = [k for k in spec.context.get("registry_keys", "").split(",") if k]
    yield Hit(
        spec.position,
        fmt(
            "No entry of the pull Secret(s) {} matches {} as the kubelet matches registry keys "
            "(they name {}): the kubelet pulls it with the node's own credentials, or anonymously.",
            boundary.join(boundary.name(n) for n in _pull_secrets(spec)),
            boundary.image(spec.image),
            boundary.join(boundary.reference(k) for k in keys) if keys else own("no registry"),
        ),
        fmt(
            "Add an entry for {} to the Secret (kubectl create secret docker-registry).",
            boundary.reference(spec.image.host),
        ),
    )


def key_problem(written: str) -> str | None:
    """Why the kubelet would never match a registry key to an Artifact Registry image, or None."""
    scheme, sep, _ = written.partition("://")
    if sep and scheme not in ("http", "https"):
        return "scheme"
    key = kubernetes.keyring_key(written)
    if key is None:
        return "unparseable"
    host, _, path = key.partition("/")
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit() and refs.is_ar_host(name):
        return "port"
    if ":" in path or "@" in path:
        return "tag"
    try:
        urlsplit("https://" + key)
    except ValueError:
        return "unparseable"
    return None


_KEY_PROBLEMS = {
    "scheme": "starts with a scheme other than http:// or https://, which the kubelet keeps as part "
    "of the host, so it matches no image",
    "port": "names a port, and the kubelet matches it only to images written with that port",
    "tag": "ends in a tag or digest, and the kubelet compares keys with the image's path without "
    "them, so it matches no image",
    "unparseable": "is not a URL the kubelet can read, so it is ignored",
}


def registry_key_never_matches(spec: PullSpec) -> Iterator[Hit]:
    if not _k8s(spec) or spec.image is not None or spec.context.get("config") != "auths":
        return
    problem = key_problem(spec.image_text)
    if problem is not None:
        yield Hit(
            spec.position,
            fmt(
                "In the Secret {}, the registry key {} " + _KEY_PROBLEMS[problem] + ".",
                boundary.name(spec.context.get("secret", "")),
                boundary.reference(spec.image_text),
            ),
        )


def pull_secret_other_namespace(spec: PullSpec) -> Iterator[Hit]:
    if not _k8s(spec):
        return
    for name in _pull_secrets(spec):
        status = spec.context.get(f"secret:{name}", "")
        if status.startswith("namespace:"):
            yield Hit(
                _ref_position(spec, name),
                fmt(
                    "The pull Secret {} is defined in the namespace {}, and the pod runs in {}: "
                    "the kubelet reads pull Secrets from the pod's own namespace only.",
                    boundary.name(name),
                    boundary.name(status.removeprefix("namespace:")),
                    boundary.name(spec.context.get("namespace", "")),
                ),
            )


def credential_helper_in_secret(spec: PullSpec) -> Iterator[Hit]:
    if _k8s(spec) and spec.context.get("config") in ("credHelpers", "credsStore"):
        yield Hit(
            spec.position,
            fmt(
                "The Secret {} names a credential helper ({}): the kubelet reads only auths from a "
                "pull Secret, and runs no helper.",
                boundary.name(spec.context.get("secret", "")),
                own(spec.context["config"]),
            ),
        )


def service_account_pull_secrets_unused(spec: PullSpec) -> Iterator[Hit]:
    unused = spec.context.get("service_account_pull_secrets_unused")
    if not _k8s(spec) or not unused:
        return
    yield Hit(
        spec.credential.positions.get("imagePullSecrets", spec.position),
        fmt(
            "The pod lists its own imagePullSecrets, so the ones of its ServiceAccount {} ({}) are "
            "not added to it.",
            boundary.name(spec.context.get("service_account", "")),
            boundary.join(boundary.name(n) for n in unused.split(",")),
        ),
    )


def node_pulls_not_workload_identity(spec: PullSpec) -> Iterator[Hit]:
    gsa = spec.context.get("workload_identity")
    if not _k8s(spec) or not gsa or not _on_ar(spec) or spec.credential.kind is not CredentialKind.NONE:
        return
    yield Hit(
        spec.position,
        fmt(
            "The ServiceAccount {} acts as {} through Workload Identity, but images are pulled by the "
            "node: {} is pulled as the node's service account, not as {}.",
            boundary.name(spec.context.get("service_account", "")),
            boundary.name(gsa),
            boundary.image(spec.image),
            boundary.name(gsa),
        ),
    )


RULES = [
    Rule(
        id="GA701",
        name="pull-secret-wrong-type",
        severity=Severity.ERROR,
        summary="A pod's imagePullSecrets names a Secret that is not of a Docker config type.",
        fix="Create the Secret with kubectl create secret docker-registry, which makes a kubernetes.io/dockerconfigjson Secret.",
        why=(
            "The kubelet builds a pod's pull credentials from Secrets of type "
            "`kubernetes.io/dockerconfigjson` (key `.dockerconfigjson`) and the legacy "
            "`kubernetes.io/dockercfg` (key `.dockercfg`), and passes over any other Secret "
            f"without a word ([images]({IMAGES_PAGE}#specifying-imagepullsecrets-on-a-pod); "
            f"[secrets.go]({KUBELET_SOURCE}/secrets/secrets.go)). An `Opaque` Secret holding a "
            "`.dockerconfigjson` key looks right and is never used: the image is pulled without it."
        ),
        bad="rules/GA701/bad.yaml",
        good="kubernetes/pod.yaml",
        check=pull_secret_wrong_type,
    ),
    Rule(
        id="GA702",
        name="docker-config-unreadable",
        severity=Severity.ERROR,
        summary="A pull Secret's Docker config is missing, not base64, not JSON, or has no auths.",
        fix="Make the Secret with kubectl create secret docker-registry, which writes the key and its encoding.",
        why=(
            "A `kubernetes.io/dockerconfigjson` Secret holds Docker's `config.json` under "
            "`.dockerconfigjson`: base64 in `data`, plain text in `stringData`. The API server "
            "refuses the Secret when the key is missing or its value is not JSON "
            f"([Secrets]({SECRET_PAGE})), but does not look further: a config without `auths`, "
            "such as the bare mapping of hosts the old `.dockercfg` format holds, is accepted and "
            f"gives the kubelet no credential ([config.go]({KUBELET_SOURCE}/config.go)). The schema "
            "check does not look inside the value; garauth decodes it."
        ),
        bad="rules/GA702/bad.yaml",
        good="kubernetes/pod.yaml",
        check=docker_config_unreadable,
    ),
    Rule(
        id="GA703",
        name="auth-not-user-password",
        severity=Severity.ERROR,
        summary="A pull Secret's auth is not base64 of USERNAME:PASSWORD.",
        fix="Write auth as the base64 of _json_key:KEY (or _json_key_base64:BASE64), or let kubectl create secret docker-registry write it.",
        why=(
            "Each `auths` entry's `auth` is the base64 of the username, a colon and the password. "
            "When it is not, the kubelet fails to read the Secret "
            f"([config.go]({KUBELET_SOURCE}/config.go), `decodeDockerConfigFieldAuth`) and fails "
            "every pull of a pod that names it, not only the pulls from that registry. The API "
            f"server does not check it ([Secrets]({SECRET_PAGE}))."
        ),
        bad="rules/GA703/bad.yaml",
        good="kubernetes/pod.yaml",
        check=auth_not_user_password,
    ),
    Rule(
        id="GA704",
        name="no-entry-for-image",
        severity=Severity.WARNING,
        summary="The pod's pull Secrets have no entry that matches an Artifact Registry image.",
        fix="Add an entry for the image's host (LOCATION-docker.pkg.dev) to a pull Secret of the pod.",
        why=(
            "The kubelet sends a pull Secret's credential only for images its registry key "
            "matches: the same host (a `*` stands for one part of it), the same port, and a key "
            f"path that starts the image's path ([images]({IMAGES_PAGE}#config-json); "
            f"[keyring.go]({KUBELET_SOURCE}/keyring.go)). `us-central1-docker.pkg.dev` does not "
            "match `europe-docker.pkg.dev`, and `gcr.io` matches neither. With no match the image "
            "is pulled with the node's own credentials, if any, or anonymously, and Artifact "
            "Registry refuses a private image with `403 Forbidden`."
        ),
        bad="rules/GA704/bad.yaml",
        good="kubernetes/pod.yaml",
        check=no_entry_for_image,
    ),
    Rule(
        id="GA705",
        name="registry-key-never-matches",
        severity=Severity.ERROR,
        summary="A pull Secret's registry key has a scheme, port, tag or digest the kubelet never matches.",
        fix="Write the key as the image's host, e.g. us-central1-docker.pkg.dev, optionally followed by /PROJECT-ID or /PROJECT-ID/REPOSITORY.",
        why=(
            "The kubelet drops `https://` or `http://` from a registry key, and `/v1/` or `/v2/` "
            "at the start of its path, and then compares the rest with the image: host parts, "
            f"port, and path prefix ([keyring.go]({KUBELET_SOURCE}/keyring.go), `Add` and "
            f"`urlsMatch`; [images]({IMAGES_PAGE}#config-json)). Any other scheme (`oci://`, "
            "`docker://`) stays in the host, a port must appear in the image too, and a key "
            "ending in `:TAG` or `@sha256:…` is compared with an image path that has neither: "
            "such a key matches nothing."
        ),
        bad="rules/GA705/bad.yaml",
        good="kubernetes/pod.yaml",
        check=registry_key_never_matches,
    ),
    Rule(
        id="GA706",
        name="pull-secret-other-namespace",
        severity=Severity.ERROR,
        summary="A pod names a pull Secret that the file defines in another namespace.",
        fix="Create the Secret in the pod's namespace too (kubectl create secret docker-registry -n NAMESPACE).",
        why=(
            "Each `imagePullSecrets` item names a Secret in the pod's own namespace "
            f"([images]({IMAGES_PAGE}#specifying-imagepullsecrets-on-a-pod)); a Secret of the same "
            "name in another namespace is not used, and the image is pulled without it."
        ),
        bad="rules/GA706/bad.yaml",
        good="kubernetes/pod.yaml",
        check=pull_secret_other_namespace,
    ),
    Rule(
        id="GA707",
        name="credential-helper-in-secret",
        severity=Severity.WARNING,
        summary="A pull Secret's Docker config names a credential helper, which the kubelet never runs.",
        fix="Put an auths entry in the Secret, or give the nodes a kubelet credential provider instead.",
        why=(
            "A `config.json` copied from a workstation after `gcloud auth configure-docker` holds "
            "`credHelpers`, not credentials. The kubelet reads only `auths` from a pull Secret "
            f"([config.go]({KUBELET_SOURCE}/config.go), `DockerConfigJSON`); fetching credentials "
            "on the node is the job of a kubelet credential provider "
            "([credential providers](https://kubernetes.io/docs/tasks/administer-cluster/kubelet-credential-provider/))."
        ),
        bad="rules/GA707/bad.yaml",
        good="kubernetes/pod.yaml",
        check=credential_helper_in_secret,
    ),
    Rule(
        id="GA708",
        name="service-account-pull-secrets-unused",
        severity=Severity.WARNING,
        summary="A pod lists its own imagePullSecrets, so its ServiceAccount's are not added.",
        fix="List every pull Secret the pod needs on the pod, or remove the pod's list and rely on the ServiceAccount's.",
        why=(
            "The ServiceAccount admission plugin copies a ServiceAccount's `imagePullSecrets` to a "
            "pod only when the pod has none of its own "
            f"([admission.go]({ADMISSION_SOURCE}); [service accounts]"
            "(https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"
            "#add-imagepullsecrets-to-a-service-account)). A pod that names one Secret loses all "
            "of its ServiceAccount's."
        ),
        bad="rules/GA708/bad.yaml",
        good="kubernetes/serviceaccount.yaml",
        check=service_account_pull_secrets_unused,
    ),
    Rule(
        id="GA709",
        name="node-pulls-not-workload-identity",
        severity=Severity.INFO,
        summary="An Artifact Registry image is pulled by the node, not by the Workload Identity of the pod's ServiceAccount.",
        fix="Grant roles/artifactregistry.reader on the repository to the node pool's service account, or add a pull Secret.",
        why=(
            "On GKE the image is pulled before the pod runs, by the node, as the node pool's "
            f"service account ([Artifact Registry: deploying to GKE]({GKE_PAGE})); the Google "
            "service account a Kubernetes ServiceAccount acts as through Workload Identity is "
            "used only by the pod's own code. The Kubeflow maintainers say the same in "
            "[kubeflow/pipelines#5427](https://github.com/kubeflow/pipelines/issues/5427). Give "
            "the node's service account `roles/artifactregistry.reader` on the repository."
        ),
        bad="rules/GA709/bad.yaml",
        good="kubernetes/serviceaccount.yaml",
        check=node_pulls_not_workload_identity,
    ),
]
