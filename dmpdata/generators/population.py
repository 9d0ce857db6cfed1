"""Population stage: patients with INS traits, birthplace, death, Mon espace santé status and médecin traitant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators import vocab
from dmpdata.generators.emergency_consents import centre_15_opt_out
from dmpdata.generators.geography import Area, department_index
from dmpdata.generators.mes_rollout import (
    activation_curve,
    notification_windows,
    prior_dmp_opened,
    queue_creation_day,
)
from dmpdata.generators.nir_forms import nir_pseudo_months
from dmpdata.generators.sampling import (
    EPOCH,
    Categorical,
    GroupedChoice,
    as_dates,
    categorical,
    choose,
    decoded,
    inverse_curve,
)
from dmpdata.identifiers import nirs_indexed
from dmpdata.scenario import Scenario
from dmpdata.schemas._common import test_oid

__all__ = ["EPOCH", "generate_patients", "mortality_hazards", "nir_traits", "table_year"]

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
    wide = table.join(cells.with_row_index("cell"), on=["sex", "age_min", "age_max"]).select(
        "department", "cell", "population"
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


@cache
def _ages_in_cells(area: Area) -> tuple[GroupedChoice, np.ndarray]:
    """Per (sex, age band) cell: a chooser over its single years of age, weighted by the national structure,
    and the age of each of the chooser's rows."""
    _, cell_male, cell_min, cell_max = _age_sex_cells(area)
    weights = _single_year_weights()
    groups, ages, w = [], [], []
    for c in range(cell_male.size):
        years = np.arange(int(cell_min[c]), int(min(cell_max[c], 104)) + 1)
        groups.append(np.full(years.size, c))
        ages.append(years)
        w.append(weights["M" if cell_male[c] else "F"][years])
    return GroupedChoice(np.concatenate(groups), np.concatenate(w), cell_male.size), np.concatenate(ages)


@cache
def mortality_hazards() -> np.ndarray:
    """Yearly death hazard -ln(1 - qx) by is_male * 105 + age 0..104 (INSEE period life table)."""
    mortality = reference.load("mortality")
    out = np.zeros((2, 105))
    for i, sex in enumerate(("F", "M")):
        table = mortality.filter(pl.col("sex") == sex).sort("age")
        out[i, table["age"].to_numpy()] = table["qx"].to_numpy()
    return -np.log1p(-np.minimum(out, 1 - 1e-12)).ravel()


def _deaths(
    birth: np.ndarray,
    male: np.ndarray,
    start: dt.date,
    end: dt.date,
    rng: np.random.Generator,
    multiplier: np.ndarray | None = None,
) -> np.ndarray:
    """Death day ordinals (NaN = alive at the end) from the period life table, calendar year by calendar year.

    Within a calendar year a person of age a has the constant hazard -ln(1 - qx[a]) per year, so that
    they survive the whole year with probability 1 - qx[a], times their `multiplier` (their pathologies' weight,
    mean 1 per age and sex) when given. One exponential draw per person: they die where their cumulative hazard
    over the period crosses it (divided by the multiplier: the same as multiplying the hazard). Only the people whose draw lies below an
    upper bound of their hazard over the whole period (their highest yearly hazard over its ages) can die:
    the year-by-year walk runs on them alone.
    """
    hazards = mortality_hazards()
    threshold = rng.standard_exponential(birth.size)
    if multiplier is not None:
        threshold = threshold / multiplier
    death = np.full(birth.size, np.nan)
    cursor, stop = start.toordinal(), end.toordinal() + 1
    years = (stop - cursor) / DAYS_PER_YEAR
    row = choose(male, 105, 0)
    age0 = np.clip(((cursor - birth) / DAYS_PER_YEAR).astype(np.int64), 0, 104)
    bound = _hazard_ceiling(int(np.ceil(years)) + 1)[row + age0] * years
    who = np.flatnonzero(threshold < bound)
    birth, row, threshold = birth[who], row[who], threshold[who]
    cumulative = np.zeros(who.size)
    while cursor < stop:
        segment_end = min(dt.date.fromordinal(cursor).replace(month=12, day=31).toordinal() + 1, stop)
        seg_start = np.maximum(cursor, birth + 1)
        age = np.clip(((cursor - birth) / DAYS_PER_YEAR).astype(np.int64), 0, 104)
        length = np.maximum(segment_end - seg_start, 0)  # days of the segment lived (0 when born after it)
        rate = hazards[row + age] / DAYS_PER_YEAR  # per day
        after = cumulative + rate * length
        dies = np.flatnonzero((after > threshold) & (cumulative <= threshold))  # the first crossing only
        death[who[dies]] = np.floor(seg_start[dies] + (threshold[dies] - cumulative[dies]) / rate[dies])
        cumulative = after
        cursor = segment_end
    return np.minimum(death, stop - 1)


@cache
def _hazard_ceiling(span: int) -> np.ndarray:
    """For each (sex, age) of `mortality_hazards`: the highest hazard of that sex over ages age..age+span-1 (capped at 104)."""
    hazards = mortality_hazards().reshape(2, 105)
    out = np.empty_like(hazards)
    for a in range(105):
        out[:, a] = hazards[:, a : min(a + span, 105)].max(axis=1)
    return out.ravel()


def _mes(
    scenario: Scenario,
    rng: np.random.Generator,
    n: int,
    birth: np.ndarray,
    death: np.ndarray,
    area: Area,
    dept_idx: np.ndarray,
) -> dict[str, np.ndarray | tuple[pl.Series, np.ndarray]]:
    """Mon espace santé: notification, automatic creation or opposition, activation, closure.

    Dates are day ordinals (NaN = none); the status is (vocabulary, index), as `_frame` takes them."""
    notify_lo, notify_hi, queued = notification_windows(area)
    notify_lo, notify_hi, queued = notify_lo[dept_idx], notify_hi[dept_idx], queued[dept_idx]
    moment = notify_lo + rng.random(n) * (notify_hi - notify_lo + 1)
    notified = np.floor(moment)
    window = reference.parameter("mes_opposition_window_days")
    newborn_delay = reference.parameter("mes_newborn_creation_delay_days")
    # Children born after their area's notification get a profile once registered.
    born_later = birth >= notified
    notified = np.maximum(notified, birth)
    creation = notified + choose(born_later, newborn_delay, window)
    # The national wave: no profile before six weeks after the notification, and profiles created in the order of
    # the notifications (departments by number) at the pace of the published national counts.
    creation = np.where(queued & ~born_later, np.fmax(creation, queue_creation_day(moment)), creation)
    period_end = scenario.end.toordinal()
    survives = np.isnan(death)  # alive at the period's end
    alive_at_notification = survives | (death > notified)
    opposed = alive_at_notification & (rng.random(n) < reference.parameter("mes_opposition_share"))
    opposed_at = np.where(opposed, np.floor(notified + rng.random(n) * window), np.nan)

    days, shares = activation_curve()
    activated_at = np.floor(inverse_curve(rng.random(n), days, shares))
    activated_at = np.maximum(activated_at, notified)  # activating before creation creates the profile early
    created = ~opposed & alive_at_notification & ~((creation > period_end) & np.isnan(activated_at))
    created_at = choose(created, np.fmin(creation, activated_at), np.nan)
    created &= survives | (created_at < death)
    created_at = choose(created, created_at, np.nan)
    activated = (
        created & ~np.isnan(activated_at) & (activated_at <= period_end) & (survives | (activated_at < death))
    )
    activated_at = choose(activated, activated_at, np.nan)
    closed_at, bris_de_glace_opt_out_at = _closure_and_opt_out(
        rng, n, created, activated, activated_at, death, period_end
    )
    # not_created 0, opposed 1, not_activated 2, activated 3, closed 4. Opposed profiles are never created;
    # activated and closed ones always are, and closed wins over activated.
    status = (created * (2 + np.maximum(activated, 2 * ~np.isnan(closed_at))) + opposed).astype(np.int8)
    return {
        "mes_status": (_MES_STATUS, status),
        "mes_notified_at": choose(alive_at_notification, notified, np.nan),
        "mes_created_at": created_at,
        "mes_opposed_at": opposed_at,
        "mes_activated_at": activated_at,
        "mes_closed_at": closed_at,
        "bris_de_glace_opt_out_at": bris_de_glace_opt_out_at,
    }


def _closure_and_opt_out(
    rng: np.random.Generator,
    n: int,
    created: np.ndarray,
    activated: np.ndarray,
    activated_at: np.ndarray,
    death: np.ndarray,
    period_end: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(closed_at, bris_de_glace_opt_out_at): closures by the holder or at death, and refusals of bris de glace
    access (the centre 15 consent is drawn at the end of the stage: `emergency_consents.centre_15_opt_out`)."""
    closes = activated & (rng.random(n) < reference.parameter("mes_closure_share"))
    closed_at = np.where(closes, np.floor(activated_at + rng.random(n) * (period_end - activated_at)), np.nan)
    # A profile is closed when its holder dies (fmin skips NaN: no death, or no earlier closure).
    closed_at = choose(created, np.fmin(closed_at, death), closed_at)
    # Activated users may untick the default consent to bris de glace access (one of two emergency consents).
    opt_out_at = np.floor(activated_at + rng.random(n) * reference.parameter("emergency_opt_out_within_days"))
    limit = np.fmin(np.fmin(closed_at, death), period_end + 1)
    opted = (
        activated
        & (rng.random(n) < reference.parameter("bris_de_glace_opt_out_share"))
        & (opt_out_at < limit)
    )
    return closed_at, np.where(opted, opt_out_at, np.nan)


def nir_traits(scenario: Scenario, rng: np.random.Generator, area: Area, n: int) -> dict[str, np.ndarray]:
    """The private NIR-trait columns (sex digit, birth year and month, birthplace index) of the chunk of `n` patients
    that `generate_patients` makes from `rng`: the chunk's first draws only (the engine's first pass)."""
    _, _, male, _, birth, abroad, place_idx = _first_draws(scenario, rng, area, n)
    return _nir_traits(male, birth, place_idx, nir_pseudo_months(rng, abroad))


def _first_draws(scenario: Scenario, rng: np.random.Generator, area: Area, n: int) -> tuple[np.ndarray, ...]:
    """Residence, sex, age, birth day and birthplace: a chunk's first draws, which its NIR traits come from.

    Returns (commune_idx, dept_idx, male, age, birth, abroad, place_idx)."""
    # The population is the one living at the period's start (INSEE age structure, its latest year standing
    # in for that date) plus the children born during the period, at the INSEE birth rate (age-0 share).
    ref = scenario.start.toordinal()
    commune_idx = area.residence_choice.sample(rng, n)
    dept_idx = _residence_departments(area)[commune_idx]

    cells, cell_male, _, _ = _age_sex_cells(area)
    cell = cells.pick(dept_idx, rng) % cell_male.size
    male = cell_male[cell]
    age_chooser, ages = _ages_in_cells(area)
    age = ages[age_chooser.pick(cell, rng)]
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
    place_idx = choose(abroad, area.birthplaces.height + country, choose(same_dept, local, anywhere))
    return commune_idx, dept_idx, male, age, birth, abroad, place_idx


def generate_patients(
    scenario: Scenario,
    rng: np.random.Generator,
    area: Area,
    professionals: pl.DataFrame,
    *,
    first_id: int,
    n: int,
    order: np.ndarray | None = None,
    death_multiplier: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> pl.DataFrame:
    """One chunk of `n` patients (ids first_id..first_id+n-1).

    `death_multiplier(birth day ordinals, is_male)` gives each person's death hazard multiplier (their pathologies:
    the conditions stage's `mortality_multiplier`); without it deaths follow the life table alone.

    Without `order`, the matricule INS is missing and the private NIR-trait columns (`nir_traits`) stand in for it:
    the matricule needs the NIR order numbers, ranked over every chunk's traits so that they are unique across the
    whole dataset (see engine.py). With `order` (the chunk's order numbers from that ranking), the frame has the
    matricule INS and the INS OID instead of the private columns.

    The traits come from the chunk's first draws: `nir_traits` (the engine's first pass) draws only those, and the
    full chunk generated later from the same stream has the same traits. Strings are gathered from small
    vocabularies by integer index: no per-row Python, no numpy string arrays.
    """
    commune_idx, dept_idx, male, age, birth, abroad, place_idx = _first_draws(scenario, rng, area, n)
    nia = abroad & (rng.random(n) < reference.parameter("nia_share_of_foreign_born"))

    # INS traits: birth name, 1-3 birth first names (the first is the "premier prénom"), used name.
    given, picks = _first_name_picks(male, rng, n)
    married = ~male & (age >= 25) & (rng.random(n) < reference.parameter("used_name_share_women_over_25"))
    last = vocab.last_names()

    traits = _nir_traits(male, birth, place_idx, nir_pseudo_months(rng, abroad))
    multiplier = None if death_multiplier is None else death_multiplier(birth, male)
    death = _deaths(birth, male, scenario.start, scenario.end, rng, multiplier)
    mes = _mes(scenario, rng, n, birth, death, area, dept_idx)
    gp_id = _medecin_traitant(area, professionals, dept_idx, age, rng)
    # The draw of the former patients.identity_status (now per structure: identity_records), kept so that the
    # draws after it, and so every other column of the patients, keep their values.
    rng.random(n)

    frame = _frame(
        {
            "patient_id": np.arange(first_id, first_id + n, dtype=np.int64),
            "matricule_kind": (_KIND, nia.astype(np.int8)),
            "birth_name": (last, rng.integers(0, last.len(), n)),
            "used_name": (_last_names_or_null(), choose(married, rng.integers(0, last.len(), n), last.len())),
            "sex": (_SEX, male.astype(np.int8)),
            "birth_date": birth,
            "birth_place_code": (_place_codes(area), place_idx),
            "residence_commune": (area.residence["code"], commune_idx),
            "residence_department": (area.departments["code"], dept_idx),
            "residence_region": (area.departments["region"], dept_idx),
            "death_date": death,
            **mes,
            "dmp_opened_at": prior_dmp_opened(rng, birth, mes["mes_status"][1] != 1),
            "gp_professional_id": gp_id,
            "first_names": _joined_first_names(picks),
            "first_name": (given, picks[0]),
            # The private columns for the matricule pass (engine.py), or the matricule once the order numbers are known.
            **(traits if order is None else _identity(traits, area, order)),
        }
    )
    return _with_centre_15(frame, centre_15_opt_out(rng, mes, death, scenario.end.toordinal()))


def _with_centre_15(frame: pl.DataFrame, opt_out_at: np.ndarray) -> pl.DataFrame:
    """The frame with centre_15_opt_out_at (day ordinals, NaN = never) beside bris_de_glace_opt_out_at."""
    column = _frame({"centre_15_opt_out_at": opt_out_at}).to_series()
    return frame.insert_column(frame.get_column_index("bris_de_glace_opt_out_at") + 1, column)


def _first_name_picks(male: np.ndarray, rng: np.random.Generator, n: int) -> tuple[pl.Series, np.ndarray]:
    """(the first names' vocabulary, picks[3, n] into it): 1-3 birth first names of the person's sex, the missing
    ones the vocabulary's null."""
    n_first = 1 + categorical(
        np.array([reference.parameter(f"first_names_{k}_share") for k in (1, 2, 3)]), rng, n
    )
    given, n_male = _given_names()
    n_given = given.len() - 1
    first_of_sex = choose(
        male, 0, n_male
    )  # the vocabulary holds the boys' names, then the girls', then a null
    names_of_sex = choose(male, n_male, n_given - n_male)
    picks = first_of_sex + (rng.random((3, n)) * names_of_sex).astype(np.int64)
    picks[1:] = choose(np.arange(1, 3)[:, None] < n_first, picks[1:], n_given)  # no 2nd/3rd name: the null
    return given, picks


def _identity(traits: dict[str, np.ndarray], area: Area, order: np.ndarray) -> dict[str, pl.Series | str]:
    """The matricule INS (the NIR from the traits and the order numbers) and the INS OID: the TEST one, always."""
    return {
        "ins_matricule": nirs_indexed(*traits.values(), _place_codes(area), order).alias("ins_matricule"),
        "ins_oid": test_oid(),
    }


def _frame(columns: dict) -> pl.DataFrame:
    """The chunk's frame from numpy arrays, in one polars select so that its threads share the string work.

    A column is a polars Series or an array (kept as is; float arrays of day ordinals, NaN = null, become dates
    when the name ends in `_date` or `_at`), a (vocabulary, index) pair (gathered; an index past the end gives
    a null) or a string (that value on every row).
    """
    dates = as_dates(
        {
            name: value
            for name, value in columns.items()
            if isinstance(value, np.ndarray) and value.dtype == np.float64 and name.endswith(("_date", "_at"))
        }
    )
    raw: dict[str, np.ndarray | pl.Series] = {}
    exprs = []
    for name, value in columns.items():
        if isinstance(value, tuple):
            vocabulary, index = value
            raw[f"_{name}"] = index
            exprs.append(decoded(vocabulary, f"_{name}").alias(name))
        elif isinstance(value, str):
            exprs.append(pl.lit(value, dtype=pl.String).alias(name))
        else:
            raw[name] = dates.get(name, value)
            exprs.append(pl.col(name))
    return pl.DataFrame(raw).select(exprs)


_MES_STATUS = pl.Series("mes_status", reference.codes("mes_statuses"))
_SEX = pl.Series("sex", ["F", "M"])  # indexed by the boolean "male"
_KIND = pl.Series("matricule_kind", ["NIR", "NIA"])  # indexed by the boolean "nia"


def _nir_traits(
    male: np.ndarray, birth: np.ndarray, place_idx: np.ndarray, pseudo: np.ndarray
) -> dict[str, np.ndarray]:
    """The NIR traits; `_birth_month` is the NIR's month: the month of birth, or the pseudo-month where `pseudo`
    holds one (not 0)."""
    first, years, months = _calendar()
    day = birth.astype(np.int64) - first
    return {
        "_nir_sex": (2 - male).astype(np.int8),
        "_birth_year": years[day],
        "_birth_month": np.where(pseudo > 0, pseudo, months[day]).astype(np.int8),
        "_place_idx": place_idx.astype(np.int32),
    }


@cache
def _calendar() -> tuple[int, np.ndarray, np.ndarray]:
    """Year and month of every day from 1 January 1850 to 31 December 2199 (lookup by ordinal - first)."""
    first = dt.date(1850, 1, 1).toordinal()
    days = np.arange(first - EPOCH, dt.date(2200, 1, 1).toordinal() - EPOCH).astype("datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64)  # months since January 1970
    return first, (1970 + months // 12).astype(np.int16), (1 + months % 12).astype(np.int8)


def birthplace_vocabulary(area: Area) -> pl.Series:
    """The codes that `_place_idx` indexes: French birthplace communes, then countries of birth."""
    return _place_codes(area)


@cache
def _given_names() -> tuple[pl.Series, int]:
    """Birth first names, boys' then girls', then one null (no such name); the number of boys' names."""
    return pl.concat(
        [vocab.first_names_both(), pl.Series([None], dtype=pl.String)], rechunk=True
    ), vocab.first_names("M").len()


def _joined_first_names(picks: np.ndarray) -> pl.Series:
    """The birth first names of each person, space-separated, from their three picks into `_given_names`
    (the null's index for no 2nd/3rd name): one gather from the vocabulary of first-second pairs, and a
    concatenation only for the people with a third name (a fifth of them), rather than joining three gathers for
    every row."""
    pairs, spaced = _first_name_pairs()
    n_given = _given_names()[0].len() - 1
    joined = pairs.gather(picks[0] * (n_given + 1) + picks[1])
    three = np.flatnonzero(picks[2] != n_given)
    return joined.scatter(three, joined.gather(three) + spaced.gather(picks[2][three])).alias("first_names")


@cache
def _first_name_pairs() -> tuple[pl.Series, pl.Series]:
    """Every "FIRST SECOND" of two birth first names, at first × (names + 1) + second (second = the null: the
    first name alone), and every first name with a leading space."""
    given, _ = _given_names()
    n_given = given.len() - 1
    first = given.gather(np.repeat(np.arange(n_given), n_given + 1))
    second = given.gather(np.tile(np.arange(n_given + 1), n_given))
    pairs = (
        pl.DataFrame({"a": first, "b": second})
        .select(pl.concat_str("a", "b", separator=" ", ignore_nulls=True))
        .to_series()
        .rechunk()
    )
    return pairs, (" " + given.head(n_given)).rechunk()


@cache
def _last_names_or_null() -> pl.Series:
    """The surnames, then one null (no used name)."""
    return pl.concat([vocab.last_names(), pl.Series([None], dtype=pl.String)], rechunk=True)


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
def _residence_departments(area: Area) -> np.ndarray:
    """The department index of each residence commune of the area."""
    return area.residence["dept_idx"].to_numpy()


@cache
def _all_department_index(area: Area) -> np.ndarray:
    """For each department of the area, its index among all departments (birthplace choosers)."""
    lookup = {code: i for i, code in enumerate(area.all_departments["code"])}
    return area.departments["code"].replace_strict(lookup, return_dtype=pl.Int64).to_numpy()


@cache
def _place_codes(area: Area) -> pl.Series:
    """Birthplace codes: the area's French birthplace communes, then the countries of birth (99xxx)."""
    return pl.concat(
        [area.birthplaces["code"], reference.load("birth_countries")["country_code"]], rechunk=True
    )


def _medecin_traitant(
    area: Area, professionals: pl.DataFrame, dept_idx: np.ndarray, age: np.ndarray, rng: np.random.Generator
) -> tuple[pl.Series, np.ndarray]:
    """A GP of the department of residence, for the share of adults who declared a médecin traitant.

    Returns (the eligible GPs' ids then a null, each person's index into it)."""
    gp_ids, chooser = _gp_chooser(area, professionals)
    declared = (age >= reference.parameter("gp_declared_min_age")) & (
        rng.random(age.size) < reference.parameter("gp_declared_share_adults")
    )
    declared &= chooser.has(dept_idx)
    index = np.full(age.size, gp_ids.len() - 1, dtype=np.int64)
    index[declared] = chooser.pick(dept_idx[declared], rng)
    return gp_ids, index


_GP_CHOOSER: list = []  # [(area, professionals, result)]: the last workforce seen (one per process and scenario)


def _gp_chooser(area: Area, professionals: pl.DataFrame) -> tuple[pl.Series, GroupedChoice]:
    """The GPs who can be declared médecin traitant (their ids, then a null) and a chooser among them by
    department (its rows index the ids)."""
    if _GP_CHOOSER and _GP_CHOOSER[0][0] is area and _GP_CHOOSER[0][1] is professionals:
        return _GP_CHOOSER[0][2]
    gp_kinds = reference.load("workforce_rules").filter(pl.col("gp_eligible"))["kind"]
    gps = professionals.filter(pl.col("kind").is_in(gp_kinds.implode()))
    gp_dept = department_index(area, gps["department"], outside=-1)
    valid = gp_dept >= 0
    ids = pl.concat(
        [gps["professional_id"].filter(pl.Series(valid)), pl.Series([None], dtype=pl.Int64)], rechunk=True
    )
    result = (
        ids.alias("gp_professional_id"),
        GroupedChoice(gp_dept[valid], np.ones(valid.sum()), area.departments.height),
    )
    _GP_CHOOSER[:] = [(area, professionals, result)]
    return result


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
