#!/usr/bin/env python3
"""Turns the fio JSON files of one benchmark VM run into a table and results.json with ratios to brd."""
import json, os, shlex, sys

out = sys.argv[1]
params = dict(w.split("=", 1) for w in shlex.split(open(os.path.join(out, "params")).read()))
configs = dict(c.split("=", 1) for c in params.get("configs", "").split(";") if c)
jobs, devices, rows = [], [], []
for f in sorted(os.listdir(out)):
    if f.endswith(".json") and f.count(".") == 2 and f != "results.json":
        name, label, _ = f.split(".")
        jobs.append(name) if name not in jobs else None
        devices.append(label) if label not in devices else None
order = ["randread-4k-qd1", "randread-4k-qd32", "randread-4k-qd32-2j", "randwrite-4k-qd1", "randwrite-4k-qd32",
         "randwrite-4k-qd32-2j", "read-128k-qd8", "write-128k-qd8", "read-1m-qd8", "write-1m-qd8"]
jobs = [j for j in order if j in jobs]
devices = ["brd"] + [d for d in configs if d in devices] + sorted(d for d in devices if d != "brd" and d not in configs)

def load(name, label):
    with open(os.path.join(out, f"{name}.{label}.json")) as fh:
        j = json.load(fh)["jobs"][0]
    side = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
    cpu = int(open(os.path.join(out, f"{name}.{label}.cpu")).read().strip())
    lat = side["clat_ns"]
    p99 = lat.get("percentile", {}).get("99.000000", 0)
    r = {"iops": side["iops"], "mib_s": side["bw_bytes"] / 2**20, "mean_us": lat["mean"] / 1000,
         "p99_us": p99 / 1000, "cpu_busy_pct": cpu}
    ring = os.path.join(out, f"{name}.{label}.ring")
    if os.path.exists(ring):
        wakeups, events = map(int, open(ring).read().split())
        if wakeups:
            r["requests_per_wakeup"] = events / wakeups  # includes the ramp second
    return r

results = {"kernel": open(os.path.join(out, "kernel")).read().strip(), "cpus": int(open(os.path.join(out, "cpus")).read()),
           "runtime_s": int(params["runtime"]), "size_mib": int(params["size"]),
           "configs": {label: "ublk add -t ram --size %sM -d 128 %s" % (params["size"], args) for label, args in configs.items()},
           "jobs": {}}
lines = [f"{label:9} = {cmd}" for label, cmd in results["configs"].items()] + [f"kernel {results['kernel']}, {results['cpus']} vCPUs (QEMU TCG), {params['runtime']} s per job, one run",
         f"{'job':22} {'device':9} {'IOPS':>9} {'MiB/s':>8} {'mean us':>9} {'p99 us':>9} {'CPU%':>5} {'x brd':>6} {'req/wake':>8}"]
for name in jobs:
    base = load(name, "brd")
    results["jobs"][name] = {}
    for d in devices:
        try:
            r = load(name, d)
        except FileNotFoundError:
            continue
        r["ratio_to_brd"] = r["iops"] / base["iops"] if base["iops"] else None
        results["jobs"][name][d] = r
        lines.append(f"{name:22} {d:9} {r['iops']:9.0f} {r['mib_s']:8.1f} {r['mean_us']:9.1f} {r['p99_us']:9.1f} "
                     f"{r['cpu_busy_pct']:5d} {r['ratio_to_brd']:6.2f}"
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
