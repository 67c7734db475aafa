"""API endpoints of the charity area, mounted at /api/charity/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["charity"])
