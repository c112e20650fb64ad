"""Stock over HTTP: ``/warehouses`` and ``/stock`` (levels, ledger, movements, reservations,
reorder policies, low-stock alerts and replenishment suggestions).

Thin: each view names the permission it needs (``inventory:read`` to look,
``inventory:manage`` to change) and hands the principal and validated input to
:mod:`dinghuo.core.inventory.service` or :mod:`dinghuo.core.inventory.reorder`.
Refused stock changes answer 409 ``insufficient_stock`` naming the SKU, the
quantity asked, on hand and available.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.api.pagination import PageArgsSchema, page_args, page_schema
from dinghuo.core.inventory import reorder, service
from dinghuo.core.inventory.schemas import (
    ReorderPolicySchema,
    ReorderPolicyUpdateSchema,
    ReplenishmentSuggestionSchema,
    ReservationArgsSchema,
    ReservationCloseSchema,
    ReservationCreateSchema,
    ReservationSchema,
    StockAdjustmentSchema,
    StockAlertArgsSchema,
    StockAlertSchema,
    StockCountResultSchema,
    StockCountSchema,
    StockLevelArgsSchema,
    StockLevelSchema,
    StockMovementArgsSchema,
    StockMovementSchema,
    StockReceiptSchema,
    WarehouseCreateSchema,
    WarehouseListArgsSchema,
    WarehouseSchema,
    WarehouseUpdateSchema,
)
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

warehouses_blp = Blueprint(
    "warehouses", __name__, url_prefix="/warehouses", description="Warehouses"
)
blp = Blueprint(
    "stock",
    __name__,
    url_prefix="/stock",
    description="Stock levels, the stock ledger, reservations and replenishment",
)


def _filters(args: dict, *names: str) -> dict:
    return {name: args[name] for name in names}


@warehouses_blp.route("")
class Warehouses(MethodView):
    @warehouses_blp.arguments(WarehouseListArgsSchema, location="query")
    @warehouses_blp.response(200, page_schema(WarehouseSchema))
    @requires(Permission.INVENTORY_READ)
    def get(self, args):
        """The tenant's warehouses; ``q`` matches code or name."""
        return service.list_warehouses(
            db_session(), tenant_principal(), **_filters(args, "active", "q"), **page_args(args)
        )

    @warehouses_blp.arguments(WarehouseCreateSchema)
    @warehouses_blp.response(201, WarehouseSchema)
    @requires(Permission.INVENTORY_MANAGE)
    def post(self, data):
        """Add a warehouse (code upper-cased, unique per tenant)."""
        return service.create_warehouse(db_session(), tenant_principal(), **data)


@warehouses_blp.route("/<int:warehouse_id>")
class WarehouseDetail(MethodView):
    @warehouses_blp.response(200, WarehouseSchema)
    @requires(Permission.INVENTORY_READ)
    def get(self, warehouse_id: int):
        """One warehouse."""
        return service.get_warehouse(db_session(), tenant_principal(), warehouse_id)

    @warehouses_blp.arguments(WarehouseUpdateSchema)
    @warehouses_blp.response(200, WarehouseSchema)
    @requires(Permission.INVENTORY_MANAGE)
    def patch(self, data, warehouse_id: int):
        """Change a warehouse; ``is_active: false`` takes its stock out of what is available."""
        return service.update_warehouse(db_session(), tenant_principal(), warehouse_id, **data)

    @warehouses_blp.response(204)
    @requires(Permission.INVENTORY_MANAGE)
    def delete(self, warehouse_id: int):
        """Delete a warehouse that never held stock; one with history answers 409: deactivate it."""
        service.delete_warehouse(db_session(), tenant_principal(), warehouse_id)


@blp.route("")
class Levels(MethodView):
    @blp.arguments(StockLevelArgsSchema, location="query")
    @blp.response(200, page_schema(StockLevelSchema))
    @requires(Permission.INVENTORY_READ)
    def get(self, args):
        """Levels per SKU and warehouse: on hand, reserved, available, reorder point."""
        filters = _filters(args, "sku_id", "sku_code", "warehouse_id", "below_reorder_point")
        return service.list_levels(db_session(), tenant_principal(), **filters, **page_args(args))


@blp.route("/movements")
class Movements(MethodView):
    @blp.arguments(StockMovementArgsSchema, location="query")
    @blp.response(200, page_schema(StockMovementSchema))
    @requires(Permission.INVENTORY_READ)
    def get(self, args):
        """The ledger, newest first; filter by SKU, warehouse, kind, reference and time."""
        filters = _filters(
            args,
            "sku_id",
            "warehouse_id",
            "kind",
            "since",
            "until",
            "reference_type",
            "reference_id",
        )
        return service.list_movements(
            db_session(), tenant_principal(), **filters, **page_args(args)
        )


@blp.route("/movements/<int:movement_id>")
class MovementDetail(MethodView):
    @blp.response(200, StockMovementSchema)
    @requires(Permission.INVENTORY_READ)
    def get(self, movement_id: int):
        """One movement of the ledger."""
        return service.get_movement(db_session(), tenant_principal(), movement_id)


@blp.route("/receipts")
class Receipts(MethodView):
    @blp.arguments(StockReceiptSchema)
    @blp.response(201, StockMovementSchema)
    @requires(Permission.INVENTORY_MANAGE)
    def post(self, data):
        """Receive goods into an active warehouse: on hand rises."""
        return service.receive(db_session(), tenant_principal(), **data)


@blp.route("/adjustments")
class Adjustments(MethodView):
    @blp.arguments(StockAdjustmentSchema)
    @blp.response(201, StockMovementSchema)
    @requires(Permission.INVENTORY_MANAGE)
    def post(self, data):
        """Correct on hand by a signed quantity with a reason (``kind: return`` restocks a return).

        Taking away more than is available answers 409 naming quantity, on
        hand and available.
        """
        kind = data.pop("kind")
        function = service.record_return if kind == "return" else service.adjust
        return function(db_session(), tenant_principal(), **data)


@blp.route("/counts")
class Counts(MethodView):
    @blp.arguments(StockCountSchema)
    @blp.response(200, StockCountResultSchema)
    @requires(Permission.INVENTORY_MANAGE)
    def post(self, data):
        """Set on hand to counted quantities; answers how many movements were written."""
        lines = [(c["warehouse_id"], c["sku_id"], c["on_hand"]) for c in data.pop("counts")]
        written = service.apply_stock_counts(db_session(), tenant_principal(), lines, **data)
        return {"movements": written}


@blp.route("/reservations")
class Reservations(MethodView):
    @blp.arguments(ReservationArgsSchema, location="query")
    @blp.response(200, page_schema(ReservationSchema))
    @requires(Permission.INVENTORY_READ)
    def get(self, args):
        """Reservations, newest first; filter by SKU, warehouse, status and reference."""
        filters = _filters(
            args, "sku_id", "warehouse_id", "status", "reference_type", "reference_id"
        )
        return service.list_reservations(
            db_session(), tenant_principal(), **filters, **page_args(args)
        )

    @blp.arguments(ReservationCreateSchema)
    @blp.response(201, ReservationSchema)
    @requires(Permission.INVENTORY_MANAGE)
    def post(self, data):
        """Hold units for a reference; the same active reference and quantity returns it again."""
        return service.reserve(db_session(), tenant_principal(), **data)


@blp.route("/reservations/<int:reservation_id>")
class ReservationDetail(MethodView):
    @blp.response(200, ReservationSchema)
    @requires(Permission.INVENTORY_READ)
    def get(self, reservation_id: int):
        """One reservation."""
        return service.get_reservation(db_session(), tenant_principal(), reservation_id)


@blp.route("/reservations/<int:reservation_id>/release")
class ReleaseReservation(MethodView):
    @blp.arguments(ReservationCloseSchema)
    @blp.response(200, ReservationSchema)
    @requires(Permission.INVENTORY_MANAGE)
    def post(self, data, reservation_id: int):
        """Give an active reservation's units back (409 unless active)."""
        return service.release(db_session(), tenant_principal(), reservation_id, data["reason"])


@blp.route("/reservations/<int:reservation_id>/commit")
class CommitReservation(MethodView):
    @blp.arguments(ReservationCloseSchema)
    @blp.response(200, ReservationSchema)
    @requires(Permission.INVENTORY_MANAGE)
    def post(self, data, reservation_id: int):
        """Ship an active reservation: on hand and reserved fall (409 unless active)."""
        return service.commit_reservation(
            db_session(), tenant_principal(), reservation_id, data["reason"]
        )


@blp.route("/reorder-policies/<int:sku_id>")
class ReorderPolicyDetail(MethodView):
    @blp.response(200, ReorderPolicySchema)
    @requires(Permission.INVENTORY_READ)
    def get(self, sku_id: int):
        """A SKU's reorder point: computed from demand, or the manual override."""
        return reorder.get_policy(db_session(), tenant_principal(), sku_id)

    @blp.arguments(ReorderPolicyUpdateSchema)
    @blp.response(200, ReorderPolicySchema)
    @requires(Permission.INVENTORY_MANAGE)
    def patch(self, data, sku_id: int):
        """Set or clear (null) the manual reorder point and the SKU's own lead time."""
        return reorder.update_policy(db_session(), tenant_principal(), sku_id, **data)


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.arguments(StockAlertArgsSchema, location="query")
    @blp.response(200, page_schema(StockAlertSchema))
    @requires(Permission.INVENTORY_READ)
    def get(self, args):
        """Low-stock alerts, newest first; filter by status and SKU."""
        return reorder.list_alerts(
            db_session(),
            tenant_principal(),
            **_filters(args, "status", "sku_id"),
            **page_args(args),
        )


@blp.route("/alerts/<int:alert_id>")
class AlertDetail(MethodView):
    @blp.response(200, StockAlertSchema)
    @requires(Permission.INVENTORY_READ)
    def get(self, alert_id: int):
        """One low-stock alert."""
        return reorder.get_alert(db_session(), tenant_principal(), alert_id)


@blp.route("/suggestions")
class Suggestions(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(ReplenishmentSuggestionSchema))
    @requires(Permission.INVENTORY_READ)
    def get(self, args):
        """What to replenish now: SKUs below their reorder point with a quantity to order."""
        return reorder.list_suggestions(db_session(), tenant_principal(), **page_args(args))
