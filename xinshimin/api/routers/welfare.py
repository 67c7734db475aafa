"""API endpoints of the welfare area, mounted at /api/welfare/."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["welfare"])
