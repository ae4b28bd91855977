"""scripts/torture crash: the daemon killed, stopped and frozen while many clients write domain commands.

16 to 64 clients (threads, each with a connection of its own) write domain commands through the socket,
each command with a unique `requestId`: `question.submit`, `import.questions` (several questions in one
append), `offer.publish`, and state changes on their own questions, offers, proposals and matches
(`question.accept`, `question.publish`, `proposal.create`, `proposal.accept`, `question.withdraw`, `match.cancel`, the desk's
`question.assign` and `note.add`, whose text goes to the personal table in the same transaction, `checkin.record` with a
note that goes to the personal table, `question.merge`, which withdraws the merged question's pending proposal in the same
append, and `organisation.register`), so that
commands of one event and of several events (up to five in one append) are in flight. The texts are Dutch,
with diacritics. Meanwhile the daemon is, round by round:

* **SIGKILL**ed at a random moment (and sometimes killed again while it starts up), then restarted;
* sent **SIGTERM** once (a clean shutdown under load: the daemon must exit 0, and must have answered every
  write it appended), then restarted;
* **SIGSTOP**ped once for one to two seconds and then SIGCONTed (no restart: every client's write must
  complete, nothing may be lost).

A write is *acknowledged* when its `result` reply was received. A connection error means *not
acknowledged* (the write may or may not be in the log); an error reply -32005, or -32002 without `state`
("nothing was written, retry"), means *not appended*. Any other error reply fails the scenario: each client
only touches its own entities, so it knows their state and every command it sends is valid.

Promises checked after every round (after the restart, or after SIGCONT):

* positions gapless from 1 to the head, the prefix read earlier unchanged (same hash), the hash chain linked;
* every event belongs to a write a client sent (by its `requestId`): nothing appears from nowhere;
* every acknowledged write is in the log **exactly once**: one run of consecutive events carrying its
  `requestId`, of the types its command must append, the last at the reply's `position`, the first naming
  the reply's entity; none missing (*lost*), none doubled (*duplicates*);
* a write in flight when the daemon died is all there or not there at all, and a refused one not there;
* every unacknowledged write is retried with its `requestId` (some twice at once, on two connections): the
  retry gets a result, the one the log shows when the first attempt was appended, and the write is then in
  the log exactly once; some acknowledged writes are retried too: the retry must return exactly the first
  result and append nothing;
* every entity a write of the round touched exists and has the status, version and text (diacritics
  included) its client expects (`question.get`, `offer.get`, `proposal.get`, `match.get`);
* `audit.verify` intact at the head; `lmdsd replay --check`: a full offline replay equals the live state.

At the end every entity of every client is compared with the daemon, and the daemon must stop cleanly.

Every random choice (the kind of each round and its order, the moments of the signals, each client's
command mix and texts) comes from the seed, printed at the start. Thread scheduling is not seeded, so a
replay with `--seed` makes the same choices but may cut the load at other commands.

Figures: rounds survived per kind, acknowledged writes and their events checked, retries checked (of
unacknowledged and of acknowledged writes), unacknowledged writes found already appended, lost (must be 0),
duplicates (must be 0), the head, the seed.
"""

import getpass
import json
import random
import signal
import threading
import time
from dataclasses import dataclass

from common import (
    Client,
    Daemon,
    TortureFailure,
    WorkDirectory,
    check,
    offline_replay_check,
    read_all_events,
    say,
    seeded_random,
    status,
)

DESCRIBE = "SIGKILL/SIGTERM/SIGSTOP under 16-64 writing clients: every acknowledged write exactly once, retries never duplicate"

# Rounds and clients: (SIGKILL rounds, clients) for the default and the quick version.
DEFAULT_KILL_ROUNDS, DEFAULT_CLIENTS = 20, 32
QUICK_KILL_ROUNDS, QUICK_CLIENTS = 6, 16
CLIENTS_MAX = 64
# How long the load runs before the signal, in seconds (uniform, from the seed).
LOAD_SECONDS = (0.1, 0.9)
# The SIGSTOP round: load before SIGSTOP, how long the daemon stays frozen, load after SIGCONT.
FREEZE_BEFORE_SECONDS = (0.1, 0.5)
FREEZE_SECONDS = (1.0, 2.0)
FREEZE_AFTER_SECONDS = (0.3, 0.8)
# How likely a SIGKILL round also kills the restarting daemon while it opens the log, and how soon.
STARTUP_KILL_PROBABILITY = 0.3
STARTUP_KILL_SECONDS = (0.0, 0.25)
# After a refusal (-32005 or "nothing was written, retry") a client waits this long and sends the write again.
REFUSAL_PAUSE_SECONDS = 0.05
# In the retry phase: how many refusals a retry may meet before the scenario fails.
RETRY_REFUSALS_MAX = 100
# Acknowledged writes each client retries after each round (their retries must append nothing).
ACKNOWLEDGED_RETRIES_PER_CLIENT = 2
# How likely a retry is sent on two connections at once (both must get the same result, one append).
CONCURRENT_RETRY_PROBABILITY = 0.25
# How long the scenario waits for a client thread to notice the end of its round.
CLIENT_JOIN_SECONDS_MAX = 60.0
# How long SIGTERM may take to stop the daemon under load.
STOP_SECONDS_MAX = 30.0

# The command mix: kind of write and its weight, among the kinds possible in a client's current state.
COMMAND_WEIGHTS = {
    "submit": 4,
    "import": 1,
    "publish": 2,
    "make_public": 1,
    "accept": 4,
    "propose": 3,
    "consent": 4,
    "withdraw": 1,
    "cancel": 1,
    "assign": 2,
    "note": 2,
    "checkin": 2,
    "merge": 1,
    "organisation": 1,
}

# The runner may own questions (issue 11: owners are users the config names as coordinators or admins).
OWNER = getpass.getuser()
# Every event in this scenario must come from a client's write, so the daemon raises no reminders of its own (a
# stalled check-in would raise one at once); scripts/torture notify-crash kills the daemon while reminders fall due.
REMINDER_RULES_OFF = {rule: False for rule in (
    "intakeWaitingDays", "consentWaitingDays", "expiryWarningDays", "notStartedDays", "outcomeMissingDays", "followUpDueDays",
    "milestoneOverdueDays", "matchStalledDays")}
DAEMON_CONFIG = {"roles": {"users": {OWNER: "admin"}}, "reminders": REMINDER_RULES_OFF}
NOTE_TEXTS = ["Gebeld met de bewonersgroep; ze willen pas na de zomer starten.", "Mevrouw Öztürk mailt de coördinator terug, dank je wél"]

# The events each command must append, in order (README section 9); withdraw is decided by the state.
SECOND_CONSENT_EVENTS = ["ProposalConsented", "ProposalAccepted", "MatchAgreed", "QuestionMatched", "OfferFilled"]
CANCEL_EVENTS = ["MatchCancelled", "QuestionReopened", "OfferReopened"]

# Dutch texts, diacritics included, for questions and offers.
QUESTION_TITLES = [
    "Ontmoeting voor alleenwonende ouderen in de Stevenshof",
    "Eenzaamheid in het Bos- en Gasthuisdistrict: wie zien we niet?",
    "Coöperatie voor zonnepanelen op de portiekflats in De Kooi",
    "Hittestress en geveltuinen in D'Oude Morsch",
    "Financiële zorgen bij jonge gezinnen in de Kloosterhof",
    "Een ruïne als ontmoetingsplek? Erfgoed en café in de Pieterswijk",
    "Taalcafé voor nieuwkomers in de Merenwijk: wat werkt wél?",
]
QUESTION_DESCRIPTIONS = [
    "Rond het winkelcentrum zitten ouderen vaak alleen op een bankje. Wij willen weten wat ze missen en "
    "welke vorm van ontmoeting past: een koffieochtend, een wandelgroep of een vaste tafel in een café.",
    "Veel huurders hebben hoge energierekeningen door slecht geïsoleerde woningen. Welke aanpak bereikt "
    "ook de huishoudens die nu niet reageren? Denk aan gesprekken, een analyse en concrete ideeën.",
    "Bewoners willen samen de straat vergroenen, maar weten niet waar te beginnen. Een onderzoek naar "
    "tegels eruit, regenwater en de coördinatie tussen buren, met een advies dat we zelf kunnen uitvoeren.",
    "Naïeve vragen mogen: waarom komt niemand naar het buurthuis? Wij zoeken studenten die met bewoners "
    "praten en een ontwerp maken voor een plek waar iedereen zich thuis voelt, ook Zoë en haar buren.",
]
NEIGHBOURHOODS = ["Stevenshof", "Bos- en Gasthuisdistrict", "Kloosterhof", "De Kooi", "D'Oude Morsch", "Pieterswijk", "Merenwijk"]
REQUESTERS = [
    {"kind": "resident", "name": "Zoë de Wit", "email": "zoe.dewit@example.nl"},
    {"kind": "group", "organisation": "Bewonersgroep Stevenshof", "name": "Gerda van Kesteren"},
    {"kind": "organisation", "organisation": "Stichting Buurtwerk Leiden-Noord", "name": "Anouk Brontë", "phone": "06-21436587"},
    {"kind": "resident"},
    {"kind": "municipality", "organisation": "Gemeente Leiden, team Bos- en Gasthuisdistrict"},
]
THEMES = ["loneliness", "elderly", "sustainability", "climate-adaptation", "poverty", "participation", "housing"]
DISCIPLINES = ["sociology", "social-work", "urban-planning", "environmental-science", "psychology"]
ACCEPTED_TITLE_SUFFIX = " (na intake: coördinatie met de wijkagent)"
OFFER_TEMPLATES = [
    {"title": "Minor Wijkgericht werken in de Stevenshof", "institution": "Hogeschool Leiden", "programme": "Social Work", "level": "hbo", "kind": "minor"},
    {"title": "Onderzoekspracticum: sociale cohesie en eenzaamheid", "institution": "Universiteit Leiden", "programme": "Sociologie (Faculteit der Sociale Wetenschappen)", "level": "wo-bachelor", "kind": "research"},
    {"title": "Stage in het wijkteam Bos- en Gasthuisdistrict", "institution": "mboRijnland", "programme": "Maatschappelijke zorg", "level": "mbo", "kind": "internship"},
    {"title": "Afstuderen op klimaatadaptatie: geveltuinen en hittestress", "institution": "TU Delft", "programme": "Urbanism", "level": "wo-master", "kind": "thesis"},
]
OFFER_DESCRIPTION = (
    "Studenten werken een semester lang in een Leidse wijk aan een vraag van bewoners: ze doen onderzoek, "
    "praten met de buurt en ontwerpen samen een interventie. Coördinatie via de docent; financiële steun is niet nodig."
)
CONTACTS = [{"name": "Bram Jansen", "email": "b.jansen@example.nl"}, {"name": "Maaike Brontë", "phone": "071-5273841"}, None]


@dataclass
class Write:
    """One domain command a client sent, with everything needed to retry and to find it in the log."""

    request_id: str
    client: int
    kind: str
    method: str
    params: dict
    # The event types the command must append, in order (decided from the client's state when planned).
    expected_types: list
    round_sent: int
    result: dict = None
    # True once an attempt ended without a reply (connection lost): it may or may not be in the log.
    possibly_appended: bool = False
    # Whether it was found in the log before it was retried (for unacknowledged writes).
    found_before_retry: bool = False

    def describe(self):
        params = json.dumps(self.params, ensure_ascii=False)
        if len(params) > 240:
            params = params[:240] + "…"
        return f"{self.request_id} (round {self.round_sent}: {self.method} {params}; expected {self.expected_types})"

    def first_entity(self):
        """The entity the first event must name: the reply's id (for an import, its first id)."""
        return self.result["ids"][0] if self.kind == "import" else self.result["id"]


class WritingClient:
    """One writing client: its own connection per round, its own entities and what it knows of them.

    The client keeps a model of its questions, offers, proposals and matches, updated from the replies to
    its acknowledged writes; no other client touches them, so the model must equal the daemon's state."""

    def __init__(self, index, seed):
        self.index = index
        self.seed = seed
        self.serial = 0
        self.questions = {}   # id -> {status, version, title, requester_name, proposal, match}
        self.offers = {}      # id -> {status, version, title, busy}
        self.proposals = {}   # id -> {question, offer, status, version, consents}
        self.matches = {}     # id -> {question, offer, status, version}
        self.acknowledged = []        # every acknowledged Write, in order
        self.pending = None           # the one write sent but not acknowledged (a client is sequential)
        self.touched = {}             # entity ids changed since the last verification (an ordered set)
        self.failures = []            # broken promises found in this client's thread
        self.retries = 0
        self.retries_concurrent = 0
        self.retries_of_acknowledged = 0
        self.retries_of_unacknowledged = 0
        self.found_appended = 0
        self.refusals = {}            # cause (data.cause, or "retry" for -32002) -> how many refusals met
        self.longest_reply_seconds = 0.0

    # ---- planning commands from the model -------------------------------------------------------------

    def next_request_id(self):
        self.serial += 1
        return f"crash-{self.seed}-c{self.index:02d}-{self.serial:05d}"

    def possible_commands(self):
        """The kinds of command valid in the client's current state, with the entities they could act on."""
        questions = self.questions
        candidates = {"submit": [None], "import": [None], "publish": [None], "organisation": [None]}
        candidates["accept"] = [q for q, v in questions.items() if v["status"] == "submitted"]
        free_offers = [o for o, v in self.offers.items() if v["status"] == "published" and not v["busy"]]
        free_questions = [q for q, v in questions.items() if v["status"] == "open" and not v["proposal"] and not v["match"]]
        candidates["propose"] = [(q, o) for q, o in zip(free_questions, free_offers)]
        candidates["consent"] = [p for p, v in self.proposals.items() if v["status"] == "proposed"]
        candidates["make_public"] = [q for q, v in questions.items() if v["status"] in ("open", "matched") and not v.get("public")]
        candidates["withdraw"] = [q for q, v in questions.items() if v["status"] in ("submitted", "open", "matched")]
        candidates["cancel"] = [m for m, v in self.matches.items() if v["status"] == "agreed"]
        candidates["assign"] = [q for q, v in questions.items() if v["status"] in ("submitted", "open", "matched")]
        candidates["note"] = list(questions)
        candidates["checkin"] = [m for m, v in self.matches.items() if v["status"] == "agreed"]
        mergeable = [q for q, v in questions.items() if v["status"] in ("submitted", "open") and not v["match"]]
        candidates["merge"] = [(a, b) for a, b in zip(mergeable[::2], mergeable[1::2])]
        return {kind: targets for kind, targets in candidates.items() if targets}

    def plan(self, rng, round_number):
        """A new write, chosen by the client's random generator among the commands its state allows."""
        candidates = self.possible_commands()
        kinds = list(candidates)
        kind = rng.choices(kinds, weights=[COMMAND_WEIGHTS[k] for k in kinds])[0]
        target = rng.choice(candidates[kind])
        request_id = self.next_request_id()
        builder = getattr(self, f"plan_{kind}")
        method, params, expected_types = builder(rng, target)
        params["requestId"] = request_id
        return Write(request_id, self.index, kind, method, params, expected_types, round_number)

    def question_params(self, rng):
        params = {
            "title": f"{rng.choice(QUESTION_TITLES)} [{self.index}.{self.serial}]",
            "description": rng.choice(QUESTION_DESCRIPTIONS),
            "requester": dict(rng.choice(REQUESTERS)),
            "neighbourhood": rng.choice(NEIGHBOURHOODS),
            "themes": rng.sample(THEMES, rng.randint(0, 2)),
            "disciplines": rng.sample(DISCIPLINES, rng.randint(0, 2)),
        }
        if rng.random() < 0.5:
            params["window"] = {"from": "2027-02-01", "to": rng.choice(["2027-06-30", "2027-07-15"])}
        if rng.random() < 0.5:
            params["size"] = rng.choice(["small", "medium", "large"])
        return params

    def plan_submit(self, rng, _target):
        return "question.submit", self.question_params(rng), ["QuestionSubmitted"]

    def plan_import(self, rng, _target):
        rows = [self.question_params(rng) for _ in range(rng.randint(2, 4))]
        return "import.questions", {"rows": rows}, ["QuestionSubmitted"] * len(rows)

    def plan_publish(self, rng, _target):
        template = rng.choice(OFFER_TEMPLATES)
        params = dict(template, title=f"{template['title']} [{self.index}.{self.serial}]", description=OFFER_DESCRIPTION)
        params["period"] = {"from": "2027-02-01", "to": "2027-06-30", "label": "2026-2027 S2"}
        params["capacity"] = 1  # so that the second consent also fills the offer (five events in one append)
        params["teamSize"] = rng.randint(2, 6)
        params["themes"] = rng.sample(THEMES, rng.randint(1, 2))
        contact = rng.choice(CONTACTS)
        if contact:
            params["contact"] = dict(contact)
        return "offer.publish", params, ["OfferPublished"]

    def plan_accept(self, rng, question):
        params = {"id": question, "expectedVersion": self.questions[question]["version"]}
        if rng.random() < 0.3:
            params["title"] = self.questions[question]["title"][: 200 - len(ACCEPTED_TITLE_SUFFIX.encode())] + ACCEPTED_TITLE_SUFFIX
        return "question.accept", params, ["QuestionAccepted"]

    def plan_make_public(self, _rng, question):
        return "question.publish", {"id": question, "public": True}, ["QuestionPublicationChanged"]

    def plan_propose(self, rng, pair):
        question, offer = pair
        params = {"question": question, "offer": offer}
        if rng.random() < 0.5:
            params["note"] = "Past bij het thema en de periode; coördinatie via de wijkcoördinator."
        return "proposal.create", params, ["ProposalCreated"]

    def plan_consent(self, rng, proposal):
        state = self.proposals[proposal]
        side = rng.choice([s for s in ("requester", "education") if s not in state["consents"]])
        params = {"id": proposal, "side": side, "expectedVersion": state["version"]}
        expected = SECOND_CONSENT_EVENTS if state["consents"] else ["ProposalConsented"]
        return "proposal.accept", params, list(expected)

    def plan_withdraw(self, rng, question):
        state = self.questions[question]
        params = {"id": question, "reason": rng.choice(["Vraag is vervallen: de coöperatie is opgeheven", "Bewoners lossen het zelf op, dank je wél"]),
                  "expectedVersion": state["version"]}
        expected = ["QuestionWithdrawn"]
        if state["proposal"]:
            expected.append("ProposalWithdrawn")
        if state["match"]:
            expected += ["MatchCancelled", "OfferReopened"]
        return "question.withdraw", params, expected

    def plan_cancel(self, rng, match):
        params = {"id": match, "reason": "De planning van de opleiding is gewijzigd; excuses aan de bewoners", "expectedVersion": self.matches[match]["version"]}
        return "match.cancel", params, list(CANCEL_EVENTS)

    def plan_assign(self, rng, question):
        state = self.questions[question]
        owner = None if state.get("owner") else OWNER
        return "question.assign", {"id": question, "owner": owner, "expectedVersion": state["version"]}, ["QuestionAssigned"]

    def plan_merge(self, rng, pair):
        duplicate, survivor = pair
        expected = ["QuestionMerged"] + (["ProposalWithdrawn"] if self.questions[duplicate]["proposal"] else [])
        return "question.merge", {"into": survivor, "from": [duplicate], "reason": "Dubbel ingediend; zie de andere vraag"}, expected

    def plan_organisation(self, rng, _target):
        # A name of this client's own (names are unique once folded), with diacritics.
        name = f"Stichting Buurtcafé Ëlan c{self.index:02d}-{self.serial:05d}"
        params = {"name": name, "kind": rng.choice(["foundation-or-association", "Bewonersgroep", "other"])}
        if rng.random() < 0.5:
            params["neighbourhood"] = "Bos- en Gasthuisdistrict"
        return "organisation.register", params, ["OrganisationRegistered"]

    def plan_note(self, rng, question):
        return "note.add", {"entity": question, "text": rng.choice(NOTE_TEXTS)}, ["NoteAdded"]

    def plan_checkin(self, rng, match):
        params = {"match": match, "health": rng.choice(["on-track", "at-risk", "stalled"])}
        if rng.random() < 0.5:
            params["note"] = "Overleg met de coördinator in café Ëlsa; de planning schuift één week"
        return "checkin.record", params, ["CheckInRecorded"]

    # ---- applying acknowledged results to the model --------------------------------------------------

    def acknowledge(self, write, result):
        """Records `result` as the write's acknowledgement and applies it to the model, checking its shape."""
        write.result = result
        self.acknowledged.append(write)
        getattr(self, f"apply_{write.kind}")(write, result)

    def expect(self, write, condition, what):
        check(condition, f"client {self.index}: the reply to {write.describe()} {what}: {json.dumps(write.result, ensure_ascii=False)}")

    def touch(self, *entity_ids):
        for entity_id in entity_ids:
            if entity_id:
                self.touched[entity_id] = True

    def new_question(self, write, question_id, params):
        self.expect(write, question_id not in self.questions, f"names {question_id}, which the client already had")
        requester = params["requester"]
        self.questions[question_id] = {"status": "submitted", "version": 1, "title": params["title"],
                                       "requester_name": requester.get("name"), "proposal": None, "match": None}
        self.touch(question_id)

    def apply_submit(self, write, result):
        self.expect(write, result.get("status") == "submitted" and result.get("version") == 1, "is not a new submitted question")
        self.new_question(write, result["id"], write.params)

    def apply_import(self, write, result):
        rows = write.params["rows"]
        self.expect(write, result.get("imported") == len(rows) and len(result.get("ids", [])) == len(rows), f"does not list {len(rows)} questions")
        for question_id, row in zip(result["ids"], rows):
            self.new_question(write, question_id, row)

    def apply_publish(self, write, result):
        self.expect(write, result.get("status") == "published" and result.get("version") == 1, "is not a new published offer")
        self.expect(write, result["id"] not in self.offers, "names an offer the client already had")
        self.offers[result["id"]] = {"status": "published", "version": 1, "title": write.params["title"], "busy": False}
        self.touch(result["id"])

    def apply_accept(self, write, result):
        question = self.questions[write.params["id"]]
        self.expect(write, result.get("id") == write.params["id"] and result.get("status") == "open" and result.get("version") == question["version"] + 1,
                    f"is not the question open at version {question['version'] + 1}")
        question.update(status="open", version=result["version"])
        if "title" in write.params:
            question["title"] = write.params["title"]
        self.touch(write.params["id"])

    def apply_make_public(self, write, result):
        question = self.questions[write.params["id"]]
        self.expect(write, result.get("id") == write.params["id"] and result.get("status") == question["status"] and result.get("version") == question["version"],
                    "is not the question, its status and version unchanged")
        question["public"] = True

    def apply_propose(self, write, result):
        question_id, offer_id = write.params["question"], write.params["offer"]
        self.expect(write, result.get("status") == "proposed" and result.get("version") == 1 and result.get("match") is None, "is not a new proposal")
        self.expect(write, result["id"] not in self.proposals, "names a proposal the client already had")
        self.proposals[result["id"]] = {"question": question_id, "offer": offer_id, "status": "proposed", "version": 1, "consents": []}
        self.questions[question_id]["proposal"] = result["id"]
        self.offers[offer_id]["busy"] = True
        self.touch(result["id"], question_id, offer_id)

    def apply_consent(self, write, result):
        proposal_id = write.params["id"]
        proposal = self.proposals[proposal_id]
        proposal["consents"].append(write.params["side"])
        if len(proposal["consents"]) == 1:
            self.expect(write, result.get("id") == proposal_id and result.get("status") == "proposed" and result.get("version") == 2
                        and result.get("match") is None, "is not the proposal consented once (version 2)")
            proposal["version"] = 2
            self.touch(proposal_id)
            return
        self.expect(write, result.get("id") == proposal_id and result.get("status") == "accepted" and result.get("version") == 4
                    and isinstance(result.get("match"), str), "is not the proposal accepted (version 4) with a match")
        match_id = result["match"]
        self.expect(write, match_id not in self.matches, "names a match the client already had")
        proposal.update(status="accepted", version=4)
        question, offer = self.questions[proposal["question"]], self.offers[proposal["offer"]]
        question.update(status="matched", version=question["version"] + 1, proposal=None, match=match_id)
        offer.update(status="full", version=offer["version"] + 1)
        self.matches[match_id] = {"question": proposal["question"], "offer": proposal["offer"], "status": "agreed", "version": 1}
        self.touch(proposal_id, match_id, proposal["question"], proposal["offer"])

    def apply_withdraw(self, write, result):
        question_id = write.params["id"]
        question = self.questions[question_id]
        self.expect(write, result.get("id") == question_id and result.get("status") == "withdrawn" and result.get("version") == question["version"] + 1,
                    f"is not the question withdrawn at version {question['version'] + 1}")
        if question["proposal"]:
            proposal = self.proposals[question["proposal"]]
            proposal.update(status="withdrawn", version=proposal["version"] + 1)
            self.offers[proposal["offer"]]["busy"] = False
            self.touch(question["proposal"], proposal["offer"])
        if question["match"]:
            match = self.matches[question["match"]]
            match.update(status="cancelled", version=match["version"] + 1)
            offer = self.offers[match["offer"]]
            offer.update(status="published", version=offer["version"] + 1, busy=False)
            self.touch(question["match"], match["offer"])
        question.update(status="withdrawn", version=result["version"], proposal=None, match=None)
        self.touch(question_id)

    def apply_assign(self, write, result):
        question = self.questions[write.params["id"]]
        self.expect(write, result.get("id") == write.params["id"] and result.get("owner") == write.params["owner"]
                    and result.get("version") == question["version"] + 1, f"is not the question assigned at version {question['version'] + 1}")
        question.update(version=result["version"], owner=write.params["owner"])
        self.touch(write.params["id"])

    def apply_merge(self, write, result):
        duplicate_id, survivor_id = write.params["from"][0], write.params["into"]
        self.expect(write, result.get("id") == survivor_id and result.get("merged") == [duplicate_id], "is not the survivor of the merge")
        duplicate = self.questions[duplicate_id]
        if duplicate["proposal"]:
            proposal = self.proposals[duplicate["proposal"]]
            proposal.update(status="withdrawn", version=proposal["version"] + 1)
            self.offers[proposal["offer"]]["busy"] = False
            self.touch(duplicate["proposal"], proposal["offer"])
        duplicate.update(status="merged", version=duplicate["version"] + 1, proposal=None)
        self.touch(duplicate_id, survivor_id)

    def apply_organisation(self, write, result):
        self.expect(write, str(result.get("id", "")).startswith("G-") and result.get("status") == "registered" and result.get("version") == 1,
                    "is not a new registered organisation")

    def apply_note(self, write, result):
        self.expect(write, str(result.get("id", "")).startswith("N-") and result.get("status") == "kept"
                    and result.get("entity") == write.params["entity"], "is not a new note on the question")

    def apply_cancel(self, write, result):
        match_id = write.params["id"]
        match = self.matches[match_id]
        self.expect(write, result.get("id") == match_id and result.get("status") == "cancelled" and result.get("version") == match["version"] + 1,
                    "is not the match cancelled")
        match.update(status="cancelled", version=result["version"])
        question, offer = self.questions[match["question"]], self.offers[match["offer"]]
        question.update(status="open", version=question["version"] + 1, match=None)
        offer.update(status="published", version=offer["version"] + 1, busy=False)
        self.touch(match_id, match["question"], match["offer"])

    def apply_checkin(self, write, result):
        match_id = write.params["match"]
        match = self.matches[match_id]
        self.expect(write, result.get("id") == match_id and result.get("status") == match["status"] and result.get("version") == match["version"],
                    "is not the match, unchanged by its check-in")
        self.touch(match_id)

    # ---- sending ------------------------------------------------------------------------------------------

    def send(self, connection, write):
        """One attempt: the result (acknowledged), "refused" (not appended) or "lost" (connection error)."""
        started = time.monotonic()
        try:
            reply = connection.call(write.method, write.params)
        except OSError:
            # The daemon died (or closed the connection): the write may or may not be in the log. (A reply
            # line that is not JSON is no such thing: its ValueError fails the scenario.)
            write.possibly_appended = True
            return "lost"
        self.longest_reply_seconds = max(self.longest_reply_seconds, time.monotonic() - started)
        if "result" in reply:
            return reply["result"]
        error = reply.get("error", {})
        if is_refusal(error):
            cause = (error.get("data") or {}).get("cause", "retry")
            self.refusals[cause] = self.refusals.get(cause, 0) + 1
            return "refused"
        raise TortureFailure(f"client {self.index}: {write.describe()} was refused: {json.dumps(error, ensure_ascii=False)}")

    def load(self, socket_path, rng, round_number, ready, stop):
        """Writes until the connection breaks or `stop` is set; the write in flight then becomes `pending`."""
        try:
            try:
                connection = Client(socket_path)
            except OSError as error:
                ready.abort()
                raise TortureFailure(f"client {self.index} could not connect: {error}")
            with connection:
                ready.wait()
                write = None
                while not stop.is_set():
                    if write is None:
                        write = self.plan(rng, round_number)
                    outcome = self.send(connection, write)
                    if outcome == "lost":
                        break
                    if outcome == "refused":
                        time.sleep(REFUSAL_PAUSE_SECONDS)
                        continue
                    self.acknowledge(write, outcome)
                    write = None
                self.pending = write
        except TortureFailure as failure:
            self.failures.append(str(failure))
        except Exception as error:  # a bug here must fail the scenario, not vanish with the thread
            self.failures.append(f"client {self.index}: {type(error).__name__}: {error}")

    # ---- retrying after the round -----------------------------------------------------------------------

    def retry_once(self, socket_path, connection, rng, write):
        """Sends `write` again (sometimes on two connections at once); returns its result."""
        if rng.random() < CONCURRENT_RETRY_PROBABILITY:
            first, second = send_twice_at_once(socket_path, write.method, write.params)
            self.retries += 2
            self.retries_concurrent += 1
            for reply in (first, second):
                check("result" in reply, f"client {self.index}: a concurrent retry of {write.describe()} failed: {json.dumps(reply, ensure_ascii=False)}")
            check(first["result"] == second["result"],
                  f"client {self.index}: two concurrent retries of {write.describe()} got different results: {first['result']} and {second['result']}")
            return first["result"]
        for _ in range(RETRY_REFUSALS_MAX):
            self.retries += 1
            outcome = self.send(connection, write)
            check(outcome != "lost", f"client {self.index}: the daemon dropped the connection while {write.describe()} was retried")
            if outcome != "refused":
                return outcome
            time.sleep(REFUSAL_PAUSE_SECONDS)
        raise TortureFailure(f"client {self.index}: the retry of {write.describe()} was refused {RETRY_REFUSALS_MAX} times")

    def retry(self, socket_path, rng, blocks):
        """Retries the pending write and a few acknowledged ones, checking each result."""
        try:
            with Client(socket_path) as connection:
                write = self.pending
                if write is not None:
                    result = self.retry_once(socket_path, connection, rng, write)
                    self.retries_of_unacknowledged += 1
                    if write.found_before_retry:
                        found = blocks[write.request_id]
                        entity = result["ids"][0] if write.kind == "import" else result.get("id")
                        check(result.get("position") == found[-1][0] and entity == found[0][2],
                              f"client {self.index}: the retry of {write.describe()}, which the log holds at positions "
                              f"{found[0][0]}..{found[-1][0]} naming {found[0][2]}, returned another result: {result}")
                        self.found_appended += 1
                    self.pending = None
                    self.acknowledge(write, result)
                sample = rng.sample(self.acknowledged, min(ACKNOWLEDGED_RETRIES_PER_CLIENT, len(self.acknowledged)))
                for write in sample:
                    result = self.retry_once(socket_path, connection, rng, write)
                    self.retries_of_acknowledged += 1
                    check(result == write.result, f"client {self.index}: the retry of the acknowledged {write.describe()} returned "
                          f"{json.dumps(result, ensure_ascii=False)}, not the first result {json.dumps(write.result, ensure_ascii=False)}")
        except TortureFailure as failure:
            self.failures.append(str(failure))
        except Exception as error:
            self.failures.append(f"client {self.index}: {type(error).__name__}: {error}")

    # ---- comparing the model with the daemon ------------------------------------------------------------

    def compare(self, socket_path, entity_ids):
        """Reads each entity and compares it with the model; returns how many were compared."""
        compared = 0
        try:
            with Client(socket_path) as connection:
                for entity_id in entity_ids:
                    method, model = self.model_of(entity_id)
                    reply = connection.call(method, {"id": entity_id})
                    check("result" in reply, f"client {self.index}: {method} {entity_id} failed: {json.dumps(reply.get('error'), ensure_ascii=False)}")
                    live = reply["result"]
                    expected = {"id": entity_id, "status": model["status"], "version": model["version"]}
                    actual = {"id": live.get("id"), "status": live.get("status"), "version": live.get("version")}
                    if "title" in model:
                        expected["title"], actual["title"] = model["title"], live.get("title")
                    if method == "question.get":
                        expected["requester.name"], actual["requester.name"] = model["requester_name"], live.get("requester", {}).get("name")
                    check(actual == expected, f"client {self.index}: {entity_id} is {json.dumps(actual, ensure_ascii=False)} "
                          f"in the daemon, but the acknowledged writes make it {json.dumps(expected, ensure_ascii=False)}")
                    compared += 1
        except TortureFailure as failure:
            self.failures.append(str(failure))
        except Exception as error:
            self.failures.append(f"client {self.index}: {type(error).__name__}: {error}")
        return compared

    def model_of(self, entity_id):
        if entity_id.startswith("Q-"):
            return "question.get", self.questions[entity_id]
        if entity_id.startswith("O-"):
            return "offer.get", self.offers[entity_id]
        if entity_id.startswith("P-"):
            return "proposal.get", self.proposals[entity_id]
        return "match.get", self.matches[entity_id]

    def all_entities(self):
        return list(self.questions) + list(self.offers) + list(self.proposals) + list(self.matches)


def is_refusal(error):
    """Whether an error reply says that nothing was appended and the same request may be sent again."""
    data = error.get("data") or {}
    return error.get("code") == -32005 or (error.get("code") == -32002 and "state" not in data)


def send_twice_at_once(socket_path, method, params):
    """The same request on two connections, both sent before either reply is read."""
    line = json.dumps({"jsonrpc": "2.0", "id": "retry", "method": method, "params": params}, ensure_ascii=False).encode("utf-8") + b"\n"
    with Client(socket_path) as first, Client(socket_path) as second:
        first.send_raw(line)
        second.send_raw(line)
        replies = (first.read_message(), second.read_message())
    check(None not in replies, f"the daemon closed a connection before answering a concurrent retry of {method}")
    return replies


def run_threads(targets):
    """Runs each (function, arguments) in a thread of its own and waits for all of them."""
    threads = [threading.Thread(target=function, args=arguments, daemon=True) for function, arguments in targets]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + CLIENT_JOIN_SECONDS_MAX
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    check(not any(thread.is_alive() for thread in threads), f"a client thread did not finish within {CLIENT_JOIN_SECONDS_MAX} s (a hang)")


class Ledger:
    """The log as read so far: the head, its hash, and the events of each requestId.

    Each verification reads only the new events, starting at the last verified head to check that the
    prefix was not rewritten (same hash), and that the chain and the positions go on without a gap."""

    def __init__(self):
        self.head = 0
        self.head_hash = "0" * 64
        self.blocks = {}  # requestId -> [(position, type, first entity)]

    def catch_up(self, socket_path, known_request_ids):
        head = status(socket_path)["position"]
        events = read_all_events(socket_path, start=max(1, self.head))
        if self.head > 0:
            check(events and events[0]["position"] == self.head and events[0]["hash"] == self.head_hash,
                  f"the event at the verified head {self.head} changed or vanished")
            events = events[1:]
        for event in events:
            position = event["position"]
            check(position == self.head + 1, f"a gap in the positions: {position} follows {self.head}")
            check(event["previousHash"] == self.head_hash, f"the chain is broken at position {position}")
            request_id = event["requestId"]
            check(request_id is not None, f"an event without requestId at position {position} ({event['type']}): no client sent it")
            check(request_id in known_request_ids, f"an event of an unknown requestId {request_id} at position {position} ({event['type']})")
            entity = event["entities"][0] if event["entities"] else None
            self.blocks.setdefault(request_id, []).append((position, event["type"], entity))
            self.head, self.head_hash = position, event["hash"]
        check(self.head == head, f"system.status says the head is {head}, but events.read ends at {self.head}")
        return len(events)


def block_problem(write, found):
    """What is wrong with the events `found` for an acknowledged write: None, "lost", "duplicate" or a sentence."""
    if not found:
        return "lost"
    types = [event_type for _, event_type, _ in found]
    if len(found) > len(write.expected_types):
        return "duplicate"
    if types != write.expected_types:
        return f"the log holds {types}, not {write.expected_types}"
    positions = [position for position, _, _ in found]
    if positions != list(range(positions[0], positions[0] + len(positions))):
        return f"its events are not consecutive: positions {positions}"
    if positions[-1] != write.result.get("position"):
        return f"its last event is at position {positions[-1]}, the reply said {write.result.get('position')}"
    if found[0][2] != write.first_entity():
        return f"its first event names {found[0][2]}, the reply {write.first_entity()}"
    return None


class Scenario:
    """One run: the work directory, the daemon, the clients and the figures."""

    def __init__(self, arguments):
        self.quick = arguments.quick
        self.kill_rounds = arguments.rounds if arguments.rounds is not None else (QUICK_KILL_ROUNDS if self.quick else DEFAULT_KILL_ROUNDS)
        self.client_count = arguments.clients if arguments.clients is not None else (QUICK_CLIENTS if self.quick else DEFAULT_CLIENTS)
        check(0 <= self.kill_rounds <= 1000, "--rounds must be between 0 and 1000")
        check(1 <= self.client_count <= CLIENTS_MAX, f"--clients must be between 1 and {CLIENTS_MAX} (the contract asks for 16 to 64)")
        self.seed, self.random = seeded_random(arguments.seed, "crash")
        # The command that replays this run's choices, for the failure message.
        self.rerun = f"scripts/torture crash --seed {self.seed}" + (" --quick" if self.quick else "")
        self.rerun += f" --rounds {arguments.rounds}" if arguments.rounds is not None else ""
        self.rerun += f" --clients {arguments.clients}" if arguments.clients is not None else ""
        self.clients = [WritingClient(index, self.seed) for index in range(self.client_count)]
        self.ledger = Ledger()
        self.work = None
        self.daemon = None
        self.rounds_survived = {"sigkill": 0, "sigterm": 0, "sigstop": 0}
        self.startup_kills = 0
        self.replay_checks = 0
        self.entities_compared = 0
        self.round_number = 0
        self.frozen_longest_reply_seconds = None

    # ---- the run --------------------------------------------------------------------------------------

    def run(self):
        kinds = ["sigkill"] * self.kill_rounds + ["sigterm", "sigstop"]
        self.random.shuffle(kinds)
        say(f"crash: {self.client_count} clients, rounds {' '.join(kinds)}")
        self.work = WorkDirectory(prefix="lmds-torture-crash.")
        try:
            self.daemon = Daemon(self.work, config=DAEMON_CONFIG).start()
            for kind in kinds:
                self.round_number += 1
                started = time.monotonic()
                summary = getattr(self, f"round_{kind}")()
                written = self.verify(kind)
                self.rounds_survived[kind] += 1
                say(f"crash round {self.round_number}/{len(kinds)} {kind}: {summary}; {written}; "
                    f"{time.monotonic() - started:.1f} s")
            self.final_check()
            code = self.daemon.stop(STOP_SECONDS_MAX)
            check(code == 0, f"lmdsd exited with {code} after the final SIGTERM:\n{self.daemon.log_tail()}")
        except TortureFailure as failure:
            log = self.daemon.log_tail() if self.daemon else "(no daemon)"
            if self.daemon:
                self.daemon.ensure_stopped()
            raise TortureFailure(f"round {self.round_number}, seed {self.seed} (rerun: {self.rerun}): {failure}\n"
                                 f"work directory kept: {self.work.path}\ndaemon log:\n{log}") from None
        except BaseException:
            if self.daemon:
                self.daemon.ensure_stopped()
            raise
        self.work.remove()
        return self.figures()

    def load(self, signal_the_daemon):
        """Runs every client's load in a thread; `signal_the_daemon(stop)` acts on the daemon meanwhile."""
        ready = threading.Barrier(self.client_count + 1, timeout=CLIENT_JOIN_SECONDS_MAX)
        stop = threading.Event()
        generators = [self.random.getrandbits(64) for _ in self.clients]
        threads = []
        for client, generator_seed in zip(self.clients, generators):
            # One generator per client and round, drawn from the scenario's seed.
            arguments = (self.daemon.socket, random.Random(generator_seed), self.round_number, ready, stop)
            threads.append(threading.Thread(target=client.load, args=arguments, daemon=True))
        acknowledged_before = sum(len(client.acknowledged) for client in self.clients)
        for thread in threads:
            thread.start()
        try:
            ready.wait()
        except threading.BrokenBarrierError:
            stop.set()
            self.raise_client_failures()
            raise TortureFailure("the clients did not all connect")
        try:
            signal_the_daemon(stop)
        finally:
            stop.set()
            deadline = time.monotonic() + CLIENT_JOIN_SECONDS_MAX
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
        check(not any(thread.is_alive() for thread in threads), f"a client did not finish within {CLIENT_JOIN_SECONDS_MAX} s of its round's end (a hang)")
        self.raise_client_failures()
        acknowledged = sum(len(client.acknowledged) for client in self.clients) - acknowledged_before
        in_flight = sum(1 for client in self.clients if client.pending is not None)
        return acknowledged, in_flight

    def round_sigkill(self):
        delay = self.random.uniform(*LOAD_SECONDS)
        kill_at_startup = self.random.random() < STARTUP_KILL_PROBABILITY
        startup_delay = self.random.uniform(*STARTUP_KILL_SECONDS)

        def kill(_stop):
            time.sleep(delay)
            self.daemon.kill()

        acknowledged, in_flight = self.load(kill)
        summary = f"SIGKILL after {delay:.2f} s: {acknowledged} acknowledged, {in_flight} in flight"
        if kill_at_startup:
            starting = Daemon(self.work, config=DAEMON_CONFIG).start(wait=False)
            time.sleep(startup_delay)
            starting.kill()
            self.startup_kills += 1
            summary += f"; killed again {startup_delay:.2f} s into its restart"
        self.daemon = Daemon(self.work, config=DAEMON_CONFIG).start()
        return summary

    def round_sigterm(self):
        delay = self.random.uniform(*LOAD_SECONDS)
        codes = []

        def terminate(_stop):
            time.sleep(delay)
            codes.append(self.daemon.stop(STOP_SECONDS_MAX))

        refusals_before = self.refusal_count()
        acknowledged, in_flight = self.load(terminate)
        check(codes == [0], f"lmdsd exited with {codes[0] if codes else 'nothing'} after SIGTERM under load, not 0:\n{self.daemon.log_tail()}")
        refusals = self.refusal_count() - refusals_before
        self.daemon = Daemon(self.work, config=DAEMON_CONFIG).start()
        return f"SIGTERM after {delay:.2f} s: exit 0, {acknowledged} acknowledged, {in_flight} in flight, {refusals} refused"

    def round_sigstop(self):
        before = self.random.uniform(*FREEZE_BEFORE_SECONDS)
        frozen = self.random.uniform(*FREEZE_SECONDS)
        after = self.random.uniform(*FREEZE_AFTER_SECONDS)
        for client in self.clients:
            client.longest_reply_seconds = 0.0

        def freeze(stop):
            time.sleep(before)
            self.daemon.signal(signal.SIGSTOP)
            time.sleep(frozen)
            self.daemon.signal(signal.SIGCONT)
            time.sleep(after)
            stop.set()

        acknowledged, in_flight = self.load(freeze)
        check(self.daemon.running(), f"lmdsd died after SIGSTOP and SIGCONT:\n{self.daemon.log_tail()}")
        lost = [client.pending.describe() for client in self.clients if client.pending is not None and client.pending.possibly_appended]
        check(not lost, f"{len(lost)} writes got no reply across SIGSTOP/SIGCONT, e.g. {lost[:3]}")
        longest = max(client.longest_reply_seconds for client in self.clients)
        self.frozen_longest_reply_seconds = round(longest, 2)
        return f"SIGSTOP {frozen:.2f} s after {before:.2f} s, then {after:.2f} s of load: {acknowledged} acknowledged, longest reply {longest:.2f} s"

    # ---- checks -----------------------------------------------------------------------------------------

    def refusal_count(self):
        return sum(sum(client.refusals.values()) for client in self.clients)

    def raise_client_failures(self):
        failures = [failure for client in self.clients for failure in client.failures]
        if failures:
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise TortureFailure(failures[0] + more)

    def known_request_ids(self):
        known = set()
        for client in self.clients:
            known.update(write.request_id for write in client.acknowledged)
            if client.pending is not None:
                known.add(client.pending.request_id)
        return known

    def check_writes(self):
        """Every acknowledged write exactly once, every unacknowledged one all or nothing; returns (writes, events)."""
        lost, duplicates, wrong = [], [], []
        writes = events = 0
        blocks = self.ledger.blocks
        for client in self.clients:
            for write in client.acknowledged:
                problem = block_problem(write, blocks.get(write.request_id, []))
                if problem == "lost":
                    lost.append(write)
                elif problem == "duplicate":
                    duplicates.append(write)
                elif problem:
                    wrong.append(f"{write.describe()}: {problem}")
                writes += 1
                events += len(write.expected_types)
            write = client.pending
            if write is not None:
                # In flight when the daemon died: all of it in the log, or nothing (and nothing when refused).
                found = blocks.get(write.request_id, [])
                types = [event_type for _, event_type, _ in found]
                write.found_before_retry = bool(found)
                if len(found) > len(write.expected_types):
                    duplicates.append(write)
                elif found and types != write.expected_types:
                    wrong.append(f"{write.describe()} is partly in the log: {types}")
                if found and not write.possibly_appended:
                    wrong.append(f"{write.describe()} was refused, yet the log holds it at {found[0][0]}")
        problems = []
        if lost:
            problems.append(f"{len(lost)} acknowledged writes LOST, e.g. " + "; ".join(w.describe() + f" -> {w.result}" for w in lost[:3]))
        if duplicates:
            problems.append(f"{len(duplicates)} writes DUPLICATED, e.g. " + "; ".join(
                f"{w.describe()} at {[p for p, _, _ in blocks[w.request_id]]}" for w in duplicates[:3]))
        if wrong:
            problems.append(f"{len(wrong)} writes wrong in the log, e.g. " + "; ".join(wrong[:3]))
        check(not problems, "\n".join(problems))
        return writes, events

    def verify(self, kind):
        """Everything a round must leave true; retries the unacknowledged writes and some acknowledged ones."""
        socket_path = self.daemon.socket
        self.ledger.catch_up(socket_path, self.known_request_ids())
        self.check_writes()
        pending = sum(1 for client in self.clients if client.pending is not None)
        found = [client.pending for client in self.clients if client.pending is not None and client.pending.found_before_retry]
        # A clean shutdown answers every request it admitted (README section 6, shuttingDown): a write in the
        # log whose client got no reply was appended and never answered.
        check(kind != "sigterm" or not found, f"{len(found)} writes were appended but never answered before the daemon stopped "
              f"on SIGTERM, e.g. {found[0].describe() if found else ''}")
        # A retried write not yet in the log must now append its events once; every other retry nothing.
        expected_retry_events = sum(len(client.pending.expected_types) for client in self.clients
                                    if client.pending is not None and not client.pending.found_before_retry)
        generators = [self.random.getrandbits(64) for _ in self.clients]
        run_threads([(client.retry, (socket_path, random.Random(seed), self.ledger.blocks)) for client, seed in zip(self.clients, generators)])
        self.raise_client_failures()
        retry_events = self.ledger.catch_up(socket_path, self.known_request_ids())
        check(all(client.pending is None for client in self.clients), "a write is still unacknowledged after its retry")
        writes, events = self.check_writes()
        check(retry_events == expected_retry_events,
              f"the retries appended {retry_events} events, the writes they completed have {expected_retry_events}")
        # The entities this round touched, read back and compared with the clients' models.
        touched = [(client, list(client.touched)) for client in self.clients]
        counts = [0] * len(self.clients)

        def compare(client, entity_ids):
            counts[client.index] = client.compare(socket_path, entity_ids)

        run_threads([(compare, (client, entity_ids)) for client, entity_ids in touched])
        self.raise_client_failures()
        self.entities_compared += sum(counts)
        for client in self.clients:
            client.touched = {}
        with Client(socket_path) as connection:
            audit = connection.result("audit.verify")
        check(audit["intact"] and audit["headPosition"] == self.ledger.head and audit["headHash"] == self.ledger.head_hash,
              f"audit.verify: {json.dumps(audit)} (the head read is {self.ledger.head} {self.ledger.head_hash})")
        offline_replay_check(self.daemon.data, socket_path)
        self.replay_checks += 1
        check(self.daemon.running(), f"lmdsd exited during the checks:\n{self.daemon.log_tail()}")
        return (f"{pending} retried ({len(found)} were already in the log, {retry_events} events appended by retries); "
                f"{writes} writes / {events} events checked, {sum(counts)} entities compared, head {self.ledger.head}, replay equal")

    def final_check(self):
        """Every entity of every client, read back and compared with the client's model."""
        counts = [0] * len(self.clients)

        def compare(client):
            counts[client.index] = client.compare(self.daemon.socket, client.all_entities())

        run_threads([(compare, (client,)) for client in self.clients])
        self.raise_client_failures()
        self.entities_compared += sum(counts)
        say(f"crash: final check: {sum(counts)} entities equal to what the acknowledged writes make them")

    def figures(self):
        acknowledged = [write for client in self.clients for write in client.acknowledged]
        kinds, refusals = {}, {}
        for write in acknowledged:
            kinds[write.kind] = kinds.get(write.kind, 0) + 1
        for client in self.clients:
            for cause, count in client.refusals.items():
                refusals[cause] = refusals.get(cause, 0) + count
        return {
            "seed": self.seed,
            "clients": self.client_count,
            "rounds_survived": dict(self.rounds_survived),
            "startup_kills": self.startup_kills,
            "acknowledged_writes_checked": len(acknowledged),
            "acknowledged_events_checked": sum(len(write.expected_types) for write in acknowledged),
            "writes_per_kind": kinds,
            "multi_event_writes": sum(1 for write in acknowledged if len(write.expected_types) > 1),
            "retries_checked": sum(client.retries for client in self.clients),
            "unacknowledged_retried": sum(client.retries_of_unacknowledged for client in self.clients),
            "unacknowledged_found_appended": sum(client.found_appended for client in self.clients),
            "acknowledged_retried": sum(client.retries_of_acknowledged for client in self.clients),
            "concurrent_retries": sum(client.retries_concurrent for client in self.clients),
            "refusals": refusals,
            "frozen_longest_reply_seconds": self.frozen_longest_reply_seconds,
            "entities_compared": self.entities_compared,
            "replay_checks": self.replay_checks,
            "head": self.ledger.head,
            # Every verification fails the scenario on the first lost or duplicated write, so a run that
            # returns figures found none (a failing run names them, with the seed to replay it).
            "lost": 0,
            "duplicates": 0,
        }


def add_arguments(parser):
    parser.add_argument("--rounds", type=int, default=None,
                        help=f"SIGKILL rounds, besides one SIGTERM and one SIGSTOP round (default {DEFAULT_KILL_ROUNDS}, quick {QUICK_KILL_ROUNDS})")
    parser.add_argument("--clients", type=int, default=None,
                        help=f"concurrent writing clients, up to {CLIENTS_MAX} (default {DEFAULT_CLIENTS}, quick {QUICK_CLIENTS})")


def run(arguments):
    return Scenario(arguments).run()
