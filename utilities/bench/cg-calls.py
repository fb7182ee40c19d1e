#!/usr/bin/env python3
# cg-calls.py CALLGRIND_OUT [N]: the N (default 20) most called functions
# of a callgrind output file, with their call counts and inclusive Ir per
# call, to tell per-packet work from per-iteration polling.
import re
import sys

names, calls, incl = {}, {}, {}
cur = None
pending = None
for line in open(sys.argv[1]):
    m = re.match(r'c?fn=\((\d+)\)(?: (.*))?', line)
    if m:
        if m.group(2):
            names[m.group(1)] = m.group(2).strip()
        if line.startswith('cfn'):
            cur = m.group(1)
        continue
    m = re.match(r'calls=(\d+)', line)
    if m and cur:
        calls[cur] = calls.get(cur, 0) + int(m.group(1))
        pending = cur
        cur = None
        continue
    if pending:
        parts = line.split()
        if len(parts) >= 2:
            incl[pending] = incl.get(pending, 0) + int(parts[1])
        pending = None
n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
for k, v in sorted([c for c in calls.items() if c[1]],
                   key=lambda x: -x[1])[:n]:
    print('%10d calls %8.1f Ir/call  %s' % (v, incl.get(k, 0) / v,
                                           names.get(k, k)[:90]))
