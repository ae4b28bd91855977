"""scripts/torture permissions: who may connect, and what each role may do, through the real socket.

The daemon runs as a uid of its own with a group of its own, like the `lmds:lmds` service account, so
its socket is `D:G` mode 0660. The clients run as other uids (`setpriv --reuid --regid --groups`), some
with a passwd entry (`nobody`), most without one (the daemon names them `uid:N`), and reach the socket
through its group G as a supplementary group, the way people are added to group `lmds`. Each client is a
small Python relay run under setpriv that connects to the socket and copies lines both ways, so the
scenario (root) talks JSON-RPC through it as if it were that user; a few checks run the real `lmds` CLI
under setpriv instead.

Promises checked (Protocol/README.md sections 1 and 7, the method pages):

* files: the socket appears with mode 0660 (and never another mode), owner and group the daemon's; the
  data directory is 0700; a uid outside the socket's owner and group cannot connect (EACCES, and the CLI
  exits 3);
* no role (a user with a passwd entry, one without, and one whose only viewer group is a supplementary
  group the group database does not list): every method of `system.methods`, an unknown method, a batch
  of all of them and a notification are refused with -32003 and `data.role` null, nothing appended;
* the role matrix: every identity (viewer by user name and by group, educators by user name and by group,
  coordinator, admin by config, the daemon's own uid, root) against every method: a method the role may
  call answers (reads with a result; writes, given params that fail validation, with anything but
  -32003), one it may not is -32003 with `data.method` and `data.role`, sent with params that WOULD
  append if allowed (the same `requestId` as an earlier write, too), and nothing is appended; `match.plan`
  with `propose: true` likewise;
* educators (config `institutions`, by user name, by group and by label; one without institution):
  publish, change, import, accept and decline the education side, start, close, record and revise only
  for their own institution; another institution's offer, the requester side, or no institution is
  -32003 (or a refused import row), nothing appended;
* visibility: a viewer's `outcome.get` withholds internal deliverables and embargoed ones before their
  date (`withheld` counts them, `asOf` changes nothing), `outcome.list` counts all of them, `report.get
  outcomes` leaves them out in every format and counts them as withheld; educators, coordinators and admins
  see all; no read method but the log itself (`events.read`, `events.subscribe`, `history.get`: the
  protocol keeps the log open to every role) shows a viewer a withheld deliverable, and none shows a viewer
  any personal detail; `question.get` shows the requester's details to coordinators and admins only (not
  to educators), `offer.get` the contact's `contactDetails` to educators and up;
* the data directory: a log whose directory is writable by others (0777, 0707, …) is refused at start-up
  with a message naming the directory and exit status non-zero; after `chmod 700` it opens again.

The CLI: `lmds ping` from outside the group exits 3; refusals print `(code -32003)` and exit 1; and `lmds
call METHOD PARAMS` runs every method as a few identities (no role, viewer, educator) with `--quick`, as
every identity by default (`--cli-matrix`). By default each "forbidden" params set is also proven to
succeed for an admin on a fresh daemon (`--verify-params`), so that no refusal is vacuous. The seed only
orders the methods of each identity's run through the matrix. Requires root and setpriv (util-linux);
the groups `users` and `staff` (Debian's base set) grant roles by group; nothing on the system is changed.

Figures: identities, methods, method x identity cells over the socket and through the CLI, refusals
that appended nothing, the socket's and the data directory's modes, and two observations the protocol
allows but that a reader of section 7.1 may not expect: what the log shows viewers, and whether
`report.get` with a future `asOf` shows a viewer deliverables still under embargo today.
"""

import datetime
import errno
import grp
import json
import os
import pwd
import select
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass, field

from common import (
    REPLY_SECONDS_MAX,
    Client,
    Daemon,
    TortureFailure,
    WorkDirectory,
    binaries_directory,
    check,
    demo_data,
    say,
    seeded_random,
    status,
)

DESCRIBE = "every method x every role through the real socket as other uids; socket 0660, data dir 0700"

# The error codes this scenario switches on (Protocol/README.md section 6).
FORBIDDEN = -32003
METHOD_NOT_FOUND = -32601
# The uids and gids of this scenario's identities are taken from here upwards, skipping any that the
# password or group database knows, so that only the names the config gives count.
IDENTITY_ID_BASE = 47100
# Existing groups (Debian's base set) used to grant roles by group. Only the group's name matters to the
# daemon; the scenario never changes the group database.
VIEWER_GROUP = "users"
EDUCATOR_GROUP = "staff"
# The two institutions the educators act for (ids as stored; the label as the config and offers may give it).
OWN_INSTITUTION = "hogeschool-leiden"
OTHER_INSTITUTION = "universiteit-leiden"
OTHER_INSTITUTION_LABEL = "Universiteit Leiden"
# The report formats report.get renders (a viewer's outcomes must be withheld in each).
REPORT_FORMATS = ["json", "text", "csv", "markdown", "html"]
# The modes of a data directory that others can write to, which the daemon must refuse.
REFUSED_DATA_MODES_QUICK = [0o777, 0o707]
REFUSED_DATA_MODES_FULL = [0o777, 0o707, 0o703, 0o702, 0o1777]
# How long a daemon that must refuse to start may take to exit.
REFUSAL_SECONDS_MAX = 30.0
# The environment of every process run as another uid: nothing of root's.
CHILD_ENVIRONMENT = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
# The period label of the demo offers of the spring semester (match.plan's period).
PLAN_PERIOD = "2026-2027 S2"

# The relay run as the client's uid: connects to the socket given as argv[1], prints one status line
# ({"relay": "connected"} or {"relay": "refused", "errno": N}), then copies stdin to the socket (shutting
# its write side at end of input) and the socket to stdout until the daemon closes the connection.
RELAY_SOURCE = r"""
import json, os, socket, sys, threading
connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    connection.connect(sys.argv[1])
except OSError as error:
    os.write(1, (json.dumps({"relay": "refused", "errno": error.errno, "error": str(error)}) + "\n").encode())
    sys.exit(0)
os.write(1, b'{"relay": "connected"}\n')
def forward_requests():
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        connection.sendall(chunk)
    try:
        connection.shutdown(socket.SHUT_WR)
    except OSError:
        pass
threading.Thread(target=forward_requests, daemon=True).start()
while True:
    chunk = connection.recv(65536)
    if not chunk:
        break
    view = memoryview(chunk)
    while view:
        view = view[os.write(1, view):]
"""


def add_arguments(parser):
    parser.add_argument("--cli-matrix", choices=["auto", "all", "few"], default="auto",
                        help="identities run through `lmds call` for every method: all of them, or a few "
                             "(no role, viewer, educator); auto: few with --quick, else all")
    parser.add_argument("--verify-params", choices=["auto", "yes", "no"], default="auto",
                        help="prove that each forbidden call's params would succeed for an admin, on a fresh "
                             "daemon per method (auto: not with --quick)")


# ---------------------------------------------------------------------------------------------------
# Identities: who the clients are, and running things as them.


@dataclass
class Identity:
    """One client identity: a uid, its primary gid and supplementary groups, and what the config makes
    of it (`role` None: no role; `institution` for educators)."""

    label: str
    uid: int
    gid: int
    groups: list = field(default_factory=list)
    role: str = None
    institution: str = None

    @property
    def user_name(self):
        """The name the daemon gives this uid: its passwd name, else `uid:N` (Authorizer.swift)."""
        try:
            return pwd.getpwuid(self.uid).pw_name
        except KeyError:
            return f"uid:{self.uid}"

    def setpriv(self):
        """The command prefix that runs a program as this identity, with exactly these groups."""
        command = [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={self.uid}", f"--regid={self.gid}"]
        if self.groups:
            command.append("--groups=" + ",".join(str(group) for group in self.groups))
        else:
            command.append("--clear-groups")
        return command


def free_ids(count):
    """`count` ids from IDENTITY_ID_BASE upwards that neither the password nor the group database knows."""
    found = []
    candidate = IDENTITY_ID_BASE
    while len(found) < count:
        unknown = True
        for lookup in (pwd.getpwuid, grp.getgrgid):
            try:
                lookup(candidate)
                unknown = False
            except KeyError:
                pass
        if unknown:
            found.append(candidate)
        candidate += 1
    return found


def group_id(name):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise TortureFailure(f"this scenario needs the group {name!r} (Debian's base set) in /etc/group")


class ConnectionRefusedAs(Exception):
    """The relay could not connect: `errno` is why (EACCES for a uid outside the socket's group)."""

    def __init__(self, identity, error_number, text):
        super().__init__(f"{identity.label} could not connect: {text}")
        self.errno = error_number


class PipeSocket:
    """The relay process seen as a socket (sendall, recv, settimeout, close), so that common.Client's
    framing, notification and id handling work unchanged over it."""

    def __init__(self, process, timeout):
        self.process = process
        self.timeout = timeout

    def settimeout(self, timeout):
        self.timeout = timeout

    def sendall(self, data):
        view = memoryview(data)
        while view:
            view = view[os.write(self.process.stdin.fileno(), view):]

    def recv(self, size):
        ready, _, _ = select.select([self.process.stdout], [], [], self.timeout)
        if not ready:
            raise TimeoutError(f"no reply within {self.timeout} s")
        return os.read(self.process.stdout.fileno(), size)

    def close(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            # A connection with a subscription stays open after a half-close (section 2): end the relay.
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


class ClientAs(Client):
    """A common.Client whose connection is made by a relay running as `identity`."""

    def __init__(self, identity, socket_path, timeout=REPLY_SECONDS_MAX):
        self.identity = identity
        process = subprocess.Popen(identity.setpriv() + ["python3", "-c", RELAY_SOURCE, socket_path],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   env=CHILD_ENVIRONMENT, cwd="/", bufsize=0)
        self.socket = PipeSocket(process, timeout)
        self.buffer = bytearray()
        self.next_id = 1
        self.notifications = []
        first = self.read_line()
        try:
            greeting = json.loads(first or b"{}")
        except ValueError:
            greeting = {}
        if greeting.get("relay") != "connected":
            self.close()
            if greeting.get("relay") == "refused":
                raise ConnectionRefusedAs(identity, greeting.get("errno"), greeting.get("error"))
            raise TortureFailure(f"the relay for {identity.label} did not start (setpriv as uid {identity.uid}): {first!r}")


def lmds_as(identity, socket_path, arguments, timeout=60):
    """Runs the real `lmds` CLI as `identity` against `socket_path`; returns the CompletedProcess."""
    command = identity.setpriv() + [os.path.join(binaries_directory(), "lmds"), *arguments, "--socket", socket_path]
    return subprocess.run(command, capture_output=True, text=True, env=CHILD_ENVIRONMENT, cwd="/", timeout=timeout)


class DaemonAs(Daemon):
    """The real lmdsd run as `identity` (its own uid and group, like the `lmds` service account)."""

    def __init__(self, work, identity, **options):
        super().__init__(work, **options)
        self.identity = identity

    def command(self):
        return self.identity.setpriv() + super().command()


# ---------------------------------------------------------------------------------------------------
# Replies.


def error_of(reply):
    """The error object of a reply, or None for a result."""
    return reply.get("error") if isinstance(reply, dict) else None


def describe(reply):
    return json.dumps(reply, ensure_ascii=False)[:600]


def expect_forbidden(reply, what, role=False, method=None):
    """Fails unless `reply` is -32003; with `role` not False, `data.role` must be it (None: null) and
    `data.method` the method; returns the error."""
    error = error_of(reply)
    check(error is not None and error.get("code") == FORBIDDEN, f"{what}: expected -32003, got {describe(reply)}")
    data = error.get("data") or {}
    if role is not False:
        check("role" in data and data["role"] == role, f"{what}: expected data.role {role!r}, got {describe(reply)}")
        check(data.get("method") == method, f"{what}: expected data.method {method!r}, got {describe(reply)}")
    return error


def expect_result(reply, what):
    check(isinstance(reply, dict) and "result" in reply, f"{what}: expected a result, got {describe(reply)}")
    return reply["result"]


def expect_refused_not_forbidden(reply, what):
    """A call the role may make, with params that fail validation: an error, but not -32003."""
    error = error_of(reply)
    check(error is not None, f"{what}: params meant to be invalid were accepted: {describe(reply)}")
    check(error.get("code") != FORBIDDEN, f"{what}: the role may call this method but got -32003: {describe(reply)}")


class LogWatch:
    """The log head seen through root's own connection: `unchanged` fails the scenario when a refused
    call appended anything, `advanced` when an accepted write appended nothing."""

    def __init__(self, socket_path):
        self.client = Client(socket_path)
        self.position = self.head()
        self.refusals = 0

    def head(self):
        result = self.client.result("system.status")
        return result["position"]

    def unchanged(self, what):
        now = self.head()
        check(now == self.position, f"{what} was refused but the log moved from position {self.position} to {now}")
        self.refusals += 1

    def advanced(self, what):
        now = self.head()
        check(now > self.position, f"{what} was accepted but appended nothing (position {now})")
        self.position = now

    def close(self):
        self.client.close()


# ---------------------------------------------------------------------------------------------------
# The state the checks run against, written by root (admin).


def institution_of_label(label):
    return {OTHER_INSTITUTION_LABEL: OTHER_INSTITUTION, "Hogeschool Leiden": OWN_INSTITUTION}.get(label)


class Fixture:
    """Questions, offers of two institutions, proposals, matches and outcomes in every state the checks
    need, with deliverables of every visibility and contacts with personal details.

    Names: `own` is OWN_INSTITUTION (educator A's), `other` OTHER_INSTITUTION (educator B's)."""

    def __init__(self, socket_path, work, today, coordinator_name=None):
        self.work = work
        # The user name the config makes a coordinator: a valid owner for question.assign.
        self.coordinator_name = coordinator_name
        self.today = today
        # A future embargo (the viewer must not see it) and one that has ended (the viewer sees it).
        self.embargo_future = (today + datetime.timedelta(days=800)).isoformat()
        self.embargo_ended = (today - datetime.timedelta(days=400)).isoformat()
        questions = demo_data("questions.jsonl")
        offers = demo_data("offers.jsonl")
        self.offer_templates = {
            institution: [offer for offer in offers if institution_of_label(offer["institution"]) == institution]
            for institution in (OWN_INSTITUTION, OTHER_INSTITUTION)
        }
        # The personal details the fixture stores: no viewer may ever read them, nor educators a requester's.
        self.requester_details = []
        self.contact_details = []
        with Client(socket_path) as client:
            self.client = client
            self.build(questions)
        del self.client

    def call(self, method, params):
        return self.client.result(method, params)

    def submit_question(self, template):
        params = dict(template)
        requester = params.get("requester") or {}
        self.requester_details += [requester[key] for key in ("name", "email", "phone") if requester.get(key)]
        return self.call("question.submit", params)

    def publish_offer(self, institution, index):
        params = dict(self.offer_templates[institution][index])
        contact = params.get("contact") or {}
        self.contact_details += [contact[key] for key in ("name", "email", "phone") if contact.get(key)]
        return self.call("offer.publish", params)

    def agreed_match(self, question, offer):
        proposal = self.call("proposal.create", {"question": question, "offer": offer})["id"]
        self.call("proposal.accept", {"id": proposal, "side": "requester"})
        return self.call("proposal.accept", {"id": proposal, "side": "education"})["match"]

    def build(self, questions):
        # The first question is replayed later by forbidden callers with its own requestId.
        self.first_question_params = dict(questions[0])
        submitted = [self.submit_question(template) for template in questions[:10]]
        self.question_submitted = submitted[0]["id"]
        self.contact_submitted = self.call("question.get", {"id": self.question_submitted})["requester"]["contact"]
        open_questions = [entry["id"] for entry in submitted[1:]]
        for question in open_questions:
            self.call("question.accept", {"id": question})
        (self.question_spare, q_own_propose, q_own_decline, q_other_propose, q_own_match, q_other_agreed,
         q_other_delivered, q_other_started, _left_open) = open_questions
        self.first_offer_params = dict(self.offer_templates[OWN_INSTITUTION][0])
        self.offer_own = self.publish_offer(OWN_INSTITUTION, 0)["id"]
        self.offer_own_second = self.publish_offer(OWN_INSTITUTION, 2)["id"]
        self.offer_other = self.publish_offer(OTHER_INSTITUTION, 0)["id"]
        self.offer_other_second = self.publish_offer(OTHER_INSTITUTION, 2)["id"]
        self.contact_offer_own = self.call("offer.get", {"id": self.offer_own})["contact"]
        # Pending proposals: two on the own institution's offer, one on the other's.
        self.proposal_own = self.call("proposal.create", {"question": q_own_propose, "offer": self.offer_own})["id"]
        self.proposal_own_decline = self.call("proposal.create", {"question": q_own_decline, "offer": self.offer_own})["id"]
        self.proposal_other = self.call("proposal.create", {"question": q_other_propose, "offer": self.offer_other})["id"]
        # Matches: one agreed of the own institution, and of the other one agreed, one started, one delivered.
        self.match_own = self.agreed_match(q_own_match, self.offer_own_second)
        self.match_other_agreed = self.agreed_match(q_other_agreed, self.offer_other)
        self.match_other_delivered = self.agreed_match(q_other_delivered, self.offer_other_second)
        self.match_other_started = self.agreed_match(q_other_started, self.offer_other_second)
        self.question_of_outcome = q_other_delivered
        self.offer_of_outcome = self.offer_other_second
        for match in (self.match_other_delivered, self.match_other_started):
            # force: the start date defaults to today, which may lie outside the offer's period.
            self.call("match.start", {"id": match, "students": 3, "force": True})
        # The outcome with one deliverable of each visibility; the titles are what the checks look for.
        tag = f"{os.getpid():x}"
        self.title_public = f"Openbaar rapport {tag}"
        self.title_embargo_ended = f"Advies met verlopen embargo {tag}"
        self.title_internal = f"Interne dataset {tag}"
        self.title_embargo_future = f"Advies onder embargo {tag}"
        self.deliverables = [
            {"kind": "report", "title": self.title_public, "uri": "https://example.nl/rapport.pdf", "visibility": "public"},
            {"kind": "dataset", "title": self.title_internal, "visibility": "internal"},
            {"kind": "advice", "title": self.title_embargo_future, "uri": "https://example.nl/advies-embargo.pdf",
             "visibility": "embargo", "embargoUntil": self.embargo_future},
            {"kind": "advice", "title": self.title_embargo_ended, "visibility": "embargo", "embargoUntil": self.embargo_ended},
        ]
        outcome = self.call("outcome.record", {
            "match": self.match_other_delivered,
            "summary": "Drie studenten brachten de vraag in kaart en gaven een advies.",
            "deliverables": self.deliverables, "students": 3, "hours": 120,
        })
        self.outcome = outcome["id"]
        # Milestones and a check-in with a note (the first text, T-0001) on the started match: what the
        # milestone, check-in and text writes act on.
        self.call("milestone.plan", {"match": self.match_other_started, "items": [
            {"title": "Kick-off", "due": "2027-02-10"}, {"title": "Eindpresentatie", "due": "2027-06-20"}]})
        self.call("checkin.record", {"match": self.match_other_started, "health": "at-risk", "note": "Loopt achter"})
        self.text_note = "T-0001"
        # How many deliverables a viewer's outcomes report withholds over all outcomes (more are added later).
        self.withheld_in_reports = len(self.secret_titles)
        plan = self.call("match.plan", {"period": PLAN_PERIOD, "minScore": 0})
        check(plan["pairs"], f"match.plan of {PLAN_PERIOD} plans no pair: a forbidden propose would prove nothing")
        # A note whose erasure a forbidden caller tries (issue 11).
        self.note = self.call("note.add", {"entity": self.question_submitted, "text": "Intern: de bewoner belt terug."})["id"]
        # Two partner organisations, a survivor and a duplicate for a forbidden merge (issue 11).
        self.organisation = self.call("organisation.register", {"name": "Stichting Torture Ëlan", "kind": "foundation-or-association"})["id"]
        self.organisation_duplicate = self.call("organisation.register", {"name": "Torture Elan", "kind": "other"})["id"]
        self.position = self.call("system.status", None)["position"]

    @property
    def secret_titles(self):
        """The deliverables a viewer must not see (today)."""
        return [self.title_internal, self.title_embargo_future]

    @property
    def visible_titles(self):
        return [self.title_public, self.title_embargo_ended]

    def forbidden_params(self):
        """For each method (and `match.plan` with `propose`), params that are valid against this state, so
        that the call WOULD append (or, for reads, answer) if the role check let it through."""
        question_row = {key: value for key, value in self.first_question_params.items() if key != "requestId"}
        offer_row = {key: value for key, value in self.first_offer_params.items() if key != "requestId"}
        return {
            "admin.backup": {"path": os.path.join(self.work.path, "forbidden-backup")},
            # The very request of an earlier write, requestId included: the role check comes before the
            # replay of a known requestId, so a forbidden caller must not get the first result back.
            "question.submit": self.first_question_params,
            "question.accept": {"id": self.question_submitted},
            "question.reject": {"id": self.question_submitted, "reason": "Geen vraag voor het onderwijs."},
            "question.revise": {"id": self.question_submitted, "title": "Een andere titel"},
            "question.refer": {"id": self.question_submitted, "to": "Gemeente Leiden", "reason": "Hoort bij de gemeente."},
            "question.withdraw": {"id": self.question_submitted, "reason": "Ingetrokken."},
            "offer.publish": self.first_offer_params,
            "offer.revise": {"id": self.offer_other, "title": "Een andere titel"},
            "offer.close": {"id": self.offer_other},
            "offer.withdraw": {"id": self.offer_other, "reason": "Gaat niet door."},
            "proposal.create": {"question": self.question_spare, "offer": self.offer_own},
            "proposal.accept": {"id": self.proposal_other, "side": "requester"},
            "proposal.decline": {"id": self.proposal_other, "side": "requester", "reason": "Past niet."},
            "proposal.withdraw": {"id": self.proposal_other, "reason": "Past niet."},
            "match.start": {"id": self.match_other_agreed, "students": 3, "force": True},
            "match.cancel": {"id": self.match_other_agreed, "reason": "Geen team."},
            "match.close": {"id": self.match_other_delivered},
            "outcome.record": {"match": self.match_other_started, "summary": "Een opbrengst."},
            "outcome.revise": {"id": self.outcome, "summary": "Een herziene opbrengst."},
            "followup.record": {"outcome": self.outcome, "used": "yes"},
            "import.questions": {"rows": [question_row]},
            "import.offers": {"rows": [offer_row]},
            "person.get": {"id": self.contact_submitted},
            "person.erase": {"id": self.contact_submitted},
            "question.publish": {"id": self.question_spare},
            "milestone.plan": {"match": self.match_other_started, "items": [{"title": "Nieuw plan", "due": "2027-03-01"}]},
            "milestone.complete": {"match": self.match_other_started, "milestone": 1},
            "milestone.revise": {"match": self.match_other_started, "milestone": 2, "due": "2027-06-27"},
            "checkin.record": {"match": self.match_other_started, "health": "on-track"},
            "feedback.submit": {"match": self.match_other_delivered, "side": "requester", "moment": "end",
                                "answers": {"satisfaction": 4, "usefulness": 4, "learning": 4, "collaboration": 4, "again": 4}},
            "text.erase": {"id": self.text_note},
            "match.plan propose": {"period": PLAN_PERIOD, "minScore": 0, "propose": True},
            # The desk (issue 11): an owner the config names as coordinator, a note on a question, its erasure.
            "question.assign": {"id": self.question_submitted, "owner": self.coordinator_name},
            "note.add": {"entity": self.question_of_outcome, "text": "Intern: niet voor iedereen."},
            "note.erase": {"id": self.note, "reason": "Verzoek."},
            "question.merge": {"into": self.question_spare, "from": [self.question_submitted], "reason": "Dubbel."},
            "question.split": {"id": self.question_submitted, "reason": "Twee projecten.",
                               "parts": [{"title": "Deel één", "description": "Het eerste project."}, {"title": "Deel twee", "description": "Het tweede."}]},
            # Partner organisations (issue 11); organisation.adopt has nothing to adopt in a log written with records, so
            # it is sent without params (still -32003 for the roles that may not).
            "organisation.register": {"name": "Stichting Nieuw", "kind": "other"},
            "organisation.revise": {"id": self.organisation, "website": "https://elan.example"},
            "organisation.merge": {"into": self.organisation, "from": self.organisation_duplicate, "reason": "Dubbel."},
        }

    def read_params(self):
        """For each method open to viewers (and `person.get`, `desk.get` and `note.list`), params that make it answer with a result,
        about the outcome and what it is linked to. `events.unsubscribe` is filled in per connection."""
        return {
            "system.ping": None,
            "system.status": None,
            "system.methods": None,
            "events.read": {"from": 1, "limit": 1000},
            "events.subscribe": {},
            "events.unsubscribe": None,
            "audit.verify": None,
            "taxonomy.get": None,
            "reminder.list": {"status": "all"},
            "question.get": {"id": self.question_of_outcome},
            "question.list": {"limit": 500},
            "offer.get": {"id": self.offer_of_outcome},
            "offer.list": {"limit": 500},
            "proposal.get": {"id": self.proposal_own},
            "proposal.list": {"limit": 500},
            "match.suggest": {"question": self.question_spare},
            "match.plan": {"period": PLAN_PERIOD, "minScore": 0},
            "match.get": {"id": self.match_other_delivered},
            "match.list": {"limit": 500},
            "outcome.get": {"id": self.outcome},
            "outcome.list": {},
            "followup.list": {"status": "all"},
            "report.get": {"name": "outcomes"},
            "history.get": {"id": self.outcome},
            "feedback.get": {"match": self.match_other_delivered},
            "person.get": {"id": self.contact_submitted},
            "site.content": {},
            "desk.get": {},
            "note.list": {"entity": self.question_of_outcome},
            "organisation.get": {"id": self.organisation},
            "organisation.list": {"kind": "Stichting of vereniging"},
        }


def invalid_params(method):
    """Params a method refuses before anything is decided (a missing required param, or `propose` with
    `asOf`): for a role that may call it, the reply must be an error other than -32003, nothing appended."""
    if method == "match.plan propose":
        return {"period": PLAN_PERIOD, "propose": True, "asOf": 1}
    return {}


# ---------------------------------------------------------------------------------------------------
# The checks.


class Counts:
    """What the scenario checked, for the figures."""

    def __init__(self):
        self.socket_checks = 0
        self.cli_checks = 0
        self.forbidden = 0
        self.allowed = 0
        # (identity, method) pairs checked over the socket, and through `lmds call`.
        self.matrix_cells = 0
        self.cli_matrix_cells = 0


def check_socket_and_directory(daemon, daemon_identity, first_mode):
    """The socket is 0660 and the daemon's (owner and group), and was so when it first appeared; the
    data directory is 0700."""
    socket_info = os.lstat(daemon.socket)
    check(stat.S_ISSOCK(socket_info.st_mode), f"{daemon.socket} is not a socket")
    socket_mode = stat.S_IMODE(socket_info.st_mode)
    check(socket_mode == 0o660, f"the socket has mode {socket_mode:o}, not 660")
    check(first_mode == 0o660, f"the socket appeared with mode {first_mode:o}, not 660")
    check((socket_info.st_uid, socket_info.st_gid) == (daemon_identity.uid, daemon_identity.gid),
          f"the socket belongs to {socket_info.st_uid}:{socket_info.st_gid}, not the daemon's {daemon_identity.uid}:{daemon_identity.gid}")
    data_info = os.stat(daemon.data)
    data_mode = stat.S_IMODE(data_info.st_mode)
    check(data_mode == 0o700, f"the data directory has mode {data_mode:o}, not 700")
    file_modes = {name: f"{stat.S_IMODE(os.stat(os.path.join(daemon.data, name)).st_mode):o}"
                  for name in sorted(os.listdir(daemon.data))}
    return {"socketMode": f"{socket_mode:o}", "socketModeAtFirstSight": f"{first_mode:o}",
            "dataDirectoryMode": f"{data_mode:o}", "dataFileModes": file_modes}


def check_outsiders(socket_path, outsiders, watch, counts):
    """A uid that is neither the socket's owner nor in its group cannot connect: EACCES; the CLI exits 3."""
    for identity in outsiders:
        try:
            client = ClientAs(identity, socket_path)
        except ConnectionRefusedAs as refusal:
            check(refusal.errno == errno.EACCES, f"{identity.label}: connect failed with errno {refusal.errno}, not EACCES")
        else:
            reply = client.call("system.ping")
            client.close()
            raise TortureFailure(f"{identity.label} (uid {identity.uid}, outside the socket's group) connected: {describe(reply)}")
        done = lmds_as(identity, socket_path, ["ping"])
        check(done.returncode == 3, f"{identity.label}: `lmds ping` exited {done.returncode}, not 3: {done.stderr.strip()}")
        counts.socket_checks += 1
        counts.cli_checks += 1
    watch.unchanged("connecting from outside the socket's group")


def shuffled_methods(names, generator):
    """The methods in a seeded random order, `events.unsubscribe` right after `events.subscribe` (it ends
    the subscription that call made on the same connection)."""
    order = list(names)
    generator.shuffle(order)
    if "events.unsubscribe" in order and "events.subscribe" in order:
        order.remove("events.unsubscribe")
        order.insert(order.index("events.subscribe") + 1, "events.unsubscribe")
    return order


def check_no_role(socket_path, identity, methods, forbidden_params, watch, counts, generator):
    """Every method, an unknown one, a whole batch and a notification: -32003 with data.role null."""
    methods = shuffled_methods(methods, generator)
    with ClientAs(identity, socket_path) as client:
        for method in methods + ["no.such.method"]:
            params = forbidden_params.get(method)
            reply = client.call(method, params)
            expect_forbidden(reply, f"{identity.label} calling {method}", role=None, method=method)
            watch.unchanged(f"{identity.label}'s {method}")
            counts.socket_checks += 1
            counts.forbidden += 1
            counts.matrix_cells += 1
        # One line holding a batch of every method: each element answered with its own -32003.
        batch = [{"jsonrpc": "2.0", "id": index, "method": method, **({"params": forbidden_params[method]} if method in forbidden_params else {})}
                 for index, method in enumerate(methods)]
        client.send_raw(json.dumps(batch, ensure_ascii=False).encode("utf-8") + b"\n")
        replies = client.read_message()
        check(isinstance(replies, list) and len(replies) == len(methods), f"{identity.label}: a batch of {len(methods)} got {describe(replies)}")
        for reply in replies:
            expect_forbidden(reply, f"{identity.label}: batch element {reply.get('id')}", role=None, method=methods[reply["id"]])
        # A notification (no id) of a write: no reply, nothing appended; the next reply is the ping's.
        notification = {"jsonrpc": "2.0", "method": "question.submit", "params": forbidden_params["question.submit"]}
        client.send_raw(json.dumps(notification, ensure_ascii=False).encode("utf-8") + b"\n")
        expect_forbidden(client.call("system.ping"), f"{identity.label}: ping after a notification", role=None, method="system.ping")
        # The batch's elements, the notification and the ping.
        counts.socket_checks += len(methods) + 2
    watch.unchanged(f"{identity.label}'s batch and notification")


def check_matrix(socket_path, identity, catalogue, fixture, watch, counts, generator):
    """One identity with a role against every method: allowed ones answer, forbidden ones are -32003
    naming the method and role, nothing forbidden appends."""
    forbidden_params = fixture.forbidden_params()
    read_params = fixture.read_params()
    role = identity.role
    with ClientAs(identity, socket_path) as client:
        subscription = None
        for method in shuffled_methods(list(catalogue) + ["match.plan propose", "no.such.method"], generator):
            what = f"{identity.label} ({role}) calling {method}"
            wire_method = "match.plan" if method == "match.plan propose" else method
            if method == "no.such.method":
                error = error_of(client.call(method))
                check(error is not None and error.get("code") == METHOD_NOT_FOUND, f"{what}: expected -32601, got {error}")
                counts.socket_checks += 1
                counts.matrix_cells += 1
                continue
            # match.plan is open to every role, its `propose: true` only to coordinators and admins.
            allowed_roles = ["coordinator", "admin"] if method == "match.plan propose" else catalogue[method]
            if role in allowed_roles:
                counts.allowed += 1
                if method in read_params:
                    params = read_params[method]
                    if method == "events.unsubscribe":
                        params = {"subscription": subscription}
                    result = expect_result(client.call(wire_method, params), what)
                    if method == "events.subscribe":
                        subscription = result["subscription"]
                else:
                    expect_refused_not_forbidden(client.call(wire_method, invalid_params(method)), what)
                    watch.unchanged(what + " with invalid params")
            else:
                counts.forbidden += 1
                params = forbidden_params.get(method, read_params.get(method))
                reply = client.call(wire_method, params)
                error = expect_forbidden(reply, what, role=role, method=wire_method)
                if method == "match.plan propose":
                    check((error.get("data") or {}).get("field") == "propose", f"{what}: expected data.field propose: {describe(reply)}")
                watch.unchanged(what)
            counts.socket_checks += 1
            counts.matrix_cells += 1
    check(not os.path.exists(forbidden_params["admin.backup"]["path"]), "a forbidden admin.backup made its directory")


def expect_domain_refusal(reply, what, reason_words):
    """An educator's write on another institution's entity: -32003 with `data` {reason} naming why."""
    error = expect_forbidden(reply, what)
    reason = (error.get("data") or {}).get("reason") or ""
    check(all(word in reason for word in reason_words), f"{what}: the reason {reason!r} should say {reason_words}")
    return error


def check_educators(socket_path, educator_own, educator_other, educator_none, coordinator, fixture, watch, counts):
    """Educators write only for their own institution and only the education side."""
    other_offer_row = {key: value for key, value in fixture.offer_templates[OTHER_INSTITUTION][1].items() if key != "requestId"}
    own_offer_row = {key: value for key, value in fixture.offer_templates[OWN_INSTITUTION][1].items() if key != "requestId"}
    own_offer_row_label = dict(fixture.offer_templates[OWN_INSTITUTION][3], institution="hogeschool leiden")
    own_offer_row_label.pop("requestId", None)
    may_not = f"an educator of {OWN_INSTITUTION} may not"

    def refused(client, method, params, reason_words):
        expect_domain_refusal(client.call(method, params), f"{client.identity.label}: {method} {json.dumps(params, ensure_ascii=False)[:120]}", reason_words)
        watch.unchanged(f"{client.identity.label}'s {method}")
        counts.socket_checks += 1
        counts.forbidden += 1

    def accepted(client, method, params):
        result = expect_result(client.call(method, params), f"{client.identity.label}: {method} {json.dumps(params, ensure_ascii=False)[:120]}")
        watch.advanced(f"{client.identity.label}'s {method}")
        counts.socket_checks += 1
        counts.allowed += 1
        return result

    with ClientAs(educator_own, socket_path) as client:
        # Another institution's offers: publishing (by id and by label), changing, importing.
        refused(client, "offer.publish", other_offer_row, [may_not, "publish offers of", OTHER_INSTITUTION])
        refused(client, "offer.publish", dict(other_offer_row, institution=OTHER_INSTITUTION_LABEL), [may_not, OTHER_INSTITUTION])
        refused(client, "offer.revise", {"id": fixture.offer_other, "title": "Overgenomen"}, [may_not, "change offers of", OTHER_INSTITUTION])
        refused(client, "offer.close", {"id": fixture.offer_other_second}, [may_not, OTHER_INSTITUTION])
        refused(client, "offer.withdraw", {"id": fixture.offer_other_second, "reason": "Weg ermee."}, [may_not, OTHER_INSTITUTION])
        for dry_run in (True, False):
            reply = client.call("import.offers", {"rows": [own_offer_row, other_offer_row], "dryRun": dry_run})
            if dry_run:
                result = expect_result(reply, "an educator's dry-run import with a row of another institution")
                row_errors = result.get("errors") or []
                check(result.get("valid") == 1 and [entry.get("code") for entry in row_errors] == [FORBIDDEN] and row_errors[0].get("row") == 1,
                      f"the dry run should refuse row 1 with -32003: {describe(reply)}")
            else:
                error = error_of(reply)
                rows = ((error or {}).get("data") or {}).get("rows") or []
                check(error is not None and error.get("code") == -32004 and [entry.get("code") for entry in rows] == [FORBIDDEN],
                      f"an educator's import with a row of another institution should be refused as a whole: {describe(reply)}")
            watch.unchanged("an educator's import with a row of another institution")
            counts.socket_checks += 1
            counts.forbidden += 1
        # Proposals: the requester side is the coordinators'; the other institution's are not theirs.
        refused(client, "proposal.accept", {"id": fixture.proposal_own, "side": "requester"}, [may_not, "requester side", fixture.proposal_own])
        refused(client, "proposal.decline", {"id": fixture.proposal_own, "side": "requester", "reason": "Nee."}, [may_not, "requester side"])
        refused(client, "proposal.accept", {"id": fixture.proposal_other, "side": "education"}, [may_not, "education side", fixture.proposal_other])
        refused(client, "proposal.decline", {"id": fixture.proposal_other, "side": "education", "reason": "Nee."}, [may_not, "education side"])
        # Matches and outcomes of the other institution's offers.
        refused(client, "match.start", {"id": fixture.match_other_agreed, "students": 2}, [may_not, "change matches of", OTHER_INSTITUTION])
        refused(client, "match.cancel", {"id": fixture.match_other_agreed, "reason": "Geen team."}, [may_not, OTHER_INSTITUTION])
        refused(client, "match.close", {"id": fixture.match_other_delivered}, [may_not, OTHER_INSTITUTION])
        refused(client, "outcome.record", {"match": fixture.match_other_started, "summary": "Niet van ons."}, [may_not, OTHER_INSTITUTION])
        refused(client, "outcome.revise", {"id": fixture.outcome, "summary": "Niet van ons."}, [may_not, OTHER_INSTITUTION])

        # The own institution: all of it goes through, and the events name the educator.
        published = accepted(client, "offer.publish", dict(own_offer_row, title="Eigen aanbod " + fixture.title_public))
        accepted(client, "offer.revise", {"id": published["id"], "capacity": 2})
        accepted(client, "offer.close", {"id": published["id"], "reason": "Vol genoeg."})
        withdrawn = accepted(client, "offer.publish", own_offer_row_label)
        accepted(client, "offer.withdraw", {"id": withdrawn["id"], "reason": "Gaat niet door."})
        accepted(client, "import.offers", {"rows": [own_offer_row]})
        accepted(client, "proposal.accept", {"id": fixture.proposal_own, "side": "education"})
        accepted(client, "proposal.decline", {"id": fixture.proposal_own_decline, "side": "education", "reason": "Geen plek."})
        accepted(client, "match.start", {"id": fixture.match_own, "students": 4, "force": True})
        # Its one deliverable is internal by default (its title holds the internal title, so viewers must not see it).
        own_outcome = accepted(client, "outcome.record", {"match": fixture.match_own, "summary": "Eigen opbrengst.",
                                                          "deliverables": [{"kind": "dataset", "title": fixture.title_internal + " (eigen)"}]})
        fixture.withheld_in_reports += 1
        accepted(client, "outcome.revise", {"id": own_outcome["id"], "hours": 40})
        accepted(client, "match.close", {"id": fixture.match_own})
    last = watch.client.result("events.read", {"from": watch.position, "limit": 1})["events"][0]
    check(last["actor"] == {"role": "educator", "uid": educator_own.uid, "user": educator_own.user_name},
          f"the educator's event names actor {last['actor']}, not uid {educator_own.uid} ({educator_own.user_name}) as educator")

    # Educator B: role and institution by group, the institution given by its label; the highest role
    # (educator by group over viewer by user name) wins.
    with ClientAs(educator_other, socket_path) as client:
        refused(client, "offer.revise", {"id": fixture.offer_own, "title": "Overgenomen"}, [f"an educator of {OTHER_INSTITUTION} may not", OWN_INSTITUTION])
        refused(client, "proposal.accept", {"id": fixture.proposal_own, "side": "education"}, [f"an educator of {OTHER_INSTITUTION} may not"])
        accepted(client, "offer.revise", {"id": fixture.offer_other, "capacity": 5})
        accepted(client, "proposal.accept", {"id": fixture.proposal_other, "side": "education"})

    # An educator the config gives no institution: none of the institution's writes.
    with ClientAs(educator_none, socket_path) as client:
        refused(client, "offer.publish", own_offer_row, ["an educator of no institution may not"])
        refused(client, "offer.revise", {"id": fixture.offer_own, "capacity": 3}, ["an educator of no institution may not"])
        refused(client, "proposal.decline", {"id": fixture.proposal_other, "side": "education", "reason": "Nee."}, ["an educator of no institution may not"])
        refused(client, "match.cancel", {"id": fixture.match_other_agreed, "reason": "Nee."}, ["an educator of no institution may not"])

    # The coordinator speaks for the requesters: the requester side the educator could not record.
    with ClientAs(coordinator, socket_path) as client:
        agreed = accepted(client, "proposal.accept", {"id": fixture.proposal_own, "side": "requester"})
        check(agreed.get("match"), f"both sides of {fixture.proposal_own} consented but no match was agreed: {agreed}")


def text_of(reply):
    return json.dumps(reply, ensure_ascii=False)


def check_visibility(socket_path, viewer, educator, coordinator, fixture, watch, counts):
    """Deliverables and personal details: what each role sees, through every read method."""
    secrets = fixture.secret_titles
    findings = {}

    def deliverable_titles(result):
        return [entry["title"] for entry in result["deliverables"]]

    with ClientAs(viewer, socket_path) as client:
        # outcome.get: only public ones and ended embargoes, the rest counted as withheld, also with asOf.
        for params in ({"id": fixture.outcome}, {"id": fixture.outcome, "asOf": watch.position}, {"id": fixture.outcome, "asOf": fixture.today.isoformat()}):
            result = expect_result(client.call("outcome.get", params), f"viewer outcome.get {params}")
            check(deliverable_titles(result) == fixture.visible_titles,
                  f"a viewer's outcome.get {params} shows {deliverable_titles(result)}, expected {fixture.visible_titles}")
            check(result["withheld"] == 2, f"a viewer's outcome.get {params} says withheld {result['withheld']}, expected 2")
            check(not any(secret in text_of(result) for secret in secrets), f"a viewer's outcome.get {params} holds a withheld title")
            counts.socket_checks += 1
        # outcome.list: the count of all deliverables, whatever the role (the page promises it), no titles.
        listed = expect_result(client.call("outcome.list", {"question": fixture.question_of_outcome}), "viewer outcome.list")
        check([entry["deliverables"] for entry in listed["outcomes"]] == [len(fixture.deliverables)],
              f"a viewer's outcome.list should count all {len(fixture.deliverables)} deliverables: {listed}")
        counts.socket_checks += 1
        # report.get outcomes, every format, now and as of today: withheld titles absent, figure counted.
        for report_format in REPORT_FORMATS:
            for as_of in (None, fixture.today.isoformat()):
                params = {"name": "outcomes", "format": report_format}
                if as_of:
                    params["asOf"] = as_of
                result = expect_result(client.call("report.get", params), f"viewer report.get {params}")
                text = text_of(result)
                check(fixture.title_public in text and fixture.title_embargo_ended in text,
                      f"a viewer's report.get {params} lacks the public deliverables")
                leaked = [secret for secret in secrets if secret in text]
                check(not leaked, f"a viewer's report.get {params} shows the withheld deliverables {leaked}")
                if report_format == "json":
                    figures = {figure["label"]: figure["value"] for figure in result["report"]["figures"]}
                    check(figures.get("deliverables withheld") == fixture.withheld_in_reports,
                          f"a viewer's report.get {params} figures {figures}: expected {fixture.withheld_in_reports} withheld")
                counts.socket_checks += 1
        # The day before the future embargo ends: still withheld. On that day the report shows it, as the
        # report.get page documents (its asOf sets the report's date) -- observed, not enforced.
        embargo_date = datetime.date.fromisoformat(fixture.embargo_future)
        day_before = (embargo_date - datetime.timedelta(days=1)).isoformat()
        result = expect_result(client.call("report.get", {"name": "outcomes", "asOf": day_before}), "viewer report.get asOf the day before")
        check(fixture.title_embargo_future not in text_of(result), f"a viewer's report.get as of {day_before} shows the embargoed deliverable")
        result = expect_result(client.call("report.get", {"name": "outcomes", "asOf": fixture.embargo_future}), "viewer report.get asOf the embargo's end")
        # The embargo is judged on today's date for a viewer, whatever the asOf (report.get.md): a future
        # asOf once lifted it early (fixed; ReportBuilderTests.aFutureAsOfDoesNotLiftAnEmbargo).
        check(fixture.title_embargo_future not in text_of(result),
              f"a viewer's report.get as of {fixture.embargo_future} shows the deliverable still under embargo today")
        check(fixture.title_internal not in text_of(result), "a viewer's report.get as of a future date shows the internal deliverable")
        counts.socket_checks += 2

        # Every read method about the outcome and what it links: which ones show a withheld deliverable or
        # any personal detail? Only the log (events.read, history.get and subscriptions) may show the
        # deliverables (it is open to every role, section 18.1); nothing may show personal details.
        read_params = fixture.read_params()
        shows_deliverables, shows_personal = [], []
        subscription = None
        personal = fixture.requester_details + fixture.contact_details
        for method, params in read_params.items():
            if method in ("person.get", "desk.get", "note.list"):  # staff and educators only
                continue
            if method == "events.unsubscribe":
                params = {"subscription": subscription}
            if method == "events.subscribe":
                params = {"from": 1}
            result = expect_result(client.call(method, params), f"viewer {method}")
            if method == "events.subscribe":
                subscription = result["subscription"]
                deadline = time.monotonic() + REPLY_SECONDS_MAX
                while len(client.notifications) < watch.position and time.monotonic() < deadline:
                    message = client.read_message()
                    if message is not None and "id" not in message:
                        client.notifications.append(message)
                result = client.notifications
            text = text_of(result)
            if any(secret in text for secret in secrets):
                shows_deliverables.append(method)
            if any(detail in text for detail in personal):
                shows_personal.append(method)
            counts.socket_checks += 1
        for report_name in ("overview", "neighbourhoods", "institutions", "themes", "talent", "followups"):
            text = text_of(expect_result(client.call("report.get", {"name": report_name}), f"viewer report.get {report_name}"))
            if any(secret in text for secret in secrets):
                shows_deliverables.append(f"report.get {report_name}")
            if any(detail in text for detail in personal):
                shows_personal.append(f"report.get {report_name}")
            counts.socket_checks += 1
        log_methods = {"events.read", "events.subscribe", "history.get"}
        unexpected = [method for method in shows_deliverables if method not in log_methods]
        check(not unexpected, f"a viewer sees withheld deliverables through {unexpected}")
        check(not shows_personal, f"a viewer sees personal details through {shows_personal}")
        findings["viewerLogShowsWithheldDeliverables"] = sorted(shows_deliverables)
        # Offers' contact details: educators only (below); the viewer sees the contact id.
        offer = expect_result(client.call("offer.get", {"id": fixture.offer_own}), "viewer offer.get")
        check("contactDetails" not in offer, f"a viewer's offer.get shows contactDetails: {offer}")
        expect_forbidden(client.call("person.get", {"id": fixture.contact_offer_own}), "viewer person.get", role="viewer", method="person.get")
        counts.socket_checks += 2

    for identity in (educator, coordinator):
        with ClientAs(identity, socket_path) as client:
            result = expect_result(client.call("outcome.get", {"id": fixture.outcome}), f"{identity.label} outcome.get")
            expected = [entry["title"] for entry in fixture.deliverables]
            check(deliverable_titles(result) == expected and result["withheld"] == 0,
                  f"{identity.label}'s outcome.get shows {deliverable_titles(result)} withheld {result['withheld']}, expected all")
            report = expect_result(client.call("report.get", {"name": "outcomes", "format": "text"}), f"{identity.label} report.get")
            check(all(title in report["content"] for title in expected) and "(internal)" in report["content"],
                  f"{identity.label}'s outcomes report should show every deliverable, the internal one marked")
            offer = expect_result(client.call("offer.get", {"id": fixture.offer_own}), f"{identity.label} offer.get")
            check(isinstance(offer.get("contactDetails"), dict) and offer["contactDetails"].get("name") in fixture.contact_details,
                  f"{identity.label}'s offer.get should show the contact's details: {offer.get('contactDetails')}")
            question = expect_result(client.call("question.get", {"id": fixture.question_submitted}), f"{identity.label} question.get")
            shows_requester = any(detail in text_of(question) for detail in fixture.requester_details)
            # question.get adds the requester's details for coordinators and admins only (section 14).
            check(shows_requester == (identity.role in ("coordinator", "admin")),
                  f"{identity.label}'s question.get {'shows' if shows_requester else 'lacks'} the requester's details")
            counts.socket_checks += 4
    return findings


def cli_expectation(identity, method, catalogue):
    """'forbidden' or 'allowed' for `lmds call METHOD` by this identity."""
    if identity.role is None:
        return "forbidden"
    return "allowed" if identity.role in catalogue[method] else "forbidden"


def check_cli_few(socket_path, no_role, viewer, educator, fixture, watch, counts):
    """The real CLI as other uids: refusals print `(code -32003)` and exit 1; reads work; nothing appended."""
    for arguments in (["ping"], ["status"], ["call", "system.methods"], ["events"], ["audit", "verify"]):
        done = lmds_as(no_role, socket_path, arguments)
        check(done.returncode == 1 and "code -32003" in done.stderr, f"{no_role.label}: lmds {' '.join(arguments)} exited {done.returncode}: {done.stderr.strip()}")
        counts.cli_checks += 1
    done = lmds_as(viewer, socket_path, ["status", "--json"])
    check(done.returncode == 0 and json.loads(done.stdout)["position"] == watch.position, f"viewer lmds status: {done.returncode} {done.stderr.strip()}")
    done = lmds_as(viewer, socket_path, ["backup", os.path.join(fixture.work.path, "viewer-backup")])
    check(done.returncode == 1 and "Forbidden: role viewer may not call lmds backup" in done.stderr, f"viewer lmds backup: {done.returncode} {done.stderr.strip()}")
    done = lmds_as(viewer, socket_path, ["call", "question.submit", json.dumps(fixture.first_question_params)])
    check(done.returncode == 1 and "code -32003" in done.stderr, f"viewer lmds call question.submit: {done.returncode} {done.stderr.strip()}")
    done = lmds_as(viewer, socket_path, ["show", fixture.outcome, "--json"])
    check(done.returncode == 0, f"viewer lmds show {fixture.outcome}: {done.stderr.strip()}")
    shown = json.loads(done.stdout)
    check(shown["withheld"] == 2 and not any(secret in done.stdout for secret in fixture.secret_titles),
          f"viewer lmds show {fixture.outcome} shows withheld deliverables")
    done = lmds_as(viewer, socket_path, ["report", "outcomes"])
    check(done.returncode == 0 and not any(secret in done.stdout for secret in fixture.secret_titles), "viewer lmds report outcomes shows withheld deliverables")
    done = lmds_as(educator, socket_path, ["offer", "close", fixture.offer_other])
    check(done.returncode == 1 and "code -32003" in done.stderr and OTHER_INSTITUTION in done.stderr,
          f"educator lmds offer close of another institution's offer: {done.returncode} {done.stderr.strip()}")
    counts.cli_checks += 6
    watch.unchanged("the CLI's refused calls")


def check_cli_matrix(socket_path, identities, catalogue, fixture, watch, counts):
    """`lmds call METHOD PARAMS` for every identity x every method: forbidden ones exit 1 with
    `(code -32003)`; allowed ones do not say -32003 (reads exit 0). Writes are sent with the params that
    would append, so only for identities that may not call them; allowed writes get invalid params."""
    forbidden_params = fixture.forbidden_params()
    read_params = fixture.read_params()
    for identity in identities:
        for method in catalogue:
            expectation = cli_expectation(identity, method, catalogue)
            if expectation == "forbidden":
                params = forbidden_params.get(method, read_params.get(method))
            elif method in read_params and method not in ("events.subscribe", "events.unsubscribe"):
                params = read_params[method]
            else:
                params = invalid_params(method)
            arguments = ["call", method] + ([json.dumps(params, ensure_ascii=False)] if params is not None else [])
            done = lmds_as(identity, socket_path, arguments)
            what = f"{identity.label} ({identity.role}): lmds call {method}"
            if expectation == "forbidden":
                check(done.returncode == 1 and "code -32003" in done.stderr, f"{what} exited {done.returncode}: {done.stderr.strip()[:300]}")
            else:
                check(done.returncode in (0, 1) and "code -32003" not in done.stderr, f"{what} exited {done.returncode}: {done.stderr.strip()[:300]}")
                if method in read_params and method not in ("events.subscribe", "events.unsubscribe"):
                    check(done.returncode == 0, f"{what} exited {done.returncode}: {done.stderr.strip()[:300]}")
            counts.cli_checks += 1
            counts.cli_matrix_cells += 1
        watch.unchanged(f"{identity.label}'s CLI calls")


def start_must_fail(command, socket_path, seconds_max=REFUSAL_SECONDS_MAX):
    """Runs an lmdsd that must refuse to start: returns (exit status, output). Fails the scenario as soon
    as its socket answers (it started after all) or when it neither exits nor answers in time."""
    output_path = socket_path + ".out"
    with open(output_path, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=output, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + seconds_max
    try:
        while process.poll() is None:
            if os.path.exists(socket_path) or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise TortureFailure(f"lmdsd {' '.join(command[1:])} started instead of refusing")
            time.sleep(0.01)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with open(output_path, encoding="utf-8", errors="replace") as handle:
        return process.returncode, handle.read()


def check_forbidden_params_would_succeed(work, methods):
    """A refusal proves something only when the refused call would have gone through: for each method
    sent with "forbidden" params, an admin (root) sends the same on a fresh daemon with the same fixture
    (on one log the writes would conflict), and it must answer with a result and append, except the two
    replays of a known requestId, which must return the first result without appending."""
    replays = {"question.submit", "offer.publish"}
    reads = {"person.get"}
    checked = 0
    today = datetime.datetime.now(datetime.timezone.utc).date()
    for index, method in enumerate(methods):
        daemon = Daemon(work, data=work.file(f"verify-{index}"), socket_path=work.file(f"verify-{index}.sock"),
                        config={"roles": {"users": {"verify-coordinator": "coordinator"}}})
        try:
            daemon.start()
            fixture = Fixture(daemon.socket, work, today, coordinator_name="verify-coordinator")
            params = fixture.forbidden_params()[method]
            with Client(daemon.socket) as client:
                before = client.result("system.status")["position"]
                reply = client.call("match.plan" if method == "match.plan propose" else method, params)
                expect_result(reply, f"an admin's {method} with the params forbidden callers send")
                after = client.result("system.status")["position"]
            if method in replays or method in reads:
                check(after == before, f"an admin's {method} with the params forbidden callers send appended")
            else:
                check(after > before, f"an admin's {method} with the params forbidden callers send appended nothing")
            checked += 1
        finally:
            daemon.ensure_stopped()
    return checked


def check_data_directory_refusal(work, daemon, modes):
    """A data directory writable by others is refused at start-up with a clear message, for a new
    (empty) directory and for the existing log; `chmod 700` makes the log open again, unchanged."""
    position = status(daemon.socket)["position"]
    daemon.stop()
    refusals = []
    output = ""
    for index, mode in enumerate(modes):
        for kind in ("existing", "empty"):
            directory = daemon.data if kind == "existing" else work.file(f"open-{index}")
            os.makedirs(directory, exist_ok=True)
            os.chmod(directory, mode)
            entries_before = sorted(os.listdir(directory))
            socket_path = work.file(f"refused-{index}-{kind}.sock")
            command = [os.path.join(binaries_directory(), "lmdsd"), "--data-dir", directory, "--socket", socket_path]
            started = time.monotonic()
            exit_status, output = start_must_fail(command, socket_path)
            check(exit_status != 0, f"lmdsd exited 0 on a {kind} data directory of mode {mode:o}")
            check("writable by others" in output and directory in output,
                  f"lmdsd refused a data directory of mode {mode:o} without naming it and why: {output.strip()[:400]}")
            check(not os.path.exists(socket_path), f"lmdsd left a socket after refusing a data directory of mode {mode:o}")
            check(sorted(os.listdir(directory)) == entries_before,
                  f"lmdsd created files in the {kind} data directory of mode {mode:o} it refused")
            refusals.append({"mode": f"{mode:o}", "directory": kind, "exit": exit_status,
                             "seconds": round(time.monotonic() - started, 2)})
    os.chmod(daemon.data, 0o700)
    daemon.start()
    after = status(daemon.socket)["position"]
    check(after == position, f"after chmod 700 the log reopened at position {after}, not {position}")
    last_message = output.strip().splitlines()[-1] if output.strip() else ""
    return refusals, last_message


# ---------------------------------------------------------------------------------------------------


def wait_for_socket(path, process, seconds_max=60.0):
    """Polls for the socket to appear; returns its mode at first sight (it must never be anything but 660)."""
    deadline = time.monotonic() + seconds_max
    while time.monotonic() < deadline:
        try:
            return stat.S_IMODE(os.lstat(path).st_mode)
        except FileNotFoundError:
            if process.poll() is not None:
                raise TortureFailure(f"lmdsd exited with {process.returncode} before its socket appeared")
            time.sleep(0.0005)
    raise TortureFailure(f"the socket {path} did not appear within {seconds_max} s")


def make_identities():
    """The daemon's identity, the clients', and the outsiders'. Ids without names come from free_ids."""
    viewer_gid, educator_gid = group_id(VIEWER_GROUP), group_id(EDUCATOR_GROUP)
    nobody = pwd.getpwnam("nobody")
    (daemon_uid, daemon_gid, no_role_uid, viewer_uid, viewer_group_uid, educator_uid, educator_group_uid,
     educator_none_uid, coordinator_uid, admin_uid, outsider_uid) = free_ids(11)
    socket_group = [daemon_gid]
    daemon = Identity("the daemon's own uid", daemon_uid, daemon_gid, role="admin")
    clients = [
        # No role: nobody (a passwd entry) also holds the viewer group, but only as a supplementary group
        # the group database does not list for it, which the daemon does not count (section 7.1).
        Identity("nobody", nobody.pw_uid, nobody.pw_gid, socket_group + [viewer_gid]),
        Identity("a uid without passwd entry", no_role_uid, daemon_gid),
        Identity("viewer by user name", viewer_uid, daemon_gid, role="viewer"),
        Identity("viewer by group", viewer_group_uid, viewer_gid, socket_group, role="viewer"),
        Identity("educator by user name", educator_uid, daemon_gid, role="educator", institution=OWN_INSTITUTION),
        Identity("educator by group", educator_group_uid, educator_gid, socket_group, role="educator", institution=OTHER_INSTITUTION),
        Identity("educator without institution", educator_none_uid, daemon_gid, role="educator"),
        Identity("coordinator", coordinator_uid, daemon_gid, role="coordinator"),
        Identity("admin by config", admin_uid, daemon_gid, role="admin"),
        daemon,
    ]
    outsiders = [
        Identity("nobody outside the socket's group", nobody.pw_uid, nobody.pw_gid),
        Identity("a uid without entry outside the socket's group", outsider_uid, outsider_uid),
    ]
    return daemon, clients, outsiders


def config_for(clients):
    """roles and institutions for the identities: by user name (`uid:N`) and by group name."""
    by_label = {identity.label: identity for identity in clients}
    users = {
        by_label["viewer by user name"].user_name: "viewer",
        # Viewer by user name, educator by group: the highest role wins.
        by_label["educator by group"].user_name: "viewer",
        by_label["educator by user name"].user_name: "educator",
        by_label["educator without institution"].user_name: "educator",
        by_label["coordinator"].user_name: "coordinator",
        by_label["admin by config"].user_name: "admin",
    }
    return {
        "roles": {"users": users, "groups": {VIEWER_GROUP: "viewer", EDUCATOR_GROUP: "educator"}},
        "institutions": {
            "users": {by_label["educator by user name"].user_name: by_label["educator by user name"].institution},
            # By label: the daemon resolves it to the id at start-up.
            "groups": {EDUCATOR_GROUP: OTHER_INSTITUTION_LABEL},
        },
    }


def run(arguments):
    check(os.geteuid() == 0, "the permissions scenario runs clients as other uids: run it as root")
    check(shutil.which("setpriv") is not None, "the permissions scenario needs setpriv (util-linux)")
    # The seed orders the methods of each identity's run through the matrix.
    seed, generator = seeded_random(arguments.seed, "permissions")
    quick = arguments.quick
    cli_all = arguments.cli_matrix == "all" or (arguments.cli_matrix == "auto" and not quick)
    verify_params = arguments.verify_params == "yes" or (arguments.verify_params == "auto" and not quick)
    binaries = binaries_directory()
    check(all(os.stat(os.path.join(binaries, name)).st_mode & 0o005 == 0o005 for name in ("lmds", "lmdsd")),
          f"{binaries}/lmds and lmdsd must be readable and executable by other users")
    daemon_identity, clients, outsiders = make_identities()
    # Everything a client runs must be reachable by other uids (every directory on the way searchable).
    done = lmds_as(outsiders[0], "/nonexistent.sock", ["--version"])
    check(done.returncode == 0, f"{binaries}/lmds cannot be run as uid {outsiders[0].uid}: {done.stderr.strip()[:300]}")
    relay = subprocess.run(outsiders[0].setpriv() + ["python3", "-c", "print(1)"], capture_output=True, text=True,
                           env=CHILD_ENVIRONMENT, cwd="/")
    check(relay.returncode == 0, f"python3 (on {CHILD_ENVIRONMENT['PATH']}) cannot be run as uid {outsiders[0].uid}: {relay.stderr.strip()[:300]}")
    by_label = {identity.label: identity for identity in clients}
    counts = Counts()
    figures = {"seed": seed}
    timings = {}

    with WorkDirectory(prefix="lmds-perm.") as work:
        # The daemon's home, where it creates its data directory (0700) and its socket: its own, like
        # /var/lib/lmds and /run/lmds of the service account.
        home = work.file("home")
        os.mkdir(home)
        os.chown(home, daemon_identity.uid, daemon_identity.gid)
        os.chmod(home, 0o755)
        daemon = DaemonAs(work, daemon_identity, config=config_for(clients),
                          data=os.path.join(home, "data"), socket_path=os.path.join(home, "lmds.sock"))
        try:
            started = time.monotonic()
            daemon.start(wait=False)
            first_mode = wait_for_socket(daemon.socket, daemon.process)
            daemon.wait_ready()
            figures.update(check_socket_and_directory(daemon, daemon_identity, first_mode))
            with Client(daemon.socket) as client:
                catalogue = {entry["name"]: entry["roles"] for entry in client.result("system.methods")["methods"]}
            today = datetime.datetime.now(datetime.timezone.utc).date()
            fixture = Fixture(daemon.socket, work, today, coordinator_name=next(c.user_name for c in clients if c.label == "coordinator"))
            timings["start and fixture"] = time.monotonic() - started
            say(f"permissions: {len(catalogue)} methods, fixture of {fixture.position} events; daemon uid {daemon_identity.uid} gid {daemon_identity.gid}")

            watch = LogWatch(daemon.socket)
            started = time.monotonic()
            check_outsiders(daemon.socket, outsiders, watch, counts)
            # Root too (admin whatever the config says), through a relay like the others.
            root = Identity("root", 0, 0, role="admin")
            for identity in clients + [root]:
                if identity.role is None:
                    check_no_role(daemon.socket, identity, list(catalogue), fixture.forbidden_params(), watch, counts, generator)
                else:
                    check_matrix(daemon.socket, identity, catalogue, fixture, watch, counts, generator)
            timings["role matrix"] = time.monotonic() - started
            say(f"permissions: role matrix done: {counts.forbidden} forbidden calls refused, {counts.allowed} allowed ones answered, "
                f"{watch.refusals} refusals appended nothing")

            started = time.monotonic()
            check_cli_few(daemon.socket, by_label["a uid without passwd entry"], by_label["viewer by user name"],
                          by_label["educator by user name"], fixture, watch, counts)
            cli_identities = clients + [root] if cli_all else [by_label[label] for label in (
                "a uid without passwd entry", "viewer by user name", "educator by user name")]
            check_cli_matrix(daemon.socket, cli_identities, catalogue, fixture, watch, counts)
            timings["cli"] = time.monotonic() - started

            started = time.monotonic()
            check_educators(daemon.socket, by_label["educator by user name"], by_label["educator by group"],
                            by_label["educator without institution"], by_label["coordinator"], fixture, watch, counts)
            timings["educators"] = time.monotonic() - started
            started = time.monotonic()
            findings = check_visibility(daemon.socket, by_label["viewer by user name"], by_label["educator by user name"],
                                        by_label["coordinator"], fixture, watch, counts)
            timings["visibility"] = time.monotonic() - started
            watch.close()

            started = time.monotonic()
            modes = REFUSED_DATA_MODES_QUICK if quick else REFUSED_DATA_MODES_FULL
            refusals, message = check_data_directory_refusal(work, daemon, modes)
            timings["data directory"] = time.monotonic() - started
            daemon.stop()
        finally:
            daemon.ensure_stopped()
        params_verified = 0
        if verify_params:
            started = time.monotonic()
            params_verified = check_forbidden_params_would_succeed(work, [
                method for method in fixture.forbidden_params() if method not in ("admin.backup",)] + ["admin.backup"])
            timings["forbidden params verified"] = time.monotonic() - started

    if findings.get("viewerLogShowsWithheldDeliverables"):
        say(f"permissions: note: the log shows viewers the deliverables outcome.get withholds, through "
            f"{', '.join(findings['viewerLogShowsWithheldDeliverables'])} (the log is not filtered by role: Protocol/README.md section 7.1)")
    figures.update({
        "methods": len(catalogue),
        "identities": len(clients) + 1,
        "outsiders": len(outsiders),
        "socketChecks": counts.socket_checks,
        "cliChecks": counts.cli_checks,
        "forbiddenChecked": counts.forbidden,
        "allowedChecked": counts.allowed,
        "refusalsThatAppendedNothing": watch.refusals,
        "cliMatrixIdentities": len(cli_identities),
        "matrixCells": counts.matrix_cells,
        "cliMatrixCells": counts.cli_matrix_cells,
        "forbiddenParamsVerified": params_verified,
        "dataDirectoryRefusals": len(refusals),
        "dataDirectoryRefusalMessage": message,
        "secondsByPhase": {name: round(seconds, 1) for name, seconds in timings.items()},
        **findings,
    })
    return figures
