import json, sys
# AUROC table: rows = scores, columns = OOD sets, from one or more results.json files
for path in sys.argv[1:]:
    r = json.load(open(path))
    rows = r["results"]
    sets = []
    scores = []
    for x in rows:
        if x["out"] not in sets: sets.append(x["out"])
        if x["score"] not in scores: scores.append(x["score"])
    auc = {(x["score"], x["out"]): x["auroc"] for x in rows}
    short = [s.replace("fashion-mnist+", "+") for s in sets]
    print(path, "model", r["model"])
    print("| score | " + " | ".join(short) + " | min |")
    print("|---|" + "---|" * (len(sets) + 1))
    for s in scores:
        vals = [auc.get((s, o)) for o in sets]
        print("| " + s + " | " + " | ".join("%.3f" % v if v is not None else "" for v in vals) + " | %.3f |" % min(v for v in vals if v is not None))
    print()
