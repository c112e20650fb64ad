"""The category tree as pages show it: nodes in order with their depth and path.

Built from :func:`dinghuo.core.catalog.service.category_tree` (one query), so a
page shows the whole tree and every select box lists "数码 › 手机" without a
query per level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dinghuo.core.catalog.models import Category
from dinghuo.core.catalog.service import CategoryNode

PATH_SEPARATOR = " › "


@dataclass(frozen=True)
class TreeNode:
    category: Category
    depth: int
    path: str
    siblings: tuple[int, ...]
    """Ids of the category's siblings (itself included), in order: what reordering permutes."""

    @property
    def is_first(self) -> bool:
        return self.siblings[0] == self.category.id

    @property
    def is_last(self) -> bool:
        return self.siblings[-1] == self.category.id

    def moved(self, direction: str) -> list[int]:
        """The siblings' order with this category one step ``up`` or ``down`` (else unchanged)."""
        order = list(self.siblings)
        index = order.index(self.category.id)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
        return order


def flatten(tree: Sequence[CategoryNode]) -> list[TreeNode]:
    """Depth first, each level in the tree's order."""
    nodes: list[TreeNode] = []

    def walk(level: Sequence[CategoryNode], prefix: str) -> None:
        siblings = tuple(node.category.id for node in level)
        for node in level:
            path = f"{prefix}{node.category.display_name}"
            nodes.append(TreeNode(node.category, node.depth, path, siblings))
            walk(node.children, path + PATH_SEPARATOR)

    walk(tree, "")
    return nodes


def options(nodes: Iterable[TreeNode], *, excluding: int | None = None) -> list[tuple[int, str]]:
    """``(id, path)`` for a select box; ``excluding`` drops a category and its descendants."""
    result: list[tuple[int, str]] = []
    skip_below: int | None = None
    for node in nodes:
        if skip_below is not None:
            if node.depth > skip_below:
                continue
            skip_below = None
        if node.category.id == excluding:
            skip_below = node.depth
            continue
        result.append((node.category.id, node.path))
    return result
