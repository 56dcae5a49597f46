"""A slow OpenAI-style chat stream served by Hypercorn (HTTP/2 via h2).

POST .../chat/completions: 200 text/event-stream, one chunk at once, then a
hold of HOLD seconds, then the last chunk and [DONE]. GET /health: ok.
GET /stats: the connections (distinct client ports) and HTTP/2 requests seen.
"""

import asyncio
import json
import os

HOLD = float(os.environ.get("H2_HOLD_SECONDS", "4"))
ports = set()
http2 = 0


def chunk(content, finish):
    return {
        "id": "chatcmpl-h2",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "h2-slow",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }


async def send_json(send, status, body):
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


async def app(scope, receive, send):
    global http2
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/health":
        await send_json(send, 200, {"ok": True})
        return
    if path == "/stats":
        await send_json(send, 200, {"connections": len(ports), "http2_requests": http2})
        return
    if not path.endswith("/chat/completions"):
        await send_json(send, 404, {"error": {"message": "not found"}})
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    ports.add(scope["client"][1] if scope.get("client") else None)
    if scope.get("http_version") == "2":
        http2 += 1
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream")]})
    event = lambda c: ("data: " + json.dumps(c) + "\n\n").encode()
    await send({"type": "http.response.body", "body": event(chunk("first", None)), "more_body": True})
    await asyncio.sleep(HOLD)
    await send({"type": "http.response.body", "body": event(chunk(" last", "stop")), "more_body": True})
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})
