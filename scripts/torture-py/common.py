"""Shared pieces of scripts/torture: starting the real lmdsd on a temporary directory, a line-delimited
JSON-RPC client over its Unix socket, seeded randomness, and measuring a process's memory.

Every torture scenario uses the real binaries (`lmdsd`, `lmds`) from $LMDS_BIN_DIR, a real LMDB file and
the real socket. Nothing here knows the domain beyond the request shapes the scenarios build.
"""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# How long a scenario waits for the daemon to answer after launch before it gives up.
DAEMON_START_SECONDS_MAX = 60.0
# How long one request may wait for its reply in a scenario (a frozen daemon is tested on purpose).
REPLY_SECONDS_MAX = 30.0
# The longest reply line a scenario reads (the daemon's replies are far smaller).
REPLY_BYTES_MAX = 64 * 1024 * 1024
# Where valid question and offer params come from: the demo's Leiden data set.
DEMO_DATA_DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demo-data")


def demo_data(name):
    """The params objects of one demo data file (`questions.jsonl`, `offers.jsonl`), one per line."""
    with open(os.path.join(DEMO_DATA_DIRECTORY, name), encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def say(message):
    """Progress for the person running the scenario, on stderr; stdout carries the results."""
    print(message, file=sys.stderr, flush=True)


class TortureFailure(Exception):
    """A promise the daemon broke: the scenario fails with this message."""


def check(condition, message):
    """Fails the scenario with `message` unless `condition` holds."""
    if not condition:
        raise TortureFailure(message)


def binaries_directory():
    """Where the real lmdsd and lmds are: $LMDS_BIN_DIR (set by scripts/torture and scripts/test)."""
    directory = os.environ.get("LMDS_BIN_DIR", "")
    if not directory or not os.path.exists(os.path.join(directory, "lmdsd")):
        raise TortureFailure("LMDS_BIN_DIR must name the directory holding lmdsd and lmds (run through scripts/torture)")
    return directory


def seeded_random(seed, scenario):
    """A random generator for one scenario, its seed printed so that any failure can be replayed."""
    if seed is None:
        seed = int(time.time() * 1000) % 1_000_000
    say(f"{scenario}: seed {seed} (rerun with: scripts/torture {scenario} --seed {seed})")
    return seed, random.Random(seed)


class WorkDirectory:
    """A temporary directory for one scenario: data directory, socket, config; removed afterwards.

    Socket paths must stay under 99 bytes, so the directory lives in /tmp with a short name."""

    def __init__(self, prefix="lmds-torture."):
        self.path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
        os.chmod(self.path, 0o755)
        self.data = os.path.join(self.path, "data")
        self.socket = os.path.join(self.path, "lmds.sock")

    def file(self, name):
        return os.path.join(self.path, name)

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.remove()


class Daemon:
    """The real lmdsd on a data directory and socket, started and stopped by the scenario."""

    def __init__(self, work, config=None, data=None, socket_path=None, extra_arguments=()):
        self.work = work
        self.data = data or work.data
        self.socket = socket_path or work.socket
        self.config_path = None
        if config is not None:
            self.config_path = work.file("config.json")
            with open(self.config_path, "w", encoding="utf-8") as handle:
                json.dump(config, handle)
            os.chmod(self.config_path, 0o644)
        self.extra_arguments = list(extra_arguments)
        # Variables added to the daemon's environment at its next start (LD_PRELOAD for fsync-error).
        self.environment = {}
        self.process = None
        self.log_path = work.file("lmdsd.log")
        self.launched_at = None

    def command(self):
        command = [os.path.join(binaries_directory(), "lmdsd"), "--data-dir", self.data, "--socket", self.socket]
        if self.config_path:
            command += ["--config", self.config_path]
        return command + self.extra_arguments

    def start(self, wait=True):
        """Launches lmdsd; with `wait`, returns once it answers system.ping (or fails the scenario)."""
        check(self.process is None or self.process.poll() is not None, "the daemon is already running")
        log = open(self.log_path, "ab")
        self.launched_at = time.monotonic()
        environment = dict(os.environ, **self.environment) if self.environment else None
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=environment)
        log.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, seconds_max=DAEMON_START_SECONDS_MAX):
        """Polls system.ping until the daemon answers; returns the seconds since launch."""
        deadline = time.monotonic() + seconds_max
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise TortureFailure(f"lmdsd exited with {self.process.returncode} while starting:\n{self.log_tail()}")
            try:
                with Client(self.socket, timeout=2.0) as client:
                    reply = client.call("system.ping")
                    if "result" in reply:
                        return time.monotonic() - self.launched_at
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        raise TortureFailure(f"lmdsd did not answer within {seconds_max} s:\n{self.log_tail()}")

    @property
    def pid(self):
        return self.process.pid

    def running(self):
        return self.process is not None and self.process.poll() is None

    def signal(self, number):
        if self.running():
            os.kill(self.process.pid, number)

    def kill(self):
        """SIGKILL: no chance to finish anything; waits until the process is gone."""
        self.signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, seconds_max=30.0):
        """SIGTERM and wait for a clean exit; returns the exit code."""
        self.signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=seconds_max)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise TortureFailure(f"lmdsd did not stop within {seconds_max} s of SIGTERM:\n{self.log_tail()}")

    def resident_kib(self):
        """The daemon's resident memory now (VmRSS), in KiB."""
        return _status_field(self.process.pid, "VmRSS")

    def peak_resident_kib(self):
        """The daemon's highest resident memory so far (VmHWM), in KiB."""
        return _status_field(self.process.pid, "VmHWM")

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "r", encoding="utf-8", errors="replace") as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def ensure_stopped(self):
        if self.running():
            self.kill()


def _status_field(pid, field):
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise TortureFailure(f"/proc/{pid}/status has no {field}")


class Client:
    """One connection to the daemon: requests out, reply lines in, notifications kept aside.

    `call` sends one request and returns its reply (a dict), collecting any notifications that arrive
    before it in `notifications`. `send_raw` and `read_line` are for scenarios that send what no
    well-behaved client would."""

    def __init__(self, socket_path, timeout=REPLY_SECONDS_MAX):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.settimeout(timeout)
        self.socket.connect(socket_path)
        self.buffer = bytearray()
        self.next_id = 1
        self.notifications = []

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()

    def close(self):
        try:
            self.socket.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.socket.sendall(data)

    def read_line(self):
        """The next line from the daemon as bytes without its newline; b'' when the daemon closed."""
        while True:
            newline = self.buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self.buffer[:newline])
                del self.buffer[: newline + 1]
                return line
            if len(self.buffer) > REPLY_BYTES_MAX:
                raise TortureFailure("a reply line longer than 64 MiB")
            chunk = self.socket.recv(65536)
            if not chunk:
                return b""
            self.buffer.extend(chunk)

    def read_message(self):
        """The next JSON message, or None when the daemon closed the connection."""
        line = self.read_line()
        if not line:
            return None
        return json.loads(line.decode("utf-8"))

    def call(self, method, params=None):
        """Sends one request and waits for its reply; notifications in between go to `notifications`."""
        request_id = self.next_id
        self.next_id += 1
        request = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            request["params"] = params
        self.send_raw(json.dumps(request, ensure_ascii=False).encode("utf-8") + b"\n")
        while True:
            message = self.read_message()
            if message is None:
                raise ConnectionResetError(f"the daemon closed the connection before answering {method}")
            if "id" not in message and message.get("method"):
                self.notifications.append(message)
                continue
            check(message.get("id") == request_id, f"reply id {message.get('id')} for request {request_id} ({method})")
            return message

    def result(self, method, params=None):
        """Like `call`, but fails the scenario unless the reply is a result; returns the result."""
        reply = self.call(method, params)
        if "result" not in reply:
            raise TortureFailure(f"{method} failed: {json.dumps(reply.get('error'), ensure_ascii=False)}")
        return reply["result"]


def status(socket_path, digest=False):
    """system.status of the daemon on `socket_path`, on a connection of its own."""
    with Client(socket_path) as client:
        return client.result("system.status", {"digest": True} if digest else None)


def read_all_events(socket_path, start=1):
    """Every event from `start` to the head, through events.read (1000 at a time)."""
    events = []
    with Client(socket_path) as client:
        position = start
        while True:
            result = client.result("events.read", {"from": position, "limit": 1000})
            batch = result["events"]
            if not batch:
                return events
            events.extend(batch)
            position = batch[-1]["position"] + 1


def offline_replay_check(data_directory, socket_path):
    """`lmdsd replay --check`: a full offline replay of the LMDB file equals the daemon's read models."""
    command = [os.path.join(binaries_directory(), "lmdsd"), "replay", "--data-dir", data_directory, "--check", "--socket", socket_path]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    check(done.returncode == 0, f"lmdsd replay --check failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def percentile(samples, fraction):
    """The sample at `fraction` (0..1) of the sorted samples, nearest rank; None for no samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]
