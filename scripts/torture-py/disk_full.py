"""scripts/torture disk-full: the data directory on a small tmpfs that fills up under the daemon.

The test mounts a tmpfs (8 MiB by default; root only, else the scenario is skipped and says why), starts
lmdsd with its data directory there, and fills the rest of the file system with a filler file but for a
little room. It then writes through the socket (large questions first, then small questions and offers)
until writes are refused, and keeps a subscriber on the log from position 1 all along.

Promises checked:
* a write that does not fit is refused with -32005 `unavailable` and `data.cause` `storageFull` (and a
  `reason`), never another error, a dropped connection or a crash;
* reads keep working on the full disk: `question.get` of every acknowledged question, `question.list`,
  `events.read`, `system.status`, `audit.verify`, and a new connection;
* nothing is half-written: positions gapless, `audit.verify` intact, every acknowledged write at its
  position, no refused write (its requestId) in the log, and the subscriber received exactly the log;
* once the filler is deleted, writes succeed again WITHOUT a restart: every refused request, retried with
  its requestId, is appended once (a refused request is not remembered);
* after a restart (SIGTERM, exit 0, start again) the log is the same, intact, a replay equals the read
  models, acknowledged requestIds are still remembered, and writes go on.
The default run fills and frees the disk twice (the second time on the restarted daemon); `--quick` once.
LMDB's map starts at 64 MiB and grows, but without MDB_WRITEMAP its file grows only as pages are written
(sparse), so a small tmpfs fills through the log's own writes.
"""

import os
import subprocess
import threading
import time

from common import (
    Client,
    Daemon,
    TortureFailure,
    WorkDirectory,
    check,
    offline_replay_check,
    percentile,
    read_all_events,
    say,
    seeded_random,
    status,
)
from load import Templates, WriteRecorder, check_acknowledged_writes, ZERO_HASH

DESCRIBE = "a full disk under the data directory: writes refused with storageFull, reads go on, writes resume once space is freed"

# Room left free beside the filler: enough for the daemon to start and take some writes before it is full.
ROOM_BYTES = 1 << 20
# A large question's description (the limit is 10000 bytes), so that the disk fills in a few hundred writes.
LARGE_DESCRIPTION_BYTES = 9000
# At most this many writes in one filling phase: a disk that never fills means the filler did not work.
WRITES_PER_PHASE_MAX = 3000
# After the first refusal, this many more attempts of each kind (quick, default): each must be refused or
# acknowledged cleanly. Each refusal makes the daemon rebuild its state from the whole log, so they cost time.
ATTEMPTS_AFTER_FULL = (2, 5)
# Written before the disk is filled, so that reads have something to read.
FIRST_QUESTIONS = 5


def add_arguments(parser):
    parser.add_argument("--size-mib", type=int, default=8, help="size of the tmpfs holding the data directory (default 8)")


def skipped(reason):
    say(f"disk-full: SKIPPED: {reason}")
    return {"skipped": reason}


def mount_tmpfs(mount_point, size_mib):
    """Mounts a tmpfs of `size_mib` MiB; returns None, or why it could not."""
    if os.geteuid() != 0:
        return "needs root to mount a tmpfs (run as root)"
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0755", "tmpfs", mount_point],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"cannot run mount: {error}"
    if done.returncode != 0:
        return f"mount -t tmpfs failed here ({done.returncode}): {' '.join(done.stderr.split())}"
    return None


def unmount(mount_point):
    """Unmounts, lazily if something still holds the file system."""
    for command in (["umount", mount_point], ["umount", "-l", mount_point]):
        if subprocess.run(command, capture_output=True, timeout=30).returncode == 0:
            return
    say(f"disk-full: could not unmount {mount_point}")


def free_bytes(path):
    info = os.statvfs(path)
    return info.f_bavail * info.f_frsize


def write_filler(path, size_bytes):
    """A file of `size_bytes` real bytes (not sparse: tmpfs allocates every written page)."""
    chunk = b"\xa5" * (1 << 20)
    with open(path, "wb") as handle:
        remaining = size_bytes
        while remaining > 0:
            remaining -= handle.write(chunk[: min(len(chunk), remaining)])


class Reader(threading.Thread):
    """Reads on a connection of its own while the disk fills and writes are refused: every read must succeed."""

    def __init__(self, socket_path, writes):
        super().__init__(name="reader", daemon=True)
        self.client = Client(socket_path)
        self.writes = writes
        self.stop = threading.Event()
        self.latencies = []
        self.failure = None

    def run(self):
        turn = 0
        try:
            while not self.stop.is_set():
                turn += 1
                method, _, entity, position = self.writes.acknowledged[turn % len(self.writes.acknowledged)]
                read = [("question.get" if method == "question.submit" else "offer.get", {"id": entity}),
                        ("events.read", {"from": position, "limit": 5}),
                        ("system.status", None)][turn % 3]
                started = time.perf_counter()
                reply = self.client.call(*read)
                self.latencies.append(time.perf_counter() - started)
                if "result" not in reply:
                    self.failure = f"{read[0]} {read[1]} on the full disk failed: {reply.get('error')}"
                    return
        except (OSError, ValueError) as error:
            self.failure = f"a reader's connection failed on the full disk: {type(error).__name__}: {error}"
        finally:
            self.client.close()

    def finish(self):
        """Stops the reader; fails the scenario if any read failed. Returns (reads, p50 ms, max ms)."""
        self.stop.set()
        self.join(60)
        check(not self.is_alive(), "a read on the full disk did not return within 60 s")
        check(self.failure is None, self.failure or "")
        check(self.latencies, "no read finished while the disk was full")
        return len(self.latencies), round(percentile(self.latencies, 0.5) * 1000, 1), round(max(self.latencies) * 1000, 1)


class Follower(threading.Thread):
    """A subscription from position 1, read all along (so that its connection never stalls) into `received`."""

    def __init__(self, socket_path):
        super().__init__(name="follower", daemon=True)
        self.client = Client(socket_path)
        self.client.result("events.subscribe", {"from": 1})
        self.client.socket.settimeout(0.2)
        self.received = []
        self.closed_by_daemon = False
        self.stop = threading.Event()

    def run(self):
        try:
            self.received.extend(message["params"]["event"] for message in self.client.notifications)
            while not self.stop.is_set():
                try:
                    message = self.client.read_message()
                except TimeoutError:
                    continue
                if message is None:
                    self.closed_by_daemon = True
                    return
                self.received.append(message["params"]["event"])
        except OSError:
            self.closed_by_daemon = not self.stop.is_set()

    def close(self):
        self.stop.set()
        self.join(5)
        self.client.close()


class DiskFullRun:
    """The daemon on the tmpfs, one client to write and read, one subscriber, and what was acknowledged or refused."""

    def __init__(self, work, mount_point, seed, generator, attempts_after_full):
        self.work = work
        self.attempts_after_full = attempts_after_full
        self.mount_point = mount_point
        self.filler = os.path.join(mount_point, "filler")
        self.seed = seed
        self.generator = generator
        self.templates = Templates()
        self.daemon = Daemon(work, data=os.path.join(mount_point, "data"))
        self.client = None
        self.follower = None
        self.writes = WriteRecorder()
        self.refused = {}  # requestId -> (method, params) of every write refused for lack of space
        self.refusal_reasons = set()
        self.refusal_latencies = []
        self.written = 0

    # -- connections ------------------------------------------------------------------------------------

    def connect(self):
        """A client for requests, and a follower subscribed from position 1."""
        self.close()
        self.client = Client(self.daemon.socket)
        self.follower = Follower(self.daemon.socket)
        self.follower.start()

    def close(self):
        if self.client is not None:
            self.client.close()
        if self.follower is not None:
            self.follower.close()

    def crashed(self):
        """Fails the scenario with the daemon's log when it has exited."""
        if not self.daemon.running():
            raise TortureFailure(f"lmdsd exited with {self.daemon.process.returncode} on the full disk:\n"
                                 f"{self.daemon.log_tail()}")

    # -- writes -----------------------------------------------------------------------------------------

    def params(self, method, request_id, large):
        if method == "question.submit":
            return self.templates.question(self.generator, request_id, LARGE_DESCRIPTION_BYTES if large else None)
        return self.templates.offer(self.generator, request_id)

    def attempt(self, method, large, params=None):
        """One write: True when acknowledged, False when refused with storageFull; anything else fails."""
        if params is None:
            self.written += 1
            params = self.params(method, f"disk-full-{self.seed}-{self.written}", large)
        request_id = params["requestId"]
        started = time.perf_counter()
        try:
            reply = self.client.call(method, params)
        except (OSError, ValueError) as error:
            self.crashed()
            raise TortureFailure(f"{method} {request_id}: the connection failed: {type(error).__name__}: {error}")
        if "result" in reply:
            self.writes.add(method, request_id, reply["result"])
            self.refused.pop(request_id, None)
            return True
        error = reply.get("error") or {}
        data = error.get("data") or {}
        check(error.get("code") == -32005 and data.get("cause") == "storageFull" and data.get("reason"),
              f"{method} {request_id} on a full disk was refused with {error}, not -32005 with cause storageFull and a reason")
        self.refused[request_id] = (method, params)
        self.refusal_reasons.add(data["reason"])
        self.refusal_latencies.append(time.perf_counter() - started)
        return False

    def fill(self, label):
        """Fills the disk with the filler, then writes until writes are refused, while a reader reads.

        Returns the figures of the cycle."""
        room = free_bytes(self.mount_point) - ROOM_BYTES
        check(room > 0, f"the tmpfs has only {free_bytes(self.mount_point)} bytes free, less than the {ROOM_BYTES} to leave")
        write_filler(self.filler, room)
        say(f"disk-full: {label}: filler of {room >> 10} KiB written, {free_bytes(self.mount_point) >> 10} KiB left")
        acknowledged_before, refused_before = len(self.writes.acknowledged), len(self.refused)
        reader = Reader(self.daemon.socket, self.writes)
        reader.start()
        try:
            # Large questions until one is refused, then small questions and offers until they are refused too,
            # then a few more attempts of each: every one is acknowledged or refused cleanly.
            for method, large in (("question.submit", True), ("question.submit", False), ("offer.publish", False)):
                for _ in range(WRITES_PER_PHASE_MAX):
                    if not self.attempt(method, large):
                        break
                else:
                    raise TortureFailure(f"{WRITES_PER_PHASE_MAX} writes of {method} went through: the disk never filled")
                for _ in range(self.attempts_after_full):
                    self.attempt(method, large)
            self.crashed()
        finally:
            reader.stop.set()
        reads, read_p50_ms, read_max_ms = reader.finish()
        acknowledged = len(self.writes.acknowledged) - acknowledged_before
        refused = len(self.refused) - refused_before
        say(f"disk-full: {label}: {acknowledged} writes acknowledged, then {refused} refused with storageFull "
            f"({free_bytes(self.mount_point) >> 10} KiB left); {reads} reads meanwhile, "
            f"p50 {read_p50_ms} ms, max {read_max_ms} ms")
        return {"acknowledgedUntilFull": acknowledged, "refused": refused, "readsMeanwhile": reads,
                "readP50Ms": read_p50_ms, "readMaxMs": read_max_ms}

    def free_and_retry(self, label):
        """Deletes the filler; every refused write, retried with its requestId, is now appended once."""
        os.remove(self.filler)
        head = status(self.daemon.socket)["position"]
        retried = len(self.refused)
        for request_id, (method, params) in list(self.refused.items()):
            check(self.attempt(method, False, params), f"{method} {request_id} is still refused after the filler was deleted")
            position = self.writes.acknowledged[-1][3]
            check(position > head, f"the retry of the refused {request_id} returned position {position}, at or before the head "
                                   f"{head} when it was refused: the refused request was remembered")
        for method in ("question.submit", "offer.publish"):
            check(self.attempt(method, True), f"a new {method} is refused after the filler was deleted")
        say(f"disk-full: {label}: space freed; {retried} refused writes retried and appended, without a restart")

    # -- checks -----------------------------------------------------------------------------------------

    def check_reads(self):
        """On the full disk: reads, a new connection, audit.verify, and the log holds exactly what was acknowledged."""
        self.crashed()
        for method, request_id, entity, position in self.writes.acknowledged:
            if method == "question.submit":
                question = self.client.result("question.get", {"id": entity})
                check(question["id"] == entity and request_id in question["title"],
                      f"question.get {entity} on the full disk returned {question.get('id')} {question.get('title')!r}")
        self.client.result("question.list", {"limit": 50})
        self.client.result("offer.list", {"limit": 50})
        with Client(self.daemon.socket) as fresh:
            fresh.result("system.ping")
        events = self.check_log()
        log_request_ids = {event["requestId"] for event in events}
        refused_present = sorted(set(self.refused) & log_request_ids)
        check(not refused_present, f"refused writes are in the log: {refused_present[:5]}")
        return events

    def check_log(self):
        """Gapless, every acknowledged write at its position and nothing else, intact, seen whole by the subscriber."""
        events = read_all_events(self.daemon.socket)
        check_acknowledged_writes(events, self.writes.acknowledged)
        check(len(events) == len(self.writes.acknowledged),
              f"the log holds {len(events)} events, but {len(self.writes.acknowledged)} writes were acknowledged")
        head = status(self.daemon.socket)
        last_hash = events[-1]["hash"] if events else ZERO_HASH
        check(head["position"] == len(events) and head["headHash"] == last_hash,
              f"system.status says head {head['position']} {head['headHash']}, the log ends at {len(events)} {last_hash}")
        report = self.client.result("audit.verify")
        check(report["intact"] is True and report["recordsChecked"] == len(events), f"audit.verify says {report}")
        self.check_subscriber(events)
        return events

    def check_subscriber(self, events):
        """The subscriber received every event of the log once, in order, and nothing more."""
        deadline = time.monotonic() + 10.0
        while len(self.follower.received) < len(events) and time.monotonic() < deadline and self.follower.is_alive():
            time.sleep(0.05)
        time.sleep(0.2)  # time for a notification that should not exist to arrive
        check(not self.follower.closed_by_daemon, "the daemon closed the subscriber's connection")
        received = list(self.follower.received)
        positions = [event["position"] for event in received]
        check(positions == [event["position"] for event in events],
              f"the subscriber received positions {positions[:3]}…{positions[-3:]} ({len(positions)}), "
              f"the log holds 1…{len(events)}")
        check([event["hash"] for event in received] == [event["hash"] for event in events],
              "the subscriber received events that differ from the log's")

    def restart(self):
        """SIGTERM (clean exit), start again, and check that the log and the remembered requestIds survived."""
        before = status(self.daemon.socket)
        self.close()
        exit_code = self.daemon.stop()
        check(exit_code == 0, f"lmdsd exited with {exit_code} on SIGTERM:\n{self.daemon.log_tail()}")
        self.daemon.start()
        after = status(self.daemon.socket)
        check(after["position"] == before["position"] and after["headHash"] == before["headHash"],
              f"after the restart the head is {after['position']} {after['headHash']}, before it was "
              f"{before['position']} {before['headHash']}")
        self.connect()
        self.check_log()
        offline_replay_check(self.daemon.data, self.daemon.socket)
        method, request_id, entity, position = self.writes.acknowledged[-1]
        again = self.client.result(method, self.params(method, request_id, False))
        check(again["id"] == entity and again["position"] == position,
              f"after the restart a retry of {request_id} returned {again}, the first reply said {entity} at {position}")
        say(f"disk-full: restarted: the same {after['position']} events, intact, replay equal, requestIds remembered")


def run(arguments):
    seed, generator = seeded_random(arguments.seed, "disk-full")
    cycles = 1 if arguments.quick else 2
    with WorkDirectory() as work:
        mount_point = work.file("tmpfs")
        os.mkdir(mount_point)
        run_state = DiskFullRun(work, mount_point, seed, generator, ATTEMPTS_AFTER_FULL[0 if arguments.quick else 1])
        reason = mount_tmpfs(mount_point, arguments.size_mib)
        if reason is not None:
            return skipped(reason)
        figures = {"seed": seed, "tmpfsMiB": arguments.size_mib, "cycles": []}
        try:
            run_state.daemon.start()
            run_state.connect()
            for _ in range(FIRST_QUESTIONS):
                check(run_state.attempt("question.submit", False), "a write failed before the disk was filled")
            for cycle in range(1, cycles + 1):
                label = f"cycle {cycle}/{cycles}"
                cycle_figures = run_state.fill(label)
                events = run_state.check_reads()
                say(f"disk-full: {label}: reads, audit.verify and the subscriber see exactly "
                    f"the {len(events)} acknowledged writes")
                run_state.free_and_retry(label)
                run_state.check_log()
                offline_replay_check(run_state.daemon.data, run_state.daemon.socket)
                run_state.restart()
                check(run_state.attempt("question.submit", True), "a write failed after the restart")
                figures["cycles"].append(dict(cycle_figures, eventsWhenFull=len(events)))
            figures["events"] = status(run_state.daemon.socket)["position"]
            figures["refusalReasons"] = sorted(run_state.refusal_reasons)
            figures["refusalP50Ms"] = round(percentile(run_state.refusal_latencies, 0.5) * 1000, 1)
            figures["refusalMaxMs"] = round(max(run_state.refusal_latencies) * 1000, 1)
            run_state.close()
            check(run_state.daemon.stop() == 0, f"lmdsd did not stop cleanly:\n{run_state.daemon.log_tail()}")
        except (OSError, ValueError) as error:
            raise TortureFailure(f"{type(error).__name__}: {error}\n{run_state.daemon.log_tail()}") from error
        finally:
            run_state.close()
            run_state.daemon.ensure_stopped()
            unmount(mount_point)
    return figures
