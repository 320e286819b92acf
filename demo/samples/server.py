"""HTTP glue: turns ``http.server`` requests into ``Request`` objects for a ``SampleSystem`` and back."""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from demo.samples.protocol import ApiError, Request, Response
from demo.samples.system import SampleSystem

MAX_BODY_BYTES = 1_000_000


class SampleServer(ThreadingHTTPServer):
    daemon_threads = True  # a client holding a keep-alive connection must not block shutdown

    def __init__(self, address: tuple[str, int], system: SampleSystem, *, verbose: bool = False) -> None:
        self.system = system
        self.verbose = verbose
        super().__init__(address, SampleRequestHandler)


class SampleRequestHandler(BaseHTTPRequestHandler):
    server: SampleServer
    protocol_version = "HTTP/1.1"
    server_version = "IntegrationHubSample/1.0"
    sys_version = ""

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        try:
            response = self.server.system.handle(self._read_request())
        except ApiError as error:
            response = error.to_response()
        self._send(response)

    def _read_request(self) -> Request:
        url = urlsplit(self.path)
        return Request(
            method=self.command,
            path=url.path,
            # The first occurrence wins when a parameter is repeated.
            query=dict(reversed(parse_qsl(url.query, keep_blank_values=True))),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self._read_body(),
            client_host=self.client_address[0],
        )

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            raise ApiError(411, "chunked bodies are not supported; send Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise ApiError(400, "Content-Length is not a number") from None
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would otherwise be parsed as the next request
            raise ApiError(413, f"request body must be at most {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length)

    def _send(self, response: Response) -> None:
        payload = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Errors raised by http.server itself (bad request line, unknown method) get a JSON body too.
        self.close_connection = True
        self._send(Response(code, {"error": message or self.responses.get(code, ("error",))[0]}))

    def log_message(self, format: str, *args: Any) -> None:
        # Only the request line and status are logged; credentials travel in headers and never get here.
        if self.server.verbose:
            sys.stderr.write(f"[{self.server.system.name}] {self.address_string()} - {format % args}\n")
