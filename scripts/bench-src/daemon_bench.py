"""The daemon sections of scripts/bench: lmds through its real socket next to Redis on a Unix socket, and
the daemon's start-up time and memory on large logs.

    python3 daemon_bench.py daemon  --bin DIR --work DIR [--quick] [--questions-file FILE]
    python3 daemon_bench.py startup --bin DIR --work DIR [--quick]

Prints one JSON line per measurement on stdout ({"name": ..., "result": ..., "runs": [...]}, the form
scripts/bench collects); progress goes to stderr. Every measurement runs for a bounded time. The release
binaries (lmdsd, lmds, lmds-bench) come from --bin; Redis (redis-server, redis-benchmark) from PATH, and
when it is missing the Redis rows say so and the rest goes on.
"""

import argparse
import csv
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

# How long lmdsd may take to answer after launch before the benchmark gives up on it.
DAEMON_START_SECONDS_MAX = 120.0
# Restarts timed per log size (the median is reported): start-up varies by about a fifth from run to run here.
RESTARTS = 3


def say(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


def emit(name, result):
    print(json.dumps({"name": name, "result": result, "runs": [result]}), flush=True)


def call_once(socket_path, line):
    """The reply line (bytes) to one request line, or None when the daemon does not answer."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(5)
            connection.connect(socket_path)
            connection.sendall(line)
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = connection.recv(65536)
                if not chunk:
                    return None
                reply += chunk
            return reply
    except OSError:
        return None


def ping_once(socket_path):
    """True when the daemon on `socket_path` answers system.ping."""
    reply = call_once(socket_path, b'{"jsonrpc":"2.0","id":1,"method":"system.ping"}\n')
    return reply is not None and b'"result"' in reply


def resident_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


class Daemon:
    """A release lmdsd on a data directory and socket of the benchmark's own."""

    def __init__(self, binaries, data, socket_path, log_path):
        self.command = [os.path.join(binaries, "lmdsd"), "--data-dir", data, "--socket", socket_path]
        self.socket = socket_path
        self.log_path = log_path
        self.process = None

    def start(self):
        """Launches lmdsd and returns the seconds until it first answered system.ping."""
        with open(self.log_path, "ab") as log:
            launched = time.monotonic()
            self.process = subprocess.Popen(self.command, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = launched + DAEMON_START_SECONDS_MAX
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"lmdsd exited with {self.process.returncode}; see {self.log_path}")
            if os.path.exists(self.socket) and ping_once(self.socket):
                return time.monotonic() - launched
            time.sleep(0.005)
        raise SystemExit(f"lmdsd did not answer within {DAEMON_START_SECONDS_MAX} s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=120)


def bench_rpc(binaries, socket_path, method, clients, duration_ms, params=None, rotate=None):
    command = [os.path.join(binaries, "lmds-bench"), "rpc", "--socket", socket_path, "--method", method,
               "--clients", str(clients), "--duration-ms", str(duration_ms)]
    if params is not None:
        command += ["--params", json.dumps(params, ensure_ascii=False)]
    if rotate:
        command += ["--rotate", str(rotate)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"lmds-bench rpc {method} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def redis_figures(work, quick, value_bytes):
    """PING and GET from redis-benchmark against a redis-server on a Unix socket (no TCP), 1 and 16 clients;
    and GET of a value of `value_bytes` (stored by redis-benchmark's SET test first), 16 clients.

    Plain `-t ping,get` asks for a key nothing stored: Redis answers nil (5 bytes). The sized GET answers as
    many bytes as lmds's `question.get` does, so that the two move the same data."""
    if not shutil.which("redis-server") or not shutil.which("redis-benchmark"):
        return {"available": False, "reason": "redis-server or redis-benchmark is not installed"}
    directory = os.path.join(work, "redis")
    os.makedirs(directory, exist_ok=True)
    socket_path = os.path.join(directory, "redis.sock")
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", socket_path, "--unixsocketperm", "700", "--save", "",
         "--appendonly", "no", "--dir", directory, "--logfile", os.path.join(directory, "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(500):
            if os.path.exists(socket_path):
                break
            time.sleep(0.01)
        figures = {"available": True, "version": subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]}
        # 64 clients: PING only, the ceiling of request/reply on this machine that the 64-client write targets
        # are weighed against.
        for clients, requests, tests in ((1, 20000 if quick else 100000, "ping,get"), (16, 50000 if quick else 400000, "ping,get"),
                                         (64, 50000 if quick else 400000, "ping")):
            done = subprocess.run(["redis-benchmark", "-s", socket_path, "-t", tests, "-c", str(clients), "-n", str(requests), "--csv"],
                                  capture_output=True, text=True, timeout=300)
            for row in csv.DictReader(io.StringIO(done.stdout)):
                test = {"PING_MBULK": "ping", "GET": "get"}.get(row["test"])
                if test:
                    figures[f"{test}{clients}"] = {
                        "requestsPerSecond": float(row["rps"]), "p50Us": float(row["p50_latency_ms"]) * 1000,
                        "p99Us": float(row["p99_latency_ms"]) * 1000, "requests": requests,
                    }
        requests = 50000 if quick else 400000
        done = subprocess.run(["redis-benchmark", "-s", socket_path, "-t", "set,get", "-d", str(value_bytes), "-c", "16",
                               "-n", str(requests), "--csv"], capture_output=True, text=True, timeout=300)
        for row in csv.DictReader(io.StringIO(done.stdout)):
            if row["test"] == "GET":
                figures["getSized16"] = {
                    "requestsPerSecond": float(row["rps"]), "p50Us": float(row["p50_latency_ms"]) * 1000,
                    "p99Us": float(row["p99_latency_ms"]) * 1000, "requests": requests, "valueBytes": value_bytes,
                }
        return figures
    finally:
        server.terminate()
        server.wait(timeout=30)


def section_daemon(arguments):
    duration_ms = 1000 if arguments.quick else 4000
    directory = os.path.join(arguments.work, "daemon")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    socket_path = os.path.join(directory, "lmds.sock")
    daemon = Daemon(arguments.bin, os.path.join(directory, "data"), socket_path, os.path.join(directory, "lmdsd.log"))
    daemon.start()
    try:
        with open(arguments.questions_file, encoding="utf-8") as handle:
            question = json.loads(handle.readline())
        question.pop("requestId", None)
        question["requestId"] = "@R@"  # unique per request (lmds-bench rpc fills it in)
        results = {}
        say(f"lmds system.ping, 1 and 16 clients ({duration_ms} ms each)")
        results["ping1"] = bench_rpc(arguments.bin, socket_path, "system.ping", 1, duration_ms)
        results["ping16"] = bench_rpc(arguments.bin, socket_path, "system.ping", 16, duration_ms)
        say(f"lmds question.submit (durable), 1 and 64 clients ({duration_ms} ms each)")
        results["submit1"] = bench_rpc(arguments.bin, socket_path, "question.submit", 1, duration_ms, question)
        results["submit64"] = bench_rpc(arguments.bin, socket_path, "question.submit", 64, duration_ms, question)
        questions = results["submit1"]["requests"] + results["submit64"]["requests"]
        rotate = max(1, min(1000, questions))
        say(f"lmds question.get over {rotate} questions, 16 clients ({duration_ms} ms)")
        results["get16"] = bench_rpc(arguments.bin, socket_path, "question.get", 16, duration_ms, {"id": "Q-@N@"}, rotate)
        reply = call_once(socket_path, b'{"jsonrpc":"2.0","id":1,"method":"question.get","params":{"id":"Q-0001"}}\n')
        if reply is None or b'"result"' not in reply:
            raise SystemExit("question.get Q-0001 did not answer")
        results["get16"]["replyBytes"] = len(reply)

        runs = 11 if arguments.quick else 31
        say(f"lmds question get Q-0001 as a process, {runs} runs")
        lmds = os.path.join(arguments.bin, "lmds")
        walls = []
        environment = dict(os.environ, LMDS_SOCKET=socket_path)
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run([lmds, "question", "get", "Q-0001"], capture_output=True, env=environment)
            walls.append((time.perf_counter() - started) * 1000)
            if done.returncode != 0:
                raise SystemExit(f"lmds question get failed: {done.stderr.decode(errors='replace')}")
        results["cli"] = {"runs": runs, "medianMs": round(statistics.median(walls), 2), "minMs": round(min(walls), 2), "maxMs": round(max(walls), 2)}
        emit("lmds_daemon", results)
    finally:
        daemon.stop()
    say(f"redis-benchmark PING and GET on a Unix socket, 1 and 16 clients; GET of {results['get16']['replyBytes']} bytes, 16 clients")
    emit("redis", redis_figures(arguments.work, arguments.quick, results["get16"]["replyBytes"]))


def section_startup(arguments):
    sizes = (20000, 100000) if arguments.quick else (100000, 1000000)
    results = []
    for events in sizes:
        directory = os.path.join(arguments.work, f"startup-{events}")
        os.makedirs(directory, mode=0o700, exist_ok=True)
        data = os.path.join(directory, "data")
        say(f"start-up: filling a log with {events:,} domain events")
        done = subprocess.run([os.path.join(arguments.bin, "lmds-bench"), "fill-domain", "--dir", data, "--events", str(events)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"lmds-bench fill-domain failed: {done.stderr.strip()}")
        fill = json.loads(done.stdout)
        log_bytes = os.path.getsize(os.path.join(data, "data.mdb"))
        say(f"start-up: lmdsd on {fill['events']:,} events ({log_bytes / 1e6:,.0f} MB file)")
        # The first start replays the whole log (the fill leaves no snapshot); its clean stop saves the
        # snapshot, and each restart loads it and replays the events after it (none here). Restarts are
        # timed RESTARTS times and the median kept.
        runs = []
        for attempt in range(1 + RESTARTS):
            daemon = Daemon(arguments.bin, data, os.path.join(directory, "lmds.sock"), os.path.join(directory, "lmdsd.log"))
            seconds = daemon.start()
            try:
                runs.append({"seconds": round(seconds, 3), "residentKiB": resident_kib(daemon.process.pid),
                             "peakResidentKiB": resident_kib(daemon.process.pid, "VmHWM")})
            finally:
                daemon.stop()
            if attempt == 0:
                snapshot_bytes = os.path.getsize(os.path.join(data, "snapshot.lmds"))
                say(f"start-up: first start {seconds:.2f} s (whole log replayed); snapshot {snapshot_bytes / 1e6:,.0f} MB")
        first, restarts = runs[0], sorted(runs[1:], key=lambda run: run["seconds"])
        restart = restarts[len(restarts) // 2]
        timings = ", ".join(f"{run['seconds']:.2f}" for run in runs[1:])
        say(f"start-up: restarts {timings} s")
        results.append({"events": fill["events"], "questions": fill["questions"], "offers": fill["offers"], "logBytes": log_bytes,
                        "snapshotBytes": snapshot_bytes, "firstStart": first, "restart": restart,
                        "restartRuns": [run["seconds"] for run in runs[1:]]})
        shutil.rmtree(directory, ignore_errors=True)
    emit("startup", {"sizes": results})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("section", choices=["daemon", "startup"])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--questions-file")
    arguments = parser.parse_args()
    {"daemon": section_daemon, "startup": section_startup}[arguments.section](arguments)


if __name__ == "__main__":
    main()
