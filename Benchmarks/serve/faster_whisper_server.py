"""The faster-whisper side of Benchmarks/serve: a minimal OpenAI-shaped HTTP wrapper, as users put
faster-whisper behind a server (speaches and whisper-server do more; this adds nothing to the model's
time). POST /v1/audio/transcriptions, multipart `file`, answers {"text": ...}. One WhisperModel,
loaded once, shared by the request threads (CTranslate2 is thread-safe; num_workers lets requests run
at once as Loom's queue does not, so this is the peer's fastest serving shape).

Usage: faster_whisper_server.py MODEL_FOLDER PORT THREADS COMPUTE_TYPE
Reference: https://github.com/SYSTRAN/faster-whisper/blob/v1.2.1/faster_whisper/transcribe.py
"""
import io
import json
import sys
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from faster_whisper import WhisperModel

folder, port, threads, compute_type = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
model = WhisperModel(folder, device="cpu", compute_type=compute_type, cpu_threads=threads, num_workers=1)


def upload(handler):
    """The `file` part of a multipart/form-data body."""
    body = handler.rfile.read(int(handler.headers["Content-Length"]))
    head = f"Content-Type: {handler.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            return part.get_payload(decode=True)
    return None


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        data = upload(self)
        if data is None:
            self.send_error(400, "missing file")
            return
        # Loom's server decodes greedily (beam 1) with the temperature fallback, as here.
        segments, _ = model.transcribe(io.BytesIO(data), beam_size=1, language="en")
        reply = json.dumps({"text": "".join(segment.text for segment in segments)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
