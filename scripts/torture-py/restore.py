"""scripts/torture restore: the restore drill an admin follows, with the real tools, proven to lose nothing.

1. A daemon takes writes (questions and offers with requestIds; each acknowledged write recorded).
2. `lmds backup DIR` (the daemon keeps running), and the writes go on.
3. `lmds export --from B+1 --output FILE`, B the backup's position (in every other run, by the seed: a whole
   export, from position 1). The daemon's head, head hash and read-model digest are noted, and it stops.
4. The data directory is destroyed (`rm -r`).
5. The backup is copied back as the data directory (`cp -a BACKUP DATA`), and `lmdsd import --continue
   --data-dir DATA FILE` appends the export's events after the backup's head (checking the overlap, if any).
6. The daemon starts on it, and must give back everything: the same head position and head hash, the same
   read-model digest, `audit.verify` intact, `lmdsd replay --check` equal, every acknowledged write's event
   exactly once in the log (by requestId), and a retry of each acknowledged requestId answering its first
   result (so nothing is written twice).
"""

import json
import os
import shutil
import subprocess

from common import Client, Daemon, TortureFailure, WorkDirectory, binaries_directory, check, offline_replay_check
from common import read_all_events, say, seeded_random, status
from load import Templates

DESCRIBE = "backup, more writes, export, data directory destroyed, backup restored plus the export's tail: every acknowledged write back once"

# Tool runs (backup, export, import) end within this many seconds or the scenario fails.
TOOL_SECONDS_MAX = 300


def add_arguments(parser):
    parser.add_argument("--writes", type=int, default=None, help="writes before and after the backup, each (default 400, quick 60)")


def tool(name, arguments, what):
    """Runs lmds or lmdsd with `arguments`; fails the scenario unless it exits with 0; returns its stdout."""
    done = subprocess.run([os.path.join(binaries_directory(), name)] + arguments, capture_output=True, text=True,
                          timeout=TOOL_SECONDS_MAX)
    check(done.returncode == 0, f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def write(socket_path, templates, generator, seed, first, count, acknowledged):
    """`count` writes with requestIds, half questions and half offers; each acknowledged one is recorded."""
    with Client(socket_path) as client:
        for index in range(first, first + count):
            request_id = f"restore-{seed}-{index}"
            method = "question.submit" if index % 2 == 0 else "offer.publish"
            params = templates.question(generator, request_id) if method == "question.submit" else templates.offer(generator, request_id)
            result = client.result(method, params)
            acknowledged.append((method, request_id, params, result))


def check_restored(socket_path, before, acknowledged):
    """The restored daemon's head, digest, chain and every acknowledged write, exactly once."""
    after = status(socket_path, digest=True)
    check(after["position"] == before["position"] and after["headHash"] == before["headHash"],
          f"restored head {after['position']} {after['headHash']}, before the loss {before['position']} {before['headHash']}")
    check(after["readModels"] == before["readModels"], f"restored read models {after['readModels']}, before {before['readModels']}")
    with Client(socket_path) as client:
        verify = client.result("audit.verify")
        check(verify["intact"], f"audit.verify of the restored log: {verify}")
        for method, request_id, params, result in acknowledged:
            again = client.result(method, params)
            check(again["id"] == result["id"] and again["position"] == result["position"],
                  f"a retry of {request_id} answered {again}, first {result}: the write is not back as it was")
    seen = {}
    for event in read_all_events(socket_path):
        if event.get("requestId"):
            seen[event["requestId"]] = seen.get(event["requestId"], 0) + 1
    for _, request_id, _, result in acknowledged:
        check(seen.get(request_id) == 1, f"{request_id} (acknowledged at {result['position']}) is in the restored log {seen.get(request_id, 0)} times")
    final = status(socket_path)
    check(final["position"] == before["position"], f"the retries appended: head {final['position']}, before {before['position']}")


def run(arguments):
    seed, generator = seeded_random(arguments.seed, "restore")
    writes = arguments.writes if arguments.writes is not None else (60 if arguments.quick else 400)
    whole_export = seed % 2 == 1
    templates = Templates()
    acknowledged = []
    with WorkDirectory() as work:
        backup, export = work.file("backup"), work.file("export.ndjson")
        daemon = Daemon(work).start()
        try:
            write(daemon.socket, templates, generator, seed, 0, writes, acknowledged)
            socket_option = ["--socket", daemon.socket]
            # The backup's position is its copy's head (its BackupTaken event comes after, in the live log only).
            backup_position = json.loads(tool("lmds", ["backup", backup, "--json"] + socket_option, "lmds backup"))["position"]
            write(daemon.socket, templates, generator, seed, writes, writes, acknowledged)
            start = 1 if whole_export else backup_position + 1
            tool("lmds", ["export", "--from", str(start), "--output", export] + socket_option, "lmds export")
            before = status(daemon.socket, digest=True)
            check(daemon.stop() == 0, f"lmdsd did not stop cleanly:\n{daemon.log_tail()}")
        finally:
            daemon.ensure_stopped()
        say(f"restore: {len(acknowledged)} writes acknowledged, backup at {backup_position}, head {before['position']}, "
            f"export from {start}")
        shutil.rmtree(work.data)
        check(subprocess.run(["cp", "-a", backup, work.data]).returncode == 0, "cp -a of the backup failed")
        printed = tool("lmdsd", ["import", "--continue", "--data-dir", work.data, export], "lmdsd import --continue")
        say(f"  {printed}")
        restored = Daemon(work).start()
        try:
            check_restored(restored.socket, before, acknowledged)
            offline_replay_check(work.data, restored.socket)
            check(restored.stop() == 0, f"the restored lmdsd did not stop cleanly:\n{restored.log_tail()}")
        except (OSError, ValueError) as error:
            raise TortureFailure(f"{type(error).__name__}: {error}\n{restored.log_tail()}") from error
        finally:
            restored.ensure_stopped()
    return {"seed": seed, "writesAcknowledged": len(acknowledged), "backupPosition": backup_position,
            "head": before["position"], "exportFrom": start, "eventsAfterBackup": before["position"] - backup_position}
