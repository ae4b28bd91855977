"""scripts/torture fuzz: a seeded fuzzer against the real lmdsd socket.

It sends what no well-behaved client would: broken JSON, invalid UTF-8, NUL bytes, 10 MiB lines, 100,000-deep
nesting, huge numbers, a wrongly typed value for every param of every method (params from Protocol/methods/*.md,
methods from system.methods), batches, bit flips, truncations, duplications and splices of valid requests, lines
dripped a few bytes at a time, pipelines, several connections at once, half lines followed by a hang-up or a
half-close, readers that read nothing for a while, and thousands of connect and disconnect cycles.
The promises checked (Protocol/README.md sections 2 to 6):

* every line gets exactly the replies the protocol owes it, each a well-formed JSON-RPC 2.0 reply in canonical
  form: an error object (`code` integer, `message` string, `data` object) or a result, with the request's id (or
  null when the id could not be read); a batch gets one array in request order; a notification gets nothing;
  -32603 (a bug by definition) is never sent. The oracle is a strict parser written here that mirrors the
  daemon's rules (UTF-8, depth 64, finite numbers, no duplicate names, no lone surrogates, lines of at most
  1 MiB), so "must fail with -32700" and "must echo id 7" are exact; a wrongly typed param must be -32602 naming it;
* the daemon stays up: the sentinel `system.ping` after each case is answered, and a ping on a fresh connection
  after each group of cases; a client that reads nothing meets back-pressure instead of unbounded buffering;
* nothing is appended for what was refused: after each group, every new event must carry the `requestId` of a
  request that got a result (or was sent as a notification, which gets no reply to tell); at the end the hash
  chain is intact (`audit.verify`) and an offline replay of the log gives the daemon's read models;
* memory stays bounded (VmRSS start, peak and end; the peak at most 256 MiB over the start), and connections and
  file descriptors go back to where they were.

Every case is generated from (seed, case number) alone, so `--seed S --case K` replays one case on a fresh daemon.
A failure names the case, its category, the bytes sent (and a file with all of them), and the replay command.
"""

import copy
import glob
import json
import math
import os
import random
import re
import selectors
import socket
import time

from common import Daemon, TortureFailure, WorkDirectory, demo_data, offline_replay_check, say, seeded_random

DESCRIBE = ("seeded fuzzer: broken JSON, invalid UTF-8, NUL bytes, 10 MiB lines, deep nesting, wrong types, "
            "batches, mutations, hang-ups and connect storms; every reply well-formed, nothing appended, memory bounded")

# The protocol's limits (Protocol/README.md section 5) at the daemon's defaults.
LINE_BYTES_MAX = 1 << 20
BATCH_REQUESTS_MAX = 100
JSON_DEPTH_MAX = 64
# Every error code the daemon may send (section 6); -32603 is listed but is a bug by definition.
ERROR_CODES = {-32700, -32600, -32601, -32602, -32603, -32001, -32002, -32003, -32004, -32005}
INTERNAL_ERROR = -32603
# Methods that may append: the catalogue's domain writes plus these two (section "methods served today").
APPENDING_METHODS_EXTRA = {"match.plan", "admin.backup"}
# Never generated with a `path`: a mutated path would make the daemon (running as root) write anywhere.
UNSAFE_METHOD = "admin.backup"

# How many cases a run has, and how big the heavy ones are.
CASES_QUICK = 1500
CASES_DEFAULT = 6000
CONNECT_CYCLES_PER_CASE = 250
LONG_LINE_BYTES = 10 << 20
# A generous bound on the daemon's growth in resident memory over the run.
MEMORY_GROWTH_KIB_MAX = 256 * 1024
# How long the daemon may take to answer one case (a hang fails the run).
CASE_SECONDS_MAX = 30.0

# The schedule: case K has category SCHEDULE[K % len(SCHEDULE)]; a group of cases is one pass over it, after which
# the daemon's liveness, log position and memory are checked. "heavy" rotates through HEAVY_ROTATION.
SCHEDULE_COUNTS = [
    ("mutation", 14), ("wrong-types", 8), ("broken-json", 5), ("invalid-utf8", 4), ("batch", 4),
    ("huge-numbers", 3), ("envelope", 3), ("nul-bytes", 2), ("random-bytes", 2), ("deep-nesting", 1),
    ("drip", 1), ("pipeline", 1), ("parallel", 1), ("hang-ups", 1), ("heavy", 1),
]
HEAVY_ROTATION = ["connect-cycles", "long-line", "slow-reader", "connect-cycles", "long-line", "boundary-lines"]


def build_schedule():
    """The categories spread evenly over one pass (deterministic: replays depend on it)."""
    total = sum(count for _, count in SCHEDULE_COUNTS)
    slots = []
    for name, count in SCHEDULE_COUNTS:
        for index in range(count):
            slots.append(((index + 0.5) / count, name))
    slots.sort(key=lambda slot: slot[0])
    schedule = [name for _, name in slots]
    assert len(schedule) == total
    return schedule


SCHEDULE = build_schedule()
CATEGORIES = sorted({name for name, _ in SCHEDULE_COUNTS if name != "heavy"} | set(HEAVY_ROTATION))


def category_and_ordinal(case_number):
    """The category of a case and how many cases of that schedule slot came before it (for enumerations)."""
    cycle, slot = divmod(case_number, len(SCHEDULE))
    name = SCHEDULE[slot]
    ordinal = cycle * SCHEDULE.count(name) + SCHEDULE[:slot].count(name)
    if name == "heavy":
        return HEAVY_ROTATION[ordinal % len(HEAVY_ROTATION)], ordinal // len(HEAVY_ROTATION)
    return name, ordinal


def add_arguments(parser):
    parser.add_argument("--cases", type=int, default=None,
                        help=f"how many cases (default {CASES_DEFAULT}, with --quick {CASES_QUICK})")
    parser.add_argument("--case", type=int, default=None,
                        help="replay only this case (with --seed), on a fresh daemon, and print its bytes")


# ---------------------------------------------------------------------------------------------------------------
# The oracle: what the daemon owes each line.
# ---------------------------------------------------------------------------------------------------------------

class NotValidJSON(Exception):
    """The daemon's parser must refuse the line (-32700)."""


def parse_like_daemon(line):
    """The line's value as the daemon's strict parser reads it, or NotValidJSON when that parser must refuse it.

    Python's json module is more lenient than the daemon (NaN, duplicate names, any depth, inf, lone surrogates),
    so the hooks below mark what the daemon refuses; what Python refuses the daemon refuses too."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise NotValidJSON("invalid UTF-8") from None

    def on_pairs(pairs):
        names = [name for name, _ in pairs]
        if len(set(names)) != len(names):
            raise NotValidJSON("duplicate member name")
        return dict(pairs)

    def on_constant(name):
        raise NotValidJSON(f"literal {name}")

    def on_integer(digits):
        # More than 330 characters is beyond 1e328, out of the finite double range; int() would also refuse
        # more than 4300 digits.
        if len(digits) > 330:
            raise NotValidJSON("number out of range")
        value = int(digits)
        if not -(1 << 63) <= value < (1 << 63):
            try:
                float(value)
            except OverflowError:
                raise NotValidJSON("number out of range") from None
        return value

    def on_fraction(digits):
        value = float(digits)
        if not math.isfinite(value):
            raise NotValidJSON("number out of range")
        return value

    try:
        value = json.loads(text, object_pairs_hook=on_pairs, parse_constant=on_constant,
                           parse_int=on_integer, parse_float=on_fraction)
    except (ValueError, RecursionError) as error:
        raise NotValidJSON(str(error)[:80]) from None
    if nesting_depth(value) > JSON_DEPTH_MAX:
        raise NotValidJSON("too deep")
    if holds_lone_surrogate(value):
        raise NotValidJSON("lone surrogate")
    return value


def nesting_depth(value):
    """Arrays and objects nested in `value`, the outermost counting 1 (the daemon's depth)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def holds_lone_surrogate(value):
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if any(0xD800 <= ord(character) <= 0xDFFF for character in item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def is_valid_id(value):
    return value is None or isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))


class Owed:
    """One reply the daemon owes: for one request (`identifier`, whether it must be an error, and if known the code
    and `data.field`), or for a batch (`elements`, one Owed per non-notification element, in order)."""

    def __init__(self, identifier=None, must_fail=False, code=None, field=None, request=None, elements=None):
        self.identifier = identifier
        self.must_fail = must_fail or code is not None
        self.code = code
        self.field = field
        self.request = request  # (method, params) of a valid request, for the accounting of appends
        self.elements = elements

    def demand(self, code, field=None):
        """Tightens a single request's expectation with what the generator knows (a wrong type: -32602, field)."""
        if self.elements is not None or (self.code is not None and self.code != code):
            raise AssertionError(f"generator demands {code} but the oracle says {self.code}")
        self.must_fail, self.code, self.field = True, code, field


class LinePrediction:
    """What one line (without its newline) is owed: a reply or none, and the requests it runs without a reply."""

    def __init__(self, owed=None, silent_requests=()):
        self.owed = owed
        self.silent_requests = list(silent_requests)


def predict_request(value, methods):
    """(Owed or None, silent request or None) for one request object, as RPCCodec.decodeRequest and the dispatcher
    decide: envelope errors are -32600 with the id if it could be read; unknown methods -32601 (the fuzzer is admin);
    a non-empty params array -32602 on field "params"; a valid notification runs without a reply."""
    if not isinstance(value, dict):
        return Owed(None, code=-32600), None
    has_id = "id" in value
    if has_id and not is_valid_id(value["id"]):
        return Owed(None, code=-32600), None
    reply_id = value.get("id")
    if value.get("jsonrpc") != "2.0" or not isinstance(value.get("method"), str):
        return Owed(reply_id, code=-32600), None
    if "params" in value and not isinstance(value["params"], (dict, list)):
        return Owed(reply_id, code=-32600), None
    if set(value) - {"jsonrpc", "id", "method", "params"}:
        return Owed(reply_id, code=-32600), None
    request = (value["method"], value.get("params"))
    if not has_id:
        return None, request
    if value["method"] not in methods:
        return Owed(reply_id, code=-32601, request=request), None
    params = value.get("params")
    if isinstance(params, list) and params:
        return Owed(reply_id, code=-32602, field="params", request=request), None
    return Owed(reply_id, request=request), None


def predict_line(line, methods):
    """What the daemon owes one line of bytes (split at newline, without it)."""
    if len(line) > LINE_BYTES_MAX:
        return LinePrediction(Owed(None, code=-32600))
    try:
        value = parse_like_daemon(line)
    except NotValidJSON:
        return LinePrediction(Owed(None, code=-32700))
    if isinstance(value, list):
        if not value or len(value) > BATCH_REQUESTS_MAX:
            return LinePrediction(Owed(None, code=-32600))
        elements, silent = [], []
        for element in value:
            owed, request = predict_request(element, methods)
            if owed is not None:
                elements.append(owed)
            if request is not None:
                silent.append(request)
        return LinePrediction(Owed(elements=elements) if elements else None, silent)
    owed, request = predict_request(value, methods)
    return LinePrediction(owed, [request] if request else [])


# ---------------------------------------------------------------------------------------------------------------
# Checking what the daemon sent.
# ---------------------------------------------------------------------------------------------------------------

class CaseFailure(Exception):
    """A broken promise found while running one case; the runner adds the case's number and bytes."""


def read_reply_line(line):
    """One line from the daemon as JSON: strict UTF-8 and JSON, no duplicate names, in canonical form."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseFailure(f"a reply line that is not UTF-8: {line[:300]!r}") from None

    def on_pairs(pairs):
        if len({name for name, _ in pairs}) != len(pairs):
            raise CaseFailure(f"a reply with a duplicate member name: {line[:300]!r}")
        return dict(pairs)

    def on_constant(name):
        raise CaseFailure(f"a reply holding {name}: {line[:300]!r}")

    try:
        message = json.loads(text, object_pairs_hook=on_pairs, parse_constant=on_constant)
    except ValueError as error:
        raise CaseFailure(f"a reply line that is not JSON ({error}): {line[:300]!r}") from None
    canonical = canonical_text(message)
    if canonical is not None and canonical != text:
        raise CaseFailure(f"a reply not in canonical form (Protocol/README.md 3.7):\n  sent     {text[:300]}\n"
                          f"  expected {canonical[:300]}")
    return message


def canonical_text(value):
    """The canonical JSON of section 3.7, or None when `value` holds a fraction (Swift's shortest form of a
    double is not Python's, so those lines are not compared)."""
    pieces = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, _Token):
            pieces.append(item.text)
        elif item is None:
            pieces.append("null")
        elif item is True:
            pieces.append("true")
        elif item is False:
            pieces.append("false")
        elif isinstance(item, int):
            pieces.append(str(item))
        elif isinstance(item, float):
            return None
        elif isinstance(item, str):
            pieces.append(canonical_string(item))
        elif isinstance(item, list):
            following = [_Token("[")]
            for index, element in enumerate(item):
                if index:
                    following.append(_Token(","))
                following.append(element)
            following.append(_Token("]"))
            pending.extend(reversed(following))
        elif isinstance(item, dict):
            following = [_Token("{")]
            for index, name in enumerate(sorted(item, key=lambda key: key.encode("utf-8"))):
                if index:
                    following.append(_Token(","))
                following.append(_Token(canonical_string(name) + ":"))
                following.append(item[name])
            following.append(_Token("}"))
            pending.extend(reversed(following))
    return "".join(pieces)


class _Token:
    def __init__(self, text):
        self.text = text


CANONICAL_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def canonical_string(text):
    """A string as the daemon writes it: only ", \\, newline, return and tab escaped by name, other control
    characters as \\u00xx in lower case, everything else as is."""
    return '"' + NEEDS_ESCAPE.sub(
        lambda match: CANONICAL_ESCAPES.get(match.group(), f"\\u{ord(match.group()):04x}"), text) + '"'


def is_notification_message(message):
    """A message the daemon pushes (subscription events): a method and no id."""
    return isinstance(message, dict) and "id" not in message and "method" in message


def check_notification(message):
    if set(message) != {"jsonrpc", "method", "params"} or message["jsonrpc"] != "2.0" \
            or not isinstance(message["method"], str) or not isinstance(message["params"], dict):
        raise CaseFailure(f"a malformed notification: {json.dumps(message)[:300]}")


def check_reply_shape(reply):
    """A JSON-RPC 2.0 reply object: jsonrpc "2.0", an id, and exactly one of result and error; an error is
    {code: integer from section 6, message: non-empty string, data: object}."""
    if not isinstance(reply, dict):
        raise CaseFailure(f"a reply that is not an object: {json.dumps(reply)[:300]}")
    shape = set(reply)
    if shape not in ({"jsonrpc", "id", "result"}, {"jsonrpc", "id", "error"}) or reply["jsonrpc"] != "2.0":
        raise CaseFailure(f"a reply without exactly jsonrpc, id and one of result/error: {json.dumps(reply)[:300]}")
    if not is_valid_id(reply["id"]):
        raise CaseFailure(f"a reply whose id is not a string, a number or null: {json.dumps(reply)[:300]}")
    if "error" in reply:
        error = reply["error"]
        if not isinstance(error, dict) or set(error) != {"code", "message", "data"}:
            raise CaseFailure(f"an error object without exactly code, message and data: {json.dumps(reply)[:300]}")
        code = error["code"]
        if not isinstance(code, int) or isinstance(code, bool) or code not in ERROR_CODES:
            raise CaseFailure(f"an error code outside section 6: {json.dumps(reply)[:300]}")
        if not isinstance(error["message"], str) or not error["message"]:
            raise CaseFailure(f"an error without a message: {json.dumps(reply)[:300]}")
        if not isinstance(error["data"], dict):
            raise CaseFailure(f"an error whose data is not an object: {json.dumps(reply)[:300]}")
        if code == INTERNAL_ERROR:
            raise CaseFailure(f"an internal error (-32603 is a bug in the daemon by section 6): {json.dumps(reply)[:500]}")


def same_id(expected, actual):
    """Whether the reply's id is the request's: strings and null exactly, numbers by value (the daemon writes
    a number by its double value; 1.0 comes back as 1)."""
    if expected is None or isinstance(expected, str):
        return type(actual) is type(expected) and actual == expected
    if not isinstance(actual, (int, float)) or isinstance(actual, bool):
        return False
    if isinstance(expected, int) and -(1 << 63) <= expected < (1 << 63) and isinstance(actual, int):
        return expected == actual
    return float(expected) == float(actual)


def check_owed(owed, reply):
    """The reply the daemon sent against the one it owed."""
    if owed.elements is not None:
        if not isinstance(reply, list) or len(reply) != len(owed.elements):
            raise CaseFailure(f"a batch owed {len(owed.elements)} replies in one array, got {json.dumps(reply)[:300]}")
        for element_owed, element in zip(owed.elements, reply):
            check_owed(element_owed, element)
        return
    check_reply_shape(reply)
    if not same_id(owed.identifier, reply["id"]):
        raise CaseFailure(f"reply id {json.dumps(reply['id'])} for a request whose id is {json.dumps(owed.identifier)}: "
                          f"{json.dumps(reply)[:300]}")
    if owed.must_fail and "error" not in reply:
        raise CaseFailure(f"a result for a request the daemon must refuse"
                          f"{f' with {owed.code}' if owed.code else ''}: {json.dumps(reply)[:300]}")
    if owed.code is not None and reply["error"]["code"] != owed.code:
        raise CaseFailure(f"error {reply['error']['code']} where the protocol says {owed.code}: {json.dumps(reply)[:300]}")
    if owed.field is not None and reply["error"]["data"].get("field") != owed.field:
        raise CaseFailure(f"data.field {json.dumps(reply['error']['data'].get('field'))} where the refused param is "
                          f"{json.dumps(owed.field)}: {json.dumps(reply)[:300]}")


def request_id_of(params):
    if isinstance(params, dict) and isinstance(params.get("requestId"), str):
        return params["requestId"]
    return None


# ---------------------------------------------------------------------------------------------------------------
# What the protocol documents: the params of each method, and example requests.
# ---------------------------------------------------------------------------------------------------------------

PROTOCOL_DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "Protocol")
# The transcripts replayed on the fresh daemon before fuzzing, so that ids like Q-0001 name real entities.
SEEDING_TRANSCRIPTS = ["collaboration.jsonl", "matching.jsonl", "questions.jsonl", "offers.jsonl", "reports.jsonl"]

# The JSON kinds a value may have; "fraction" is a non-integral number (integer params refuse it).
WRONG_SAMPLES = {"string": "fuzz", "integer": 7, "fraction": 2.5, "boolean": True, "object": {"fuzz": 1}, "array": ["fuzz"]}


class Parameter:
    """One row of a method page's params table: `name` (members as `a.b`, array elements as `a[].b`), the kinds
    of value it accepts, and whether it is required."""

    def __init__(self, name, kinds, required):
        self.name, self.kinds, self.required = name, kinds, required

    def wrong_kinds(self):
        return [kind for kind in WRONG_SAMPLES if kind not in self.kinds]


def accepted_kinds(type_text):
    """The kinds a documented type accepts ("string (≤ 32 bytes)", "integer or string", "array of objects"...)."""
    kinds = set()
    for part in type_text.split("(")[0].split(" or "):
        word = part.strip().split(" ")[0]
        kinds |= {"string": {"string"}, "integer": {"integer"}, "number": {"integer", "fraction"},
                  "boolean": {"boolean"}, "object": {"object"}, "array": {"array"}, "arrays": {"array"},
                  "null": {"null"}}.get(word, set())
    return kinds


def parameter_table(protocol_directory=PROTOCOL_DIRECTORY):
    """{method: [Parameter]} from the first table under "## Params" of every Protocol/methods/*.md."""
    table = {}
    for path in sorted(glob.glob(os.path.join(protocol_directory, "methods", "*.md"))):
        method = os.path.basename(path)[: -len(".md")]
        rows, in_params, in_table = [], False, False
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("## "):
                    if in_params:
                        break
                    in_params = line.strip() == "## Params"
                    continue
                if not in_params:
                    continue
                if not line.startswith("|"):
                    if in_table:
                        break
                    continue
                cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
                if cells[0] == "name":
                    in_table = True
                    continue
                if not in_table or set(cells[0]) <= set("-: ") or len(cells) < 3:
                    continue
                kinds = accepted_kinds(cells[1])
                if not kinds:
                    continue
                for name in re.findall(r"`([^`]+)`", cells[0]):
                    rows.append(Parameter(name, kinds, cells[2].startswith("yes")))
        table[method] = rows
    return table


def looks_like_request(text):
    try:
        value = json.loads(text)
    except ValueError:
        return False
    if isinstance(value, list):
        return bool(value) and all(isinstance(element, dict) and "method" in element for element in value)
    return isinstance(value, dict) and "method" in value and "jsonrpc" in value


def example_pairs(protocol_directory=PROTOCOL_DIRECTORY):
    """(request line, documented reply line or None, source) from examples/*.jsonl and the method pages."""
    pairs = []
    for path in sorted(glob.glob(os.path.join(protocol_directory, "examples", "*.jsonl"))):
        with open(path, encoding="utf-8") as handle:
            lines = [line.rstrip("\n") for line in handle if line.strip() and not line.startswith("#")]
        for index in range(0, len(lines) - 1, 2):
            pairs.append((lines[index], lines[index + 1], os.path.basename(path)))
    for path in sorted(glob.glob(os.path.join(protocol_directory, "methods", "*.md"))):
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().split("\n")
        fenced = False
        for index, line in enumerate(lines):
            if line.startswith("```"):
                fenced = not fenced
                continue
            if fenced and looks_like_request(line):
                following = lines[index + 1] if index + 1 < len(lines) else ""
                reply = following if following.startswith(("{", "[")) and not looks_like_request(following) else None
                pairs.append((line, reply, os.path.basename(path)))
    return pairs


class Knowledge:
    """Everything the generators draw on: the catalogue (from system.methods), the params table, the example
    requests, and for each method a base request documented to succeed (its params are valid, so a wrong type
    put into one param must be refused naming that param)."""

    def __init__(self, catalogue):
        self.methods = [entry["name"] for entry in catalogue]
        self.appending = {entry["name"] for entry in catalogue if entry.get("write")} | APPENDING_METHODS_EXTRA
        self.table = parameter_table()
        self.pairs = example_pairs()
        self.corpus_lines = sorted({request.encode("utf-8") for request, _, _ in self.pairs if UNSAFE_METHOD not in request})
        self.requests_by_method = {}
        self.base_params = {}
        for request, reply, _ in self.pairs:
            try:
                value = json.loads(request)
            except ValueError:
                continue
            if not isinstance(value, dict) or value.get("method") not in self.methods:
                continue
            method = value["method"]
            if method == UNSAFE_METHOD:
                continue
            self.requests_by_method.setdefault(method, []).append(value)
            params = value.get("params", {})
            try:
                succeeded = reply is not None and "result" in json.loads(reply)
            except (ValueError, TypeError):
                succeeded = False
            richer = method not in self.base_params or len(json.dumps(params)) > len(json.dumps(self.base_params[method]))
            if succeeded and isinstance(params, dict) and richer:
                self.base_params[method] = params
        for name, method in (("questions.jsonl", "question.submit"), ("offers.jsonl", "offer.publish")):
            for params in demo_data(name):
                self.requests_by_method.setdefault(method, []).append({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        self.mutable_methods = sorted(self.requests_by_method)
        self.param_names = sorted({parameter.name.split(".")[0].split("[")[0]
                                   for rows in self.table.values() for parameter in rows})
        # The top-level number params, where huge numbers go.
        self.numeric_params = [(method, parameter.name) for method, rows in self.table.items() for parameter in rows
                               if parameter.kinds & {"integer", "fraction"} and "." not in parameter.name
                               and "[" not in parameter.name and method != UNSAFE_METHOD]
        # The wrong-type targets, enumerated in a fixed order so that a quick run covers every one.
        self.wrong_type_targets = []
        for method in self.methods:
            for parameter in self.table.get(method, []):
                if parameter.wrong_kinds() or parameter.required:
                    self.wrong_type_targets.append((method, parameter))
            self.wrong_type_targets.append((method, None))  # an unknown param and a non-empty params array

    def undocumented_methods(self):
        return [method for method in self.methods if method not in self.table]


# ---------------------------------------------------------------------------------------------------------------
# Building hostile values and lines.
# ---------------------------------------------------------------------------------------------------------------

class RawJSON:
    """A JSON token written as is (a number Python cannot hold, a malformed literal)."""

    def __init__(self, text):
        self.text = text


INTERESTING_STRINGS = [
    "", " ", "\t", "Q-0001", "Q-0002", "O-0001", "O-0002", "P-0001", "M-0001", "R-0001", "C-0001", "Q-0000",
    "Q-99999999", "S-1", "S-99", "stevenshof", "Stevenshof", "De Kooi", "loneliness", "elderly", "sociology", "hbo",
    "wo-bachelor", "mbo", "universiteit-leiden", "Hogeschool Leiden", "2026-2027 S2", "2027-02-01", "2027-02-29",
    "2028-02-29", "1899-12-31", "3000-01-01", "2027-13-01", "2027-02-30", "2026-11-29T11:57:20.394Z", "x@y", "@",
    "submitted", "open", "matched", "public", "internal", "embargo", "requester", "education", "pipeline", "csv",
    "markdown", "json", "small", "large", "yes", "no", "partly", "e\u0301", "\U0001F600", "\u202e", "\ufeff",
    "\u0000", "\u001f", "\u007f", "\u2028", "\\", '"', "null", "true", "0", "-1", "%s%n", "' OR 1=1 --",
    # Case folding and diacritics (neighbourhoods and institutions are matched ignoring both), free-text search.
    "\u0130stanbul", "STRASSE", "stra\u00dfe", "\ufb01", "\u03a3\u03c3\u03c2", "e\u0301\u0301\u0301", "\u01c4", "\u0345",
    "\ud55c\uad6d", "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\U0001F3F3\uFE0F\u200D\U0001F308", "\u00a0", "\u3000",
    "STEVENSHOF", "st\u00e9vensh\u00f6f", "Stevenshof ", " Stevenshof", "Ste\u0301venshof", "*", "%", "_", "?", "Q-", "O-",
    # Dates and times (asOf, periods, windows, embargoes).
    "1970-01-01T00:00:00Z", "2026-13-01T00:00:00.000Z", "2026-11-29T25:61:61.000Z", "9999-12-31T23:59:59.999Z",
    "2026-11-29T11:57:20.394+01:00", "2026-11-29T11:57:20", "0000-01-01", "2026-1-1", "2026-01-01 ", "20260101",
]
INTERESTING_NUMBERS = [
    0, 1, -1, 2, 5, 16, 17, 64, 100, 101, 500, 501, 1000, 1001, 100000, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 2 ** 53 + 1,
    2 ** 63 - 1, 2 ** 63, -(2 ** 63), -(2 ** 63) - 1, 2 ** 64, 10 ** 20, 0.5, 1.0, 5.0, -0.0, 0.3, 1e15, 1e16, 1e308,
    5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
    RawJSON("1e999"), RawJSON("-1e999"), RawJSON("1" * 400), RawJSON("0." + "0" * 400 + "1"), RawJSON("1e-400"),
    RawJSON("123456789012345678901234567890"), RawJSON("1E+2"), RawJSON("-0"), RawJSON("0e0"), RawJSON("9" * 5000),
    RawJSON("1" + "0" * 308), RawJSON("1" + "0" * 309), RawJSON("-9223372036854775809"), RawJSON("4.9e-325"),
    RawJSON("1e+308"), RawJSON("1.8e308"), RawJSON("12345678901234567890.5e-3"),
]
STRING_LENGTHS = [31, 32, 33, 63, 64, 65, 199, 200, 201, 253, 254, 255, 500, 501, 1999, 2000, 2001, 9999, 10000,
                  10001, 100000]


def random_text(rng, length):
    """`length` characters from everywhere in Unicode but the surrogates (and a few control characters)."""
    ranges = [(0x20, 0x7E), (0x20, 0x7E), (0x00, 0x1F), (0xA0, 0x2FF), (0x370, 0x3FF), (0x4E00, 0x4FFF),
              (0xE000, 0xF8FF), (0xFFF0, 0xFFFF), (0x10000, 0x10FFFF), (0x1F300, 0x1F6FF)]
    characters = []
    for _ in range(length):
        low, high = rng.choice(ranges)
        characters.append(chr(rng.randint(low, high)))
    return "".join(characters)


def random_string(rng):
    choice = rng.random()
    if choice < 0.45:
        return rng.choice(INTERESTING_STRINGS)
    if choice < 0.7:
        return random_text(rng, rng.randint(0, 40))
    length = rng.choice(STRING_LENGTHS)
    return rng.choice(["x", "é", "\U0001F600", " "]) * (length if rng.random() < 0.8 else length // 2)


def random_value(rng, depth=0):
    """A random JSON value, biased towards the edges (limits, wrong kinds, odd numbers)."""
    choice = rng.random()
    if depth > 3 or choice < 0.35:
        return random_string(rng)
    if choice < 0.6:
        return rng.choice(INTERESTING_NUMBERS)
    if choice < 0.7:
        return rng.choice([True, False, None])
    if choice < 0.85:
        return [random_value(rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 3, 21, 51]))]
    return {rng.choice(["from", "to", "label", "kind", "title", "x", "", "id"]): random_value(rng, depth + 1)
            for _ in range(rng.randint(0, 3))}


def encode(value, rng=None):
    """JSON text for a value holding RawJSON tokens; with `rng`, random (valid) white space and escapes."""
    ascii_only = rng is not None and rng.random() < 0.2
    pieces = []

    def space():
        if rng is not None and rng.random() < 0.1:
            pieces.append(rng.choice([" ", "  ", "\t", "\r", " \r\t "]))

    def walk(item):
        space()
        if isinstance(item, RawJSON):
            pieces.append(item.text)
        elif isinstance(item, dict):
            pieces.append("{")
            for index, (name, member) in enumerate(item.items()):
                if index:
                    pieces.append(",")
                space()
                pieces.append(json.dumps(name, ensure_ascii=ascii_only))
                space()
                pieces.append(":")
                walk(member)
            space()
            pieces.append("}")
        elif isinstance(item, list):
            pieces.append("[")
            for index, element in enumerate(item):
                if index:
                    pieces.append(",")
                walk(element)
            space()
            pieces.append("]")
        elif isinstance(item, float) and item == int(item) and abs(item) < 1e16 and rng is not None and rng.random() < 0.5:
            pieces.append(f"{item:.1f}")
        else:
            pieces.append(json.dumps(item, ensure_ascii=ascii_only))
        space()

    walk(value)
    return "".join(pieces).encode("utf-8")


def child_slots(value):
    """Every (container, key) under `value`, for mutations that replace or delete one node."""
    slots, pending = [], [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for name in list(item):
                slots.append((item, name))
                pending.append(item[name])
        elif isinstance(item, list):
            for index in range(len(item)):
                slots.append((item, index))
                pending.append(item[index])
    return slots


def mutate_structure(request, rng, knowledge):
    """1 to 3 changes to a parsed request: replace, delete, insert, wrap or duplicate a node, or change the method."""
    for _ in range(rng.randint(1, 3)):
        slots = child_slots(request)
        operation = rng.choice(["replace", "replace", "retext", "retext", "delete", "insert", "wrap", "duplicate", "method", "id"])
        strings = [slot for slot in slots if isinstance(slot[0][slot[1]], str) and slot[1] not in ("jsonrpc", "method")]
        if operation == "retext" and strings:
            # A string for a string: often still a valid request, so the writes behind it run.
            container, key = rng.choice(strings)
            length = len(container[key])
            container[key] = rng.choice([random_string(rng), random_text(rng, max(1, length + rng.randint(-3, 3)))])
        elif operation == "method":
            request["method"] = rng.choice(knowledge.methods + ["", "system.Ping", "nope"])
            if request["method"] == UNSAFE_METHOD:
                request["method"] = "system.ping"
        elif operation == "id":
            request["id"] = rng.choice([random_value(rng), rng.choice(INTERESTING_NUMBERS), random_string(rng)])
        elif operation == "insert":
            containers = [request] + [slot[0][slot[1]] for slot in slots if isinstance(slot[0][slot[1]], dict)]
            target = rng.choice(containers)
            target[rng.choice(knowledge.param_names + ["zz", "", "requestId", "params"])] = random_value(rng)
        elif not slots:
            continue
        else:
            container, key = rng.choice(slots)
            if operation == "replace":
                container[key] = random_value(rng)
            elif operation == "delete":
                del container[key]
            elif operation == "wrap":
                container[key] = [container[key]] if rng.random() < 0.5 else {"value": container[key]}
            elif operation == "duplicate" and isinstance(container, list):
                # One more copy, or enough to cross a list limit (20 ids, 50 deliverables, 1000 rows).
                copies = rng.choice([1, 1, 19, 20, 21, 49, 50, 51, 999, 1000, 1001])
                container[key:key] = [copy.deepcopy(container[key]) for _ in range(copies)]
    return request


INTERESTING_BYTES = [0x00, 0x0A, 0x0D, 0x09, 0x20, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x2D, 0x30, 0x39,
                     0x65, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xED, 0xF4, 0xF8, 0xFF]


def mutate_bytes(data, rng, knowledge):
    """1 to 4 byte-level changes: bit flips, interesting bytes, insertions, deletions, truncation, duplication of a
    range, splicing with another example line, repetition."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not data:
            data = bytearray(b"{")
        position = rng.randrange(len(data))
        operation = rng.choice(["flip", "flip", "flip", "byte", "insert", "delete", "truncate", "duplicate", "splice", "repeat"])
        if operation == "flip":
            data[position] ^= 1 << rng.randrange(8)
        elif operation == "byte":
            data[position] = rng.choice(INTERESTING_BYTES)
        elif operation == "insert":
            data[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif operation == "delete":
            del data[position:position + rng.randint(1, 16)]
        elif operation == "truncate":
            del data[position:]
        elif operation == "duplicate":
            piece = data[position:position + rng.randint(1, 64)]
            target = rng.randrange(len(data) + 1)
            data[target:target] = piece
        elif operation == "splice":
            other = rng.choice(knowledge.corpus_lines)
            data = data[:position] + other[rng.randrange(len(other) + 1):]
        elif operation == "repeat":
            data = data + rng.choice([b"", b" ", b"\r", b"\n"]) + data
    return bytes(data)


class Line:
    """One line of a case (without its newline) and, when the generator knows better than the oracle, the error
    code and data.field it must get."""

    def __init__(self, data, code=None, field=None):
        self.data, self.code, self.field = data, code, field


class LineCase:
    """A case of lines sent on the shared connection (or a fresh one), each newline-terminated, followed by a
    sentinel ping; `chunk_bytes` sends them a few bytes at a time."""

    def __init__(self, lines, fresh_connection=False, chunk_bytes=None):
        self.lines = lines
        self.fresh_connection = fresh_connection
        self.chunk_bytes = chunk_bytes


class SessionCase:
    """A case that opens and closes connections itself (hang-ups, connect storms)."""

    def __init__(self, run):
        self.run = run


class Generator:
    """Turns (seed, case number) into a case: the same pair always gives the same bytes."""

    def __init__(self, seed, knowledge):
        self.seed = seed
        self.knowledge = knowledge

    def case(self, number):
        category, ordinal = category_and_ordinal(number)
        rng = random.Random(f"lmds-fuzz:{self.seed}:{number}")
        builder = getattr(self, "build_" + category.replace("-", "_"))
        return category, builder(rng, number, ordinal)

    # -- valid material ------------------------------------------------------------------------------------------

    def valid_request(self, rng, number, tag=""):
        """A request from the examples (a fresh requestId on writes, so accepted writes can be told apart)."""
        method = rng.choice(self.knowledge.mutable_methods)
        request = copy.deepcopy(rng.choice(self.knowledge.requests_by_method[method]))
        request["id"] = rng.choice([number, f"c{number}{tag}", rng.randint(0, 1 << 40)])
        if method in self.knowledge.appending and isinstance(request.get("params"), dict):
            request["params"]["requestId"] = f"fuzz-{self.seed}-{number}{tag}"
        return request

    def reading_request(self, rng, identifier):
        method = rng.choice(["system.ping", "system.status", "events.read", "question.get", "offer.list",
                             "taxonomy.get", "question.list", "match.get", "report.get"])
        choices = self.knowledge.requests_by_method.get(method) or [{"jsonrpc": "2.0", "method": method}]
        request = copy.deepcopy(rng.choice(choices))
        request["id"] = identifier
        if method == "events.read":  # a page of 100 events costs the debug build 25 ms; keep pages small
            request["params"] = {"from": rng.randint(1, 60), "limit": rng.randint(1, 4)}
        return request

    def mutated_line(self, rng, number, tag=""):
        request = self.valid_request(rng, number, tag)
        style = rng.random()
        if style < 0.1:
            return encode(request, rng)  # unchanged: a control that the accounting of accepted writes works
        if style < 0.5:
            return encode(mutate_structure(request, rng, self.knowledge), rng)
        data = encode(request, rng)
        if style < 0.8:
            return mutate_bytes(data, rng, self.knowledge)
        return mutate_bytes(encode(mutate_structure(request, rng, self.knowledge), rng), rng, self.knowledge)

    # -- line categories -----------------------------------------------------------------------------------------

    def build_mutation(self, rng, number, ordinal):
        """One to three example requests, changed in their structure, their bytes, or both."""
        return LineCase([Line(self.mutated_line(rng, number, f"-{index}")) for index in range(rng.choice([1, 1, 1, 2, 3]))],
                        fresh_connection=rng.random() < 0.05)

    def build_broken_json(self, rng, number, ordinal):
        """A request with its syntax broken: cut, a stray or missing delimiter, single quotes, comments, bad
        literals and numbers, bad escapes and lone surrogates, a byte order mark, trailing text."""
        text = encode(self.reading_request(rng, number) if rng.random() < 0.5 else self.valid_request(rng, number)).decode("utf-8")
        position = rng.randrange(len(text) + 1)
        breakers = [
            lambda: text[:position],
            lambda: text[:position] + rng.choice('{}[]:,"') + text[position:],
            lambda: re.sub(r'[{}\[\]:,"]', "", text, count=1) if rng.random() < 0.5 else text.replace('"', "'", 2),
            lambda: text.replace("true", rng.choice(["tru", "True", "truee"]), 1).replace("null", "nul", 1).replace('"2.0"', '"2.0",', 1),
            lambda: text[:-1] + ",}",
            lambda: text.replace('{"', '{/* c */"', 1),
            lambda: text + rng.choice([" x", "}", "{}", " //", ",", "]", " 1", text]),
            lambda: text.replace(":", ":" + rng.choice(["01", "-", "1.", ".5", "+1", "1e", "0x10", "NaN", "Infinity",
                                                        "-Infinity", "1_000", "--1", "1e+", "١"]) + ",", 1),
            lambda: text.replace('":"', '":"' + rng.choice(["\x01", "\x1f", "\\x41", "\\u12G4", "\\u12", "\\ud800",
                                                              "\\udc00", "\\ud800\\u0041", "\\ud800\\n", "\\'", "\\ "]), 1),
            lambda: "\ufeff" + text,
            lambda: rng.choice(["", " ", "\r", "\t \t", "{", "}", "[", "]", '"', "nul", "{,}", "[,]", "{:}", '{"a"}',
                                '{"a":}', "[1,]", '"\\u"', "-", "tru", "{}}", "[[]", "'x'", "undefined"]),
            lambda: re.sub(r'"(jsonrpc|id|method|params)"', r"\1", text),
        ]
        broken = rng.choice(breakers)()
        return LineCase([Line(broken.encode("utf-8", "surrogatepass"))])

    BAD_UTF8 = [b"\x80", b"\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xed\xa0\x80",
                b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80",
                b"\xfc\x84\x80\x80\x80\x80", b"\xfe", b"\xff", b"\xc2", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3\x28",
                b"\xe2\x28\xa1", b"caf\xe9", b"\xef\xbf"]

    def build_invalid_utf8(self, rng, number, ordinal):
        """A request with invalid UTF-8 (overlong forms, surrogates, beyond U+10FFFF, cut sequences, Latin-1)
        put in a string, a name, or anywhere."""
        data = encode(self.valid_request(rng, number) if rng.random() < 0.6 else self.reading_request(rng, number))
        bad = rng.choice(self.BAD_UTF8) * rng.choice([1, 1, 2, 50])
        quotes = [index for index, byte in enumerate(data) if byte == 0x22]
        where = rng.random()
        if where < 0.7 and quotes:
            position = rng.choice(quotes) + 1  # inside a string (or a name)
        elif where < 0.85:
            position = rng.randrange(len(data) + 1)
        else:
            position = len(data) - 2 if len(data) > 2 else 0
        return LineCase([Line(data[:position] + bad + data[position:])])

    def build_nul_bytes(self, rng, number, ordinal):
        """NUL bytes in strings, names, between tokens, alone; and the valid escape \\u0000."""
        data = encode(self.reading_request(rng, number) if rng.random() < 0.5 else self.valid_request(rng, number))
        quotes = [index for index, byte in enumerate(data) if byte == 0x22] or [0]
        variants = [
            lambda: data[:rng.choice(quotes) + 1] + b"\x00" + data[rng.choice(quotes) + 1:],
            lambda: b"\x00" + data,
            lambda: data + b"\x00",
            lambda: b"\x00" * rng.choice([1, 2, 100, 10000]),
            lambda: data.replace(b":", b":\x00", 1),
            lambda: data.replace(b'":"', b'":"\\u0000', 1),  # an escaped NUL is valid JSON
            lambda: data.replace(b'"method"', b'"me\x00thod"', 1),
        ]
        return LineCase([Line(rng.choice(variants)())])

    def build_deep_nesting(self, rng, number, ordinal):
        """Arrays and objects nested 63 to 500,000 deep, closed or not, bare, in a param, an id or a batch;
        the limit is 64 (65 must be -32700, 64 must not)."""
        depth = rng.choice([63, 64, 65, 66, 100, 1000, 100000, 100000, 500000])
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}"), ('[{"a":', "}]")])
        layers = depth if opener != '[{"a":' else depth // 2
        closed = rng.random() < 0.7
        nested = opener * layers + "1" + (closer * layers if closed else "")
        where = rng.choice(["bare", "param", "id", "batch"])
        if where == "bare":
            text = nested
        elif where == "param":
            # The request object and params count two levels.
            text = f'{{"jsonrpc":"2.0","id":{number},"method":"system.ping","params":{{"deep":{nested}}}}}'
        elif where == "id":
            text = f'{{"jsonrpc":"2.0","id":{nested},"method":"system.ping"}}'
        else:
            text = f'[{{"jsonrpc":"2.0","id":{number},"method":"system.ping"}},{nested}]'
        return LineCase([Line(text.encode("ascii"))])

    def build_huge_numbers(self, rng, number, ordinal):
        """Numbers at and beyond every edge (Int64, 2^53, the double range, 5000 digits, underflow) in number
        params of otherwise valid requests, in ids, and in unknown params."""
        lines = []
        for index in range(rng.randint(1, 3)):
            huge = rng.choice(INTERESTING_NUMBERS)
            method, name = rng.choice(self.knowledge.numeric_params)
            params = copy.deepcopy(self.knowledge.base_params.get(method, {}))
            if method in self.knowledge.appending:
                params["requestId"] = f"fuzz-{self.seed}-{number}-{index}"
            where = rng.random()
            request = {"jsonrpc": "2.0", "id": f"h{number}-{index}", "method": method, "params": params}
            if where < 0.6:
                params[name] = huge
            elif where < 0.8:
                request["id"] = huge
            else:
                params[rng.choice(["zz", name])] = [huge, {"n": huge}]
            lines.append(Line(encode(request, rng)))
        return LineCase(lines)

    def build_wrong_types(self, rng, number, ordinal):
        """Two (method, param) targets per case, in a fixed order (a quick run covers them all): the param set to
        every kind it does not accept (and to null when required); each must be -32602 naming that param when
        the rest of the params is a documented valid request."""
        targets = self.knowledge.wrong_type_targets
        lines = []
        for index in (2 * ordinal, 2 * ordinal + 1):
            method, parameter = targets[index % len(targets)]
            lines.extend(self.wrong_type_lines(rng, number, index, method, parameter))
        return LineCase(lines)

    def wrong_type_lines(self, rng, number, index, method, parameter):
        base = self.knowledge.base_params.get(method)
        lines = []

        def request_line(params, tag, code, field):
            request = {"jsonrpc": "2.0", "id": f"w{number}-{index}-{tag}", "method": method, "params": params}
            return Line(encode(request), code, field)

        if parameter is None:
            params = copy.deepcopy(base or {})
            params["zzFuzz"] = rng.choice(list(WRONG_SAMPLES.values()))
            lines.append(request_line(params, "unknown", -32602, "zzFuzz" if base is not None else None))
            lines.append(request_line([1, "two"], "array", -32602, "params"))
            return lines
        values = [(kind, WRONG_SAMPLES[kind]) for kind in parameter.wrong_kinds()]
        if parameter.required and "null" not in parameter.kinds:  # `owner` of question.assign: null releases
            values.append(("null", None))
        for kind, wrong in values:
            params = copy.deepcopy(base or {})
            field = place_value(params, parameter.name, wrong)
            # With a valid base, the wrong param is the first problem; without one an earlier required param may be.
            lines.append(request_line(params, kind, -32602, field if base is not None else None))
        return lines

    def build_envelope(self, rng, number, ordinal):
        """The JSON-RPC members wrong one at a time: id, jsonrpc, method, params of every wrong type, an unknown
        member, a member missing or given twice."""
        request = self.reading_request(rng, number) if rng.random() < 0.7 else self.valid_request(rng, number)
        member = rng.choice(["id", "jsonrpc", "method", "params", "extra", "duplicate", "missing"])
        if member == "id":
            request["id"] = rng.choice([{}, [], True, False, [1], {"id": 1}, RawJSON("1e999"), RawJSON("-0"), 1.5,
                                        None, "", "x" * 300, 2 ** 63, RawJSON("123456789012345678901234567890")])
        elif member == "jsonrpc":
            request["jsonrpc"] = rng.choice(["2", "1.0", 2.0, 2, None, "2.0 ", " 2.0", "2.00", "", ["2.0"], "2.0\u0000"])
        elif member == "method":
            request["method"] = rng.choice([7, None, [], {}, "", "SYSTEM.PING", "system.ping ", "system.ping\u0000",
                                            "m" * 100000, "system", ".", "rpc.discover", True])
        elif member == "params":
            request["params"] = rng.choice([None, "x", 1, True, [], [1], {}, [{}], 0.5])
        elif member == "extra":
            request[rng.choice(["extra", "ID", "Method", "jsonrpc2", "", "result", "error"])] = rng.choice([1, None, "x"])
        elif member == "missing":
            # Some generated requests already lack a member (a notification has no id): then it stays missing.
            request.pop(rng.choice(["jsonrpc", "method", "id"]), None)
        text = encode(request)
        if member == "duplicate":
            name = rng.choice(["id", "jsonrpc", "method"])
            text = text[:-1] + b',"' + name.encode() + b'":' + encode(request.get(name)) + b"}"
        return LineCase([Line(text)])

    def build_batch(self, rng, number, ordinal):
        """Batches of 0 to 150 elements: reads, notifications, valid and mutated writes, and non-requests."""
        # Mostly small (a batch of 100 reads costs the debug build about 100 ms), sometimes at and over the limit.
        size = rng.choices([0, 1, 2, 3, 5, 10, 20, 99, 100, 101, 150], [2, 4, 4, 4, 4, 4, 2, 1, 2, 2, 1])[0]
        elements = []
        for index in range(size):
            kind = rng.random()
            if kind < 0.35:
                elements.append(self.reading_request(rng, rng.choice([index, f"b{index}", None, 7])))
            elif kind < 0.5:
                notification = self.reading_request(rng, 0)
                del notification["id"]
                elements.append(notification)
            elif kind < 0.7:
                elements.append(mutate_structure(self.valid_request(rng, number, f"-{index}"), rng, self.knowledge))
            elif kind < 0.8:
                elements.append(self.valid_request(rng, number, f"-{index}"))
            else:
                elements.append(rng.choice([1, "x", None, True, [], [{}], {}, {"jsonrpc": "2.0"}, RawJSON("1e999")]))
        text = encode(elements, rng)
        if rng.random() < 0.15:
            text = mutate_bytes(text, rng, self.knowledge)
        return LineCase([Line(text)], fresh_connection=rng.random() < 0.1)

    def build_random_bytes(self, rng, number, ordinal):
        """Random bytes, random printable text, or a random soup of JSON tokens."""
        length = rng.choice([0, 1, 2, 7, 64, 500, 4096])
        style = rng.random()
        if style < 0.4:
            data = bytes(rng.randrange(256) for _ in range(length))
        elif style < 0.7:
            data = bytes(rng.randint(0x20, 0x7E) for _ in range(length))
        else:
            tokens = ["{", "}", "[", "]", ",", ":", '"id"', '"jsonrpc"', '"2.0"', '"method"', '"system.ping"',
                      '"params"', "1", "-1", "1e5", "true", "null", '"x"', " "]
            data = "".join(rng.choice(tokens) for _ in range(length // 4 + 1)).encode()
        return LineCase([Line(data.replace(b"\n", b" ") if rng.random() < 0.8 else data)])

    def build_drip(self, rng, number, ordinal):
        """One line sent a few bytes at a time with short pauses."""
        data = encode(self.reading_request(rng, number), rng) if rng.random() < 0.6 else self.mutated_line(rng, number)
        data = data[:4000]
        chunk_bytes = max(rng.choice([1, 2, 3, 7, 16]), len(data) // 200)
        return LineCase([Line(data)], fresh_connection=rng.random() < 0.3, chunk_bytes=chunk_bytes)

    def build_pipeline(self, rng, number, ordinal):
        """20 to 63 lines in one write on a fresh connection; the replies must come back in order."""
        lines = []
        for index in range(rng.randint(20, 63)):
            if rng.random() < 0.5:
                lines.append(Line(encode(self.reading_request(rng, f"p{number}-{index}"))))
            else:
                lines.append(Line(self.mutated_line(rng, number, f"-{index}")))
        return LineCase(lines, fresh_connection=True)

    def build_long_line(self, rng, number, ordinal):
        """A 10 MiB line: refused once with -32600 (id null), never buffered; the connection stays usable."""
        size = LONG_LINE_BYTES + rng.randint(0, 4096)
        variant = ordinal % 5
        if variant == 0:
            data = b"a" * size
        elif variant == 1:
            prefix = b'{"jsonrpc":"2.0","id":1,"method":"question.submit","params":{"title":"'
            data = prefix + b"x" * size + b'"}}'
        elif variant == 2:
            data = b"[" * size
        elif variant == 3:
            data = rng.randbytes(size).replace(b"\n", b"\x00")
        else:
            data = b"\x00" * size
        return LineCase([Line(data, -32600)], fresh_connection=rng.random() < 0.5)

    def build_boundary_lines(self, rng, number, ordinal):
        """Lines of exactly lineBytesMax bytes (accepted) and one more (refused), padded with JSON white space."""
        lines = []
        for extra, last in ((0, b" "), (1, b" "), (0, b"\r"), (-1, b"\t"), (1, b"\r")):
            core = encode({"jsonrpc": "2.0", "id": f"edge{number}-{extra}", "method": "system.ping"})
            length = LINE_BYTES_MAX + extra
            data = core + b" " * (length - len(core) - 1) + last  # the \r of a \r\n line end counts too
            lines.append(Line(data, -32600 if extra > 0 else None))
        return LineCase(lines, fresh_connection=rng.random() < 0.5)

    # -- session categories --------------------------------------------------------------------------------------

    def build_slow_reader(self, rng, number, ordinal):
        """A client that pipelines requests with big replies and reads nothing for a while: the daemon must stop
        reading (64 lines waiting, 1 MiB of replies unsent) so that its memory stays bounded, then answer all.
        The tenth of a run (only a default run gets that far: it costs the debug build 15 s) sends 80 lines of
        almost 1 MiB, the worst case; the others 300 lines of 20 KB. The replies are big because each echoes its
        request's long string id."""
        count, size = (80, LINE_BYTES_MAX - 200) if ordinal % 20 == 9 else (300, 20000)
        lines = []
        for index in range(count):
            method = rng.choice(["no.such.method", "system.ping"])
            identifier = f"r{number}-{index}-" + "x" * (size - 80)
            lines.append(encode({"jsonrpc": "2.0", "id": identifier, "method": method}))
        return SessionCase(lambda runner: runner.slow_reader(lines))

    def build_parallel(self, rng, number, ordinal):
        """Several connections whose lines (valid writes among them) are all sent before any reply is read, so
        that the daemon serves them at once and decides their writes together."""
        payloads = []
        for connection in range(rng.randint(2, 6)):
            lines = []
            for index in range(rng.randint(1, 12)):
                tag = f"-{connection}-{index}"
                choice = rng.random()
                if choice < 0.4:
                    lines.append(encode(self.valid_request(rng, number, tag)))
                elif choice < 0.7:
                    lines.append(encode(self.reading_request(rng, f"q{number}{tag}")))
                else:
                    lines.append(self.mutated_line(rng, number, tag))
            payloads.append(lines)
        return SessionCase(lambda runner: runner.parallel(payloads))

    def build_hang_ups(self, rng, number, ordinal):
        """Complete lines, then half a line, then a hang-up: a plain close, or a half-close after which every
        complete line is answered, the half line is dropped, and the daemon closes."""
        plans = []
        for connection in range(rng.randint(1, 4)):
            lines = [self.mutated_line(rng, number, f"-{connection}-{index}") if rng.random() < 0.5
                     else encode(self.reading_request(rng, f"u{number}-{connection}-{index}"))
                     for index in range(rng.randint(0, 3))]
            half = encode(self.valid_request(rng, number, f"-{connection}-half"))
            half = half[: rng.randrange(1, len(half))]
            plans.append((lines, half, rng.choice(["close", "half-close", "half-close"])))
        return SessionCase(lambda runner: runner.hang_ups(plans))

    def build_connect_cycles(self, rng, number, ordinal):
        """Connect and disconnect again and again: at once, after half a request, after a request whose reply
        is never read, after a half-close; now and then 100 connections at once."""
        plans = []
        for index in range(CONNECT_CYCLES_PER_CASE):
            style = rng.choices(["close", "partial", "unread", "half-close", "garbage", "burst"], [30, 25, 20, 15, 9, 1])[0]
            if style == "partial":
                request = encode(self.reading_request(rng, index))
                data = request[: rng.randrange(1, len(request))]
            elif style in ("unread", "half-close"):
                data = encode(self.reading_request(rng, f"k{number}-{index}")) + b"\n"
            elif style == "garbage":
                data = rng.randbytes(rng.randint(1, 300))
            else:
                data = b""
            plans.append((style, data))
        return SessionCase(lambda runner: runner.connect_cycles(plans))


def place_value(params, name, value):
    """Puts `value` at a documented param name (`a`, `a.b`, `a[].b`) inside params; returns the `data.field` the
    daemon names for it (`a`, `a.b`, `a[0].b`)."""
    parts = name.split(".")
    container, field_parts = params, []
    for part in parts[:-1]:
        if part.endswith("[]"):
            key = part[:-2]
            if not isinstance(container.get(key), list) or not container[key] or not isinstance(container[key][0], dict):
                container[key] = [{}]
            container = container[key][0]
            field_parts.append(f"{key}[0]")
        else:
            if not isinstance(container.get(part), dict):
                container[part] = {}
            container = container[part]
            field_parts.append(part)
    container[parts[-1]] = value
    return ".".join(field_parts + [parts[-1]])


# ---------------------------------------------------------------------------------------------------------------
# Talking to the daemon.
# ---------------------------------------------------------------------------------------------------------------

class Exchange:
    """One connection, non-blocking: writes what a case sends while reading what comes back, so that neither a
    10 MiB line nor a pipeline of 60 lines can deadlock against the daemon's back-pressure."""

    def __init__(self, socket_path):
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.socket.settimeout(CASE_SECONDS_MAX)
        self.socket.connect(socket_path)
        self.socket.setblocking(False)
        self.buffer = bytearray()
        self.closed = False
        self.leftover = []  # lines that arrived after a sentinel's reply (subscription notifications)

    def close(self):
        try:
            self.socket.close()
        except OSError:
            pass

    def _receive(self, lines):
        try:
            chunk = self.socket.recv(1 << 16)
        except BlockingIOError:
            return
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.closed = True
            return
        self.buffer.extend(chunk)
        while True:
            newline = self.buffer.find(b"\n")
            if newline < 0:
                break
            lines.append(bytes(self.buffer[:newline]))
            del self.buffer[: newline + 1]
        if len(self.buffer) > 64 << 20:
            raise CaseFailure("a reply line longer than 64 MiB")

    def send_and_collect(self, payload, sentinel_id=None, chunk_bytes=None, until_closed=False):
        """Sends `payload` (then a sentinel ping when `sentinel_id` is given) and returns the lines received before
        the sentinel's reply, or before the daemon closed the connection (then `self.closed`). With an empty
        payload and a `sentinel_id`, waits for the reply to a sentinel sent earlier."""
        if sentinel_id is not None and payload:
            payload = payload + encode({"jsonrpc": "2.0", "id": sentinel_id, "method": "system.ping"}) + b"\n"
        view = memoryview(payload)
        sent, lines, self.leftover, last_chunk_at, checked = 0, self.leftover, [], 0.0, 0
        deadline = time.monotonic() + CASE_SECONDS_MAX + len(payload) / 20e6
        selector = selectors.DefaultSelector()
        selector.register(self.socket, selectors.EVENT_READ | (selectors.EVENT_WRITE if payload else 0))
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CaseFailure(f"no reply within {CASE_SECONDS_MAX:.0f} s (the daemon hangs?); "
                                      f"{sent} of {len(payload)} bytes sent, {len(lines)} lines received")
                for _, mask in selector.select(min(remaining, 0.5)):
                    if mask & selectors.EVENT_READ:
                        self._receive(lines)
                    if mask & selectors.EVENT_WRITE and sent < len(payload) and not self.closed:
                        step = chunk_bytes or (1 << 18)
                        if chunk_bytes:  # a drip: a few bytes, a short pause, the next few
                            time.sleep(max(0.0, 0.0002 - (time.monotonic() - last_chunk_at)))
                        try:
                            sent += self.socket.send(view[sent: sent + step])
                        except BlockingIOError:
                            pass
                        except (BrokenPipeError, ConnectionResetError):
                            self.closed = True
                        last_chunk_at = time.monotonic()
                        if sent == len(payload):
                            selector.modify(self.socket, selectors.EVENT_READ)
                if sentinel_id is not None:
                    for index in range(checked, len(lines)):  # only the lines that are new since the last round
                        if _is_reply_to(lines[index], sentinel_id):
                            self.leftover = lines[index + 1:]
                            return lines[:index]
                    checked = len(lines)
                if self.closed:
                    return lines
                if sentinel_id is None and not until_closed and sent == len(payload):
                    return lines
        finally:
            selector.close()

    def finish_sending(self):
        try:
            self.socket.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def _is_reply_to(line, identifier):
    """Whether a line is the result of the sentinel ping with this id."""
    if f'"id":{json.dumps(identifier)}'.encode() not in line:
        return False
    try:
        message = json.loads(line)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("id") == identifier and "result" in message and "method" not in message


class Runner:
    """Runs cases against one daemon and keeps the figures and the bookkeeping of what may have been appended."""

    def __init__(self, daemon, knowledge):
        self.daemon = daemon
        self.knowledge = knowledge
        self.shared = None
        self.sentinels = 0
        self.connections = 0
        self.closed_by_daemon = 0
        self.connect_cycle_count = 0
        self.bytes_sent = 0
        self.accepted_request_ids = set()  # requestIds of writes that got a result (or ran as notifications)
        self.previous_request_ids = set()  # the same for the group before
        self.memory_probe = lambda: None  # set by the scenario: samples the daemon's memory mid-case
        self.back_pressure_bytes = 0  # the most a slow reader could send before the daemon stopped reading
        self.by_category = {name: {"cases": 0, "lines": 0, "replies": 0, "errors": 0, "results": 0, "seconds": 0.0}
                            for name in CATEGORIES}
        self.sent_now = []  # what the current case sent, for the failure report

    def open(self):
        self.connections += 1
        return Exchange(self.daemon.socket)

    def shared_connection(self):
        if self.shared is None or self.shared.closed:
            if self.shared is not None:
                self.shared.close()
            self.shared = self.open()
        return self.shared

    def rotate_shared_connection(self):
        if self.shared is not None:
            self.shared.close()
        self.shared = None

    def next_sentinel(self):
        self.sentinels += 1
        return f"fuzz-sentinel-{self.sentinels}"

    # -- line cases ----------------------------------------------------------------------------------------------

    def predictions(self, line_case):
        """What each daemon line is owed: the case's lines are split at every newline they hold, as the daemon
        splits them; a generator's demand applies to a line that stays whole."""
        predictions = []
        for line in line_case.lines:
            pieces = line.data.split(b"\n")
            for piece in pieces:
                prediction = predict_line(piece, self.knowledge.methods)
                if line.code is not None and len(pieces) == 1:
                    if prediction.owed is None:
                        raise AssertionError("the generator demands a reply for a line the oracle says gets none")
                    prediction.owed.demand(line.code, line.field)
                predictions.append(prediction)
        return predictions

    def run_line_case(self, category, line_case):
        predictions = self.predictions(line_case)
        payload = b"".join(line.data + b"\n" for line in line_case.lines)
        self.sent_now.append(payload)
        self.bytes_sent += len(payload)
        figures = self.by_category[category]
        figures["lines"] += len(predictions)
        if line_case.fresh_connection:
            self.rotate_shared_connection()
        connection = self.shared_connection()
        lines = connection.send_and_collect(payload, self.next_sentinel(), line_case.chunk_bytes)
        messages = [read_reply_line(line) for line in lines]
        replies = []
        for message in messages:
            if is_notification_message(message):
                check_notification(message)
            else:
                replies.append(message)
        self.check_replies(predictions, replies, connection.closed, figures)
        return messages

    def check_replies(self, predictions, replies, closed, figures):
        owed = [prediction.owed for prediction in predictions if prediction.owed is not None]
        if closed:
            self.closed_by_daemon += 1
            if len(replies) > len(owed):
                raise CaseFailure(f"{len(replies)} replies for {len(owed)} owed before the daemon closed the connection")
        elif len(replies) != len(owed):
            raise CaseFailure(f"{len(replies)} replies where {len(owed)} are owed: "
                              f"{[json.dumps(reply)[:200] for reply in replies[:5]]}")
        figures["replies"] += len(replies)
        for expected, reply in zip(owed, replies):
            check_owed(expected, reply)
            for element_owed, element in (zip(expected.elements, reply) if expected.elements is not None else [(expected, reply)]):
                figures["errors" if "error" in element else "results"] += 1
                self.account(element_owed.request, "result" in element)
        for expected in owed[len(replies):]:  # cut off by a close: the request may have run
            for element_owed in expected.elements or [expected]:
                self.account(element_owed.request, True)
        for prediction in predictions:
            for request in prediction.silent_requests:
                self.account(request, True)

    def account(self, request, may_have_appended):
        """Remembers the requestId of a request that may have appended (a write that got a result, or ran without
        a reply); only events carrying such an id may appear in the log."""
        if request is None or not may_have_appended:
            return
        method, params = request
        if method in self.knowledge.appending:
            self.accepted_request_ids.add(request_id_of(params))

    # -- session cases -------------------------------------------------------------------------------------------

    def hang_ups(self, plans):
        figures = self.by_category["hang-ups"]
        for lines, half, ending in plans:
            connection = self.open()
            payload = b"".join(line + b"\n" for line in lines) + half
            self.sent_now.append(payload)
            self.bytes_sent += len(payload)
            predictions = [predict_line(piece, self.knowledge.methods) for line in lines for piece in line.split(b"\n")]
            figures["lines"] += len(predictions)
            subscribes = any(owed_request_method(prediction) == "events.subscribe" for prediction in predictions)
            if ending == "close" or subscribes:
                connection.send_and_collect(payload)
                connection.close()
                for prediction in predictions:  # unread replies: the requests may have run
                    for expected in ([prediction.owed] if prediction.owed else []):
                        for element in expected.elements or [expected]:
                            self.account(element.request, True)
                    for request in prediction.silent_requests:
                        self.account(request, True)
                continue
            received = connection.send_and_collect(payload)
            connection.finish_sending()
            received += connection.send_and_collect(b"", until_closed=True)
            connection.close()
            if not connection.closed:
                raise CaseFailure("the daemon did not close a half-closed connection after its last reply")
            replies = [message for message in map(read_reply_line, received) if not is_notification_message(message)]
            connection.closed = False  # a half-close ends with the daemon closing: not a refusal
            self.check_replies(predictions, replies, False, figures)

    def parallel(self, payloads):
        figures = self.by_category["parallel"]
        connections, sentinels, all_predictions, early_lines = [], [], [], []
        for lines in payloads:
            connection = self.open()
            sentinel = self.next_sentinel()
            payload = b"".join(line + b"\n" for line in lines)
            payload += encode({"jsonrpc": "2.0", "id": sentinel, "method": "system.ping"}) + b"\n"
            self.sent_now.append(payload)
            self.bytes_sent += len(payload)
            predictions = [predict_line(piece, self.knowledge.methods) for line in lines for piece in line.split(b"\n")]
            figures["lines"] += len(predictions)
            # Everything out before the replies are read (a long payload's first replies arrive meanwhile).
            early_lines.append(connection.send_and_collect(payload))
            connections.append(connection)
            sentinels.append(sentinel)
            all_predictions.append(predictions)
        for connection, sentinel, predictions, early in zip(connections, sentinels, all_predictions, early_lines):
            lines = early + connection.send_and_collect(b"", sentinel)
            connection.close()
            messages = [read_reply_line(line) for line in lines]
            for message in messages:
                if is_notification_message(message):
                    check_notification(message)
            replies = [message for message in messages if not is_notification_message(message)]
            self.check_replies(predictions, replies, connection.closed, figures)

    def slow_reader(self, lines):
        figures = self.by_category["slow-reader"]
        connection = self.open()
        sentinel = self.next_sentinel()
        payload = b"".join(line + b"\n" for line in lines)
        self.sent_now.append(payload)
        figures["lines"] += len(lines)
        view, sent, deadline = memoryview(payload), 0, time.monotonic() + 0.7
        while sent < len(payload) and time.monotonic() < deadline:
            try:
                sent += connection.socket.send(view[sent: sent + (1 << 16)])
            except BlockingIOError:
                time.sleep(0.01)
        self.bytes_sent += len(payload)
        self.memory_probe()
        if sent == len(payload):
            raise CaseFailure(f"{len(payload)} bytes went through to a client that reads nothing: the daemon should "
                              f"have stopped reading at 64 waiting lines and 1 MiB of unsent replies (section 4)")
        self.back_pressure_bytes = max(self.back_pressure_bytes, sent)
        received = connection.send_and_collect(payload[sent:], sentinel)
        connection.close()
        predictions = [predict_line(line, self.knowledge.methods) for line in lines]
        self.check_replies(predictions, [read_reply_line(line) for line in received], connection.closed, figures)

    def connect_cycles(self, plans):
        figures = self.by_category["connect-cycles"]
        for style, data in plans:
            self.connect_cycle_count += 1
            self.sent_now.append(data)
            self.bytes_sent += len(data)
            if style == "burst":
                sockets = []
                for _ in range(100):
                    held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    held.connect(self.daemon.socket)
                    sockets.append(held)
                self.connections += len(sockets)
                for held in sockets:
                    held.close()
                continue
            held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            held.settimeout(CASE_SECONDS_MAX)
            held.connect(self.daemon.socket)
            self.connections += 1
            try:
                if data:
                    held.sendall(data)
                if style == "half-close":
                    held.shutdown(socket.SHUT_WR)
                    received = bytearray()
                    while True:
                        chunk = held.recv(65536)
                        if not chunk:
                            break
                        received.extend(chunk)
                    lines = bytes(received).split(b"\n")
                    if len(lines) != 2 or lines[1] != b"":
                        raise CaseFailure(f"a half-closed connection with one request got {bytes(received)[:300]!r}")
                    check_owed(predict_line(data[:-1], self.knowledge.methods).owed, read_reply_line(lines[0]))
                    figures["replies"] += 1
            except (BrokenPipeError, ConnectionResetError):
                self.closed_by_daemon += 1
            except socket.timeout:
                raise CaseFailure("no end of file within 30 s after a half-close") from None
            finally:
                held.close()


def owed_request_method(prediction):
    methods = [request[0] for request in prediction.silent_requests]
    if prediction.owed is not None:
        for element in prediction.owed.elements or [prediction.owed]:
            if element.request:
                methods.append(element.request[0])
    return "events.subscribe" if "events.subscribe" in methods else None


def predicted_requests(predictions):
    for prediction in predictions:
        for request in prediction.silent_requests:
            yield request
        if prediction.owed is not None:
            for element in prediction.owed.elements or [prediction.owed]:
                if element.request:
                    yield element.request


# ---------------------------------------------------------------------------------------------------------------
# The scenario.
# ---------------------------------------------------------------------------------------------------------------

def describe_bytes(data, limit=600):
    if len(data) <= limit:
        return repr(data)
    return f"{data[: limit // 2]!r} ... {data[-80:]!r} ({len(data)} bytes in all)"


def descriptor_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def call(socket_path, method, params=None, timeout=CASE_SECONDS_MAX):
    """One request on a fresh connection; the reply (checked for shape) or a CaseFailure."""
    connection = Exchange(socket_path)
    try:
        request = {"jsonrpc": "2.0", "id": "fuzz-check", "method": method}
        if params is not None:
            request["params"] = params
        lines = connection.send_and_collect(encode(request) + b"\n", "fuzz-check-sentinel")
        replies = [message for message in map(read_reply_line, lines) if not is_notification_message(message)]
        if len(replies) != 1:
            raise CaseFailure(f"{method}: {len(replies)} replies")
        check_reply_shape(replies[0])
        if "result" not in replies[0]:
            raise CaseFailure(f"{method} failed: {json.dumps(replies[0])[:300]}")
        return replies[0]["result"]
    finally:
        connection.close()


def seed_state(daemon, knowledge):
    """Replays the protocol's transcripts on the fresh daemon: questions, offers, proposals, matches, outcomes and
    reports exist, so mutated ids like Q-0001 and P-0002 reach the domain's checks."""
    for name in SEEDING_TRANSCRIPTS:
        connection = Exchange(daemon.socket)
        try:
            for request, _, source in knowledge.pairs:
                if source != name or UNSAFE_METHOD in request:
                    continue
                for line in connection.send_and_collect(request.encode("utf-8") + b"\n", "seed-sentinel"):
                    read_reply_line(line)
        finally:
            connection.close()


class Scenario:
    """One fuzz run: the daemon, the generator, the runner, and the checks after each group of cases."""

    def __init__(self, arguments, work):
        self.seed, _ = seeded_random(arguments.seed, "fuzz")
        self.quick = arguments.quick
        self.replay_case = arguments.case
        self.cases = arguments.cases or (CASES_QUICK if arguments.quick else CASES_DEFAULT)
        self.work = work
        self.daemon = Daemon(work)
        self.memory = {}

    def fail(self, number, category, reason):
        sent = b"".join(self.runner.sent_now)
        path = f"/tmp/lmds-fuzz-{self.seed}-case-{number}.bin"
        with open(path, "wb") as handle:
            handle.write(sent)
        connections = f" over {len(self.runner.sent_now)} connections or lines" if len(self.runner.sent_now) > 1 else ""
        raise TortureFailure(
            f"case {number} ({category}): {reason}\n"
            f"  bytes sent{connections}: {describe_bytes(sent)}\n"
            f"  all of them: {path}\n"
            f"  replay: scripts/torture fuzz --seed {self.seed} --case {number}\n"
            f"  daemon log (tail):\n{self.daemon.log_tail(15)}")

    def check_memory(self):
        """Samples the daemon's resident memory; fails the case when it grew beyond the bound."""
        resident = self.sample_memory()
        if resident - self.memory["start"] > MEMORY_GROWTH_KIB_MAX:
            raise CaseFailure(f"resident memory {resident // 1024} MiB, {self.memory['start'] // 1024} MiB at the start "
                              f"(at most {MEMORY_GROWTH_KIB_MAX // 1024} MiB more allowed)")

    def sample_memory(self):
        resident = self.daemon.resident_kib()
        self.memory["peak"] = max(self.memory.get("peak", 0), resident)
        return resident

    def run(self):
        started = time.monotonic()
        self.daemon.start()
        catalogue = call(self.daemon.socket, "system.methods")["methods"]
        self.knowledge = Knowledge(catalogue)
        undocumented = self.knowledge.undocumented_methods()
        if undocumented:
            raise TortureFailure(f"methods in system.methods without a page in Protocol/methods: {undocumented}")
        self.generator = Generator(self.seed, self.knowledge)
        self.runner = Runner(self.daemon, self.knowledge)
        self.runner.memory_probe = self.check_memory
        seed_state(self.daemon, self.knowledge)
        time.sleep(0.2)  # connections are released asynchronously
        self.position = call(self.daemon.socket, "system.status")["position"]
        self.seeded_events = self.position
        self.memory["start"] = self.sample_memory()
        self.descriptors_start = descriptor_count(self.daemon.pid)
        say(f"fuzz: {len(self.knowledge.methods)} methods, {len(self.knowledge.wrong_type_targets)} wrong-type targets, "
            f"{len(self.knowledge.corpus_lines)} example lines; {self.position} events seeded; "
            f"resident {self.memory['start'] // 1024} MiB")

        if self.replay_case is not None:
            numbers = [self.replay_case]
        else:
            numbers = range(self.cases)
        group_size = len(SCHEDULE)
        progress_every = max(1, (len(numbers) // group_size) // 8)
        fuzz_started = time.monotonic()
        for group_start in range(0, len(numbers), group_size):
            group = numbers[group_start: group_start + group_size]
            self.runner.rotate_shared_connection()
            self.runner.previous_request_ids, self.runner.accepted_request_ids = self.runner.accepted_request_ids, set()
            for number in group:
                self.run_case(number)
            self.check_group(group)
            if self.replay_case is None and (group_start // group_size) % progress_every == 0:
                say(f"fuzz: {group[-1] + 1}/{len(numbers)} cases, {self.runner.connections} connections, "
                    f"resident {self.daemon.resident_kib() // 1024} MiB, {time.monotonic() - fuzz_started:.0f} s")
        self.runner.rotate_shared_connection()
        return self.finish(len(numbers), time.monotonic() - fuzz_started, time.monotonic() - started)

    def run_case(self, number):
        category, case = self.generator.case(number)
        # Never a backup: a mutated path would write anywhere. (Deterministic, so replays match.)
        if isinstance(case, LineCase):
            requests = list(predicted_requests(self.runner.predictions(case)))
            if any(method == UNSAFE_METHOD and isinstance(params, dict) and isinstance(params.get("path"), str)
                   for method, params in requests):
                case = LineCase([Line(b'{"jsonrpc":"2.0","id":0,"method":"system.ping"}')])
        self.runner.sent_now = []
        self.runner.by_category[category]["cases"] += 1
        case_started = time.monotonic()
        try:
            if isinstance(case, LineCase):
                messages = self.runner.run_line_case(category, case)
            else:
                case.run(self.runner)
                messages = []
            if not self.daemon.running():
                raise CaseFailure(f"the daemon died (exit status {self.daemon.process.returncode})")
            if category in ("long-line", "slow-reader", "boundary-lines"):
                self.check_memory()
        except CaseFailure as failure:
            self.fail(number, category, str(failure))
        except OSError as error:
            reason = f"{type(error).__name__}: {error}"
            if not self.daemon.running():
                reason = f"the daemon died (exit status {self.daemon.process.returncode}) ({reason})"
            self.fail(number, category, reason)
        self.runner.by_category[category]["seconds"] += time.monotonic() - case_started
        if self.replay_case is not None:
            sent = b"".join(self.runner.sent_now)
            say(f"fuzz: case {number} ({category}) sent {describe_bytes(sent, 2000)}")
            for message in messages[:10]:
                say(f"fuzz:   reply {json.dumps(message, ensure_ascii=False)[:400]}")

    def check_group(self, group):
        """After a group: a ping on a fresh connection, the log moved only by writes that got a result, memory."""
        where = f"cases {group[0]} to {group[-1]}" if len(group) > 1 else f"case {group[0]}"
        replay = f"(replay one case: scripts/torture fuzz --seed {self.seed} --case K)"
        try:
            call(self.daemon.socket, "system.ping")
            position = call(self.daemon.socket, "system.status")["position"]
        except (CaseFailure, OSError) as error:
            raise TortureFailure(f"after {where} the daemon does not answer system.ping or system.status: {error}\n"
                                 f"{replay}\n{self.daemon.log_tail(15)}") from None
        if position < self.position:
            raise TortureFailure(f"after {where} the log position went back from {self.position} to {position}")
        if position > self.position:
            events, start = [], self.position + 1
            while start <= position:
                batch = call(self.daemon.socket, "events.read", {"from": start, "limit": 1000})["events"]
                if not batch:
                    break
                events.extend(batch)
                start = batch[-1]["position"] + 1
            allowed = self.runner.accepted_request_ids | self.runner.previous_request_ids
            for event in events:
                if event.get("requestId") not in allowed:
                    raise TortureFailure(
                        f"after {where} the log holds an event no accepted request explains: position {event['position']}, "
                        f"type {event['type']}, requestId {json.dumps(event.get('requestId'))} (accepted in this group: "
                        f"{sorted(map(str, self.runner.accepted_request_ids))[:10]}) {replay}")
        self.position = position
        resident = self.sample_memory()
        if resident - self.memory["start"] > MEMORY_GROWTH_KIB_MAX:
            raise TortureFailure(f"after {where} the daemon's resident memory is {resident // 1024} MiB, "
                                 f"{self.memory['start'] // 1024} MiB at the start")

    def finish(self, case_count, fuzz_seconds, total_seconds):
        # Connections and descriptors go back to where they were.
        deadline = time.monotonic() + 10
        while True:
            connections = call(self.daemon.socket, "system.status")["connections"]
            descriptors = descriptor_count(self.daemon.pid)
            if (connections <= 1 and descriptors <= self.descriptors_start + 2) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if connections > 1 or descriptors > self.descriptors_start + 2:
            raise TortureFailure(f"after the run the daemon still counts {connections} connections and holds {descriptors} "
                                 f"descriptors ({self.descriptors_start} at the start): a leak")
        self.memory["end"] = self.sample_memory()
        self.memory["high_water"] = self.daemon.peak_resident_kib()
        # What the accepted writes appended is a sound log: an intact hash chain, and read models that a replay
        # of the log file without the daemon rebuilds exactly.
        audit = call(self.daemon.socket, "audit.verify")
        if not audit.get("intact"):
            raise TortureFailure(f"after the run audit.verify finds the log damaged: {json.dumps(audit)}")
        replay = offline_replay_check(self.daemon.data, self.daemon.socket)
        exit_code = self.daemon.stop()
        if exit_code != 0:
            raise TortureFailure(f"lmdsd exited with {exit_code} after SIGTERM:\n{self.daemon.log_tail()}")
        runner = self.runner
        say(f"fuzz: log intact ({audit.get('recordsChecked')} records); offline replay: {replay.splitlines()[-1] if replay else 'ok'}")
        say(f"fuzz: resident memory start {self.memory['start'] // 1024} MiB, peak {self.memory['peak'] // 1024} MiB, "
            f"end {self.memory['end'] // 1024} MiB (high-water mark {self.memory['high_water'] // 1024} MiB)")
        for name in CATEGORIES:
            figures = runner.by_category[name]
            if figures["cases"]:
                say(f"fuzz:   {name:15} {figures['cases']:6} cases {figures['lines']:7} lines {figures['replies']:7} replies "
                    f"({figures['errors']} errors, {figures['results']} results) {figures['seconds']:6.1f} s")
                figures["seconds"] = round(figures["seconds"], 2)
        say(f"fuzz: {case_count} cases in {fuzz_seconds:.1f} s, {runner.connections} connections "
            f"({runner.connect_cycle_count} connect cycles), {runner.bytes_sent / 1048576:.1f} MiB sent, "
            f"{self.position - self.seeded_events} events appended by accepted writes, "
            f"{runner.closed_by_daemon} connections closed by the daemon; a slow reader got at most "
            f"{runner.back_pressure_bytes / 1048576:.1f} MiB through before the daemon stopped reading")
        return {
            "seed": self.seed,
            "cases": case_count,
            "replayedCase": self.replay_case,
            "connections": runner.connections,
            "connectCycles": runner.connect_cycle_count,
            "slowReaderBytesBeforeBackPressure": runner.back_pressure_bytes,
            "closedByDaemon": runner.closed_by_daemon,
            "mebibytesSent": round(runner.bytes_sent / 1048576, 1),
            "eventsAppendedByAcceptedWrites": self.position - self.seeded_events,
            "residentKiB": {"start": self.memory["start"], "peak": self.memory["peak"], "end": self.memory["end"],
                            "highWater": self.memory["high_water"]},
            "descriptors": {"start": self.descriptors_start, "end": descriptors},
            "categories": {name: figures for name, figures in runner.by_category.items() if figures["cases"]},
            "fuzzSeconds": round(fuzz_seconds, 1),
            "auditRecordsChecked": audit.get("recordsChecked"),
        }


def run(arguments):
    if arguments.case is not None and arguments.seed is None:
        raise TortureFailure("--case K replays a case of a run: give that run's --seed too")
    with WorkDirectory(prefix="lmds-fuzz.") as work:
        scenario = Scenario(arguments, work)
        try:
            return scenario.run()
        finally:
            if scenario.daemon.process is not None:
                scenario.daemon.ensure_stopped()
