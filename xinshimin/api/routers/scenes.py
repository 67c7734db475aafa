"""API endpoints of the scenes area, mounted at /api/scenes/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["scenes"])
