"""scripts/torture load: hundreds of connections at once, with hot backups taken meanwhile.

256 connections (by default) are opened and held for the whole run. One in eight subscribes to the log
(`events.subscribe`, from position 1, from a recent position, or only new events) and checks that every
position arrives exactly once, in order, with an unbroken hash chain, up to the final head. The others run
a seeded random mix of reads (`question.get`, `question.list`, `offer.get`, `offer.list`, `events.read`,
`match.suggest`, `system.status`) and writes (`question.submit`, `offer.publish`, each with a `requestId`,
some sent twice to check that the retry returns the first result). Every few seconds an `admin.backup`
copies the log into a new directory under the work directory.

Promises checked: not a single error reply; no connection dropped; no notification lost, repeated or out
of order; every acknowledged write in the log at the position it was acknowledged with; the log gapless
and `audit.verify` intact; a full offline replay equal to the daemon's read models; and every backup
usable: a second lmdsd opens it (directory mode 0700), answers `audit.verify` intact, its head hash is the
live log's hash at its position, and `lmdsd replay --check` of the LIVE log up to that position gives the
backup daemon's read models (the same state).

Figures: operations per second overall and per kind, p50/p99 latency per kind (ms, as the client saw it:
with 256 Python threads on a small machine it includes their scheduling), connections held, the peak
`connections` the daemon reported, notifications received, events written, backups checked.

The workers, `run_load`, `run_backup_checks` and `check_live_log` are shared with the backup scenario
(backup.py); `Templates`, `WriteRecorder` and `check_acknowledged_writes` with disk-full (disk_full.py).
"""

import json
import os
import random
import threading
import time

from common import (
    Client,
    Daemon,
    TortureFailure,
    WorkDirectory,
    check,
    demo_data,
    offline_replay_check,
    percentile,
    read_all_events,
    say,
    seeded_random,
    status,
)

DESCRIBE = "256 connections of reads, writes and subscriptions with hot backups: no error, no lost notification"

# The hash before position 1 and the head hash of an empty log.
ZERO_HASH = "0" * 64
# One connection in this many is a subscriber; the rest run the mix of reads and writes.
SUBSCRIBER_SHARE = 8
# Questions and offers written before the load starts, so that the first reads have something to read.
PREFILL_QUESTIONS = 24
PREFILL_OFFERS = 12
# How likely a write is sent a second time with the same requestId (it must return the first result).
RETRY_PROBABILITY = 0.05
# How long one request may wait for its reply under load: 256 connections against one daemon on two cores
# make a closed-loop reply take seconds (p99 about 9 s with a debug build), so allow far more than that;
# a daemon that hangs still fails the scenario.
LOAD_REPLY_SECONDS_MAX = 120.0
# How long subscribers may take after the load to reach the final head before a notification counts as lost.
CATCH_UP_SECONDS_MAX = 60.0
# How long a subscriber waits for a line before it looks at the clock and the stop flag again.
SUBSCRIBER_POLL_SECONDS = 0.5
# How often a subscriber sends a request of its own, so that replies and notifications interleave.
SUBSCRIBER_REQUEST_SECONDS = 1.0

# The mix of a non-subscriber connection: kind of operation and its weight.
OPERATION_WEIGHTS = {
    "question.get": 16,
    "question.list": 8,
    "offer.get": 8,
    "offer.list": 8,
    "events.read": 10,
    "match.suggest": 4,
    "system.status": 6,
    "question.submit": 12,
    "offer.publish": 8,
}
WRITE_KINDS = {"question.submit": "QuestionSubmitted", "offer.publish": "OfferPublished"}


def add_arguments(parser):
    parser.add_argument("--connections", type=int, default=256, help="connections held at once (default 256)")
    parser.add_argument("--seconds", type=float, default=None, help="how long the load runs (default 90, quick 15)")
    parser.add_argument("--backup-every", type=float, default=None,
                        help="seconds between hot backups during the load (default 15, quick 4)")


class Templates:
    """Valid `question.submit` and `offer.publish` params, varied from the demo data set."""

    def __init__(self):
        self.questions = demo_data("questions.jsonl")
        self.offers = demo_data("offers.jsonl")

    def question(self, generator, request_id, description_bytes=None):
        """A question.submit params object with a title of its own; `description_bytes` makes it about that long."""
        params = json.loads(json.dumps(generator.choice(self.questions)))
        params["title"] = _tagged(params["title"], request_id)
        if description_bytes:
            params["description"] = _repeated(params["description"], description_bytes)
        params["requestId"] = request_id
        return params

    def offer(self, generator, request_id):
        """An offer.publish params object with a title of its own."""
        params = json.loads(json.dumps(generator.choice(self.offers)))
        params["title"] = _tagged(params["title"], request_id)
        params["requestId"] = request_id
        return params


def _tagged(title, tag):
    """The title with the tag appended, within the 200-byte limit of titles."""
    suffix = f" [{tag}]"
    return title.encode("utf-8")[: 200 - len(suffix.encode("utf-8"))].decode("utf-8", "ignore") + suffix


def _repeated(text, size_bytes):
    """`text` repeated to about `size_bytes` UTF-8 bytes (never more)."""
    repeated = text
    while len(repeated.encode("utf-8")) + len(text.encode("utf-8")) + 1 <= size_bytes:
        repeated += " " + text
    return repeated


class WriteRecorder:
    """The writes the daemon acknowledged: (method, requestId, entity id, position), from every thread."""

    def __init__(self):
        self.acknowledged = []
        self.question_ids = []
        self.offer_ids = []

    def add(self, method, request_id, result):
        self.acknowledged.append((method, request_id, result["id"], result["position"]))
        (self.question_ids if method == "question.submit" else self.offer_ids).append(result["id"])


def check_acknowledged_writes(events, acknowledged, first_position=1):
    """The log is gapless from `first_position`, and each acknowledged write is the event at its position."""
    for offset, event in enumerate(events):
        if event["position"] != first_position + offset:
            raise TortureFailure(f"the log is not gapless: position {event['position']} where "
                                 f"{first_position + offset} was expected")
    by_position = {event["position"]: event for event in events}
    for method, request_id, entity, position in acknowledged:
        event = by_position.get(position)
        if event is None:
            raise TortureFailure(f"{method} {request_id} was acknowledged at position {position}, which is not in the log")
        if event["requestId"] != request_id or event["type"] != WRITE_KINDS[method] or event["entities"][:1] != [entity]:
            raise TortureFailure(f"{method} {request_id} was acknowledged as {entity} at position {position}, but the log "
                                 f"holds there {event['type']} {event['entities'][:1]} with requestId {event['requestId']}")
    request_ids = [event["requestId"] for event in events if event["requestId"] is not None]
    check(len(request_ids) == len(set(request_ids)), "a requestId appears twice in the log: a retried write was appended again")


def check_backup_events(events, backups):
    """Each backup's BackupTaken event in the live log names its copy's position and hash, verified."""
    taken = {event["data"]["path"]: event["data"] for event in events if event["type"] == "BackupTaken"}
    for backup in backups:
        data = taken.get(backup["path"])
        check(data is not None, f"no BackupTaken event for the backup in {backup['path']}")
        check(data["position"] == backup["position"] and data["hash"] == backup["hash"] and data["verified"] is True,
              f"the BackupTaken event of {backup['path']} says {data}, the reply said {backup}")


def check_backup(work, live, backup, index):
    """One hot backup is usable: it opens, verifies, and is the live log up to its position, state included.

    A second lmdsd is started on the backup directory (on a socket of its own) and asked for its status and
    `audit.verify`; its head must be the backup's position and hash, and that hash the live log's hash at
    that position; then `lmdsd replay --check` replays the LIVE data directory up to the backup daemon's
    position and compares the digest of that replay with the backup daemon's read models. Returns the
    seconds the check took."""
    started = time.monotonic()
    path, position, head_hash = backup["path"], backup["position"], backup["hash"]
    verification = backup["verification"]
    check(verification["intact"] is True and verification["headPosition"] == position and verification["headHash"] == head_hash,
          f"backup {path}: the daemon's own verification of the copy says {verification}")
    mode = os.stat(path).st_mode & 0o777
    check(mode == 0o700, f"backup {path}: the directory has mode {mode:o}, not 0700")
    data_file = os.path.join(path, "data.mdb")
    check(os.path.isfile(data_file), f"backup {path}: no data.mdb")
    # The copy's data.mdb is created by LMDB with 0666 less the umask (the live one is 0600); the 0700
    # directory is what keeps others out, as for a data directory, which lmdsd refuses when others may write it.
    file_mode = os.stat(data_file).st_mode & 0o777
    # It holds the personal table, like the live file (0600); LMDB's copy was 0644 before lmds set the mode.
    check(file_mode == 0o600, f"backup {path}: data.mdb has mode {file_mode:o}, not 0600")

    with Client(live.socket) as client:
        if position == 0:
            live_hash = ZERO_HASH
        else:
            live_events = client.result("events.read", {"from": position, "limit": 1})["events"]
            check(len(live_events) == 1, f"backup {path}: the live log has no event at the backup's position {position}")
            live_hash = live_events[0]["hash"]
    check(live_hash == head_hash,
          f"backup {path}: its head hash {head_hash} is not the live log's hash {live_hash} at position {position}")

    backup_daemon = Daemon(work, data=path, socket_path=work.file(f"backup-{index}.sock"))
    backup_daemon.log_path = work.file(f"lmdsd-backup-{index}.log")
    try:
        backup_daemon.start()
        backup_status = status(backup_daemon.socket)
        check(backup_status["position"] == position and backup_status["headHash"] == head_hash,
              f"backup {path}: the daemon on it is at position {backup_status['position']} ({backup_status['headHash']}), "
              f"the backup reply said {position} ({head_hash})")
        with Client(backup_daemon.socket) as client:
            report = client.result("audit.verify")
        check(report["intact"] is True and report["recordsChecked"] == position and report["headHash"] == head_hash,
              f"backup {path}: audit.verify on it says {report}")
        replay = offline_replay_check(live.data, backup_daemon.socket)
        check(f"position {position}," in replay,
              f"backup {path}: lmdsd replay --check of the live log did not compare at position {position}:\n{replay}")
        exit_code = backup_daemon.stop()
        check(exit_code == 0, f"backup {path}: the daemon on it exited with {exit_code} on SIGTERM:\n{backup_daemon.log_tail()}")
    finally:
        backup_daemon.ensure_stopped()
    return time.monotonic() - started


def run_backup_checks(work, live, backups):
    """Checks every backup (see `check_backup`); returns the seconds they took, one per backup."""
    durations = []
    for index, backup in enumerate(backups):
        durations.append(check_backup(work, live, backup, index))
        say(f"  backup {index + 1}/{len(backups)} at position {backup['position']}: opens, verifies, replays to the same state "
            f"({durations[-1]:.1f} s)")
    return durations


class LoadState:
    """What the load's threads share: the stop flag, the first failure, the writes acknowledged so far."""

    def __init__(self):
        self.stop = threading.Event()
        self.failure = None
        self.failure_lock = threading.Lock()
        self.writes = WriteRecorder()
        self.final_head = None  # (position, hash) once the load has stopped and every write is answered

    def fail(self, message):
        """Records the first failure and stops every thread."""
        with self.failure_lock:
            if self.failure is None:
                self.failure = message
        self.stop.set()


class Worker(threading.Thread):
    """One held connection; its latencies per kind of operation are kept here and merged at the end."""

    def __init__(self, state, client, generator, name):
        super().__init__(name=name, daemon=True)
        self.state = state
        self.client = client
        self.generator = generator
        self.latencies = {}  # kind -> list of seconds

    def timed_call(self, kind, method, params=None):
        """One request; its latency is recorded under `kind`. Any error reply fails the whole load."""
        started = time.perf_counter()
        reply = self.client.call(method, params)
        self.latencies.setdefault(kind, []).append(time.perf_counter() - started)
        if "result" not in reply:
            raise TortureFailure(f"{self.name}: {method} {json.dumps(params, ensure_ascii=False)[:300]} "
                                 f"got an error: {json.dumps(reply.get('error'), ensure_ascii=False)}")
        return reply["result"]

    def run(self):
        try:
            self.work()
        except TortureFailure as failure:
            self.state.fail(str(failure))
        except (OSError, ValueError) as error:
            self.state.fail(f"{self.name}: the connection failed: {type(error).__name__}: {error}")
        except Exception as error:  # a reply of an unexpected shape: it must fail the load, not just end the thread
            self.state.fail(f"{self.name}: {type(error).__name__}: {error!r}")


class MixedWorker(Worker):
    """A connection that runs the seeded mix of reads and writes until the load stops."""

    def __init__(self, state, client, generator, name, templates, seed, weights=None, pause_seconds=0.0):
        super().__init__(state, client, generator, name)
        self.templates = templates
        self.pause_seconds = pause_seconds  # a pause after each operation, to bound the rate (0: as fast as answered)
        self.request_prefix = f"load-{seed}-{name}"
        self.written = 0
        self.peak_connections = 0
        weights = weights or OPERATION_WEIGHTS
        self.kinds, self.weights = list(weights), list(weights.values())

    def work(self):
        while not self.state.stop.is_set():
            kind = self.generator.choices(self.kinds, self.weights)[0]
            if kind in WRITE_KINDS:
                self.write(kind)
            else:
                self.read(kind)
            if self.pause_seconds:
                self.state.stop.wait(self.pause_seconds)

    def write(self, method):
        self.written += 1
        request_id = f"{self.request_prefix}-{self.written}"
        if method == "question.submit":
            params = self.templates.question(self.generator, request_id)
        else:
            params = self.templates.offer(self.generator, request_id)
        result = self.timed_call(method, method, params)
        self.state.writes.add(method, request_id, result)
        if self.generator.random() < RETRY_PROBABILITY:
            again = self.timed_call(f"{method} (retry)", method, params)
            check(again == result,
                  f"{self.name}: a retry of {method} {request_id} returned {again}, the first reply was {result}")

    def read(self, kind):
        generator, writes = self.generator, self.state.writes
        if kind == "question.get":
            self.timed_call(kind, kind, {"id": generator.choice(writes.question_ids)})
        elif kind == "offer.get":
            self.timed_call(kind, kind, {"id": generator.choice(writes.offer_ids)})
        elif kind == "question.list":
            question = generator.choice(self.templates.questions)
            filters = generator.choice([{}, {"theme": generator.choice(question["themes"])}, {"status": "submitted"},
                                        {"neighbourhood": question["neighbourhood"]}, {"text": "wijk"}])
            self.timed_call(kind, kind, dict(filters, limit=20))
        elif kind == "offer.list":
            offer = generator.choice(self.templates.offers)
            filters = generator.choice([{}, {"institution": offer["institution"]}, {"kind": offer["kind"]},
                                        {"period": offer["period"]["from"]}, {"text": "studenten"}])
            self.timed_call(kind, kind, dict(filters, limit=20))
        elif kind == "events.read":
            head = max(1, len(writes.acknowledged))  # about the head (backups add a few events): enough to pick a page
            self.timed_call(kind, kind, {"from": generator.randint(1, head), "limit": 50})
        elif kind == "match.suggest":
            self.timed_call(kind, kind, {"offer": generator.choice(writes.offer_ids), "limit": 5})
        elif kind == "system.status":
            result = self.timed_call(kind, kind)
            self.peak_connections = max(self.peak_connections, result["connections"])


class SubscriberWorker(Worker):
    """A connection with one or two subscriptions: every position exactly once, in order, chained by hash.

    Between notifications it sends a `system.status` now and then, so that replies and notifications
    interleave on the connection. After the load it reads on until each subscription reached the final head."""

    def __init__(self, state, client, generator, name, starts):
        super().__init__(state, client, generator, name)
        self.starts = starts  # the `from` of each subscription: a position, or None for "new events only"
        self.expected = {}  # subscription id -> the next position it must receive
        self.previous_hash = {}  # subscription id -> the hash of the last event it received (None: not known yet)
        self.notifications = 0

    def work(self):
        for start in self.starts:
            result = self.timed_call("events.subscribe", "events.subscribe", {} if start is None else {"from": start})
            early = [message for message in self.client.notifications
                     if message.get("params", {}).get("subscription") == result["subscription"]]
            check(not early, f"{self.name}: a notification of {result['subscription']} came before the events.subscribe reply")
            check(start is None or result["from"] == start,
                  f"{self.name}: subscribed from {start}, the reply says from {result['from']}")
            self.expected[result["subscription"]] = result["from"]
            self.previous_hash[result["subscription"]] = ZERO_HASH if result["from"] == 1 else None
        self.take_notifications()
        self.client.socket.settimeout(SUBSCRIBER_POLL_SECONDS)
        next_request = time.monotonic() + SUBSCRIBER_REQUEST_SECONDS * self.generator.random()
        while not self.caught_up():
            if self.state.failure is not None:
                return
            if not self.state.stop.is_set() and time.monotonic() >= next_request:
                self.client.socket.settimeout(LOAD_REPLY_SECONDS_MAX)
                self.timed_call("system.status", "system.status")
                self.client.socket.settimeout(SUBSCRIBER_POLL_SECONDS)
                self.take_notifications()
                next_request = time.monotonic() + SUBSCRIBER_REQUEST_SECONDS
            try:
                message = self.client.read_message()
            except TimeoutError:
                continue
            if message is None:
                raise TortureFailure(f"{self.name}: the daemon closed a subscriber's connection")
            if "id" in message:
                raise TortureFailure(f"{self.name}: a reply nobody asked for: {json.dumps(message)[:300]}")
            self.client.notifications.append(message)
            self.take_notifications()

    def caught_up(self):
        """True once the load has stopped and every subscription has received the final head."""
        final = self.state.final_head
        return final is not None and all(position > final[0] for position in self.expected.values())

    def take_notifications(self):
        """Checks and counts the notifications the client has collected."""
        # Plain `if`s rather than check(): this runs for every notification, and check() formats its message eagerly.
        for message in self.client.notifications:
            if message.get("method") != "events.event":
                raise TortureFailure(f"{self.name}: an unexpected notification {json.dumps(message)[:300]}")
            subscription, event = message["params"]["subscription"], message["params"]["event"]
            if subscription not in self.expected:
                raise TortureFailure(f"{self.name}: a notification for subscription {subscription}, "
                                     f"not one of {sorted(self.expected)}")
            expected = self.expected[subscription]
            if event["position"] != expected:
                raise TortureFailure(
                    f"{self.name}: subscription {subscription} received position {event['position']} where {expected} was due "
                    f"({'a repeat' if event['position'] < expected else 'a gap: lost notifications'})")
            previous = self.previous_hash[subscription]
            if previous is not None and event["previousHash"] != previous:
                raise TortureFailure(f"{self.name}: subscription {subscription}: position {expected} does not chain to the "
                                     f"previous notification's hash")
            self.expected[subscription] = expected + 1
            self.previous_hash[subscription] = event["hash"]
            self.notifications += 1
        self.client.notifications.clear()

    def check_final(self, final_position, final_hash):
        for subscription, expected in self.expected.items():
            check(expected == final_position + 1,
                  f"{self.name}: subscription {subscription} ends before position {expected}, the head is {final_position}")
            check(self.previous_hash[subscription] in (None, final_hash),
                  f"{self.name}: subscription {subscription}: the last notification's hash is not the head hash")


class BackupWorker(Worker):
    """Starts an `admin.backup` into a new directory under `directory` every `interval` seconds (or as soon as
    the previous one is answered, when it took longer), the first after `first_delay` seconds."""

    def __init__(self, state, client, generator, name, directory, interval, first_delay=None):
        super().__init__(state, client, generator, name)
        self.directory = directory
        self.interval = interval
        self.first_delay = interval / 2 if first_delay is None else first_delay
        self.backups = []

    def work(self):
        next_start = time.monotonic() + self.first_delay
        while not self.state.stop.wait(max(0.0, next_start - time.monotonic())):
            path = os.path.join(self.directory, f"{self.name}-{len(self.backups) + 1:03d}")
            self.backups.append(self.timed_call("admin.backup", "admin.backup", {"path": path}))
            next_start += self.interval


def prefill(socket_path, templates, generator, writes, seed, questions=PREFILL_QUESTIONS, offers=PREFILL_OFFERS):
    """Writes the first questions and offers, so that every read of the load has something to name."""
    with Client(socket_path) as client:
        for index in range(questions):
            request_id = f"load-{seed}-prefill-q{index}"
            writes.add("question.submit", request_id, client.result("question.submit", templates.question(generator, request_id)))
        for index in range(offers):
            request_id = f"load-{seed}-prefill-o{index}"
            writes.add("offer.publish", request_id, client.result("offer.publish", templates.offer(generator, request_id)))


def open_connections(socket_path, count):
    """Opens `count` connections and has each answer system.ping, so that all are held before the load starts."""
    clients = []
    try:
        for _ in range(count):
            client = Client(socket_path, timeout=LOAD_REPLY_SECONDS_MAX)
            clients.append(client)
            client.result("system.ping")
    except (OSError, ValueError) as error:
        for client in clients:
            client.close()
        raise TortureFailure(f"could not open connection {len(clients)} of {count}: {type(error).__name__}: {error}")
    return clients


def subscription_starts(generator, index, head):
    """Where subscriber `index` starts: from 1, from a recent position, or new events only; every fourth takes two."""
    choice = index % 3
    starts = [1 if choice == 0 else (generator.randint(max(1, head - 20), head + 1) if choice == 1 else None)]
    if index % 4 == 3:
        starts.append(generator.randint(1, head + 1))
    return starts


def finish_load(state, live, workers, subscribers):
    """Stops the load, waits for every answer, then for every subscriber to reach the final head."""
    state.stop.set()
    deadline = time.monotonic() + LOAD_REPLY_SECONDS_MAX + 10
    for worker in workers:
        worker.join(max(0.1, deadline - time.monotonic()))
        check(not worker.is_alive(),
              f"{worker.name} still waits for a reply {LOAD_REPLY_SECONDS_MAX + 10:.0f} s after the load stopped")
    if state.failure is not None:
        raise TortureFailure(state.failure)
    final = status(live.socket)
    state.final_head = (final["position"], final["headHash"])
    deadline = time.monotonic() + CATCH_UP_SECONDS_MAX
    for subscriber in subscribers:
        subscriber.join(max(0.1, deadline - time.monotonic()))
    if state.failure is not None:
        raise TortureFailure(state.failure)
    late = [subscriber for subscriber in subscribers if subscriber.is_alive()]
    if late:
        details = "; ".join(f"{subscriber.name} expects {subscriber.expected}" for subscriber in late[:5])
        state.fail(f"{len(late)} subscribers did not receive up to the final head {final['position']} within "
                   f"{CATCH_UP_SECONDS_MAX:.0f} s (lost notifications): {details}")
        raise TortureFailure(state.failure)
    for subscriber in subscribers:
        subscriber.check_final(*state.final_head)
    return final


def check_connections_held(clients):
    """Every connection still answers after the load, and no subscriber gets a notification past the final head."""
    for index, client in enumerate(clients):
        client.socket.settimeout(LOAD_REPLY_SECONDS_MAX)
        try:
            client.result("system.ping")
        except (OSError, ValueError) as error:
            raise TortureFailure(f"connection {index} no longer answers after the load: {type(error).__name__}: {error}")
        if client.notifications:
            raise TortureFailure(f"connection {index} received a notification past the final head: "
                                 f"{json.dumps(client.notifications[0])[:300]}")
    return len(clients)


def latency_figures(workers, seconds):
    """Per kind: count, operations per second, p50 and p99 latency in milliseconds."""
    merged = {}
    for worker in workers:
        for kind, samples in worker.latencies.items():
            merged.setdefault(kind, []).extend(samples)
    return {
        kind: {
            "count": len(samples),
            "perSecond": round(len(samples) / seconds, 1),
            "p50Ms": round(percentile(samples, 0.50) * 1000, 2),
            "p99Ms": round(percentile(samples, 0.99) * 1000, 2),
        }
        for kind, samples in sorted(merged.items())
    }


def say_kinds(kinds):
    say(f"  {'kind':<26}{'count':>8}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, figures in kinds.items():
        say(f"  {kind:<26}{figures['count']:>8}{figures['perSecond']:>9}{figures['p50Ms']:>9}{figures['p99Ms']:>9}")


def check_live_log(live, writes, backups):
    """After the load: every acknowledged write in the gapless log, the chain intact, a replay equal to the state."""
    events = read_all_events(live.socket)
    check_acknowledged_writes(events, writes.acknowledged)
    check_backup_events(events, backups)
    with Client(live.socket) as client:
        report = client.result("audit.verify")
    check(report["intact"] is True and report["recordsChecked"] == len(events),
          f"audit.verify after the load says {report} for {len(events)} events")
    offline_replay_check(live.data, live.socket)
    return events


def run_load(state, live, workers, subscribers, seconds):
    """Starts every thread, lets them run for `seconds`, and finishes the load (see `finish_load`).

    Returns (the seconds from start to the last answer, the final system.status)."""
    started = time.monotonic()
    for thread in subscribers + workers:
        thread.start()
    state.stop.wait(seconds)
    final = finish_load(state, live, workers, subscribers)
    return time.monotonic() - started, final


def close_all(clients):
    for client in clients:
        client.close()


def run(arguments):
    seed, generator = seeded_random(arguments.seed, "load")
    connections = arguments.connections
    check(connections >= SUBSCRIBER_SHARE, f"--connections must be at least {SUBSCRIBER_SHARE}")
    seconds = arguments.seconds if arguments.seconds is not None else (15.0 if arguments.quick else 90.0)
    backup_every = arguments.backup_every if arguments.backup_every is not None else (4.0 if arguments.quick else 15.0)
    templates = Templates()
    state = LoadState()
    clients = []
    with WorkDirectory() as work:
        live = Daemon(work).start()
        try:
            prefill(live.socket, templates, generator, state.writes, seed)
            head = status(live.socket)["position"]
            clients = open_connections(live.socket, connections + 1)
            workers, subscribers = [], []
            subscriber_count = connections // SUBSCRIBER_SHARE
            for index, client in enumerate(clients[:connections]):
                worker_generator = random.Random(seed * 100_003 + index)
                if index < subscriber_count:
                    starts = subscription_starts(worker_generator, index, head)
                    subscribers.append(SubscriberWorker(state, client, worker_generator, f"subscriber-{index}", starts))
                else:
                    workers.append(MixedWorker(state, client, worker_generator, f"connection-{index}", templates, seed))
            backup_worker = BackupWorker(state, clients[connections], random.Random(seed), "backup", work.file("backups"),
                                         backup_every)
            say(f"load: {connections} connections ({len(subscribers)} subscribers, {len(workers)} reading and writing) "
                f"for {seconds:.0f} s, and one more taking a backup every {backup_every:.0f} s")
            elapsed, final = run_load(state, live, workers + [backup_worker], subscribers, seconds)
            held = check_connections_held(clients[:connections])
            kinds = latency_figures(workers + subscribers + [backup_worker], elapsed)
            say_kinds(kinds)
            backups = backup_worker.backups
            check(backups, "no backup was taken during the load (make --seconds longer than --backup-every / 2)")
            say(f"load: checking the log ({final['position']} events) and {len(backups)} backups")
            check_live_log(live, state.writes, backups)
            backup_seconds = run_backup_checks(work, live, backups)
            close_all(clients)
            exit_code = live.stop()
            check(exit_code == 0, f"lmdsd exited with {exit_code} on SIGTERM after the load:\n{live.log_tail()}")
        except (OSError, ValueError) as error:
            raise TortureFailure(f"{type(error).__name__}: {error}\n{live.log_tail()}") from error
        finally:
            state.stop.set()
            close_all(clients)
            live.ensure_stopped()
    operations = sum(figures["count"] for figures in kinds.values())
    return {
        "seed": seed,
        "connections": connections,
        "connectionsHeld": held,
        "subscribers": len(subscribers),
        "subscriptions": sum(len(subscriber.expected) for subscriber in subscribers),
        "loadSeconds": round(elapsed, 1),
        "operations": operations,
        "operationsPerSecond": round(operations / elapsed, 1),
        "writesAcknowledged": len(state.writes.acknowledged),
        "events": final["position"],
        "notifications": sum(subscriber.notifications for subscriber in subscribers),
        "peakConnectionsReported": max(worker.peak_connections for worker in workers),
        "backups": len(backups),
        "backupCheckSecondsMax": round(max(backup_seconds), 1),
        "kinds": kinds,
    }
