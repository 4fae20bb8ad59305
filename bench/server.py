"""A feed server on 127.0.0.1 for the benchmarks, run in its own process.

`python bench/server.py --feeds 500 --entries 50 --latency 0.2` prints its port on the first
line of stdout, then serves `/feeds/N.xml` (each with an ETag and a Last-Modified, answering a
matching conditional request with 304), holding every answer for `latency` seconds as a distant
server would. `/stats` gives the counts of 200 and 304 answers as JSON, and the most requests it
held at once for one host name (`max_per_host`); `/reset` zeroes them.
It stops when its stdin closes.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feedgen import feed_xml


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # hundreds of clients connect at once


def make_handler(feeds: dict[int, bytes], latency: float, modified: str) -> type[BaseHTTPRequestHandler]:
    counts = {"200": 0, "304": 0, "404": 0, "max_per_host": 0}  # the most requests at once to one host
    in_flight: dict[str, int] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def count(self, status: int) -> None:
            with lock:
                counts[str(status)] += 1

        def do_GET(self) -> None:
            if self.path == "/stats":
                self.send_body(200, json.dumps(counts).encode(), "application/json")
                return
            if self.path == "/reset":
                with lock:
                    for key in counts:
                        counts[key] = 0
                self.send_body(200, b"{}", "application/json")
                return
            host = self.headers.get("Host", "")
            with lock:
                in_flight[host] = in_flight.get(host, 0) + 1
                counts["max_per_host"] = max(counts["max_per_host"], in_flight[host])
            try:
                self.answer_feed()
            finally:
                with lock:
                    in_flight[host] -= 1

        def answer_feed(self) -> None:
            time.sleep(latency)
            number = self.path.removeprefix("/feeds/").removesuffix(".xml")
            body = feeds.get(int(number)) if number.isdigit() else None
            if body is None:
                self.count(404)
                self.send_body(404, b"not found", "text/plain")
                return
            etag = f'"feed-{number}-v1"'
            if self.headers.get("If-None-Match") == etag or self.headers.get("If-Modified-Since") == modified:
                self.count(304)
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.count(200)
            self.send_body(200, body, "application/rss+xml; charset=utf-8", etag, modified)

        def send_body(
            self,
            status: int,
            body: bytes,
            content_type: str,
            etag: str | None = None,
            modified: str | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified or "")
            self.end_headers()
            self.wfile.write(body)

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    now = datetime.now(UTC)
    server = Server(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    feeds = {n: feed_xml(n, args.entries, now, port) for n in range(args.feeds)}
    server.RequestHandlerClass = make_handler(feeds, args.latency, format_datetime(now, usegmt=True))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(port, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
    server.shutdown()


if __name__ == "__main__":
    main()
