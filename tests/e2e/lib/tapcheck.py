"""tapcheck: TAP lines from Python checks in the shell tests' heredocs.

    sys.path.insert(0, "tests/e2e/lib"); from tapcheck import report
    report([(passed, "what a user would check"), ...])

prints "ok - WHAT" or "not ok - WHAT" for each, then exits 1 if any failed, else 0."""
import sys


def report(checks):
    bad = 0
    for passed, what in checks:
        print(("ok - " if passed else "not ok - ") + what)
        bad += not passed
    sys.exit(1 if bad else 0)
