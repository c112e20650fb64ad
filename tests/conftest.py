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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

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
    _without_fsync(app.extensions["dinghuo.db"].engine)
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
    """Leave every table empty and every id sequence restarted, as a fresh database.

    PostgreSQL: ``TRUNCATE`` of ~75 tables costs a third of a second (new files
    for each table, index and sequence), more than most tests. A test leaves
    rows in a few small tables, so deleting what is there is far cheaper: the
    owner finds the tables that hold rows and deletes them children first, once
    per tenant bound (RLS is forced, so the owner sees one tenant at a time),
    then the tables without RLS, then restarts the sequences that were used.
    Any error falls back to the ``TRUNCATE``.
    """
    engine = _owner_engine(settings)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if engine.dialect.name == "postgresql":
        try:
            _delete_rows_postgres(engine, tables)
        except Exception as exc:  # noqa: BLE001 - the TRUNCATE below empties whatever is left
            _cleanup_fallbacks.append(repr(exc))
        else:
            return
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        return
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f'DELETE FROM "{table}"'))


def _delete_rows_postgres(engine, tables: list[str]) -> None:
    """Delete every row (children first) and restart used sequences; see above."""
    policed = _policed_tables(engine)
    scoped = [t for t in tables if t in policed]
    unscoped = [t for t in tables if t not in policed]
    with engine.begin() as connection:
        tenant_ids = connection.execute(text("SELECT id FROM tenants")).scalars().all()
        for tenant_id in tenant_ids:
            connection.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
            _delete_nonempty(connection, scoped)
        connection.execute(text("SELECT set_config('app.tenant_id', '', true)"))
        _delete_nonempty(connection, unscoped)
        used = (
            connection.execute(
                text(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
                    "FROM pg_sequences WHERE schemaname = current_schema() "
                    "AND last_value IS NOT NULL"
                )
            )
            .scalars()
            .all()
        )
        for sequence in used:
            connection.execute(text("SELECT setval(:s, 1, false)"), {"s": sequence})


def _delete_nonempty(connection, tables: list[str]) -> None:
    """``DELETE FROM`` each of ``tables`` (in the order given) that has a visible row."""
    probe = " UNION ALL ".join(
        f'SELECT {i} WHERE EXISTS (SELECT 1 FROM "{t}")' for i, t in enumerate(tables)
    )
    nonempty = set(connection.execute(text(probe)).scalars())
    for i, table in enumerate(tables):
        if i in nonempty:
            connection.execute(text(f'DELETE FROM "{table}"'))


_cleanup_fallbacks: list[str] = []
"""Why the cheap PostgreSQL cleanup fell back to ``TRUNCATE`` (reported after the run)."""


def pytest_terminal_summary(terminalreporter) -> None:
    if _cleanup_fallbacks:
        terminalreporter.write_line(
            f"table cleanup fell back to TRUNCATE {len(_cleanup_fallbacks)} times; first: "
            f"{_cleanup_fallbacks[0]}"
        )


_policed: dict[str, frozenset[str]] = {}


def _policed_tables(engine) -> frozenset[str]:
    """The tables with forced row-level security (the owner sees one tenant's rows)."""
    key = str(engine.url)
    if key not in _policed:
        with engine.connect() as connection:
            _policed[key] = frozenset(
                connection.execute(
                    text(
                        "SELECT c.relname FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
                        "AND c.relrowsecurity AND c.relforcerowsecurity"
                    )
                ).scalars()
            )
    return _policed[key]


_owner_engines: dict[str, Any] = {}


def _without_fsync(engine) -> None:
    """SQLite: commits do not wait for the disk (``synchronous=OFF``), as PostgreSQL's
    throwaway test database has ``synchronous_commit = off``. Connections already
    pooled are dropped, so every connection from now on has it."""
    if engine.dialect.name != "sqlite":
        return

    def pragma(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    event.listen(engine, "connect", pragma)
    engine.dispose()


def _owner_engine(settings: Settings):
    url = settings.migration_database_url or settings.database_url
    if url not in _owner_engines:
        _owner_engines[url] = make_engine(url)
        _without_fsync(_owner_engines[url])
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


class _OnceForPassword:
    """Hashes :data:`PASSWORD` once and hands out that hash again; anything else as usual.

    Argon2 is deliberately slow and a seeded tenant has eight users: reusing
    one hash (it verifies the same) takes most of the hashing out of each test.
    """

    def __init__(self, hasher: Any) -> None:
        self.hasher = hasher
        self.hashed: str | None = None

    def hash(self, password: str) -> str:
        if password != PASSWORD:
            return self.hasher.hash(password)
        if self.hashed is None:
            self.hashed = self.hasher.hash(password)
        return self.hashed


_once_for_password: dict[int, _OnceForPassword] = {}


@contextmanager
def _password_hashed_once() -> Iterator[None]:
    """While seeding, :data:`PASSWORD` is hashed once per session (per hasher settings)."""
    from dinghuo.platform.auth import passwords

    hasher = passwords._hasher
    once = _once_for_password.setdefault(id(hasher), _OnceForPassword(hasher))
    passwords._hasher = once
    try:
        yield
    finally:
        passwords._hasher = hasher


def seed_tenant(app: Flask, slug: str, name: str) -> TenantWorld:
    """A tenant with one user per role, two dealers and a token for each user."""
    import datetime as dt

    from dinghuo.core.crm.service import create_dealer
    from dinghuo.platform.auth.models import Role
    from dinghuo.platform.auth.service import create_user, issue_token
    from dinghuo.platform.tenants.service import create_tenant

    database = app.extensions["dinghuo.db"]
    with _password_hashed_once(), database.transaction() as session:
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
