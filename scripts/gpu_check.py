"""One prepared run of the course's GPU checks, in priority order, each part time-boxed.

    python scripts/gpu_check.py --out gpu_out              # on a CUDA machine (about 8 minutes)
    python scripts/gpu_check.py --out /tmp/gpu --tiny      # every part on the CPU, tiny sizes

The parts, in the order they run (a part that would start after ``--budget`` seconds is skipped
and says so; each part's command gets at most its own time box):

1. ``tests``: the CUDA tests (``tests/test_cuda.py``) -> ``tests.json``.
2. ``notebooks``: every notebook's default tier executed on the device (``INRUTILS_DEVICE``),
   ``--jobs`` at once, never saved; each notebook's printed numbers are paired cell by cell with
   the numbers in the saved (CPU) outputs -> ``notebooks.json`` (run time, status, and per cell
   the numbers that differ by more than 1 %).
3. ``bench``: ``scripts/bench_fit.py`` at 256^2 and 512^2 -> ``bench.json`` (the ratio of
   ``inrutils.fit`` to a bare loop, the aim <= 1.05).
4. ``oinr``: O-INR's Table 1 on coffee at the paper's size (400x600, ~172k parameters),
   O-INR and SIREN, 3,000 steps, with our recipe (per-model learning rates, decay to 0.1) and the
   official one (Adam 1e-3, constant) -> ``oinr_ours.md/.csv``, ``oinr_official.md/.csv``,
   ``oinr.json``.

``summary.md`` collects the device, the command, each part's status and time, and the key
numbers. ``--tiny`` runs the same four parts on the CPU in about 2 minutes at most: the CUDA tests
are then skipped by pytest, one notebook runs in the fast tier, the benchmark and the tables at
toy sizes (a test runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("tests", "notebooks", "bench", "oinr")
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])", re.IGNORECASE)
# time boxes (seconds) of each part on the GPU; --tiny uses its own
TIME_BOX = {"tests": 90, "notebooks": 240, "bench": 90, "oinr": 240}
TINY_BOX = {"tests": 60, "notebooks": 200, "bench": 60, "oinr": 60}


def printed_numbers(nb: nbformat.NotebookNode) -> dict[int, list[float]]:
    """The numbers in each code cell's text outputs (streams and plain-text results), by cell
    index. Figures and widget state are skipped."""
    found = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        text = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text.append(out.get("text", ""))
            elif "data" in out and "image/png" not in out["data"]:
                text.append(out["data"].get("text/plain", ""))
        nums = [float(m) for m in NUMBER.findall("\n".join(text))]
        if nums:
            found[i] = nums
    return found


def compare_numbers(saved: dict, fresh: dict, rel: float = 0.01) -> dict:
    """Cell-by-cell pairing of two notebooks' printed numbers: how many agree within ``rel``
    (relative, or 1e-6 absolute), and the cells where they do not (at most 5 pairs each)."""
    agree, total, differ = 0, 0, {}
    for i in sorted(set(saved) | set(fresh)):
        a, b = saved.get(i, []), fresh.get(i, [])
        if len(a) != len(b):
            differ[str(i)] = {"count_saved": len(a), "count_fresh": len(b)}
            continue
        bad = [(x, y) for x, y in zip(a, b) if abs(x - y) > max(1e-6, rel * max(abs(x), abs(y)))]
        total += len(a)
        agree += len(a) - len(bad)
        if bad:
            differ[str(i)] = {"pairs_saved_fresh": bad[:5], "n_differ": len(bad)}
    return {"numbers": total, "agree": agree, "cells_differ": differ}


def run_notebook(path: Path, env: dict, timeout: float) -> dict:
    """Execute one notebook in a fresh kernel (not saved); its status, time and number check."""
    from nbclient import NotebookClient

    saved = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    old = dict(os.environ)
    os.environ.update(env)
    t0 = time.perf_counter()
    try:
        NotebookClient(
            nb,
            timeout=int(timeout),
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        status = "ok"
    except Exception as exc:  # a failed cell, a timeout: recorded, the other notebooks go on
        status = f"failed: {type(exc).__name__}: {str(exc)[-500:]}"
    finally:
        os.environ.clear()
        os.environ.update(old)
    result = {"notebook": path.name, "status": status, "seconds": time.perf_counter() - t0}
    result.update(compare_numbers(printed_numbers(saved), printed_numbers(nb)))
    return result


def part_tests(out: Path, box: float, tiny: bool) -> dict:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_cuda.py"]
    res = _run(cmd, box)
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|error)", res["tail"])}
    return {**res, "counts": counts}


def part_notebooks(out: Path, box: float, tiny: bool, device: str, jobs: int) -> dict:
    """Every notebook in its own process group, ``jobs`` at a time; each writes its result as it
    finishes (``out/notebooks/NAME.json``, collected into ``notebooks.json`` after each one), and
    whatever still runs when ``box`` seconds have passed is killed with its kernel."""
    import signal

    paths = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    env = {**os.environ, "INRUTILS_DEVICE": device, "OMP_NUM_THREADS": "1"}
    if tiny:
        paths, env = paths[:1], {**env, "INRUTILS_FAST": "1"}
    else:
        env["INRUTILS_FAST"] = "0"
    folder = out / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    waiting, running, results = list(paths), {}, {}

    def record(path: Path, result: dict) -> None:
        results[path.name] = result
        done = [results[p.name] for p in paths if p.name in results]
        (out / "notebooks.json").write_text(json.dumps({"notebooks": done}, indent=1, default=str))

    while waiting or running:
        while waiting and len(running) < max(1, jobs):
            path = waiting.pop(0)
            target = folder / f"{path.stem}.json"
            left = max(1.0, box - (time.perf_counter() - t0))
            cmd = [sys.executable, __file__, "--one-notebook", str(path), "--result", str(target)]
            cmd += ["--timeout", str(left)]
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
            running[path] = (proc, target)
        for path, (proc, target) in list(running.items()):
            if proc.poll() is not None:
                del running[path]
                try:
                    record(path, json.loads(target.read_text()))
                except (OSError, ValueError):
                    record(
                        path, {"notebook": path.name, "status": f"failed: exit {proc.returncode}"}
                    )
        if time.perf_counter() - t0 > box:
            for path, (proc, _) in running.items():
                os.killpg(proc.pid, signal.SIGKILL)  # the worker and the kernel it started
                proc.wait()
                record(path, {"notebook": path.name, "status": f"killed at the {box:.0f} s box"})
            for path in waiting:
                record(path, {"notebook": path.name, "status": "not started: time box spent"})
            running, waiting = {}, []
        time.sleep(0.5)
    ordered = [results[p.name] for p in paths]
    ok = all(r.get("status") == "ok" for r in ordered)
    return {
        "status": "ok" if ok else "failed",
        "tier": "fast" if tiny else "default",
        "notebooks": ordered,
    }


def part_bench(out: Path, box: float, tiny: bool, device: str) -> dict:
    sizes = [32] if tiny else [256, 512]
    extra = ["--steps", "5", "--repeats", "1"] if tiny else ["--steps", "200", "--repeats", "5"]
    runs = []
    t0 = time.perf_counter()
    for size in sizes:
        left = box - (time.perf_counter() - t0)
        cmd = [sys.executable, "scripts/bench_fit.py", "--device", device, "--size", str(size)]
        res = _run(cmd + extra, left)
        m = re.search(r"ratio inrutils\.fit / bare loop = ([\d.]+)", res["tail"])
        runs.append({"size": size, **res, "ratio": float(m.group(1)) if m else None})
    ok = all(r["status"] == "ok" for r in runs)
    return {"status": "ok" if ok else "failed", "runs": runs}


def part_oinr(out: Path, box: float, tiny: bool) -> dict:
    common = ["--tables", "1", "--images", "coffee", "--table-models", "SIREN", "O-INR"]
    common += ["--smoke"] if tiny else ["--steps", "3000"]
    recipes = {
        "ours": [],
        "official": ["--lr", "SIREN=1e-3", "O-INR=1e-3", "--final-factor", "1"],
    }
    runs = {}
    t0 = time.perf_counter()
    for name, extra in recipes.items():
        left = box - (time.perf_counter() - t0)
        target = out / f"oinr_{name}.md"
        cmd = [sys.executable, "scripts/oinr_paper.py", *common, *extra, "--out", str(target)]
        res = _run(cmd, left)
        csv_path = target.with_suffix(".csv")
        rows = csv_path.read_text().splitlines() if csv_path.exists() else []
        runs[name] = {**res, "csv": rows}
    ok = all(r["status"] == "ok" for r in runs.values())
    return {"status": "ok" if ok else "failed", "recipes": runs}


def _run(cmd: list[str], timeout: float) -> dict:
    """Run a command from the repository root with a time box; its status, time and output tail."""
    if timeout < 1:
        return {"status": "skipped: no time left in the part's box", "seconds": 0.0, "tail": ""}
    t0 = time.perf_counter()
    try:
        res = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=os.environ.copy()
        )
        status = "ok" if res.returncode == 0 else f"failed: exit {res.returncode}"
        tail = (res.stdout + res.stderr)[-3000:]
    except subprocess.TimeoutExpired as exc:
        status = f"timed out after {timeout:.0f} s"
        tail = ((exc.stdout or b"").decode(errors="replace"))[-3000:]
    return {"status": status, "seconds": time.perf_counter() - t0, "command": cmd, "tail": tail}


def summary(results: dict, args: argparse.Namespace, device: str, started: float) -> str:
    import torch

    name = torch.cuda.get_device_name(0) if device == "cuda" else platform.processor() or "cpu"
    lines = [
        "# GPU check" + (" (tiny mode, CPU)" if args.tiny else ""),
        "",
        f"device: {device} ({name}); torch {torch.__version__}; python {platform.python_version()}",
        f"command: `python scripts/gpu_check.py {' '.join(sys.argv[1:])}`",
        f"total wall time: {time.perf_counter() - started:.0f} s",
        "",
        "| part | status | seconds |",
        "|---|---|---|",
    ]
    for part in PARTS:
        r = results.get(part, {"status": "not run"})
        lines.append(f"| {part} | {r.get('status', '?')} | {r.get('seconds', 0):.0f} |")
    if "tests" in results:
        lines += ["", f"CUDA tests: {results['tests'].get('counts')}"]
    if "notebooks" in results:
        lines += ["", "| notebook | status | seconds | numbers agreeing with the saved CPU run |"]
        lines += ["|---|---|---|---|"]
        for r in results["notebooks"].get("notebooks", []):
            lines.append(
                f"| {r.get('notebook', '?')} | {r.get('status', '?')[:60]} | "
                f"{r.get('seconds', 0):.0f} | {r.get('agree', 0)} / {r.get('numbers', 0)} |"
            )
    if "bench" in results:
        lines += [""] + [
            f"fit / bare loop at {r['size']}^2: {r['ratio']}" for r in results["bench"]["runs"]
        ]
    if "oinr" in results:
        for recipe, r in results["oinr"].get("recipes", {}).items():
            lines += ["", f"O-INR Table 1, {recipe} recipe ({r['status']}):", "", "```"]
            lines += r.get("csv", []) + ["```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", help="folder for the JSON files and summary.md")
    ap.add_argument("--one-notebook", help=argparse.SUPPRESS)  # worker mode of part_notebooks
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--timeout", type=float, default=240.0, help=argparse.SUPPRESS)
    ap.add_argument("--tiny", action="store_true", help="every part on the CPU at toy sizes")
    ap.add_argument("--parts", nargs="+", default=list(PARTS), choices=PARTS)
    ap.add_argument("--budget", type=float, default=480.0, help="seconds for all parts together")
    ap.add_argument("--jobs", type=int, default=4, help="notebooks executed at once")
    args = ap.parse_args(argv)
    if args.one_notebook:  # a worker of part_notebooks (its environment already set there)
        result = run_notebook(Path(args.one_notebook), {}, args.timeout)
        Path(args.result).write_text(json.dumps(result, indent=1, default=str))
        return
    if not args.out:
        ap.error("--out is required")
    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = "cpu" if args.tiny else "cuda"
    if not args.tiny:
        import torch

        if not torch.cuda.is_available():
            ap.error("no CUDA device: run with --tiny on a CPU")
    boxes = TINY_BOX if args.tiny else TIME_BOX
    results = {}
    for part in PARTS:
        if part not in args.parts:
            continue
        left = args.budget - (time.perf_counter() - started)
        box = min(boxes[part], left)
        t0 = time.perf_counter()
        if box < 10:
            results[part] = {"status": f"skipped: {left:.0f} s of the budget left"}
        elif part == "tests":
            results[part] = part_tests(out, box, args.tiny)
        elif part == "notebooks":
            results[part] = part_notebooks(out, box, args.tiny, device, args.jobs)
        elif part == "bench":
            results[part] = part_bench(out, box, args.tiny, device)
        else:
            results[part] = part_oinr(out, box, args.tiny)
        results[part]["seconds"] = time.perf_counter() - t0
        (out / f"{part}.json").write_text(json.dumps(results[part], indent=1, default=str))
        (out / "summary.md").write_text(summary(results, args, device, started))
        print(f"{part}: {results[part]['status']} ({results[part]['seconds']:.0f} s)", flush=True)
    print((out / "summary.md").read_text())
    return 0 if all(r["status"] == "ok" for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
