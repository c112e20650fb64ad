"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dinghuo.db
from dinghuo.rls import enable_row_level_security
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}

# Tenant tables this revision creates; each gets Row-Level Security.
NEW_TENANT_TABLES: list[str] = ${config.attributes.get("new_tenant_tables", "[]")}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}
    enable_row_level_security(op.get_bind(), NEW_TENANT_TABLES)


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
