#!/usr/bin/env python3
"""Prints `make bench`'s table: each figure of the benchmark (user/src/bin/bench.rs) on this kernel
and on Linux, and their ratio. Reads the consoles of the two runs; the Linux one may be missing."""
import sys


def figures(path):
    out = {}
    try:
        with open(path, errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[0] == "bench":
                    out[parts[1]] = int(parts[2])
    except FileNotFoundError:
        pass
    return out


def main():
    unit = sys.argv[3] if len(sys.argv) > 3 else "guest instructions"
    ours = figures(sys.argv[1])
    linux = figures(sys.argv[2]) if len(sys.argv) > 2 else {}
    if not ours:
        sys.exit("bench: no figures from this kernel (see the console above)")
    print(f"\n{unit} per operation (lower is better)\n")
    width = max(len("operation"), *(len(name) for name in ours))
    print(f"| {'operation':<{width}} | {'Linux 6.1':>13} | {'here':>13} | {'here / Linux':>12} |")
    print(f"|{'-' * (width + 2)}|{'-' * 15}|{'-' * 15}|{'-' * 14}|")
    for name, value in ours.items():
        theirs = linux.get(name)
        ratio = f"{value / theirs:.2f}" if theirs else "-"
        shown = f"{theirs:,}" if theirs is not None else "-"
        print(f"| {name:<{width}} | {shown:>13} | {value:>13,} | {ratio:>12} |")
    if not linux:
        print("\n(no Linux figures: the Linux image could not be fetched)")


if __name__ == "__main__":
    main()
