"""Conformance of a running `loom serve` with the real openai client: every OpenAI route, stream and
not, compared with what the CLI answered for the same inputs (greedy).

Usage: python conformance.py CONFIG.json   (see harness.py; limits.py checks the errors and limits)
Run by Tests/LoomCLITests/ServeConformanceTests.swift; needs the venv of Scripts/serve-venv.
"""
import base64
import json

import numpy as np
import openai

from harness import auth, check, client, config, expect, expected, finish, raw

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


@check("transcriptions: word timestamps, the words and times of loom transcribe --word-timestamps")
def _():
    with open(config["audio"], "rb") as audio:
        verbose = client.audio.transcriptions.create(model=config["asr_model"], file=audio, response_format="verbose_json",
                                                     temperature=0, timestamp_granularities=["word", "segment"])
    cli = [word for segment in expected["transcript_words_json"]["segments"] for word in segment["words"]]
    words = verbose.words or []
    expect(len(words) == len(cli) and len(words) > 10, f"{len(words)} words, the CLI {len(cli)}")
    for word, reference in zip(words, cli):
        expect(word.word == reference["word"], f"{word.word!r} != {reference['word']!r}")
        expect(abs(word.start - reference["start"]) < 1e-6 and abs(word.end - reference["end"]) < 1e-6,
               f"{word.word}: {word.start}-{word.end} != {reference['start']}-{reference['end']}")
    expect(verbose.segments and len(verbose.segments) == len(expected["transcript_words_json"]["segments"]), "segments too")
    try:
        with open(config["audio"], "rb") as audio:
            client.audio.transcriptions.create(model=config["asr_model"], file=audio, response_format="json",
                                               timestamp_granularities=["word"])
        raise AssertionError("word timestamps in json were accepted")
    except openai.BadRequestError as error:
        expect("verbose_json" in error.message, error.message)


@check("transcriptions: stream gives a text delta per segment, then the whole text")
def _():
    with open(config["audio"], "rb") as audio:
        events = list(client.audio.transcriptions.create(model=config["asr_model"], file=audio, stream=True, temperature=0))
    deltas = [event.delta for event in events if event.type == "transcript.text.delta"]
    expect(events and events[-1].type == "transcript.text.done", [event.type for event in events])
    expect(events[-1].text == expected["transcript_json"]["text"], events[-1].text)
    texts = [segment["text"] for segment in expected["transcript_json"]["segments"] if segment["text"]]
    expect(deltas == texts, f"{deltas} != {texts}")
    try:
        with open(config["audio"], "rb") as audio:
            client.audio.transcriptions.create(model=config["asr_model"], file=audio, stream=True, response_format="srt")
        raise AssertionError("stream with srt was accepted")
    except openai.BadRequestError as error:
        expect("stream" in error.message, error.message)


@check("translations: json")
def _():
    reply = transcribe("json", client.audio.translations)
    expect(len(reply.text.strip()) > 0, "empty")



finish()
