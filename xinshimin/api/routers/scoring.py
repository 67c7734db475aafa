"""API endpoints of the scoring area, mounted at /api/scoring/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["scoring"])
