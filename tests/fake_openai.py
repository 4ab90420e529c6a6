"""A fake OpenAI chat-completions server on 127.0.0.1, speaking the real wire protocol.

POST {base}/chat/completions answers like OpenAI (and Ollama, LM Studio, vLLM, llama.cpp):
`stream: true` gets `text/event-stream` records `data: {chat.completion.chunk}` ending with
`data: [DONE]`, plus a usage-only chunk when `stream_options.include_usage` was sent; without
`stream` it gets one `chat.completion` JSON object. Errors use OpenAI's JSON error body.
Each request consumes the next scripted reply, so a test says exactly what happens.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

# HTML_502, Drop and Raw are re-exported: tests script a proxy's error page or a dropped connection.
from local_http_server import HTML_502, Drop, LocalHTTPServer, Raw, StreamingHandler, wire_json  # noqa: F401
from typing import Any

CHAT_PATH = "/v1/chat/completions"


@dataclass
class Stream:
    chunks: list[str]
    cut_after: int | None = None  # break the connection after this many chunks, mid-stream
    garbage: bytes | None = None  # with cut_after: send this as the next event instead, then end
    delay_s: float = 0.0          # pause before each chunk (to exercise timeouts)
    finish_reason: str = "stop"  # "": the stream ends without one (a proxy closed it early)
    usage: tuple[int, int] | None = None  # (prompt, completion); None: count words


@dataclass
class Error:
    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


# Raw: exact bytes (HTML_502, garbage(...)); Drop: the connection closes before any reply.
Reply = Stream | Error | Raw | Drop


def garbage(data: bytes) -> Raw:
    """A 200 event stream whose one event carries `data` where the JSON should be: malformed
    JSON (b'{"choices": ') or bytes that are not UTF-8 (b'\\xff\\xfe')."""
    return Raw(200, b"data: " + data + b"\n\n", "text/event-stream", chunked=True)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def prompt_text(self) -> str:
        return "\n".join(m["content"] for m in self.body["messages"])


@dataclass
class FakeOpenAI:
    replies: list[Reply] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    default: Reply = field(default_factory=lambda: Stream(["Default ", "reply."]))
    release: threading.Event = field(default_factory=threading.Event)
    base_url: str = ""

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if self.replies else self.default



def _words(text: str) -> int:
    return len(text.split())


def _handler_for(fake: FakeOpenAI) -> type[StreamingHandler]:
    class Handler(StreamingHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.read_json()
            fake.requests.append(Recorded(self.path, dict(self.headers.items()), body))
            if self.path != CHAT_PATH:
                # What real servers say for a wrong base URL: a bare 404, not about any model.
                return self.send_json(404, {"error": {"message": f"404 page not found: {self.path}",
                                                  "type": "not_found", "code": None}})
            reply = fake.next_reply()
            if isinstance(reply, (Raw, Drop)):
                return self.send_special(reply)
            if isinstance(reply, Error):
                return self.send_json(reply.status, {"error": {
                    "message": reply.message, "type": reply.type, "param": None, "code": reply.code}},
                    reply.headers)
            if body.get("stream"):
                self._stream(reply, body)
            else:
                self._complete(reply, body)

        def _usage(self, reply: Stream, body: dict[str, Any]) -> dict[str, int]:
            prompt, completion = reply.usage or (
                sum(_words(m["content"]) for m in body["messages"]), _words("".join(reply.chunks)))
            return {"prompt_tokens": prompt, "completion_tokens": completion,
                    "total_tokens": prompt + completion}

        def _complete(self, reply: Stream, body: dict[str, Any]) -> None:
            self.send_json(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", ""),
                "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                             "message": {"role": "assistant", "content": "".join(reply.chunks)}}],
                "usage": self._usage(reply, body)})

        def _stream(self, reply: Stream, body: dict[str, Any]) -> None:
            self.start_stream("text/event-stream")
            model = body.get("model", "")

            def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
                return {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                        "created": int(time.time()), "model": model,
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}

            self._send_event(chunk({"role": "assistant", "content": ""}))
            for index, text in enumerate(reply.chunks, start=1):
                if reply.cut_after is not None and index > reply.cut_after:
                    if reply.garbage is not None:
                        self.send_chunk(b"data: " + reply.garbage + b"\n\n")
                        self.end_stream()
                        return
                    self.cut_stream(b'data: {"partial')
                    return
                if reply.delay_s:
                    fake.release.wait(reply.delay_s)
                self._send_event(chunk({"content": text}))
            self._send_event(chunk({}, reply.finish_reason or None))
            if (body.get("stream_options") or {}).get("include_usage"):
                self._send_event({"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                                  "created": int(time.time()), "model": model, "choices": [],
                                  "usage": self._usage(reply, body)})
            self.send_chunk(b"data: [DONE]\n\n")
            self.end_stream()

        def _send_event(self, payload: dict[str, Any]) -> None:
            self.send_chunk(f"data: {wire_json(payload)}\n\n".encode())

    return Handler


class FakeOpenAIServer(LocalHTTPServer):
    api_path = "/v1"

    def __init__(self) -> None:
        self.fake = FakeOpenAI()
        super().__init__(_handler_for(self.fake))
        self.release = self.fake.release  # one event: leaving the block frees held-back replies
        self.fake.base_url = self.base_url
