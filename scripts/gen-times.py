#!/usr/bin/env python3
"""CLI wall time of `chanx-gen generate` on every official AsyncAPI example, binaries run alternately.

Usage: ROUNDS=15 scripts/gen-times.py BIN [BIN...]  (CSV: median and min ms per binary)
"""
import glob, os, shutil, statistics, subprocess, sys, tempfile, time
OUT = os.path.join(tempfile.mkdtemp(), 'out')
bins = sys.argv[1:]
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'corpus')
specs = sorted(glob.glob(SHARED + '/asyncapi/examples/*.yml')) + sorted(glob.glob(SHARED + '/asyncapi/examples/social-media/*/asyncapi.yaml'))
rounds = int(os.environ.get('ROUNDS', '15'))
print('spec,' + ','.join(f'{os.path.basename(b)} median ms,{os.path.basename(b)} min ms' for b in bins))
for s in specs:
    name = os.path.relpath(s, SHARED + '/asyncapi/examples').replace('/asyncapi.yaml', '').replace('-asyncapi.yml', '')
    times = {b: [] for b in bins}
    for r in range(rounds + 2):
        for b in bins:
            shutil.rmtree(OUT, ignore_errors=True)
            t = time.perf_counter()
            subprocess.run([b, 'generate', s, '-o', OUT], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            dt = (time.perf_counter() - t) * 1e3
            if r >= 2: times[b].append(dt)
    print(name + ',' + ','.join(f'{statistics.median(times[b]):.1f},{min(times[b]):.1f}' for b in bins), flush=True)
