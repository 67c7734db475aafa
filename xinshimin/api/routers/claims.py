"""API endpoints of the claims area, mounted at /api/claims/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["claims"])
