#!/usr/bin/env python3
# The floor of an incremental depmod: only writing the ten database files of MODDIR (their
# current bytes, read beforehand) into a staging directory and renaming them into place, as
# kmpkit depmod's commit does. Prints the median wall and CPU (user+sys) time of RUNS rounds.
#
#   bench/depmod-write-floor.py MODDIR [RUNS]      MODDIR holds a database (run a depmod first)
import os, sys, time
md = sys.argv[1]
names = "modules.dep modules.dep.bin modules.alias modules.alias.bin modules.softdep modules.symbols modules.symbols.bin modules.builtin.bin modules.builtin.alias.bin modules.devname".split()
data = {n: open(os.path.join(md, n), 'rb').read() for n in names}
ts = []
for r in range(int(sys.argv[2]) if len(sys.argv) > 2 else 15):
    t0 = time.perf_counter(); c0 = time.process_time()
    st = os.path.join(md, ".floor.staging"); os.mkdir(st)
    for n in names:
        fd = os.open(os.path.join(st, n), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, data[n]); os.close(fd)
    for n in names: os.rename(os.path.join(st, n), os.path.join(md, n))
    os.rmdir(st)
    ts.append((time.perf_counter() - t0, time.process_time() - c0))
ts.sort()
print("write+rename ten files (%.1f MB): median wall %.1f ms, cpu %.1f ms" % (sum(map(len, data.values()))/1e6, ts[len(ts)//2][0]*1e3, sorted(t[1] for t in ts)[len(ts)//2]*1e3))
