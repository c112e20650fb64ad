"""Imports every model module so the metadata is complete (Alembic, tests)."""

from dinghuo.core.catalog import models as catalog_models
from dinghuo.core.crm import models as crm_models
from dinghuo.core.fulfilment import models as fulfilment_models
from dinghuo.core.imports import models as import_models
from dinghuo.core.inventory import models as inventory_models
from dinghuo.core.orders import models as order_models
from dinghuo.core.pricing import models as pricing_models
from dinghuo.platform.audit import models as audit_models
from dinghuo.platform.auth import models as auth_models
from dinghuo.platform.events import models as event_models
from dinghuo.platform.jobs import models as job_models
from dinghuo.platform.notifications import models as notification_models
from dinghuo.platform.tenants import business as business_models
from dinghuo.platform.tenants import models as tenant_models
from dinghuo.plugins import models as plugin_models

__all__ = [
    "audit_models",
    "auth_models",
    "business_models",
    "catalog_models",
    "crm_models",
    "event_models",
    "fulfilment_models",
    "import_models",
    "inventory_models",
    "job_models",
    "notification_models",
    "order_models",
    "plugin_models",
    "pricing_models",
    "tenant_models",
]
