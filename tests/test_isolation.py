"""Every API route keeps tenants apart, including routes written after this test.

The routes come from the app's own OpenAPI document, so a new endpoint is
covered the moment it is registered:

* A route with path parameters is called, with every method, by globex's
  owner on globex's host with *acme's* ids: the answer must be 404 (never
  403, which would confirm the id exists) and acme's rows must be exactly as
  they were, compared by a checksum of every tenant table read as the owner.
* A route without path parameters is called on acme's host with globex's
  token: 401, since a credential of one tenant is worthless at another.
* Platform routes (``/api/v1/platform/...``) serve operators only: a tenant
  token gets 401 on the base domain and 404 on a tenant's host.

Ids come from :data:`ACME_IDS`, keyed by path-parameter name. A parameter it
does not know fails the test with a message saying where to add it, and a
body this file cannot make valid (422 instead of 404) fails likewise: the
route would otherwise go unchecked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from dinghuo.core.catalog.models import (
    Brand,
    Category,
    DealerSkuCode,
    Product,
    ProductImage,
    Sku,
    SpecAttribute,
    Tag,
)
from dinghuo.core.crm.models import (
    AddressKind,
    DealerAddress,
    DealerContact,
    DealerGroup,
    DealerGroupMember,
)
from dinghuo.core.fulfilment.models import (
    ReturnLine,
    ReturnRequest,
    Shipment,
    ShipmentLine,
    ShippedSerial,
    TrackingEvent,
)
from dinghuo.core.fulfilment.service import storage as fulfilment_storage
from dinghuo.core.imports.models import ImportBatch, ImportKind
from dinghuo.core.inventory.models import (
    Reservation,
    StockAlert,
    StockLevel,
    StockMovement,
    Warehouse,
)
from dinghuo.core.orders.models import (
    Cart,
    CartLine,
    Order,
    OrderLine,
    RequisitionList,
    RequisitionListItem,
)
from dinghuo.core.orders.states import OrderStatus
from dinghuo.core.pricing.models import PriceList, PriceListItem
from dinghuo.db import Base, tenant_tables
from dinghuo.platform.auth.models import ApiToken, Invitation, OAuthClient, Role
from dinghuo.platform.jobs.models import JobRun
from dinghuo.platform.notifications.models import Notification
from dinghuo.platform.tenants.models import TenantDomain

API = "/api/v1"
PLATFORM = f"{API}/platform/"
METHODS = ("get", "post", "put", "patch", "delete")


# --- the objects of acme whose ids the routes are called with -----------------


def _seed_acme_objects(app, acme) -> dict[str, Any]:
    """One object of each kind in acme, created the way the app stores them."""
    with app.extensions["dinghuo.db"].transaction(acme.id) as session:
        group = DealerGroup(code="KA", name="重点客户")
        session.add(group)
        session.flush()
        session.add(DealerGroupMember(dealer_id=acme.dealer_id, group_id=group.id))
        address = DealerAddress(
            dealer_id=acme.dealer_id,
            kind=AddressKind.SHIP_TO,
            recipient="陈明",
            phone="13800000000",
            province="浙江省",
            city="杭州市",
            street="文三路 90 号",
        )
        contact = DealerContact(dealer_id=acme.dealer_id, name="周婷", phone="13900000000")
        client = OAuthClient(
            client_id="acme-erp",
            client_secret_hash="x" * 64,
            name="ERP",
            scopes=["dealers:read"],
        )
        invitation = Invitation(
            token_hash=hashlib.sha256(b"acme-invitation").hexdigest(),
            email="new@acme.test",
            name="New",
            role=Role.SALES,
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
        )
        job = JobRun(id=str(uuid.uuid4()), name="dinghuo.test.noop")
        session.add_all([address, contact, client, invitation, job])
        session.flush()
        buyer_token = session.scalar(
            select(ApiToken.id).where(ApiToken.user_id == acme.users["buyer"].id)
        )
        domain = TenantDomain(
            tenant_id=acme.id, hostname="order.acme.test", verification_token="t" * 32
        )
        session.add(domain)
        session.flush()
        catalog = _seed_acme_catalog(session, acme)
        orders = _seed_acme_orders(session, acme, catalog, address.id)
        return {
            **catalog,
            **orders,
            "tenant": acme.id,
            "dealer": acme.dealer_id,
            "user": acme.users["buyer"].id,
            "token": buyer_token,
            "group": group.id,
            "address": address.id,
            "contact": contact.id,
            "client": client.id,
            "client_key": client.client_id,
            "invitation": invitation.id,
            "job": job.id,
            "domain": domain.id,
        }


def _seed_acme_catalog(session, acme) -> dict[str, Any]:
    """A product with a SKU, image and specs; a price list; stock in a warehouse; an import."""
    category = Category(code="PHONE", name_zh="手机")
    brand = Brand(code="DX", name="鼎新")
    tag = Tag(name="新品")
    session.add_all([category, brand, tag])
    session.flush()
    attribute = SpecAttribute(category_id=category.id, code="screen", name_zh="屏幕尺寸")
    product = Product(
        code="X1", name_zh="鼎新 X1", brand_id=brand.id, category_id=category.id, status="active"
    )
    session.add_all([attribute, product])
    session.flush()
    sku = Sku(product_id=product.id, code="X1-BLK", variant={"颜色": "黑"})
    image = ProductImage(
        product_id=product.id, storage_key=f"{acme.id}/x1.png", content_type="image/png"
    )
    price_list = PriceList(code="TIER-A", name="A 级")
    warehouse = Warehouse(code="HZ", name="杭州仓")
    session.add_all([sku, image, price_list, warehouse])
    session.flush()
    item = PriceListItem(price_list_id=price_list.id, sku_id=sku.id, price=Decimal("100"))
    level = StockLevel(warehouse_id=warehouse.id, sku_id=sku.id, on_hand=5, reserved=1)
    movement = StockMovement(
        warehouse_id=warehouse.id,
        sku_id=sku.id,
        kind="receipt",
        on_hand_delta=5,
        on_hand_after=5,
        reserved_after=0,
        actor_type="system",
        actor_label="system",
    )
    reservation = Reservation(
        warehouse_id=warehouse.id,
        sku_id=sku.id,
        quantity=1,
        reference_type="test",
        reference_id="1",
    )
    alert = StockAlert(sku_id=sku.id, available=4, reorder_point=10, suggested_qty=20)
    code = DealerSkuCode(dealer_id=acme.dealer_id, sku_id=sku.id, code="MY-X1")
    batch = ImportBatch(kind=ImportKind.PRODUCTS, filename="p.csv", file_key=f"{acme.id}/p.csv")
    session.add_all([item, level, movement, reservation, alert, code, batch])
    session.flush()
    return {
        "category": category.id,
        "brand": brand.id,
        "tag": tag.id,
        "attribute": attribute.id,
        "product": product.id,
        "sku": sku.id,
        "image": image.id,
        "price_list": price_list.id,
        "price_list_item": item.id,
        "warehouse": warehouse.id,
        "movement": movement.id,
        "reservation": reservation.id,
        "alert": alert.id,
        "dealer_sku_code": code.id,
        "import": batch.id,
    }


def _seed_acme_orders(session, acme, catalog: dict[str, Any], address_id: int) -> dict[str, Any]:
    """A cart, a saved list, an order with a shipment, a serial, tracking, a return, a notice."""
    buyer = acme.users["buyer"].id
    cart = Cart(user_id=buyer, dealer_id=acme.dealer_id)
    saved = RequisitionList(dealer_id=acme.dealer_id, name="每周补货", created_by_id=buyer)
    order = Order(
        number="SO-000001",
        dealer_id=acme.dealer_id,
        status=OrderStatus.DELIVERED,
        created_by_id=buyer,
        ship_to_address_id=address_id,
        total=Decimal("100"),
    )
    session.add_all([cart, saved, order])
    session.flush()
    line = OrderLine(
        order_id=order.id,
        line_no=1,
        sku_id=catalog["sku"],
        sku_code="X1-BLK",
        name="鼎新 X1 黑",
        quantity=2,
        unit_price=Decimal("50"),
        shipped_quantity=2,
    )
    shipment = Shipment(
        number="SO-000001-1",
        order_id=order.id,
        warehouse_id=catalog["warehouse"],
        carrier="manual",
        label_path=fulfilment_storage(session).save(acme.id, "seed-label.pdf", b"%PDF-1.4"),
        label_content_type="application/pdf",
    )
    session.add_all(
        [
            CartLine(cart_id=cart.id, sku_id=catalog["sku"], quantity=1),
            RequisitionListItem(list_id=saved.id, sku_id=catalog["sku"], quantity=3),
            line,
            shipment,
        ]
    )
    session.flush()
    shipment_line = ShipmentLine(
        shipment_id=shipment.id, order_line_id=line.id, sku_id=catalog["sku"], quantity=2
    )
    tracking = TrackingEvent(
        shipment_id=shipment.id,
        occurred_at=dt.datetime.now(dt.UTC),
        status="delivered",
        source="staff",
    )
    returned = ReturnRequest(
        number="RMA-000001", order_id=order.id, dealer_id=acme.dealer_id, reason="屏幕坏点"
    )
    notice = Notification(user_id=buyer, kind="order.approved", title="订单已审核")
    session.add_all([shipment_line, tracking, returned, notice])
    session.flush()
    serial = ShippedSerial(
        serial="860000000000001",
        shipment_line_id=shipment_line.id,
        sku_id=catalog["sku"],
        order_id=order.id,
        dealer_id=acme.dealer_id,
    )
    session.add_all(
        [
            serial,
            ReturnLine(
                return_id=returned.id, order_line_id=line.id, sku_id=catalog["sku"], quantity=1
            ),
        ]
    )
    session.flush()
    return {
        "order": order.id,
        "order_line": line.id,
        "requisition_list": saved.id,
        "shipment": shipment.id,
        "tracking_event": tracking.id,
        "return": returned.id,
        "notification": notice.id,
        "serial": serial.serial,
    }


# Path-parameter name -> which of acme's objects it names. Add yours here.
ACME_IDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "tenant_id": lambda o: o["tenant"],
    "dealer_id": lambda o: o["dealer"],
    "user_id": lambda o: o["user"],
    "token_id": lambda o: o["token"],
    "group_id": lambda o: o["group"],
    "address_id": lambda o: o["address"],
    "contact_id": lambda o: o["contact"],
    "client_id": lambda o: o["client"],
    "client_pk": lambda o: o["client"],
    "invitation_id": lambda o: o["invitation"],
    "job_id": lambda o: o["job"],
    "domain_id": lambda o: o["domain"],
    "category_id": lambda o: o["category"],
    "brand_id": lambda o: o["brand"],
    "tag_id": lambda o: o["tag"],
    "attribute_id": lambda o: o["attribute"],
    "product_id": lambda o: o["product"],
    "sku_id": lambda o: o["sku"],
    "image_id": lambda o: o["image"],
    "price_list_id": lambda o: o["price_list"],
    "item_id": lambda o: o["price_list_item"],
    "warehouse_id": lambda o: o["warehouse"],
    "movement_id": lambda o: o["movement"],
    "reservation_id": lambda o: o["reservation"],
    "alert_id": lambda o: o["alert"],
    "code_id": lambda o: o["dealer_sku_code"],
    "import_id": lambda o: o["import"],
    "order_id": lambda o: o["order"],
    "line_id": lambda o: o["order_line"],
    "list_id": lambda o: o["requisition_list"],
    "shipment_id": lambda o: o["shipment"],
    "event_id": lambda o: o["tracking_event"],
    "return_id": lambda o: o["return"],
    "notification_id": lambda o: o["notification"],
    "serial": lambda o: o["serial"],
}

# Path parameters that name something global rather than a tenant's object:
# such a route acts on the caller's own tenant, so it is checked like a route
# without ids (another tenant's token is refused). By path template.
GLOBAL_PARAMS: dict[str, dict[str, str]] = {
    f"{API}/plugins/{{name}}": {"name": "logistics-demo"},  # plugin names are the platform's
    f"{API}/imports/templates/{{kind}}": {"kind": "products"},  # kinds are the platform's
    f"{API}/exports/{{kind}}": {"kind": "products"},
    f"{API}/carriers/{{name}}/tracking": {"name": "kuaidi100"},  # carrier plugin names
}

# Bodies for operations whose schema alone cannot yield a valid request
# (validators that the OpenAPI document does not express), by "METHOD path".
BODIES: dict[str, dict[str, Any]] = {}


# --- the OpenAPI document -----------------------------------------------------


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]
    params: tuple[str, ...]

    @property
    def tenant_params(self) -> tuple[str, ...]:
        """The path parameters naming a tenant's object."""
        return tuple(p for p in self.params if p not in GLOBAL_PARAMS.get(self.path, {}))

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def is_platform(self) -> bool:
        return self.path.startswith(PLATFORM)

    @property
    def is_public(self) -> bool:
        return self.spec.get("security") == []


def _operations(spec: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            parameters = shared + item[method].get("parameters", [])
            names = tuple(p["name"] for p in parameters if p["in"] == "path")
            found.append(Operation(method, path, item[method], names))
    return found


class _Resolver:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def __call__(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema


def _example(schema: dict[str, Any], resolve: _Resolver) -> Any:
    """The simplest value the schema accepts: required properties only, lower bounds."""
    schema = resolve(schema)
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in schema:
            return _example(schema[combinator][0], resolve)
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: _example(properties.get(name, {"type": "string"}), resolve)
            for name in schema.get("required", [])
        }
    if kind == "array":
        item = _example(schema.get("items", {"type": "string"}), resolve)
        return [item] * schema.get("minItems", 0)
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        low = schema.get("minimum", 1)
        return int(low) + (1 if schema.get("exclusiveMinimum") is True else 0)
    return _example_string(schema)


def _example_string(schema: dict[str, Any]) -> str:
    fixed = {
        "email": "someone@example.com",
        "date-time": "2030-01-01T00:00:00+00:00",
        "date": "2030-01-01",
        "uuid": str(uuid.UUID(int=1)),
        "uri": "https://example.com/hook",
        "url": "https://example.com/hook",
    }
    if schema.get("format") in fixed:
        return fixed[schema["format"]]
    length = max(schema.get("minLength", 1), 8)
    length = min(length, schema.get("maxLength", length))
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"])
        return find(
            st.from_regex(pattern, fullmatch=True),
            lambda s: schema.get("minLength", 0) <= len(s) <= schema.get("maxLength", 10**6),
            settings=settings(
                database=None, derandomize=True, suppress_health_check=list(HealthCheck)
            ),
        )
    return "example-value"[:length].ljust(length, "x")


def _request_kwargs(op: Operation, resolve: _Resolver) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    body = op.spec.get("requestBody")
    if op.key in BODIES:
        kwargs["json"] = BODIES[op.key]
    elif body:
        content = body["content"]
        if "application/json" in content:
            kwargs["json"] = _example(content["application/json"].get("schema", {}), resolve)
        elif "multipart/form-data" in content:
            kwargs["data"] = {}
    query = [p for p in op.spec.get("parameters", []) if p["in"] == "query" and p.get("required")]
    if query:
        kwargs["query_string"] = {p["name"]: _example(p["schema"], resolve) for p in query}
    return kwargs


# --- evidence that nothing changed ---------------------------------------------


def _tenant_checksums(owner_engine, tenant_id: int) -> dict[str, str]:
    """A digest of every row of every tenant table for one tenant, read as the owner."""
    digests = {}
    with owner_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
        for name in tenant_tables():
            table = Base.metadata.tables[name]
            rows = connection.execute(
                table.select()
                .where(table.c.tenant_id == tenant_id)
                .order_by(*table.primary_key.columns)
            ).all()
            digests[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


# --- fixtures -----------------------------------------------------------------


@pytest.fixture
def spec(client) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json


@pytest.fixture
def acme_objects(app, acme, globex) -> dict[str, Any]:
    return _seed_acme_objects(app, acme)


@dataclass
class Call:
    op: Operation
    path: str
    kwargs: dict[str, Any]


def _calls(spec: dict[str, Any], objects: dict[str, Any], *, with_ids: bool) -> Iterator[Call]:
    """The operations to check, with acme's ids filled in; unknown parameters fail."""
    resolve = _Resolver(spec)
    unknown = []
    for op in _operations(spec):
        if bool(op.tenant_params) != with_ids or op.is_platform:
            continue
        path = op.path
        for name, value in GLOBAL_PARAMS.get(op.path, {}).items():
            path = path.replace("{" + name + "}", value)
        for name in op.tenant_params:
            if name not in ACME_IDS:
                unknown.append(f"{op.key}: {{{name}}}")
                continue
            path = path.replace("{" + name + "}", str(ACME_IDS[name](objects)))
        yield Call(op, path, _request_kwargs(op, resolve))
    assert not unknown, (
        "tests/test_isolation.py does not know which acme object these path parameters "
        "name; create one in _seed_acme_objects and map the parameter in ACME_IDS:\n  "
        + "\n  ".join(unknown)
    )


# --- the tests ----------------------------------------------------------------


def test_another_tenants_ids_are_not_found_on_every_route_and_change_nothing(
    spec, acme_objects, acme, globex, api, owner_engine
):
    caller = api(globex, "owner")
    failures = []
    checked = 0
    for call in _calls(spec, acme_objects, with_ids=True):
        before = _tenant_checksums(owner_engine, acme.id)
        response = caller.request(call.op.method.upper(), call.path, **call.kwargs)
        after = _tenant_checksums(owner_engine, acme.id)
        checked += 1
        if response.status_code == 422:
            failures.append(
                f"{call.op.key}: 422 before the id was looked up ({response.json}); add a valid "
                "body to BODIES in tests/test_isolation.py"
            )
        elif response.status_code != 404:
            failures.append(f"{call.op.key} as {call.path}: {response.status_code}, not 404")
        if changed := _changed(before, after):
            failures.append(f"{call.op.key} changed acme's rows in {changed}")
    assert checked, "the OpenAPI document lists no route with an id"
    assert not failures, "\n".join(failures)


def test_the_ids_used_above_are_real_for_their_own_tenant(spec, acme_objects, acme, api):
    """A GET by acme's owner with the same ids succeeds, so the 404s above mean something."""
    caller = api(acme, "owner")
    missing = []
    for call in _calls(spec, acme_objects, with_ids=True):
        if call.op.method != "get":
            continue
        response = caller.get(call.path, **call.kwargs)
        if response.status_code == 404:
            missing.append(f"{call.op.key} as {call.path}: {response.json}")
    assert not missing, "acme's own ids are not found:\n" + "\n".join(missing)


def test_another_tenants_token_is_refused_on_every_route_without_ids(
    spec, acme_objects, acme, globex, api, owner_engine
):
    caller = api(acme)
    caller.token = globex.tokens["owner"]
    failures = []
    before = _tenant_checksums(owner_engine, acme.id)
    for call in _calls(spec, acme_objects, with_ids=False):
        if call.op.is_public:
            continue
        response = caller.request(call.op.method.upper(), call.path, **call.kwargs)
        if response.status_code != 401:
            failures.append(f"{call.op.key}: {response.status_code}, not 401")
    assert _changed(before, _tenant_checksums(owner_engine, acme.id)) == []
    assert not failures, "\n".join(failures)


def test_platform_routes_refuse_tenant_tokens(spec, acme_objects, acme, api, owner_engine):
    resolve = _Resolver(spec)
    on_base_domain = api(acme, "owner")
    on_base_domain.base_url = "http://localhost"
    on_tenant_host = api(acme, "owner")
    failures = []
    before = _tenant_checksums(owner_engine, acme.id)
    for op in _operations(spec):
        if not op.is_platform or op.is_public:
            continue
        path = op.path
        for name in op.params:
            value = ACME_IDS[name](acme_objects) if name in ACME_IDS else 1
            path = path.replace("{" + name + "}", str(value))
        kwargs = _request_kwargs(op, resolve)
        for caller, expected in ((on_base_domain, 401), (on_tenant_host, 404)):
            response = caller.request(op.method.upper(), path, **kwargs)
            if response.status_code != expected:
                failures.append(
                    f"{op.key} on {caller.base_url}: {response.status_code}, not {expected}"
                )
    assert _changed(before, _tenant_checksums(owner_engine, acme.id)) == []
    assert not failures, "\n".join(failures)
