"""notify-crash: lmds-notify and lmdsd killed with SIGKILL at seeded moments while reminders fall due.

Coordinators alice and bob get an e-mail per intake reminder (a threshold of about a second); the sendmail
command is a script that stores each message in a directory. Each round submits questions, then kills the
notifier, the daemon or both at a seeded moment and starts them again (as systemd would). Afterwards every
reminder raised reached both recipients at least once, and no two deliveries of one message (reminder and
recipient) differ in Message-ID."""

import email
import json
import os
import signal
import stat
import subprocess
import time

from common import Client, Daemon, TortureFailure, WorkDirectory, binaries_directory, check, demo_data, say, seeded_random

DESCRIBE = "lmds-notify and lmdsd killed while reminders fall due: every reminder e-mailed, one Message-ID per message"
DEFAULT_ROUNDS = 8
QUICK_ROUNDS = 3
QUESTIONS_PER_ROUND = 3
# About 0.9 s: reminders fall due while the round's kills happen.
INTAKE_DAYS = 0.00001
# How long the scenario waits for every message after the last round.
DELIVERY_SECONDS_MAX = 60.0
RECIPIENTS = {"alice": "alice@leiden.nl", "bob": "bob@leiden.nl"}


class Notifier:
    """The real lmds-notify, started again whenever it is not running (it exits when the daemon goes away)."""

    def __init__(self, work):
        self.work = work
        self.process = None
        self.log = open(work.file("notify.log"), "ab")

    def ensure_running(self):
        if self.process is None or self.process.poll() is not None:
            command = [os.path.join(binaries_directory(), "lmds-notify"), "--socket", self.work.socket, "--config", self.work.file("config.json"),
                       "--state-dir", self.work.file("notify-state")]
            self.process = subprocess.Popen(command, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()


def fake_sendmail(work):
    """A sendmail command that stores the message it reads in work/mail (a unique name per delivery)."""
    mail = work.file("mail")
    os.makedirs(mail, exist_ok=True)
    path = work.file("sendmail")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f'#!/bin/sh\nset -e\nname="{mail}/$(date +%s%N).$$"\ncat > "$name.tmp"\nmv "$name.tmp" "$name.eml"\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def deliveries(work):
    """(reminder id, recipient address) → the Message-IDs of every delivery of it."""
    found = {}
    directory = work.file("mail")
    for name in os.listdir(directory):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(directory, name), "rb") as handle:
            message = email.message_from_bytes(handle.read())
        subject = str(message["Subject"])
        reminder = subject.split(":")[0].replace("Herinnering ", "")
        found.setdefault((reminder, str(message["To"])), []).append(str(message["Message-ID"]))
    return found


def add_arguments(parser):
    parser.add_argument("--rounds", type=int, default=None, help=f"kill rounds (default {DEFAULT_ROUNDS}, quick {QUICK_ROUNDS})")


def run(arguments):
    seed, generator = seeded_random(arguments.seed, "notify-crash")
    rounds = arguments.rounds or (QUICK_ROUNDS if arguments.quick else DEFAULT_ROUNDS)
    questions = demo_data("questions.jsonl")
    with WorkDirectory() as work:
        config = {
            "reminders": {"intakeWaitingDays": INTAKE_DAYS, "consentWaitingDays": False, "expiryWarningDays": False},
            "roles": {"users": {name: "coordinator" for name in RECIPIENTS}},
            "people": {name: {"email": address} for name, address in RECIPIENTS.items()},
            "notifications": {"email": {"sendmail": [fake_sendmail(work)], "from": "lmds@leiden.nl"}},
        }
        daemon = Daemon(work, config=config).start()
        notifier = Notifier(work)
        kills = {"notifier": 0, "daemon": 0}
        try:
            submitted = 0
            for _ in range(rounds):
                notifier.ensure_running()
                with Client(work.socket) as client:
                    for _ in range(QUESTIONS_PER_ROUND):
                        client.result("question.submit", questions[submitted % len(questions)])
                        submitted += 1
                time.sleep(generator.uniform(0.2, 2.0))
                victim = generator.choice(["notifier", "daemon", "both"])
                if victim in ("notifier", "both"):
                    notifier.kill()
                    kills["notifier"] += 1
                if victim in ("daemon", "both"):
                    daemon.kill()
                    kills["daemon"] += 1
                    daemon.start()
            notifier.ensure_running()
            with Client(work.socket) as client:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and client.result("reminder.list", {"status": "all", "limit": 1})["total"] < submitted:
                    time.sleep(0.1)
                reminders = [r["id"] for r in client.result("reminder.list", {"status": "all", "limit": 500})["reminders"]]
            check(len(reminders) == submitted, f"{submitted} questions in intake but {len(reminders)} reminders raised")
            expected = {(reminder, address) for reminder in reminders for address in RECIPIENTS.values()}
            deadline = time.monotonic() + DELIVERY_SECONDS_MAX
            while time.monotonic() < deadline and not expected.issubset(deliveries(work).keys()):
                notifier.ensure_running()
                time.sleep(0.2)
            found = deliveries(work)
            missing = sorted(expected - found.keys())
            check(not missing, f"never delivered: {missing[:5]} (seed {seed})")
            differing = {key: ids for key, ids in found.items() if len(set(ids)) > 1}
            check(not differing, f"one message, several Message-IDs: {json.dumps(list(differing.items())[:3])} (seed {seed})")
            total = sum(len(ids) for ids in found.values())
        finally:
            notifier.kill()
            daemon.ensure_stopped()
        say(f"notify-crash: {len(reminders)} reminders, {total} deliveries for {len(expected)} messages, kills {kills}")
        return {"reminders": len(reminders), "messages": len(expected), "deliveries": total, "redelivered": total - len(expected), **kills}
