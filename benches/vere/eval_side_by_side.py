#!/usr/bin/env python3
"""`engine eval` against Vere's `urbit eval`, whole processes, alternating runs: the Hoon rows of
../shared/perf.md (each run boots the ivory pill, parses, compiles, runs and prints, on both sides).

    ENGINE=target/release/engine VERE=/path/to/urbit python3 benches/vere/eval_side_by_side.py [ROUNDS]

engine runs with `--no-cache` (it boots ivory every time, as Vere does) and, in a second column, with its
cache of the booted ivory kernel (its default). Medians of ROUNDS runs (default 7); the ratio is engine's
median (no cache) over Vere's. Each product is checked to print the same on both.
"""
import os, statistics, subprocess, sys, time

EXPRESSIONS = [
    "(add 2 2)",
    "(turn (gulf 1 1.000) |=(a=@ (mul a a)))",
    "(roll (gulf 1 100.000) add)",
    "(shax 'hello')",
    "=/(n 0 |-(?:(=(n 1.000.000) n $(n +(n)))))",
    "=/(f |=(n=@ ?:((lth n 2) n (add $(n (dec n)) $(n (sub n 2))))) (f 22))",
    "(~(gas by *(map @ @)) (turn (gulf 1 10.000) |=(a=@ [a a])))",
    "(jam (turn (gulf 1 10.000) |=(a=@ [a a])))",
    '(slap !>(~) (ream (crip "|=(a=@ +(a))")))',
]


def run(argv, stdin=None):
    started = time.monotonic()
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=600)
    return time.monotonic() - started, done.stdout


def vere_output(text):
    """Vere's eval prints `eval:` first and an escape sequence last; the product is between."""
    lines = [l for l in text.replace("\x1b[0m", "").splitlines() if l.strip() and l != "eval:"]
    return "\n".join(lines)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    engine = os.environ.get("ENGINE", "target/release/engine")
    vere = os.environ.get("VERE")
    if not vere:
        sys.exit("set VERE to Vere's urbit binary")
    print(f"{'expression':60} {'engine':>8} {'cached':>8} {'Vere':>8} {'ratio':>6}")
    for expr in EXPRESSIONS:
        times = {"engine": [], "cached": [], "vere": []}
        outputs = {}
        for _ in range(rounds):
            t, out = run([engine, "eval", "--no-cache", expr])
            times["engine"].append(t)
            outputs["engine"] = out.strip()
            t, out = run([engine, "eval", expr])
            times["cached"].append(t)
            t, out = run([vere, "eval"], stdin=expr + "\n")
            times["vere"].append(t)
            outputs["vere"] = vere_output(out)
        med = {k: statistics.median(v) for k, v in times.items()}
        same = "" if outputs["engine"] == outputs["vere"] else "  (printed differently!)"
        print(f"{expr[:60]:60} {med['engine']:8.3f} {med['cached']:8.3f} {med['vere']:8.3f} "
              f"{med['engine'] / med['vere']:6.2f}{same}")


if __name__ == "__main__":
    main()
