#!/usr/bin/env python3
"""Turns the fio JSON files of one benchmark VM run (RUNS rounds of every job) into a table and
results.json: per job and device the median of the rounds and their spread, with the ratio to brd
taken round by round (brd ran in the same round, seconds apart)."""
import json, os, re, shlex, statistics, subprocess, sys

out = sys.argv[1]
params = dict(w.split("=", 1) for w in shlex.split(open(os.path.join(out, "params")).read()))
configs = dict(c.split("=", 1) for c in params.get("configs", "").split(";") if c)
runs = int(params.get("runs", 1))
order = ["randread-4k-qd1", "randread-4k-qd32", "randread-4k-qd32-2j", "randwrite-4k-qd1", "randwrite-4k-qd32",
         "randwrite-4k-qd32-2j", "read-128k-qd8", "write-128k-qd8", "read-1m-qd8", "write-1m-qd8"]
seen_jobs, seen_devices = set(), []
for f in sorted(os.listdir(out)):
    m = re.fullmatch(r"([^.]+)\.([^.]+)\.r(\d+)\.json", f)
    if m:
        seen_jobs.add(m.group(1))
        if m.group(2) not in seen_devices: seen_devices.append(m.group(2))
jobs = [j for j in order if j in seen_jobs]
devices = ["brd"] + [d for d in configs if d in seen_devices] + sorted(
    d for d in seen_devices if d != "brd" and d not in configs)

def load(name, label, run):
    base = os.path.join(out, f"{name}.{label}.r{run}")
    with open(base + ".json") as fh:
        j = json.load(fh)["jobs"][0]
    side = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
    lat = side["clat_ns"]
    r = {"iops": side["iops"], "mib_s": side["bw_bytes"] / 2**20, "mean_us": lat["mean"] / 1000,
         "p99_us": lat.get("percentile", {}).get("99.000000", 0) / 1000,
         "cpu_busy_pct": int(open(base + ".cpu").read().strip())}
    if os.path.exists(base + ".ring"):
        wakeups, events = map(int, open(base + ".ring").read().split())
        if wakeups: r["requests_per_wakeup"] = events / wakeups  # includes the ramp second
    return r

def summary(samples):
    keys = set.intersection(*(set(s) for s in samples))
    r = {k: statistics.median(s[k] for s in samples) for k in keys}
    r["runs"] = len(samples)
    return r

results = {"kernel": open(os.path.join(out, "kernel")).read().strip(), "cpus": int(open(os.path.join(out, "cpus")).read()),
           "runtime_s": int(params["runtime"]), "size_mib": int(params["size"]), "runs": runs,
           "configs": {label: "ublk add --size %sM -d 128 %s" % (params["size"], args) for label, args in configs.items()},
           "jobs": {}}
lines = [f"{label:14} = {cmd}" for label, cmd in results["configs"].items()]
if params.get("ublksrv"): lines.append(f"ublksrv-*       = {params['ublksrv']} add -t null -q 1 -d 128 [--batch-io]")
lines += [f"kernel {results['kernel']}, {results['cpus']} vCPUs (QEMU TCG), {params['runtime']} s per job, "
          f"median of {runs} rounds in one boot; 'spread' = lowest-highest ratio of the rounds",
          f"{'job':21} {'device':14} {'IOPS':>8} {'MiB/s':>7} {'p99 us':>8} {'CPU%':>5} {'x brd':>6} {'spread':>11} {'req/wake':>8}"]
for name in jobs:
    results["jobs"][name] = {}
    for d in devices:
        samples, ratios = [], []
        for run in range(1, runs + 1):
            try:
                s, b = load(name, d, run), load(name, "brd", run)
            except FileNotFoundError:
                continue
            samples.append(s)
            if b["iops"]: ratios.append(s["iops"] / b["iops"])
        if not samples: continue
        r = summary(samples)
        r["ratio_to_brd"] = statistics.median(ratios) if ratios else None
        r["ratio_min"], r["ratio_max"] = (min(ratios), max(ratios)) if ratios else (None, None)
        results["jobs"][name][d] = r
        spread = f"{r['ratio_min']:.2f}-{r['ratio_max']:.2f}" if ratios else ""
        lines.append(f"{name:21} {d:14} {r['iops']:8.0f} {r['mib_s']:7.1f} {r['p99_us']:8.1f} {r['cpu_busy_pct']:5.0f} "
                     f"{r['ratio_to_brd']:6.2f} {spread:>11}"
                     + (f" {r['requests_per_wakeup']:8.1f}" if "requests_per_wakeup" in r else ""))
mem_path = os.path.join(out, "memory")
if os.path.exists(mem_path):
    results["memory"] = {}
    for l in open(mem_path):
        label, rss, store = l.split()
        results["memory"][label] = {"rss_bytes": int(rss), "store_bytes": int(store),
                                    "overhead_bytes": int(rss) - int(store)}
        lines.append(f"memory {label}: server RSS {int(rss) >> 20} MiB, store {int(store) >> 20} MiB, "
                     f"overhead {(int(rss) - int(store)) >> 20} MiB")
json.dump(results, open(os.path.join(out, "results.json"), "w"), indent=2)
print("\n".join(lines))

def picture():
    """ratios.png beside results.json: one group of bars per job, one bar per device (median
    ratio to brd, whiskers = the rounds' lowest and highest), drawn by ratios.gp with gnuplot."""
    shown = [d for d in devices if d != "brd" and any(results["jobs"][j].get(d, {}).get("ratio_to_brd") for j in jobs)]
    if not shown or not jobs: return
    dat = os.path.join(out, "ratios.dat")
    with open(dat, "w") as fh:
        fh.write("job " + " ".join(f"{d} {d}-min {d}-max" for d in shown) + "\n")
        for j in jobs:
            cells = []
            for d in shown:
                r = results["jobs"][j].get(d) or {}
                cells += ["%.4f" % r[k] if r.get(k) is not None else "NaN" for k in ("ratio_to_brd", "ratio_min", "ratio_max")]
            fh.write(j + " " + " ".join(cells) + "\n")
    title = f"jublk vs brd, kernel {results['kernel']} in QEMU (TCG), {results['cpus']} vCPUs, median of {runs} rounds"
    png = os.path.join(out, "ratios.png")
    gp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ratios.gp")
    try:
        subprocess.run(["gnuplot", "-e", f"dat='{dat}'; png='{png}'; title='{title}'; n={len(shown)}", gp], check=True)
        print(f"picture: {png}")
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"picture: not drawn ({e}); install gnuplot-nox", file=sys.stderr)

picture()
