"""Population stage: patients with INS traits, birthplace, death, Mon espace santé status and médecin traitant."""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators import vocab
from dmpdata.generators.geography import Area
from dmpdata.generators.sampling import EPOCH, GroupedChoice, as_date, categorical, inverse_curve
from dmpdata.scenario import Scenario

__all__ = ["generate_patients", "reference_date", "EPOCH"]

DAYS_PER_YEAR = 365.2425


def reference_date() -> dt.date:
    """Ages are drawn as of 1 January of the department population table's year."""
    year = int(reference.load("population_department_age_sex")["year"].max())
    return dt.date(year, 1, 1)


@cache
def _age_sex_tables(departments: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per department: cumulative shares over (sex, age band); per sex: single-year weights.

    Returns (cum[dept, cell], cell_sex[cell], cell_age_min[cell], cell_age_max[cell]).
    """
    table = reference.load("population_department_age_sex")
    year = table["year"].max()
    table = table.filter(pl.col("year") == year)
    cells = table.select("sex", "age_min", "age_max").unique().sort("sex", "age_min")
    wide = (
        table.join(cells.with_row_index("cell"), on=["sex", "age_min", "age_max"])
        .select("department", "cell", "population")
    )
    matrix = np.zeros((len(departments), cells.height))
    national = wide.group_by("cell").agg(pl.col("population").sum()).sort("cell")["population"].to_numpy()
    lookup = {code: i for i, code in enumerate(departments)}
    for dep, part in wide.group_by("department"):
        i = lookup.get(dep[0])
        if i is not None:
            matrix[i, part["cell"].to_numpy()] = part["population"].to_numpy()
    empty = matrix.sum(axis=1) == 0  # a department missing from the table takes the national structure
    matrix[empty] = national
    cum = np.cumsum(matrix / matrix.sum(axis=1, keepdims=True), axis=1)
    return cum, cells["sex"].to_numpy(), cells["age_min"].to_numpy(), cells["age_max"].to_numpy()


@cache
def _single_year_weights() -> dict[str, np.ndarray]:
    """National population by single year of age 0..104 per sex (the open 99+ group spread over 99..104)."""
    table = reference.load("population_age_sex")
    year = reference_date().year
    table = table.filter((pl.col("area") == "FR") & (pl.col("year") == year))
    out = {}
    for sex in ("M", "F"):
        pop = table.filter(pl.col("sex") == sex).sort("age")["population"].to_numpy().astype(np.float64)
        weights = np.zeros(105)
        weights[:99] = pop[:99]
        weights[99:] = pop[99] / 6
        out[sex] = weights
    return out


def _draw_age(sex: np.ndarray, age_min: np.ndarray, age_max: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A single year of age within each person's band, following the national single-year structure."""
    weights = _single_year_weights()
    ages = np.arange(105)
    out = np.empty(sex.size, dtype=np.int64)
    u = rng.random(sex.size)
    for s in ("M", "F"):
        cum_all = np.concatenate([[0.0], np.cumsum(weights[s])])
        m = sex == s
        lo, hi = age_min[m], np.minimum(age_max[m], 104)
        start, stop = cum_all[lo], cum_all[hi + 1]
        target = start + u[m] * (stop - start)
        out[m] = np.clip(np.searchsorted(cum_all, target, side="right") - 1, lo, hi)
    del ages
    return out


def _deaths(birth: np.ndarray, sex: np.ndarray, start: dt.date, end: dt.date, rng: np.random.Generator) -> np.ndarray:
    """Death day ordinals (NaN = alive at the end) from the period life table, year by year."""
    mortality = reference.load("mortality")
    qx = {s: mortality.filter(pl.col("sex") == s).sort("age")["qx"].to_numpy() for s in ("M", "F")}
    death = np.full(birth.size, np.nan)
    cursor = start.toordinal()
    stop = end.toordinal() + 1
    while cursor < stop:
        segment_end = min(dt.date.fromordinal(cursor).replace(month=12, day=31).toordinal() + 1, stop)
        seg_start = np.maximum(cursor, birth + 1)
        exposed = (seg_start < segment_end) & np.isnan(death)
        age = np.clip(((cursor - birth) / DAYS_PER_YEAR).astype(np.int64), 0, 104)
        q = np.where(sex == "M", qx["M"][age], qx["F"][age])
        fraction = np.clip((segment_end - seg_start) / DAYS_PER_YEAR, 0, 1)
        dies = exposed & (rng.random(birth.size) < 1 - (1 - q) ** fraction)
        when = seg_start + rng.random(birth.size) * (segment_end - seg_start)
        death = np.where(dies, np.floor(when), death)
        cursor = segment_end
    return death


def _mes(
    scenario: Scenario, rng: np.random.Generator, n: int, birth: np.ndarray, death: np.ndarray, department: pl.Series
) -> dict[str, pl.Series]:
    """Mon espace santé: notification, automatic creation or opposition, activation, closure."""
    rollout = reference.load("mes_rollout")
    default = rollout.filter(pl.col("department") == "*")
    notify_lo = np.full(n, default["notification_start"][0].toordinal(), dtype=np.float64)
    notify_hi = np.full(n, default["notification_end"][0].toordinal(), dtype=np.float64)
    dep = department.to_numpy()
    for row in rollout.filter(pl.col("department") != "*").iter_rows(named=True):
        m = dep == row["department"]
        notify_lo[m] = row["notification_start"].toordinal()
        notify_hi[m] = row["notification_end"].toordinal()
    notified = np.floor(notify_lo + rng.random(n) * (notify_hi - notify_lo + 1))
    window = reference.parameter("mes_opposition_window_days")
    newborn_delay = reference.parameter("mes_newborn_creation_delay_days")
    # Children born after their area's notification get a profile once registered.
    born_later = birth >= notified
    notified = np.where(born_later, birth, notified)
    creation = notified + np.where(born_later, newborn_delay, window)
    period_end = scenario.end.toordinal()
    alive_at_notification = np.isnan(death) | (death > notified)
    opposed = alive_at_notification & (rng.random(n) < reference.parameter("mes_opposition_share"))
    opposed_at = np.where(opposed, np.floor(notified + rng.random(n) * window), np.nan)

    curve = reference.load("mes_activation").sort("date")
    days = np.array([d.toordinal() for d in curve["date"]], dtype=np.float64)
    shares = np.minimum(curve["activated_share"].to_numpy() / (1 - reference.parameter("mes_opposition_share")), 1.0)
    activated_at = np.floor(inverse_curve(rng.random(n), days, shares))
    activated_at = np.maximum(activated_at, notified)  # activating before creation creates the profile early
    created = ~opposed & alive_at_notification & ~((creation > period_end) & np.isnan(activated_at))
    created_at = np.where(created, np.fmin(creation, activated_at), np.nan)
    created &= np.isnan(death) | (created_at < death)
    created_at = np.where(created, created_at, np.nan)
    activated = created & ~np.isnan(activated_at) & (activated_at <= period_end) & (np.isnan(death) | (activated_at < death))
    activated_at = np.where(activated, activated_at, np.nan)
    closes = activated & (rng.random(n) < reference.parameter("mes_closure_share"))
    closed_at = np.where(closes, np.floor(activated_at + rng.random(n) * (period_end - activated_at)), np.nan)
    # A profile is closed when its holder dies.
    died_with_profile = created & ~np.isnan(death)
    closed_at = np.where(died_with_profile, np.fmin(np.where(np.isnan(closed_at), np.inf, closed_at), death), closed_at)
    status = np.where(
        opposed, "opposed",
        np.where(~created, "not_created",
                 np.where(~np.isnan(closed_at), "closed", np.where(activated, "activated", "not_activated"))),
    )
    return {
        "mes_status": pl.Series("mes_status", status),
        "mes_notified_at": as_date(np.where(alive_at_notification, notified, np.nan), "mes_notified_at"),
        "mes_created_at": as_date(created_at, "mes_created_at"),
        "mes_opposed_at": as_date(opposed_at, "mes_opposed_at"),
        "mes_activated_at": as_date(activated_at, "mes_activated_at"),
        "mes_closed_at": as_date(closed_at, "mes_closed_at"),
    }


def generate_patients(
    scenario: Scenario,
    rng: np.random.Generator,
    area: Area,
    professionals: pl.DataFrame,
    *,
    first_id: int,
    n: int,
) -> pl.DataFrame:
    """One chunk of `n` patients (ids first_id..first_id+n-1), without the matricule INS.

    The matricule is added by `identifiers.build_nir` once every chunk's birth buckets are known, so
    that order numbers are unique across the whole dataset (see engine.py).
    """
    ref = reference_date()
    residence = area.residence
    commune_idx = categorical(residence["population"].to_numpy(), rng, n)
    dept_idx = residence["dept_idx"].to_numpy()[commune_idx]
    dept_codes = area.departments["code"]

    cum, cell_sex, cell_min, cell_max = _age_sex_tables(tuple(dept_codes))
    cell = np.minimum((cum[dept_idx] < rng.random(n)[:, None]).sum(axis=1), cum.shape[1] - 1)
    sex = cell_sex[cell]
    age = _draw_age(sex, cell_min[cell], cell_max[cell], rng)
    birth = ref.toordinal() - np.floor((age + rng.random(n)) * DAYS_PER_YEAR) - 1
    birth = np.minimum(birth, ref.toordinal() - 1)

    # Birthplace: abroad (adults), the department of residence, or elsewhere in France.
    adult_share = _adult_share()
    min_age = reference.parameter("foreign_born_min_age")
    p_abroad = reference.parameter("foreign_born_share") / adult_share
    abroad = (age >= min_age) & (rng.random(n) < p_abroad)
    same_dept = rng.random(n) < reference.parameter("born_in_residence_department_share")
    birthplaces = area.birthplaces
    all_idx = {code: i for i, code in enumerate(area.all_departments["code"])}
    dept_all = dept_codes.replace_strict(all_idx, return_dtype=pl.Int64).to_numpy()[dept_idx]
    chooser = area.birthplace_in_department
    local = chooser.pick(dept_all, rng)
    anywhere = categorical(birthplaces["population"].to_numpy(), rng, n)
    place = birthplaces["code"].gather(np.where(same_dept, local, anywhere))
    countries = reference.load("birth_countries")
    country = countries["country_code"].gather(categorical(countries["weight"].to_numpy(), rng, n))
    place = pl.select(pl.when(pl.Series(abroad)).then(country).otherwise(place)).to_series()
    nia = abroad & (rng.random(n) < reference.parameter("nia_share_of_foreign_born"))

    # INS traits: birth name, 1-3 birth first names (the first is the "premier prénom"), used name.
    n_first = 1 + categorical(
        np.array([reference.parameter(f"first_names_{k}_share") for k in (1, 2, 3)]), rng, n
    )
    names = []
    for k in range(3):
        male = vocab.sample(vocab.first_names("M"), rng, n)
        female = vocab.sample(vocab.first_names("F"), rng, n)
        chosen = pl.select(pl.when(pl.Series(sex == "M")).then(male).otherwise(female)).to_series()
        names.append(pl.select(pl.when(pl.Series(n_first > k)).then(chosen).otherwise(None)).to_series().alias(f"n{k}"))
    first_names = pl.DataFrame(names).select(pl.concat_str("n0", "n1", "n2", separator=" ", ignore_nulls=True))
    birth_name = vocab.sample(vocab.last_names(), rng, n)
    married = (sex == "F") & (age >= 25) & (rng.random(n) < reference.parameter("used_name_share_women_over_25"))
    other_name = vocab.sample(vocab.last_names(), rng, n)
    used_name = pl.select(pl.when(pl.Series(married)).then(other_name).otherwise(None)).to_series()

    statuses = reference.load("identity_statuses")
    identity_status = statuses["code"].gather(categorical(statuses["share"].to_numpy(), rng, n))

    death = _deaths(birth, sex, scenario.start, scenario.end, rng)
    residence_department = dept_codes.gather(dept_idx)
    mes = _mes(scenario, rng, n, birth, death, residence_department)

    # Médecin traitant: a GP of the department of residence, for the share of adults who declared one.
    gp_kinds = reference.load("workforce_rules").filter(pl.col("gp_eligible"))["kind"]
    gps = professionals.filter(pl.col("kind").is_in(gp_kinds.implode()))
    gp_dept = gps["department"].replace_strict(
        {code: i for i, code in enumerate(dept_codes)}, return_dtype=pl.Int64, default=-1
    ).to_numpy()
    valid = gp_dept >= 0
    gp_choice = GroupedChoice(gp_dept[valid], np.ones(valid.sum()), len(dept_codes))
    declared = (age >= reference.parameter("gp_declared_min_age")) & (
        rng.random(n) < reference.parameter("gp_declared_share_adults")
    )
    declared &= gp_choice.has(dept_idx)
    gp_rows = gp_choice.pick(dept_idx[declared], rng)
    gp_id = np.full(n, -1, dtype=np.int64)
    gp_id[declared] = gps["professional_id"].to_numpy()[valid][gp_rows]

    return pl.DataFrame({
        "patient_id": np.arange(first_id, first_id + n, dtype=np.int64),
        "matricule_kind": pl.Series(np.where(nia, "NIA", "NIR")),
        "identity_status": identity_status,
        "birth_name": birth_name,
        "first_names": first_names.to_series(),
        "first_name": pl.DataFrame(names)["n0"],
        "used_name": used_name,
        "sex": pl.Series(sex.astype(str)),
        "birth_date": as_date(birth, "birth_date"),
        "birth_place_code": place,
        "residence_commune": residence["code"].gather(commune_idx),
        "residence_department": residence_department,
        "residence_region": area.departments["region"].gather(dept_idx),
        "death_date": as_date(death, "death_date"),
        **mes,
        "gp_professional_id": pl.Series(gp_id).replace(-1, None),
    })


@cache
def _adult_share() -> float:
    weights = _single_year_weights()
    min_age = int(reference.parameter("foreign_born_min_age"))
    total = weights["M"].sum() + weights["F"].sum()
    return float((weights["M"][min_age:].sum() + weights["F"][min_age:].sum()) / total)
