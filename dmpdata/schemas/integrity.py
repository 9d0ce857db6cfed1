"""Cross-table checks, each named: keys unique, foreign keys resolve, the médecin traitant is a physician."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from dmpdata import reference

__all__ = ["CHECKS", "Failure"]

Failure = tuple[int, list[str]]  # failing row count, a few examples
Frames = dict[str, pl.DataFrame]


def _examples(frame: pl.DataFrame, limit: int = 3) -> list[str]:
    return [str(row) for row in frame.head(limit).iter_rows(named=True)]


def _unique(table: str, *keys: str) -> Callable[[Frames], Failure]:
    def check(frames: Frames) -> Failure:
        dup = frames[table].group_by(*keys).len().filter(pl.col("len") > 1).sort(*keys)
        return int(dup["len"].sum() if dup.height else 0), _examples(dup)

    check.__doc__ = f"{table}: ({', '.join(keys)}) identifies one row"
    return check


def _foreign_key(table: str, column: str, target: str, target_column: str) -> Callable[[Frames], Failure]:
    def check(frames: Frames) -> Failure:
        orphans = frames[table].filter(pl.col(column).is_not_null()).join(
            frames[target].select(target_column), left_on=column, right_on=target_column, how="anti"
        )
        return orphans.height, _examples(orphans.select(column))

    check.__doc__ = f"{table}.{column} points to an existing {target}.{target_column}"
    return check


def _gp_is_physician(frames: Frames) -> Failure:
    """patients.gp_professional_id (médecin traitant) is a physician (TRE_G15 code of médecin)."""
    gps = frames["patients"].filter(pl.col("gp_professional_id").is_not_null()).join(
        frames["professionals"].select("professional_id", "profession_code"),
        left_on="gp_professional_id", right_on="professional_id", how="inner",
    )
    wrong = gps.filter(pl.col("profession_code") != _physician_code())
    return wrong.height, _examples(wrong.select("patient_id", "gp_professional_id", "profession_code"))


def _physician_code() -> str:
    """The TRE_G15 code whose label is "Médecin" (read from the reference table, not hard-coded)."""
    table = reference.load("professions")
    return table.filter(pl.col("label").str.to_lowercase() == "médecin")["profession_code"][0]


def _onset_before_death(frames: Frames) -> Failure:
    """conditions.onset_date is not after the patient's death, nor before birth."""
    joined = frames["conditions"].join(
        frames["patients"].select("patient_id", "birth_date", "death_date"), on="patient_id", how="inner"
    )
    bad = joined.filter(
        (pl.col("onset_date") < pl.col("birth_date"))
        | (pl.col("death_date").is_not_null() & (pl.col("onset_date") > pl.col("death_date")))
    )
    return bad.height, _examples(bad)


# name -> (tables the check reads, check)
CHECKS: dict[str, tuple[tuple[str, ...], Callable[[Frames], Failure]]] = {
    "organizations_id_unique": (("organizations",), _unique("organizations", "organization_id")),
    "organizations_finess_unique": (("organizations",), _unique("organizations", "finess")),
    "professionals_id_unique": (("professionals",), _unique("professionals", "professional_id")),
    "professionals_rpps_unique": (("professionals",), _unique("professionals", "rpps")),
    "patients_id_unique": (("patients",), _unique("patients", "patient_id")),
    "patients_matricule_unique": (("patients",), _unique("patients", "ins_matricule")),
    "conditions_key_unique": (("conditions",), _unique("conditions", "patient_id", "condition_code")),
    "professional_organization_exists": (
        ("professionals", "organizations"),
        _foreign_key("professionals", "organization_id", "organizations", "organization_id"),
    ),
    "medecin_traitant_exists": (
        ("patients", "professionals"),
        _foreign_key("patients", "gp_professional_id", "professionals", "professional_id"),
    ),
    "medecin_traitant_is_physician": (("patients", "professionals"), _gp_is_physician),
    "condition_patient_exists": (
        ("conditions", "patients"), _foreign_key("conditions", "patient_id", "patients", "patient_id")
    ),
    "condition_onset_within_life": (("conditions", "patients"), _onset_before_death),
}
