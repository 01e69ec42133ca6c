"""The live preview's web server: loopback only, a few fixed routes, updates by SSE.

Routes: ``/`` (the page), ``/preview.js``, ``/preview.css``, ``/state`` (the
snapshot as JSON), ``/events`` (server-sent events, one per rebuild) and
``/picture/SCENE`` (that scene's picture from the cache). No route maps a URL
to a file path, so nothing outside the story's own pictures can be reached.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from storyscore.errors import StoryscoreError
from storyscore.preview.state import PreviewBuilder, Snapshot

HOST = "127.0.0.1"
POLL_SECONDS = 0.25  # how often the watched files are looked at
KEEPALIVE_SECONDS = 15.0  # an SSE comment this often keeps idle connections open
ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/preview.js": ("preview.js", "text/javascript; charset=utf-8"),
    "/preview.css": ("preview.css", "text/css; charset=utf-8"),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; "
                               "script-src 'self'; connect-src 'self'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Signature = tuple[tuple[str, int, int], ...]


def _signature(files: tuple[Path, ...]) -> Signature:
    """What the watched files look like on disk now (a missing file counts as a state)."""
    out = []
    for path in files:
        try:
            stat = path.stat()
            out.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((str(path), -1, -1))
    return tuple(out)


class PreviewServer:
    """Serves one script's preview and rebuilds it whenever the script or its files change."""

    def __init__(self, builder: PreviewBuilder, port: int = 0) -> None:
        self.builder = builder
        self.stopping = threading.Event()
        self.changed = threading.Condition()
        self.snapshot = Snapshot()
        try:
            self.httpd = ThreadingHTTPServer((HOST, port), _handler_for(self))
        except OSError as exc:
            raise StoryscoreError(f"cannot serve the preview on {HOST}:{port}: {exc.strerror}",
                                  hint="choose another --port, or leave it out for a free one"
                                  ) from None
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.watcher = threading.Thread(target=self._watch, name="preview-watch", daemon=True)
        self.on_rebuild: Callable[[Snapshot], None] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def serve(self, on_rebuild: Callable[[Snapshot], None] | None = None) -> None:
        """Watch and serve until ``stop`` (or Ctrl-C in the calling thread)."""
        self.on_rebuild = on_rebuild
        self.watcher.start()
        self.httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        """Stop watching, end the event streams and close the socket."""
        self.stopping.set()
        with self.changed:
            self.changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.watcher.is_alive():
            self.watcher.join(timeout=5)

    def _publish(self, snapshot: Snapshot) -> None:
        with self.changed:
            self.snapshot = snapshot
            self.changed.notify_all()
        if self.on_rebuild is not None:
            self.on_rebuild(snapshot)

    def _rebuild(self) -> None:
        try:
            snapshot = self.builder.rebuild()
        except Exception as exc:  # the server outlives any one bad rebuild
            snapshot = self.builder.snapshot
            snapshot = Snapshot(snapshot.version + 1, snapshot.story,
                                f"error: the preview could not be made ({exc!r})",
                                snapshot.pictures, snapshot.watched)
            self.builder.snapshot = snapshot
        self._publish(snapshot)

    def _watch(self) -> None:
        seen: Signature | None = None
        while not self.stopping.is_set():
            files = self.builder.snapshot.watched
            if _signature(files) != seen:
                # Editors save through a temporary file; let the rename land first.
                time.sleep(0.05)
                before = {entry[0]: entry for entry in _signature(files)}
                self._rebuild()
                # Files watched before keep the state read before the rebuild, so a save
                # made while it ran is seen on the next look.
                now = _signature(self.builder.snapshot.watched)
                seen = tuple(before.get(entry[0], entry) for entry in now)
            self.stopping.wait(POLL_SECONDS)

    def wait_for_change(self, version: int, timeout: float) -> Snapshot:
        """The snapshot once it is newer than ``version`` (or as it is after ``timeout``)."""
        with self.changed:
            self.changed.wait_for(
                lambda: self.snapshot.version != version or self.stopping.is_set(), timeout)
            return self.snapshot


def _handler_for(server: PreviewServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_PreviewHandler):
        preview = server

    return Handler


class _PreviewHandler(BaseHTTPRequestHandler):
    preview: PreviewServer
    server_version = "storyscore-preview"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows rebuilds, not requests."""

    def _allowed_host(self) -> bool:
        # A page elsewhere could point a name at 127.0.0.1 (DNS rebinding); only
        # requests addressed to this server by its loopback name are served.
        port = self.preview.port
        return self.headers.get("Host", "") in (f"{HOST}:{port}", f"localhost:{port}")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _refuse(self, status: HTTPStatus) -> None:
        self._send(status, f"{status.value} {status.phrase}\n".encode(), "text/plain")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._allowed_host():
            self._refuse(HTTPStatus.FORBIDDEN)
            return
        path = urlsplit(self.path).path
        if path in ASSETS:
            name, content_type = ASSETS[path]
            body = resources.files("storyscore.preview").joinpath("assets", name).read_bytes()
            self._send(HTTPStatus.OK, body, content_type)
        elif path == "/state":
            body = json.dumps(self.preview.snapshot.as_json()).encode("utf-8")
            self._send(HTTPStatus.OK, body, "application/json")
        elif path == "/events":
            self._events()
        elif path == "/favicon.ico":  # browsers ask; an empty answer keeps the console clean
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        elif path.startswith("/picture/"):
            self._picture(path.removeprefix("/picture/"))
        else:
            self._refuse(HTTPStatus.NOT_FOUND)

    def _picture(self, scene_id: str) -> None:
        # The id only selects among the current story's pictures; it is never a path.
        found = self.preview.snapshot.pictures.get(scene_id)
        if found is None:
            self._refuse(HTTPStatus.NOT_FOUND)
            return
        try:
            body = found.read_bytes()
        except OSError:
            self._refuse(HTTPStatus.NOT_FOUND)
            return
        self._send(HTTPStatus.OK, body, "image/png")

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        version = -1
        try:
            while not self.preview.stopping.is_set():
                snapshot = self.preview.wait_for_change(version, KEEPALIVE_SECONDS)
                if self.preview.stopping.is_set():
                    break
                if snapshot.version == version:
                    self.wfile.write(b": still here\n\n")
                else:
                    version = snapshot.version
                    data = json.dumps(snapshot.as_json())
                    self.wfile.write(f"event: story\ndata: {data}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the page was closed
