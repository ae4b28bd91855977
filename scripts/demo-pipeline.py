#!/usr/bin/env python3
"""The matching half of scripts/demo: takes the projects in scripts/demo-data/pipeline.json through
proposals, consent, a decline, a withdrawal, an expiry, matches, outcomes with deliverables, a follow-up
question and a follow-up check, all through the real lmds CLI, and prints what a coordinator would see.

Usage: demo-pipeline.py LMDS_BINARY PIPELINE_JSON EXPIRY_SECONDS
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

lmds, pipeline_path, expiry_seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
projects = json.load(open(pipeline_path, encoding="utf-8"))["projects"]


def run(*args, show=True, check=True):
    """Runs `lmds ARGS`, printing the command and its output like a terminal session."""
    if show:
        print("\n$ lmds " + " ".join(shlex.quote(a) for a in args), flush=True)
    result = subprocess.run([lmds, *args], capture_output=True, text=True)
    if show:
        sys.stdout.write(result.stdout)
        sys.stdout.write(result.stderr)
        sys.stdout.flush()
    if check and result.returncode != 0:
        sys.exit(f"demo: lmds {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def run_json(*args):
    return json.loads(run(*args, "--json", show=False).stdout)


def section(title):
    print(f"\n==> {title}", flush=True)


section("matching: lmds drafts suggestions and explains them; the coordinators decide")
first_project = projects[0]
run("suggest", first_project["question"], "--limit", "3")
run("suggest", first_project["offer"], "--limit", "3")

section("the coordinators propose questions to offers")
# The proposal that will expire goes first, so that its clock runs while the rest happens.
ordered = sorted(projects, key=lambda p: p["path"] != "expired")
proposal_of = {}
for project in ordered:
    reply = run_json("propose", project["question"], project["offer"], "--note", project["note"])
    proposal_of[id(project)] = reply["id"]
    print(f"{reply['id']}: {project['question']} -> {project['offer']} ({project['path']} in this story)")
expiring = [proposal_of[id(p)] for p in ordered if p["path"] == "expired"]

section("consent: the requester's side and the education side answer")
match_of = {}
first = True
for project in ordered:
    proposal = proposal_of[id(project)]
    path = project["path"]
    if path in ("agreed", "started", "delivered", "cancelled"):
        run("accept", proposal, "--side", "requester", show=first)
        reply = run_json("accept", proposal, "--side", "education")
        if first:
            print(f"\n$ lmds accept {proposal} --side education\n{reply['id']} {reply['status']}: match {reply['match']} agreed in the same append")
            first = False
        match_of[id(project)] = reply["match"]
    elif path == "declined":
        run("decline", proposal, "--side", project["side"], "--reason", project["reason"])
    elif path == "withdrawn":
        run("proposal", "withdraw", proposal, "--reason", project["reason"])
print(f"\n{len(match_of)} matches agreed")
run("proposals", "--limit", "20")

section("the teams start; one collaboration stops")
for project in ordered:
    match = match_of.get(id(project))
    if match and project["path"] in ("started", "delivered", "cancelled"):
        # The team starts when the offer's period begins (a start outside it is refused without --force).
        offer = run_json("show", run_json("show", match)["offer"])
        run("start", match, "--students", str(project["students"]), "--started-on", offer["period"]["from"],
            show=project["path"] == "started")
    if match and project["path"] == "cancelled":
        run("match", "cancel", match, "--reason", project["reason"])
running = next(match_of[id(p)] for p in ordered if p["path"] in ("started", "delivered"))
print(f"\n$ lmds start {running} --students 5   (a match that already started cannot start again; nothing is appended)")
print(run("start", running, "--students", "5", show=False, check=False).stderr.strip())

section("outcomes: what the collaborations delivered")
outcomes = []
with tempfile.TemporaryDirectory() as scratch:
    for project in ordered:
        match = match_of.get(id(project))
        if not match or project["path"] != "delivered":
            continue
        path = os.path.join(scratch, f"{match}.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump(project["outcome"], file, ensure_ascii=False)
        reply = run_json("outcome", "record", match, "--file", path)
        outcomes.append((project, reply))
        print(f"{reply['id']} recorded for {match}; follow-up check due {reply['followUpDue']}"
              + (f"; new follow-up questions {', '.join(reply['followUps'])}" if reply["followUps"] else ""))
first_outcome = outcomes[0][1]["id"]
run("show", first_outcome)
run("outcomes")
run("matches", "--limit", "20")
follow_up_questions = [q for _, reply in outcomes for q in reply["followUps"]]
if follow_up_questions:
    run("show", follow_up_questions[0])

section("half a year later: the follow-up checks")
due = max(reply["followUpDue"] for _, reply in outcomes)
run("followups", "--on", due)
for project, reply in outcomes:
    if "followUp" in project:
        run("followup", "record", reply["id"], "--used", project["followUp"]["used"], "--note", project["followUp"]["note"])
        run("match", "close", reply["match"], "--note", "Opbrengst vastgelegd en nagevraagd.")
run("followups", "--on", due, "--status", "all")

section(f"expiry: a proposal without both consents expires by itself (this demo's daemon uses {expiry_seconds:.0f} seconds instead of 21 days)")
for proposal in expiring:
    deadline = time.time() + expiry_seconds + 30
    while time.time() < deadline:
        if run_json("show", proposal)["status"] == "expired":
            break
        time.sleep(0.5)
    run("show", proposal)
    run("history", proposal)

section("a first draft for the next semester: the best plan for the open questions within the offers' capacities")
run("plan", "--period", "2027-2028 S1", "--min-score", "0.35")
run("plan", "--period", "2027-2028 S1", "--min-score", "0.35", "--propose")

section("where the city's questions are now")
run("questions", "--status", "completed")
run("questions", "--status", "matched")
run("questions", "--institution", "mboRijnland")
delivered_question = outcomes[0][0]["question"]
run("history", delivered_question)
