"""API endpoints of the centre area, mounted at /api/centre/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["centre"])
