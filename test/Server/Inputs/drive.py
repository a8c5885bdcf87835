"""Drives tfm-server with Python's standard library for the lit tests:
`drive.py SERVER MODEL CHECK [server flags...]` starts the server on a free
loopback port and runs one group of checks, printing a line per fact for
FileCheck. A failed expectation raises (a non-zero exit)."""

import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import tfm_server_client as client  # noqa: E402

GREEDY = {"prompt": "Once upon a time", "max_tokens": 40, "temperature": 0}


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def text_of(answer):
    choice = answer["choices"][0]
    return choice["message"]["content"] if "message" in choice else choice["text"]


def streamed_text(events):
    """The text of a stream's chunks, checking their shape on the way."""
    expect(events[-1] == "[DONE]", "the stream ends with [DONE]")
    text = ""
    finish = None
    for event in events[:-1]:
        for choice in event["choices"]:
            delta = choice.get("delta", choice)
            text += delta.get("content", delta.get("text", "")) or ""
            finish = choice["finish_reason"] or finish
    return text, finish


def check_api(port):
    status, health = client.request(port, "GET", "/health")
    print("HEALTH", status, health["status"])
    status, models = client.request(port, "GET", "/v1/models")
    print("MODELS", status, models["object"], models["data"][0]["object"])

    status, answer = client.post(port, "/v1/completions", GREEDY)
    usage = answer["usage"]
    print("COMPLETION", status, answer["object"], answer["choices"][0]["finish_reason"],
          "completion_tokens=%d" % usage["completion_tokens"],
          "total_ok=%s" % (usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]))
    greedy = text_of(answer)
    with open(os.environ["GREEDY_OUT"], "w") as out:
        out.write(greedy + "\n")

    text, finish = streamed_text(client.stream(port, "/v1/completions", dict(GREEDY, stream=True)))
    print("STREAM same_text=%s finish=%s" % (text == greedy, finish))

    # Several clients at once: each answer is what it is alone (the decode
    # steps of the busy slots run batched).
    prompts = ["Once upon a time", "The cat", "Lily and Tom went", "One day, a big"]
    alone = [text_of(client.post(port, "/v1/completions", dict(GREEDY, prompt=p))[1]) for p in prompts]
    together = [None] * len(prompts)

    def ask(i):
        together[i] = text_of(client.post(port, "/v1/completions", dict(GREEDY, prompt=prompts[i]))[1])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(prompts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("CONCURRENT same_as_alone=%s" % (alone == together))

    chat = {"messages": [{"role": "system", "content": "You tell stories."},
                         {"role": "user", "content": "Tell me about a dog."}],
            "max_tokens": 24, "seed": 7, "temperature": 0.8}
    status, answer = client.post(port, "/v1/chat/completions", chat)
    message = answer["choices"][0]["message"]
    print("CHAT", status, answer["object"], message["role"], answer["choices"][0]["finish_reason"])
    events = client.stream(port, "/v1/chat/completions", dict(chat, stream=True))
    text, finish = streamed_text(events)
    print("CHAT-STREAM same_text=%s first_role=%s object=%s" % (
        text == message["content"], events[0]["choices"][0]["delta"].get("role"), events[0]["object"]))

    # A stop string from the middle of the greedy text: the answer ends
    # before its first occurrence, streamed or not.
    words = greedy.split()
    stop = " " + words[len(words) // 2]
    expected = greedy[:greedy.index(stop)]
    status, answer = client.post(port, "/v1/completions", dict(GREEDY, stop=[stop, "never seen"]))
    print("STOP cut=%s finish=%s" % (text_of(answer) == expected, answer["choices"][0]["finish_reason"]))
    text, finish = streamed_text(client.stream(port, "/v1/completions", dict(GREEDY, stop=stop, stream=True)))
    print("STOP-STREAM cut=%s finish=%s" % (text == expected, finish))

    status, answer = client.post(port, "/v1/completions", dict(GREEDY, max_tokens=0))
    print("ZERO text=%r finish=%s completion_tokens=%d" % (
        text_of(answer), answer["choices"][0]["finish_reason"], answer["usage"]["completion_tokens"]))

    events = client.stream(port, "/v1/completions",
                           dict(GREEDY, stream=True, stream_options={"include_usage": True}))
    print("STREAM-USAGE completion_tokens=%d" % events[-2]["usage"]["completion_tokens"])

    # The same prompt again: the slot's cached prefix is reused.
    before = client.metrics(port)["tfm_prompt_tokens_cached_total"]
    status, answer = client.post(port, "/v1/completions", GREEDY)
    reused = client.metrics(port)["tfm_prompt_tokens_cached_total"] - before
    print("PREFIX reused=%s same_text=%s" % (
        reused == answer["usage"]["prompt_tokens"] - 1, text_of(answer) == greedy))

    values = client.metrics(port)
    print("METRICS", " ".join("%s=%s" % (name, values[name] > 0) for name in (
        "tfm_requests_total", "tfm_generated_tokens_total", "tfm_decode_steps_total",
        "tfm_kv_cache_capacity_tokens", "tfm_generated_tokens_per_second")),
        "queue=%d" % values["tfm_queue_length"])


def check_errors(port):
    cases = [
        ("malformed-json", "/v1/completions", b'{"prompt": "x",'),
        ("not-an-object", "/v1/completions", b'[1, 2]'),
        ("invalid-utf8", "/v1/completions", b'{"prompt": "\xff\xfe"}'),
        ("prompt-type", "/v1/completions", {"prompt": 1}),
        ("prompt-missing", "/v1/completions", {"max_tokens": 3}),
        ("temperature-type", "/v1/completions", {"prompt": "a", "temperature": "hot"}),
        ("max-tokens-negative", "/v1/completions", {"prompt": "a", "max_tokens": -1}),
        ("max-tokens-limit", "/v1/completions", {"prompt": "a", "max_tokens": 101}),
        ("top-p-zero", "/v1/completions", {"prompt": "a", "top_p": 0}),
        ("stop-type", "/v1/completions", {"prompt": "a", "stop": [1]}),
        ("n-two", "/v1/completions", {"prompt": "a", "n": 2}),
        ("presence-penalty", "/v1/completions", {"prompt": "a", "presence_penalty": 0.5}),
        ("messages-empty", "/v1/chat/completions", {"messages": []}),
        ("role-unknown", "/v1/chat/completions", {"messages": [{"role": "robot", "content": "x"}]}),
        ("prompt-too-long", "/v1/completions", {"prompt": "once upon a time " * 40}),
        ("body-too-large", "/v1/completions", {"prompt": "a" * 5000}),
        ("embeddings", "/v1/embeddings", {"input": "a"}),
    ]
    for name, path, body in cases:
        status, answer = client.post(port, path, body)
        error = answer["error"]
        print("ERROR %s %d %s param=%s" % (name, status, error["type"], error["param"]))
        print("  MESSAGE %s" % error["message"])
    status, answer = client.request(port, "GET", "/v1/nothing")
    print("ERROR not-found %d %s" % (status, answer["error"]["type"]))
    # The server still answers after all of them.
    status, answer = client.post(port, "/v1/completions", {"prompt": "a", "max_tokens": 2})
    print("AFTER", status, answer["usage"]["completion_tokens"])


def check_auth(port):
    body = {"prompt": "Once", "max_tokens": 2}
    for name, headers in [("none", {}), ("wrong", {"Authorization": "Bearer secreT"}),
                          ("prefix", {"Authorization": "Bearer secre"}),
                          ("scheme", {"Authorization": "Basic secret"}),
                          ("right", {"Authorization": "Bearer secret"})]:
        status, answer = client.post(port, "/v1/completions", body, headers=headers)
        print("AUTH %s %d %s" % (name, status, answer["error"]["type"] if status != 200 else "ok"))
    status, _ = client.request(port, "GET", "/metrics")
    print("AUTH metrics-without-key %d" % status)
    status, _ = client.request(port, "GET", "/health")
    print("AUTH health-without-key %d" % status)


class WellBehavedClient(threading.Thread):
    """Asks the same greedy question again and again; every answer must be
    the same."""

    def __init__(self, port):
        super().__init__()
        self.port = port
        self.stopping = threading.Event()
        self.answers = 0
        self.failures = []

    def run(self):
        expected = None
        while not self.stopping.is_set():
            try:
                status, answer = client.post(self.port, "/v1/completions",
                                             dict(GREEDY, max_tokens=8), timeout=60)
                text = text_of(answer) if status == 200 else "HTTP %d" % status
                expected = expected or text
                if text != expected:
                    self.failures.append(text)
                self.answers += 1
            except Exception as error:  # noqa: BLE001 - any failure counts
                self.failures.append(repr(error))


def disconnect_mid_stream(port, stream):
    """Starts a long generation and hangs up after its first bytes."""
    body = json.dumps({"prompt": "Once upon a time", "max_tokens": 400, "temperature": 0,
                       "stream": stream}).encode()
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: %d\r\n\r\n" % len(body) + body)
    if stream:
        connection.recv(1)
    else:
        time.sleep(0.3)
    connection.close()


def wait_for(port, name, value, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if client.metrics(port)[name] >= value:
            return True
        time.sleep(0.1)
    return False


def check_faults(port):
    witness = WellBehavedClient(port)
    witness.start()

    for _ in range(3):
        disconnect_mid_stream(port, stream=True)
    for _ in range(3):
        disconnect_mid_stream(port, stream=False)
    cancelled = wait_for(port, "tfm_jobs_cancelled_total", 6)
    generated = client.metrics(port)["tfm_generated_tokens_total"]
    print("DISCONNECT cancelled=%s" % cancelled)

    # Malformed and oversized requests on raw sockets.
    for raw in [b"NOT HTTP AT ALL\r\n\r\n", b"POST /v1/completions HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
                b"POST /v1/completions HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"a\":"]:
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(raw)
        reply = connection.recv(200).split(b"\r\n")[0].decode()
        connection.close()
        print("RAW %s" % reply)

    # A slow client that never finishes its request is dropped.
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(b"POST /v1/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
    slow.settimeout(30)
    start = time.monotonic()
    dropped = slow.recv(100) is not None
    print("SLOW dropped=%s within_timeout=%s" % (dropped, time.monotonic() - start < 15))
    slow.close()

    # A flood of idle connections.
    flood = []
    for _ in range(300):
        try:
            flood.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            break
    time.sleep(1)
    for connection in flood:
        connection.close()
    print("FLOOD opened=%d" % len(flood))

    time.sleep(1)
    witness.stopping.set()
    witness.join()
    print("WITNESS answers>0=%s failures=%d %s" % (witness.answers > 0, len(witness.failures),
                                                   witness.failures[:3]))
    status, health = client.request(port, "GET", "/health")
    print("ALIVE", status, generated > 0)


def check_embeddings(port):
    """A model compiled with --embeddings: vectors of unit length, the same
    for the same text however it is asked (text, token ids, base64)."""
    import base64
    import struct
    status, answer = client.post(port, "/v1/embeddings", {"input": ["Once upon a time", "The cat"]})
    vectors = [item["embedding"] for item in answer["data"]]
    print("EMBEDDINGS", status, answer["object"], len(vectors), "dim=%d" % len(vectors[0]),
          "unit=%s" % all(abs(sum(x * x for x in v) - 1) < 1e-4 for v in vectors),
          "prompt_tokens=%d" % answer["usage"]["prompt_tokens"])
    status, alone = client.post(port, "/v1/embeddings", {"input": "The cat"})
    print("EMBEDDINGS same_alone=%s differ=%s" % (
        alone["data"][0]["embedding"] == vectors[1], vectors[0] != vectors[1]))
    status, packed = client.post(port, "/v1/embeddings", {"input": "The cat", "encoding_format": "base64"})
    raw = base64.b64decode(packed["data"][0]["embedding"])
    unpacked = list(struct.unpack("<%df" % (len(raw) // 4), raw))
    print("EMBEDDINGS base64_same=%s" % all(abs(a - b) < 1e-6 for a, b in zip(unpacked, vectors[1])))
    for name, body in [("bad-token", {"input": [1, 99999]}), ("empty", {"input": []}),
                       ("mixed", {"input": ["a", [1, 2]]}), ("format", {"input": "a", "encoding_format": "int8"}),
                       ("too-long", {"input": "once upon a time " * 200})]:
        status, answer = client.post(port, "/v1/embeddings", body)
        print("EMBEDDINGS-ERROR %s %d %s" % (name, status, answer["error"]["message"]))


def check_encoder(port):
    """An encoder (BERT): /v1/embeddings gives tfm-embed's normalized
    embeddings (the JSON file EXPECTED_EMBEDDINGS names); generation is not
    served."""
    texts = ["the cat sat on the mat", "a dog"]
    status, answer = client.post(port, "/v1/embeddings", {"input": texts})
    vectors = [item["embedding"] for item in answer["data"]]
    with open(os.environ["EXPECTED_EMBEDDINGS"]) as file:
        expected = [item["embedding"] for item in json.load(file)["data"]]
    difference = max(abs(a - b) for v, w in zip(vectors, expected) for a, b in zip(v, w))
    print("ENCODER", status, len(vectors), "dim=%d" % len(vectors[0]),
          "same_as_tfm_embed=%s" % (difference < 1e-5),
          "prompt_tokens=%d" % answer["usage"]["prompt_tokens"])
    for path in ["/v1/completions", "/v1/chat/completions"]:
        status, answer = client.post(port, path, {"prompt": "a", "messages": []})
        print("ENCODER-GENERATE %s %d %s" % (path, status, answer["error"]["message"]))
    status, answer = client.post(port, "/v1/embeddings", {"input": "word " * 100})
    print("ENCODER-TOO-LONG %d %s" % (status, answer["error"]["message"]))
    status, metrics = client.request(port, "GET", "/metrics")
    print("ENCODER-METRICS", status, "tfm_requests_total" in metrics)


def curl(port, path, body=None, *flags):
    import subprocess
    command = ["curl", "-sS", "-N", "http://127.0.0.1:%d%s" % (port, path), *flags]
    if body is not None:
        command += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def check_curl(port):
    """curl, as the README's example uses it."""
    answer = json.loads(curl(port, "/v1/completions", GREEDY))
    print("CURL completion", answer["object"], answer["usage"]["completion_tokens"])
    events = [line for line in curl(port, "/v1/chat/completions", {
        "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 5, "stream": True,
    }).splitlines() if line.startswith("data: ")]
    print("CURL stream events=%d last=%s" % (len(events), events[-1]))
    print("CURL models", json.loads(curl(port, "/v1/models"))["data"][0]["id"])
    print("CURL status", curl(port, "/v1/completions", {"prompt": 5}, "-o", "/dev/null",
                              "-w", "%{http_code}"))


def check_ring(port):
    """A model whose sliding-window layers keep a ring of recent positions:
    the same prompt again cannot reuse the slot's cache once generation has
    moved the ring past the prompt's window, so it runs from position 0
    (tfm_context_truncate refuses) and answers the same; a prompt that
    continues the cached tokens within the ring reuses them."""
    request = dict(GREEDY, max_tokens=20)
    status, first = client.post(port, "/v1/completions", request)
    before = client.metrics(port)["tfm_prompt_tokens_cached_total"]
    status, again = client.post(port, "/v1/completions", request)
    reused = client.metrics(port)["tfm_prompt_tokens_cached_total"] - before
    print("RING-AGAIN status=%d same_text=%s reused=%d" % (
        status, text_of(again) == text_of(first), reused))
    # Continuing the last answer: its tokens are still in the ring.
    longer = dict(request, prompt=request["prompt"] + text_of(again), max_tokens=4)
    before = client.metrics(port)["tfm_prompt_tokens_cached_total"]
    status, answer = client.post(port, "/v1/completions", longer)
    reused = client.metrics(port)["tfm_prompt_tokens_cached_total"] - before
    print("RING-CONTINUE status=%d reused=%s" % (status, reused > 0))


def main():
    server, model, check = sys.argv[1:4]
    flags = sys.argv[4:]
    with client.start(server, model, *flags) as running:
        {"api": check_api, "errors": check_errors, "auth": check_auth,
         "faults": check_faults, "curl": check_curl,
         "embeddings": check_embeddings, "encoder": check_encoder,
         "ring": check_ring}[check](running.port)


if __name__ == "__main__":
    main()
