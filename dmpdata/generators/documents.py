"""Documents stage: what care produces, what reaches the DMP (equipment, law, feeding curves, profile), versions."""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import polars as pl

from dmpdata import reference
from dmpdata.generators.geography import department_index
from dmpdata.generators.identity_records import IdentityCurves, Records, generate_identity_records
from dmpdata.generators.medecin_traitant import MedecinTraitant
from dmpdata.generators.pathways import codes_of
from dmpdata.generators.sampling import (
    EPOCH,
    Categorical,
    concat_columns,
    decoded,
    sort_rows,
)
from dmpdata.generators.staff import SECTORS
from dmpdata.pathways import load_pathways
from dmpdata.scenario import Scenario
from dmpdata.schemas import code_dtypes

__all__ = ["DOCUMENT_COLUMNS", "curve_at", "days_to_datetime", "generate_documents"]

US_PER_DAY = 86_400_000_000
N1_PDF = "urn:ihe:iti:xds-sd:pdf:2008"
DOCUMENT_COLUMNS = [
    "document_id",
    "unique_id",
    "patient_id",
    "encounter_id",
    "type_code",
    "class_code",
    "format_code",
    "author_kind",
    "author_professional_id",
    "organization_id",
    "sector",
    "created_at",
    "submitted_at",
    "confidentiality",
    "masked_ps",
    "invisible_patient",
    "invisible_legal_reps",
    "status",
    "status_at",
    "replaces_document_id",
    "mandatory",
]


def days_to_datetime(days: np.ndarray) -> pl.Series:
    """Day ordinals (float, fraction = time of day) to a Datetime(us) series."""
    return pl.Series(((np.asarray(days) - EPOCH) * US_PER_DAY).astype(np.int64)).cast(pl.Datetime("us"))


def curve_at(dates: pl.Series, shares: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Linear interpolation of a curve given at `dates` (flat outside), at day ordinals `days`."""
    points = np.array([d.toordinal() for d in dates], dtype=np.float64)
    return np.interp(days, points, shares)


@cache
def _feeding_curves() -> dict[tuple[str, str], tuple[pl.Series, np.ndarray]]:
    table = reference.load("feeding").sort("date")
    return {
        (t, s): (part["date"], part["share"].to_numpy())
        for (t, s), part in table.group_by("type_code", "sector", maintain_order=True)
    }


def feeding_share(
    type_idx: np.ndarray, sector_code: np.ndarray, day: np.ndarray, factors: dict[str, float] | None = None
) -> np.ndarray:
    """Share of produced documents fed by an equipped author: the most specific curve of feeding.csv.

    type_idx indexes `type_vocabulary()`, sector_code indexes staff.SECTORS. `factors` (a scenario's
    feeding_factor) multiply the share by author sector and/or document type, capped at 1.
    """
    factors = factors or {}
    curves = _feeding_curves()
    names = list(curves)
    types = type_vocabulary().to_list()
    combo = type_idx.astype(np.int64) * 8 + sector_code
    # Per (type, sector) present: its curve (the most specific one; -1 = none) and its factor.
    curve_of = np.full(len(types) * 8, -1, dtype=np.int16)
    factor_of = np.ones(len(types) * 8)
    for value in np.flatnonzero(np.bincount(combo, minlength=len(types) * 8)):
        t, s = types[value // 8], SECTORS[value % 8]
        key = next((k for k in ((t, s), (t, "*"), ("*", s), ("*", "*")) if k in curves), None)
        curve_of[value] = -1 if key is None else names.index(key)
        factor_of[value] = factors.get(s, 1.0) * factors.get(t, 1.0)
    # Rows grouped by curve (one stable radix sort of small integers), each group interpolated at once.
    curve = curve_of[combo]
    order = np.argsort(curve, kind="stable")
    bounds = np.searchsorted(curve[order], np.arange(-1, len(names) + 1))
    out = np.zeros(day.size)
    for c in range(len(names)):
        rows = order[bounds[c + 1] : bounds[c + 2]]
        if rows.size:
            out[rows] = curve_at(*curves[names[c]], day[rows])
    return np.minimum(out * factor_of[combo], 1.0)


@cache
def type_vocabulary() -> pl.Series:
    """Every JDV_J07 type code, the vocabulary documents' type indices point into."""
    return reference.load("document_types")["type_code"]


@cache
def _type_index() -> dict[str, int]:
    return {code: i for i, code in enumerate(type_vocabulary().to_list())}


@cache
def _prescribed_pairs() -> set[tuple[str, str]]:
    """(pathway, activity) of the activities a GP prescribes."""
    return {(p.name, a.id) for p in load_pathways() for a in p.activities if a.prescribed_by == "gp"}


def _lag(sector: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    median = np.select(
        [sector == SECTORS.index("etablissement"), sector == SECTORS.index("medico_social")],
        [
            reference.parameter("submission_lag_median_days_etablissement"),
            reference.parameter("submission_lag_median_days_medico_social"),
        ],
        default=reference.parameter("submission_lag_median_days_ville"),
    )
    return median * np.exp(rng.normal(0, reference.parameter("submission_lag_sigma"), sector.size))


def _professional_documents(
    scenario, rng, encounters, person_of, gp, dept, staff, start, stop, death
) -> dict:
    """Documents written by professionals (from encounters per document_rules.csv, and the yearly VSM)."""
    cands = _encounter_documents(rng, encounters, person_of, gp, dept, staff)
    cands += _vsm_documents(scenario, rng, gp, staff, start, stop, death)
    return concat_columns(cands)


def _gp_prescribed(pathways: dict[str, int], activities: dict[str, int]) -> np.ndarray:
    """gp_prescribed[pathway code, activity code]: whether a GP prescribes that activity; the extra row/column: null
    (-1)."""
    gp_prescribed = np.zeros((len(pathways) + 1, len(activities) + 1), dtype=bool)
    for p_name, a_id in _prescribed_pairs():
        if p_name in pathways and a_id in activities:
            gp_prescribed[pathways[p_name], activities[a_id]] = True
    return gp_prescribed


def _encounter_documents(rng, encounters, person_of, gp, dept, staff) -> list[dict[str, np.ndarray]]:
    """Candidate documents of encounters, rule by rule of document_rules.csv, column by column."""
    rules = reference.load("document_rules")
    kind, kinds = codes_of(encounters, "kind")  # integer codes: cheaper to compare than object arrays
    activity, activities = codes_of(encounters, "activity")
    pathway, pathways = codes_of(encounters, "pathway")
    gp_prescribed = _gp_prescribed(pathways, activities)
    prescribes = encounters["prescribes_drugs"].to_numpy()
    end_day = encounters["end_at"].cast(pl.Int64).to_numpy() / US_PER_DAY + EPOCH
    enc_prof_row = staff.row_of(encounters["professional_id"].to_numpy())
    enc_id = encounters["encounter_id"].to_numpy()
    # The rows of each kind in row order (code c at by_kind[bounds[c + 1]:bounds[c + 2]], null = -1): one stable
    # radix sort of the small codes instead of comparing every encounter's kind for every rule.
    by_kind = np.argsort(kind.astype(np.int16), kind="stable")
    bounds = np.searchsorted(kind[by_kind], np.arange(-1, len(kinds) + 1))
    cands: list[dict[str, np.ndarray]] = []  # candidate documents, column by column, rule by rule
    for rule in rules.iter_rows(named=True):
        code = kinds.get(rule["encounter_kind"], -1)
        idx = by_kind[bounds[code + 1] : bounds[code + 2]]
        if rule["activity"]:
            idx = idx[activity[idx] == activities.get(rule["activity"], -1)]
        if rule["when"] == "prescription":
            idx = idx[prescribes[idx]]
        elif rule["when"] == "prescribed":
            idx = idx[gp_prescribed[pathway[idx], activity[idx]]]
        idx = idx[rng.random(idx.size) < rule["probability"]]  # one draw per eligible encounter only
        if idx.size == 0:
            continue
        person = person_of[idx]
        if rule["author"] == "prescriber_gp":
            author = staff.pick(dept[person], rng, "gp_visit")
            their = gp.on(person, end_day[idx])  # the médecin traitant on the encounter's day
            own = their > 0
            author[own] = staff.row_of(their[own])
        else:
            author = enc_prof_row[idx]
        lo, hi = rule["created_offset_days_min"], rule["created_offset_days_max"]
        created = end_day[idx] + lo + rng.random(idx.size) * (hi - lo)
        cands.append(
            {
                "person": person,
                "encounter": enc_id[idx],
                "type": np.full(idx.size, _type_index()[rule["type_code"]]),
                "author": author,
                "created": created,
            }
        )
    return cands


def _vsm_documents(scenario, rng, gp, staff, start, stop, death) -> list[dict[str, np.ndarray]]:
    """The médecin traitant's yearly synthesis (VSM, 60591-5; L.1111-15), year by year, by the one in force that day
    (none that day: no VSM)."""
    cands: list[dict[str, np.ndarray]] = []
    with_gp = np.flatnonzero(gp.ever())
    share = reference.parameter("vsm_produced_share")
    for year in range(scenario.start.year, scenario.end.year + 1):
        lo = np.maximum(max(start, dt.date(year, 1, 1).toordinal()), 0.0)
        hi = np.minimum(min(stop, dt.date(year + 1, 1, 1).toordinal()), death[with_gp])
        span = hi - lo
        hit = (span > 0) & (rng.random(with_gp.size) < share * np.clip(span / 365.0, 0, 1))
        person = with_gp[hit]
        created = lo + rng.random(person.size) * span[hit]
        author = gp.on(person, created)
        kept = author > 0
        cands.append(
            {
                "person": person[kept],
                "encounter": np.zeros(kept.sum(), dtype=np.int64),
                "type": np.full(kept.sum(), _type_index()["60591-5"]),
                "author": staff.row_of(author[kept]),
                "created": created[kept],
            }
        )
    return cands


def _profile_open(created: np.ndarray, closed: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whether the DMP is open on that day (created on or before it, closed after it)."""
    d = np.floor(day)
    return (created <= d) & (d < closed)


def generate_documents(
    scenario: Scenario,
    rng: np.random.Generator,
    patients: pl.DataFrame,
    encounters: pl.DataFrame,
    staff,
    identity_rng: np.random.Generator,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """DMP documents of one chunk of patients (ids local to the chunk, from 1; masked_ps set by the access stage),
    the structures' identity records of its patients (drawn from `identity_rng`) and the encounters with the count
    of their documents withheld because the author's structure had not qualified the identity."""
    first_id = int(patients["patient_id"][0])
    start, stop = float(scenario.start.toordinal()), float(scenario.end.toordinal() + 1)

    def day_of(col: str, missing: float) -> np.ndarray:
        return patients[col].cast(pl.Int32).cast(pl.Float64).fill_null(missing).to_numpy() + EPOCH

    # The DMP is open from its pre-2022 opening (that DMP continues into Mon espace santé), else from the profile.
    created_p = np.fmin(day_of("dmp_opened_at", np.inf), day_of("mes_created_at", np.inf))
    closed_p = day_of("mes_closed_at", np.inf)
    activated_p = day_of("mes_activated_at", np.inf)
    death = day_of("death_date", np.inf)
    birth = day_of("birth_date", 0)
    gp = MedecinTraitant.of(patients)  # the médecin traitant by date
    dept = department_index(staff.area, patients["residence_department"])
    person_of = encounters["patient_id"].to_numpy() - first_id

    prof = _professional_documents(scenario, rng, encounters, person_of, gp, dept, staff, start, stop, death)
    prof = {k: v[prof["created"] >= start] for k, v in prof.items()}
    records = _identity_records(identity_rng, staff, encounters, person_of, prof)
    # Professionals feed a DMP until its holder's death, also one opened before 2022 and never made a profile.
    fed_until = np.fmin(closed_p, death + 1)
    prof, withheld = _fed(scenario, rng, prof, staff, created_p, fed_until, stop, records, encounters.height)
    professional = _versions_and_deletions(rng, prof, created_p, fed_until, stop)
    base = professional["person"].size
    # A DMP opened before the period had its history fed then: the period sees its regenerations from its start.
    # Until death: a pre-2022 DMP whose holder died before their profile's creation has no closure date.
    remb = _reimbursement_history(rng, np.fmax(created_p, start), np.fmin(closed_p, death), stop, base)
    upload = _patient_uploads(rng, activated_p, closed_p, death, stop, base + remb["key"].size)
    docs = concat_columns([professional, remb, upload])
    _archive(docs, closed_p, stop)
    patient_ids = patients["patient_id"].to_numpy()
    return (
        _assemble(docs, patients, staff, birth, rng),
        records.frame(patient_ids),
        encounters.with_columns(documents_withheld_unqualified=pl.Series(withheld, dtype=pl.Int64)),
    )


def _curves(staff) -> IdentityCurves:
    """The identity qualification curves of the staff's organizations (built once per workforce)."""
    if getattr(staff, "_identity_curves", None) is None:
        staff._identity_curves = IdentityCurves(staff.organizations)
    return staff._identity_curves


def _identity_records(rng, staff, encounters: pl.DataFrame, person_of: np.ndarray, prof: dict) -> Records:
    """The chunk's identity records from its contacts: every encounter (its structure, its start) and every
    professional document of the period written outside one (the author's structure, its creation: a prescription
    by the médecin traitant, the yearly VSM, or a document written before the encounter's start)."""
    start_day = encounters["start_at"].cast(pl.Int64).to_numpy() / US_PER_DAY + EPOCH
    enc_org = encounters["organization_id"].to_numpy()
    org = staff.org[prof["author"]]
    row = np.maximum(prof["encounter"] - 1, 0)  # encounter ids are 1..n in row order (0: none)
    outside = (prof["encounter"] == 0) | (org != enc_org[row]) | (prof["created"] < start_day[row])
    return generate_identity_records(
        rng,
        _curves(staff),
        np.concatenate([person_of, prof["person"][outside]]),
        np.concatenate([enc_org, org[outside]]),
        np.concatenate([start_day, prof["created"][outside]]),
    )


def _fed(
    scenario, rng, prof: dict, staff, created_p, closed_p, stop: float, records: Records, n_encounters: int
) -> tuple[dict, np.ndarray]:
    """The professional documents that reach the DMP, and per encounter the count withheld for identity.

    Fed when the author's software is DMP-compatible, the patient's DMP is open, the author does feed this type then
    and the author's structure holds a qualified identity of the patient at submission (INS référentiel: the INS
    is used to share data only once qualified). The published feeding volumes behind feeding.csv already carry that
    condition: the share of a structure's documents fed is read as qualified share × the share fed when qualified,
    so the draw uses feeding.csv's share divided by the expected qualified share of the structure's records then
    (identity_qualification.csv), capped at 1. Documents that pass every test but the identity are withheld."""
    sector = staff.sector_code[prof["author"]]
    submitted = prof["created"] + _lag(sector, rng)
    can = np.flatnonzero(
        (submitted < stop)
        & _profile_open(created_p[prof["person"]], closed_p[prof["person"]], submitted)
        & (staff.equipped_from[prof["author"]] <= np.floor(submitted))
    )
    draw = rng.random(submitted.size)  # one draw per candidate; the curves are read only where the rest holds
    org = staff.org[prof["author"][can]]
    share = feeding_share(prof["type"][can], sector[can], prof["created"][can], scenario.feeding_factor)
    qualified = _curves(staff).share(org, prof["created"][can])
    share = np.minimum(np.divide(share, qualified, out=np.ones_like(share), where=qualified > 0), 1.0)
    passed = draw[can] < share
    row = records.row_of(prof["person"][can][passed], org[passed])
    ok = records.qualified[row] <= submitted[can][passed]
    records.withheld += np.bincount(row[~ok], minlength=records.withheld.size)
    held = prof["encounter"][can][passed][~ok]
    withheld = np.bincount(held[held > 0], minlength=n_encounters + 1)[1:]
    fed = can[passed][ok]
    prof = {k: v[fed] for k, v in prof.items()}
    prof["submitted"] = submitted[fed]
    m = prof["submitted"].size
    prof.update(
        kind=np.full(m, 0),
        replaces=np.full(m, -1),
        status=np.full(m, 0),
        status_at=prof["submitted"].copy(),
        key=np.arange(m),
    )
    return prof, withheld


def _versions_and_deletions(rng, prof: dict, created_p, closed_p, stop: float) -> dict:
    """The professional documents with their new versions and deletions by the author, while the DMP is open."""
    m = prof["submitted"].size
    pp = prof["person"]
    later = prof["submitted"] + 1 + rng.random(m) * 29
    versioned = (
        (rng.random(m) < reference.parameter("new_version_share"))
        & (later < stop)
        & _profile_open(created_p[pp], closed_p[pp], later)
    )
    gone = prof["submitted"] + 1 + rng.random(m) * 59
    deleted = (
        ~versioned
        & (rng.random(m) < reference.parameter("deletion_share"))
        & (gone < stop)
        & _profile_open(created_p[pp], closed_p[pp], gone)
    )
    prof["status"][versioned], prof["status_at"][versioned] = 1, later[versioned]
    prof["status"][deleted], prof["status_at"][deleted] = 3, gone[deleted]
    v = np.flatnonzero(versioned)
    new = {k: val[v].copy() for k, val in prof.items()}
    new["created"] = later[v] - 0.01
    new["submitted"] = later[v]
    new["status"] = np.zeros(v.size, dtype=np.int64)
    new["status_at"] = later[v]
    new["replaces"] = prof["key"][v]
    new["key"] = m + np.arange(v.size)
    professional = concat_columns([prof, new])
    return professional


def _reimbursement_history(rng, created_p, closed_p, stop: float, base: int) -> dict:
    """Assurance Maladie: the reimbursement history (REMB), created with the profile, regenerated yearly; keys from
    `base`."""
    refresh = reference.parameter("remb_refresh_days")
    has = np.isfinite(created_p)
    first = created_p + rng.random(created_p.size) * 30
    # Regenerations are spread over the year (the first after a random phase), not all on the anniversary
    # of the 2022 mass creation.
    phase = 1 + rng.random(created_p.size) * (refresh - 1)
    end = np.minimum(stop, closed_p)
    later = np.where(has & (first + phase < end), np.floor((end - first - phase) / refresh) + 1, 0)
    count = np.where(has & (first < end), 1 + later, 0).astype(np.int64)
    person = np.repeat(np.arange(created_p.size), count)
    j = np.arange(person.size) - np.repeat(np.cumsum(count) - count, count)
    # < min(closure, period end): fed while the DMP is open
    remb_sub = np.where(j == 0, first[person], first[person] + phase[person] + (j - 1) * refresh)
    is_last = j == count[person] - 1
    remb_key = base + np.arange(person.size)
    remb = {
        "person": person,
        "encounter": np.zeros(person.size, dtype=np.int64),
        "type": np.full(person.size, _type_index()["REMB"]),
        "author": np.full(person.size, -1),
        "created": remb_sub - 0.01,
        "submitted": remb_sub,
        "kind": np.full(person.size, 2),
        "replaces": np.where(j > 0, remb_key - 1, -1),
        "status": np.where(is_last, 0, 1),
        "status_at": np.where(is_last, remb_sub, np.r_[remb_sub[1:], 0.0] if person.size else remb_sub),
        "key": remb_key,
    }
    return remb


def _patient_uploads(rng, activated_p, closed_p, death, stop: float, base: int) -> dict:
    """Patients' own uploads (DOCPAT*), by activated users; keys from `base`."""
    lo = activated_p
    hi = np.minimum(np.minimum(stop, closed_p), death)
    years = np.clip(hi - lo, 0, None) / 365.2425
    years[~np.isfinite(years)] = 0
    count = rng.poisson(reference.parameter("patient_upload_rate_per_year") * years)
    person = np.repeat(np.arange(lo.size), count)
    up_day = lo[person] + rng.random(person.size) * (hi[person] - lo[person])
    uploads_types = reference.load("patient_uploads")
    upload_idx = np.array([_type_index()[t] for t in uploads_types["type_code"]])
    types = upload_idx[Categorical(uploads_types["weight"].to_numpy()).sample(rng, person.size)]
    upload = {
        "person": person,
        "encounter": np.zeros(person.size, dtype=np.int64),
        "type": types,
        "author": np.full(person.size, -1),
        "created": up_day - 0.001,
        "submitted": up_day,
        "kind": np.full(person.size, 1),
        "replaces": np.full(person.size, -1),
        "status": np.zeros(person.size, dtype=np.int64),
        "status_at": up_day,
        "key": base + np.arange(person.size),
    }
    return upload


def _archive(docs: dict, closed_p, stop: float) -> None:
    """Documents still approved when the profile closes are archived then (in place)."""
    closing = closed_p[docs["person"]]
    archive = (docs["status"] == 0) & np.isfinite(closing) & (closing < stop)
    docs["status"][archive] = 2
    docs["status_at"][archive] = np.maximum(closing[archive], docs["submitted"][archive])


def _assemble(
    docs: dict, patients: pl.DataFrame, staff, birth: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    """The documents' frame: drawn flags and identifiers, sorted by patient and submission, codes decoded, ids
    numbered in that order."""
    frame = _numeric_frame(docs, patients, staff, birth, rng)
    # Sorted first, while the frame holds numbers only (`_key` is the row number and the frame is in its order: a
    # stable sort orders same-time documents by it); the strings are gathered from their vocabularies after.
    frame = sort_rows(frame, "patient_id", "submitted_at")
    return _with_replaced_ids(_decoded(frame))


def _confidentiality(is_prof: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """0 N, 1 R, 2 V: only professionals' documents are restricted (R) or very restricted (V)."""
    u = rng.random(is_prof.size)
    v_share = reference.parameter("confidentiality_V_share")
    return np.where(
        ~is_prof | (u >= v_share + reference.parameter("confidentiality_R_share")),
        0,
        np.where(u < v_share, 2, 1),
    )


def _numeric_frame(
    docs: dict, patients: pl.DataFrame, staff, birth: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    """The documents with their drawn flags and unique-id halves, every code still a number (an index)."""
    n = docs["person"].size
    kind = docs["kind"]  # 0 professional, 1 patient, 2 assurance maladie
    author = docs["author"]
    is_prof = kind == 0
    safe_author = np.where(is_prof, author, 0)
    # Sector codes: 0-2 as staff.SECTORS, 3 patient, 4 assurance maladie.
    sector = np.where(is_prof, staff.sector_code[safe_author], np.where(kind == 1, 3, 4))
    confidentiality = _confidentiality(is_prof, rng)
    minor = (docs["created"] - birth[docs["person"]]) < 18 * 365.2425
    invisible_patient = is_prof & (rng.random(n) < reference.parameter("invisible_patient_share"))
    invisible_reps = (
        is_prof & minor & (rng.random(n) < reference.parameter("invisible_legal_reps_minor_share"))
    )
    structured_draw = rng.random(n) < reference.parameter("structured_format_share")
    hi = rng.integers(1, 10**18, n, dtype=np.int64)
    lo = rng.integers(0, 2**63 - 1, n, dtype=np.int64)
    types = _type_table()
    doc_type = docs["type"].astype(np.int64)
    # format_code as an index into `types.formats`: the KOS format for IMG-KOS, else the type's structured format when
    # it has one and the author is a professional who structures it or the Assurance Maladie, else the PDF (N1).
    structured = (kind != 1) & types.has_structured[doc_type] & (structured_draw | (kind == 2))
    format_index = np.where(doc_type == types.kos_type, 1, np.where(structured, 2 + doc_type, 0))
    created = days_to_datetime(docs["created"])
    # Mandatory: a type under an obligation, created on or after the day it started.
    mandatory = created.cast(pl.Int64).to_numpy() // US_PER_DAY >= types.obligation_day[doc_type]
    return pl.DataFrame(
        {
            "_key": docs["key"].astype(np.int64),
            "_replaces": docs["replaces"].astype(np.int64),
            "patient_id": patients["patient_id"].to_numpy()[docs["person"]],
            "encounter_id": pl.Series(docs["encounter"].astype(np.int64)),
            "_type": doc_type.astype(np.int32),
            "_kind": kind.astype(np.int8),
            "author_professional_id": pl.Series(np.where(is_prof, staff.ids[safe_author], 0)),
            "organization_id": pl.Series(np.where(is_prof, staff.org[safe_author], 0)),
            "_sector": sector.astype(np.int8),
            "created_at": created,
            "submitted_at": days_to_datetime(docs["submitted"]),
            "_confidentiality": confidentiality.astype(np.int8),
            "masked_ps": pl.Series(np.zeros(n, dtype=bool)),
            "invisible_patient": pl.Series(invisible_patient),
            "invisible_legal_reps": pl.Series(invisible_reps),
            "_status": docs["status"].astype(np.int8),
            "status_at": days_to_datetime(docs["status_at"]),
            "_format": format_index.astype(np.int32),
            "mandatory": mandatory,
            "_hi": pl.Series(hi),
            "_lo": pl.Series(lo),
        }
    )


def _decoded(frame: pl.DataFrame) -> pl.DataFrame:
    """The code columns as strings from their vocabularies, null ids where there is none, unique_id, document_id."""
    types = _type_table()
    professional = pl.col("_kind") == 0
    codes = code_dtypes("documents")

    def in_set(vocabulary: pl.Series, column: str) -> pl.Series:
        # Types the table's code set leaves out (never drawn) have no code in its Enum: null, which the not-null
        # contract of these columns would reject if one ever were.
        return vocabulary.cast(codes[column], strict=False)

    frame = frame.with_columns(
        decoded(in_set(types.type_code, "type_code"), "_type").alias("type_code"),
        decoded(in_set(types.class_code, "class_code"), "_type").alias("class_code"),
        decoded(in_set(types.formats, "format_code"), "_format").alias("format_code"),
        decoded(reference.codes("actor_kinds"), "_kind", codes["author_kind"]).alias("author_kind"),
        decoded(reference.codes("sectors"), "_sector", codes["sector"]).alias("sector"),
        decoded(
            reference.codes("confidentiality_codes", kind="hl7"), "_confidentiality", codes["confidentiality"]
        ).alias("confidentiality"),
        decoded(reference.codes("document_statuses"), "_status", codes["status"]).alias("status"),
        pl.when(pl.col("encounter_id") > 0).then("encounter_id").alias("encounter_id"),
        pl.when(professional).then("author_professional_id").alias("author_professional_id"),
        pl.when(professional).then("organization_id").alias("organization_id"),
        # 2.25.<hi, then lo on 19 digits> (hi >= 1), written as the decimal of one 128-bit integer: one cast to text.
        pl.concat_str(
            pl.lit("2.25."),
            (
                pl.col("_hi").cast(pl.Int128) * pl.lit(10**19, dtype=pl.Int128)
                + pl.col("_lo").cast(pl.Int128)
            ).cast(pl.String),
        ).alias("unique_id"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("document_id"),
    )
    return frame


def _with_replaced_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """replaces_document_id from the row a new version replaces, the columns in their order."""
    # document_id: the rank in that order; a new version replaces the document of row `_replaces` before the sort.
    id_of_key = np.empty(frame.height, dtype=np.int64)
    id_of_key[frame["_key"].to_numpy()] = np.arange(1, frame.height + 1)
    replaces = frame["_replaces"].to_numpy()
    return frame.with_columns(
        pl.when(pl.col("_replaces") >= 0)
        .then(pl.Series(id_of_key[np.maximum(replaces, 0)]))
        .alias("replaces_document_id")
    ).select(DOCUMENT_COLUMNS)


class _TypeTable:
    """What documents take from their type, by index into `type_vocabulary()`: code, class, formats, obligation."""

    def __init__(self):
        table = reference.load("document_types")
        self.type_code = table["type_code"]
        self.class_code = table["class_code"]
        structured = table["structured_format_code"]
        self.has_structured = structured.is_not_null().to_numpy()
        kos = reference.load("format_codes").filter(pl.col("format_code").str.starts_with("1.2.840.10008"))[
            "format_code"
        ]
        # 0: the PDF (N1); 1: the format of IMG-KOS; 2 + type index: that type's structured format.
        self.formats = pl.concat(
            [pl.Series([N1_PDF, kos[0] if kos.len() else N1_PDF], dtype=pl.String), structured], rechunk=True
        )
        codes = self.type_code.to_list()
        self.kos_type = codes.index("IMG-KOS") if "IMG-KOS" in codes else -1
        starts = (
            reference.load("mandatory_documents").group_by("type_code").agg(pl.col("obligation_start").min())
        )
        first_day = dict(
            zip(
                starts["type_code"].to_list(),
                starts["obligation_start"].cast(pl.Int64).to_list(),
                strict=True,
            )
        )
        never = np.iinfo(np.int64).max  # no obligation: never mandatory
        self.obligation_day = np.array(
            [never if first_day.get(c) is None else first_day[c] for c in codes], dtype=np.int64
        )


@cache
def _type_table() -> _TypeTable:
    return _TypeTable()
