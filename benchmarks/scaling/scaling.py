#!/usr/bin/env python3
"""Issue 7's multi-GPU measurement with `sana silo` processes on one machine (localhost clustering) and
`sana generate --cluster`. Stages (any subset, in this order):
  single     one silo, the first device alone                         -> images/s of one GPU
  one-silo   one silo, every device its own worker                    -> images/s, scaling efficiency
  two-silos  two silos, each owning half of the devices               -> images/s, scaling efficiency
  mixed      two silos; the last device with --small-batch and (--second-load, default on CUDA) a second process's
             matmul loop on it: the dynamic split's makespan, and the static equal split (images_per_gpu =
             count // n, remainder dropped) measured as n concurrent in-process `sana generate`s under the same load
  kill       three silos (s0 without workers holds membership; s1, s2 own the devices); the GPU silo that does not
             host the job grain is SIGKILLed after a third of the images: the job must still make every image once
Writes scaling.json, scaling.md and scaling-logs.tar.gz (silo logs) under --out ($OUT); images stay under --work. --cpu-smoke: CPU workers, the tiny model, a small job."""
import argparse, contextlib, json, os, re, signal, subprocess, sys, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DONE = re.compile(r"sana: job (\S+) (\w+): (\d+)/(\d+) images in ([\d.]+) s")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cpu-smoke", action="store_true", help="CPU workers, tiny model, 24 images of 32px, 3 steps")
    p.add_argument("--stages", default="single,one-silo,two-silos,mixed,kill")
    p.add_argument("--model", help="model folder (default: $MODEL_DIR or /root/sana-bench/onnx-1600M-fp16)")
    p.add_argument("--devices", default="cuda:0,cuda:1")
    p.add_argument("--count", type=int, default=256)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch", type=int, default=16, help="micro-batch of every worker")
    p.add_argument("--small-batch", type=int, default=4, help="micro-batch of the slowed worker in 'mixed'")
    p.add_argument("--micro-batches-per-chunk", type=int, default=1,
                   help="Sana:Grains:MicroBatchesPerChunk: a worker encodes one micro-batch's PNGs while the next runs")
    p.add_argument("--silo-setting", action="append", default=[], metavar="KEY=VALUE",
                   help="a silo configuration key on top of the stage's (repeatable), e.g. "
                        "Sana:Grains:ChunksInFlightPerGpu=2")
    p.add_argument("--sana", default=os.environ.get("SANA", "dotnet .gpu/app/sana.dll"), help="how to run the sana CLI")
    p.add_argument("--out", default=os.environ.get("OUT", "out"))
    p.add_argument("--work", default=os.environ.get("WORK", "/tmp/sana-scaling"), help="silo logs, images (not under $OUT)")
    p.add_argument("--single-ips", type=float, help="one GPU's images/s from an earlier call (when 'single' is not run)")
    p.add_argument("--ready-timeout", type=float, default=300)
    p.add_argument("--second-load", action=argparse.BooleanOptionalAction, default=None,
                   help="in 'mixed', also slow the last device with a second process (a bf16 matmul loop) for both the "
                        "dynamic and the static split (default: on for CUDA devices)")
    a = p.parse_args()
    bad = [kv for kv in a.silo_setting if "=" not in kv or kv.startswith("=")]
    if bad:
        p.error(f"--silo-setting: {bad[0]!r} is not KEY=VALUE")
    a.silo_settings = dict(kv.split("=", 1) for kv in a.silo_setting)
    if a.cpu_smoke:
        a.model = a.model or str(REPO / "tests/fixtures/tiny-sana/model")
        a.devices, a.count, a.size, a.steps, a.batch, a.small_batch = "cpu,cpu", 24, 32, 3, 2, 1
    a.model = a.model or os.environ.get("MODEL_DIR", "/root/sana-bench/onnx-1600M-fp16")
    a.devices = a.devices.split(",")
    if a.second_load is None:
        a.second_load = a.devices[-1].startswith("cuda")
    return a


class SecondLoad:
    """Another process's work on a GPU, as when a second job shares it: a bf16 matmul loop that takes a share of the
    GPU's time slices, so the worker there runs slower for the whole stage (the micro-batch alone changes little)."""

    CODE = ("import sys, torch\n"
            "a = torch.randn(8192, 8192, device=sys.argv[1], dtype=torch.bfloat16)\n"
            "while True:\n"
            "    a = torch.tanh(a @ a)\n")

    def __init__(self, device):
        self.proc = subprocess.Popen([sys.executable, "-c", self.CODE, device], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


class Cluster:
    """Silo processes of one localhost cluster; silo i listens on 11111+i / gateway 30000+i."""

    def __init__(self, args, name, layout, batches=None):
        self.args, self.name, self.procs, self.logs = args, name, [], []
        self.work = Path(args.work) / name
        self.work.mkdir(parents=True, exist_ok=True)
        self.images = self.work / "images"
        self.expected = sum(len(d) for d in layout)
        for i, devices in enumerate(layout):
            cfg = {"Sana:Silo:Name": f"s{i}", "Sana:Silo:SiloPort": 11111 + i, "Sana:Silo:GatewayPort": 30000 + i,
                   "Sana:Silo:PrimarySiloPort": 11111, "Sana:Silo:HttpPort": 0, "Sana:Cluster:ClusterId": name,
                   "Sana:ModelPath": args.model, "Sana:ImageStore:Path": str(self.images),
                   "Sana:Workers:DiscoverGpus": "false", "Sana:Workers:CpuWorkers": 0 if not devices else 1,
                   "Sana:Workers:CpuIntraOpThreads": 1, "Sana:Workers:MicroBatch": (batches or {}).get(i, args.batch),
                   "Sana:Grains:MicroBatchesPerChunk": args.micro_batches_per_chunk,
                   "Sana:Membership:ProbeTimeout": "00:00:02", "Sana:Membership:NumMissedProbesLimit": 2,
                   "Logging:LogLevel:Default": "Warning", "Logging:LogLevel:Sana.Orleans.Grains.Jobs": "Information"}
            cfg.update({f"Sana:Workers:Devices:{k}": d for k, d in enumerate(devices)})
            cfg.update(args.silo_settings)
            log = open(self.work / f"s{i}.log", "w")
            cmd = args.sana.split() + ["silo"] + [f"--{k}={v}" for k, v in cfg.items()]
            self.procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO))
            self.logs.append(self.work / f"s{i}.log")
            wait_for(lambda: "sana-silo ready" in self.logs[-1].read_text(), args.ready_timeout, f"silo s{i} of {name}")
        self.gateway = "localhost:30000"  # s0 lives through every stage (the kill stage kills s1 or s2)
        wait_for(lambda: len(self.workers()) >= self.expected and all(w["health"] == "Ready" for w in self.workers()),
                 args.ready_timeout, f"{self.expected} ready workers in {name}")

    def sana(self, *argv):
        return self.args.sana.split() + list(argv) + ["--cluster", self.gateway, "--cluster-id", self.name]

    def workers(self):
        out = subprocess.run(self.sana("workers"), capture_output=True, text=True, cwd=REPO).stdout.splitlines()[1:]
        return [dict(zip(["gpu", "device", "model", "health", "busy", "queue", "capacity", "ips", "done"], l.split()))
                for l in out if l.strip()]

    def generate(self, job_id, on_image=None):
        cmd = self.sana("generate", "--prompt", "a red fox in the snow", "--count", str(self.args.count), "--seed", "42",
                        "--steps", str(self.args.steps), "--width", str(self.args.size), "--height", str(self.args.size),
                        "--job-id", job_id)
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        refs = []
        for line in p.stdout:
            refs.append(line.strip())
            if on_image:
                on_image(len(refs))
        err = p.stderr.read()
        p.wait()
        return job_result(job_id, p.returncode, err, refs, self.images)

    def host_of(self, job_id):
        """The silo whose log says it took the job's submission (the job grain lives there)."""
        for i, log in enumerate(self.logs):
            if f"Job {job_id}: submitted" in log.read_text():
                return i
        return None

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def job_result(job_id, rc, err, refs, images):
    m = DONE.search(err)
    files = list((images / job_id).glob("*.png")) if images else []
    indices = [int(f.name.split("-")[0]) for f in files]
    return {"job": job_id, "exit": rc, "state": m.group(2) if m else None, "images": int(m.group(3)) if m else 0,
            "seconds": float(m.group(5)) if m else None, "refs_printed": len(refs), "files": len(files),
            "distinct_indices": len(set(indices)), "stderr_tail": err.strip().splitlines()[-3:]}


def wait_for(check, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if check():
                return
        except (OSError, ValueError):
            pass
        time.sleep(1)  # polling an external process's readiness; no signal to wait on across processes
    raise TimeoutError(f"timed out waiting for {what}")


def rate(r):
    return r["images"] / r["seconds"] if r.get("seconds") else None


def run_stage(args, name, layout, batches=None, on_image=None, kill=False):
    cluster = Cluster(args, name, layout, batches)
    try:
        killed = {}

        def maybe_kill(n):
            if kill and not killed and n >= args.count // 3:
                host = cluster.host_of(name)
                victim = next(i for i in (1, 2) if i != host)
                cluster.procs[victim].kill()
                killed.update(silo=f"s{victim}", after_images=n, job_host=f"s{host}")

        r = cluster.generate(name, maybe_kill if kill else on_image)
        r["workers"] = cluster.workers()
        r.update(killed=killed or None, layout=layout, images_per_s=rate(r))
        return r
    finally:
        cluster.stop()


def static_split(args):
    """n concurrent in-process `sana generate`s, each count // n images on one device: the static equal split."""
    n = len(args.devices)
    share = args.count // n
    procs = []
    for i, d in enumerate(args.devices):
        b = args.small_batch if i == n - 1 else args.batch
        out = Path(args.work) / "static" / f"d{i}"
        cmd = args.sana.split() + ["generate", "--prompt", "a red fox in the snow", "--count", str(share), "--seed", "42",
                                   "--steps", str(args.steps), "--width", str(args.size), "--height", str(args.size),
                                   "--model", args.model, "--device", d, "--batch-size", str(b), "--out", str(out),
                                   "--job-id", f"static{i}"]
        procs.append((subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO), out, i))
    parts = []
    for p, out, i in procs:
        so, se = p.communicate()
        parts.append(job_result(f"static{i}", p.returncode, se, so.splitlines(), out))
    secs = [p["seconds"] for p in parts if p["seconds"] is not None]
    return {"parts": parts, "images_per_gpu": share, "dropped": args.count - share * n,
            "makespan_s": max(secs) if len(secs) == n else None}


def main():
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n, stages = len(args.devices), args.stages.split(",")
    half = (args.devices[: n // 2], args.devices[n // 2:])
    res = {"config": {k: v for k, v in vars(args).items()}, "stages": {}}
    for stage in stages:
        t = time.time()
        try:
            if stage == "single":
                r = run_stage(args, "single", [args.devices[:1]])
            elif stage == "one-silo":
                r = run_stage(args, "one-silo", [args.devices])
            elif stage == "two-silos":
                r = run_stage(args, "two-silos", list(half))
            elif stage == "mixed":
                with SecondLoad(args.devices[-1]) if args.second_load else contextlib.nullcontext():
                    r = run_stage(args, "mixed", [args.devices[:-1], args.devices[-1:]], batches={1: args.small_batch})
                    speeds = [float(w["ips"]) for w in r["workers"]]
                    r["ideal_s"] = args.count / sum(speeds) if speeds and all(speeds) else None
                    r["static"] = static_split(args)
                r["second_load_on"] = args.devices[-1] if args.second_load else None
            elif stage == "kill":
                r = run_stage(args, "kill", [[], *half], kill=True)
            else:
                raise ValueError(f"unknown stage {stage}")
        except Exception as e:  # record and go on: one failed stage must not lose the others' figures
            r = {"error": f"{type(e).__name__}: {e}"}
        r["wall_s"] = round(time.time() - t, 1)
        res["stages"][stage] = r
        print(f"[{stage}] {json.dumps({k: v for k, v in r.items() if k not in ('workers', 'static')})}", flush=True)
        (out / "scaling.json").write_text(json.dumps(res, indent=2))
    one = res["stages"].get("single", {}).get("images_per_s") or args.single_ips
    for s in ("one-silo", "two-silos"):
        r = res["stages"].get(s, {})
        if one and r.get("images_per_s"):
            r["efficiency"] = r["images_per_s"] / (n * one)
    (out / "scaling.json").write_text(json.dumps(res, indent=2))
    (out / "scaling.md").write_text(markdown(args, res))
    subprocess.run(["tar", "czf", str(out.resolve() / "scaling-logs.tar.gz"), "--exclude=*.png", "."], cwd=args.work, check=False)
    print((out / "scaling.md").read_text())
    ok = all(r.get("state") == "completed" and r.get("distinct_indices") == args.count for r in res["stages"].values())
    return 0 if ok else 1


def markdown(args, res):
    f = lambda v, d=2: "-" if v is None else f"{v:.{d}f}"
    st = res["stages"]
    lines = [f"# Scaling: {args.count} images {args.size}px, {args.steps} steps, devices {','.join(args.devices)}, "
             f"micro-batch {args.batch} (mixed: last device {args.small_batch})", "", f"Model: `{args.model}`", "",
             *([f"Silo settings: {', '.join(f'`{k}={v}`' for k, v in args.silo_settings.items())}", ""]
               if args.silo_settings else []),
             "| stage | state | images (distinct files) | seconds | images/s | efficiency | notes |", "|---|---|---|---|---|---|---|"]
    for name, r in st.items():
        note = r.get("error") or ""
        if r.get("killed"):
            note = f"killed {r['killed']['silo']} after {r['killed']['after_images']} images (job on {r['killed']['job_host']})"
        if name == "mixed" and "static" in r:
            s = r["static"]
            note = (f"ideal {f(r.get('ideal_s'))} s (measured worker speeds); static split {f(s['makespan_s'])} s "
                    f"({s['images_per_gpu']}/GPU, {s['dropped']} dropped)")
        lines.append(f"| {name} | {r.get('state')} | {r.get('images')} ({r.get('distinct_indices')}) | {f(r.get('seconds'), 1)} "
                     f"| {f(r.get('images_per_s'))} | {f(r.get('efficiency'), 3)} | {note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
