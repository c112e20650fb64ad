"""The demo brand's catalog: what a dealer sees after ``dinghuo demo``."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from dinghuo import demo
from dinghuo.core.catalog.models import Product, ProductImage
from dinghuo.core.inventory.channel import overstock_warnings
from dinghuo.core.inventory.models import ReorderPolicy, StockMovement
from dinghuo.platform.auth.models import User
from dinghuo.platform.auth.service import issue_token


def _token(db, tenant_id: int, email: str) -> str:
    with db.transaction(tenant_id) as session:
        user = session.scalar(select(User).where(User.email == email))
        secret, _ = issue_token(session, ttl=dt.timedelta(hours=1), user=user)
    return secret


def _get(client, token: str, path: str, **kwargs):
    return client.get(
        path,
        base_url="http://demo.localhost",
        headers={"Authorization": f"Bearer {token}"},
        **kwargs,
    )


def test_the_demo_catalog_has_products_pictures_stock_and_history(app, db):
    info = demo.seed_demo(app)
    with db.session(info.tenant_id) as session:
        products = session.scalar(select(func.count(Product.id)))
        pictures = session.scalar(select(func.count(ProductImage.id)))
        shipments = session.scalar(
            select(func.count(StockMovement.id)).where(StockMovement.kind == "shipment")
        )
        points = session.scalars(select(ReorderPolicy.computed_reorder_point)).all()
        skus = {s.code: s.id for p in session.scalars(select(Product)) for s in p.skus}
        warnings = overstock_warnings(session, info.dealer_ids["CD003"], list(skus.values()))
    assert products >= 10 and pictures >= products
    assert shipments >= 3
    assert any(point > 0 for point in points), "shipments give some SKUs a reorder point"
    assert [w.sku_code for w in warnings] == ["NOVA12-BLK-256"]


def test_demo_dealers_see_their_tier_and_contract_prices(app, db, client):
    info = demo.seed_demo(app)
    tier_a = _token(db, info.tenant_id, "buyer@xingchen.example.com")
    tier_c = _token(db, info.tenant_id, "buyer@shulian.example.com")
    contract = _token(db, info.tenant_id, "buyer@xuntong.example.com")
    search = _get(client, tier_a, "/api/v1/catalog/search", query_string={"q": "雅丹黑"}).json
    black = next(hit for hit in search["items"] if hit["sku_code"] == "MATE60P-BLK-512")
    mate = _get(client, tier_a, f"/api/v1/catalog/products/{black['product_id']}").json
    offer = next(sku for sku in mate["skus"] if sku["code"] == "MATE60P-BLK-512")
    assert offer["price"]["source"] == "tier" and offer["price"]["unit_price"] == "6203.00"
    assert len(offer["price"]["breaks"]) == 3
    assert len(mate["images"]) == 3 and mate["related"]
    x7 = _get(client, tier_a, "/api/v1/catalog/search", query_string={"q": "X7"}).json["items"]
    assert x7 and x7[0]["product_code"] == "X7"
    assert (
        _get(client, tier_c, f"/api/v1/catalog/products/{x7[0]['product_id']}").status_code == 404
    )
    nova = _get(client, contract, "/api/v1/catalog/search", query_string={"q": "nova"}).json
    assert {hit["price"]["source"] for hit in nova["items"]} == {"contract"}


def test_the_demo_portal_pages_render_for_a_tier_a_buyer(app, db):
    info = demo.seed_demo(app)
    browser = app.test_client()
    base = "http://demo.localhost"
    login = browser.get("/login", base_url=base).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', login).group(1)
    browser.post(
        "/login",
        base_url=base,
        data={"csrf_token": csrf, "email": "buyer@xingchen.example.com", "password": info.password},
    )
    home = browser.get("/catalog", base_url=base)
    assert home.status_code == 200
    assert home.get_data(as_text=True).count('class="card category-card"') == 4
    with db.session(info.tenant_id) as session:
        mate = session.scalar(select(Product.id).where(Product.code == "MATE60P"))
    page = browser.get(f"/catalog/products/{mate}", base_url=base).get_data(as_text=True)
    assert page.count("<tr data-sku=") == 6
    assert page.count("data-related=") == 4
    assert "麒麟 9000S" in page
