"""Benchmark (not a test): population stage throughput vs a Faker row loop producing the same fields.

Run:  uv run python benchmarks/bench_population.py [--patients 200000] [--faker-rows 20000] [--repeat 5]

Both sides run in one invocation on the same machine, each in its own long-lived subprocess (peak RSS measured
apart); each prepares its lookups once. Then `--repeat` rounds each time one run of every side in turn (the
vectorised stage, the Faker loop, and the engine's way on every core), so that the sides share the machine's
slow and fast spells. Prints patients/s of each side (median and best run), the ratio per round (median,
lowest, highest) and peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def vectorised(n: int):
    """(one timed run, extras from its output): the population stage as benchmarks/README describe it."""
    import polars as pl

    import dmpdata
    from dmpdata.engine import NIR_TRAITS, _matricules
    from dmpdata.generators.conditions import generate_conditions
    from dmpdata.generators.geography import area_of
    from dmpdata.generators.population import generate_patients
    from dmpdata.generators.workforce import generate_workforce
    from dmpdata.rng import stream

    scenario = dmpdata.load_scenario("demo").with_overrides(patients=n)
    area = area_of(scenario)
    _, professionals = generate_workforce(scenario, stream(scenario.seed, "workforce"), area)
    generate_patients(
        scenario, stream(0, "population", 99), area, professionals, first_id=1, n=1000
    )  # warm caches

    def once() -> list[pl.DataFrame]:
        chunks = []
        for k in range(scenario.n_chunks):
            first = k * scenario.chunk_size
            size = min(scenario.chunk_size, n - first)
            chunks.append(
                generate_patients(
                    scenario,
                    stream(scenario.seed, "population", k),
                    area,
                    professionals,
                    first_id=first + 1,
                    n=size,
                )
            )
        matricule = _matricules([c.select(NIR_TRAITS) for c in chunks], area)  # the global unique-NIR pass
        starts = [k * scenario.chunk_size for k in range(len(chunks))]
        return [
            c.drop(NIR_TRAITS).with_columns(
                matricule.slice(s, c.height).alias("ins_matricule"),
                pl.lit("1.2.250.1.213.1.4.10").alias("ins_oid"),
            )
            for c, s in zip(chunks, starts, strict=True)
        ]

    def extras(chunks: list[pl.DataFrame]) -> dict:
        started = time.perf_counter()
        conditions = sum(
            generate_conditions(scenario, stream(scenario.seed, "conditions", k), chunk).height
            for k, chunk in enumerate(chunks)
        )
        return {
            "columns": chunks[0].width,
            "conditions_rows": conditions,
            "conditions_seconds": time.perf_counter() - started,
        }

    return once, extras


def faker_loop(n: int):
    """The same generator logic, the usual way: one Python iteration per person.

    Each field follows the rules of the vectorised stage (residence by population, sex and age by
    department from INSEE, birthplace in/out of the department or abroad, unique coherent NIR,
    1-3 first names, used name, identity status, deaths from the life table year by year, Mon espace
    santé notification/opposition/activation curve/closure, médecin traitant from the department),
    drawn per row: names and dates from Faker, weighted choices with `random.choices` over
    cumulative weights precomputed once (bisect per draw), and a polars DataFrame at the end.
    """
    import bisect
    import datetime as dt
    import itertools
    import random

    import numpy as np
    import polars as pl
    from faker import Faker

    import dmpdata
    from dmpdata import reference
    from dmpdata.generators.geography import area_of
    from dmpdata.generators.population import _age_sex_tables, _single_year_weights
    from dmpdata.generators.vocab import ins_form
    from dmpdata.generators.workforce import generate_workforce
    from dmpdata.rng import stream

    scenario = dmpdata.load_scenario("demo")
    area = area_of(scenario)
    _, professionals = generate_workforce(scenario, stream(scenario.seed, "workforce"), area)
    fake = Faker("fr_FR")
    Faker.seed(1)
    random.seed(1)
    P = reference.parameter
    res = area.residence
    res_codes, res_dept = res["code"].to_list(), res["department"].to_list()
    res_cum = list(itertools.accumulate(res["population"].to_list()))
    regions = dict(zip(area.departments["code"], area.departments["region"], strict=True))
    depts = area.departments["code"].to_list()
    cum, cell_sex, cell_min, cell_max = _age_sex_tables(tuple(depts))
    dept_cells = {d: cum[i].tolist() for i, d in enumerate(depts)}
    weights = _single_year_weights()
    bp = area.birthplaces
    bp_codes, bp_cum = bp["code"].to_list(), list(itertools.accumulate(bp["population"].to_list()))
    bp_by_dept: dict[str, tuple[list, list]] = {}
    for d, part in bp.group_by("department"):
        bp_by_dept[d[0]] = (part["code"].to_list(), list(itertools.accumulate(part["population"].to_list())))
    countries = reference.load("birth_countries")
    c_codes, c_cum = (
        countries["country_code"].to_list(),
        list(itertools.accumulate(countries["weight"].to_list())),
    )
    qx = {s: reference.load("mortality").filter(pl.col("sex") == s).sort("age")["qx"].to_list() for s in "MF"}
    curve = reference.load("mes_activation").sort("date")
    c_days, c_shares = [d.toordinal() for d in curve["date"]], curve["activated_share"].to_list()
    gps = professionals.filter(
        pl.col("kind").is_in(["gp_liberal_solo", "gp_liberal_group", "gp_msp", "gp_health_centre"])
    )
    gp_by_dept: dict[str, list[int]] = {}
    for d, part in gps.group_by("department"):
        gp_by_dept[d[0]] = part["professional_id"].to_list()
    start, end = scenario.start, scenario.end
    ref = start.toordinal()
    adult_share = (weights["M"][18:].sum() + weights["F"][18:].sum()) / (
        weights["M"].sum() + weights["F"].sum()
    )
    p_abroad = P("foreign_born_share") / adult_share
    birth_rate = (weights["M"][0] + weights["F"][0]) / (weights["M"].sum() + weights["F"].sum())
    years = (end.toordinal() - ref + 1) / 365.2425
    born_share = birth_rate * years / (1 + birth_rate * years)
    band_ages = {}
    for c in range(len(cell_sex)):
        ages = list(range(int(cell_min[c]), int(min(cell_max[c], 104)) + 1))
        band_ages[c] = (ages, list(itertools.accumulate(float(weights[cell_sex[c]][a]) for a in ages)))
    np.random.seed(0)

    def once() -> pl.DataFrame:
        rows = []
        buckets: dict[str, int] = {}
        for i in range(n):
            r = random.choices(range(len(res_codes)), cum_weights=res_cum)[0]
            dept = res_dept[r]
            cell = random.choices(range(len(cell_sex)), cum_weights=dept_cells[dept])[0]
            sex = str(cell_sex[cell])
            ages, age_cum = band_ages[cell]
            age = random.choices(ages, cum_weights=age_cum)[0]
            if random.random() < born_share:
                birth, age = fake.date_between(start, end), 0
                sex = fake.random_element(("M", "F"))
            else:
                birth = dt.date.fromordinal(ref - int((age + random.random()) * 365.2425) - 1)
            abroad = age >= 18 and random.random() < p_abroad
            if abroad:
                place = random.choices(c_codes, cum_weights=c_cum)[0]
            elif random.random() < P("born_in_residence_department_share"):
                codes, cum_w = bp_by_dept[dept]
                place = random.choices(codes, cum_weights=cum_w)[0]
            else:
                place = random.choices(bp_codes, cum_weights=bp_cum)[0]
            corsica_20 = place[:2] in ("2A", "2B") and birth.year < 1976
            prefix = f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}{'20' + place[2:] if corsica_20 else place}"
            buckets[prefix] = order = buckets.get(prefix, 0) + 1
            head = f"{prefix}{order:03d}"
            key = 97 - int(head.replace("2A", "19").replace("2B", "18")) % 97
            k = random.choices(
                (1, 2, 3), (P("first_names_1_share"), P("first_names_2_share"), P("first_names_3_share"))
            )[0]
            names = [
                ins_form(fake.first_name_male() if sex == "M" else fake.first_name_female()) for _ in range(k)
            ]
            used = (
                ins_form(fake.last_name())
                if sex == "F" and age >= 25 and random.random() < P("used_name_share_women_over_25")
                else None
            )
            death = None
            cursor = max(ref, birth.toordinal() + 1)
            while death is None and cursor <= end.toordinal():
                year_end = min(
                    dt.date(dt.date.fromordinal(cursor).year, 12, 31).toordinal() + 1, end.toordinal() + 1
                )
                a = min(int((cursor - birth.toordinal()) / 365.2425), 104)
                if random.random() < 1 - (1 - qx[sex][a]) ** ((year_end - cursor) / 365.2425):
                    death = dt.date.fromordinal(random.randint(cursor, year_end - 1))
                cursor = year_end
            notified = max(fake.date_between(dt.date(2022, 1, 15), dt.date(2022, 4, 30)), birth)
            status, created, opposed, activated, closed = "not_activated", None, None, None, None
            if death is not None and death <= notified:
                status = "not_created"
            elif random.random() < P("mes_opposition_share"):
                status, opposed = "opposed", fake.date_between(notified, notified + dt.timedelta(days=42))
            else:
                created = notified + dt.timedelta(days=42)
                u = random.random()
                j = bisect.bisect_left(c_shares, u)
                if j < len(c_shares):
                    activated = max(dt.date.fromordinal(c_days[j]), notified)
                    if activated <= end and (death is None or activated < death):
                        status = "activated"
                        if random.random() < P("mes_closure_share"):
                            status, closed = "closed", fake.date_between(activated, end)
                    else:
                        activated = None
                if death is not None:
                    status, closed = "closed", death
            opt_out = None
            if activated is not None and random.random() < P("bris_de_glace_opt_out_share"):
                day = activated + dt.timedelta(days=random.randrange(int(P("emergency_opt_out_within_days"))))
                if day <= end and (death is None or day < death) and (closed is None or day < closed):
                    opt_out = day
            gp = None
            if (
                age >= P("gp_declared_min_age")
                and random.random() < P("gp_declared_share_adults")
                and dept in gp_by_dept
            ):
                gp = random.choice(gp_by_dept[dept])
            rows.append(
                {
                    "patient_id": i + 1,
                    "ins_matricule": f"{head}{key:02d}",
                    "matricule_kind": "NIA"
                    if abroad and random.random() < P("nia_share_of_foreign_born")
                    else "NIR",
                    "ins_oid": "1.2.250.1.213.1.4.10",
                    "birth_name": ins_form(fake.last_name()),
                    "first_names": " ".join(names),
                    "first_name": names[0],
                    "used_name": used,
                    "sex": sex,
                    "birth_date": birth,
                    "birth_place_code": place,
                    "residence_commune": res_codes[r],
                    "residence_department": dept,
                    "residence_region": regions[dept],
                    "death_date": death,
                    "mes_status": status,
                    "mes_notified_at": notified,
                    "mes_created_at": created,
                    "mes_opposed_at": opposed,
                    "mes_activated_at": activated,
                    "mes_closed_at": closed,
                    "bris_de_glace_opt_out_at": opt_out,
                    "centre_15_opt_out_at": None,
                    "gp_professional_id": gp,
                }
            )
        return pl.DataFrame(rows, infer_schema_length=None)

    return once, lambda frame: {"columns": frame.width}


class Side:
    """One side of the comparison in its own long-lived process (its peak RSS apart): set up once, then timed once
    per round on request, so that the sides alternate and share the machine's ups and downs."""

    def __init__(self, kind: str, n: int):
        self.kind, self.n = kind, n
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"the {kind} side failed to start")
        self.seconds: list[float] = []

    def run(self) -> float:
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        self.seconds.append(float(self.proc.stdout.readline()))
        return self.seconds[-1]

    def close(self) -> dict:
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        result = json.loads(self.proc.stdout.readline())
        self.proc.wait()
        return result


def serve(kind: str, n: int) -> None:
    once, extras = (vectorised if kind == "vectorised" else faker_loop)(n)
    print("ready", flush=True)
    last = None
    for line in sys.stdin:
        if line.strip() != "run":
            break
        last = None  # one run's output in memory at a time
        started = time.perf_counter()
        last = once()
        print(time.perf_counter() - started, flush=True)
    result = extras(last)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)


def _patients_rows(scenario, k: int, order) -> int:
    from dmpdata import engine

    return engine.chunk_patients(scenario, k, order).height


def engine_stage(n: int, run, workers: int) -> float:
    """The same patients table as the engine makes it on the pool's processes: pass 1 (every chunk's NIR buckets, in
    the engine's tasks), the national order-number ranking, then each chunk's patients with their matricules (pass 2's
    first step)."""
    import dmpdata
    from dmpdata import engine

    scenario = dmpdata.load_scenario("demo").with_overrides(patients=n)
    chunks = range(scenario.n_chunks)
    started = time.perf_counter()
    buckets = run(
        engine.chunks_buckets,
        [(scenario, ks) for ks in engine.pass1_tasks(scenario, workers)],
        lambda d, t: None,
    )
    order = engine._order_numbers(buckets)
    calls = [(scenario, k, order[k * scenario.chunk_size : (k + 1) * scenario.chunk_size]) for k in chunks]
    rows = sum(run(_patients_rows, calls, lambda d, t: None))
    assert rows == n
    return time.perf_counter() - started


def main() -> None:
    import contextlib

    import dmpdata
    from dmpdata import engine
    from dmpdata.parallel import available_cores, pool

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--faker-rows", type=int, default=20_000)
    parser.add_argument(
        "--repeat", type=int, default=5, help="rounds; each times every side once (setup once)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="also time the engine's way on N processes (0: every core; 1: skip)",
    )
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    workers = args.workers or available_cores()
    vec, fak = Side("vectorised", args.patients), Side("faker", args.faker_rows)
    eng: list[float] = []
    scenario = dmpdata.load_scenario("demo").with_overrides(patients=args.patients)
    with pool("local", workers, scenario.n_chunks) if workers > 1 else contextlib.nullcontext() as run:
        if run is not None:
            run(
                engine.chunk_buckets,
                [(scenario, k) for k in range(min(workers, scenario.n_chunks))],
                lambda d, t: None,
            )  # start and warm the workers
        for _ in range(args.repeat):
            vec.run()
            fak.run()
            if run is not None:
                eng.append(engine_stage(args.patients, run, workers))
    results = {
        "population stage (vectorised)": (vec, vec.close()),
        "Faker row loop (same fields) ": (fak, fak.close()),
    }
    for label, (side, r) in results.items():
        median, best = statistics.median(side.seconds), min(side.seconds)
        print(
            f"{label}: {side.n:>9,} patients, {len(side.seconds)} runs, median {median:.3f} s = "
            f"{side.n / median:>11,.0f} patients/s (best {side.n / best:,.0f}), {r['columns']} columns, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB"
        )
    vec_r = results["population stage (vectorised)"][1]
    print(
        f"conditions stage (vectorised): {vec_r['conditions_rows']:,} rows in {vec_r['conditions_seconds']:.2f} s"
    )
    fak_rates = [fak.n / t for t in fak.seconds]
    per_round = [vec.n / t / f for t, f in zip(vec.seconds, fak_rates, strict=True)]
    print(
        f"ratio, one process: {statistics.median(per_round):.0f}x (median of {len(per_round)} rounds, each timing "
        f"both sides in turn; lowest round {min(per_round):.0f}x, highest {max(per_round):.0f}x)"
    )
    if eng:
        rounds = [args.patients / t / f for t, f in zip(eng, fak_rates, strict=True)]
        median = statistics.median(eng)
        print(
            f"engine, {workers} worker processes (pass 1 + ranking + patients tables): median {median:.3f} s = "
            f"{args.patients / median:,.0f} patients/s = {statistics.median(rounds):.0f}x the Faker loop, which uses "
            f"one core (median of the rounds; lowest {min(rounds):.0f}x, highest {max(rounds):.0f}x)"
        )


if __name__ == "__main__":
    main()
