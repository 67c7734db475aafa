"""The permission matrix: what every role may open, for every URL pattern and API operation.

Letters, one per role in this order:
    anonymous  resident  clerk_a  clerk_b  reviewer_x  reviewer_y  fund_officer  auditor  provider  admin
A = allowed (2xx, a redirect that is not to the login page, or 400/409/422: reached, refused by a rule
    about the request or the object's state);
D = denied (401, 403, 404, or a redirect to the login page);
O = own only: the role's own side allowed and the other side denied (see tests/permission_world.py).

A row is "<url name>" (GET), "POST <url name>" for a view that only takes POST, "GET /api/…" for an API
operation as in /api/openapi.json; a parametrised URL names the object kind that fills it:
    "web:resident_detail": ("resident", "D O O O A A D A D A"),
POST rows send an empty form (web) or a minimal valid body built from the schema (API): they check who
gets past the gate (login, role, object scope); what the role may then do is tested in each area.

"admin" is the centre's administrator with the Django-admin rights of the demo's centre login
(view accounts and residents, add and change providers). ADMIN_MODELS says, for each model registered
in the Django admin, what that administrator may do there ("v" view, "a" add, "c" change, "d" delete);
every other role is denied the whole admin.

New page or operation? Add its row here, with the expectation you intend (run
`PERMISSION_MATRIX_RECORD=1 pytest tests/test_permission_matrix.py` to print what each role gets now).
"""

from __future__ import annotations

# fmt: off
PAGES: dict[str, str | tuple[str, str]] = {
}

API: dict[str, str | tuple[str, str]] = {
}

ADMIN_SITE: dict[str, str | tuple[str, str]] = {
}

ADMIN_MODELS: dict[str, str] = {
}
# fmt: on
