"""A small client of tfm-server on Python's standard library only: starts
the server on a free loopback port, sends requests, reads server-sent
events. Used by the tests (test/Server) and scripts/server-load.py."""

import contextlib
import http.client
import json
import os
import signal
import subprocess
import tempfile
import time


class Server:
    """A running tfm-server; `port` is where it listens."""

    def __init__(self, process, port, stderr_path):
        self.process = process
        self.port = port
        self.stderr_path = stderr_path

    def stderr(self):
        with open(self.stderr_path, errors="replace") as log:
            return log.read()


@contextlib.contextmanager
def start(server_binary, model, *flags, timeout=120):
    """Starts `server_binary model flags...` on port 0 and waits until it
    listens; stops it with SIGTERM at the end and checks that it exits 0."""
    with tempfile.TemporaryDirectory() as scratch:
        port_file = os.path.join(scratch, "port")
        stderr_path = os.path.join(scratch, "stderr")
        with open(stderr_path, "w") as stderr:
            process = subprocess.Popen(
                [server_binary, model, "--port", "0", "--port-file", port_file, *flags],
                stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + timeout
        while not (os.path.exists(port_file) and open(port_file).read().endswith("\n")):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("tfm-server did not start:\n" + open(stderr_path).read())
            time.sleep(0.05)
        server = Server(process, int(open(port_file).read()), stderr_path)
        try:
            yield server
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise RuntimeError("tfm-server did not stop on SIGTERM")
            if code != 0:
                raise RuntimeError("tfm-server exited with %d:\n%s" % (code, server.stderr()))


def request(port, method, path, body=None, headers=None, timeout=60):
    """(status, parsed JSON or text) of one request; `body` is sent as JSON
    unless it is bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json"}
        all_headers.update(headers or {})
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        text = response.read().decode()
        if response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(text)
        return response.status, text
    finally:
        connection.close()


def post(port, path, body, headers=None, timeout=60):
    return request(port, "POST", path, body, headers, timeout)


def stream(port, path, body, headers=None, timeout=60):
    """The data of each server-sent event of a streamed answer, parsed
    (the last is the string '[DONE]')."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = {"Content-Type": "application/json"}
        all_headers.update(headers or {})
        connection.request("POST", path, body=json.dumps(body).encode(), headers=all_headers)
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError("stream: HTTP %d %s" % (response.status, response.read()))
        events = []
        for line in response.read().decode().split("\n"):
            if line.startswith("data: "):
                data = line[len("data: "):]
                events.append(data if data == "[DONE]" else json.loads(data))
        return events
    finally:
        connection.close()


def metrics(port, headers=None):
    """/metrics as a dict of name -> value."""
    status, text = request(port, "GET", "/metrics", headers=headers)
    assert status == 200, (status, text)
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.split()
            values[name] = float(value)
    return values
