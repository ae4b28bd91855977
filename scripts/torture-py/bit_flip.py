"""scripts/torture bit-flip: seeded bit flips in a stopped daemon's `data.mdb`, then a start and a check.

A daemon writes questions and offers (acknowledged writes, each entity read back and every event read with
`events.read`) and is stopped cleanly (it saves `snapshot.lmds`). Each round copies that data directory,
flips seeded bits in one place of `data.mdb`, keeps or removes the snapshot, and starts the real lmdsd on it:

* `record`: one bit inside the bytes of a record, found by searching the file for a title that was written
  (the record's log position is known from the write's reply);
* `page-header`: one bit in the 16-byte header of a B-tree page (page number, flags, lower and upper bounds);
* `meta`: one bit in one of LMDB's two meta pages (pages 0 and 1: magic, version, the two tree roots and
  their counts, the last page, the transaction id). LMDB keeps two metas and uses the newer valid one; a
  flip that makes it use the older one rolls the file back by one transaction;
* `meta-rollback`: that roll-back on purpose: the lowest set bit of the newer meta's transaction id cleared.

What must hold, every round:

* the daemon never dies of a signal (no Swift trap, no SIGSEGV/SIGBUS): it serves, or exits with a message;
* a flip inside a record is found, named by its log position: at start-up (the daemon exits with a message
  naming the position) or, when the daemon serves (the record is covered by the snapshot), by `audit.verify`;
* whatever it serves is what was written: every entity (`question.get`, `offer.get`) and every event
  (`events.read`) equals the original or is refused with an error, never silently different;
* a roll-back to the older meta is never served silently: with the snapshot present the daemon refuses to
  start (the log ends before the snapshot's position); without it nothing on the disk can tell, and the
  round counts it as `rolledBack` (README: keep backups; the snapshot is the only witness).

The round's outcome is counted: refused at start-up, served with the damage found by `audit.verify`,
served intact (the flip hit bytes LMDB or the log never read, such as free space or a stale meta), or
served rolled back.
"""

import os
import shutil
import subprocess
import time

from common import Client, Daemon, TortureFailure, WorkDirectory, check, read_all_events, say, seeded_random
from load import Templates

DESCRIBE = "seeded bit flips in data.mdb (records, page headers, meta pages), with and without the snapshot: found, never served wrong, never a crash"

# LMDB's page size on this platform and the size of a page header (pgno 8, pad 2, flags 2, lower 2, upper 2).
PAGE_BYTES = 4096
PAGE_HEADER_BYTES = 16
# The bytes of a meta page that LMDB reads: the page header, then magic 4, version 4, address 8, map size 8,
# two MDB_db records of 48 bytes, the last page 8 and the transaction id 8.
META_READ_BYTES = PAGE_HEADER_BYTES + 4 + 4 + 8 + 8 + 2 * 48 + 8 + 8
# How many questions and offers the log holds: enough for several leaf pages and a branch page.
QUESTIONS = 60
OFFERS = 30
# How long a damaged daemon may take to either answer or exit.
START_SECONDS_MAX = 60.0
# Where a meta page's transaction id sits.
META_TRANSACTION_OFFSET = META_READ_BYTES - 8
PLACES = ["record", "page-header", "meta", "meta-rollback"]


def add_arguments(parser):
    parser.add_argument("--rounds", type=int, default=None, help="rounds of flips (default 64, quick 8)")


class Original:
    """What was written and acknowledged: each entity as the daemon served it, every event, and the titles."""

    def __init__(self):
        self.entities = {}   # entity id -> (method of its get, its get result)
        self.titles = []     # (title bytes, log position of the event that holds it)
        self.events = []     # every event envelope, position 1 first
        self.head = None     # system.status of the daemon that wrote them


def write_log(work, generator, seed):
    """Writes the questions and offers, reads everything back, and stops the daemon cleanly."""
    templates = Templates()
    original = Original()
    daemon = Daemon(work).start()
    try:
        with Client(daemon.socket) as client:
            for index in range(QUESTIONS + OFFERS):
                is_question = index < QUESTIONS
                request_id = f"bit-flip-{seed}-{index}"
                params = templates.question(generator, request_id) if is_question else templates.offer(generator, request_id)
                reply = client.result("question.submit" if is_question else "offer.publish", params)
                original.titles.append((params["title"].encode("utf-8"), reply["position"]))
                getter = "question.get" if is_question else "offer.get"
                original.entities[reply["id"]] = (getter, client.result(getter, {"id": reply["id"]}))
            original.head = client.result("system.status")
        original.events = read_all_events(daemon.socket)
        check(daemon.stop() == 0, f"the writing daemon did not stop cleanly:\n{daemon.log_tail()}")
    finally:
        daemon.ensure_stopped()
    check(os.path.exists(os.path.join(work.data, "snapshot.lmds")), "the daemon saved no snapshot at its stop")
    return original


def flip(path, offset, bit):
    """Flips one bit of the file at `path`."""
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([byte ^ (1 << bit)]))


def choose_flip(place, data, original, generator):
    """Where to flip for `place`: (offset, bit, the record's log position or None, words for the report)."""
    pages = len(data) // PAGE_BYTES
    if place == "record":
        title, position = generator.choice(original.titles)
        # The title may be stored more than once: the live record, and stale copies in pages LMDB freed.
        copies, found = [], data.find(title)
        while found >= 0:
            copies.append(found)
            found = data.find(title, found + 1)
        check(copies, f"the title at position {position} is not stored as written")
        start = generator.choice(copies)
        offset = start + generator.randrange(len(title))
        return offset, generator.randrange(8), position, f"record at position {position}, byte {offset}"
    if place == "page-header":
        # Pages 2 and on hold the trees (the free list, the main tree, the tables' trees, overflow pages).
        page = generator.randrange(2, pages)
        offset = page * PAGE_BYTES + generator.randrange(PAGE_HEADER_BYTES)
        return offset, generator.randrange(8), None, f"header of page {page}, byte {offset % PAGE_BYTES}"
    if place == "meta-rollback":
        # The lowest set bit of the newer meta's transaction id, cleared: LMDB then takes the older meta, the
        # state one transaction earlier (the last write acknowledged before the stop is gone from the file).
        ids = [int.from_bytes(data[page * PAGE_BYTES + META_TRANSACTION_OFFSET:][:8], "little") for page in (0, 1)]
        page = 0 if ids[0] > ids[1] else 1
        bit = (ids[page] & -ids[page]).bit_length() - 1
        offset = page * PAGE_BYTES + META_TRANSACTION_OFFSET + bit // 8
        return offset, bit % 8, None, f"transaction id of the newer meta page {page} ({ids[page]}, the other {ids[1 - page]})"
    page = generator.randrange(2)
    offset = page * PAGE_BYTES + generator.randrange(META_READ_BYTES)
    return offset, generator.randrange(8), None, f"meta page {page}, byte {offset % PAGE_BYTES}"


class Round:
    """One round: a damaged copy of the data directory, the daemon started on it, and what it did."""

    def __init__(self, work, pristine, number, place, keep_snapshot):
        self.directory = work.file(f"round-{number}")
        shutil.copytree(pristine, self.directory)
        os.chmod(self.directory, 0o700)
        if not keep_snapshot:
            os.unlink(os.path.join(self.directory, "snapshot.lmds"))
        self.place = place
        self.message = ""
        self.keep_snapshot = keep_snapshot
        self.socket = work.file(f"r{number}.sock")
        self.daemon = Daemon(work, data=self.directory, socket_path=self.socket)
        self.daemon.log_path = work.file(f"lmdsd-round-{number}.log")

    def describe(self, where, seed):
        snapshot = "snapshot kept" if self.keep_snapshot else "snapshot removed"
        return f"{where}, {snapshot} (seed {seed})"

    def start(self):
        """Starts the daemon; returns None when it serves, else its exit code (after it exited)."""
        self.daemon.start(wait=False)
        deadline = time.monotonic() + START_SECONDS_MAX
        while time.monotonic() < deadline:
            code = self.daemon.process.poll()
            if code is not None:
                return code
            try:
                with Client(self.socket, timeout=2.0) as client:
                    if "result" in client.call("system.ping"):
                        return None
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        raise TortureFailure(f"lmdsd neither served nor exited within {START_SECONDS_MAX} s:\n{self.daemon.log_tail()}")


def check_no_crash(code, round_, what):
    """An exit with a message is fine; death by a signal (a trap, SIGSEGV, SIGBUS) is a crash."""
    check(code is not None and code >= 0, f"lmdsd died of signal {-code if code is not None else '?'} ({what}):\n{round_.daemon.log_tail()}")
    check("Fatal error" not in round_.daemon.log_tail(60), f"lmdsd trapped ({what}):\n{round_.daemon.log_tail()}")


def check_served(round_, original, record_position, what):
    """The served log: audit.verify's verdict, and every entity and event equal to the original or refused."""
    wrong, refused = [], 0
    with Client(round_.socket) as client:
        verify = client.call("audit.verify")
        for entity, (getter, expected) in original.entities.items():
            reply = client.call(getter, {"id": entity})
            if "error" in reply:
                refused += 1
            elif reply["result"] != expected:
                wrong.append(f"{getter} {entity}")
        status = client.result("system.status")
    served_events = read_events_allowing_errors(round_.socket, len(original.events))
    for position, served in served_events.items():
        if served is None:
            refused += 1
        elif position > len(original.events) or served != original.events[position - 1]:
            wrong.append(f"event {position}")
    check(not wrong, f"served silently wrong ({what}): {', '.join(wrong[:8])}")
    intact = "result" in verify and verify["result"]["intact"]
    if record_position is not None:
        # LMDB copies a page on write and leaves the old copy in free space, so a title may be found in a
        # stale copy: a flip there changes nothing served (checked above) and audit.verify rightly says intact.
        if intact and not rolled_back_possible(status, original):
            return "recordFlipInStaleCopy"
        if "result" in verify:
            check(verify["result"]["firstBadPosition"] == record_position,
                  f"audit.verify names position {verify['result']['firstBadPosition']}, the flip is in {record_position} ({what})")
    rolled_back = intact and status["position"] != original.head["position"]
    check(not (rolled_back and round_.keep_snapshot),
          f"served a log rolled back to {status['position']} (acknowledged up to {original.head['position']}) "
          f"although the snapshot at {original.head['position']} was there ({what})")
    check(not intact or rolled_back or refused == 0, f"audit.verify says intact, yet {refused} reads were refused ({what})")
    return "rolledBack" if rolled_back else ("servedIntact" if intact else "servedDamageFound")


def rolled_back_possible(status, original):
    """Whether the served head differs from the written one (then the log was rolled back)."""
    return status["position"] != original.head["position"]


def read_events_allowing_errors(socket_path, count):
    """events.read one position at a time: position -> envelope, or None when refused."""
    served = {}
    with Client(socket_path) as client:
        for position in range(1, count + 1):
            reply = client.call("events.read", {"from": position, "limit": 1})
            if "error" in reply:
                served[position] = None
            elif reply["result"]["events"]:
                event = reply["result"]["events"][0]
                served[event["position"]] = event
    return served


def run_round(round_, original, where, record_position, seed):
    """Starts the daemon on the damaged copy and checks it; returns the outcome's name."""
    what = round_.describe(where, seed)
    try:
        code = round_.start()
        if code is not None:
            check_no_crash(code, round_, what)
            message = round_.daemon.log_tail(5)
            if record_position is not None:
                check(f"position {record_position}" in message,
                      f"lmdsd refused to start without naming position {record_position} ({what}):\n{message}")
            round_.message = message.strip().splitlines()[-1] if message.strip() else f"exit status {code}"
            return "refusedAtStart"
        outcome = check_served(round_, original, record_position, what)
        check(round_.daemon.running(), f"lmdsd exited while serving the checks ({what}):\n{round_.daemon.log_tail()}")
        code = round_.daemon.stop()
        check_no_crash(code, round_, what + ", at its stop")
        return outcome
    except (OSError, ValueError) as error:
        raise TortureFailure(f"{type(error).__name__}: {error} ({what}):\n{round_.daemon.log_tail()}") from error
    finally:
        round_.daemon.ensure_stopped()


def run(arguments):
    seed, generator = seeded_random(arguments.seed, "bit-flip")
    rounds = arguments.rounds if arguments.rounds is not None else (8 if arguments.quick else 64)
    outcomes = {}
    places = {place: {} for place in PLACES}
    with WorkDirectory() as work:
        original = write_log(work, generator, seed)
        pristine = work.data
        with open(os.path.join(pristine, "data.mdb"), "rb") as handle:
            data = handle.read()
        say(f"bit-flip: {len(original.events)} events in {len(data) // PAGE_BYTES} pages; {rounds} rounds")
        for number in range(rounds):
            place = PLACES[number % len(PLACES)]
            keep_snapshot = (number // len(PLACES)) % 2 == 0
            round_ = Round(work, pristine, number, place, keep_snapshot)
            offset, bit, record_position, where = choose_flip(place, data, original, generator)
            flip(os.path.join(round_.directory, "data.mdb"), offset, bit)
            outcome = run_round(round_, original, where, record_position, seed)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            places[place][outcome] = places[place].get(outcome, 0) + 1
            said = f" ({round_.message[:160]})" if round_.message else ""
            say(f"  round {number}: {round_.describe(where, seed)}: {outcome}{said}")
            shutil.rmtree(round_.directory, ignore_errors=True)
    return {"seed": seed, "rounds": rounds, "events": len(original.events), "outcomes": outcomes, "byPlace": places}
