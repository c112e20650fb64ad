"""Every API blueprint, registered in one place."""

from __future__ import annotations

from flask_smorest import Api

from dinghuo.api import API_PREFIX


def register_blueprints(api: Api) -> None:
    from dinghuo.core.catalog.api import BLUEPRINTS as catalog_blps
    from dinghuo.core.catalog.portal_api import blp as catalog_portal_blp
    from dinghuo.core.catalog.search_api import blp as catalog_search_blp
    from dinghuo.core.crm.api import blp as dealers_blp
    from dinghuo.core.crm.api import groups_blp as dealer_groups_blp
    from dinghuo.core.crm.api import my_blp as my_dealer_blp
    from dinghuo.core.fulfilment.api import BLUEPRINTS as fulfilment_blps
    from dinghuo.core.fulfilment.carrier_api import blp as carriers_blp
    from dinghuo.core.imports.api import blp as imports_blp
    from dinghuo.core.imports.api import exports_blp
    from dinghuo.core.inventory.api import blp as stock_blp
    from dinghuo.core.inventory.api import warehouses_blp
    from dinghuo.core.inventory.channel_api import blp as channel_stock_blp
    from dinghuo.core.inventory.channel_api import my_blp as my_channel_stock_blp
    from dinghuo.core.orders.api import blp as orders_blp
    from dinghuo.core.orders.cart_api import blp as cart_blp
    from dinghuo.core.orders.cart_api import lists_blp as requisition_lists_blp
    from dinghuo.core.orders.cart_api import reorder_blp
    from dinghuo.core.orders.checkout_api import approval_limit_blp, checkout_blp
    from dinghuo.core.orders.checkout_api import blp as order_submission_blp
    from dinghuo.core.pricing.api import blp as price_lists_blp
    from dinghuo.core.pricing.api import my_blp as my_prices_blp
    from dinghuo.platform.audit.api import blp as audit_blp
    from dinghuo.platform.auth.api import blp as auth_blp
    from dinghuo.platform.auth.api import integrations_blp
    from dinghuo.platform.jobs.api import blp as jobs_blp
    from dinghuo.platform.notifications.api import blp as notifications_blp
    from dinghuo.platform.tenants.api import blp as tenants_blp
    from dinghuo.platform.tenants.api import platform_blp
    from dinghuo.plugins.api import blp as plugins_blp

    for blp in (
        auth_blp,
        integrations_blp,
        audit_blp,
        tenants_blp,
        platform_blp,
        dealers_blp,
        dealer_groups_blp,
        my_dealer_blp,
        *catalog_blps,
        catalog_portal_blp,
        catalog_search_blp,
        warehouses_blp,
        stock_blp,
        channel_stock_blp,
        my_channel_stock_blp,
        price_lists_blp,
        my_prices_blp,
        orders_blp,
        order_submission_blp,
        checkout_blp,
        approval_limit_blp,
        plugins_blp,
        jobs_blp,
        notifications_blp,
        imports_blp,
        exports_blp,
        *fulfilment_blps,
        carriers_blp,
        cart_blp,
        reorder_blp,
        requisition_lists_blp,
    ):
        api.register_blueprint(blp, url_prefix=API_PREFIX + blp.url_prefix)
