"""The errors and limits of a running `loom serve`, through the openai client's exception classes and
raw HTTP: keys, bad bodies, unknown models, upload limits, full queues, clients that hang up,
malformed and hostile requests; then the search, item, media, thumbnail and metrics routes.

Usage: python limits.py CONFIG.json   (see harness.py)
Run by Tests/LoomCLITests/ServeConformanceTests.swift; needs the venv of Scripts/serve-venv.
"""
import http.client
import json
import socket
import threading
import time
import urllib.parse

import openai

from harness import auth, base, check, client, config, expect, finish, raw

@check("wrong key -> AuthenticationError; /health and /v1/models stay public")
def _():
    bad = openai.OpenAI(base_url=base + "/v1", api_key="wrong", max_retries=0)
    try:
        bad.chat.completions.create(model=config["chat_model"], messages=[{"role": "user", "content": "hi"}])
        raise AssertionError("no error")
    except openai.AuthenticationError as error:
        expect(error.body["type"] == "authentication_error", error.body)
    expect(len(bad.models.list().data) >= 5, "models not public")
    expect(raw("GET", "/health")[0] == 200, "health")


@check("bad body -> BadRequestError naming the field")
def _():
    try:
        client.chat.completions.create(model=config["chat_model"], messages="not a list")
        raise AssertionError("no error")
    except openai.BadRequestError as error:
        expect("messages" in error.message, error.message)


@check("unknown model -> NotFoundError")
def _():
    try:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
        raise AssertionError("no error")
    except openai.NotFoundError as error:
        expect(error.body["type"] == "not_found_error", error.body)


@check("oversize upload -> 413, and a 1 GB Content-Length is refused unread")
def _():
    big = b"\0" * ((config["max_upload_mb"] + 1) * 1024 * 1024)
    try:
        client.audio.transcriptions.create(model=config["asr_model"], file=("big.wav", big))
        raise AssertionError("no error")
    except openai.APIStatusError as error:
        expect(error.status_code == 413, error.status_code)
    status, _, _ = raw("POST", "/v1/embeddings", b"{}", {**auth(), "Content-Length": str(1 << 30)})
    expect(status == 413, status)
    # A chunked body declares no length: it is cut at the limit as it is read.
    chunk = b"x" * (1 << 20)
    chunks = (chunk for _ in range(config["max_upload_mb"] + 2))
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    connection.request("POST", "/v1/embeddings", body=chunks, headers={**auth(), "Content-Type": "application/json"}, encode_chunked=True)
    expect(connection.getresponse().status == 413, "chunked body over the limit")
    connection.close()


@check("undecodable media -> 415 naming the upload, not a path of the server")
def _():
    try:
        client.audio.transcriptions.create(model=config["asr_model"], file=("notes.wav", b"this is not audio at all"))
        raise AssertionError("no error")
    except openai.APIStatusError as error:
        expect(error.status_code == 415 and "notes.wav" in error.message and "/work" not in error.message, (error.status_code, error.message))


@check("queue full -> 503 with Retry-After; the client's retries then succeed")
def _():
    admitted, done = threading.Event(), threading.Event()

    def blocker():
        # A stream holds its model's place from its first chunk to its last.
        try:
            for _ in client.completions.create(model=config["chat_model"], prompt="1, 2, 3, 4, 5,", temperature=0,
                                               max_tokens=200, stream=True):
                admitted.set()
        finally:
            admitted.set()
            done.set()
    threading.Thread(target=blocker).start()
    admitted.wait(120)
    seen = None
    try:
        client.completions.create(model=config["chat_model"], prompt="Hi", temperature=0, max_tokens=1)
    except openai.APIStatusError as error:
        seen = error
    expect(not done.is_set(), "the blocking stream ended too soon to test the queue")
    expect(seen is not None and seen.status_code == 503, f"no 503 while the queue was full: {seen}")
    expect(seen.response.headers.get("retry-after") == "1", seen.response.headers)
    patient = openai.OpenAI(base_url=base + "/v1", api_key=config["api_key"], max_retries=60)
    reply = patient.completions.create(model=config["chat_model"], prompt="Hi", temperature=0, max_tokens=1)
    expect(len(reply.choices) == 1, "retried request failed")
    done.wait(300)


def slot_free_within(seconds):
    """Whether the chat model admits a request (no 503) within `seconds`: its one place is free."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            client.completions.create(model=config["chat_model"], prompt="Hi", temperature=0, max_tokens=1)
            return True
        except openai.APIStatusError as error:
            if error.status_code != 503:
                raise
        time.sleep(0.1)
    return False


def hang_up(body, wait_for_bytes):
    """Sends a long generation request and closes the socket: after the first bytes of the reply
    (a stream), or after a moment (a request still working)."""
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    connection.request("POST", "/v1/completions", body=json.dumps(body).encode(), headers={**auth(), "Content-Type": "application/json"})
    # The socket itself: a reply that says Connection: close takes it over from the connection.
    sock = connection.sock
    if wait_for_bytes:
        response = connection.getresponse()
        response.read1(10)
    else:
        time.sleep(0.5)
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    connection.close()


@check("a client that hangs up mid-stream, or while waiting, frees its place at once")
def _():
    long = {"model": config["chat_model"], "prompt": "1, 2, 3, 4, 5,", "temperature": 0, "max_tokens": 2000}
    hang_up({**long, "stream": True}, wait_for_bytes=True)
    expect(slot_free_within(3), "the stream's place was still held 3 s after the client left")
    hang_up(long, wait_for_bytes=False)
    expect(slot_free_within(3), "the request's place was still held 3 s after the client left")


@check("faults: malformed multipart, path-traversal ids -> clean 4xx, the server answers next")
def _():
    headers = {**auth(), "Content-Type": "multipart/form-data; boundary=XYZ"}
    status, _, body = raw("POST", "/v1/audio/transcriptions", b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", headers)
    expect(status == 400 and b"invalid_request_error" in body, (status, body))
    for path in ["/api/items/..%2F..%2Fetc%2Fpasswd", "/api/media/../../etc/passwd", "/api/media/%2Fetc%2Fpasswd", "/api/items/-1"]:
        status, _, body = raw("GET", path, headers=auth())
        expect(400 <= status < 500 and b"root:" not in body, (path, status, body[:100]))
    expect(raw("GET", "/health")[0] == 200, "health after faults")


@check("faults: a slow sender holds no one up; the server answers others meanwhile")
def _():
    url = urllib.parse.urlparse(base)
    slow = socket.create_connection((url.hostname, url.port))
    slow.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
                 + ("Authorization: Bearer " + config["api_key"] + "\r\n\r\n").encode())
    for _ in range(5):
        slow.sendall(b" ")
        started = time.time()
        expect(raw("GET", "/health")[0] == 200, "health while a sender is slow")
        reply = client.embeddings.create(model=config["embed_model"], input="quick", encoding_format="float")
        expect(len(reply.data) == 1 and time.time() - started < 10, "a request waited for the slow sender")
        time.sleep(0.2)
    slow.close()


if config.get("search_query"):
    @check("search: text query, item, media with Range")
    def _():
        status, _, body = raw("POST", "/api/search", json.dumps({"query": config["search_query"], "k": 2}).encode(),
                              {**auth(), "Content-Type": "application/json"})
        expect(status == 200, (status, body))
        reply = json.loads(body)
        expect(len(reply["results"]) >= 1, reply)
        top = reply["results"][0]
        expect(top["name"] == config["search_expected_name"], top)
        status, _, body = raw("GET", f"/api/items/{top['item_id']}", headers=auth())
        expect(status == 200 and json.loads(body)["segments"], (status, body[:200]))
        status, headers, body = raw("GET", top["media_url"], headers={**auth(), "Range": "bytes=0-4"})
        expect(status == 206 and len(body) == 5, (status, len(body)))
        expect(body == open(config["search_expected_file"], "rb").read()[:5], body)
        status, _, body = raw("POST", "/api/search", json.dumps({"item_id": top["item_id"], "k": 1}).encode(),
                              {**auth(), "Content-Type": "application/json"})
        expect(status == 200 and all(r["item_id"] != top["item_id"] for r in json.loads(body)["results"]), body)

    @check("thumbnails: an indexed image as a JPEG that fits the size; a text item has none")
    def _():
        status, _, body = raw("POST", "/api/search", json.dumps({"query": "hopper", "modality": ["image"], "k": 1}).encode(),
                              {**auth(), "Content-Type": "application/json"})
        image = json.loads(body)["results"][0]
        status, headers, body = raw("GET", image["thumb_url"] + "?size=64", headers=auth())
        expect(status == 200 and headers.get("Content-Type") == "image/jpeg" and body[:2] == b"\xff\xd8", (status, headers))
        status, _, _ = raw("GET", image["thumb_url"] + "?size=99999", headers=auth())
        expect(status == 400, status)
        status, _, _ = raw("GET", "/api/search", headers=auth())
        expect(400 <= status < 500, status)


@check("/metrics: Prometheus text with requests, queues and tokens")
def _():
    status, headers, body = raw("GET", "/metrics", headers=auth())
    text = body.decode()
    expect(status == 200 and headers.get("Content-Type", "").startswith("text/plain"), (status, headers))
    for name in ["loom_requests_total", "loom_requests_processing", "loom_requests_waiting", "loom_generated_tokens_total",
                 "loom_audio_seconds_total"]:
        expect(name in text, name)
    expect(raw("GET", "/metrics")[0] == 401, "metrics without a key")



finish()
