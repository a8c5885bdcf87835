#!/usr/bin/env python3
"""Load test of an OpenAI-style completion server on the loopback
interface: CLIENTS threads each send REQUESTS /v1/completions requests one
after another (max_tokens N, ignore_eos, so every answer has exactly N
tokens), check every answer (HTTP 200, completion_tokens == N,
prompt_tokens the same for all), and report p50/p99 latency and
throughput (generated tokens per second over all clients).

  scripts/server-load.py [OPTIONS] -- build/bin/tfm-server MODEL [FLAGS...]
  scripts/server-load.py [OPTIONS] --url http://127.0.0.1:8080  (e.g. llama-server)

Bounded in count (CLIENTS x REQUESTS) and time (--time-limit: requests
not started by then are counted as lost and the run fails). Exit code 1 if
any request was lost or answered wrongly."""

import argparse
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tfm_server_client as client  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Load:
    def __init__(self, port, args):
        self.port = port
        self.args = args
        self.latencies = []
        self.tokens = 0
        self.failures = []
        self.prompt_tokens = set()
        self.lock = threading.Lock()
        self.deadline = time.monotonic() + args.time_limit

    def body(self, client_index):
        return {"prompt": self.args.prompt, "max_tokens": self.args.max_tokens,
                "temperature": self.args.temperature, "seed": client_index,
                "ignore_eos": True, "stream": False}

    def client(self, index):
        for _ in range(self.args.requests):
            if time.monotonic() > self.deadline:
                with self.lock:
                    self.failures.append("not started before --time-limit")
                continue
            start = time.monotonic()
            try:
                status, answer = client.post(self.port, "/v1/completions", self.body(index),
                                             timeout=self.args.time_limit)
            except Exception as error:  # noqa: BLE001 - a lost request
                with self.lock:
                    self.failures.append(repr(error))
                continue
            elapsed = time.monotonic() - start
            with self.lock:
                usage = answer.get("usage", {}) if isinstance(answer, dict) else {}
                if status != 200 or usage.get("completion_tokens") != self.args.max_tokens:
                    self.failures.append("HTTP %d %s" % (status, str(answer)[:200]))
                    continue
                self.prompt_tokens.add(usage["prompt_tokens"])
                self.latencies.append(elapsed)
                self.tokens += usage["completion_tokens"]

    def run(self):
        threads = [threading.Thread(target=self.client, args=(i,)) for i in range(self.args.clients)]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - start
        if len(self.prompt_tokens) > 1:
            self.failures.append("prompt_tokens differ between answers: %s" % sorted(self.prompt_tokens))
        return wall


def measure(port, args):
    load = Load(port, args)
    wall = load.run()
    expected = args.clients * args.requests
    result = {
        "clients": args.clients, "requests": expected, "answered": len(load.latencies),
        "failures": len(load.failures), "max_tokens": args.max_tokens,
        "seconds": round(wall, 3),
        "tokens_per_second": round(load.tokens / wall, 1) if wall > 0 else 0.0,
        "p50_ms": round(1000 * percentile(load.latencies, 0.50), 1) if load.latencies else None,
        "p99_ms": round(1000 * percentile(load.latencies, 0.99), 1) if load.latencies else None,
    }
    return result, load.failures


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an already running server (loopback only)")
    parser.add_argument("--clients", type=int, nargs="+", default=[32])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--prompt", default="Once upon a time, there was a little girl")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    argv = sys.argv[1:]
    server = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if bool(server) == bool(args.url):
        parser.error("give -- SERVER MODEL [FLAGS] or --url")
    if min(args.clients) < 1 or args.requests < 1 or args.max_tokens < 1:
        parser.error("--clients, --requests and --max-tokens must be positive")

    def report(port):
        failed = False
        for clients in args.clients:
            args_for = argparse.Namespace(**vars(args))
            args_for.clients = clients
            result, failures = measure(port, args_for)
            failed |= bool(failures) or result["answered"] != result["requests"]
            if args.json:
                print(json.dumps(result))
            else:
                print("%3d clients x %d requests: %d answered, %d failed, %.1f tok/s, "
                      "p50 %s ms, p99 %s ms (%.1f s)" % (
                          clients, args.requests, result["answered"], result["failures"],
                          result["tokens_per_second"], result["p50_ms"], result["p99_ms"],
                          result["seconds"]))
            for failure in failures[:5]:
                print("  failure: %s" % failure, file=sys.stderr)
            sys.stdout.flush()
        return failed

    if args.url:
        parsed = urllib.parse.urlparse(args.url)
        if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            parser.error("--url must be a loopback address (the load test stays on this machine)")
        failed = report(parsed.port or 80)
    else:
        with client.start(*server) as running:
            failed = report(running.port)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
