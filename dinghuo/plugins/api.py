"""Installed plugins and this tenant's use of them (``/plugins``)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from dinghuo.platform.auth.permissions import Permission
from dinghuo.platform.auth.web import requires, tenant_principal
from dinghuo.plugins import service
from dinghuo.plugins.manager import current_host
from dinghuo.plugins.schemas import PluginListSchema, PluginSchema, PluginUpdateSchema
from dinghuo.web import db_session

blp = Blueprint(
    "plugins", __name__, url_prefix="/plugins", description="Plugins: enable and configure"
)


@blp.route("")
class Plugins(MethodView):
    @blp.response(200, PluginListSchema)
    @requires(Permission.TENANT_READ)
    def get(self):
        """Installed plugins, whether this tenant enabled each, and what each needs set."""
        return {"items": service.list_plugins(db_session(), current_host())}


@blp.route("/<string:name>")
class Plugin(MethodView):
    @blp.response(200, PluginSchema)
    @requires(Permission.TENANT_READ)
    def get(self, name: str):
        """One plugin as this tenant has it; secrets show only as set or not set."""
        return service.get_plugin(db_session(), current_host(), name)

    @blp.arguments(PluginUpdateSchema)
    @blp.response(200, PluginSchema)
    @requires(Permission.PLUGINS_MANAGE)
    def put(self, data, name: str):
        """Enable or disable the plugin and change its settings (validated field by field)."""
        return service.configure_plugin(
            db_session(),
            tenant_principal(),
            current_host(),
            name,
            enabled=data["enabled"],
            settings=data["settings"],
        )
