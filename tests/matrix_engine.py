"""The machinery of the permission matrix: enumerate every URL pattern and API operation, make the
request for one role and classify the answer. The declarations live in tests/permission_matrix.py, the
people and objects in tests/permission_world.py, the test in tests/test_permission_matrix.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from . import permission_matrix as declared

ROLES: tuple[str, ...] = (
    "anonymous",
    "resident",
    "clerk_a",
    "clerk_b",
    "reviewer_x",
    "reviewer_y",
    "fund_officer",
    "auditor",
    "provider",
    "admin",
)
# Whose object is "own" for an O cell: side A = town A / department X / the provider's own objects.
SIDE = {
    "resident": "a",
    "clerk_a": "a",
    "reviewer_x": "a",
    "provider": "a",
    "clerk_b": "b",
    "reviewer_y": "b",
}
LETTERS = frozenset("ADO")
API_NAMESPACE = "api"
API_PAGES = frozenset({"api:openapi-json", "api:openapi-view", "api:api-root"})


@dataclass(frozen=True)
class Pattern:
    """One URL pattern of the project (outside the API's operations)."""

    key: str  # "web:home", or the route for an unnamed pattern
    route: str
    view_name: str | None
    params: tuple[str, ...]
    admin_model: str | None = None  # "app_label.model" for the admin's per-model patterns


def _params(route: str) -> tuple[str, ...]:
    return tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str | None]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if (entry.name and namespace) else entry.name
            yield prefix + str(entry.pattern), name


def _admin_models() -> dict[str, str]:
    """route prefix "admin/<app>/<model>/" → "app.model" for every registered ModelAdmin."""
    return {
        f"admin/{m._meta.app_label}/{m._meta.model_name}/": m._meta.label_lower for m in admin.site._registry
    }


def url_patterns() -> list[Pattern]:
    """Every URL pattern outside the API namespace's operations (those come from the OpenAPI schema)."""
    models = _admin_models()
    found: dict[str, Pattern] = {}
    for route, name in _walk(get_resolver().url_patterns):
        if name and name.startswith(f"{API_NAMESPACE}:") and name not in API_PAGES:
            continue
        model = next((label for prefix, label in models.items() if route.startswith(prefix)), None)
        key = name or route
        found.setdefault(key, Pattern(key, route, name, _params(route), model))
    return list(found.values())


def api_operations() -> dict[str, dict[str, Any]]:
    """ "GET /api/residents/{resident_id}" → the operation's OpenAPI entry (with the whole schema)."""
    from xinshimin.api.routes import api

    schema = api.get_openapi_schema()
    operations: dict[str, dict[str, Any]] = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            operations[f"{method.upper()} {path}"] = {**operation, "_schema": schema}
    return operations


# --- declarations ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str  # "web:home", "POST web:resident_reveal", "GET /api/me", "admin:index"
    method: str
    target: str  # URL name / route / API path
    kind: str | None  # object kind that fills the URL's parameters (tests/permission_world.py)
    cells: dict[str, str]


def parse_cells(key: str, text: str) -> dict[str, str]:
    letters = text.split()
    if len(letters) != len(ROLES) or set(letters) - LETTERS:
        raise ValueError(
            f"{key}: write {len(ROLES)} letters (A allow, D deny, O own only) for {', '.join(ROLES)}; got {text!r}"
        )
    cells = dict(zip(ROLES, letters, strict=True))
    sideless = [role for role, letter in cells.items() if letter == "O" and role not in SIDE]
    if sideless:
        raise ValueError(
            f"{key}: 'O' (own only) needs a role with a side ({', '.join(SIDE)}), not {sideless}"
        )
    return cells


def _split_key(key: str) -> tuple[str, str]:
    method, _sep, target = key.partition(" ")
    if target and method in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
        return method, target
    return "GET", key


def declared_rows() -> list[Row]:
    rows: list[Row] = []
    for table in (declared.PAGES, declared.API, declared.ADMIN_SITE):
        for key, value in table.items():
            kind, text = value if isinstance(value, tuple) else (None, value)
            method, target = _split_key(key)
            rows.append(Row(key, method, target, kind, parse_cells(key, text)))
    return rows


def admin_rows(patterns: list[Pattern], has_rows: Callable[[str], bool]) -> list[Row]:
    """The admin's per-model patterns, expanded from ADMIN_MODELS (what the administrator may do there).

    Pages of one object are checked only for models with at least one row in the world (Django's history
    page answers "does not exist" before it checks permissions).
    """
    rows = []
    for pattern in patterns:
        if pattern.admin_model is None or pattern.admin_model not in declared.ADMIN_MODELS:
            continue
        if pattern.params and not has_rows(pattern.admin_model):
            continue
        rights = declared.ADMIN_MODELS[pattern.admin_model]
        name = pattern.view_name or ""
        action = "password" if name.endswith("_password_change") else name.rsplit("_", 1)[-1] if name else ""
        # "<object id>/" only redirects to the change page (which checks): any admin-site login passes it.
        needed = {
            "changelist": "v",
            "history": "v",
            "change": "v",
            "add": "a",
            "delete": "d",
            "password": "c",
        }
        need = needed.get(action, "v") if name else ""
        allowed = "A" if need in rights or (need == "v" and "c" in rights) else "D"
        cells = {role: "D" for role in ROLES} | {"admin": allowed}
        rows.append(Row(pattern.key, "GET", pattern.key, "admin_object", cells))
    return rows


def undeclared(patterns: list[Pattern], operations: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(pages, API operations, admin models) that have no declaration."""
    keys = {_split_key(k)[1] for k in (*declared.PAGES, *declared.ADMIN_SITE)}
    pages = sorted(p.key for p in patterns if p.admin_model is None and p.key not in keys)
    ops = sorted(set(operations) - set(declared.API))
    models = sorted({p.admin_model for p in patterns if p.admin_model} - set(declared.ADMIN_MODELS))
    admin_pages = sorted(
        p.key
        for p in patterns
        if p.admin_model and p.admin_model in declared.ADMIN_MODELS and p.key in keys  # declared twice
    )
    return pages + [f"{k} (declared in ADMIN_MODELS too)" for k in admin_pages], ops, models


def stale(patterns: list[Pattern], operations: dict[str, Any]) -> list[str]:
    """Declarations whose URL pattern or operation no longer exists."""
    keys = {p.key for p in patterns}
    gone = [k for k in (*declared.PAGES, *declared.ADMIN_SITE) if _split_key(k)[1] not in keys]
    gone += [k for k in declared.API if k not in operations]
    models = {p.admin_model for p in patterns}
    gone += [f"ADMIN_MODELS[{m!r}]" for m in declared.ADMIN_MODELS if m not in models]
    return gone


# --- requests and answers ----------------------------------------------------------------------------

LOGIN_PATHS = ("/login/", "/admin/login/")


@dataclass
class Outcome:
    status: int
    location: str = ""
    letter: str = ""  # "A" or "D", or "" for an answer that is neither (an error)
    note: str = ""


def classify(response: Any, *, api: bool) -> Outcome:
    status = response.status_code
    location = response.get("Location", "") if 300 <= status < 400 else ""
    outcome = Outcome(status, location)
    if status >= 500:
        outcome.note = "server error"
    elif status == 429:
        outcome.note = "rate limited (the matrix runs with limits off: check the settings)"
    elif status == 405:
        outcome.note = (
            "method not allowed: declare the row with the method the view takes (e.g. 'POST web:…')"
        )
    elif status in (401, 403, 404):
        outcome.letter = "D"
    elif 300 <= status < 400:
        path = location.split("?")[0]
        if path.endswith(LOGIN_PATHS):
            outcome.letter = "D"
        elif path.startswith("/security/otp/"):
            outcome.note = "sent to the two-factor step: the matrix's staff sessions should be verified"
        else:
            outcome.letter = "A"
    elif status < 300 or status in (400, 409, 422):
        # Reached the view; 400/409/422 = refused by a rule about the request or the object's state.
        outcome.letter = "A"
    else:
        outcome.note = f"unexpected status {status}"
    return outcome


def _sample(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """A minimal instance of a JSON schema: required properties only, simple values."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _sample(root["components"]["schemas"][name], root)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [s for s in schema[combined] if s.get("type") != "null"] or schema[combined]
            return _sample(options[0], root)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: _sample(props[name], root) for name in schema.get("required", []) if name in props}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return "2025-06-02"
        if fmt == "date-time":
            return "2025-06-02T10:00:00+08:00"
        if fmt == "binary":
            return None
        text = "经核实，情况属实，材料齐全。请按规定办理。"  # long enough for most minimum lengths
        return text[: int(schema.get("maxLength", len(text)))]
    return None


@dataclass
class ApiCall:
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    json_body: Any = None
    form_body: dict[str, Any] | None = None


def api_call(key: str, operation: dict[str, Any], values: dict[str, Any], body: Any = None) -> ApiCall:
    method, path = _split_key(key)
    root = operation["_schema"]
    missing = []
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] == "path":
            if name not in values:
                missing.append(name)
            path = path.replace("{" + name + "}", str(values.get(name, "")))
    if missing:
        raise LookupError(f"{key}: the object kind gives no value for path parameter(s) {missing}")
    query = {
        p["name"]: values.get(p["name"], _sample(p.get("schema", {}), root))
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    call = ApiCall(method, path, query)
    if method != "GET":
        content = operation.get("requestBody", {}).get("content", {})
        if body is not None:
            sample = body
        elif content:
            media = next(iter(content.values()))
            sample = _sample(media.get("schema", {}), root)
        else:
            sample = None
        if "multipart/form-data" in content:
            call.form_body = {k: v for k, v in (sample or {}).items() if v is not None}
        else:
            call.json_body = sample
    return call


def send_api(client: Client, call: ApiCall) -> Any:
    if call.method == "GET":
        return client.get(call.path, call.query)
    query = "?" + "&".join(f"{k}={v}" for k, v in call.query.items()) if call.query else ""
    sender = getattr(client, call.method.lower())
    if call.form_body is not None:
        return sender(call.path + query, call.form_body)
    payload = json.dumps(call.json_body if call.json_body is not None else {})
    return sender(call.path + query, payload, content_type="application/json")


def page_url(row: Row, pattern: Pattern, values: dict[str, Any]) -> str:
    missing = [p for p in pattern.params if p not in values]
    if missing:
        raise LookupError(f"{row.key}: the object kind {row.kind!r} gives no value for {missing}")
    if pattern.view_name and pattern.key != pattern.route:
        return reverse(pattern.view_name, kwargs={p: values[p] for p in pattern.params})
    path = pattern.route
    for name in pattern.params:
        path = re.sub(r"(?<!\?P)<(?:\w+:)?" + name + ">", str(values[name]), path)
    for name in pattern.params:  # regular-expression groups: (?P<name>…)
        path = re.sub(r"\(\?P<" + name + r">[^)]*\)\$?", str(values[name]), path)
    return "/" + path
