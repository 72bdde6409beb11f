"""Conformance of a running `loom serve` with the real openai client (and raw HTTP for the faults).

Usage: python conformance.py CONFIG.json
CONFIG names the server (base_url, api_key), the served model ids, the sample files, and what the
CLI answered for the same inputs (greedy), so each check also proves "the same answers as the CLI".
Prints one line per check ("ok NAME" or "FAIL NAME: why") and exits 1 when any failed.
Run by Tests/LoomCLITests/ServeConformanceTests.swift; needs the venv of Scripts/serve-venv.
"""
import base64
import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

import numpy as np
import openai

config = json.load(open(sys.argv[1]))
expected = config["expected"]
base = config["base_url"]
client = openai.OpenAI(base_url=base + "/v1", api_key=config["api_key"], max_retries=0, timeout=300)
results = []

# The server prints its port before its models finish loading: /health is 503 until they have.
for _ in range(600):
    try:
        with urllib.request.urlopen(base + "/health") as reply:
            if reply.status == 200:
                break
    except Exception:
        pass
    time.sleep(0.2)


def check(name):
    def run(body):
        try:
            body()
            results.append((name, None))
            print("ok", name, flush=True)
        except Exception as error:  # a failed check is reported, the others still run
            results.append((name, error))
            print(f"FAIL {name}: {type(error).__name__}: {error}", flush=True)
    return run


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def raw(method, path, body=b"", headers=None):
    """One request outside the client: (status, headers, body)."""
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), data


def auth():
    return {"Authorization": "Bearer " + config["api_key"]}


@check("models.list: every served model with its task")
def _():
    ids = {model.id: model for model in client.models.list().data}
    for key in ["chat_model", "vision_model", "embed_model", "asr_model", "clip_model"]:
        expect(config[key] in ids, f"{config[key]} missing from {sorted(ids)}")
    expect(ids[config["vision_model"]].model_extra["architecture"]["input_modalities"] == ["text", "image"], "vision inputs")


def chat(**extra):
    return client.chat.completions.create(
        model=config["chat_model"], messages=[{"role": "user", "content": expected["generate_prompt"]}],
        temperature=0, max_tokens=expected["max_tokens"], **extra)


@check("chat: the CLI's answer (loom generate), with usage")
def _():
    reply = chat()
    expect(reply.object == "chat.completion", reply.object)
    expect(reply.choices[0].message.role == "assistant", "role")
    expect(reply.choices[0].message.content == expected["generate"], f"{reply.choices[0].message.content!r} != {expected['generate']!r}")
    expect(reply.choices[0].finish_reason in ("stop", "length"), reply.choices[0].finish_reason)
    expect(reply.usage.completion_tokens >= 1 and reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens, "usage")


@check("chat stream: role chunk, deltas, finish chunk, include_usage, [DONE]")
def _():
    chunks = list(chat(stream=True, stream_options={"include_usage": True}))
    expect(chunks[0].choices[0].delta.role == "assistant", "first chunk has no role")
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    expect(text == expected["generate"], f"{text!r} != {expected['generate']!r}")
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    expect(len(finishes) == 1, f"finish reasons {finishes}")
    expect(chunks[-1].choices == [] and chunks[-1].usage.completion_tokens >= 1, "no usage chunk last")


@check("chat stream helper (.stream) gives the same text")
def _():
    with client.chat.completions.stream(
            model=config["chat_model"], messages=[{"role": "user", "content": expected["generate_prompt"]}],
            temperature=0, max_tokens=expected["max_tokens"]) as stream:
        final = stream.get_final_completion()
    expect(final.choices[0].message.content == expected["generate"], final.choices[0].message.content)


def image_message():
    data = base64.b64encode(open(config["image"], "rb").read()).decode()
    return [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": f"data:{config['image_type']};base64," + data}},
        {"type": "text", "text": expected["ask_question"]}]}]


@check("chat with image_url data: URL (SmolVLM): the CLI's answer (loom ask)")
def _():
    reply = client.chat.completions.create(model=config["vision_model"], messages=image_message(), temperature=0,
                                           max_tokens=expected["max_tokens"])
    expect(reply.choices[0].message.content.lstrip() == expected["ask"], f"{reply.choices[0].message.content!r} != {expected['ask']!r}")


@check("chat with a file:// image under --media-root; outside it PermissionDeniedError")
def _():
    def ask(url):
        return client.chat.completions.create(model=config["vision_model"], temperature=0, max_tokens=expected["max_tokens"], messages=[
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": expected["ask_question"]}]}])
    reply = ask("file://" + config["image"])
    expect(reply.choices[0].message.content.lstrip() == expected["ask"], reply.choices[0].message.content)
    try:
        ask("file:///etc/passwd")
        raise AssertionError("no error")
    except openai.PermissionDeniedError as error:
        expect("media-root" in error.message, error.message)


@check("chat with image, streamed with include_usage")
def _():
    chunks = list(client.chat.completions.create(
        model=config["vision_model"], messages=image_message(), temperature=0, max_tokens=expected["max_tokens"],
        stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    expect(text.lstrip() == expected["ask"], f"{text!r}")
    expect(chunks[-1].usage.prompt_tokens > 0, "usage")


@check("chat: a prompt past the context fails mid-stream as APIError")
def _():
    long = "word " * 20000
    try:
        list(client.chat.completions.create(model=config["chat_model"], messages=[{"role": "user", "content": long}],
                                            max_tokens=4, stream=True))
    except openai.APIError as error:
        expect("context" in str(error), str(error))
        return
    raise AssertionError("no error raised")


@check("completions: a prompt array gets one choice each, the CLI's text (loom generate --no-chat)")
def _():
    prompt = expected["completion_prompt"]
    reply = client.completions.create(model=config["chat_model"], prompt=[prompt, prompt], temperature=0,
                                      max_tokens=expected["max_tokens"])
    expect([c.index for c in reply.choices] == [0, 1], "indices")
    for choice in reply.choices:
        expect(choice.text == expected["completion"], f"{choice.text!r} != {expected['completion']!r}")


@check("completions: token-id prompt, streamed")
def _():
    chunks = list(client.completions.create(model=config["chat_model"], prompt=[1, 2, 3], temperature=0, max_tokens=3, stream=True))
    expect(chunks[-1].choices[0].finish_reason in ("stop", "length"), "finish")


@check("embeddings: omitted, float and base64 encoding_format agree; 384 unit values")
def _():
    texts = ["a photo of a cat", "the weather today"]
    default = client.embeddings.create(model=config["embed_model"], input=texts)
    floats = client.embeddings.create(model=config["embed_model"], input=texts, encoding_format="float")
    status, _, body = raw("POST", "/v1/embeddings", json.dumps(
        {"model": config["embed_model"], "input": texts, "encoding_format": "base64"}).encode(), auth())
    expect(status == 200, status)
    encoded = [np.frombuffer(base64.b64decode(item["embedding"]), dtype="<f4") for item in json.loads(body)["data"]]
    for index in range(2):
        a, b = np.array(default.data[index].embedding), np.array(floats.data[index].embedding)
        expect(a.shape == (384,), a.shape)
        expect(np.abs(a - b).max() < 1e-6 and np.abs(encoded[index] - b).max() < 1e-6, "formats differ")
        expect(abs(np.linalg.norm(a) - 1) < 1e-3, "not normalized")
    expect(default.usage.prompt_tokens > 0, "usage")


@check("embeddings: token-id input equals the text's embedding")
def _():
    # [CLS] hello [SEP] in MiniLM's WordPiece vocabulary.
    by_ids = client.embeddings.create(model=config["embed_model"], input=[[101, 7592, 102]], encoding_format="float")
    by_text = client.embeddings.create(model=config["embed_model"], input="hello", encoding_format="float")
    expect(np.abs(np.array(by_ids.data[0].embedding) - np.array(by_text.data[0].embedding)).max() < 1e-5, "ids differ from text")


@check("embeddings: CLIP image content parts, the CLI's vectors (loom embed)")
def _():
    data = base64.b64encode(open(config["image"], "rb").read()).decode()
    part = {"type": "image_url", "image_url": {"url": f"data:{config['image_type']};base64," + data}}
    reply = client.embeddings.create(model=config["clip_model"], input=[part, part], encoding_format="float")
    expect(len(reply.data) == 2, len(reply.data))
    difference = np.abs(np.array(reply.data[0].embedding) - np.array(expected["clip_image_embedding"])).max()
    expect(difference < 1e-5, f"max difference {difference}")
    try:
        client.embeddings.create(model=config["embed_model"], input=[part])
        raise AssertionError("a text model took an image")
    except openai.BadRequestError as error:
        expect("text only" in error.message, error.message)


def transcribe(response_format, route=None):
    route = route or client.audio.transcriptions
    with open(config["audio"], "rb") as audio:
        return route.create(model=config["asr_model"], file=audio, response_format=response_format, temperature=0)


@check("transcriptions: json, text, srt, vtt the same as loom transcribe's files")
def _():
    expect(transcribe("json").text == expected["transcript_json"]["text"], "json text")
    expect(transcribe("text") == expected["transcript_txt"], "text")
    expect(transcribe("srt") == expected["transcript_srt"], "srt")
    expect(transcribe("vtt") == expected["transcript_vtt"], "vtt")


@check("transcriptions: verbose_json with every segment field the client reads")
def _():
    verbose = transcribe("verbose_json")
    expect(verbose.text == expected["transcript_json"]["text"], "text")
    expect(verbose.duration > 10, verbose.duration)
    cli = expected["transcript_json"]["segments"]
    expect(len(verbose.segments) == len(cli), "segment count")
    for segment, reference in zip(verbose.segments, cli):
        for field in ["id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob", "compression_ratio", "no_speech_prob"]:
            expect(getattr(segment, field) == reference[field], f"{field}: {getattr(segment, field)} != {reference[field]}")


@check("transcriptions: word timestamps refused as BadRequestError")
def _():
    try:
        with open(config["audio"], "rb") as audio:
            client.audio.transcriptions.create(model=config["asr_model"], file=audio, response_format="verbose_json",
                                               timestamp_granularities=["word", "segment"])
    except openai.BadRequestError as error:
        expect("word" in error.message, error.message)
        return
    raise AssertionError("no error")


@check("translations: json")
def _():
    reply = transcribe("json", client.audio.translations)
    expect(len(reply.text.strip()) > 0, "empty")


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
    if wait_for_bytes:
        response = connection.getresponse()
        response.read1(10)
    else:
        time.sleep(0.5)
    connection.sock.shutdown(2)
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


failed = [name for name, error in results if error is not None]
print(f"checks: {len(results) - len(failed)} passed, {len(failed)} failed", flush=True)
sys.exit(1 if failed else 0)
