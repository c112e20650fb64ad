"""The cart, quick order, reorder and requisition lists over HTTP.

Thin: each view hands the principal and the validated input to
:mod:`dinghuo.core.orders.cart`, :mod:`~dinghuo.core.orders.quick` or
:mod:`~dinghuo.core.orders.lists`. A dealer's user works on their own
dealer's cart and lists; staff with ``orders:manage`` pass ``?dealer_id=`` to
order on a dealer's behalf (their own cart for that dealer).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.api.pagination import Page, page_args
from dinghuo.core.orders import cart, lists, quick
from dinghuo.core.orders.cart_schemas import (
    CartAddedFromSchema,
    CartAddItemsSchema,
    CartDealerArgsSchema,
    CartQuantitySchema,
    CartSchema,
    CartUploadSchema,
    RequisitionListArgsSchema,
    RequisitionListPageSchema,
    RequisitionListPatchSchema,
    RequisitionListSchema,
    RequisitionListWriteSchema,
    added_dict,
    cart_dict,
    list_dict,
)
from dinghuo.db import TenantSession
from dinghuo.errors import ValidationFailed
from dinghuo.platform.auth.principal import Principal
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

blp = Blueprint(
    "cart", __name__, url_prefix="/cart", description="The cart: quick order, paste, upload"
)
reorder_blp = Blueprint(
    "reorder", __name__, url_prefix="/orders", description="Order again: a past order's lines"
)
lists_blp = Blueprint(
    "requisition_lists",
    __name__,
    url_prefix="/requisition-lists",
    description="A dealer's saved lists for repeat orders",
)


def add_rows(
    session: TenantSession,
    actor: Principal,
    rows: list[quick.Row],
    field: str,
    dealer_id: Any = None,
) -> cart.CartView:
    """Add parsed rows; refused rows are named ``<field>.<row number>`` (lines of the paste,
    rows of the sheet), which is where the user looks for them."""
    try:
        return cart.add_items(session, actor, [row.as_item() for row in rows], dealer_id)
    except ValidationFailed as error:
        by_row = quick.row_errors(rows, error.fields)
        if not by_row:
            raise
        fields = {f"{field}.{number}": messages for number, messages in sorted(by_row.items())}
        number, messages = next(iter(sorted(by_row.items())))
        raise ValidationFailed(f"{field} line {number}: {messages[0]}", fields=fields) from error


@blp.route("")
class CartView(MethodView):
    @blp.arguments(CartDealerArgsSchema, location="query")
    @blp.response(200, CartSchema)
    @requires()
    def get(self, args):
        """The cart priced now: per line the price, stock, problems and a stale-price flag."""
        return cart_dict(cart.get_cart(db_session(), tenant_principal(), args["dealer_id"]))

    @blp.arguments(CartDealerArgsSchema, location="query")
    @blp.response(204)
    @requires()
    def delete(self, args):
        """Empty the cart."""
        cart.clear(db_session(), tenant_principal(), args["dealer_id"])


@blp.route("/items")
class CartItems(MethodView):
    @blp.arguments(CartDealerArgsSchema, location="query")
    @blp.arguments(CartAddItemsSchema)
    @blp.response(200, CartSchema)
    @requires()
    def post(self, args, data):
        """Add items by SKU id or code (quick order), or pasted text; quantities add up.

        All or nothing: every refused item is named (``items.<i>.code``,
        ``items.<i>.quantity``, or ``text.<line>`` for a paste) and nothing is added.
        Quantities under the minimum or not a multiple are accepted and shown as
        problems in the cart, which the user fixes before checkout.
        """
        session, principal = db_session(), tenant_principal()
        if data["text"] is not None:
            rows = quick.parse_pasted(data["text"])
            return cart_dict(add_rows(session, principal, rows, "text", args["dealer_id"]))
        items = _items(data["items"])
        return cart_dict(cart.add_items(session, principal, items, args["dealer_id"]))


@blp.route("/upload")
class CartUpload(MethodView):
    @blp.arguments(CartDealerArgsSchema, location="query")
    @blp.arguments(CartUploadSchema, location="files")
    @blp.response(200, CartSchema)
    @requires()
    def post(self, args, files):
        """Add the rows of a CSV or XLSX sheet (a code column and a quantity column).

        Refused rows are named ``file.<row number>`` (the header is row 1).
        """
        upload = files["file"]
        data = upload.read(quick.MAX_UPLOAD_BYTES + 1)
        rows = quick.parse_upload(upload.filename or "", data)
        return cart_dict(
            add_rows(db_session(), tenant_principal(), rows, "file", args["dealer_id"])
        )


@blp.route("/seen")
class CartSeen(MethodView):
    @blp.arguments(CartDealerArgsSchema, location="query")
    @blp.response(200, CartSchema)
    @requires()
    def post(self, args):
        """Accept the current prices: the lines' stale flags clear."""
        return cart_dict(cart.mark_seen(db_session(), tenant_principal(), args["dealer_id"]))


@blp.route("/lines/<int:sku_id>")
class CartLine(MethodView):
    @blp.arguments(CartDealerArgsSchema, location="query")
    @blp.arguments(CartQuantitySchema)
    @blp.response(200, CartSchema)
    @requires()
    def put(self, args, data, sku_id):
        """Change a line's quantity (0 removes it); a SKU not in the cart is a 404."""
        view = cart.set_quantity(
            db_session(), tenant_principal(), sku_id, data["quantity"], args["dealer_id"]
        )
        return cart_dict(view)

    @blp.arguments(CartDealerArgsSchema, location="query")
    @blp.response(204)
    @requires()
    def delete(self, args, sku_id):
        """Take a SKU out of the cart."""
        cart.remove_line(db_session(), tenant_principal(), sku_id, args["dealer_id"])


@reorder_blp.route("/<int:order_id>/reorder")
class Reorder(MethodView):
    @reorder_blp.response(200, CartAddedFromSchema)
    @requires()
    def post(self, order_id):
        """Put a past order's lines in the cart again; lines no longer sold are skipped."""
        return added_dict(cart.reorder(db_session(), tenant_principal(), order_id))


@lists_blp.route("")
class Lists(MethodView):
    @lists_blp.arguments(RequisitionListArgsSchema, location="query")
    @lists_blp.response(200, RequisitionListPageSchema)
    @requires()
    def get(self, args):
        """The dealer's saved lists, by name (``sort=-updated_at``: latest changed first)."""
        session = db_session()
        page = lists.list_lists(session, tenant_principal(), args["dealer_id"], **page_args(args))
        counts = lists.item_counts(session, [row.id for row in page.items])
        return Page(
            items=[
                {
                    "id": row.id,
                    "dealer_id": row.dealer_id,
                    "name": row.name,
                    "item_count": counts.get(row.id, 0),
                    "updated_at": row.updated_at,
                }
                for row in page.items
            ],
            next_cursor=page.next_cursor,
        )

    @lists_blp.arguments(CartDealerArgsSchema, location="query")
    @lists_blp.arguments(RequisitionListWriteSchema)
    @lists_blp.response(201, RequisitionListSchema)
    @requires()
    def post(self, args, data):
        """Save a list from items (by SKU id or code) or, with ``from_cart``, from the cart."""
        session, principal = db_session(), tenant_principal()
        if data["from_cart"]:
            if data["items"]:
                raise ValidationFailed.field("items", "Give items or from_cart, not both.")
            view = lists.save_cart_as_list(
                session, principal, name=data["name"], dealer_id=args["dealer_id"]
            )
        else:
            view = lists.create_list(
                session,
                principal,
                name=data["name"],
                items=_items(data["items"] or []),
                dealer_id=args["dealer_id"],
            )
        return list_dict(view)


def _items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Schema items as service items: absent sku_id/code dropped, quantity kept (None = MOQ)."""
    return [
        {key: value for key, value in item.items() if value is not None or key == "quantity"}
        for item in items
    ]


@lists_blp.route("/<int:list_id>")
class ListDetail(MethodView):
    @lists_blp.response(200, RequisitionListSchema)
    @requires()
    def get(self, list_id):
        """A list with its items and what is wrong with each now."""
        return list_dict(lists.get_list(db_session(), tenant_principal(), list_id))

    @lists_blp.arguments(RequisitionListPatchSchema)
    @lists_blp.response(200, RequisitionListSchema)
    @requires()
    def patch(self, data, list_id):
        """Rename the list and/or replace its items."""
        if "items" in data:
            data = {**data, "items": _items(data["items"])}
        return list_dict(lists.update_list(db_session(), tenant_principal(), list_id, data))

    @lists_blp.response(204)
    @requires()
    def delete(self, list_id):
        """Delete the list (the cart is not touched)."""
        lists.delete_list(db_session(), tenant_principal(), list_id)


@lists_blp.route("/<int:list_id>/add-to-cart")
class ListToCart(MethodView):
    @lists_blp.response(200, CartAddedFromSchema)
    @requires()
    def post(self, list_id):
        """Add the list's items to the cart; items no longer sold are skipped and named."""
        return added_dict(lists.add_list_to_cart(db_session(), tenant_principal(), list_id))
