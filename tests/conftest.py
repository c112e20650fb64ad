"""Fixtures: a migrated database, the app, and two seeded tenants.

Every test starts with two tenants (``acme`` and ``globex``), each with one
user per staff role and a dealer with a dealer admin and a buyer, so a
cross-tenant test is one line. The database is migrated once per session;
after each test every table is emptied.

``DINGHUO_TEST_DATABASE_URL`` (the app's role) and
``DINGHUO_TEST_MIGRATION_DATABASE_URL`` (the owner) switch the suite to
PostgreSQL; ``DINGHUO_TEST_REDIS_URL`` to Redis-backed jobs. Under ``CI=true``
a configured service that cannot be reached fails the run instead of skipping.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from dinghuo.app import create_app
from dinghuo.config import Settings, load_settings
from dinghuo.db import Base, make_engine
from dinghuo.migrate import upgrade
from dinghuo.plugins import PluginInfo, hookimpl

pytest_plugins = ["fixtures_catalog", "fixtures_orders"]

PASSWORD = "correct-horse-42"


def _missing_service(reason: str) -> NoReturn:
    """Skip a test whose service this run does not provide, or fail it under CI.

    CI's first pass is the embedded mode (SQLite, inline jobs) and says so with
    ``DINGHUO_TEST_EMBEDDED=1``: there a Redis test is skipped, with its reason
    in the summary, because the services pass runs it. Any other CI run that
    lacks the service fails, so CI never passes by skipping.
    """
    if os.environ.get("CI") == "true" and os.environ.get("DINGHUO_TEST_EMBEDDED") != "1":
        pytest.fail(f"{reason}: CI must run this test")
    pytest.skip(reason)


@pytest.fixture
def missing_service():
    """``missing_service(reason)``: skip, or fail under CI outside the embedded pass."""
    return _missing_service


STAFF_ROLES = ("owner", "admin", "sales", "warehouse", "finance")


def _database_urls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str | None, str | None]:
    url = os.environ.get("DINGHUO_TEST_DATABASE_URL")
    if url:
        return (
            url,
            os.environ.get("DINGHUO_TEST_MIGRATION_DATABASE_URL"),
            os.environ.get("DINGHUO_TEST_APP_DB_ROLE"),
        )
    path = tmp_path_factory.mktemp("db") / "test.db"
    return f"sqlite:///{path}", None, None


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    url, migration_url, app_role = _database_urls(tmp_path_factory)
    instance = tmp_path_factory.mktemp("instance")
    return load_settings(
        {
            "database_url": url,
            "migration_database_url": migration_url,
            "app_db_role": app_role,
            "redis_url": os.environ.get("DINGHUO_TEST_REDIS_URL") or None,
            "secret_key": "test-secret-key-not-for-production",
            "instance_dir": instance,
            "testing": True,
            "autoload_plugins": False,
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 1024,
            "log_json": False,
            "login_rate_limit": "1000 per minute",
        }
    )


@pytest.fixture(scope="session")
def migrated(settings: Settings) -> Settings:
    try:
        upgrade(settings)
    except Exception as exc:  # noqa: BLE001 - reported as a failure under CI
        if os.environ.get("CI") == "true" or not settings.is_postgres:
            raise
        pytest.skip(f"database unreachable: {exc}")
    return settings


@pytest.fixture(scope="session")
def _app(migrated: Settings) -> Iterator[Flask]:
    app = create_app(migrated)
    yield app
    app.extensions["dinghuo.db"].dispose()
    for engine in _owner_engines.values():
        engine.dispose()


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    yield _app
    settings = _app.config["SETTINGS"]
    _empty_all_tables(settings)
    shutil.rmtree(settings.media_root, ignore_errors=True)


def _empty_all_tables(settings: Settings) -> None:
    engine = _owner_engine(settings)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))


_owner_engines: dict[str, Any] = {}


def _owner_engine(settings: Settings):
    url = settings.migration_database_url or settings.database_url
    if url not in _owner_engines:
        _owner_engines[url] = make_engine(url)
    return _owner_engines[url]


@pytest.fixture
def owner_engine(app: Flask):
    """A connection as the tables' owner (bypasses nothing but the app's grants)."""
    return _owner_engine(app.config["SETTINGS"])


@pytest.fixture
def db(app: Flask):
    return app.extensions["dinghuo.db"]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class TenantWorld:
    """One seeded tenant: ids and a logged-in API client per user."""

    id: int
    slug: str
    host: str
    users: dict[str, Any] = field(default_factory=dict)
    dealer_id: int = 0
    other_dealer_id: int = 0
    tokens: dict[str, str] = field(default_factory=dict)


class Api:
    """A test client speaking to one tenant as one principal."""

    def __init__(self, client: FlaskClient, host: str, token: str | None = None) -> None:
        self.client = client
        self.base_url = f"http://{host}"
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = dict(headers or {})
        if self.token:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def request(self, method: str, path: str, **kwargs: Any):
        kwargs["headers"] = self._headers(kwargs.get("headers"))
        return self.client.open(path, method=method, base_url=self.base_url, **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any):
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any):
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any):
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.request("DELETE", path, **kwargs)


def seed_tenant(app: Flask, slug: str, name: str) -> TenantWorld:
    """A tenant with one user per role, two dealers and a token for each user."""
    import datetime as dt

    from dinghuo.core.crm.service import create_dealer
    from dinghuo.platform.auth.models import Role
    from dinghuo.platform.auth.service import create_user, issue_token
    from dinghuo.platform.tenants.service import create_tenant

    database = app.extensions["dinghuo.db"]
    with database.transaction() as session:
        onboarded = create_tenant(
            session,
            None,
            slug=slug,
            name=name,
            owner_email=f"owner@{slug}.test",
            owner_password=PASSWORD,
        )
        tenant = onboarded.tenant
        world = TenantWorld(id=tenant.id, slug=slug, host=f"{slug}.localhost")
        world.users["owner"] = onboarded.owner
        for role in STAFF_ROLES[1:]:
            world.users[role] = create_user(
                session,
                email=f"{role}@{slug}.test",
                name=role.title(),
                role=Role(role),
                password=PASSWORD,
            )
        dealer = create_dealer(
            session, None, code="D001", name_zh=f"{name}华东经销商", name_en=f"{name} East"
        )
        other = create_dealer(
            session, None, code="D002", name_zh=f"{name}华南经销商", name_en=f"{name} South"
        )
        world.dealer_id, world.other_dealer_id = dealer.id, other.id
        world.users["dealer_admin"] = create_user(
            session,
            email=f"dealer-admin@{slug}.test",
            name="Dealer Admin",
            role=Role.DEALER_ADMIN,
            password=PASSWORD,
            dealer_id=dealer.id,
        )
        world.users["buyer"] = create_user(
            session,
            email=f"buyer@{slug}.test",
            name="Buyer",
            role=Role.BUYER,
            password=PASSWORD,
            dealer_id=dealer.id,
        )
        world.users["other_buyer"] = create_user(
            session,
            email=f"other-buyer@{slug}.test",
            name="Other Buyer",
            role=Role.BUYER,
            password=PASSWORD,
            dealer_id=other.id,
        )
        for key, user in world.users.items():
            world.tokens[key], _ = issue_token(session, ttl=dt.timedelta(hours=1), user=user)
    return world


@pytest.fixture
def acme(app: Flask) -> TenantWorld:
    return seed_tenant(app, "acme", "Acme 数码")


@pytest.fixture
def globex(app: Flask) -> TenantWorld:
    return seed_tenant(app, "globex", "Globex 电子")


@pytest.fixture
def api(client: FlaskClient):
    """``api(world, "owner")`` speaks to that tenant as that user; ``api(world)`` anonymously."""

    def make(world: TenantWorld, who: str | None = None) -> Api:
        return Api(client, world.host, world.tokens[who] if who else None)

    return make


@pytest.fixture
def platform_admin(app: Flask) -> str:
    """A platform operator's bearer token."""
    import datetime as dt

    from dinghuo.platform.auth.service import create_platform_admin, issue_platform_token

    with app.extensions["dinghuo.db"].transaction() as session:
        admin = create_platform_admin(session, "ops@dinghuo.test", "Ops", PASSWORD)
        secret, _ = issue_platform_token(session, admin, dt.timedelta(hours=1))
    return secret


@pytest.fixture
def platform_api(client: FlaskClient, platform_admin: str) -> Api:
    return Api(client, "localhost", platform_admin)


ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def run_jobs(app: Flask):
    """``run_jobs()`` runs the background jobs enqueued so far, whatever the job backend.

    Without Redis they already ran inline when their transaction committed, so
    it does nothing; with ``DINGHUO_TEST_REDIS_URL`` it runs a burst worker over
    every tenant's queue (due delayed jobs included).
    """

    def run() -> None:
        if app.config["SETTINGS"].redis_url:
            from dinghuo.platform.jobs.worker import run_worker

            run_worker(app, burst=True)

    return run


class RecordingPlugin:
    """A test plugin that records the events it receives and fails on demand.

    ``fail`` is an event type (or ``True`` for all) on which ``dinghuo_event``
    raises; ``delay`` makes each delivery take that many seconds.
    """

    def __init__(self, name: str, *, fail: str | bool = False, delay: float = 0.0) -> None:
        self.name = name
        self.fail = fail
        self.delay = delay
        self.events: list[Any] = []
        self.settings: list[dict[str, Any]] = []

    def received(self) -> list[tuple[str, str, str]]:
        return [(e.type, e.aggregate_type, e.aggregate_id) for e in self.events]

    @hookimpl
    def dinghuo_plugin_info(self):
        return PluginInfo(name=self.name, version="0.1.0", api_versions=">=1.0,<2")

    @hookimpl
    def dinghuo_event(self, event, settings):
        if self.delay:
            time.sleep(self.delay)
        if self.fail is True or self.fail == event.type:
            raise RuntimeError(f"{self.name} refuses {event.type}")
        self.events.append(event)
        self.settings.append(dict(settings))


@pytest.fixture
def plugin_host(app: Flask):
    """The app's plugin host; plugins registered by the test are removed afterwards."""
    host = app.extensions["dinghuo.plugins"]
    before = {plugin.name for plugin in host.plugins}
    refused = list(host.refused)
    yield host
    for plugin in host.plugins:
        if plugin.name not in before:
            host.unregister(plugin.name)
    host.refused[:] = refused


@pytest.fixture
def recording_plugin(plugin_host):
    """``recording_plugin("erp", fail=...)`` registers a :class:`RecordingPlugin`."""

    def make(name: str, **options: Any) -> RecordingPlugin:
        plugin = RecordingPlugin(name, **options)
        plugin_host.register(plugin, source="test")
        return plugin

    return make


@pytest.fixture
def enable_plugin(app: Flask, plugin_host):
    """``enable_plugin(world, "name", settings)`` turns a plugin on for that tenant."""
    from dinghuo.plugins.service import configure_plugin

    def enable(world: TenantWorld, name: str, settings: dict[str, Any] | None = None) -> None:
        with app.extensions["dinghuo.db"].transaction(world.id) as session:
            configure_plugin(session, None, plugin_host, name, enabled=True, settings=settings)

    return enable


class Visitor:
    """A Flask test client used like a browser on one host: cookies, forms, CSRF tokens."""

    CSRF = re.compile(
        r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
    )

    def __init__(self, client: FlaskClient, host: str) -> None:
        self.client = client
        self.host = host
        self.base_url = f"http://{host}"

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, base_url=self.base_url, **kwargs)

    def csrf_token(self, page: str = "/login") -> str:
        """The CSRF token of this browser's session, read from a form on ``page``."""
        match = self.CSRF.search(self.get(page).get_data(as_text=True))
        assert match, f"no CSRF token on {page}"
        return match.group(1) or match.group(2)

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        token_from: str = "/login",
        **kwargs: Any,
    ):
        """Submit a form as the page would, with this session's CSRF token."""
        form = {"csrf_token": self.csrf_token(token_from), **(data or {})}
        return self.client.post(path, base_url=self.base_url, data=form, **kwargs)

    def login(self, email: str, password: str = PASSWORD, path: str = "/console/login"):
        return self.post(path, {"email": email, "password": password}, token_from=path)


@pytest.fixture
def visitor(app: Flask):
    """``visitor(world)``: a fresh cookie jar on that tenant's host (``visitor()``: the base domain)."""

    def make(world: TenantWorld | None = None) -> Visitor:
        return Visitor(app.test_client(), world.host if world else "localhost")

    return make
