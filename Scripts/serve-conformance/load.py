"""Load on a running `loom serve`: CLIENTS threads, each sending REQUESTS mixed requests (chat,
streamed chat, embeddings, transcription, search, health, model list) as fast as answers come.

Usage: python load.py CONFIG.json [CLIENTS] [REQUESTS]
Every answer must be a 200, or a 503 with Retry-After once a model's queue is full; anything else,
or a connection error, fails. Prints p50/p99 latency per kind and in all; exits 1 on any failure.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

config = json.load(open(sys.argv[1]))
clients = int(sys.argv[2]) if len(sys.argv) > 2 else 8
requests = int(sys.argv[3]) if len(sys.argv) > 3 else 50
url = urllib.parse.urlparse(config["base_url"])
auth = {"Authorization": "Bearer " + config["api_key"]}
audio = open(config["audio"], "rb").read()


def multipart(fields, file_name, data):
    boundary = "loadtestboundary"
    body = b""
    for name, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    body += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n\r\n'.encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": "multipart/form-data; boundary=" + boundary}


def chat(stream):
    return ("POST", "/v1/chat/completions", json.dumps({
        "model": config["chat_model"], "messages": [{"role": "user", "content": "Say one word."}],
        "max_tokens": 4, "temperature": 0, "stream": stream}).encode(), {"Content-Type": "application/json"})


transcription_body, transcription_headers = multipart({"model": config["asr_model"]}, "jfk.wav", audio)
kinds = {
    "chat": lambda: chat(False),
    "chat-stream": lambda: chat(True),
    "embeddings": lambda: ("POST", "/v1/embeddings", json.dumps({"model": config["embed_model"], "input": ["a", "b"]}).encode(),
                           {"Content-Type": "application/json"}),
    "transcription": lambda: ("POST", "/v1/audio/transcriptions", transcription_body, transcription_headers),
    "search": lambda: ("POST", "/api/search", json.dumps({"query": "music", "k": 3}).encode(), {"Content-Type": "application/json"}),
    "health": lambda: ("GET", "/health", b"", {}),
    "models": lambda: ("GET", "/v1/models", b"", {}),
}
if not config.get("has_index"):
    del kinds["search"]
names = list(kinds)
results = []  # (kind, status, seconds)
failures = []
lock = threading.Lock()


def client(number):
    for index in range(requests):
        kind = names[(number + index) % len(names)]
        method, path, body, headers = kinds[kind]()
        start = time.perf_counter()
        try:
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
            connection.request(method, path, body=body, headers={**auth, **headers})
            response = connection.getresponse()
            data = response.read()
            status = response.status
            retry_after = response.getheader("Retry-After")
            connection.close()
        except Exception as error:
            with lock:
                failures.append(f"{kind}: {type(error).__name__}: {error}")
            continue
        seconds = time.perf_counter() - start
        with lock:
            results.append((kind, status, seconds))
            if status == 503 and retry_after is None:
                failures.append(f"{kind}: 503 without Retry-After")
            elif status not in (200, 503):
                failures.append(f"{kind}: {status} {data[:200]!r}")
            elif kind == "chat-stream" and status == 200 and not data.rstrip().endswith(b"data: [DONE]"):
                failures.append(f"{kind}: a stream without [DONE]")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else float("nan")


started = time.perf_counter()
threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
elapsed = time.perf_counter() - started

print(f"{clients} clients x {requests} requests in {elapsed:.1f} s")
for kind in names + ["all"]:
    answered = [r for r in results if kind == "all" or r[0] == kind]
    ok = [r[2] for r in answered if r[1] == 200]
    busy = sum(1 for r in answered if r[1] == 503)
    print(f"{kind:14} {len(ok):4} ok {busy:4} busy (503)  p50 {percentile(ok, 0.5):8.1f} ms  p99 {percentile(ok, 0.99):8.1f} ms")
for failure in failures[:20]:
    print("FAIL", failure)
print(f"load: {len(failures)} failures", flush=True)
sys.exit(1 if failures else 0)
