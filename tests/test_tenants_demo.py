"""The demo brand that ``dinghuo demo`` and ``make run`` seed."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select, text

from dinghuo import cli, demo
from dinghuo.core.crm.models import Dealer
from dinghuo.db import tenant_tables
from dinghuo.platform.auth.models import PlatformAdmin, User


def _row_counts(owner_engine, tenant_id: int) -> dict[str, int]:
    with owner_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
        return {
            table: connection.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE tenant_id = :t'), {"t": tenant_id}
            ).scalar()
            for table in tenant_tables()
        }


def test_demo_seeds_a_brand_with_staff_dealers_and_their_buyers(app, db):
    info = demo.seed_demo(app)
    with db.session(info.tenant_id) as session:
        roles = sorted(session.scalars(select(User.role)).all())
        dealers = session.scalars(select(Dealer).order_by(Dealer.code)).all()
        addresses = {d.code: [(a.kind.value, a.province) for a in d.addresses] for d in dealers}
        reps = {d.sales_rep_id for d in dealers}
    assert info.tenant_slug == "demo"
    assert "鼎新数码" in info.tenant_name and "Dingxin" in info.tenant_name
    assert {r.value for r in roles} >= {"owner", "sales", "warehouse", "finance", "buyer"}
    assert len(dealers) >= 2
    for dealer in dealers:
        assert dealer.name_zh and dealer.name_en and dealer.region
        assert dealer.credit_limit >= 0
        assert {kind for kind, _ in addresses[dealer.code]} == {"ship_to", "bill_to"}
        assert all(province.endswith("省") for _, province in addresses[dealer.code])
    assert len(reps) == 1 and None not in reps
    dealer_users = [login for login in info.logins if login.dealer]
    assert {login.role for login in dealer_users} == {"dealer_admin", "buyer"}
    assert len({login.dealer for login in dealer_users}) == len(dealers)


def test_demo_is_idempotent(app, db, owner_engine):
    first = demo.seed_demo(app)
    counts = _row_counts(owner_engine, first.tenant_id)
    second = demo.seed_demo(app)
    assert second.tenant_id == first.tenant_id
    assert second.dealer_ids == first.dealer_ids
    assert second.logins == first.logins
    assert _row_counts(owner_engine, first.tenant_id) == counts
    with db.session() as session:
        admins = session.scalar(select(func.count(PlatformAdmin.id)))
    assert admins == 1


def test_every_printed_demo_login_signs_in(app, db):
    info = demo.seed_demo(app)
    client = app.test_client()
    for login in info.logins:
        response = client.post(
            "/api/v1/auth/login",
            base_url="http://demo.localhost",
            json={"email": login.email, "password": info.password},
        )
        assert response.status_code == 200, (login, response.json)
        assert response.json["user"]["role"] == login.role
    platform = client.post(
        "/api/v1/platform/auth/login",
        base_url="http://localhost",
        json={"email": info.platform_email, "password": info.platform_password},
    )
    assert platform.status_code == 200, platform.json


def test_demo_description_names_the_urls_and_logins(app):
    text_ = demo.seed_demo(app).describe("localhost", "5000")
    assert "http://demo.localhost:5000/console" in text_
    assert "http://demo.localhost:5000/" in text_
    assert "http://localhost:5000/platform" in text_
    assert demo.DEMO_PASSWORD in text_ and demo.PLATFORM_PASSWORD in text_
    assert "owner@dingxin.example.com" in text_
    assert ":80/" not in demo.seed_demo(app).describe("dinghuo.example.com", "80")


def test_demo_command_prints_the_description(app, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "/console" in result.output and demo.DEMO_PASSWORD in result.output
