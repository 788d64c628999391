#!/usr/bin/env python3
"""Compare Huitong's error report of an import with the defects the generator planted.

    bench/compare_rejections.py --defects bench/out/population-….defects.csv --sqlite DIR/huitong.sqlite

Reads the latest ingest job's rejected rows from a Huitong SQLite database (table ingest_job_issues) and the
generator's defect list (record, line, kind, column, value), matches them by the line a row starts on (which is how
Huitong numbers rows), and prints, per defect kind, how many were rejected for the planted column, and every
difference: planted defects that were not rejected, rows rejected without a planted defect, rows rejected for
another column. Exits 1 when there is any difference. Standard library only.
"""

import argparse
import collections
import csv
import sqlite3
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--defects", required=True, help="the generator's --defects-out file")
    parser.add_argument("--sqlite", required=True, help="the Huitong database the import ran on")
    parser.add_argument("--examples", type=int, default=5, help="differences to show per kind (default 5)")
    args = parser.parse_args()

    with open(args.defects, encoding="utf-8", newline="") as f:
        planted = {int(row["line"]): row for row in csv.DictReader(f)}

    db = sqlite3.connect("file:%s?mode=ro" % args.sqlite, uri=True)
    job = db.execute(
        "SELECT id, status, rows_read, rows_loaded, rows_rejected, message FROM ingest_jobs ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if job is None:
        print("no ingest job in %s" % args.sqlite)
        return 1
    job_id, status, read, loaded, rejected, message = job
    reported = collections.defaultdict(list)
    for row, column, value, reason in db.execute(
            "SELECT row_number, column_name, value, reason FROM ingest_job_issues WHERE job_id = ? ORDER BY row_number",
            (job_id,)):
        reported[row].append((column, value, reason))

    print("job %d %s: read %d, loaded %d, rejected %d (%s)" % (job_id, status, read, loaded, rejected, message))
    print("generator planted %d defective rows; Huitong's report names %d rows (%d issues)" % (
        len(planted), len(reported), sum(len(v) for v in reported.values())))

    by_kind = collections.Counter(p["kind"] for p in planted.values())
    matched = collections.Counter()
    missing = collections.defaultdict(list)
    wrong_column = collections.defaultdict(list)
    for line, p in sorted(planted.items()):
        issues = reported.get(line)
        if not issues:
            missing[p["kind"]].append(p)
        elif any(column == p["column"] for column, _, _ in issues):
            matched[p["kind"]] += 1
        else:
            wrong_column[p["kind"]].append((p, issues))
    unexpected = [(line, issues) for line, issues in sorted(reported.items()) if line not in planted]

    for kind in by_kind:
        print("  %-16s planted %6d  rejected as planted %6d" % (kind, by_kind[kind], matched[kind]))
    differences = 0
    for kind, rows in missing.items():
        differences += len(rows)
        print("NOT REJECTED: %d %s rows, e.g." % (len(rows), kind))
        for p in rows[:args.examples]:
            print("    line %s (record %s) %s=%r" % (p["line"], p["record"], p["column"], p["value"]))
    for kind, rows in wrong_column.items():
        differences += len(rows)
        print("REJECTED FOR ANOTHER COLUMN: %d %s rows, e.g." % (len(rows), kind))
        for p, issues in rows[:args.examples]:
            print("    line %s planted %s=%r, reported %s" % (p["line"], p["column"], p["value"], issues))
    if unexpected:
        differences += len(unexpected)
        print("REJECTED WITHOUT A PLANTED DEFECT: %d rows, e.g." % len(unexpected))
        for line, issues in unexpected[:args.examples]:
            print("    line %d: %s" % (line, issues))
    if rejected != len(reported):
        differences += 1
        print("MISMATCH: the job counts %d rejected rows but its report names %d rows" % (rejected, len(reported)))
    print("rejections match the planted defects exactly" if differences == 0 else
          "%d differences between planted defects and Huitong's report" % differences)
    return 0 if differences == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
