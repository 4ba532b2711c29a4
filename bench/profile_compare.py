"""Compare two op traces of the same training, op by op: densitylab's (`./densitylab bench --profile A.json`,
libtorch's profiler) and PyTorch's (`bench/pytorch/glow.py --profile B.json`, torch.profiler). Prints, per op
name, the calls and the self time (time not spent in nested ops) per training step on each side, the ops that
one side calls and the other does not, and the totals. Both profilers add a cost to every op, so compare
counts exactly and times only roughly.

    python3 bench/profile_compare.py A.json STEPS_A B.json STEPS_B [--top N]

STEPS_*: the training steps each run made (the "steps" / "train_steps" of its JSON line).
"""
import argparse
import collections
import json


def load(path):
    with open(path) as f:
        text = f.read().strip()
    if text.endswith(","):  # libtorch's legacy writer may leave a trailing comma
        text = text[:-1] + "]"
    data = json.loads(text)
    events = data["traceEvents"] if isinstance(data, dict) else data
    return [e for e in events if e.get("ph") == "X" and "dur" in e]


def per_op(events):
    """name -> [calls, self microseconds]; self time = duration minus the durations of directly nested ops."""
    out = collections.defaultdict(lambda: [0, 0.0])
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[(e.get("pid"), e.get("tid"))].append(e)
    for evs in by_thread.values():
        evs.sort(key=lambda e: (float(e["ts"]), -float(e["dur"])))
        stack = []  # [end, name, child time]
        for e in evs:
            ts, dur = float(e["ts"]), float(e["dur"])
            while stack and stack[-1][0] <= ts:
                end, name, child, d = stack.pop()
                out[name][1] += d - child
            if stack:
                stack[-1][2] += dur
            out[e["name"]][0] += 1
            stack.append([ts + dur, e["name"], 0.0, dur])
        while stack:
            end, name, child, d = stack.pop()
            out[name][1] += d - child
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("a")
    p.add_argument("steps_a", type=float)
    p.add_argument("b")
    p.add_argument("steps_b", type=float)
    p.add_argument("--top", type=int, default=40)
    args = p.parse_args()
    a, b = per_op(load(args.a)), per_op(load(args.b))
    sa, sb = args.steps_a, args.steps_b
    names = set(a) | set(b)
    rows = []
    for n in names:
        ca, ta = a.get(n, [0, 0.0])
        cb, tb = b.get(n, [0, 0.0])
        rows.append((n, ca / sa, ta / sa / 1e3, cb / sb, tb / sb / 1e3))
    rows.sort(key=lambda r: -max(r[2], r[4]))
    print(f"{'op':<48}{'calls/step A':>13}{'ms/step A':>11}{'calls/step B':>13}{'ms/step B':>11}")
    for n, ca, ta, cb, tb in rows[:args.top]:
        print(f"{n[:47]:<48}{ca:>13.1f}{ta:>11.3f}{cb:>13.1f}{tb:>11.3f}")
    print(f"{'total':<48}{sum(r[1] for r in rows):>13.1f}{sum(r[2] for r in rows):>11.3f}"
          f"{sum(r[3] for r in rows):>13.1f}{sum(r[4] for r in rows):>11.3f}")
    print("\ncalls per step that differ by more than 0.5:")
    diff = sorted(rows, key=lambda r: -abs(r[1] - r[3]))
    for n, ca, ta, cb, tb in diff:
        if abs(ca - cb) > 0.5:
            print(f"  {n[:60]:<62}{ca:>8.1f} vs {cb:>8.1f}")


if __name__ == "__main__":
    main()
