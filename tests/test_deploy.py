"""The production kustomization (deploy/k8s) rendered as a cluster would get it, and what a
cluster would then do: connections against PostgreSQL's budget, probes, production settings,
the order Argo CD applies things in, one slash convention, the same server versions everywhere."""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from cryptography.fernet import Fernet
from fastapi import APIRouter, FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from banking.config import BankingSettings
from billing.config import BillingSettings
from console.config import ConsoleSettings
from finhub_dev.deploy_check import SECRETS_TEMPLATE, Manifest, load, name_of, render
from finhub_shared.app import create_service_app
from finhub_shared.db import Database
from finhub_shared.settings import MissingSettingError, ServiceSettings, load_settings
from live.config import LiveSettings
from webhook_gateway.config import GatewaySettings

ROOT = Path(__file__).resolve().parents[1]


def _settings_classes() -> dict[str, type[ServiceSettings]]:
    """Each image's settings class, by the image's last path part."""
    return {
        "webhook-gateway": GatewaySettings,
        "billing": BillingSettings,
        "banking": BankingSettings,
        "live": LiveSettings,
        "console": ConsoleSettings,
    }


def _database_settings_classes() -> dict[str, type[ServiceSettings]]:
    """The images whose processes hold database connections (not the console)."""
    return {
        service: settings
        for service, settings in _settings_classes().items()
        if "database_url" in settings.model_fields
    }


# Connections a pod holds besides its SQLAlchemy pool: the gateway API's hot-path asyncpg pool
# (webhook_gateway.main._storage_pool, max_size=4) and live's LISTEN connection (live.streams.hub).
EXTRA_CONNECTIONS = {("webhook-gateway", "serve"): 4, ("live", "serve"): 1}
URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s,]+", re.IGNORECASE)


def points_at_this_machine(value: str) -> bool:
    """Whether a URL in `value` names localhost, a loopback or the unspecified address."""
    for url in URL.findall(value):
        host = (urlsplit(url).hostname or "").lower()
        if host == "localhost" or host.endswith(".localhost"):
            return True
        with contextlib.suppress(ValueError):
            address = ip_address(host)
            if address.is_loopback or address.is_unspecified:
                return True
    return False


@pytest.fixture(scope="module")
def manifests() -> list[Manifest]:
    return render()


@pytest.fixture(scope="module")
def secrets() -> dict[str, dict[str, str]]:
    return {secret["metadata"]["name"]: secret["stringData"] for secret in load(SECRETS_TEMPLATE)}


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [manifest for manifest in manifests if manifest["kind"] == kind]


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    [found] = [m for m in of_kind(manifests, kind) if m["metadata"]["name"] == name]
    return found


def settings_configmap(manifests: list[Manifest]) -> Manifest:
    [found] = [
        m
        for m in of_kind(manifests, "ConfigMap")
        if m["metadata"]["name"].startswith("finhub-settings-")
    ]
    return found


def containers(manifest: Manifest) -> list[dict[str, Any]]:
    spec: list[dict[str, Any]] = manifest["spec"]["template"]["spec"]["containers"]
    return spec


def service_of(manifest: Manifest) -> str:
    """The image's service (`webhook-gateway`, `billing`...): `registry/finhub/<service>:tag`."""
    image: str = containers(manifest)[0]["image"]
    return image.rsplit("/", 1)[-1].split(":")[0]


def environment(
    manifest: Manifest, manifests: list[Manifest], secrets: dict[str, dict[str, str]]
) -> dict[str, str]:
    """What the first container's process sees: envFrom in order, then env (which wins)."""
    container = containers(manifest)[0]
    values: dict[str, str] = {}
    configmaps = {m["metadata"]["name"]: m["data"] for m in of_kind(manifests, "ConfigMap")}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            values.update(configmaps[source["configMapRef"]["name"]])
        else:
            values.update(secrets[source["secretRef"]["name"]])
    for variable in container.get("env", []):
        if "value" in variable:
            values[variable["name"]] = variable["value"]
        else:
            reference = variable["valueFrom"]["secretKeyRef"]
            values[variable["name"]] = secrets[reference["name"]][reference["key"]]
    return values


def service_deployments(manifests: list[Manifest]) -> list[Manifest]:
    return [m for m in of_kind(manifests, "Deployment") if service_of(m) in _settings_classes()]


def max_pods(manifest: Manifest, manifests: list[Manifest]) -> int:
    """The most copies the autoscaler (HPA or KEDA) may run, else the fixed count."""
    name = manifest["metadata"]["name"]
    for hpa in of_kind(manifests, "HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] == name:
            return int(hpa["spec"]["maxReplicas"])
    for scaled in of_kind(manifests, "ScaledObject"):
        if scaled["spec"]["scaleTargetRef"]["name"] == name:
            return int(scaled["spec"]["maxReplicaCount"])
    return int(manifest["spec"]["replicas"])


def setting(values: dict[str, str], settings: type[ServiceSettings], field: str) -> int:
    alias = settings.model_fields[field].validation_alias
    assert isinstance(alias, str)
    default = settings.model_fields[field].default
    return int(values.get(alias, default))


def database_url_variable(settings: type[ServiceSettings]) -> str:
    alias = settings.model_fields["database_url"].validation_alias
    assert isinstance(alias, str)
    return alias


def pgbouncer_ini(manifests: list[Manifest]) -> configparser.ConfigParser:
    [configmap] = [
        m
        for m in of_kind(manifests, "ConfigMap")
        if m["metadata"]["name"].startswith("pgbouncer-config-")
    ]
    parser = configparser.ConfigParser(allow_no_value=True, interpolation=None)
    parser.read_string(configmap["data"]["pgbouncer.ini"])
    return parser


def test_database_connections_fit_postgresql_max_connections(
    manifests: list[Manifest], secrets: dict[str, dict[str, str]]
) -> None:
    namespace = of_kind(manifests, "Namespace")[0]["metadata"]["annotations"]
    budget = int(namespace["finhub/postgresql-max-connections"]) - int(
        namespace["finhub/postgresql-reserved-connections"]
    )
    pooler = pgbouncer_ini(manifests)["pgbouncer"]
    pgbouncer = named(manifests, "Deployment", "pgbouncer")
    # A surge copy during a rollout would open connections the budget does not count.
    assert pgbouncer["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0
    pooled_servers = max_pods(pgbouncer, manifests) * int(pooler["max_db_connections"])
    clients_of_pgbouncer = 0
    for service, settings in _database_settings_classes().items():
        deployments = [m for m in service_deployments(manifests) if service_of(m) == service]
        assert deployments, service
        connections = 0
        through_pgbouncer = set()
        for deployment in deployments:
            values = environment(deployment, manifests, secrets)
            url = values[database_url_variable(settings)]
            through_pgbouncer.add(urlsplit(url).hostname == "pgbouncer")
            pool = setting(values, settings, "database_pool_size") + setting(
                values, settings, "database_max_overflow"
            )
            command = containers(deployment)[0]["args"][0]
            per_pod = pool + EXTRA_CONNECTIONS.get((service, command), 0)
            connections += max_pods(deployment, manifests) * per_pod
        # One path per database; the migration Job always connects directly.
        [pooled] = through_pgbouncer
        if pooled:
            clients_of_pgbouncer += connections
            assert pooled_servers + 1 <= budget, service
        else:
            assert connections + 1 <= budget, (service, connections, budget)
    # Each PgBouncer copy may be handed every client at once.
    assert clients_of_pgbouncer <= int(pooler["max_client_conn"])


def test_services_behind_pgbouncer_keep_no_prepared_statements(
    manifests: list[Manifest], secrets: dict[str, dict[str, str]]
) -> None:
    assert pgbouncer_ini(manifests)["pgbouncer"]["pool_mode"] == "transaction"
    for deployment in service_deployments(manifests):
        settings = _settings_classes()[service_of(deployment)]
        if settings not in _database_settings_classes().values():
            continue
        values = environment(deployment, manifests, secrets)
        if urlsplit(values[database_url_variable(settings)]).hostname == "pgbouncer":
            cache = setting(values, settings, "database_statement_cache_size")
            assert cache == 0, name_of(deployment)


def test_every_deployment_is_probed(manifests: list[Manifest]) -> None:
    deployments = of_kind(manifests, "Deployment")
    assert len(deployments) >= 10
    for deployment in deployments:
        for container in containers(deployment):
            assert "livenessProbe" in container, name_of(deployment)
            assert "readinessProbe" in container, name_of(deployment)


def test_apis_scale_on_cpu_from_a_measured_request_and_workers_on_queue_depth(
    manifests: list[Manifest],
) -> None:
    for hpa in of_kind(manifests, "HorizontalPodAutoscaler"):
        api = named(manifests, "Deployment", hpa["spec"]["scaleTargetRef"]["name"])
        cpu = containers(api)[0]["resources"]["requests"]["cpu"]
        # 100m at 70% scaled out at 70 millicores, an idle API's noise (deploy/README.md).
        assert cpu.endswith("m"), name_of(api)
        assert int(cpu.removesuffix("m")) >= 250, name_of(api)
    scaled = of_kind(manifests, "ScaledObject")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled} == {
        "billing-worker",
        "banking-worker",
    }
    for scaled_object in scaled:
        for trigger in scaled_object["spec"]["triggers"]:
            assert trigger["type"] == "rabbitmq"
            assert trigger["metadata"]["mode"] == "QueueLength"


def test_argo_cd_applies_settings_then_migrations_then_the_rest(
    manifests: list[Manifest],
) -> None:
    def wave(manifest: Manifest) -> int:
        annotations = manifest["metadata"].get("annotations", {})
        return int(annotations.get("argocd.argoproj.io/sync-wave", "0"))

    jobs = of_kind(manifests, "Job")
    assert len(jobs) == 4
    for job in jobs:
        annotations = job["metadata"]["annotations"]
        # PreSync hooks run before any manifest is applied, and the hashed ConfigMap they read
        # does not exist yet on a first sync or after a settings change.
        assert annotations["argocd.argoproj.io/hook"] == "Sync", name_of(job)
        assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
        for source in containers(job)[0]["envFrom"]:
            configmap = named(manifests, "ConfigMap", source["configMapRef"]["name"])
            assert wave(configmap) < wave(job), name_of(job)
        for deployment in of_kind(manifests, "Deployment"):
            if deployment["metadata"]["name"] != "pgbouncer":
                assert wave(job) < wave(deployment), name_of(deployment)
    namespace = of_kind(manifests, "Namespace")[0]
    assert wave(namespace) < min(wave(m) for m in manifests if m is not namespace)


def _production_environment(
    manifests: list[Manifest], secrets: dict[str, dict[str, str]]
) -> Iterator[tuple[Manifest, type[ServiceSettings], dict[str, str]]]:
    for deployment in service_deployments(manifests):
        settings = _settings_classes()[service_of(deployment)]
        yield deployment, settings, environment(deployment, manifests, secrets)


def test_production_settings_hold_no_local_address(
    manifests: list[Manifest], secrets: dict[str, dict[str, str]]
) -> None:
    for deployment, settings, values in _production_environment(manifests, secrets):
        for variable, value in values.items():
            assert not points_at_this_machine(value), (name_of(deployment), variable)
        # A setting whose default points at this machine must be set, or production uses it.
        for name, field in settings.model_fields.items():
            # A process without a broker (the console) never reads AMQP_URL.
            if field.is_required() or (name == "amqp_url" and not settings.uses_broker):
                continue
            default = field.get_default(call_default_factory=True, validated_data={})
            if default is None:
                continue
            text = default.get_secret_value() if isinstance(default, SecretStr) else str(default)
            if points_at_this_machine(text):
                assert field.validation_alias in values, (name_of(deployment), name)


def test_the_console_calls_services_of_the_manifests(
    manifests: list[Manifest], secrets: dict[str, dict[str, str]]
) -> None:
    [console] = [m for m in service_deployments(manifests) if service_of(m) == "console"]
    values = environment(console, manifests, secrets)
    services = {
        (service["metadata"]["name"], port["port"])
        for service in of_kind(manifests, "Service")
        for port in service["spec"]["ports"]
    }
    settings = ConsoleSettings.model_fields
    own = [
        name
        for name in settings
        if name.endswith("_url") and name not in ServiceSettings.model_fields
    ]
    urls = [values[str(settings[name].validation_alias)] for name in own]
    urls += [target.split("=", 1)[1] for target in values["CONSOLE_HEALTH_TARGETS"].split(",")]
    # Every API and worker of the manifests is on the health page.
    assert len(urls) == 4 + 1 + len(service_deployments(manifests)) - 1
    for url in urls:
        parts = urlsplit(url)
        if parts.hostname != "api.pluggy.ai":
            assert (parts.hostname, parts.port) in services, url


def _real(variable: str, value: str) -> str:
    """A template's placeholder replaced by a value of the shape the setting takes."""
    if variable == "MFA_ENCRYPTION_KEY":
        return Fernet.generate_key().decode()
    return value.replace("change-me", "c2VjcmV0LXZhbHVlLTEyMzQ1Njc4OTAtYWJjZGVmZ2hpams").replace(
        ".example", ".finhub.com.br"
    )


def _load(
    settings: type[ServiceSettings], values: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> ServiceSettings:
    with monkeypatch.context() as patch:
        for variable in list(os.environ):
            patch.delenv(variable)
        for variable, value in values.items():
            patch.setenv(variable, value)
        return load_settings(settings, "service")


def test_services_refuse_the_shipped_placeholders_and_start_once_they_are_replaced(
    manifests: list[Manifest],
    secrets: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # No .env here: only what the manifests give.
    monkeypatch.chdir(tmp_path)
    for deployment, settings, values in _production_environment(manifests, secrets):
        assert values["ENVIRONMENT"] == "production"
        read = {field.validation_alias for field in settings.model_fields.values()}
        real = {variable: _real(variable, value) for variable, value in values.items()}
        placeholders = [v for v in read & set(values) if real[v] != values[v]]
        assert placeholders, name_of(deployment)
        # Each placeholder alone is enough for the service to refuse, naming it.
        for variable in placeholders:
            with pytest.raises(MissingSettingError, match=variable):
                _load(settings, {**real, variable: values[variable]}, monkeypatch)
        loaded = _load(settings, real, monkeypatch)
        assert loaded.production_problems() == [], name_of(deployment)


def _apps() -> dict[str, Callable[[], FastAPI]]:
    from banking.main import create_app as banking
    from billing.main import create_app as billing
    from live.main import create_app as live
    from webhook_gateway.main import create_admin_app, create_app

    return {
        "gateway": create_app,
        "gateway-admin": create_admin_app,
        "billing": billing,
        "banking": banking,
        "live": live,
    }


@pytest.mark.parametrize("service", sorted(_apps()))
def test_every_route_is_declared_without_a_trailing_slash(service: str) -> None:
    paths = list(_apps()[service]().openapi()["paths"])
    assert paths
    assert [path for path in paths if path.endswith("/")] == []


@pytest.mark.asyncio
async def test_a_trailing_slash_is_answered_not_redirected() -> None:
    router = APIRouter(prefix="/api/things")

    @router.get("")
    async def things() -> list[str]:
        return ["one"]

    settings = GatewaySettings.model_construct(
        max_request_body_bytes=1024, amqp_url="amqp://unused"
    )
    app = create_service_app(
        service="test",
        title="test",
        settings=settings,
        database_url="postgresql://x/y",
        routers=[router],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.test") as client:
        for path in ("/api/things", "/api/things/"):
            response = await client.get(path)
            assert (response.status_code, response.json()) == (200, ["one"]), path


def test_postgresql_and_rabbitmq_versions_agree_across_compose_manifests_and_readme(
    manifests: list[Manifest],
) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    postgresql = compose["postgres"]["image"].split(":")[1]
    rabbitmq = compose["rabbitmq"]["image"].split(":")[1].removesuffix("-management")
    namespace = of_kind(manifests, "Namespace")[0]["metadata"]["annotations"]
    assert namespace["finhub/postgresql-version"] == postgresql
    assert namespace["finhub/rabbitmq-version"] == rabbitmq
    # Supported upstream: PostgreSQL 13 and older are out of support, RabbitMQ 3.x too.
    assert int(postgresql) >= 14
    assert int(rabbitmq.split(".")[0]) >= 4
    for readme in (ROOT / "README.md", ROOT / "deploy" / "README.md"):
        text = readme.read_text()
        assert f"PostgreSQL {postgresql}" in text, readme
        assert f"RabbitMQ {rabbitmq}" in text, readme
        assert not re.search(r"RabbitMQ 3\.\d+ or later", text), readme


PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


@pytest.fixture
def pgbouncer(tmp_path: Path) -> Iterator[str]:
    """A private PgBouncer in transaction mode with two server connections, in front of the
    test PostgreSQL."""
    assert Path(PGBOUNCER).exists(), "pgbouncer is missing: run scripts/pgbouncer.sh"
    server = urlsplit(os.environ["POSTGRES_ADMIN_URL"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "pgbouncer.ini"
    config.write_text(
        f"[databases]\nfinhub = host={server.hostname} port={server.port or 5432}"
        f" dbname={server.path.lstrip('/')} user={server.username}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\ndefault_pool_size = 2\n"
        "ignore_startup_parameters = extra_float_digits\n"
    )
    # PgBouncer will not run as root; as nobody it must read its configuration.
    tmp_path.chmod(0o755)
    config.chmod(0o644)
    command = [PGBOUNCER, str(config)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "nobody"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.1)
        yield f"postgresql://anyone@127.0.0.1:{port}/finhub"
    finally:
        process.terminate()
        process.wait(10)


async def _transactions_moving_between_server_connections(
    url: str, statement_cache_size: int
) -> None:
    """Client B prepares a statement on one server connection, then its next transaction runs
    on the other one (PgBouncer hands out the most recently freed), as under load."""
    database = Database(
        url,
        application_name="test-pgbouncer",
        pool_size=2,
        statement_cache_size=statement_cache_size,
    )
    query = text("SELECT CAST(:n AS integer) + 1 WHERE pg_try_advisory_xact_lock(:n)")
    try:
        async with database.engine.connect() as a, database.engine.connect() as b:
            a_transaction = await a.begin()
            assert await a.scalar(query, {"n": 1}) == 2  # A holds one server connection
            b_transaction = await b.begin()
            assert await b.scalar(query, {"n": 2}) == 3  # so B gets the other
            await b_transaction.commit()
            await a_transaction.commit()  # A's server connection is now the last freed
            async with b.begin():
                assert await b.scalar(query, {"n": 3}) == 4
    finally:
        await database.dispose()


@pytest.mark.asyncio
async def test_the_database_edge_works_through_pgbouncer_in_transaction_mode(
    pgbouncer: str,
) -> None:
    # As deploy/k8s/settings.env sets it: no cache, a unique name for every statement.
    await _transactions_moving_between_server_connections(pgbouncer, statement_cache_size=0)
    # With asyncpg's cache, B reuses a statement that its new server connection never saw.
    with pytest.raises(DBAPIError, match="prepared statement"):
        await _transactions_moving_between_server_connections(pgbouncer, statement_cache_size=100)
