"""scripts/torture: one entry for every reliability scenario (see scripts/torture --help).

Each scenario is a module here with `describe` (one line), `add_arguments(parser)` and `run(arguments)`;
`run` returns a dict of figures (printed as one JSON line on stdout and summarised on stderr) or raises
TortureFailure, which exits 1 with the reason and the seed to replay it."""

import argparse
import importlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import TortureFailure, say  # noqa: E402

SCENARIOS = ["crash", "disk-full", "fsync-error", "fuzz", "load", "permissions", "backup", "notify-crash", "bit-flip", "restore"]


def module_for(name):
    return importlib.import_module(name.replace("-", "_"))


def main():
    parser = argparse.ArgumentParser(prog="scripts/torture", description="Reliability scenarios against the real lmdsd.")
    commands = parser.add_subparsers(dest="scenario", required=True, metavar="SCENARIO")
    for name in SCENARIOS:
        module = module_for(name)
        sub = commands.add_parser(name, help=module.DESCRIBE, description=module.DESCRIBE)
        sub.add_argument("--quick", action="store_true", help="the short version (what scripts/test runs)")
        sub.add_argument("--seed", type=int, default=None, help="the seed of a run to replay")
        module.add_arguments(sub)
    everything = commands.add_parser("all", help="every scenario in turn")
    everything.add_argument("--quick", action="store_true", help="the short version of each")
    everything.add_argument("--seed", type=int, default=None, help="one seed for every scenario")
    arguments = parser.parse_args()

    names = SCENARIOS if arguments.scenario == "all" else [arguments.scenario]
    failed = []
    for name in names:
        module = module_for(name)
        if arguments.scenario == "all":
            sub = argparse.ArgumentParser()
            module.add_arguments(sub)
            scenario_arguments = sub.parse_args([])
            scenario_arguments.quick, scenario_arguments.seed = arguments.quick, arguments.seed
        else:
            scenario_arguments = arguments
        started = time.monotonic()
        say(f"==> torture {name}{' (quick)' if arguments.quick else ''}")
        try:
            figures = module.run(scenario_arguments)
        except TortureFailure as failure:
            say(f"torture {name} FAILED: {failure}")
            failed.append(name)
            continue
        figures = dict(figures or {}, scenario=name, seconds=round(time.monotonic() - started, 1))
        print(json.dumps(figures, ensure_ascii=False), flush=True)
        say(f"torture {name} passed in {figures['seconds']} s")
    if failed:
        say(f"failed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
