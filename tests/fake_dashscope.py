"""A fake DashScope server on 127.0.0.1 speaking the real text-generation wire protocol.

POST /api/v1/services/aigc/text-generation/generation with `X-DashScope-SSE: enable` gets a
chunked `text/event-stream` of `id:/event:result/:HTTP_STATUS/200/data:{...}` records, as the
DashScope SDK expects; errors come back as JSON bodies with a `code` and `message`.
Each request consumes the next scripted reply, so a test can say exactly what happens; each is
recorded (path, headers, JSON body), so a test can check what was asked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

# HTML_502, Drop and Raw are re-exported: tests script a proxy's error page or a dropped connection.
from local_http_server import HTML_502, Drop, LocalHTTPServer, Raw, StreamingHandler, wire_json  # noqa: F401

GENERATION_PATH = "/api/v1/services/aigc/text-generation/generation"
# The key the `fake_dashscope` fixture (tests/conftest.py) puts in DASHSCOPE_API_KEY.
TEST_KEY = "sk-test-fake-key-0123456789"


@dataclass
class Stream:
    chunks: list[str]
    cut_after: int | None = None  # close the connection after this many chunks, mid-stream
    garbage: bytes | None = None  # with cut_after: send this as the next event instead, then end
    delay_s: float = 0.0
    stall_after: int | None = None  # with delay_s: only chunks after this many are delayed
    finish_reason: str = "stop"  # on the last chunk; "": the stream ends without one
    # What a web search found (index, title, url, site_name, icon): sent, as DashScope does, only
    # when the request asked for web search with its sources, in the chunks numbered here.
    search_results: list[dict[str, Any]] = field(default_factory=list)
    search_results_in: tuple[int, ...] = (1,)


@dataclass
class Error:
    status: int
    code: str
    message: str


# Raw: exact bytes (HTML_502, garbage(...)); Drop: the connection closes before any reply.
Reply = Stream | Error | Raw | Drop


def garbage(data: bytes) -> Raw:
    """A 200 event stream whose one record carries `data` where the JSON should be: malformed
    JSON (b'{"output": ') or bytes that are not UTF-8 (b'\\xff\\xfe')."""
    return Raw(200, b"id:1\nevent:result\n:HTTP_STATUS/200\ndata:" + data + b"\n\n",
               "text/event-stream;charset=UTF-8", chunked=True)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, str]]:
        return self.body["input"]["messages"]

    @property
    def prompt_text(self) -> str:
        return "\n".join(m["content"] for m in self.messages)


@dataclass
class FakeDashScope:
    replies: list[Reply] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    default: Reply = field(default_factory=lambda: Stream(["Default ", "reply."]))
    release: threading.Event = field(default_factory=threading.Event)

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if self.replies else self.default



def _handler_for(fake: FakeDashScope) -> type[StreamingHandler]:
    class Handler(StreamingHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.read_json()
            fake.requests.append(Recorded(self.path, dict(self.headers.items()), body))
            if self.path != GENERATION_PATH:
                return self.send_json(404, {"code": "NotFound", "message": f"no route {self.path}"})
            reply = fake.next_reply()
            if isinstance(reply, (Raw, Drop)):
                return self.send_special(reply)
            if isinstance(reply, Error):
                return self.send_json(reply.status, {"code": reply.code, "message": reply.message,
                                                 "request_id": "fake-req"})
            self._stream(reply, body)

        def _stream(self, reply: Stream, body: dict[str, Any]) -> None:
            self.start_stream("text/event-stream;charset=UTF-8")
            prompt_tokens = sum(len(m["content"].split()) for m in body["input"]["messages"])
            parameters = body.get("parameters", {})
            sources_asked = bool(parameters.get("enable_search")) and bool(
                parameters.get("search_options", {}).get("enable_source"))
            for index, text in enumerate(reply.chunks, start=1):
                if reply.cut_after is not None and index > reply.cut_after:
                    if reply.garbage is not None:
                        self.send_chunk(f"id:{index}\nevent:result\n:HTTP_STATUS/200\ndata:".encode() + reply.garbage + b"\n\n")
                        self.end_stream()
                        return
                    self.cut_stream(b"partial")
                    return
                if reply.delay_s and (reply.stall_after is None or index > reply.stall_after):
                    fake.release.wait(reply.delay_s)
                last = index == len(reply.chunks)
                record = {
                    "output": {"choices": [{"message": {"role": "assistant", "content": text},
                                            "finish_reason": (reply.finish_reason or "null") if last
                                            else "null"}]},
                    "usage": {"input_tokens": prompt_tokens, "output_tokens": index,
                              "total_tokens": prompt_tokens + index},
                    "request_id": "fake-req",
                }
                if sources_asked and index in reply.search_results_in:
                    record["output"]["search_info"] = {"search_results": reply.search_results}
                self.send_chunk((f"id:{index}\nevent:result\n:HTTP_STATUS/200\n"
                                 f"data:{wire_json(record)}\n\n").encode())
            self.end_stream()

    return Handler


class FakeDashScopeServer(LocalHTTPServer):
    api_path = "/api/v1"

    def __init__(self) -> None:
        self.fake = FakeDashScope()
        super().__init__(_handler_for(self.fake))
        self.release = self.fake.release  # one event: leaving the block frees held-back replies
