"""Built-in pricing plugins: ``tier_discount`` and ``contract_price``.

Each is a module written against the public ``dinghuo.plugins`` API only and
loaded like a third-party rule (``DEFAULT_PLUGINS``). A tenant enables the
ones it uses; their adjustments appear on cart lines and are frozen on the
order's lines with the label the dealer reads.
"""
