"""The client side of Benchmarks/serve, with the real openai client against two servers.

chat BASE_URL MODEL STREAMS MAX_TOKENS PROMPT_FILE [--one-at-a-time]
    STREAMS concurrent chat streams (temperature 0), each counting the content chunks it receives;
    prints one JSON line: tokens, seconds, tokens/s. --one-at-a-time sends them one after another
    (for a server that cannot take concurrent streams).
audio BASE_URL MODEL CLIENTS ROUNDS FILE...
    CLIENTS concurrent clients each transcribing every FILE ROUNDS times; prints audio seconds
    transcribed per wall second.
overhead BASE_URL MODEL COUNT
    COUNT sequential one-word embedding requests over raw HTTP; prints the p50 and p99 latency in ms.
"""
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import wave

from openai import OpenAI


def run_threads(count, work):
    results = [None] * count
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, work(i))) for i in range(count)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - start


def chat(base_url, model, streams, max_tokens, prompt_file, one_at_a_time=False):
    client = OpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=600)
    prompt = open(prompt_file, encoding="utf-8").read()

    def one(index):
        tokens = 0
        stream = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], max_tokens=max_tokens, temperature=0,
            stream=True)
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                tokens += 1
        return tokens

    if one_at_a_time:
        start = time.perf_counter()
        counts = [one(index) for index in range(streams)]
        seconds = time.perf_counter() - start
    else:
        counts, seconds = run_threads(streams, one)
    print(json.dumps({"tokens": sum(counts), "per_stream": counts, "seconds": seconds, "rate": sum(counts) / seconds}))


def audio_seconds(path):
    with wave.open(path) as file:
        return file.getnframes() / file.getframerate()


def audio(base_url, model, clients, rounds, files):
    client = OpenAI(base_url=base_url, api_key="bench", max_retries=0, timeout=600)

    def one(index):
        texts = []
        for _ in range(rounds):
            for path in files:
                with open(path, "rb") as handle:
                    texts.append(client.audio.transcriptions.create(model=model, file=handle, temperature=0).text)
        return texts

    texts, seconds = run_threads(clients, one)
    total = clients * rounds * sum(audio_seconds(path) for path in files)
    print(json.dumps({"audio_seconds": total, "seconds": seconds, "rate": total / seconds, "first": texts[0][0]}))


def overhead(base_url, model, count):
    """Raw HTTP/1.1 on one kept-alive connection (http.client): the openai client's own per-call cost
    (httpx, pydantic), about 9 ms here, is not the server's."""
    url = urllib.parse.urlparse(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port)
    body = json.dumps({"model": model, "input": "hello", "encoding_format": "float"})

    def call():
        connection.request("POST", url.path + "/embeddings", body=body, headers={"Content-Type": "application/json"})
        reply = connection.getresponse()
        reply.read()
        if reply.status != 200:
            sys.exit(f"embeddings answered {reply.status}")

    call()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(json.dumps({"p50_ms": statistics.median(times), "p99_ms": times[int(0.99 * (len(times) - 1))]}))


kind, args = sys.argv[1], sys.argv[2:]
if kind == "chat":
    chat(args[0], args[1], int(args[2]), int(args[3]), args[4], "--one-at-a-time" in args[5:])
elif kind == "audio":
    audio(args[0], args[1], int(args[2]), int(args[3]), args[4:])
elif kind == "overhead":
    overhead(args[0], args[1], int(args[2]))
else:
    sys.exit(f"unknown kind {kind}")
