#!/usr/bin/env python3
"""The load run's tables (scripts/bench-load.sh): meetflow's ingest and queue figures beside the
peers measured in the same session on the same Redis port, with ratios, then the scale-out table
and the conditions. Reads what the other bench scripts wrote under OUT:
  ingest/webhook-{seed,meetflow}.jsonl   scripts/bench-ingest.sh (03-webhook-seed.sh harness)
  queue.jsonl, peer/bullmq-none.jsonl     scripts/bench-queue.sh (ours, 02-bullmq.sh)
  peer/sidekiq.jsonl, peer/rq.jsonl       05-sidekiq.sh, 04-rq.sh
  sms.jsonl                               scripts/bench-sms.sh (PROCS="1 2 4" LATENCY_MS=50)
  not-measured.tsv, sections.jsonl        written by bench-load.sh itself
Usage: load_table.py OUT"""
import json, os, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_table, queue_table, sms_table  # noqa: E402

PEERS = ["Node seed", "BullMQ", "Sidekiq", "RQ"]


def fmt(x):
    if x is None:
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def ratio_cells(ours, peers, higher):
    """(vs best peer, vs each peer), better > 1: ours/peer for rates, peer/ours for times and sizes."""
    measured = {k: v for k, v in peers.items() if isinstance(v, (int, float)) and v > 0}
    if not ours or not measured:
        return "–", "–"
    r = {k: (ours / v if higher else v / ours) for k, v in measured.items()}
    best = min(r, key=r.get)  # the best peer is the one we beat by the least
    each = "; ".join(f"{k} {fmt(v)}x" for k, v in r.items())
    return f"{fmt(r[best])}x ({best})", each


class Table:
    def __init__(self, not_measured):
        self.not_measured = not_measured
        self.rows = []

    def row(self, label, ours, peers, higher, notes=None):
        """peers: {peer: figure}; a peer absent from the dict is not comparable on this row."""
        notes = notes or {}
        if ours is None and all(v is None for v in peers.values()):
            return  # a case this run did not include (QUICK=1, SCENARIOS)
        cells = []
        for p in PEERS:
            if p in self.not_measured and p in peers:
                cells.append("not measured")
            elif p in peers:
                cells.append(fmt(peers[p]) + (f" ({notes[p]})" if p in notes else ""))
            else:
                cells.append("")
        best, each = ratio_cells(ours, {p: v for p, v in peers.items() if p not in self.not_measured}, higher)
        # queue-bench stamps whole milliseconds: 0 means under 1 ms
        ours_cell = "< 1" if ours == 0 else fmt(ours)
        self.rows.append(f"| {label} | {ours_cell} | " + " | ".join(cells) + f" | {best} | {each} |")

    def print(self):
        print("| case | meetflow | " + " | ".join(PEERS) + " | meetflow vs best peer | vs each peer |")
        print("|---|---|" + "---|" * len(PEERS) + "---|---|")
        for r in self.rows:
            print(r)
        for peer, why in self.not_measured.items():
            print(f"| {peer}: not measured: {why} |" + " |" * (len(PEERS) + 3))


def ingest_rows(t, out):
    seed = ingest_table.load(f"{out}/ingest/webhook-seed.jsonl")
    ours = ingest_table.load(f"{out}/ingest/webhook-meetflow.jsonl")
    med = lambda d, c, k: ingest_table.med(d[c], k) if c in d else None  # noqa: E731
    cs = sorted(set(seed) | set(ours)) or [16, 64]
    for c in cs:
        t.row(f"webhook ingest, wrk c={c}: requests/s", med(ours, c, "rps"), {"Node seed": med(seed, c, "rps")}, True)
    for c in cs:
        t.row(f"webhook ingest, wrk c={c}: p99 ms", med(ours, c, "p99_ms"), {"Node seed": med(seed, c, "p99_ms")}, False)
    peak = lambda d: max((ingest_table.med(r, "rss_peak_mb") for r in d.values()), default=None)  # noqa: E731
    t.row("webhook ingest: server RSS peak MB", peak(ours), {"Node seed": peak(seed)}, False)
    cpu = lambda d, c: ingest_table.cpu_us(d[c]) if c in d else None  # noqa: E731
    t.row(f"webhook ingest, c={cs[-1]}: server CPU µs per request", cpu(ours, cs[-1]), {"Node seed": cpu(seed, cs[-1])}, False)
    ok = all(ingest_table.jobs_match(rs, c) for d in (seed, ours) for c, rs in d.items())
    return ok


def queue_rows(t, out):
    ours = queue_table.load(f"{out}/queue.jsonl")
    bull = queue_table.load(f"{out}/peer/bullmq-none.jsonl")
    sk = queue_table.load(f"{out}/peer/sidekiq.jsonl")
    rq = queue_table.load(f"{out}/peer/rq.jsonl")
    q = queue_table.med
    for label, ours_case, peer_case, field, higher in queue_table.ROWS[:2]:
        t.row(label, q(ours, ours_case, field), {"BullMQ": q(bull, peer_case, field)}, higher)
    for c in (1, 10, 100):
        peers = {"BullMQ": q(bull, f"bullmq throughput concurrency={c} ", "jobs_per_s"),
                 "Sidekiq": q(sk, f"sidekiq concurrency={c} ", "steady_jobs_per_s")}
        notes = {}
        if c == 1:
            peers["RQ"] = q(rq, "rq SimpleWorker", "jobs_per_s")
            forking = q(rq, "rq Worker", "jobs_per_s")
            notes["RQ"] = f"SimpleWorker; default forking Worker {fmt(forking)}"
        t.row(f"process no-op jobs, one process, concurrency {c} (jobs/s)",
              q(ours, f"meetflow throughput concurrency={c} ", "jobs_per_s"), peers, True, notes)
    # latency p50 and p99, delayed-job lateness p99 (all, and delays >= 1 s only)
    for label, ours_case, peer_case, field, higher in (queue_table.ROWS[i] for i in (5, 6, 8, 10)):
        t.row(label, q(ours, ours_case, field), {"BullMQ": q(bull, peer_case, field)}, higher)


def not_measured(out):
    path = f"{out}/not-measured.tsv"
    if not os.path.exists(path):
        return {}
    return dict(line.rstrip("\n").split("\t", 1) for line in open(path) if "\t" in line)


def conditions(out):
    path = f"{out}/sections.jsonl"
    if not os.path.exists(path):
        return
    print("\n| section | minutes | others' CPU, % of one core (mean over the section) | result |")
    print("|---|---|---|---|")
    for line in open(path):
        s = json.loads(line)
        print(f"| {s['section']} | {s['secs'] / 60:.1f} | {s['others_cpu_pct']} | {s['result']} |")
    peer_foreign = []
    for name in ("ingest/webhook-seed.jsonl", "ingest/webhook-meetflow.jsonl", "peer/bullmq-none.jsonl",
                 "peer/sidekiq.jsonl", "peer/rq.jsonl"):
        for g in queue_table.load(f"{out}/{name}").values():
            peer_foreign += [r["foreign_cpu_pct"] for r in g if "foreign_cpu_pct" in r]
    if peer_foreign:
        print(f"\nOther processes' CPU during the harness-measured runs (03/02/05/04 scripts): median "
              f"{statistics.median(peer_foreign):.0f} %, max {max(peer_foreign):.0f} % of one core.")


def main(out):
    t = Table(not_measured(out))
    jobs_ok = ingest_rows(t, out)
    queue_rows(t, out)
    print("## Load run: meetflow beside the peers, same session, same Redis port (medians; better > 1)")
    t.print()
    print(f"\nWebhook ingest: jobs in Redis == 2xx answers in every run: {'yes' if jobs_ok else 'NO'}. "
          "Sidekiq: steady jobs/s (first to last job, boot excluded), with its basic fetch (one BRPOP per job, "
          "no lease: a crash loses the jobs in hand); RQ: one process, no in-process concurrency. "
          "meetflow's latency figures are in whole ms.")
    if os.path.exists(f"{out}/sms.jsonl"):
        rows = [json.loads(l) for l in open(f"{out}/sms.jsonl") if l.startswith("{")]
        lat = rows[0]["latency_ms"] if rows else "?"
        print(f"\n## Scale-out: meetflow-worker processes (--queues sms, 64 in flight each) against a fake "
              f"EngageLab answering in {lat} ms (medians)")
        sms_table.print_table(f"{out}/sms.jsonl")
    conditions(out)


if __name__ == "__main__":
    main(sys.argv[1])
