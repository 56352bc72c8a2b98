#!/usr/bin/env python3
"""A fake ~zod booted from brass.pill by engine and by Vere at the same time, one core each: wall time,
CPU time, peak resident memory (the whole process tree: Vere's king and serf added up, sampled twice a
second) and the pier's snapshot size after the boot.

    ENGINE=target/release/engine VERE=/path/to/urbit python3 benches/vere/boot_side_by_side.py DIR [PILL]

DIR must not exist (it gets `engine/zod` and `vere/zod`); PILL defaults to ../shared/pills/brass.pill.
engine boots with `--no-cache` (the lifecycle computed, as Vere does); Vere with `-F zod -B PILL -x -t`
(exit once booted). Resident memory over time goes to DIR/*/rss.log (seconds, MiB). Each is pinned to its own core with `taskset` where there are two. The ratios printed
are engine's figure over Vere's.
"""
import os, subprocess, sys, time


def tree_rss_kib(pid):
    """The resident memory of a process and all its descendants, in KiB."""
    total, seen, todo = 0, set(), [pid]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def pier_bytes(path, names):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            if any(n in os.path.join(root, f) for n in names):
                total += os.path.getsize(os.path.join(root, f))
    return total


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    pill = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "../shared/pills/brass.pill")
    engine = os.path.abspath(os.environ.get("ENGINE", "target/release/engine"))
    vere = os.environ.get("VERE")
    if not vere:
        sys.exit("set VERE to Vere's urbit binary")
    os.makedirs(f"{out}/engine")
    os.makedirs(f"{out}/vere")
    pin = os.cpu_count() and os.cpu_count() >= 2
    runs = {
        "engine": ([engine, "boot", "--no-cache", "--pill", pill, "--fake", "zod", "zod"], "0"),
        "vere": ([os.path.abspath(vere), "-F", "zod", "-B", pill, "-x", "-t", "-c", "zod"], "1"),
    }
    procs, peak, started, ended = {}, {}, time.monotonic(), {}
    for name, (argv, core) in runs.items():
        if pin:
            argv = ["taskset", "-c", core] + argv
        log = open(f"{out}/{name}/boot.log", "w")
        procs[name] = subprocess.Popen(argv, cwd=f"{out}/{name}", stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT)
        peak[name] = 0
    usage = {}  # name -> (exit status, CPU seconds of the process and the children it waited for)
    samples = {name: open(f"{out}/{name}/rss.log", "w") for name in procs}
    while len(ended) < len(procs):
        for name, p in procs.items():
            if name in ended:
                continue
            rss = tree_rss_kib(p.pid)
            peak[name] = max(peak[name], rss)
            samples[name].write(f"{time.monotonic() - started:.1f} {rss // 1024}\n")
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                ended[name] = time.monotonic() - started
                usage[name] = (os.waitstatus_to_exitcode(status), ru.ru_utime + ru.ru_stime)
        time.sleep(0.5)
    snap = {
        "engine": pier_bytes(f"{out}/engine/zod", ["/.engine/snap/"]),
        "vere": pier_bytes(f"{out}/vere/zod", ["/.urb/chk/"]),
    }
    print(f"{'':8} {'exit':>4} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'snapshot MB':>12}")
    for name in procs:
        status, cpu = usage[name]
        print(f"{name:8} {status:>4} {ended[name]:>8.1f} {cpu:>8.1f} {peak[name] / 1024:>9.0f} "
              f"{snap[name] / 1e6:>12.1f}")
    print(f"engine/vere: wall {ended['engine'] / ended['vere']:.2f}x, peak memory "
          f"{peak['engine'] / max(peak['vere'], 1):.2f}x, snapshot {snap['engine'] / max(snap['vere'], 1):.2f}x")


if __name__ == "__main__":
    main()
