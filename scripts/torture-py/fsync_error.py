"""scripts/torture fsync-error: the disk under the log starts failing with EIO at a seeded moment.

Device-mapper (a dm-error or dm-flakey target over a loop device) is the faithful way to make a disk fail,
but it needs the kernel's dm driver, which a container usually lacks; the scenario looks (without creating
anything) and says which method ran. Where device-mapper is not available it compiles
scripts/torture-src/fault_shim.c with gcc and runs the real lmdsd under it with LD_PRELOAD: after a seeded
number of successful calls, every `fdatasync`/`fsync` of data.mdb (target `sync`: the commit's data pages are
not durable) or every write of an LMDB meta page (target `meta`: the last step of a commit, after which LMDB
marks the environment unusable, MDB_PANIC) fails with EIO, for good. The shim fails the call without doing it.

Clients write questions and offers (with requestIds) on connections of their own until they are refused,
then try a few more writes each. Promises checked:
* every write is either acknowledged or refused with -32005, `data.cause` `syncFailed`, and a `reason` that
  names the failure (EIO or MDB_PANIC) and says to restart the daemon; the write(s) whose commit hit the
  error are among the refused, and no write sent after any client saw a refusal is acknowledged;
* reads go on: `question.get` of acknowledged questions, `question.list`, `events.read`, `audit.verify`
  (intact, exactly the acknowledged writes), a new connection; `system.status` has `writeFault` and
  `lmds status` prints WRITES REFUSED;
* the daemon wrote exactly one error line (`<3>`, journald's priority) for it, not one per write, and it
  stops cleanly on SIGTERM;
* after a restart without the fault: every acknowledged write is in the log exactly once at its position and
  nothing else (no refused requestId), `audit.verify` is intact, `lmdsd replay --check` is equal, and writes
  are taken again (a refused request, retried with its requestId, is appended once).
`--quick` runs the seed's target with 4 clients; the default runs both targets with 8 clients.
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
    binaries_directory,
    check,
    offline_replay_check,
    read_all_events,
    say,
    seeded_random,
    status,
)
from load import Templates, WriteRecorder, check_acknowledged_writes

DESCRIBE = ("the disk under the log fails with EIO at a seeded moment (LD_PRELOAD shim, or device-mapper where it works): "
            "the failed write is not acknowledged, later writes refused, reads go on, nothing acknowledged lost")

SHIM_SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "torture-src", "fault_shim.c")
# Writer connections (quick, default).
CLIENTS = (4, 8)
# Successful data.mdb syncs (or meta-page writes) before the fault, drawn from this range (quick, default).
CALLS_BEFORE_FAULT = ((10, 60), (40, 300))
# Writes one client sends at most: a fault that never comes means the shim did not take hold.
WRITES_PER_CLIENT_MAX = 2000
# Writes each client tries after its first refusal: each must be refused too.
ATTEMPTS_AFTER_REFUSAL = 3



def add_arguments(parser):
    parser.add_argument("--target", choices=["sync", "meta", "both"], default=None,
                        help="what fails: fsync of data.mdb (sync), a meta-page write (meta) or one run of each "
                             "(default: both; --quick: one chosen by the seed)")
    parser.add_argument("--clients", type=int, default=None, help="writer connections (default 8, quick 4)")


def device_mapper_unavailable():
    """None when the kernel's device-mapper driver and loop devices are usable here, else why not. Looks only."""
    if os.geteuid() != 0:
        return "not root"
    try:
        with open("/proc/misc", encoding="ascii") as handle:
            if not any(line.split()[-1:] == ["device-mapper"] for line in handle):
                return "the kernel has no device-mapper driver (/proc/misc)"
    except OSError as error:
        return f"cannot read /proc/misc: {error}"
    return None


def compile_shim(work):
    """Compiles the LD_PRELOAD shim into the work directory; returns its path."""
    shim = work.file("fault_shim.so")
    done = subprocess.run(["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-o", shim, SHIM_SOURCE, "-ldl"],
                          capture_output=True, text=True, timeout=120)
    check(done.returncode == 0, f"gcc could not build the fault shim:\n{done.stderr}")
    return shim


class Writer(threading.Thread):
    """One connection writing until refused; records what was acknowledged and what was refused, and when."""

    def __init__(self, run_state, number):
        super().__init__(name=f"writer-{number}", daemon=True)
        self.run_state = run_state
        self.number = number
        self.client = Client(run_state.daemon.socket)
        self.generator = run_state.generator
        self.failure = None

    def run(self):
        try:
            self.write_until_refused()
        except (OSError, ValueError, TortureFailure) as error:
            self.failure = f"writer {self.number}: {type(error).__name__}: {error}"
        finally:
            self.client.close()

    def write_until_refused(self):
        state = self.run_state
        refusals = 0
        for attempt in range(WRITES_PER_CLIENT_MAX):
            method = "offer.publish" if attempt % 3 == 2 else "question.submit"
            request_id = f"fsync-{state.seed}-{state.target}-{self.number}-{attempt}"
            with state.lock:
                params = (state.templates.offer if method == "offer.publish" else state.templates.question)(self.generator, request_id)
            sent = time.monotonic()
            reply = self.client.call(method, params)
            received = time.monotonic()
            if "result" in reply:
                with state.lock:
                    state.writes.add(method, request_id, reply["result"])
                    state.sent_at[request_id] = sent
                check(refusals == 0, f"{method} {request_id} was acknowledged after this client's write was refused")
                continue
            state.refused_reply(method, request_id, params, reply, received)
            refusals += 1
            if refusals > ATTEMPTS_AFTER_REFUSAL:
                return
        raise TortureFailure(f"{WRITES_PER_CLIENT_MAX} writes went through: the fault never came (is the shim loaded?)")


class FaultRun:
    """One daemon under the shim for one target: writers, then reads, then a restart without the fault."""

    def __init__(self, work, seed, generator, target, clients, calls_before_fault):
        self.work = work
        self.seed = seed
        self.generator = generator
        self.target = target
        self.clients = clients
        self.calls_before_fault = calls_before_fault
        self.templates = Templates()
        self.daemon = Daemon(work, data=work.file(f"data-{target}"), socket_path=work.file(f"{target}.sock"))
        self.daemon.log_path = work.file(f"lmdsd-{target}.log")
        self.lock = threading.Lock()
        self.writes = WriteRecorder()
        self.sent_at = {}
        self.refused = {}  # requestId -> (method, params)
        self.reasons = set()
        self.first_refusal_at = None

    def refused_reply(self, method, request_id, params, reply, received):
        """Checks a refusal's shape and records it."""
        error = reply.get("error") or {}
        data = error.get("data") or {}
        reason = data.get("reason") or ""
        check(error.get("code") == -32005 and data.get("cause") == "syncFailed",
              f"{method} {request_id} was refused with {error}, not -32005 with cause syncFailed")
        named = "EIO" in reason or "MDB_PANIC" in reason
        check(named and "restart the daemon" in reason, f"the refusal's reason does not name the failure: {reason!r}")
        with self.lock:
            self.refused[request_id] = (method, params)
            self.reasons.add(reason)
            if self.first_refusal_at is None or received < self.first_refusal_at:
                self.first_refusal_at = received

    def write_until_fault(self):
        writers = [Writer(self, number) for number in range(self.clients)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(300)
            check(not writer.is_alive(), f"{writer.name} did not finish within 300 s")
            check(writer.failure is None, writer.failure or "")
        check(self.daemon.running(), f"lmdsd exited under the fault:\n{self.daemon.log_tail()}")
        late = sorted(request_id for request_id, sent in self.sent_at.items() if sent > self.first_refusal_at)
        check(not late, f"writes sent after the first refusal were acknowledged: {late[:5]}")
        say(f"fsync-error [{self.target}]: {len(self.writes.acknowledged)} writes acknowledged, then {len(self.refused)} "
            f"refused with syncFailed")

    def check_reads(self):
        """Reads go on under the fault, and the daemon says why writes are refused."""
        with Client(self.daemon.socket) as client:
            for method, request_id, entity, position in self.writes.acknowledged[-20:]:
                if method == "question.submit":
                    question = client.result("question.get", {"id": entity})
                    check(question["id"] == entity, f"question.get {entity} under the fault returned {question.get('id')}")
            client.result("question.list", {"limit": 50})
            client.result("offer.list", {"limit": 50})
            report = client.result("audit.verify")
            check(report["intact"] is True and report["recordsChecked"] == len(self.writes.acknowledged),
                  f"audit.verify under the fault says {report}, {len(self.writes.acknowledged)} writes were acknowledged")
        events = read_all_events(self.daemon.socket)
        check_acknowledged_writes(events, self.writes.acknowledged)
        check(len(events) == len(self.writes.acknowledged),
              f"under the fault the log shows {len(events)} events, {len(self.writes.acknowledged)} writes were acknowledged")
        fault = status(self.daemon.socket).get("writeFault") or {}
        check(fault.get("cause") == "syncFailed" and fault.get("reason") in self.reasons,
              f"system.status's writeFault is {fault}, the refusals said {sorted(self.reasons)}")
        printed = subprocess.run([os.path.join(binaries_directory(), "lmds"), "--socket", self.daemon.socket, "status"],
                                 capture_output=True, text=True, timeout=60)
        check(printed.returncode == 0 and "WRITES REFUSED" in printed.stdout,
              f"lmds status under the fault printed ({printed.returncode}):\n{printed.stdout}{printed.stderr}")

    def check_error_lines(self):
        """Exactly one error line (journald priority 3) in the daemon's log, naming the failure."""
        with open(self.daemon.log_path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
        errors = [line for line in lines if line.startswith("<3>")]
        check(len(errors) == 1 and "writes stopped" in errors[0],
              f"the daemon wrote {len(errors)} error lines, not one:\n" + "\n".join(errors[:10]))
        shim_lines = [line for line in lines if line.startswith("lmds-fault-shim:")]
        check(len(shim_lines) == 1, f"the shim reported {len(shim_lines)} faults: {shim_lines}")
        return errors[0], shim_lines[0]

    def restart_and_check(self):
        """Stops the daemon, starts it without the fault, and checks that the log holds exactly the acknowledged writes."""
        exit_code = self.daemon.stop()
        check(exit_code == 0, f"lmdsd exited with {exit_code} on SIGTERM under the fault:\n{self.daemon.log_tail()}")
        self.daemon.environment = {}
        self.daemon.start()
        events = read_all_events(self.daemon.socket)
        check_acknowledged_writes(events, self.writes.acknowledged)
        check(len(events) == len(self.writes.acknowledged),
              f"after the restart the log holds {len(events)} events, {len(self.writes.acknowledged)} writes were acknowledged")
        present = sorted(set(self.refused) & {event["requestId"] for event in events})
        check(not present, f"refused writes are in the log: {present[:5]}")
        with Client(self.daemon.socket) as client:
            report = client.result("audit.verify")
            check(report["intact"] is True and report["recordsChecked"] == len(events), f"audit.verify after the restart says {report}")
        offline_replay_check(self.daemon.data, self.daemon.socket)
        check("writeFault" not in status(self.daemon.socket), "system.status still shows a writeFault after the restart")
        request_id, (method, params) = sorted(self.refused.items())[0]
        with Client(self.daemon.socket) as client:
            retried = client.result(method, params)
            again = client.result(method, params)
        check(retried["position"] == len(events) + 1 and again == retried,
              f"the refused {request_id}, retried after the restart, gave {retried} then {again}")
        check(self.daemon.stop() == 0, f"lmdsd did not stop cleanly after the restart:\n{self.daemon.log_tail()}")
        return len(events)

    def run(self, shim):
        self.daemon.environment = {"LD_PRELOAD": shim, "LMDS_FAULT_TARGET": self.target,
                                   "LMDS_FAULT_AFTER": str(self.calls_before_fault)}
        self.daemon.start()
        started = time.monotonic()
        self.write_until_fault()
        self.check_reads()
        error_line, shim_line = self.check_error_lines()
        say(f"fsync-error [{self.target}]: reads go on, system.status and lmds status show the fault; one error line: {error_line}")
        events = self.restart_and_check()
        say(f"fsync-error [{self.target}]: restarted without the fault: the {events} acknowledged writes are there once each, "
            f"intact, replay equal; writes taken again")
        return {"target": self.target, "callsBeforeFault": self.calls_before_fault, "clients": self.clients,
                "acknowledged": len(self.writes.acknowledged), "refused": len(self.refused),
                "shim": shim_line, "errorLine": error_line, "seconds": round(time.monotonic() - started, 1)}


def run(arguments):
    seed, generator = seeded_random(arguments.seed, "fsync-error")
    quick = arguments.quick
    target = arguments.target or (generator.choice(["sync", "meta"]) if quick else "both")
    targets = ["sync", "meta"] if target == "both" else [target]
    clients = arguments.clients or CLIENTS[0 if quick else 1]
    unavailable = device_mapper_unavailable()
    method = "LD_PRELOAD shim (scripts/torture-src/fault_shim.c)"
    say(f"fsync-error: method: {method}; device-mapper not used: "
        f"{unavailable or 'the dm-error path is not implemented yet, the shim runs instead'}")
    figures = {"seed": seed, "method": "shim", "deviceMapper": unavailable or "available, not used", "runs": []}
    with WorkDirectory() as work:
        shim = compile_shim(work)
        for name in targets:
            low, high = CALLS_BEFORE_FAULT[0 if quick else 1]
            fault_run = FaultRun(work, seed, generator, name, clients, generator.randint(low, high))
            say(f"fsync-error [{name}]: {clients} clients; the fault comes after {fault_run.calls_before_fault} calls")
            try:
                figures["runs"].append(fault_run.run(shim))
            except (OSError, ValueError) as error:
                raise TortureFailure(f"{type(error).__name__}: {error}\n{fault_run.daemon.log_tail()}") from error
            finally:
                fault_run.daemon.ensure_stopped()
    return figures
