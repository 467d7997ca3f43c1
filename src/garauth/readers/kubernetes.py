"""Read Kubernetes manifests (one or more YAML documents per file) into the images the kubelet
pulls, each with the credential it would send.

Public API
    detect(path, docs) -> bool           any document is a Kubernetes object (apiVersion, kind)
    read_docs(path, docs) -> ReadResult  (ReadResult and ConfigError: garauth.readers)
    read(path, text=None) -> ReadResult  yamlfile.load_all, then read_docs
    secret_config(path, secret) -> DockerConfig
        the Docker config a pull Secret holds, decoded (`.dockerconfigjson` from `data`, base64,
        or from `stringData`; the legacy `.dockercfg`), or why it cannot be read
    keyring_key(key) / kubelet_matches(key, image)
        how the kubelet turns a registry key into its keyring's key, and whether that key
        matches an image (below)

What is read
- Workloads: Pod (spec), Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController
  and Job (spec.template.spec), CronJob (spec.jobTemplate.spec.template.spec); a `kind: List`'s
  items. Each image of `initContainers`, `containers` and `ephemeralContainers` is one PullSpec
  at the position of its `image:` value; context: kind, name, namespace (empty when not written),
  container, list, service_account, pull_secrets (comma-separated, in order),
  pull_secrets_from ("pod" or "serviceaccount").
- ServiceAccounts: their `imagePullSecrets`, and the GKE Workload Identity annotation.
- Secrets of type `kubernetes.io/dockerconfigjson` (and the legacy `kubernetes.io/dockercfg`):
  their Docker config is decoded and each registry entry is one PullSpec (image None, image_text
  the registry key as written) made by `garauth.readers.docker_config.entries`, with
  stored=LITERAL: a Secret manifest in a repository holds the credential itself. A Secret whose
  config cannot be read is one PullSpec (image None, image_text "") whose context says why
  (`docker_config_problem`). A password is never kept, only what it looks like.

How the kubelet gets a pod's pull credential (what the PullSpec's credential says)
- A pod's pull Secrets are its `imagePullSecrets`; when it has none, the ServiceAccount
  admission plugin copies those of its ServiceAccount (`serviceAccountName`, default
  "default") onto it. Source: plugin/pkg/admission/serviceaccount/admission.go in
  https://github.com/kubernetes/kubernetes ("if len(pod.Spec.ImagePullSecrets) == 0").
- The kubelet reads only Secrets of type kubernetes.io/dockerconfigjson (key .dockerconfigjson)
  or kubernetes.io/dockercfg (key .dockercfg), of the pod's own namespace: source
  pkg/credentialprovider/secrets/secrets.go; "can only reference one Secret in the same
  namespace": https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod
- Registry keys: an `http://` or `https://` prefix is dropped, a path starting `/v1/` or `/v2/`
  loses those three characters, and the key is host[:port] plus the rest of the path. A key
  matches an image when the ports are equal, the hosts have as many dot-separated parts and
  each part matches as a glob (`*.example.com`), and the key's path is a prefix of the image's.
  All keys of all the pod's Secrets go in one index, sorted in reverse so that longer keys come
  first, and the kubelet tries every matching credential in that order. Sources:
  pkg/credentialprovider/keyring.go (Add, urlsMatch, Lookup) and
  https://kubernetes.io/docs/concepts/containers/images/#config-json
- An `auth` that is not base64 of USER:PASSWORD makes the kubelet fail to read the Secret, and
  every pull of the pod fails (pkg/credentialprovider/config.go, decodeDockerConfigFieldAuth).
- The credential is: the first matching entry (kind basic, password_source literal); UNKNOWN when
  a Secret it names, or its ServiceAccount, is not in the file; NONE otherwise: the kubelet then
  pulls with the node's own credentials (a GKE node's service account, a credential provider
  plugin) or anonymously.

Namespaces: an object with no `metadata.namespace` goes where `kubectl apply` puts it, which
the file does not say; it is taken to share any namespace. Two namespaces written and different
are different.

Schema: every object whose apiVersion the Kubernetes API serves is validated with the strict
OpenAPI schemas kubernetes-validate bundles (unknown keys refused), for the newest Kubernetes
version it knows; the validator does not look inside `.dockerconfigjson`, which this module
decodes. The API server itself checks that a Docker config Secret has its key and that the key
holds JSON: https://kubernetes.io/docs/concepts/configuration/secret/#docker-config-secrets
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from garauth import boundary, data, refs, yamlfile
from garauth.boundary import Safe, fmt, own
from garauth.errors import UserError
from garauth.model import Credential, CredentialKind, Position, PullSpec, SecretSource
from garauth.readers import ConfigError, ReadResult, docker_config

NAME = "kubernetes"

# kind -> the keys that lead from the object to its pod spec
POD_SPECS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
# Secret type -> the data key the kubelet reads it from
PULL_SECRET_TYPES = {
    "kubernetes.io/dockerconfigjson": ".dockerconfigjson",
    "kubernetes.io/dockercfg": ".dockercfg",
}
DEFAULT_SERVICE_ACCOUNT = "default"
# GKE Workload Identity: the Google service account a Kubernetes ServiceAccount acts as
# (https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity).
WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account"
SCHEMA_HINT = own(
    "Fix it as the Kubernetes API reference describes: https://kubernetes.io/docs/reference/kubernetes-api/"
)
MAX_ERRORS = 20


# -- detecting and reading -----------------------------------------------------------------------------


def _is_object(doc: Any) -> bool:
    return (
        isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str)
    )


def detect(path: str, docs: list[Any]) -> bool:
    return any(_is_object(doc) for doc in docs)


def read(path: str | Path, text: str | None = None) -> ReadResult:
    return read_docs(str(path), yamlfile.load_all(path, text))


def read_docs(path: str, docs: list[Any]) -> ReadResult:
    objects, errors = _objects(path, docs)
    limit = data.limits()["kubernetes"]["max_objects"]
    if len(objects) > limit:
        raise UserError(
            fmt(
                "the file holds {} Kubernetes objects; garauth reads files of up to {}.",
                boundary.number(len(objects)),
                boundary.number(limit),
            ),
            file=path,
        )
    for obj in objects:
        errors += _schema_errors(path, obj)
    if errors:
        return ReadResult(
            [], sorted(errors, key=lambda e: (e.position.line, e.position.column))[:MAX_ERRORS], NAME
        )
    return ReadResult(_Reader(path, objects).pullspecs(), [], NAME)


def _objects(path: str, docs: list[Any]) -> tuple[list[Any], list[ConfigError]]:
    """The objects of the file (a List's items in its place), and documents that are not objects."""
    objects: list[Any] = []
    errors: list[ConfigError] = []
    for doc in docs:
        if doc is None:
            continue  # an empty document between two `---`, which kubectl skips
        if not _is_object(doc):
            line, col = yamlfile.position(doc)
            errors.append(
                ConfigError(
                    Position(path, line, col),
                    own("this document is not a Kubernetes object: it needs apiVersion and kind."),
                    SCHEMA_HINT,
                )
            )
        elif doc["kind"] == "List" and doc["apiVersion"] == "v1" and isinstance(doc.get("items"), list):
            for item in doc["items"]:
                if _is_object(item):
                    objects.append(item)
                else:
                    line, col = yamlfile.position(item)
                    errors.append(
                        ConfigError(
                            Position(path, line, col),
                            own("this List item is not a Kubernetes object: it needs apiVersion and kind."),
                            SCHEMA_HINT,
                        )
                    )
        else:
            objects.append(doc)
    return objects, errors


# -- the schema -----------------------------------------------------------------------------------------


@cache
def _schema_version() -> str:
    import kubernetes_validate

    return kubernetes_validate.latest_version()


@cache
def _schema_files() -> dict[str, str]:
    """schema file stem (e.g. "deployment-apps-v1") -> file name, for the strict schemas."""
    from importlib import resources

    folder = resources.files("kubernetes_validate").joinpath(
        f"kubernetes-json-schema/v{_schema_version()}-local-strict"
    )
    return {p.name.removesuffix(".json"): p.name for p in folder.iterdir() if p.name.endswith(".json")}


def _schema_stem(api_version: str, kind: str) -> str:
    # kubernetes-validate's naming: rbac.authorization.k8s.io/v1 -> rbac-v1; v1 -> v1
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}"


@cache
def _served_api_versions() -> frozenset[str]:
    return frozenset(stem.split("-", 1)[1] for stem in _schema_files() if "-" in stem)


@cache
def _validator(stem: str) -> Any:
    """One validator per schema, as kubernetes-validate builds it (Draft 2020-12, the schema's
    $refs resolved in its _definitions.json), kept for the next object of that kind."""
    import jsonschema
    from kubernetes_validate.utils import schema_contents
    from referencing import Registry, Resource

    folder = f"kubernetes-json-schema/v{_schema_version()}-local-strict"
    schema = schema_contents(f"{folder}/{_schema_files()[stem]}", _schema_version())
    definitions = schema_contents(f"{folder}/_definitions.json", _schema_version())
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def _schema_errors(path: str, obj: Any) -> list[ConfigError]:
    api_version, kind = obj["apiVersion"], obj["kind"]
    stem = _schema_stem(api_version, kind)
    if stem not in _schema_files():
        group_version = stem.split("-", 1)[1]
        if (
            group_version not in _served_api_versions()
            and kind not in POD_SPECS
            and kind
            not in (
                "Secret",
                "ServiceAccount",
            )
        ):
            return []  # a custom resource: its schema is the cluster's, not in the file
        line, col = yamlfile.position(obj, "kind")
        return [
            ConfigError(
                Position(path, line, col),
                fmt(
                    "Kubernetes {} has no kind {} in apiVersion {}.",
                    own(_schema_version().rsplit(".", 1)[0]),
                    boundary.name(kind),
                    boundary.name(api_version),
                ),
                SCHEMA_HINT,
            )
        ]
    out = []
    for err in _validator(stem).iter_errors(obj):
        err = _deepest(err)
        line, col = yamlfile.position_of_path(obj, list(err.absolute_path))
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            unexpected = [k for k in err.instance if k not in err.schema.get("properties", {})]
            if unexpected:  # point at the key that is not allowed, not at its mapping
                line, col = yamlfile.key_position(err.instance, unexpected[0])
        out.append(
            ConfigError(
                Position(path, line, col),
                fmt("{}: {}.", _json_path(list(err.absolute_path)), _message(err)),
                SCHEMA_HINT,
            )
        )
    return out


def _deepest(err: Any) -> Any:
    """Through anyOf/oneOf branches, the error that reaches deepest into the object."""
    while err.context:
        err = max(err.context, key=lambda e: len(e.absolute_path))
    return err


def _json_path(parts: list[Any]) -> Safe:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{boundary.name(part)}"
    return Safe(out)


def _message(err: Any) -> Safe:
    """The error in garauth's words: keys by name, never a value."""
    keyword, instance = err.validator, err.instance
    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = err.schema.get("properties", {})
        unexpected = [k for k in instance if k not in allowed]
        return fmt("these keys are not allowed here: {}", boundary.join(boundary.name(k) for k in unexpected))
    if keyword == "required" and isinstance(instance, dict):
        missing = [k for k in err.validator_value if k not in instance]
        return fmt("{} is required", boundary.join(boundary.name(k) for k in missing))
    if keyword == "type":
        types = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        return fmt(
            "the value must be of type {}, not {}",
            boundary.join((own(str(t)) for t in types if t != "null"), " or "),
            boundary.describe(instance),
        )
    if keyword == "enum":
        options = [o for o in err.validator_value if isinstance(o, str)]
        return fmt("the value must be one of: {}", boundary.join(boundary.name(o) for o in options))
    return fmt("the value is not valid here ({})", boundary.name(str(keyword)))


# -- Docker config in a Secret ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DockerConfig:
    """What a pull Secret holds: the config (a dict with `auths`), or a problem code and where.

    Problems: "missing" (no such key in data or stringData), "not-base64", "not-json",
    "not-object" (JSON, but not an object), "no-auths" (an object with no `auths`)."""

    config: dict | None
    position: Position
    problem: str | None = None
    key: str = ".dockerconfigjson"
    source: str = "data"  # "data" (base64) or "stringData"


def secret_config(path: str, secret: Any) -> DockerConfig:
    """Decode the Docker config a kubernetes.io/dockerconfigjson (or dockercfg) Secret holds."""
    key = PULL_SECRET_TYPES.get(secret.get("type"), ".dockerconfigjson")
    raw: bytes | None = None
    source = "data"
    where = Position(path, *yamlfile.position(secret))
    string_data, b64_data = secret.get("stringData"), secret.get("data")
    if isinstance(string_data, dict) and isinstance(string_data.get(key), str):
        # the API server writes stringData over data for the same key
        source, raw = "stringData", string_data[key].encode("utf-8")
        where = Position(path, *yamlfile.position(string_data, key))
    elif isinstance(b64_data, dict) and key in b64_data:
        where = Position(path, *yamlfile.position(b64_data, key))
        value = b64_data[key]
        # Go's base64 decoder, which the API server uses for data, skips line breaks
        text = "".join(value.split("\n")).replace("\r", "") if isinstance(value, str) else None
        try:
            raw = base64.b64decode(text, validate=True) if text is not None else None
        except (binascii.Error, ValueError):
            raw = None
        if raw is None:
            return DockerConfig(None, where, "not-base64", key, source)
    if raw is None:
        return DockerConfig(None, where, "missing", key, source)
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return DockerConfig(None, where, "not-json", key, source)
    if not isinstance(config, dict):
        return DockerConfig(None, where, "not-object", key, source)
    if key == ".dockercfg":
        return DockerConfig({"auths": config}, where, None, key, source)
    if not any(k in config for k in ("auths", "credHelpers", "credsStore")):
        return DockerConfig(None, where, "no-auths", key, source)
    return DockerConfig(config, where, None, key, source)


# -- how the kubelet matches registry keys to images --------------------------------------------------------


def keyring_key(written: str) -> str | None:
    """The key the kubelet files a registry entry under (keyring.go, Add); None if unparseable."""
    value = written if written.startswith(("https://", "http://")) else "https://" + written
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    host = parts.netloc.rpartition("@")[2]
    path = parts.path
    if path.startswith(("/v2/", "/v1/")):
        path = path[3:]
    return host + path if path and path != "/" else host


def _split(schemeless: str) -> tuple[list[str], str, str] | None:
    """Host parts, port and path of a schemeless URL, as keyring.go's splitURL sees them."""
    try:
        parts = urlsplit("https://" + schemeless)
    except ValueError:
        return None
    host = parts.netloc.rpartition("@")[2]
    name, sep, port = host.rpartition(":")
    if sep and "]" not in port:  # Go's net.SplitHostPort; without a port the whole host is kept
        host = name
    else:
        port = ""
    return host.split("."), port, parts.path


def _glob(pattern: str, text: str) -> bool:
    # Go's filepath.Match: '*', '?', '[...]' with '^' for negation; no separators in a host part
    return fnmatch.fnmatchcase(text, pattern.replace("[^", "[!"))


def kubelet_matches(key: str, image_repo: str) -> bool:
    """Whether a keyring key (keyring_key's result) matches an image, written host/path without
    tag or digest (keyring.go, urlsMatch)."""
    glob, target = _split(key), _split(image_repo)
    if glob is None or target is None:
        return False
    (glob_parts, glob_port, glob_path), (target_parts, target_port, target_path) = glob, target
    if glob_port != target_port or len(glob_parts) != len(target_parts):
        return False
    if not target_path.startswith(glob_path):
        return False
    return all(_glob(g, t) for g, t in zip(glob_parts, target_parts, strict=True))


# -- the objects, read ------------------------------------------------------------------------------------


def _namespace(obj: Any) -> str | None:
    meta = obj.get("metadata")
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return ns if isinstance(ns, str) and ns else None


def _name(obj: Any) -> str:
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else ""


def _same_namespace(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _at(node: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


@dataclass
class _Secret:
    obj: Any
    name: str
    namespace: str | None
    type: str
    config: DockerConfig | None = None  # for the pull types
    entries: list[PullSpec] = field(default_factory=list)  # one per registry key, from docker_config


@dataclass
class _ServiceAccount:
    obj: Any
    name: str
    namespace: str | None
    pull_secrets: list[tuple[str, Position]]
    workload_identity: str | None


class _Reader:
    def __init__(self, path: str, objects: list[Any]) -> None:
        self.path = path
        self.objects = objects
        self.secrets = [self._secret(o) for o in objects if o["kind"] == "Secret" and o["apiVersion"] == "v1"]
        self.accounts = [
            self._account(o) for o in objects if o["kind"] == "ServiceAccount" and o["apiVersion"] == "v1"
        ]

    def pos(self, node: Any, key: Any = None) -> Position:
        return Position(self.path, *yamlfile.position(node, key))

    # -- Secrets and ServiceAccounts

    def _secret(self, obj: Any) -> _Secret:
        kind = obj.get("type") if isinstance(obj.get("type"), str) else "Opaque"
        secret = _Secret(obj, _name(obj), _namespace(obj), kind)
        if kind not in PULL_SECRET_TYPES:
            return secret
        secret.config = secret_config(self.path, obj)
        if secret.config.config is not None:
            context = {"kind": "Secret", "secret": secret.name, "namespace": secret.namespace or ""}
            for entry in docker_config.entries(
                secret.config.config, secret.config.position, SecretSource.LITERAL
            ):
                secret.entries.append(replace(entry, platform=NAME, context={**entry.context, **context}))
        return secret

    def _account(self, obj: Any) -> _ServiceAccount:
        refs_ = []
        items = obj.get("imagePullSecrets")
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                refs_.append((item["name"], self.pos(items, i)))
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
        wi = annotations.get(WORKLOAD_IDENTITY_ANNOTATION)
        return _ServiceAccount(obj, _name(obj), _namespace(obj), refs_, wi if isinstance(wi, str) else None)

    # -- PullSpecs

    def pullspecs(self) -> list[PullSpec]:
        out: list[PullSpec] = []
        for obj in self.objects:
            if obj["kind"] in POD_SPECS:
                spec = _at(obj, POD_SPECS[obj["kind"]])
                if isinstance(spec, dict):
                    out += self._pod(obj, spec)
        for secret in self.secrets:
            out += secret.entries
            if secret.config is not None and secret.config.problem is not None:
                out.append(self._unreadable(secret))
        return sorted(out, key=lambda s: (s.position.line, s.position.column))

    def _unreadable(self, secret: _Secret) -> PullSpec:
        context = {
            "kind": "Secret",
            "secret": secret.name,
            "namespace": secret.namespace or "",
            "docker_config_problem": secret.config.problem,
            "docker_config_key": secret.config.key,
            "docker_config_source": secret.config.source,
        }
        where = secret.config.position
        return PullSpec(None, "", Credential(CredentialKind.UNKNOWN, position=where), where, context, NAME)

    def _pod(self, obj: Any, spec: Any) -> list[PullSpec]:
        namespace = _namespace(obj)
        account_name = spec.get("serviceAccountName") or spec.get("serviceAccount") or DEFAULT_SERVICE_ACCOUNT
        account = next(
            (a for a in self.accounts if a.name == account_name and _same_namespace(a.namespace, namespace)),
            None,
        )
        own_refs = []
        items = spec.get("imagePullSecrets")
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                own_refs.append((item["name"], self.pos(items, i)))
        context = {
            "kind": obj["kind"],
            "name": _name(obj),
            "namespace": namespace or "",
            "service_account": str(account_name),
        }
        positions: dict[str, Position] = {}
        if own_refs:
            refs_, context["pull_secrets_from"] = own_refs, "pod"
            positions["imagePullSecrets"] = self.pos(spec, "imagePullSecrets")
            if account is not None and account.pull_secrets:
                # the admission plugin adds the ServiceAccount's only to a pod that has none
                context["service_account_pull_secrets_unused"] = ",".join(n for n, _ in account.pull_secrets)
        elif account is not None:
            refs_ = account.pull_secrets
            context["pull_secrets_from"] = "serviceaccount" if refs_ else ""
        else:
            refs_ = []
            context["service_account_elsewhere"] = "true"
        context["pull_secrets"] = ",".join(n for n, _ in refs_)
        usable: list[_Secret] = []
        for name, where in refs_:
            positions[f"secret:{name}"] = where
            status, secret = self._lookup(name, namespace)
            context[f"secret:{name}"] = status
            if secret is not None and status == "found":
                usable.append(secret)
        if any(context[f"secret:{name}"] == "bad-auth" for name, _ in refs_):
            usable = []  # the kubelet cannot build the pod's keyring: every pull fails
            context["pull_fails"] = "true"
        if account is not None and account.workload_identity and not refs_:
            context["workload_identity"] = account.workload_identity
        out = []
        for list_name in CONTAINER_LISTS:
            containers = spec.get(list_name)
            for container in containers if isinstance(containers, list) else []:
                if isinstance(container, dict) and isinstance(container.get("image"), str):
                    out.append(self._image(container, list_name, context, positions, usable))
        return out

    def _lookup(self, name: str, namespace: str | None) -> tuple[str, _Secret | None]:
        """found | missing (not in the file) | namespace:NS | type:TYPE | unreadable | bad-auth
        (an `auth` the kubelet cannot decode: it then fails the pod's pulls)"""
        named = [s for s in self.secrets if s.name == name]
        here = [s for s in named if _same_namespace(s.namespace, namespace)]
        if not here:
            if named:
                return f"namespace:{named[0].namespace}", named[0]
            return "missing", None
        secret = here[0]
        if secret.type not in PULL_SECRET_TYPES:
            return f"type:{secret.type}", secret
        if secret.config is None or secret.config.problem is not None:
            return "unreadable", secret
        if any(e.context.get("auth_undecodable") for e in secret.entries):
            return "bad-auth", secret
        return "found", secret

    def _image(
        self,
        container: Any,
        list_name: str,
        pod_context: dict[str, str],
        positions: dict[str, Position],
        usable: list[_Secret],
    ) -> PullSpec:
        text = container["image"]
        where = self.pos(container, "image")
        context = {**pod_context, "list": list_name, "container": str(container.get("name", ""))}
        try:
            image, problem = refs.parse(text), None
        except refs.RefError as err:
            image, problem = None, err.problem
        matches: list[tuple[str, _Secret, PullSpec]] = []
        if image is not None:
            candidates = []
            for order, secret in enumerate(usable):
                for entry in secret.entries:
                    if entry.context.get("config") != "auths":
                        continue  # the kubelet reads `auths` only
                    key = keyring_key(entry.image_text)
                    if key is not None:
                        candidates.append((key, order, secret, entry))
            candidates.sort(key=lambda c: (c[0], -c[1]), reverse=True)
            repo = f"{image.host}/{image.path}"
            matches = [(k, s, e) for k, _, s, e in candidates if kubelet_matches(k, repo)]
        if matches:
            _, secret, entry = matches[0]
            context.update(secret=secret.name, registry_key=entry.image_text)
            if len(matches) > 1:
                context["other_credentials"] = str(len(matches) - 1)
            credential = replace(entry.credential, positions={**entry.credential.positions, **positions})
        else:
            statuses = [pod_context.get(f"secret:{n}") for n in pod_context["pull_secrets"].split(",") if n]
            unknown = (
                "missing" in statuses
                or "bad-auth" in statuses
                or pod_context.get("service_account_elsewhere") == "true"
            )
            if usable:
                context["no_matching_entry"] = "true"
                context["registry_keys"] = ",".join(
                    e.image_text for s in usable for e in s.entries if e.context.get("config") == "auths"
                )
            kind = CredentialKind.UNKNOWN if unknown else CredentialKind.NONE
            if kind is CredentialKind.NONE:
                context["node_credentials"] = "true"
            credential = Credential(kind, position=where, positions=dict(positions))
        return PullSpec(image, text, credential, where, context, NAME, image_problem=problem)
