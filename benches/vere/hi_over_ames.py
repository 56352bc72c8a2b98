#!/usr/bin/env python3
"""`|hi` between two fake galaxies, timed: the `hi` thread run on ~nec through khan (conn `%fyrd`, which
both runtimes take), from the request to its `%avow`, ROUNDS times (the first contact made before).

    ENGINE=target/release/engine python3 benches/vere/hi_over_ames.py engine DIR 9
    VERE=/path/to/urbit python3 benches/vere/hi_over_ames.py vere DIR2 9

DIR holds the piers `zod` and `nec` (as for merge_over_ames.py).
"""
import importlib.util, os, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("merge", os.path.join(HERE, "merge_over_ames.py"))
merge = importlib.util.module_from_spec(spec)
spec.loader.exec_module(merge)
term = merge.term


def cue(data):
    """Jam bytes as a noun (ints and 2-tuples)."""
    value, pos, refs = int.from_bytes(data, "little"), 0, {}

    def bit():
        nonlocal pos
        b = (value >> pos) & 1
        pos += 1
        return b

    def rub():
        c = 0
        while bit() == 0:
            c += 1
        if c == 0:
            return 0
        b = (1 << (c - 1)) | sum(bit() << i for i in range(c - 1))
        return sum(bit() << i for i in range(b))

    def go():
        start = pos
        if bit() == 0:
            refs[start] = rub()
        elif bit() == 0:
            head = go()
            refs[start] = (head, go())
        else:
            return refs[rub()]
        return refs[start]

    return go()


def text_after(noun, tag):
    """The tape after `tag` in a reply like `[rid %avow 0 %tape "..."]`."""
    while isinstance(noun, tuple) and noun[0] != term(tag):
        noun = noun[1]
    out, tape = "", noun[1] if isinstance(noun, tuple) else 0
    while isinstance(tape, tuple):
        out += chr(tape[0])
        tape = tape[1]
    return out


def main(kind, root, rounds):
    if kind == "engine":
        engine = os.path.abspath(os.environ.get("ENGINE", "target/release/engine"))
        procs = [subprocess.Popen([engine, "run", "--no-http", "zod", "nec"], cwd=root, stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    else:
        vere = os.path.abspath(os.environ["VERE"])
        procs = [subprocess.Popen([vere, "-t", "--http-port", str(8590 + i), ship], cwd=root,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for i, ship in enumerate(["zod", "nec"])]
    sock = {ship: f"{root}/{ship}/.urb/conn.sock" for ship in ["zod", "nec"]}
    while True:
        try:
            merge.desk_hash(sock["zod"], "base")
            merge.desk_hash(sock["nec"], "base")
            break
        except OSError:
            time.sleep(0.5)
    time.sleep(5)
    hi = (10, (term("fyrd"), (term("base"), (term("hi"), (term("tape"), (term("ship"), 0))))))
    merge.ask(sock["nec"], [hi])  # first contact, not timed
    times = []
    for _ in range(rounds):
        t0 = time.time()
        reply = merge.ask(sock["nec"], [hi])[0]
        times.append(time.time() - t0)
        said = text_after(cue(reply), "tape")
        if said != "hi ~zod successful":
            raise SystemExit(f"{kind}: the hi thread said {said!r}")
        time.sleep(0.5)
    times.sort()
    print(f"{kind}: |hi ~zod from ~nec (khan's hi thread), median of {rounds}: {times[len(times) // 2] * 1e3:.1f} ms "
          f"(fastest {times[0] * 1e3:.1f}, slowest {times[-1] * 1e3:.1f})", flush=True)
    for p in procs:
        if kind == "engine":
            p.terminate()
            p.wait(timeout=120)
        else:
            p.kill()
            p.wait()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("engine", "vere"):
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
