"""A small stand-in workspace for ``databricks bundle validate`` / ``summary`` (plain HTTP on 127.0.0.1).

No workspace can exist here, so this answers the handful of REST calls the real CLI makes while it
loads and validates a bundle, the way a workspace does:

- ``GET /.well-known/databricks-config``: host metadata the SDK resolves first;
- ``GET /api/2.0/preview/scim/v2/Me``: who deploys (a user, or a service principal whose user name
  is its application id), which decides ``${workspace.current_user.*}`` and the default root path;
- ``GET /api/2.0/workspace/get-status`` and ``POST /api/2.0/workspace/mkdirs``: a folder tree with
  the users' home folders (``/Workspace/...`` and ``/...`` are the same path, as on a workspace);
- ``GET /api/2.0/permissions/directories/{id}``: each folder's ACL (its owner CAN_MANAGE and the
  ``admins`` group, inherited), which the CLI compares with the bundle's ``permissions``.

Every call but the discovery one needs a bearer token; like on a workspace, the token says who calls
(a personal access token of a developer, or one of the service principal's). Anything else is
answered 404 ``ENDPOINT_NOT_FOUND`` and recorded in ``unknown`` so a test can show what the CLI asked.
"""

from __future__ import annotations

import itertools
import json
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WORKSPACE_ID = "1234567890123456"


@dataclass(frozen=True)
class Identity:
    """A workspace principal: a user (e-mail) or a service principal (application id + display name)."""

    user_name: str
    display_name: str
    groups: tuple[str, ...] = ("users",)

    @property
    def is_service_principal(self) -> bool:
        return "@" not in self.user_name

    def scim(self, scim_id: str) -> dict[str, Any]:
        me: dict[str, Any] = {
            "id": scim_id,
            "userName": self.user_name,
            "displayName": self.display_name,
            "active": True,
            "groups": [{"display": g, "type": "direct"} for g in self.groups],
        }
        if self.is_service_principal:
            me["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"]
        else:
            me["emails"] = [{"value": self.user_name, "type": "work", "primary": True}]
        return me

    def acl_entry(self, level: str, inherited: bool = False) -> dict[str, Any]:
        key = "service_principal_name" if self.is_service_principal else "user_name"
        permission: dict[str, Any] = {"permission_level": level, "inherited": inherited}
        return {key: self.user_name, "display_name": self.display_name, "all_permissions": [permission]}


def _canonical(path: str) -> str:
    """``/Workspace/Users/x`` and ``/Users/x`` name the same object on a workspace."""
    path = "/" + path.strip("/")
    return path.removeprefix("/Workspace") or "/"


@dataclass
class Folder:
    object_id: int
    acl: list[dict[str, Any]]


@dataclass
class StubWorkspace:
    """The state behind the HTTP handler: tokens and their principals, folders, what was asked."""

    tokens: dict[str, Identity]
    folders: dict[str, Folder] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1_000_001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        admins = {"group_name": "admins", "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": False}]}
        for path in ("/", "/Users", "/Shared"):
            self.folders[path] = Folder(next(self._ids), [admins])
        for who in self.tokens.values():  # a home folder belongs to its principal; admins inherit
            inherited = {**admins, "all_permissions": [{"permission_level": "CAN_MANAGE", "inherited": True}]}
            self.folders[f"/Users/{who.user_name}"] = Folder(next(self._ids), [who.acl_entry("CAN_MANAGE"), inherited])

    def mkdirs(self, path: str) -> None:
        path = _canonical(path)
        with self._lock:
            parts = path.strip("/").split("/")
            for depth in range(1, len(parts) + 1):
                folder = "/" + "/".join(parts[:depth])
                if folder not in self.folders:
                    parent = self.folders[_canonical(folder.rsplit("/", 1)[0] or "/")]
                    inherited = [
                        {**e, "all_permissions": [{**p, "inherited": True} for p in e["all_permissions"]]}
                        for e in parent.acl
                    ]
                    self.folders[folder] = Folder(next(self._ids), inherited)

    def answer(self, who: Identity, method: str, url: str, body: bytes) -> tuple[int, Any]:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        route = parts.path
        self.requests.append(f"{method} {route}")
        if method == "GET" and route == "/api/2.0/sql/warehouses":  # the dashboard's warehouse_id lookup
            return 200, {"warehouses": [{"id": "a1b2c3d4e5f60708", "name": "Serverless Starter Warehouse"}]}
        if method == "GET" and route == "/api/2.0/preview/scim/v2/Me":
            return 200, who.scim(str(zlib.crc32(who.user_name.encode())))
        if method == "GET" and route == "/api/2.0/workspace/get-status":
            path = _canonical(query.get("path", ""))
            folder = self.folders.get(path)
            if folder is None:
                return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Path ({path}) doesn't exist."}
            return 200, {"object_type": "DIRECTORY", "path": path, "object_id": folder.object_id}
        if method == "POST" and route == "/api/2.0/workspace/mkdirs":
            self.mkdirs(json.loads(body or b"{}")["path"])
            return 200, {}
        if method == "GET" and route.startswith("/api/2.0/permissions/directories/"):
            object_id = int(route.rsplit("/", 1)[1])
            for folder in self.folders.values():
                if folder.object_id == object_id:
                    return 200, {
                        "object_id": f"/directories/{object_id}",
                        "object_type": "directory",
                        "access_control_list": folder.acl,
                    }
            return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Directory {object_id} not found"}
        self.unknown.append(f"{method} {route}")
        return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"No API found for '{method} {route}'"}


def _handler(state: StubWorkspace) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            if self.path == "/.well-known/databricks-config":
                host = f"http://{self.headers.get('Host')}"
                status, payload = 200, {"workspace_id": WORKSPACE_ID, "oidc_endpoint": f"{host}/oidc"}
            elif token not in state.tokens:
                status, payload = 401, {"error_code": "UNAUTHENTICATED", "message": "Invalid access token."}
            else:
                status, payload = state.answer(state.tokens[token], self.command, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:  # quiet: requests are kept in state
            pass

    return Handler


@contextmanager
def serve(state: StubWorkspace) -> Iterator[str]:
    """Serve ``state`` on a free port of 127.0.0.1 in a thread; yields the host URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, name="stub-workspace", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
