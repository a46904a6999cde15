#!/usr/bin/env python3
"""Expands RFC 5545 recurrence rules with python-dateutil, for the
schedule differential test.

Usage: dateutil_expand.py CASES_JSON

CASES_JSON contains a list of {"rrule", "dtstart", "from", "count", "before"}.
Times are floating local "YYYY-MM-DDTHH:MM:SS" strings. For each case the
script prints one JSON line: {"all": [...], "from": [...]} with the first
`count` occurrences from DTSTART and the first `count` at or after `from`,
both cut at `before`; or {"timeout": true} when dateutil spent more than
a second on the rule, which happens for rules that never match a date.
"""

import itertools
import json
import signal
import sys
from datetime import datetime

from dateutil import rrule


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def expand(rule, start, count, before):
    found = []
    for occurrence in itertools.islice(rule.xafter(start, count=count, inc=True), count):
        if occurrence >= before:
            break
        found.append(occurrence.strftime("%Y-%m-%dT%H:%M:%S"))
    return found


def main():
    with open(sys.argv[1], encoding="utf-8") as cases_file:
        cases = json.load(cases_file)
    signal.signal(signal.SIGALRM, on_alarm)
    for case in cases:
        dtstart = datetime.fromisoformat(case["dtstart"])
        since = datetime.fromisoformat(case["from"])
        before = datetime.fromisoformat(case["before"])
        signal.alarm(1)
        try:
            rule = rrule.rrulestr(case["rrule"], dtstart=dtstart)
            result = {
                "all": expand(rule, dtstart, case["count"], before),
                "from": expand(rule, since, case["count"], before),
            }
        except Timeout:
            result = {"timeout": True}
        except ValueError as error:
            result = {"error": str(error)}
        finally:
            signal.alarm(0)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
