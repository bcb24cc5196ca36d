"""The public read API under /api/v1 (views.py), what it answers (schemas.py) and how its
lists are paged and cached (paging.py). The OpenAPI document is generated from these by
spectree (spec.py)."""
