"""Start and stop a fake provider's HTTP server on 127.0.0.1 (an ephemeral port) in a thread."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def wire_json(payload: object) -> str:
    """UTF-8 JSON as servers send it; text that is not valid (a lone surrogate, which a test may
    script) goes out escaped ("\\ud800"), as JSON allows and a broken server might."""
    text = json.dumps(payload, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload)
    return text


@dataclass
class Raw:
    """Send exactly these bytes as the reply: a proxy's HTML error page, or a stream of garbage.

    `chunked` streams the body as one chunk of an event stream (as a streaming reply would);
    otherwise it goes out with a Content-Length.
    """

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    chunked: bool = False


@dataclass
class Drop:
    """Read the request, then close the connection without a byte of reply (a proxy or server
    that dies before answering)."""


# What nginx answers when the server behind it is down.
HTML_502 = Raw(502, b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
                    b"</body>\r\n</html>\r\n")


class StreamingHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 plumbing both fake providers share: JSON bodies and chunked event streams."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass  # the client closed a kept-alive connection, or gave up mid-stream: a test's intent

    def read_json(self) -> dict[str, Any]:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

    def send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def cut_stream(self, partial: bytes) -> None:
        """Announce a 64-byte chunk, send less, and drop the connection: a stream cut mid-reply."""
        self.wfile.write(b"40\r\n" + partial)
        self.wfile.flush()
        self.close_connection = True

    def send_special(self, reply: Raw | Drop) -> None:
        """Answer with a Raw reply or drop the connection (see Raw and Drop)."""
        if isinstance(reply, Drop):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if reply.chunked:
            self.start_stream(reply.content_type, reply.status)
            self.send_chunk(reply.body)
            self.end_stream()
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class LocalHTTPServer:
    """Serves `handler` on 127.0.0.1 for the length of a `with` block.

    `release` is set on exit so a reply held back on purpose (a slow stream) lets go at once.
    """

    api_path = ""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.api_path}"

    def __enter__(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
