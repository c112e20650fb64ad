"""catalog, prices, inventory, imports and business settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 01:01:30.986892
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dinghuo.db
from dinghuo.rls import enable_row_level_security

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Tenant tables this revision creates; each gets Row-Level Security.
NEW_TENANT_TABLES: list[str] = [
    "brands",
    "business_settings",
    "categories",
    "channel_stock",
    "channel_stock_reports",
    "dealer_sku_codes",
    "import_batches",
    "price_list_assignments",
    "price_list_items",
    "price_lists",
    "product_images",
    "product_relations",
    "product_specs",
    "product_tags",
    "product_visibility",
    "products",
    "reorder_policies",
    "search_documents",
    "skus",
    "spec_attributes",
    "stock_alerts",
    "stock_levels",
    "stock_movements",
    "stock_reservations",
    "tags",
    "warehouses",
]

# Substring search over search_documents.text (see dinghuo.core.catalog.search):
# PostgreSQL a pg_trgm GIN index on a private mirror; SQLite an FTS5 trigram table kept by triggers.
_SQLITE_SEARCH_DDL = [
    "CREATE VIRTUAL TABLE search_documents_fts USING fts5(text, content='search_documents',"
    " content_rowid='sku_id', tokenize='trigram')",
    "CREATE TRIGGER search_documents_fts_insert AFTER INSERT ON search_documents BEGIN"
    " INSERT INTO search_documents_fts(rowid, text) VALUES (new.sku_id, new.text); END",
    "CREATE TRIGGER search_documents_fts_delete AFTER DELETE ON search_documents BEGIN"
    " INSERT INTO search_documents_fts(search_documents_fts, rowid, text)"
    " VALUES ('delete', old.sku_id, old.text); END",
    "CREATE TRIGGER search_documents_fts_update AFTER UPDATE OF text ON search_documents BEGIN"
    " INSERT INTO search_documents_fts(search_documents_fts, rowid, text)"
    " VALUES ('delete', old.sku_id, old.text);"
    " INSERT INTO search_documents_fts(rowid, text) VALUES (new.sku_id, new.text); END",
]


# PostgreSQL: RLS keeps a non-leakproof LIKE out of index conditions, so the text is
# mirrored into search_text_match, a table WITHOUT RLS that the app role may not read
# (dinghuo.rls.PRIVATE_TABLES), with the pg_trgm GIN index. The app reaches it only through
# dinghuo_search_match(terms), SECURITY DEFINER, which filters by the bound tenant itself.
# See docs/decisions/0003-search-text-behind-a-definer-function.md.
_POSTGRES_SEARCH_DDL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TABLE search_text_match ("
    " sku_id integer PRIMARY KEY"
    " REFERENCES search_documents (sku_id) ON DELETE CASCADE,"
    " tenant_id integer NOT NULL, text text NOT NULL)",
    "ALTER TABLE search_text_match SET (autovacuum_vacuum_scale_factor = 0.05)",
    "CREATE INDEX ix_search_text_match_tenant_id ON search_text_match (tenant_id)",
    "CREATE INDEX ix_search_text_match_text_trgm ON search_text_match"
    " USING gin (text gin_trgm_ops)",
    # The mirror: the document row passed the RLS WITH CHECK, so its tenant_id is the bound one.
    "CREATE FUNCTION dinghuo_search_text_mirror() RETURNS trigger"
    " LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$"
    " BEGIN"
    "  INSERT INTO search_text_match (sku_id, tenant_id, text)"
    "  VALUES (NEW.sku_id, NEW.tenant_id, NEW.text)"
    "  ON CONFLICT (sku_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, text = EXCLUDED.text;"
    "  RETURN NULL;"
    " END $$",
    "REVOKE ALL ON FUNCTION dinghuo_search_text_mirror() FROM PUBLIC",
    "CREATE TRIGGER search_text_match_mirror AFTER INSERT OR UPDATE OF text, tenant_id"
    " ON search_documents FOR EACH ROW EXECUTE FUNCTION dinghuo_search_text_mirror()",
    # No tenant parameter: the bound tenant (NULL when none: no rows). Literal patterns via
    # EXECUTE, so each call is planned for its terms (a term under three characters has no
    # trigram, and the tenant index then serves instead of a full GIN scan).
    "CREATE FUNCTION dinghuo_search_match(terms text[])"
    " RETURNS TABLE (sku_id integer, relevance integer)"
    " LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 1000"
    " SET search_path = pg_catalog, public, pg_temp AS $$"
    " DECLARE"
    "  tenant integer := NULLIF(current_setting('app.tenant_id', true), '')::integer;"
    "  matched text := '';"
    "  score text := '0';"
    "  term text;"
    " BEGIN"
    "  IF tenant IS NULL OR coalesce(cardinality(terms), 0) = 0 THEN RETURN; END IF;"
    "  FOREACH term IN ARRAY terms LOOP"
    "   matched := matched || format(' AND m.text LIKE %L', '%' ||"
    "    replace(replace(replace(term, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%');"
    "   score := score || format(' + strpos(m.text, %L)', term);"
    "  END LOOP;"
    "  RETURN QUERY EXECUTE 'SELECT m.sku_id, (' || score || ')::integer"
    " FROM search_text_match m WHERE m.tenant_id = $1' || matched USING tenant;"
    " END $$",
    "REVOKE ALL ON FUNCTION dinghuo_search_match(text[]) FROM PUBLIC",
]


def _create_search_text_index(bind: sa.Connection) -> None:
    if bind.dialect.name == "postgresql":
        for statement in _POSTGRES_SEARCH_DDL:
            bind.execute(sa.text(statement))  # text() escapes the % of LIKE patterns for psycopg
    elif bind.dialect.name == "sqlite":
        for statement in _SQLITE_SEARCH_DDL:
            bind.exec_driver_sql(statement)


def _drop_search_text_index(bind: sa.Connection) -> None:
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS search_text_match_mirror ON search_documents")
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS dinghuo_search_text_mirror()")
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS dinghuo_search_match(text[])")
        bind.exec_driver_sql("DROP TABLE IF EXISTS search_text_match")
    elif bind.dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS search_documents_fts_{trigger}")
        bind.exec_driver_sql("DROP TABLE IF EXISTS search_documents_fts")


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "brands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_brands_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_brands_tenant_id_code")),
    )
    op.create_table(
        "business_settings",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_business_settings_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_business_settings")),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["categories.id"],
            name=op.f("fk_categories_parent_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_categories_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_categories_tenant_id_code")),
    )
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_categories_tenant_id_categories_parent_id_categories_position"),
            ["tenant_id", "parent_id", "position"],
            unique=False,
        )

    op.create_table(
        "price_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("LIST", "CONTRACT", name="pricelistkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_price_lists_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_lists")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_price_lists_tenant_id_code")),
    )
    with op.batch_alter_table("price_lists", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_lists_tenant_id_price_lists_kind_price_lists_is_active"),
            ["tenant_id", "kind", "is_active"],
            unique=False,
        )

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tags_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_tags_tenant_id_name")),
    )
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_warehouses_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_warehouses_tenant_id_code")),
    )
    op.create_table(
        "price_list_assignments",
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "TIER", "GROUP", "DEALER", name="assignmentscope", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["price_lists.id"],
            name=op.f("fk_price_list_assignments_price_list_id_price_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_price_list_assignments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "price_list_id", "scope", "value", name=op.f("pk_price_list_assignments")
        ),
    )
    with op.batch_alter_table("price_list_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f(
                "ix_price_list_assignments_tenant_id_price_list_assignments_scope_price_list_assignments_value"
            ),
            ["tenant_id", "scope", "value"],
            unique=False,
        )

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("model_number", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "ACTIVE",
                "DISCONTINUED",
                name="productstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("variant_axes", sa.JSON(), nullable=False),
        sa.Column("created_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_products_brand_id_brands"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_products_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_products_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_products_tenant_id_code")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_products_tenant_id_products_brand_id"),
            ["tenant_id", "brand_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_products_tenant_id_products_category_id"),
            ["tenant_id", "category_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_products_tenant_id_products_created_at"),
            ["tenant_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_products_tenant_id_products_status"),
            ["tenant_id", "status"],
            unique=False,
        )

    op.create_table(
        "spec_attributes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("TEXT", "NUMBER", "CHOICE", name="speckind", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("filterable", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_spec_attributes_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_spec_attributes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spec_attributes")),
        sa.UniqueConstraint(
            "tenant_id",
            "category_id",
            "code",
            name=op.f("uq_spec_attributes_tenant_id_category_id_code"),
        ),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "PRODUCTS",
                "PRICES",
                "STOCK",
                "CHANNEL_STOCK",
                name="importkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_key", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "RUNNING",
                "APPLIED",
                "REJECTED",
                "FAILED",
                name="importstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("report_key", sa.String(length=300), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", dinghuo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_import_batches_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealers.id"],
            name=op.f("fk_import_batches_dealer_id_dealers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_import_batches_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_batches_tenant_id_import_batches_created_at"),
            ["tenant_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "product_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("alt", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_images_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_product_images_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_images")),
    )
    with op.batch_alter_table("product_images", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f(
                "ix_product_images_tenant_id_product_images_product_id_product_images_position"
            ),
            ["tenant_id", "product_id", "position"],
            unique=False,
        )

    op.create_table(
        "product_relations",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("ACCESSORY", "REPLACEMENT", name="relationkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_relations_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_id"],
            ["products.id"],
            name=op.f("fk_product_relations_related_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_product_relations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "product_id", "related_id", "kind", name=op.f("pk_product_relations")
        ),
    )
    with op.batch_alter_table("product_relations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_relations_tenant_id_product_relations_related_id"),
            ["tenant_id", "related_id"],
            unique=False,
        )

    op.create_table(
        "product_specs",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("attribute_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_id"],
            ["spec_attributes.id"],
            name=op.f("fk_product_specs_attribute_id_spec_attributes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_specs_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_product_specs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "attribute_id", name=op.f("pk_product_specs")),
    )
    with op.batch_alter_table("product_specs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_specs_tenant_id_product_specs_attribute_id_product_specs_value"),
            ["tenant_id", "attribute_id", "value"],
            unique=False,
        )

    op.create_table(
        "product_tags",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_tags_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_product_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_product_tags_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "tag_id", name=op.f("pk_product_tags")),
    )
    with op.batch_alter_table("product_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_tags_tenant_id_product_tags_tag_id"),
            ["tenant_id", "tag_id"],
            unique=False,
        )

    op.create_table(
        "product_visibility",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "TIER", "GROUP", "DEALER", name="visibilityscope", native_enum=False, length=10
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_visibility_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_product_visibility_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "scope", "value", name=op.f("pk_product_visibility")),
    )
    with op.batch_alter_table("product_visibility", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f(
                "ix_product_visibility_tenant_id_product_visibility_scope_product_visibility_value"
            ),
            ["tenant_id", "scope", "value"],
            unique=False,
        )

    op.create_table(
        "skus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("barcode", sa.String(length=20), nullable=False),
        sa.Column("variant", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "ACTIVE",
                "DISCONTINUED",
                name="productstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("moq", sa.Integer(), nullable=False),
        sa.Column("order_multiple", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=True),
        sa.Column("length_mm", sa.Integer(), nullable=True),
        sa.Column("width_mm", sa.Integer(), nullable=True),
        sa.Column("height_mm", sa.Integer(), nullable=True),
        sa.Column("msrp", dinghuo.db.Money(), nullable=False),
        sa.Column("base_price", dinghuo.db.Money(), nullable=False),
        sa.Column("sales_qty", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("base_price >= 0", name=op.f("ck_skus_base_price_not_negative")),
        sa.CheckConstraint("moq >= 1", name=op.f("ck_skus_moq_positive")),
        sa.CheckConstraint("msrp >= 0", name=op.f("ck_skus_msrp_not_negative")),
        sa.CheckConstraint("order_multiple >= 1", name=op.f("ck_skus_order_multiple_positive")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_skus_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_skus_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skus")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_skus_tenant_id_code")),
    )
    with op.batch_alter_table("skus", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_skus_tenant_id_skus_barcode"), ["tenant_id", "barcode"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_skus_tenant_id_skus_product_id"),
            ["tenant_id", "product_id"],
            unique=False,
        )

    op.create_table(
        "channel_stock",
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("sold_qty", sa.Integer(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("reported_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealers.id"],
            name=op.f("fk_channel_stock_dealer_id_dealers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_channel_stock_sku_id_skus"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_channel_stock_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dealer_id", "sku_id", name=op.f("pk_channel_stock")),
    )
    with op.batch_alter_table("channel_stock", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_stock_tenant_id_channel_stock_sku_id"),
            ["tenant_id", "sku_id"],
            unique=False,
        )

    op.create_table(
        "channel_stock_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("sold_qty", sa.Integer(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealers.id"],
            name=op.f("fk_channel_stock_reports_dealer_id_dealers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"],
            ["users.id"],
            name=op.f("fk_channel_stock_reports_reported_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
            name=op.f("fk_channel_stock_reports_sku_id_skus"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_channel_stock_reports_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_stock_reports")),
    )
    with op.batch_alter_table("channel_stock_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f(
                "ix_channel_stock_reports_tenant_id_channel_stock_reports_dealer_id_channel_stock_reports_sku_id_channel_stock_reports_reported_at"
            ),
            ["tenant_id", "dealer_id", "sku_id", "reported_at"],
            unique=False,
        )

    op.create_table(
        "dealer_sku_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealers.id"],
            name=op.f("fk_dealer_sku_codes_dealer_id_dealers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
            name=op.f("fk_dealer_sku_codes_sku_id_skus"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_dealer_sku_codes_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealer_sku_codes")),
        sa.UniqueConstraint(
            "tenant_id",
            "dealer_id",
            "code",
            name=op.f("uq_dealer_sku_codes_tenant_id_dealer_id_code"),
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "dealer_id",
            "sku_id",
            name=op.f("uq_dealer_sku_codes_tenant_id_dealer_id_sku_id"),
        ),
    )
    op.create_table(
        "price_list_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("min_qty", sa.Integer(), nullable=False),
        sa.Column("price", dinghuo.db.Money(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("min_qty >= 1", name=op.f("ck_price_list_items_min_qty_positive")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_price_list_items_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["price_lists.id"],
            name=op.f("fk_price_list_items_price_list_id_price_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
            name=op.f("fk_price_list_items_sku_id_skus"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_price_list_items_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_list_items")),
        sa.UniqueConstraint(
            "tenant_id",
            "price_list_id",
            "sku_id",
            "min_qty",
            name=op.f("uq_price_list_items_tenant_id_price_list_id_sku_id_min_qty"),
        ),
    )
    with op.batch_alter_table("price_list_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_price_list_items_tenant_id_price_list_items_sku_id"),
            ["tenant_id", "sku_id"],
            unique=False,
        )

    op.create_table(
        "reorder_policies",
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("avg_daily_demand", dinghuo.db.Money(), nullable=False),
        sa.Column("demand_std_dev", dinghuo.db.Money(), nullable=False),
        sa.Column("safety_stock", sa.Integer(), nullable=False),
        sa.Column("computed_reorder_point", sa.Integer(), nullable=False),
        sa.Column("manual_reorder_point", sa.Integer(), nullable=True),
        sa.Column("computed_at", dinghuo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
            name=op.f("fk_reorder_policies_sku_id_skus"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_reorder_policies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sku_id", name=op.f("pk_reorder_policies")),
    )
    op.create_table(
        "search_documents",
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "ACTIVE",
                "DISCONTINUED",
                name="productstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("brand_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("created_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_search_documents_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
            name=op.f("fk_search_documents_sku_id_skus"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_search_documents_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sku_id", name=op.f("pk_search_documents")),
    )
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_search_documents_tenant_id_search_documents_product_id"),
            ["tenant_id", "product_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f(
                "ix_search_documents_tenant_id_search_documents_status_search_documents_created_at"
            ),
            ["tenant_id", "status", "created_at"],
            unique=False,
        )
    _create_search_text_index(op.get_bind())

    op.create_table(
        "stock_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("OPEN", "RESOLVED", name="alertstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("suggested_qty", sa.Integer(), nullable=False),
        sa.Column("created_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", dinghuo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_stock_alerts_sku_id_skus"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_stock_alerts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_alerts")),
    )
    with op.batch_alter_table("stock_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_alerts_tenant_id_stock_alerts_status_stock_alerts_sku_id"),
            ["tenant_id", "status", "sku_id"],
            unique=False,
        )

    op.create_table(
        "stock_levels",
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("updated_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_levels_on_hand_not_negative")),
        sa.CheckConstraint(
            "reserved <= on_hand", name=op.f("ck_stock_levels_reserved_within_on_hand")
        ),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_stock_levels_reserved_not_negative")),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_stock_levels_sku_id_skus"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_stock_levels_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_levels_warehouse_id_warehouses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("warehouse_id", "sku_id", name=op.f("pk_stock_levels")),
    )
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_levels_tenant_id_stock_levels_sku_id"),
            ["tenant_id", "sku_id"],
            unique=False,
        )

    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "RECEIPT",
                "ADJUSTMENT",
                "RESERVATION",
                "RELEASE",
                "SHIPMENT",
                "RETURN",
                "ERP_SYNC",
                "STOCK_COUNT",
                name="movementkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("on_hand_delta", sa.Integer(), nullable=False),
        sa.Column("reserved_delta", sa.Integer(), nullable=False),
        sa.Column("on_hand_after", sa.Integer(), nullable=False),
        sa.Column("reserved_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reference_type", sa.String(length=40), nullable=True),
        sa.Column("reference_id", sa.String(length=64), nullable=True),
        sa.Column("actor_type", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("created_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
            name=op.f("fk_stock_movements_sku_id_skus"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_stock_movements_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_movements_warehouse_id_warehouses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_movements_tenant_id_stock_movements_created_at"),
            ["tenant_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f(
                "ix_stock_movements_tenant_id_stock_movements_reference_type_stock_movements_reference_id"
            ),
            ["tenant_id", "reference_type", "reference_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f(
                "ix_stock_movements_tenant_id_stock_movements_sku_id_stock_movements_warehouse_id_stock_movements_id"
            ),
            ["tenant_id", "sku_id", "warehouse_id", "id"],
            unique=False,
        )

    op.create_table(
        "stock_reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "RELEASED",
                "COMMITTED",
                name="reservationstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reference_type", sa.String(length=40), nullable=False),
        sa.Column("reference_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", dinghuo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", dinghuo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_reservations_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["sku_id"],
            ["skus.id"],
            name=op.f("fk_stock_reservations_sku_id_skus"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_stock_reservations_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_reservations_warehouse_id_warehouses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_reservations")),
    )
    with op.batch_alter_table("stock_reservations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f(
                "ix_stock_reservations_tenant_id_stock_reservations_reference_type_stock_reservations_reference_id"
            ),
            ["tenant_id", "reference_type", "reference_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f(
                "ix_stock_reservations_tenant_id_stock_reservations_sku_id_stock_reservations_status"
            ),
            ["tenant_id", "sku_id", "status"],
            unique=False,
        )

    # ### end Alembic commands ###
    enable_row_level_security(op.get_bind(), NEW_TENANT_TABLES)


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("stock_reservations", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f(
                "ix_stock_reservations_tenant_id_stock_reservations_sku_id_stock_reservations_status"
            )
        )
        batch_op.drop_index(
            batch_op.f(
                "ix_stock_reservations_tenant_id_stock_reservations_reference_type_stock_reservations_reference_id"
            )
        )

    op.drop_table("stock_reservations")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f(
                "ix_stock_movements_tenant_id_stock_movements_sku_id_stock_movements_warehouse_id_stock_movements_id"
            )
        )
        batch_op.drop_index(
            batch_op.f(
                "ix_stock_movements_tenant_id_stock_movements_reference_type_stock_movements_reference_id"
            )
        )
        batch_op.drop_index(batch_op.f("ix_stock_movements_tenant_id_stock_movements_created_at"))

    op.drop_table("stock_movements")
    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_levels_tenant_id_stock_levels_sku_id"))

    op.drop_table("stock_levels")
    with op.batch_alter_table("stock_alerts", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_stock_alerts_tenant_id_stock_alerts_status_stock_alerts_sku_id")
        )

    op.drop_table("stock_alerts")
    _drop_search_text_index(op.get_bind())
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f(
                "ix_search_documents_tenant_id_search_documents_status_search_documents_created_at"
            )
        )
        batch_op.drop_index(batch_op.f("ix_search_documents_tenant_id_search_documents_product_id"))

    op.drop_table("search_documents")
    op.drop_table("reorder_policies")
    with op.batch_alter_table("price_list_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_list_items_tenant_id_price_list_items_sku_id"))

    op.drop_table("price_list_items")
    op.drop_table("dealer_sku_codes")
    with op.batch_alter_table("channel_stock_reports", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f(
                "ix_channel_stock_reports_tenant_id_channel_stock_reports_dealer_id_channel_stock_reports_sku_id_channel_stock_reports_reported_at"
            )
        )

    op.drop_table("channel_stock_reports")
    with op.batch_alter_table("channel_stock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_stock_tenant_id_channel_stock_sku_id"))

    op.drop_table("channel_stock")
    with op.batch_alter_table("skus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skus_tenant_id_skus_product_id"))
        batch_op.drop_index(batch_op.f("ix_skus_tenant_id_skus_barcode"))

    op.drop_table("skus")
    with op.batch_alter_table("product_visibility", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f(
                "ix_product_visibility_tenant_id_product_visibility_scope_product_visibility_value"
            )
        )

    op.drop_table("product_visibility")
    with op.batch_alter_table("product_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_tags_tenant_id_product_tags_tag_id"))

    op.drop_table("product_tags")
    with op.batch_alter_table("product_specs", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_product_specs_tenant_id_product_specs_attribute_id_product_specs_value")
        )

    op.drop_table("product_specs")
    with op.batch_alter_table("product_relations", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_product_relations_tenant_id_product_relations_related_id")
        )

    op.drop_table("product_relations")
    with op.batch_alter_table("product_images", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f(
                "ix_product_images_tenant_id_product_images_product_id_product_images_position"
            )
        )

    op.drop_table("product_images")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batches_tenant_id_import_batches_created_at"))

    op.drop_table("import_batches")
    op.drop_table("spec_attributes")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_tenant_id_products_status"))
        batch_op.drop_index(batch_op.f("ix_products_tenant_id_products_created_at"))
        batch_op.drop_index(batch_op.f("ix_products_tenant_id_products_category_id"))
        batch_op.drop_index(batch_op.f("ix_products_tenant_id_products_brand_id"))

    op.drop_table("products")
    with op.batch_alter_table("price_list_assignments", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f(
                "ix_price_list_assignments_tenant_id_price_list_assignments_scope_price_list_assignments_value"
            )
        )

    op.drop_table("price_list_assignments")
    op.drop_table("warehouses")
    op.drop_table("tags")
    with op.batch_alter_table("price_lists", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_price_lists_tenant_id_price_lists_kind_price_lists_is_active")
        )

    op.drop_table("price_lists")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_categories_tenant_id_categories_parent_id_categories_position")
        )

    op.drop_table("categories")
    op.drop_table("business_settings")
    op.drop_table("brands")
    # ### end Alembic commands ###
