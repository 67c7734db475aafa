from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI

api = NinjaAPI(
    title="xinshimin API", version="1", description="新市民积分制 — Rui'an new-citizen points platform"
)


@api.get("/health", tags=["system"])
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}
