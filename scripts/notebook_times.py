"""Per-notebook run and read times, measured from the saved notebooks (for the README's table).

Run time: from the first cell's start to the last cell's end, as recorded in each code cell's
execution metadata by ``scripts/run_notebooks.py`` (``make notebooks``); it is the default tier
on the machine that saved the notebook. Read time: markdown words at 150 words per minute plus
non-empty code lines at 15 lines per minute (a reading estimate, not a timing; running the cells
comes on top).

    python scripts/notebook_times.py [notebooks/*.ipynb]
"""

from __future__ import annotations

import datetime
import json
import pathlib
import re
import sys

WORDS_PER_MIN = 150
CODE_LINES_PER_MIN = 15


def _stamp(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def times(path: pathlib.Path) -> dict:
    """Run seconds (None when the notebook has no execution metadata), read minutes, size."""
    nb = json.loads(path.read_text())
    starts, ends = [], []
    words = 0
    code_lines = 0
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            words += len(re.findall(r"[A-Za-z]+", src))
        elif cell["cell_type"] == "code":
            code_lines += sum(1 for line in src.splitlines() if line.strip())
            ex = cell.get("metadata", {}).get("execution")
            if ex and "iopub.execute_input" in ex and "shell.execute_reply" in ex:
                starts.append(_stamp(ex["iopub.execute_input"]))
                ends.append(_stamp(ex["shell.execute_reply"]))
    run = (max(ends) - min(starts)).total_seconds() if starts else None
    read = words / WORDS_PER_MIN + code_lines / CODE_LINES_PER_MIN
    return {
        "run_s": run,
        "read_min": read,
        "words": words,
        "code_lines": code_lines,
        "saved": min(starts).date().isoformat() if starts else None,
    }


def main(argv: list[str]) -> int:
    paths = [pathlib.Path(p) for p in argv] or sorted(pathlib.Path("notebooks").glob("*.ipynb"))
    if not paths:
        sys.exit("no notebooks found: pass paths or run from the repository root")
    print("| notebook | read (min) | run, default tier (s) | saved |")
    print("|---|---|---|---|")
    for p in paths:
        t = times(p)
        run = f"{t['run_s']:.0f}" if t["run_s"] is not None else "not executed"
        print(f"| {p.name} | {t['read_min']:.0f} | {run} | {t['saved'] or '-'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
