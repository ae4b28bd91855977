"""scripts/torture backup: hot backups while writers keep appending, each copy proven usable.

A few writer connections append questions and offers (with requestIds) and a subscriber follows the log,
while two backup connections take `admin.backup`s into new directories, so that two copies can run at once
on the daemon's pool of blocking threads. One backup goes into an existing empty directory (allowed) and one
into a non-empty directory (refused with -32004, and then no `BackupTaken` for it).

Each copy is checked as in the load scenario (`load.check_backup`): a second lmdsd opens it (directory
mode 0700), `audit.verify` is intact, its head hash is the live log's hash at its position, and `lmdsd
replay --check` of the LIVE log up to that position gives the backup daemon's read models. The newest copy
is then restored: a daemon on it remembers the requestIds in it (a retry returns the first result) and takes
new writes after its head.
"""

import os
import random

from common import Client, Daemon, TortureFailure, WorkDirectory, check, say, seeded_random, status
from load import (
    BackupWorker,
    LoadState,
    MixedWorker,
    SubscriberWorker,
    Templates,
    check_live_log,
    close_all,
    latency_figures,
    open_connections,
    prefill,
    run_backup_checks,
    run_load,
)

DESCRIBE = "hot backups under write load: each copy opens, verifies and replays to the live log's state at its position"

# Writer connections, the mix they run (mostly writes, a few reads), and their pause after each operation:
# about 8 / 0.1 = 80 operations a second, so that the log stays small enough to replay each copy quickly
# (a debug lmdsd replays about a thousand events a second).
WRITERS = 8
WRITER_WEIGHTS = {"question.submit": 6, "offer.publish": 3, "question.get": 1, "system.status": 1}
WRITER_PAUSE_SECONDS = 0.1


def add_arguments(parser):
    parser.add_argument("--seconds", type=float, default=None, help="how long the writers run (default 40, quick 7)")


def check_refused_backups(live, work):
    """A non-empty directory is refused with -32004 (field path), and nothing is appended for it."""
    occupied = work.file("occupied")
    os.mkdir(occupied, 0o700)
    with open(os.path.join(occupied, "keep"), "w", encoding="utf-8") as handle:
        handle.write("not empty\n")
    head = status(live.socket)["position"]
    with Client(live.socket) as client:
        reply = client.call("admin.backup", {"path": occupied})
    error = reply.get("error") or {}
    check(error.get("code") == -32004 and error.get("data", {}).get("field") == "path",
          f"a backup into a non-empty directory was answered with {reply}, not -32004 (field path)")
    check(status(live.socket)["position"] == head, "a refused backup appended an event")


def take_backup_into_empty_directory(live, work):
    """An existing empty directory (mode 0700) is accepted as a backup's destination."""
    empty = work.file("empty-backup")
    os.mkdir(empty, 0o700)
    with Client(live.socket) as client:
        return client.result("admin.backup", {"path": empty})


def check_restore(work, backup, writes, seed):
    """A daemon on the newest copy remembers the requestIds in it and appends new writes after its head."""
    restored = Daemon(work, data=backup["path"], socket_path=work.file("restored.sock"))
    restored.log_path = work.file("lmdsd-restored.log")
    in_copy = [write for write in writes.acknowledged if write[3] <= backup["position"] and write[0] == "question.submit"]
    check(in_copy, f"the newest backup (position {backup['position']}) holds no question to retry")
    method, request_id, entity, position = in_copy[-1]
    templates = Templates()
    try:
        restored.start()
        with Client(restored.socket) as client:
            # A seen requestId returns the first result whatever the params hold (README section 12).
            again = client.result(method, templates.question(random.Random(seed), request_id))
            check(again["id"] == entity and again["position"] == position,
                  f"the restored daemon answered a retry of {request_id} with {again}, "
                  f"the live daemon said {entity} at {position}")
            new = client.result(method, templates.question(random.Random(seed), f"backup-{seed}-after-restore"))
            check(new["position"] == backup["position"] + 1,
                  f"the first write on the restored copy landed at {new['position']}, not {backup['position'] + 1}")
        check(restored.stop() == 0, f"the restored daemon did not stop cleanly:\n{restored.log_tail()}")
        say(f"  restored the copy at position {backup['position']}: its requestIds remembered, new writes follow its head")
    finally:
        restored.ensure_stopped()


def run(arguments):
    seed, generator = seeded_random(arguments.seed, "backup")
    seconds = arguments.seconds if arguments.seconds is not None else (7.0 if arguments.quick else 40.0)
    backup_every = 2.5 if arguments.quick else 8.0
    templates = Templates()
    state = LoadState()
    clients = []
    with WorkDirectory() as work:
        live = Daemon(work).start()
        try:
            prefill(live.socket, templates, generator, state.writes, seed)
            head = status(live.socket)["position"]
            clients = open_connections(live.socket, WRITERS + 3)
            writers = [MixedWorker(state, clients[index], random.Random(seed * 100_003 + index), f"writer-{index}",
                                   templates, seed, WRITER_WEIGHTS, WRITER_PAUSE_SECONDS) for index in range(WRITERS)]
            subscriber = SubscriberWorker(state, clients[WRITERS], random.Random(seed), "subscriber", [1, head + 1])
            # Two backup connections in step, so that two copies are made at the same time (the pool has two threads).
            backup_workers = [
                BackupWorker(state, clients[WRITERS + 1], generator, "backup-a", work.file("backups"), backup_every, 1.0),
                BackupWorker(state, clients[WRITERS + 2], generator, "backup-b", work.file("backups"), backup_every, 1.0),
            ]
            say(f"backup: {WRITERS} writers and a subscriber for {seconds:.0f} s, two connections taking a backup every "
                f"{backup_every:g} s each")
            elapsed, final = run_load(state, live, writers + backup_workers, [subscriber], seconds)
            backups = [backup for worker in backup_workers for backup in worker.backups]
            backups.append(take_backup_into_empty_directory(live, work))
            check_refused_backups(live, work)
            say(f"backup: {len(state.writes.acknowledged)} writes, {len(backups)} backups; checking the log and every copy")
            check_live_log(live, state.writes, backups)
            durations = run_backup_checks(work, live, backups)
            newest = max(backups, key=lambda backup: backup["position"])
            check_restore(work, newest, state.writes, seed)
            kinds = latency_figures(writers + backup_workers, elapsed)
            close_all(clients)
            check(live.stop() == 0, f"lmdsd did not stop cleanly after the backups:\n{live.log_tail()}")
        except (OSError, ValueError) as error:
            raise TortureFailure(f"{type(error).__name__}: {error}\n{live.log_tail()}") from error
        finally:
            state.stop.set()
            close_all(clients)
            live.ensure_stopped()
    return {
        "seed": seed,
        "writeSeconds": round(elapsed, 1),
        "writesAcknowledged": len(state.writes.acknowledged),
        "events": final["position"],
        "notifications": subscriber.notifications,
        "backups": len(backups),
        "backupPositions": sorted(backup["position"] for backup in backups),
        "backupBytesMax": max(backup["bytes"] for backup in backups),
        "backupP50Ms": kinds["admin.backup"]["p50Ms"],
        "backupP99Ms": kinds["admin.backup"]["p99Ms"],
        "backupCheckSecondsMax": round(max(durations), 1),
        "writesPerSecond": round(len(state.writes.acknowledged) / elapsed, 1),
    }
