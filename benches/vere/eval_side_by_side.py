#!/usr/bin/env python3
"""engine against Vere 1.16 on the Hoon and Nock rows of ../shared/perf.md, in one run, through each
runtime's `eval` (engine's `engine eval`, Vere's `urbit eval`), runs alternating.

    ENGINE=target/release/engine VERE=/path/to/urbit python3 benches/vere/eval_side_by_side.py [ROUNDS]

Neither runtime has a command that times one expression alone (Vere boots the ivory pill in every `eval`,
about 0.36 s here), so each row is measured as the difference of two whole processes that differ only in
the work of the row, medians of ROUNDS runs (default 7) of each:

Times are CPU seconds (user + system) of each process.

- Hoon rows: `(mug EXPR)` less `(mug 0)`: parsing, compiling and running EXPR (the mug, not the printed
  product, as perf.md's "product mug" column: printing a vase prints its whole type). The mug printed is
  checked against perf.md's where it gives one, and between the two runtimes.
- Nock rows (the programs of ../shared/jam): `[subject formula]` cued once, then run K times in a Hoon
  loop (`.*`, Nock 2), less the same loop running the formula `[1 0]`, divided by K: the program's run.
  K is chosen so that a row takes a few tenths of a second in Vere. The product's mug is checked against
  perf.md's.

engine runs with its cached ivory kernel (the boot is subtracted on both sides anyway). decslow (212 s in
Vere) is run once on each side, at the same time, with `--decslow`. `--only=hoon` or `--only=nock` runs
one table.
"""
import os, resource, statistics, subprocess, sys, time
from pathlib import Path

HOON = [
    # (expression, perf.md's product mug or None)
    ("(add 2 2)", 0x7EA39955),
    ("(turn (gulf 1 1.000) |=(a=@ (mul a a)))", 0x5E12DC6),
    ("(roll (gulf 1 100.000) add)", 0x36220136),
    ("(shax 'hello')", 0x2541BB2C),
    ("!>(|=(a=@ +(a)))", 0x1ADD1E26),
    ("=/(n 0 |-(?:(=(n 1.000.000) n $(n +(n)))))", 0x51459D7D),
    ("=/(f |=(n=@ ?:((lth n 2) n (add $(n (dec n)) $(n (sub n 2))))) (f 22))", 0x64D550CD),
    ("(~(gas by *(map @ @)) (turn (gulf 1 10.000) |=(a=@ [a a])))", 0x1A439C),
    ("(jam (turn (gulf 1 10.000) |=(a=@ [a a])))", 0x6493262B),
    # perf.md's three-arm core is not given as text: this one is ours (so its mug is not checked).
    ("!>\n|%\n++  one  1\n++  two  |=(a=@ (add a 2))\n++  three  |=(a=@ (mul a 3))\n--", None),
    ('(slap !>(~) (ream (crip "|=(a=@ +(a))")))', 0xAD02D94),
]

NOCK = [
    # (program, runs per process, perf.md's product mug)
    ("decrement", 300, 0x7936CE9D),
    ("decrement2", 10000, 0x6AEE1883),
    ("decfast", 200000, 0x58BE5892),
    ("decflow", 200000, 0x58BE5892),
    ("hurray", 200000, 0x14D57135),
    ("repeat5_10", 10000, 0x27159A43),
    ("repeat5_100", 10000, 0x4AC79A61),
    ("repeat5_1000", 2000, 0x34230962),
    ("repeat5_10_tc", 10000, 0x27159A43),
    ("repeat5_100_tc", 10000, 0x4AC79A61),
    ("repeat5_1000_tc", 2000, 0x34230962),
]


def hoon_hex(data):
    """An atom's Hoon literal (`0x1.abcd`) from its little-endian bytes."""
    digits = format(int.from_bytes(data, "little"), "x")
    groups = []
    while len(digits) > 4:
        groups.insert(0, digits[-4:])
        digits = digits[:-4]
    return "0x" + ".".join([digits] + groups)


def nock_loop(jam, runs, formula):
    """Runs `formula` (Hoon for a noun) against the program's subject `runs` times; prints the mug of
    the last product."""
    count = f"{runs:,}".replace(",", ".")  # Hoon writes 10000 as 10.000
    return (f"=/(n ;;(^ (cue {hoon_hex(jam)})) =/(i {count} "
            f"|-(?:(=(i 1) (mug .*(-.n {formula})) =+(.*(-.n {formula}) $(i (dec i)))))))")


def timed(argv, stdin=None):
    """Runs a process to its end; its CPU time (user + system, from the children's resource usage: steadier
    than wall time on a shared machine, and `eval` is one process on both sides) and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=3600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, done.stdout


def printed(text):
    """The product as printed, without Vere's `eval:` line and its escape sequences."""
    lines = [l for l in text.replace("\x1b[0m", "").splitlines() if l.strip() and l != "eval:"]
    return lines[-1].strip() if lines else "(nothing)"


def as_mug(text):
    try:
        return int(text.replace(".", ""))
    except ValueError:
        return None


class Side:
    def __init__(self, name, argv_for):
        self.name, self.argv_for = name, argv_for

    def run(self, expr):
        argv, stdin = self.argv_for(expr)
        t, out = timed(argv, stdin)
        return t, printed(out)


def measure(sides, work, base, rounds):
    """Medians of `work` and `base` on each side; returns {side: (seconds of work less base, printed)}."""
    times = {s.name: ([], []) for s in sides}
    shown = {}
    for _ in range(rounds):
        for s in sides:
            t, out = s.run(work)
            times[s.name][0].append(t)
            shown[s.name] = out
            t, _ = s.run(base)
            times[s.name][1].append(t)
    return {n: (statistics.median(w) - statistics.median(b), shown[n]) for n, (w, b) in times.items()}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rounds = int(args[0]) if args else 7
    engine = os.environ.get("ENGINE", "target/release/engine")
    vere = os.environ.get("VERE")
    if not vere:
        sys.exit("set VERE to Vere's urbit binary")
    shared = Path(__file__).resolve().parents[3] / "shared"
    jams = Path(os.environ.get("ENGINE_JAMS", shared / "jam"))
    sides = [Side("engine", lambda e: ([engine, "eval", e], None)),
             Side("vere", lambda e: ([vere, "eval"], e + "\n"))]

    only = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")), None)
    print(f"Hoon (medians of {rounds}; milliseconds of parse + compile + run, the boot subtracted)")
    print(f"{'expression':58} {'engine':>9} {'Vere':>9} {'Vere/engine':>11}  mug")
    for expr, mug in HOON if only in (None, "hoon") else []:
        # A tall-form expression cannot sit inside parentheses.
        work = f"%-  mug\n{expr}" if "\n" in expr else f"(mug {expr})"
        got = measure(sides, work, "(mug 0)", rounds)
        (te, oe), (tv, ov) = got["engine"], got["vere"]
        check = "same" if oe == ov else f"DIFFERENT ({oe} vs {ov})"
        if mug is not None and as_mug(oe) != mug:
            check += f", not perf.md's {mug:#x}"
        label = expr.replace("\n", " ")[:58]
        print(f"{label:58} {te * 1e3:9.1f} {tv * 1e3:9.1f} {tv / te if te > 0 else float('nan'):11.2f}  {check}")

    print(f"\nNock (medians of {rounds}; microseconds per run of the program)")
    print(f"{'program':18} {'runs':>6} {'engine':>10} {'Vere':>10} {'Vere/engine':>11}  mug")
    for name, runs, mug in NOCK if only in (None, "nock") else []:
        jam = (jams / f"{name}.jam").read_bytes()
        got = measure(sides, nock_loop(jam, runs, "+.n"), nock_loop(jam, runs, "[1 0]"), rounds)
        (te, oe), (tv, ov) = got["engine"], got["vere"]
        te, tv = te / (runs - 1), tv / (runs - 1)
        check = "same" if oe == ov else f"DIFFERENT ({oe} vs {ov})"
        if as_mug(oe) != mug:
            check += f", not perf.md's {mug:#x}"
        print(f"{name:18} {runs:6} {te * 1e6:10.2f} {tv * 1e6:10.2f} "
              f"{tv / te if te > 0 else float('nan'):11.2f}  {check}")

    if "--decslow" in sys.argv:
        # One run each, both at once (one core each on a two-core machine).
        expr = f"=/(n ;;(^ (cue {hoon_hex((jams / 'decslow.jam').read_bytes())})) (mug .*(-.n +.n)))"
        started = time.monotonic()
        running = {}
        for s in sides:
            argv, stdin = s.argv_for(expr)
            p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            p.stdin.write(stdin or "")
            p.stdin.close()
            running[s.name] = p
        ended = {}
        while len(ended) < len(running):
            for name, p in running.items():
                if name not in ended and p.poll() is not None:
                    ended[name] = (time.monotonic() - started, printed(p.stdout.read()))
            time.sleep(0.1)
        (te, oe), (tv, ov) = ended["engine"], ended["vere"]
        print(f"\ndecslow, once each at the same time (whole processes): engine {te:.1f} s, Vere {tv:.1f} s, "
              f"Vere/engine {tv / te:.2f}; {'same' if oe == ov else 'DIFFERENT'} mug {oe}")


if __name__ == "__main__":
    main()
