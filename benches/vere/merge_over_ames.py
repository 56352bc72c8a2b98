#!/usr/bin/env python3
"""A desk merged over ames, timed: engine's pair of fake galaxies against Vere's, one runtime per run.

On ~zod: `|mount %base`, FILES new text files of 20 KB (from SEED) written under `<folder>/`, `|commit
%base`. On ~nec: `|hi ~zod` (first contact, not timed), then `|merge %<desk> ~zod %base`, timed from the
command to kiln's `merged with strategy` line. Lines are typed as dill belts injected over each ship's
conn socket (`%ovum`, which both runtimes take); commits are seen by conn `%peek` of `%cz`.

Each run needs new content (a new FOLDER, SEED and DESK): ~nec keeps the files it fetched before.

    ENGINE=target/release/engine python3 benches/vere/merge_over_ames.py engine DIR bulk1 1001 bulk1
    VERE=/path/to/urbit python3 benches/vere/merge_over_ames.py vere DIR bulk2 1002 bulk2

DIR holds the piers `zod` and `nec` (fake galaxies booted from the same pill: `engine boot --fake zod zod`
or `urbit -F zod -B brass.pill -c zod`). engine's ship prints kiln's line on stderr (DIR/run.err), Vere's
on its output (DIR/run-nec.out).
"""
import os, random, socket, struct, subprocess, sys, time

FILES, FILE_BYTES = 200, 20000


def term(text):
    return int.from_bytes(text.encode(), "little")


def jam(noun):
    """A noun (ints and 2-tuples) as jam bytes, without back-references."""
    bits = []

    def mat(a):
        if a == 0:
            bits.append(1)
            return
        b = a.bit_length()
        c = b.bit_length()
        bits.extend([0] * c)
        bits.append(1)
        bits.extend((b >> i) & 1 for i in range(c - 1))
        bits.extend((a >> i) & 1 for i in range(b))

    def go(n):
        if isinstance(n, tuple):
            bits.extend([1, 0])
            go(n[0])
            go(n[1])
        else:
            bits.append(0)
            mat(n)

    go(noun)
    value = sum(b << i for i, b in enumerate(bits))
    return value.to_bytes((value.bit_length() + 7) // 8 or 1, "little")


def null_list(items):
    noun = 0
    for item in reversed(items):
        noun = (item, noun)
    return noun


def ask(sock_path, request, replies=1):
    """Sends conn requests (nouns) on one connection; reads `replies` frames back."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    for noun in request:
        body = jam(noun)
        s.sendall(b"\x00" + struct.pack("<I", len(body)) + body)
    s.settimeout(120)
    got, frames = b"", []
    while len(frames) < replies:
        while len(got) < 5 or len(got) < 5 + struct.unpack("<I", got[1:5])[0]:
            chunk = s.recv(65536)
            if not chunk:
                s.close()
                return frames
            got += chunk
        size = struct.unpack("<I", got[1:5])[0]
        frames.append(got[5:5 + size])
        got = got[5 + size:]
    s.close()
    return frames


def type_line(sock_path, line):
    """`[rid %ovum %d /term/1 [%belt %txt line]]`, then `%ret`: a line typed at the dojo."""
    wire = null_list([term("term"), 1])
    txt = (term("belt"), (term("txt"), null_list([ord(c) for c in line])))
    ret = (term("belt"), (term("ret"), 0))
    ask(sock_path, [(rid, (term("ovum"), (term("d"), (wire, card)))) for rid, card in [(1, txt), (2, ret)]], 2)


def desk_hash(sock_path, desk):
    """The reply to `[1 %peek %.n %once %cz desk /]`."""
    once = (term("once"), (term("cz"), (term(desk), 0)))
    return ask(sock_path, [(1, (term("peek"), (1, once)))])[0]


def main(kind, root, folder, seed, desk):
    if kind == "engine":
        engine = os.path.abspath(os.environ.get("ENGINE", "target/release/engine"))
        procs = [subprocess.Popen([engine, "run", "--no-http", "zod", "nec"], cwd=root, stdin=subprocess.PIPE,
                                  stdout=open(f"{root}/run.out", "a"), stderr=open(f"{root}/run.err", "a"))]
        said = f"{root}/run.err"
    else:
        vere = os.path.abspath(os.environ["VERE"])
        procs = [subprocess.Popen([vere, "-t", "--http-port", str(8590 + i), ship], cwd=root,
                                  stdin=subprocess.DEVNULL, stdout=open(f"{root}/run-{ship}.out", "a"),
                                  stderr=subprocess.STDOUT) for i, ship in enumerate(["zod", "nec"])]
        said = f"{root}/run-nec.out"
    sock = {ship: f"{root}/{ship}/.urb/conn.sock" for ship in ["zod", "nec"]}
    began = time.time()
    while True:
        try:
            desk_hash(sock["zod"], "base")
            desk_hash(sock["nec"], "base")
            break
        except OSError:
            if time.time() - began > 300:
                raise SystemExit("the ships did not come up")
            time.sleep(0.5)
    time.sleep(3)
    type_line(sock["zod"], "|mount %base")
    base = f"{root}/zod/base"
    while not os.path.exists(f"{base}/sys.kelvin"):
        time.sleep(0.2)
    time.sleep(2)
    before = desk_hash(sock["zod"], "base")
    os.makedirs(f"{base}/{folder}", exist_ok=True)
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz0123456789 \n"
    for i in range(FILES):
        with open(f"{base}/{folder}/file{i}.txt", "w") as f:
            f.write("".join(rng.choice(letters) for _ in range(FILE_BYTES)))
    t0 = time.time()
    type_line(sock["zod"], "|commit %base")
    while desk_hash(sock["zod"], "base") == before:
        if time.time() - t0 > 300:
            raise SystemExit("|commit did not change %base")
        time.sleep(0.1)
    print(f"{kind}: |commit %base of {FILES} files: {time.time() - t0:.2f} s", flush=True)
    time.sleep(2)
    type_line(sock["nec"], "|hi ~zod")
    time.sleep(8)
    seen = open(said, errors="replace").read().count("merged with strategy")
    t0 = time.time()
    type_line(sock["nec"], f"|merge %{desk} ~zod %base")
    while open(said, errors="replace").read().count("merged with strategy") == seen:
        if time.time() - t0 > 900:
            raise SystemExit("the merge did not finish in 15 minutes")
        time.sleep(0.05)
    took = time.time() - t0
    print(f"{kind}: |merge %{desk} ~zod %base ({FILES} new files of {FILE_BYTES} bytes): {took:.2f} s", flush=True)
    for p in procs:
        if kind == "engine":
            p.terminate()
            p.wait(timeout=120)
        else:
            p.kill()  # Vere under -t does not stop on SIGTERM
            p.wait()


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] not in ("engine", "vere"):
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
