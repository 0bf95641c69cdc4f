"""The Kubernetes manifests as a cluster would take them: rendered by kustomize, every object
checked offline against the strict Kubernetes schemas and KEDA's.

Run by scripts/check_deploy.sh (`make lint`): `python -m finhub_dev.deploy_check`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml
from cloudcoil.models.keda import v1alpha1 as keda
from pydantic import BaseModel, ValidationError

ROOT = Path(__file__).resolve().parents[4]
KUSTOMIZATION = ROOT / "deploy" / "k8s"
SECRETS_TEMPLATE = KUSTOMIZATION / "secrets.example.yaml"
# The oldest Kubernetes still supported by the major clouds, and the newest the schemas know.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
KEDA_KINDS: dict[str, type[BaseModel]] = {
    "ScaledObject": keda.ScaledObject,
    "TriggerAuthentication": keda.TriggerAuthentication,
}

Manifest = dict[str, Any]


def render(kustomization: Path = KUSTOMIZATION) -> list[Manifest]:
    """The objects `kubectl apply -k` would send: kustomize's output, parsed."""
    if kubectl := shutil.which("kubectl"):
        command = [kubectl, "kustomize", str(kustomization)]
    elif kustomize := shutil.which("kustomize"):
        command = [kustomize, "build", str(kustomization)]
    else:
        raise SystemExit("kustomize is missing: install kubectl (which carries it) or kustomize")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [document for document in yaml.safe_load_all(output) if document]


def load(path: Path) -> list[Manifest]:
    """The objects of a YAML file of several documents."""
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def name_of(manifest: Manifest) -> str:
    """`Kind/name`, as kubectl names an object."""
    return f"{manifest['kind']}/{manifest['metadata']['name']}"


def problems(manifests: Sequence[Manifest]) -> Iterator[str]:
    """What a cluster would refuse in these objects, one line each."""
    for manifest in manifests:
        if manifest["apiVersion"].startswith("keda.sh/"):
            yield from _keda_problems(manifest)
            continue
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(manifest, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = "/".join(str(part) for part in error.path)
                yield f"{name_of(manifest)} (Kubernetes {version}) at {where}: {error.message}"
            except kubernetes_validate.SchemaNotFoundError as error:
                yield f"{name_of(manifest)}: {error.message}"


def _keda_problems(manifest: Manifest) -> Iterator[str]:
    model = KEDA_KINDS.get(manifest["kind"])
    if model is None:
        yield f"{name_of(manifest)}: no KEDA schema for this kind"
        return
    try:
        parsed = model.model_validate(manifest)
    except ValidationError as error:
        for problem in error.errors():
            where = "/".join(str(part) for part in problem["loc"])
            yield f"{name_of(manifest)} (KEDA) at {where}: {problem['msg']}"
        return
    # The models drop fields they do not know; KEDA's API server would refuse them.
    kept = parsed.model_dump(by_alias=True, exclude_unset=True, mode="json")
    for where in _unknown_fields(manifest, kept):
        yield f"{name_of(manifest)} (KEDA) at {where.lstrip('/')}: unknown field"


def _unknown_fields(given: Any, kept: Any, where: str = "") -> Iterator[str]:
    if isinstance(given, dict) and isinstance(kept, dict):
        for key, value in given.items():
            if key not in kept:
                yield f"{where}/{key}"
            else:
                yield from _unknown_fields(value, kept[key], f"{where}/{key}")
    elif isinstance(given, list) and isinstance(kept, list):
        for index, (value, kept_value) in enumerate(zip(given, kept, strict=False)):
            yield from _unknown_fields(value, kept_value, f"{where}/{index}")


def main() -> None:
    """Check the kustomization and the Secrets' template; exit 1 naming every problem."""
    manifests = render()
    found = list(problems([*manifests, *load(SECRETS_TEMPLATE)]))
    if found:
        sys.stderr.write("".join(f"{problem}\n" for problem in found))
        raise SystemExit(1)
    versions = " and ".join(KUBERNETES_VERSIONS)
    sys.stdout.write(
        f"deploy/k8s: {len(manifests)} objects valid for Kubernetes {versions} and KEDA\n"
    )


if __name__ == "__main__":
    main()
