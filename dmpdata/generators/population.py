"""Population stage: patients with INS traits, birthplace, death, Mon espace santé status and médecin traitant."""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators import vocab
from dmpdata.generators.geography import Area, department_index
from dmpdata.generators.sampling import (
    EPOCH,
    Categorical,
    GroupedChoice,
    as_date,
    categorical,
    inverse_curve,
)
from dmpdata.scenario import Scenario

__all__ = ["generate_patients", "table_year", "EPOCH"]

DAYS_PER_YEAR = 365.2425


def table_year() -> int:
    """The year of the department population table (its structure is used at the period's start)."""
    return int(reference.load("population_department_age_sex")["year"].max())


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
    year = table_year()
    table = table.filter((pl.col("area") == "FR") & (pl.col("year") == year))
    out = {}
    for sex in ("M", "F"):
        pop = table.filter(pl.col("sex") == sex).sort("age")["population"].to_numpy().astype(np.float64)
        weights = np.zeros(105)
        weights[:99] = pop[:99]
        weights[99:] = pop[99] / 6
        out[sex] = weights
    return out


def _draw_age(male: np.ndarray, age_min: np.ndarray, age_max: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A single year of age within each person's band, following the national single-year structure."""
    weights = _single_year_weights()
    out = np.empty(male.size, dtype=np.int64)
    u = rng.random(male.size)
    for s in ("M", "F"):
        cum_all = np.concatenate([[0.0], np.cumsum(weights[s])])
        m = male if s == "M" else ~male
        lo, hi = age_min[m], np.minimum(age_max[m], 104)
        start, stop = cum_all[lo], cum_all[hi + 1]
        target = start + u[m] * (stop - start)
        out[m] = np.clip(np.searchsorted(cum_all, target, side="right") - 1, lo, hi)
    return out


@cache
def _qx() -> np.ndarray:
    """Probability of dying within a year by [is_male, age 0..104] (INSEE period life table)."""
    mortality = reference.load("mortality")
    out = np.zeros((2, 105))
    for i, sex in enumerate(("F", "M")):
        table = mortality.filter(pl.col("sex") == sex).sort("age")
        out[i, table["age"].to_numpy()] = table["qx"].to_numpy()
    return out


def _deaths(birth: np.ndarray, male: np.ndarray, start: dt.date, end: dt.date, rng: np.random.Generator) -> np.ndarray:
    """Death day ordinals (NaN = alive at the end) from the period life table, year by year.

    One uniform draw per person: they die in the first calendar-year segment where their survival
    probability falls below it, at the point of the segment where it crosses it.
    """
    qx = _qx()
    sex_row = male.astype(np.int64)
    u = rng.random(birth.size)
    survival = np.ones(birth.size)
    death = np.full(birth.size, np.nan)
    cursor = start.toordinal()
    stop = end.toordinal() + 1
    while cursor < stop:
        segment_end = min(dt.date.fromordinal(cursor).replace(month=12, day=31).toordinal() + 1, stop)
        seg_start = np.maximum(cursor, birth + 1)
        age = np.clip(((cursor - birth) / DAYS_PER_YEAR).astype(np.int64), 0, 104)
        fraction = np.clip((segment_end - seg_start) / DAYS_PER_YEAR, 0, 1)
        after = survival * (1 - qx[sex_row, age]) ** fraction
        dies = np.isnan(death) & (after < u)
        crossing = (survival - u) / np.maximum(survival - after, 1e-12)
        death = np.where(dies, np.floor(seg_start + crossing * (segment_end - seg_start)), death)
        survival = after
        cursor = segment_end
    return np.minimum(death, stop - 1)


def _mes(
    scenario: Scenario, rng: np.random.Generator, n: int, birth: np.ndarray, death: np.ndarray, department: pl.Series
) -> dict[str, pl.Series]:
    """Mon espace santé: notification, automatic creation or opposition, activation, closure."""
    rollout = reference.load("mes_rollout")
    default = rollout.filter(pl.col("department") == "*")
    notify_lo = np.full(n, default["notification_start"][0].toordinal(), dtype=np.float64)
    notify_hi = np.full(n, default["notification_end"][0].toordinal(), dtype=np.float64)
    for row in rollout.filter(pl.col("department") != "*").iter_rows(named=True):
        m = (department == row["department"]).to_numpy()  # polars string compare: no object array
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
    # Activated users may untick the default consent to emergency access (bris de glace / centre 15).
    opt_out_at = np.floor(activated_at + rng.random(n) * reference.parameter("emergency_opt_out_within_days"))
    limit = np.fmin(np.fmin(closed_at, np.where(np.isnan(death), np.inf, death)), period_end + 1)
    opted = activated & (rng.random(n) < reference.parameter("emergency_opt_out_share")) & (opt_out_at < limit)
    opt_out_at = np.where(opted, opt_out_at, np.nan)
    status = np.select(
        [opposed, ~created, ~np.isnan(closed_at), activated], [1, 0, 4, 3], default=2
    )
    return {
        "mes_status": _MES_STATUS.gather(status),
        "mes_notified_at": as_date(np.where(alive_at_notification, notified, np.nan), "mes_notified_at"),
        "mes_created_at": as_date(created_at, "mes_created_at"),
        "mes_opposed_at": as_date(opposed_at, "mes_opposed_at"),
        "mes_activated_at": as_date(activated_at, "mes_activated_at"),
        "mes_closed_at": as_date(closed_at, "mes_closed_at"),
        "emergency_access_opt_out": pl.Series("emergency_access_opt_out", opted),
        "emergency_opt_out_at": as_date(opt_out_at, "emergency_opt_out_at"),
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
    that order numbers are unique across the whole dataset (see engine.py). Strings are only ever
    gathered from small vocabularies by integer index: no per-row Python, no numpy string arrays.
    """
    # The population is the one living at the period's start (INSEE age structure, its latest year standing
    # in for that date) plus the children born during the period, at the INSEE birth rate (age-0 share).
    ref = scenario.start.toordinal()
    residence = area.residence
    commune_idx = area.residence_choice.sample(rng, n)
    dept_idx = residence["dept_idx"].to_numpy()[commune_idx]
    dept_codes = area.departments["code"]

    cells, cell_male, cell_min, cell_max = _age_sex_cells(area)
    cell = cells.pick(dept_idx, rng) % cell_male.size
    male = cell_male[cell]
    age = _draw_age(male, cell_min[cell], cell_max[cell], rng)
    birth = np.minimum(ref - np.floor((age + rng.random(n)) * DAYS_PER_YEAR) - 1, ref - 1)
    years = (scenario.end.toordinal() - ref + 1) / DAYS_PER_YEAR
    born_share = _birth_rate() * years / (1 + _birth_rate() * years)
    newborn = rng.random(n) < born_share
    birth = np.where(newborn, ref + np.floor(rng.random(n) * years * DAYS_PER_YEAR), birth)
    male = np.where(newborn, rng.random(n) < _boy_share(), male)
    age = np.where(newborn, 0, age)

    # Birthplace: abroad (adults), the department of residence, or elsewhere in France.
    p_abroad = reference.parameter("foreign_born_share") / _adult_share()
    abroad = (age >= reference.parameter("foreign_born_min_age")) & (rng.random(n) < p_abroad)
    # Children born during the period are born in their department of residence (its maternity wards).
    same_dept = newborn | (rng.random(n) < reference.parameter("born_in_residence_department_share"))
    local = area.birthplace_in_department.pick(_all_department_index(area)[dept_idx], rng)
    anywhere = area.birthplace_choice.sample(rng, n)
    country = _countries().sample(rng, n)
    place_idx = np.where(abroad, area.birthplaces.height + country, np.where(same_dept, local, anywhere))
    place = _place_codes(area).gather(place_idx)
    nia = abroad & (rng.random(n) < reference.parameter("nia_share_of_foreign_born"))

    # INS traits: birth name, 1-3 birth first names (the first is the "premier prénom"), used name.
    n_first = 1 + categorical(np.array([reference.parameter(f"first_names_{k}_share") for k in (1, 2, 3)]), rng, n)
    given = vocab.first_names_both()
    n_male = vocab.first_names("M").len()
    n_female = given.len() - n_male
    drawn = {
        f"n{k}": given.gather(np.where(male, rng.integers(0, n_male, n), n_male + rng.integers(0, n_female, n)))
        for k in range(3)
    }
    married = ~male & (age >= 25) & (rng.random(n) < reference.parameter("used_name_share_women_over_25"))
    last = vocab.last_names()
    statuses = reference.load("identity_statuses")

    death = _deaths(birth, male, scenario.start, scenario.end, rng)
    residence_department = dept_codes.gather(dept_idx)
    mes = _mes(scenario, rng, n, birth, death, residence_department)
    gp_id = _medecin_traitant(area, professionals, dept_idx, age, rng)

    birth_date = as_date(birth, "birth_date")
    frame = pl.DataFrame({
        "patient_id": np.arange(first_id, first_id + n, dtype=np.int64),
        "matricule_kind": _KIND.gather(nia.astype(np.int8)),
        "identity_status": statuses["code"].gather(categorical(statuses["share"].to_numpy(), rng, n)),
        "birth_name": last.gather(rng.integers(0, last.len(), n)),
        **drawn,
        "n_first": n_first,
        "used_name": last.gather(rng.integers(0, last.len(), n)),
        "married": married,
        "sex": _SEX.gather(male.astype(np.int8)),
        "birth_date": birth_date,
        "birth_place_code": place,
        "residence_commune": residence["code"].gather(commune_idx),
        "residence_department": residence_department,
        "residence_region": area.departments["region"].gather(dept_idx),
        "death_date": as_date(death, "death_date"),
        **mes,
        "gp_professional_id": gp_id,
        # Private columns for the matricule pass (engine.py), dropped before writing.
        **_nir_traits(male, birth_date, place_idx),
    })
    return frame.with_columns(
        pl.concat_str(
            "n0",
            pl.when(pl.col("n_first") > 1).then("n1"),
            pl.when(pl.col("n_first") > 2).then("n2"),
            separator=" ", ignore_nulls=True,
        ).alias("first_names"),
        pl.col("n0").alias("first_name"),
        pl.when("married").then("used_name").alias("used_name"),
    ).drop("n0", "n1", "n2", "n_first", "married")


_MES_STATUS = pl.Series("mes_status", ["not_created", "opposed", "not_activated", "activated", "closed"])
_SEX = pl.Series("sex", ["F", "M"])  # indexed by the boolean "male"
_KIND = pl.Series("matricule_kind", ["NIR", "NIA"])  # indexed by the boolean "nia"


def _nir_traits(male: np.ndarray, birth_date: pl.Series, place_idx: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "_nir_sex": np.where(male, 1, 2).astype(np.int8),
        "_birth_year": birth_date.dt.year().cast(pl.Int16).to_numpy(),
        "_birth_month": birth_date.dt.month().cast(pl.Int8).to_numpy(),
        "_place_idx": place_idx.astype(np.int32),
    }


def birthplace_vocabulary(area: Area) -> pl.Series:
    """The codes that `_place_idx` indexes: French birthplace communes, then countries of birth."""
    return _place_codes(area)


@cache
def _countries() -> Categorical:
    return Categorical(reference.load("birth_countries")["weight"].to_numpy())


@cache
def _age_sex_cells(area: Area) -> tuple[GroupedChoice, np.ndarray, np.ndarray, np.ndarray]:
    """Per department of the area: a chooser over its (sex, age band) cells, weighted by population."""
    cum, cell_sex, cell_min, cell_max = _age_sex_tables(tuple(area.departments["code"]))
    shares = np.diff(cum, axis=1, prepend=0.0)
    n_dept, n_cells = shares.shape
    chooser = GroupedChoice(np.repeat(np.arange(n_dept), n_cells), shares.ravel(), n_dept)
    return chooser, cell_sex == "M", cell_min, cell_max


@cache
def _all_department_index(area: Area) -> np.ndarray:
    """For each department of the area, its index among all departments (birthplace choosers)."""
    lookup = {code: i for i, code in enumerate(area.all_departments["code"])}
    return area.departments["code"].replace_strict(lookup, return_dtype=pl.Int64).to_numpy()


@cache
def _place_codes(area: Area) -> pl.Series:
    """Birthplace codes: the area's French birthplace communes, then the countries of birth (99xxx)."""
    return pl.concat([area.birthplaces["code"], reference.load("birth_countries")["country_code"]])


def _medecin_traitant(
    area: Area, professionals: pl.DataFrame, dept_idx: np.ndarray, age: np.ndarray, rng: np.random.Generator
) -> pl.Series:
    """A GP of the department of residence, for the share of adults who declared a médecin traitant."""
    gp_kinds = reference.load("workforce_rules").filter(pl.col("gp_eligible"))["kind"]
    gps = professionals.filter(pl.col("kind").is_in(gp_kinds.implode()))
    gp_dept = department_index(area, gps["department"], outside=-1)
    valid = gp_dept >= 0
    chooser = GroupedChoice(gp_dept[valid], np.ones(valid.sum()), area.departments.height)
    declared = (age >= reference.parameter("gp_declared_min_age")) & (
        rng.random(age.size) < reference.parameter("gp_declared_share_adults")
    )
    declared &= chooser.has(dept_idx)
    gp_id = np.zeros(age.size, dtype=np.int64)
    gp_id[declared] = gps["professional_id"].to_numpy()[valid][chooser.pick(dept_idx[declared], rng)]
    series = pl.Series("gp_professional_id", gp_id)
    return series.scatter(np.flatnonzero(~declared), None)


@cache
def _adult_share() -> float:
    weights = _single_year_weights()
    min_age = int(reference.parameter("foreign_born_min_age"))
    total = weights["M"].sum() + weights["F"].sum()
    return float((weights["M"][min_age:].sum() + weights["F"][min_age:].sum()) / total)


@cache
def _birth_rate() -> float:
    """Births per inhabitant per year: the INSEE age-0 population over the total (same table year)."""
    weights = _single_year_weights()
    return float((weights["M"][0] + weights["F"][0]) / (weights["M"].sum() + weights["F"].sum()))


@cache
def _boy_share() -> float:
    weights = _single_year_weights()
    return float(weights["M"][0] / (weights["M"][0] + weights["F"][0]))
