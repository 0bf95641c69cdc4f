"""`GET /categories` and `GET /categories/{id}`: Pluggy's category tree, flat.

Pluggy's OAS documents the list as a bare array; the API answers a page, as its own example shows.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from provider_sandbox.pluggy.errors import new_router, not_found
from provider_sandbox.pluggy.models import page
from provider_sandbox.pluggy.transactions.catalog import (
    CATEGORIES,
    CATEGORY_TRANSLATIONS,
    TOP_LEVEL_CATEGORIES,
)

router = new_router(tags=["Pluggy categories"])


def _tree() -> dict[str, dict[str, Any]]:
    tree: dict[str, dict[str, Any]] = {
        category_id: {
            "id": category_id,
            "description": description,
            "descriptionTranslated": CATEGORY_TRANSLATIONS[category_id],
        }
        for category_id, description in TOP_LEVEL_CATEGORIES.items()
    }
    for category_id, description in CATEGORIES.items():
        parent_id = category_id[:2] + "000000"
        if category_id not in tree:
            tree[category_id] = {
                "id": category_id,
                "description": description,
                "descriptionTranslated": CATEGORY_TRANSLATIONS[category_id],
                "parentId": parent_id,
                "parentDescription": TOP_LEVEL_CATEGORIES[parent_id],
            }
    return dict(sorted(tree.items()))


TREE = _tree()


@router.get("/categories")
async def list_categories(
    parent_id: Annotated[str | None, Query(alias="parentId")] = None,
) -> dict[str, Any]:
    """Every category (parents and children), or the children of `parentId`."""
    return page(
        [category for category in TREE.values() if parent_id in (None, category.get("parentId"))]
    )


@router.get("/categories/{category_id}")
async def get_category(category_id: str) -> dict[str, Any]:
    """One category."""
    category = TREE.get(category_id)
    if category is None:
        raise not_found("category")
    return category
