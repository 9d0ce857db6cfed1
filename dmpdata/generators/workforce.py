"""Workforce stage: organizations (FINESS, RPPS-rang or SIRET) and health professionals (RPPS), scaled to the area."""

from __future__ import annotations

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators import vocab
from dmpdata.generators.geography import Area
from dmpdata.generators.sampling import (
    GroupedChoice,
    as_date,
    inverse_curve,
    stochastic_round,
)
from dmpdata.identifiers import (
    idnat_ps,
    idnat_struct_prefix,
    make_finess,
    make_rpps,
    make_rpps_rang,
    make_siret,
)
from dmpdata.rng import stream
from dmpdata.scenario import Scenario

__all__ = ["generate_workforce"]


def _expected_per_department(per_100k: float, area: Area, scale: float) -> np.ndarray:
    return per_100k / 1e5 * area.departments["population"].to_numpy().astype(np.float64) * scale


def _equipped_from(facility_type: pl.Series, sector: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Date from which a structure's software feeds the DMP (Ségur curve of its type, else of its sector).

    Null when the structure is still not equipped at the curve's last point. The draws are stratified within each
    curve: of its m structures, one falls in each 1/m band of the curve's quantiles (random order), so the share
    equipped at any date is the curve's to within one structure (the test-size areas hold few of each type).
    """
    curves = reference.load("dmp_equipment")
    own_curve = facility_type.is_in(curves["applies_to"].unique().implode())
    segment = pl.select(pl.when(own_curve).then(facility_type).otherwise(sector)).to_series().to_numpy()
    days = np.full(segment.size, np.nan)
    for (name,), curve in curves.sort("date").group_by("applies_to", maintain_order=True):
        mask = segment == name
        m = int(mask.sum())
        u = (rng.permutation(m) + rng.random(m)) / m
        ordinals = np.array([d.toordinal() for d in curve["date"]], dtype=np.float64)
        days[mask] = np.floor(inverse_curve(u, ordinals, curve["equipped_share"].to_numpy()))
    return as_date(days, "dmp_equipped_from")


def _finess_serials(department: pl.Series, rng: np.random.Generator) -> np.ndarray:
    """2n serials, distinct within each department (EG numbers first, then EJ numbers)."""
    n = department.len()
    codes = department.to_numpy()
    serials = np.empty(2 * n, dtype=np.int64)
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        limit = 100_000 if code.startswith("97") else 1_000_000  # overseas numbers have a 3-char prefix
        draw = rng.choice(limit, size=2 * rows.size, replace=False)
        serials[rows], serials[n + rows] = draw[: rows.size], draw[rows.size :]
    return serials


def _names(templates: pl.Series, commune: pl.Series, surname: pl.Series) -> pl.Series:
    frame = pl.DataFrame({"t": templates, "commune": commune, "surname": surname})
    return frame.select(
        pl.col("t")
        .str.replace("{commune}", pl.col("commune"), literal=True)
        .str.replace("{surname}", pl.col("surname"), literal=True)
        .alias("name")
    )["name"]


def generate_workforce(
    scenario: Scenario, rng: np.random.Generator, area: Area
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(organizations, professionals) for the scenario; depends only on the scenario and its seed."""
    scale = scenario.patients / area.population
    professionals, prof_dept = _professional_slots(area, scale, rng)
    orgs = _organization_slots(professionals, area, scale, rng)
    organizations = _organizations(orgs, area, rng)
    prof_org = _workplaces(orgs, professionals, rng)
    staff = _professionals(professionals, organizations, prof_org, prof_dept, area, rng)
    # Structure numbers other than FINESS come from their own sub-stream: the workforce stream's draws (hence the
    # professionals) stay what they were before structures had them.
    return _identified(organizations, staff, stream(scenario.seed, "workforce", 0, 1)), staff


def _professional_slots(
    area: Area, scale: float, rng: np.random.Generator
) -> tuple[pl.DataFrame, np.ndarray]:
    """Professionals per kind and department, as (their kind's columns and department index, department index)."""
    n_dept = area.departments.height
    workforce = reference.load("workforce").join(
        reference.load("workforce_rules").select("kind", "min_per_department", "female_share"),
        on="kind",
        how="left",
        maintain_order="left",
    )
    # National density × the department's population × scale, with the floor set per kind (e.g. one GP per
    # department) so every patient has local primary care.
    kind_rows, dept_rows = [], []
    for i, row in enumerate(workforce.iter_rows(named=True)):
        counts = stochastic_round(_expected_per_department(row["count_per_100k"], area, scale), rng)
        counts = np.maximum(counts, int(row["min_per_department"] or 0))
        kind_rows.append(np.repeat(i, counts.sum()))
        dept_rows.append(np.repeat(np.arange(n_dept), counts))
    prof_kind = np.concatenate(kind_rows)
    prof_dept = np.concatenate(dept_rows)
    professionals = (
        workforce[prof_kind.tolist()]
        .select("kind", "profession_code", "specialty_code", "facility_type_code", "sector", "female_share")
        .with_columns(pl.Series("dept_idx", prof_dept))
    )
    return professionals, prof_dept


def _organization_slots(
    professionals: pl.DataFrame, area: Area, scale: float, rng: np.random.Generator
) -> pl.DataFrame:
    """Organizations per facility type and department: national density, plus at least one structure of each type
    wherever professionals of that type work."""
    n_dept = area.departments.height
    org_counts = reference.load("organization_counts")
    facility = reference.load("facility_types")
    needed = professionals.group_by("facility_type_code", "dept_idx").len().rename({"len": "n_prof"})
    org_blocks = []
    for row in facility.iter_rows(named=True):
        code = row["facility_type_code"]
        density = org_counts.filter(pl.col("facility_type_code") == code)["count_per_100k"].sum()
        counts = stochastic_round(_expected_per_department(density, area, scale), rng)
        has_prof = needed.filter(pl.col("facility_type_code") == code)
        floor = np.zeros(n_dept, dtype=np.int64)
        floor[has_prof["dept_idx"].to_numpy()] = 1
        counts = np.maximum(counts, floor)
        if counts.sum():
            org_blocks.append(
                pl.DataFrame(
                    {
                        "facility_type_code": [code] * int(counts.sum()),
                        "dept_idx": np.repeat(np.arange(n_dept), counts),
                    }
                )
            )
    return pl.concat(org_blocks).join(
        facility.select("facility_type_code", "practice_setting_code", "sector", "name_template"),
        on="facility_type_code",
        how="left",
        maintain_order="left",
    )


def _organizations(orgs: pl.DataFrame, area: Area, rng: np.random.Generator) -> pl.DataFrame:
    """The organizations table: where each structure stands, its FINESS numbers, name and DMP equipment date."""
    n_dept = area.departments.height
    n_org = orgs.height
    dept_of_org = area.departments["code"].gather(orgs["dept_idx"])
    # Where each structure stands: a commune of its department, weighted by population.
    communes = area.residence
    in_dept = GroupedChoice(communes["dept_idx"].to_numpy(), communes["population"].to_numpy(), n_dept)
    commune_idx = in_dept.pick(orgs["dept_idx"].to_numpy(), rng)
    org_commune = communes["name"].gather(commune_idx).str.to_uppercase()
    surname = vocab.sample(vocab.last_names(), rng, n_org)
    serials = _finess_serials(dept_of_org, rng)
    finess = make_finess(dept_of_org, serials[:n_org])
    return pl.DataFrame(
        {
            "organization_id": np.arange(1, n_org + 1, dtype=np.int64),
            "finess": finess,
            "finess_ej": make_finess(dept_of_org, serials[n_org:]),
            "facility_type_code": orgs["facility_type_code"],
            "practice_setting": orgs["practice_setting_code"],
            "sector": orgs["sector"],
            "department": dept_of_org,
            "region": area.departments["region"].gather(orgs["dept_idx"]),
            "commune_code": communes["code"].gather(commune_idx),
            "commune_name": org_commune,
            "name": _names(orgs["name_template"], org_commune, surname),
            "dmp_equipped_from": _equipped_from(orgs["facility_type_code"], orgs["sector"], rng),
        }
    )


def _identified(organizations: pl.DataFrame, staff: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Each structure's numbers as its facility type says (facility_types.identified_by), and its IdNat_Struct.

    FINESS only for establishments registered in FINESS; a SIRET for every other structure; an RPPS-rang for a
    liberal practice whose holder (its first professional) is in the dataset. IdNat_Struct = TRE_G07 prefix + the
    FINESS, else the RPPS-rang, else the SIRET."""
    facility = reference.load("facility_types")
    kind = organizations["facility_type_code"].replace_strict(
        facility["facility_type_code"], facility["identified_by"], return_dtype=pl.String
    )
    finess_kind = (kind == "FINESS").to_numpy()
    n_other = int((~finess_kind).sum())
    siret = pl.Series("siret", [None] * organizations.height, dtype=pl.String)
    # Distinct SIRENs (no leading zero), so distinct SIRETs.
    sirens = rng.choice(90_000_000, size=n_other, replace=False) + 10_000_000
    siret = siret.scatter(np.flatnonzero(~finess_kind), make_siret(sirens, rng.integers(1, 10_000, n_other)))
    holder = staff.group_by("organization_id").agg(pl.col("rpps").sort_by("professional_id").first())
    rpps = organizations.select("organization_id").join(holder, on="organization_id", how="left")["rpps"]
    has_rang = (kind == "RPPS_RANG").to_numpy() & rpps.is_not_null().to_numpy()
    rang = pl.Series("rpps_rang", [None] * organizations.height, dtype=pl.String)
    # The holder's first cabinet: order number 00 (each professional works in one structure here).
    rang = rang.scatter(
        np.flatnonzero(has_rang),
        make_rpps_rang(rpps.filter(pl.Series(has_rang)), np.zeros(has_rang.sum(), dtype=np.int64)),
    )
    keep = pl.Series(finess_kind)
    return (
        organizations.with_columns(
            pl.when(keep).then(pl.col("finess")).alias("finess"),
            pl.when(keep).then(pl.col("finess_ej")).alias("finess_ej"),
            siret=siret,
            rpps_rang=rang,
        )
        .with_columns(
            pl.coalesce(
                pl.when(keep).then(pl.lit(idnat_struct_prefix("FINESS")) + pl.col("finess")),
                pl.lit(idnat_struct_prefix("RPPS_RANG")) + pl.col("rpps_rang"),
                pl.lit(idnat_struct_prefix("SIRET")) + pl.col("siret"),
            ).alias("idnat_struct")
        )
        .select(
            "organization_id",
            "idnat_struct",
            "finess",
            "finess_ej",
            "siret",
            "rpps_rang",
            pl.exclude("organization_id", "idnat_struct", "finess", "finess_ej", "siret", "rpps_rang"),
        )
    )


def _workplaces(orgs: pl.DataFrame, professionals: pl.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Each professional's structure (a row of `orgs`): one of their facility type and department."""
    org_group = orgs.select(
        (pl.col("facility_type_code").cast(pl.String) + "|" + pl.col("dept_idx").cast(pl.String)).alias("g")
    )["g"]
    prof_group = professionals.select(
        (pl.col("facility_type_code").cast(pl.String) + "|" + pl.col("dept_idx").cast(pl.String)).alias("g")
    )["g"]
    groups = {g: i for i, g in enumerate(org_group.unique(maintain_order=True))}
    chooser = GroupedChoice(
        org_group.replace_strict(groups, return_dtype=pl.Int64).to_numpy(), np.ones(orgs.height), len(groups)
    )
    return chooser.pick(prof_group.replace_strict(groups, return_dtype=pl.Int64).to_numpy(), rng)


def _professionals(
    slots: pl.DataFrame,
    organizations: pl.DataFrame,
    prof_org: np.ndarray,
    prof_dept: np.ndarray,
    area: Area,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """The professionals table: sex, names, RPPS and IDNAT, their structure and its DMP equipment date."""
    n_prof = slots.height
    female = rng.random(n_prof) < slots["female_share"].to_numpy()
    first_m = vocab.sample(vocab.first_names("M"), rng, n_prof)
    first_f = vocab.sample(vocab.first_names("F"), rng, n_prof)
    rpps = make_rpps(rng.choice(1_000_000_000, size=n_prof, replace=False).astype(np.int64))
    return pl.DataFrame(
        {
            "professional_id": np.arange(1, n_prof + 1, dtype=np.int64),
            "rpps": rpps,
            "idnat_ps": idnat_ps(rpps),
            "profession_code": slots["profession_code"],
            "specialty_code": slots["specialty_code"],
            "kind": slots["kind"],
            "sector": slots["sector"],
            "organization_id": organizations["organization_id"].gather(prof_org),
            "department": area.departments["code"].gather(prof_dept),
            "last_name": vocab.sample(vocab.last_names(), rng, n_prof),
            "first_name": pl.select(pl.when(pl.Series(female)).then(first_f).otherwise(first_m)).to_series(),
            "sex": pl.Series(np.where(female, "F", "M")),
            "dmp_equipped_from": organizations["dmp_equipped_from"].gather(prof_org),
        }
    )
