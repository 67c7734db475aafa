"""API endpoints of the integrity area, mounted at /api/integrity/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["integrity"])
