"""Dealer accounts over HTTP: ``/dealers``, ``/dealer-groups`` and ``/my/dealer``.

Thin: each view names the permission it needs, then hands the principal and
the validated input to :mod:`dinghuo.core.crm.service`, which authorises the
objects themselves (another tenant's or dealer's id is a 404).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.api.pagination import PageArgsSchema, page_schema
from dinghuo.core.crm import service
from dinghuo.core.crm.schemas import (
    AddressCreateSchema,
    AddressSchema,
    AddressUpdateSchema,
    ContactCreateSchema,
    ContactSchema,
    ContactUpdateSchema,
    DealerCreateSchema,
    DealerDetailSchema,
    DealerGroupCreateSchema,
    DealerGroupSchema,
    DealerGroupUpdateSchema,
    DealerListArgsSchema,
    DealerSchema,
    DealerUpdateSchema,
    OwnDealerSchema,
    ReactivateSchema,
    SuspendSchema,
)
from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.web import db_session

blp = Blueprint(
    "dealers", __name__, url_prefix="/dealers", description="Dealer accounts (brand staff)"
)
groups_blp = Blueprint(
    "dealer_groups", __name__, url_prefix="/dealer-groups", description="Dealer groups"
)
my_blp = Blueprint(
    "my_dealer", __name__, url_prefix="/my", description="A dealer user's own account"
)


@blp.route("")
class Dealers(MethodView):
    @blp.arguments(DealerListArgsSchema, location="query")
    @blp.response(200, page_schema(DealerSchema))
    @requires(Permission.DEALERS_READ)
    def get(self, args):
        """Dealers of the tenant, filtered; ``q`` searches code and both names."""
        return service.list_dealers(db_session(), tenant_principal(), **args)

    @blp.arguments(DealerCreateSchema)
    @blp.response(201, DealerDetailSchema)
    @requires(Permission.DEALERS_MANAGE)
    def post(self, data):
        """Open a dealer account (code unique per tenant, upper-cased)."""
        return service.create_dealer(db_session(), tenant_principal(), **data)


@blp.route("/<int:dealer_id>")
class DealerDetail(MethodView):
    @blp.response(200, DealerDetailSchema)
    def get(self, dealer_id: int):
        """One dealer with its addresses and contacts (staff, or the dealer's own users)."""
        return service.get_dealer(db_session(), dealer_id, tenant_principal())

    @blp.arguments(DealerUpdateSchema)
    @blp.response(200, DealerDetailSchema)
    @requires(Permission.DEALERS_MANAGE)
    def patch(self, data, dealer_id: int):
        """Change a dealer's fields; ``group_ids`` replaces its groups."""
        return service.update_dealer(db_session(), tenant_principal(), dealer_id, **data)


@blp.route("/<int:dealer_id>/suspend")
class SuspendDealer(MethodView):
    @blp.arguments(SuspendSchema)
    @blp.response(200, DealerDetailSchema)
    @requires(Permission.DEALERS_MANAGE)
    def post(self, data, dealer_id: int):
        """Suspend a dealer: its users can no longer sign in or use their tokens."""
        return service.suspend_dealer(db_session(), tenant_principal(), dealer_id, data["reason"])


@blp.route("/<int:dealer_id>/activate")
class ActivateDealer(MethodView):
    @blp.arguments(ReactivateSchema)
    @blp.response(200, DealerDetailSchema)
    @requires(Permission.DEALERS_MANAGE)
    def post(self, data, dealer_id: int):
        """Lift a dealer's suspension."""
        return service.reactivate_dealer(
            db_session(), tenant_principal(), dealer_id, data["reason"]
        )


@blp.route("/<int:dealer_id>/addresses")
class Addresses(MethodView):
    @blp.response(200, AddressSchema(many=True))
    def get(self, dealer_id: int):
        """A dealer's ship-to and bill-to addresses."""
        return service.list_addresses(db_session(), tenant_principal(), dealer_id)

    @blp.arguments(AddressCreateSchema)
    @blp.response(201, AddressSchema)
    @requires(Permission.DEALERS_MANAGE)
    def post(self, data, dealer_id: int):
        """Add an address; the first of its kind becomes the default."""
        return service.add_address(db_session(), tenant_principal(), dealer_id, **data)


@blp.route("/<int:dealer_id>/addresses/<int:address_id>")
class AddressDetail(MethodView):
    @blp.response(200, AddressSchema)
    def get(self, dealer_id: int, address_id: int):
        """One address of a dealer."""
        return service.get_address(db_session(), tenant_principal(), dealer_id, address_id)

    @blp.arguments(AddressUpdateSchema)
    @blp.response(200, AddressSchema)
    @requires(Permission.DEALERS_MANAGE)
    def patch(self, data, dealer_id: int, address_id: int):
        """Change an address; ``is_default: true`` makes it the default of its kind."""
        return service.update_address(
            db_session(), tenant_principal(), dealer_id, address_id, **data
        )

    @blp.response(204)
    @requires(Permission.DEALERS_MANAGE)
    def delete(self, dealer_id: int, address_id: int):
        """Remove an address; the oldest of its kind becomes default if it was."""
        service.delete_address(db_session(), tenant_principal(), dealer_id, address_id)


@blp.route("/<int:dealer_id>/contacts")
class Contacts(MethodView):
    @blp.response(200, ContactSchema(many=True))
    def get(self, dealer_id: int):
        """The people to talk to at a dealer."""
        return service.list_contacts(db_session(), tenant_principal(), dealer_id)

    @blp.arguments(ContactCreateSchema)
    @blp.response(201, ContactSchema)
    @requires(Permission.DEALERS_MANAGE)
    def post(self, data, dealer_id: int):
        """Add a contact."""
        return service.add_contact(db_session(), tenant_principal(), dealer_id, **data)


@blp.route("/<int:dealer_id>/contacts/<int:contact_id>")
class ContactDetail(MethodView):
    @blp.response(200, ContactSchema)
    def get(self, dealer_id: int, contact_id: int):
        """One contact of a dealer."""
        return service.get_contact(db_session(), tenant_principal(), dealer_id, contact_id)

    @blp.arguments(ContactUpdateSchema)
    @blp.response(200, ContactSchema)
    @requires(Permission.DEALERS_MANAGE)
    def patch(self, data, dealer_id: int, contact_id: int):
        """Change a contact."""
        return service.update_contact(
            db_session(), tenant_principal(), dealer_id, contact_id, **data
        )

    @blp.response(204)
    @requires(Permission.DEALERS_MANAGE)
    def delete(self, dealer_id: int, contact_id: int):
        """Remove a contact."""
        service.delete_contact(db_session(), tenant_principal(), dealer_id, contact_id)


@groups_blp.route("")
class DealerGroups(MethodView):
    @groups_blp.arguments(PageArgsSchema, location="query")
    @groups_blp.response(200, page_schema(DealerGroupSchema))
    @requires(Permission.DEALERS_READ)
    def get(self, args):
        """The tenant's dealer groups."""
        return service.list_groups(db_session(), tenant_principal(), **args)

    @groups_blp.arguments(DealerGroupCreateSchema)
    @groups_blp.response(201, DealerGroupSchema)
    @requires(Permission.DEALERS_MANAGE)
    def post(self, data):
        """Create a dealer group (code unique per tenant, upper-cased)."""
        return service.create_group(db_session(), tenant_principal(), **data)


@groups_blp.route("/<int:group_id>")
class DealerGroupDetail(MethodView):
    @groups_blp.response(200, DealerGroupSchema)
    @requires(Permission.DEALERS_READ)
    def get(self, group_id: int):
        """One dealer group."""
        return service.get_group(db_session(), tenant_principal(), group_id)

    @groups_blp.arguments(DealerGroupUpdateSchema)
    @groups_blp.response(200, DealerGroupSchema)
    @requires(Permission.DEALERS_MANAGE)
    def patch(self, data, group_id: int):
        """Rename a group or change its code."""
        return service.update_group(db_session(), tenant_principal(), group_id, **data)

    @groups_blp.response(204)
    @requires(Permission.DEALERS_MANAGE)
    def delete(self, group_id: int):
        """Delete a group; its dealers stop being members."""
        service.delete_group(db_session(), tenant_principal(), group_id)


@my_blp.route("/dealer")
class MyDealer(MethodView):
    @my_blp.response(200, OwnDealerSchema)
    @requires(Permission.OWN_DEALER_READ)
    def get(self):
        """The signed-in dealer user's own account, with addresses and contacts."""
        return service.get_own_dealer(db_session(), tenant_principal())
