"""docs/orders.md shows the order state machine exactly as states.py defines it.

The transition table and the diagram in the guide are generated from
:data:`dinghuo.core.orders.states.TRANSITIONS`; when the machine changes, this
test fails and prints the text to paste between the markers. Running this file
(``.venv/bin/python tests/test_order_docs.py``) prints both blocks.
"""

from __future__ import annotations

import re
from pathlib import Path

from dinghuo.core.orders.states import TRANSITIONS, OrderStatus

DOC = Path(__file__).resolve().parents[1] / "docs" / "orders.md"


def transition_table() -> str:
    """One row per status, in the enum's order, with the statuses it may become."""
    rows = ["| From | May become |", "|---|---|"]
    for status in OrderStatus:
        targets = [f"`{t.value}`" for t in OrderStatus if t in TRANSITIONS[status]]
        rows.append(f"| `{status.value}` | {', '.join(targets) or '— (final)'} |")
    return "\n".join(rows)


def state_diagram() -> str:
    """The same machine as a Mermaid state diagram (GitHub renders it)."""
    lines = ["```mermaid", "stateDiagram-v2", "    [*] --> draft"]
    for status in OrderStatus:
        for target in OrderStatus:
            if target in TRANSITIONS[status]:
                lines.append(f"    {status.value} --> {target.value}")
        if not TRANSITIONS[status]:
            lines.append(f"    {status.value} --> [*]")
    lines.append("```")
    return "\n".join(lines)


def _block(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    assert found, f"docs/orders.md has no <!-- {name}:start --> … <!-- {name}:end --> block"
    return found.group(1)


def _documented_transitions(table: str) -> dict[str, set[str]]:
    documented: dict[str, set[str]] = {}
    for row in table.splitlines()[2:]:
        source, targets = (cell.strip() for cell in row.strip("|").split("|"))
        documented[source.strip("`")] = set(re.findall(r"`([a-z_]+)`", targets))
    return documented


def test_the_guides_transition_table_is_the_state_machine():
    table = _block("transitions")
    expected = {s.value: {t.value for t in targets} for s, targets in TRANSITIONS.items()}
    assert _documented_transitions(table) == expected, (
        "docs/orders.md's transition table drifted from states.TRANSITIONS; "
        f"paste this between the markers:\n{transition_table()}"
    )
    assert table == transition_table(), f"regenerate the table:\n{transition_table()}"
    assert _block("state-diagram") == state_diagram(), f"regenerate:\n{state_diagram()}"


def test_the_guide_names_every_status_and_ordering_setting():
    from dinghuo.platform.tenants.business import BusinessSettings

    text = DOC.read_text(encoding="utf-8")
    ordering = (
        "backorders_allowed",
        "reserve_stock_on",
        "review_steps",
        "auto_approve_tiers",
        "auto_approve_max_total",
        "auto_approve_within_credit_only",
        "tax_rate",
        "prices_include_tax",
        "order_number_prefix",
    )
    for name in ordering:
        assert name in BusinessSettings.model_fields, name
        assert f"`{name}`" in text, f"docs/orders.md does not explain the setting {name}"
    for status in OrderStatus:
        assert f"`{status.value}`" in text


if __name__ == "__main__":
    print("<!-- transitions:start -->")
    print(transition_table())
    print("<!-- transitions:end -->\n")
    print("<!-- state-diagram:start -->")
    print(state_diagram())
    print("<!-- state-diagram:end -->")
