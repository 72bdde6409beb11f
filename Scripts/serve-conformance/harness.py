"""What the conformance scripts share: the config, the openai client, raw HTTP, and the checks'
bookkeeping (one line per check, "ok NAME" or "FAIL NAME: why").

CONFIG (the first argument) names the server (base_url, api_key), the served model ids, the sample
files, and what the CLI answered for the same inputs; Tests/LoomCLITests/ServeConformanceTests.swift
writes it.
"""
import http.client
import json
import sys
import time
import urllib.parse
import urllib.request

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



def finish():
    """Prints the tally and exits 1 when any check failed."""
    failed = [name for name, error in results if error is not None]
    print(f"checks: {len(results) - len(failed)} passed, {len(failed)} failed", flush=True)
    sys.exit(1 if failed else 0)
