"""A hand-built tiny DMP dataset for the analyses' golden tests (tests/test_analyses.py): every row written by hand.

Six patients, eight professionals, 30 encounters, 29 documents, observations and access events over 2024-2025,
chosen so that each analysis has a non-trivial answer worked out by hand (the expected values and how they were
counted are in tests/test_analyses.py). Only the columns the analyses read are present, with the dataset's
dtypes (a test checks them against a generated dataset).

Cast (ids are those of the tables):
  professionals  1 GP Dr A (ville, equipped 2023)          2 GP Dr B (ville, equipped only from 2025-01-01)
                 3 hospital cardiologist (etablissement)    4 lab pharmacist-biologist (ville)
                 5 ophthalmologist SM38 (ville, 2024-06)    6 nurse (ville, never equipped)
                 7 emergency physician (etablissement)      8 pharmacist (ville)
  patients       1 A  F 1950, type 2 diabetic since 2015, GP 1, activated 2023-05-01, region 11; hypertension since
                      2012, heart failure since 2020
                 2 B  M 1960, type 2 diabetic since 2024-06-01, GP 2, profile never activated, region 11; prostate
                      cancer since 2022-06
                 3 C  F 1945, type 2 diabetic since 2010, GP 1, activated 2024-02-01, died 2025-08-15 (closed);
                      chronic kidney disease since 2020
                 4 D  M 1980, not diabetic, GP 1, opposed to Mon espace santé (no DMP), region 84; hypertension
                      since 2020, colorectal cancer since 2021-03
                 5 E  F 2010 (a child: no GP, no pathology), activated 2025-03-01, refused emergency access 2025-04-01
                 6 F  M 1970, type 2 diabetic since 2020, GP 2, activated 2024-01-10, never an HbA1c; chronic
                      kidney disease since 2019
"""

from __future__ import annotations

import datetime as dt

import polars as pl

import dmpdata.reference as reference


def _ts(s: str | None) -> dt.datetime | None:
    return None if s is None else dt.datetime.fromisoformat(s)


def _d(s: str | None) -> dt.date | None:
    return None if s is None else dt.date.fromisoformat(s)


def professionals() -> pl.DataFrame:
    rows = [
        # id, profession, specialty, kind, sector, org, department, equipped from
        (1, "10", "SM54", "gp_liberal_solo", "ville", 1, "75", "2023-01-01"),
        (2, "10", "SM54", "gp_liberal_solo", "ville", 2, "69", "2025-01-01"),
        (3, "10", "SM04", "cardiologist_hospital", "etablissement", 3, "75", "2020-01-01"),
        (4, "21", None, "pharmacist_biologist_lab", "ville", 4, "75", "2020-01-01"),
        (5, "10", "SM38", "ophthalmologist_liberal", "ville", 5, "75", "2024-06-01"),
        (6, "60", None, "nurse_liberal_solo", "ville", 6, "69", None),
        (7, "10", "SM54", "emergency_physician_hospital", "etablissement", 3, "75", "2020-01-01"),
        (8, "21", None, "pharmacist_officine_owner", "ville", 7, "69", "2020-01-01"),
    ]
    cols = [
        "professional_id",
        "profession_code",
        "specialty_code",
        "kind",
        "sector",
        "organization_id",
        "department",
        "dmp_equipped_from",
    ]
    df = pl.DataFrame(rows, schema=cols, orient="row")
    return df.with_columns(pl.col("dmp_equipped_from").str.to_date())


def organizations() -> pl.DataFrame:
    rows = [
        (1, "ville", "75", "11"),
        (2, "ville", "69", "84"),
        (3, "etablissement", "75", "11"),
        (4, "ville", "75", "11"),
        (5, "ville", "75", "11"),
        (6, "ville", "69", "84"),
        (7, "ville", "69", "84"),
    ]
    return pl.DataFrame(rows, schema=["organization_id", "sector", "department", "region"], orient="row")


def patients() -> pl.DataFrame:
    rows = [
        # id, sex, birth, death, dept, region, mes_status, notified, created, opposed, activated, closed,
        # emergency opt-out at, GP
        (
            1,
            "F",
            "1950-03-10",
            None,
            "75",
            "11",
            "activated",
            "2022-01-15",
            "2022-03-01",
            None,
            "2023-05-01",
            None,
            None,
            1,
        ),
        (
            2,
            "M",
            "1960-07-01",
            None,
            "75",
            "11",
            "not_activated",
            "2022-01-15",
            "2022-03-01",
            None,
            None,
            None,
            None,
            2,
        ),
        (
            3,
            "F",
            "1945-01-01",
            "2025-08-15",
            "75",
            "11",
            "closed",
            "2022-01-15",
            "2022-03-01",
            None,
            "2024-02-01",
            "2025-08-15",
            None,
            1,
        ),
        (
            4,
            "M",
            "1980-01-01",
            None,
            "69",
            "84",
            "opposed",
            "2022-01-15",
            None,
            "2022-02-01",
            None,
            None,
            None,
            1,
        ),
        (
            5,
            "F",
            "2010-05-05",
            None,
            "69",
            "84",
            "activated",
            "2022-01-15",
            "2022-03-01",
            None,
            "2025-03-01",
            None,
            "2025-04-01",
            None,
        ),
        (
            6,
            "M",
            "1970-02-02",
            None,
            "69",
            "84",
            "activated",
            "2022-01-15",
            "2022-03-01",
            None,
            "2024-01-10",
            None,
            None,
            2,
        ),
    ]
    cols = [
        "patient_id",
        "sex",
        "birth_date",
        "death_date",
        "residence_department",
        "residence_region",
        "mes_status",
        "mes_notified_at",
        "mes_created_at",
        "mes_opposed_at",
        "mes_activated_at",
        "mes_closed_at",
        "centre_15_opt_out_at",
        "gp_professional_id",
    ]
    df = pl.DataFrame(rows, schema=cols, orient="row")
    dates = [
        "birth_date",
        "death_date",
        "mes_notified_at",
        "mes_created_at",
        "mes_opposed_at",
        "mes_activated_at",
        "mes_closed_at",
        "centre_15_opt_out_at",
    ]
    return df.with_columns(
        [pl.col(c).cast(pl.String).str.to_date() for c in dates]
        + [
            # patient E refuses centre 15 only (event 31); each emergency mode is a consent of its own
            pl.lit(None, dtype=pl.Date).alias("bris_de_glace_opt_out_at"),
            pl.col("gp_professional_id").cast(pl.Int64),
            pl.lit(None, dtype=pl.Date).alias(
                "dmp_opened_at"
            ),  # nobody here held a DMP before Mon espace santé
        ]
    )


def gp_declarations() -> pl.DataFrame:
    """Each patient's médecin traitant declared before the period and still in force at its end."""
    p = patients().filter(pl.col("gp_professional_id").is_not_null())
    return p.select(
        "patient_id",
        pl.col("gp_professional_id").alias("professional_id"),
        pl.lit(dt.date(2015, 1, 1)).alias("declared_from"),
        pl.lit(None, dtype=pl.Date).alias("declared_until"),
        pl.lit(None, dtype=pl.String).alias("end_reason"),
    )


def conditions() -> pl.DataFrame:
    rows = [
        # patient, code, pathology, onset, ALD at the end, ALD number, ALD start
        (1, "E11", "diabetes_type2", "2015-06-01", True, 8, "2015-07-01"),
        (
            1,
            "I10",
            "hypertension",
            "2012-01-01",
            False,
            None,
            None,
        ),  # ALD 12 closed to new admissions in 2011
        (1, "I50", "heart_failure", "2020-01-01", True, 5, "2020-02-01"),
        (2, "E11", "diabetes_type2", "2024-06-01", False, None, None),
        (2, "C61", "cancer_prostate", "2022-06-01", False, None, None),
        (3, "E11", "diabetes_type2", "2010-01-01", True, 8, "2010-02-01"),
        (3, "N18", "chronic_kidney_disease", "2020-01-01", False, None, None),
        (4, "I10", "hypertension", "2020-01-01", False, None, None),
        (4, "C18", "cancer_colorectal", "2021-03-01", True, 30, "2021-03-15"),
        (6, "E11", "diabetes_type2", "2020-09-01", True, 8, "2020-10-01"),
        (6, "N18", "chronic_kidney_disease", "2019-03-01", False, None, None),
    ]
    schema = {
        "patient_id": pl.Int64,
        "condition_code": pl.String,
        "pathology": pl.String,
        "onset_date": pl.String,
        "ald": pl.Boolean,
        "ald_number": pl.Int8,
        "ald_start_date": pl.String,
    }
    df = pl.DataFrame(rows, schema=schema, orient="row")
    return df.with_columns(pl.col("onset_date", "ald_start_date").str.to_date())


# Encounters: E<id> in the comments of the other tables. Visits/tests last 20 minutes; stays and emergencies longer.
_ENCOUNTERS = [
    # id, patient, professional, kind, activity, start, end, prescribes_drugs, follows
    (1, 1, 1, "gp_visit", "gp_followup", "2024-01-10 09:00", "2024-01-10 09:20", True, None),
    (2, 1, 4, "lab_test", "hba1c", "2024-01-15 08:00", "2024-01-15 08:20", False, None),
    (3, 1, 3, "hospital_stay", "medical_stay", "2024-03-01 10:00", "2024-03-05 14:00", True, None),
    (4, 1, 4, "lab_test", "hba1c", "2024-06-10 08:00", "2024-06-10 08:20", False, None),
    (5, 1, 5, "specialist_visit", "fundus", "2024-09-01 10:00", "2024-09-01 10:20", False, None),
    (6, 1, 4, "lab_test", "hba1c", "2025-02-01 08:00", "2025-02-01 08:20", False, None),
    (7, 1, 8, "dispensing", "dispensing", "2024-01-10 15:00", "2024-01-10 15:20", False, 1),
    (8, 1, 7, "emergency", "emergency_visit", "2025-05-10 22:00", "2025-05-11 02:00", False, None),
    (9, 2, 2, "gp_visit", "gp_followup", "2024-02-01 09:00", "2024-02-01 09:20", False, None),
    (10, 2, 4, "lab_test", "hba1c", "2025-03-01 08:00", "2025-03-01 08:20", False, None),
    (11, 2, 4, "lab_test", "hba1c", "2025-09-01 08:00", "2025-09-01 08:20", False, None),
    (
        12,
        2,
        3,
        "hospital_stay",
        "surgical_stay_orthopedic",
        "2025-06-01 08:00",
        "2025-06-03 11:00",
        False,
        None,
    ),
    (13, 3, 1, "gp_visit", "gp_followup", "2024-04-01 09:00", "2024-04-01 09:20", True, None),
    (14, 3, 4, "lab_test", "hba1c", "2024-04-05 08:00", "2024-04-05 08:20", False, None),
    (15, 3, 4, "lab_test", "hba1c", "2024-07-05 08:00", "2024-07-05 08:20", False, None),
    (16, 3, 4, "lab_test", "hba1c", "2024-10-05 08:00", "2024-10-05 08:20", False, None),
    (17, 3, 4, "lab_test", "hba1c", "2024-12-05 08:00", "2024-12-05 08:20", False, None),
    (18, 3, 3, "hospital_stay", "medical_stay", "2025-07-01 09:00", "2025-07-10 11:00", False, None),
    (19, 4, 1, "gp_visit", "gp_visit", "2024-05-01 09:00", "2024-05-01 09:20", False, None),
    (20, 4, 7, "emergency", "emergency_visit", "2024-11-11 22:00", "2024-11-11 23:30", False, None),
    (21, 5, 1, "vaccination", "flu_vaccination", "2025-04-10 10:00", "2025-04-10 10:20", False, None),
    (22, 5, 7, "emergency", "emergency_visit", "2025-06-01 15:00", "2025-06-01 18:00", False, None),
    (23, 6, 2, "gp_visit", "gp_followup", "2024-03-15 09:00", "2024-03-15 09:20", True, None),
    (24, 6, 2, "gp_visit", "gp_followup", "2025-03-15 09:00", "2025-03-15 09:20", True, None),
    (25, 6, 4, "lab_test", "renal_lipid_panel", "2025-05-05 08:00", "2025-05-05 08:20", False, None),
    (26, 5, 3, "hospital_stay", "medical_stay", "2024-08-01 10:00", "2024-08-02 11:00", False, None),
    (27, 1, 3, "hospital_stay", "medical_stay", "2025-10-01 09:00", "2025-10-03 10:00", False, None),
    (28, 6, 3, "hospital_stay", "medical_stay", "2025-11-01 09:00", "2025-11-05 10:00", False, None),
    (29, 4, 1, "gp_visit", "gp_visit", "2025-12-15 09:00", "2025-12-15 09:20", False, None),
    # D's cancer surveillance imaging, performed by P1 so that nobody's count of professionals changes
    (30, 4, 1, "imaging", "cancer_surveillance_imaging", "2025-09-10 09:00", "2025-09-10 09:20", False, None),
]


def encounters() -> pl.DataFrame:
    prof_org = dict(professionals().select("professional_id", "organization_id").iter_rows())
    rows = [
        (i, p, pro, prof_org[pro], kind, "hand_built", act, _ts(s), _ts(e), presc, fol)
        for (i, p, pro, kind, act, s, e, presc, fol) in _ENCOUNTERS
    ]
    cols = [
        "encounter_id",
        "patient_id",
        "professional_id",
        "organization_id",
        "kind",
        "pathway",
        "activity",
        "start_at",
        "end_at",
        "prescribes_drugs",
        "follows_encounter_id",
    ]
    # Documents withheld because the structure had not qualified the identity: E9 (patient 2's GP visit, 2024) one,
    # E22 (patient 5's emergency, 2025) two.
    withheld = {9: 1, 22: 2}
    return pl.DataFrame(rows, schema=cols, orient="row").with_columns(
        pl.col("follows_encounter_id").cast(pl.Int64),
        pl.col("encounter_id")
        .replace_strict(withheld, default=0, return_dtype=pl.Int64)
        .alias("documents_withheld_unqualified"),
    )


_DOCUMENTS = [
    # id, patient, encounter, type, author professional (None = patient / Assurance Maladie), created, submitted,
    # masked_ps at the end, replaces
    # patient A (1)
    (1, 1, 1, "57833-6", 1, "2024-01-10 09:20", "2024-01-10 09:25", False, None),  # prescription of E1
    (2, 1, 2, "11502-2", 4, "2024-01-15 18:00", "2024-01-16 08:00", False, None),  # lab report E2, v1
    (3, 1, 2, "11502-2", 4, "2024-01-19 10:00", "2024-01-20 10:00", False, 2),  # lab report E2, v2
    (4, 1, 3, "11490-0", 3, "2024-03-05 15:00", "2024-03-06 10:00", False, None),  # discharge letter L1
    (5, 1, None, "REMB", None, "2024-06-01 00:00", "2024-06-01 00:00", False, None),  # Assurance Maladie
    (6, 1, 4, "11502-2", 4, "2024-06-10 18:00", "2024-06-11 08:00", False, None),  # lab report E4
    (7, 1, 5, "11488-4", 5, "2024-09-01 10:30", "2024-09-01 11:00", False, None),  # ophthalmology report
    (8, 1, None, "60591-5", 1, "2025-01-15 10:00", "2025-01-15 10:05", False, None),  # VSM
    (9, 1, 6, "PRESC-BIO", 1, "2025-01-20 10:00", "2025-01-20 10:05", False, None),  # prescription of E6
    (10, 1, 6, "11502-2", 4, "2025-02-01 18:00", "2025-02-02 08:00", False, None),  # lab report E6
    (11, 1, 8, "15507-7", 7, "2025-05-11 02:00", "2025-05-11 03:00", True, None),  # emergency report, masked
    (12, 1, 27, "11490-0", 3, "2025-10-03 12:00", "2025-10-03 16:00", False, None),  # discharge letter L5
    # patient B (2)
    (
        13,
        2,
        10,
        "PRESC-BIO",
        3,
        "2025-02-20 10:00",
        "2025-02-20 11:00",
        False,
        None,
    ),  # prescribed by the cardiologist
    (14, 2, 10, "11502-2", 4, "2025-03-01 18:00", "2025-03-02 08:00", False, None),
    (15, 2, 12, "34874-8", 3, "2025-06-01 12:00", "2025-06-03 12:00", False, None),  # CR opératoire
    (16, 2, 12, "11490-0", 3, "2025-06-03 12:00", "2025-06-04 08:00", False, None),  # discharge letter L2
    (17, 2, 11, "11502-2", 4, "2025-09-01 18:00", "2025-09-02 08:00", False, None),
    # patient C (3)
    (18, 3, 13, "57833-6", 1, "2024-04-01 09:20", "2024-04-01 09:25", False, None),
    (19, 3, 14, "11502-2", 4, "2024-04-05 18:00", "2024-04-06 08:00", True, None),  # masked by C
    (20, 3, 16, "11502-2", 4, "2024-10-05 18:00", "2024-10-06 08:00", False, None),
    (21, 3, 18, "11490-0", 3, "2025-07-10 12:00", "2025-07-10 18:00", False, None),  # discharge letter L3
    (22, 3, 18, "34112-3", 3, "2025-07-15 10:00", "2025-07-15 12:00", False, None),
    # patient E (5)
    (
        23,
        5,
        26,
        "11490-0",
        3,
        "2024-08-02 12:00",
        "2024-08-03 09:00",
        False,
        None,
    ),  # discharge letter L4 (no GP)
    (24, 5, 21, "87273-9", 1, "2025-04-10 10:00", "2025-04-10 10:10", False, None),
    (25, 5, None, "DOCPAT01", None, "2025-05-01 20:00", "2025-05-01 20:00", False, None),  # patient upload
    (26, 5, 22, "15507-7", 7, "2025-06-01 18:00", "2025-06-01 19:00", True, None),  # masked by E
    # patient F (6)
    (27, 6, 24, "57833-6", 2, "2025-03-15 09:20", "2025-03-15 09:25", False, None),
    (28, 6, 24, "96349-6", 2, "2025-03-15 09:25", "2025-03-15 09:30", False, None),
    (29, 6, 25, "11502-2", 4, "2025-05-05 18:00", "2025-05-06 08:00", False, None),
]


def documents() -> pl.DataFrame:
    klass = dict(reference.load("document_types").select("type_code", "class_code").iter_rows())
    prof = professionals()
    prof_org = dict(prof.select("professional_id", "organization_id").iter_rows())
    prof_sector = dict(prof.select("professional_id", "sector").iter_rows())
    replaced = {r[8] for r in _DOCUMENTS if r[8] is not None}
    rows = []
    for i, p, enc, type_code, author, created, submitted, masked, replaces in _DOCUMENTS:
        if author is not None:
            kind, sector = "professional", prof_sector[author]
        else:
            kind = "assurance_maladie" if type_code == "REMB" else "patient"
            sector = kind
        rows.append(
            (
                i,
                p,
                enc,
                type_code,
                klass[type_code],
                kind,
                author,
                prof_org.get(author),
                sector,
                _ts(created),
                _ts(submitted),
                masked,
                "deprecated" if i in replaced else "approved",
                replaces,
            )
        )
    cols = [
        "document_id",
        "patient_id",
        "encounter_id",
        "type_code",
        "class_code",
        "author_kind",
        "author_professional_id",
        "organization_id",
        "sector",
        "created_at",
        "submitted_at",
        "masked_ps",
        "status",
        "replaces_document_id",
    ]
    return pl.DataFrame(rows, schema=cols, orient="row").with_columns(
        pl.col("encounter_id", "author_professional_id", "organization_id", "replaces_document_id").cast(
            pl.Int64
        )
    )


_OBSERVATIONS = [
    # id, encounter, lab report document (None = not fed), LOINC, value
    (1, 1, None, "8480-6", 135.0),  # blood pressure at a GP visit: not used by the analyses
    (2, 2, 2, "4548-4", 7.4),  # A 2024-01-15 HbA1c
    (3, 2, 2, "14682-9", 80.0),  # A 2024-01-15 creatinine
    (4, 4, 6, "4548-4", 6.8),  # A 2024-06-10 HbA1c (last of 2024: controlled)
    (17, 4, 6, "2823-3", 4.2),  # A 2024-06-10 potassium: A's second renal/electrolyte test of 2024
    (5, 6, 10, "4548-4", 7.2),  # A 2025-02-01 HbA1c (last of 2025: not controlled)
    (6, 6, 10, "32294-1", 2.0),  # A 2025-02-01 albuminuria
    (7, 10, 14, "4548-4", 6.5),  # B 2025-03-01
    (8, 10, 14, "14682-9", 90.0),  # B 2025-03-01 creatinine
    (9, 11, 17, "4548-4", 6.9),  # B 2025-09-01 (last of 2025: controlled)
    (10, 14, 19, "4548-4", 8.1),  # C 2024-04-05
    (11, 15, None, "4548-4", 7.9),  # C 2024-07-05 (report not fed)
    (12, 16, 20, "4548-4", 7.5),  # C 2024-10-05
    (13, 16, 20, "14682-9", 100.0),  # C 2024-10-05 creatinine
    (14, 16, 20, "32294-1", 3.0),  # C 2024-10-05 albuminuria
    (15, 17, None, "4548-4", 7.0),  # C 2024-12-05 (last of 2024: 7.0 is NOT < 7)
    (16, 25, 29, "14682-9", 110.0),  # F 2025-05-05 creatinine (F never has an HbA1c)
]


def observations() -> pl.DataFrame:
    enc = {r[0]: r for r in _ENCOUNTERS}
    units = {"4548-4": "%", "14682-9": "umol/L", "32294-1": "mg/mmol", "8480-6": "mm[Hg]", "2823-3": "mmol/L"}
    rows = [
        (i, e, doc, enc[e][1], loinc, value, units[loinc], _ts(enc[e][5]))
        for (i, e, doc, loinc, value) in _OBSERVATIONS
    ]
    cols = [
        "observation_id",
        "encounter_id",
        "document_id",
        "patient_id",
        "loinc_code",
        "value",
        "unit",
        "effective_at",
    ]
    return pl.DataFrame(rows, schema=cols, orient="row").with_columns(pl.col("document_id").cast(pl.Int64))


_EVENTS = [
    # id, time, patient, document, actor (professional id, or "patient"), action, access mode, channel, outcome,
    # target professional
    # patient A (1)
    (1, "2024-01-10 09:25", 1, 1, 1, "submit", "normal", "lps", "granted", None),
    (2, "2024-01-17 10:00", 1, 2, 1, "consult", "normal", "lps", "granted", None),  # C2 lab, prescriber
    (3, "2024-03-07 20:00", 1, 4, "patient", "view", None, "mes_app", "granted", None),
    (4, "2024-03-10 09:00", 1, 4, 1, "consult", "normal", "lps", "granted", None),  # C3 L1 by GP, 3d23h
    (5, "2024-05-01 20:00", 1, None, "patient", "view_history", None, "mes_app", "granted", None),
    (6, "2024-06-20 10:00", 1, 6, 1, "consult", "normal", "lps", "granted", None),  # C4 lab, prescriber
    (7, "2024-07-01 10:00", 1, 6, 3, "consult", "normal", "web_ps", "granted", None),  # C5 lab, other
    (8, "2024-08-01 10:00", 1, 5, 1, "consult", "normal", "lps", "granted", None),  # C6 REMB
    (9, "2024-10-01 20:00", 1, 7, "patient", "mask", None, "mes_app", "granted", None),
    (10, "2024-11-01 20:00", 1, 7, "patient", "unmask", None, "mes_web", "granted", None),
    (11, "2025-02-05 10:00", 1, 10, 1, "consult", "normal", "lps", "granted", None),  # C7 lab, prescriber
    (12, "2025-03-01 20:00", 1, None, "patient", "view_history", None, "mes_web", "granted", None),
    (13, "2025-05-10 23:00", 1, 10, 7, "consult", "bris_de_glace", "lps", "granted", None),  # C8
    (14, "2025-05-10 23:05", 1, 8, 7, "consult", "bris_de_glace", "lps", "granted", None),  # C9
    (15, "2025-06-01 20:00", 1, 11, "patient", "mask", None, "mes_app", "granted", None),
    (16, "2025-07-01 10:00", 1, 11, 3, "consult", "normal", "lps", "denied_masked", None),  # C10
    (17, "2025-10-04 10:00", 1, 12, 7, "consult", "normal", "lps", "granted", None),  # C11 L5 other, 18 h
    (18, "2025-12-20 09:00", 1, 12, 1, "consult", "normal", "lps", "granted", None),  # C12 L5 GP, 77d17h
    # patient B (2)
    (19, "2025-03-05 10:00", 2, 14, 2, "consult", "normal", "lps", "granted", None),  # C13 lab, other (GP)
    (20, "2025-06-04 20:00", 2, 16, 1, "consult", "normal", "web_ps", "granted", None),  # C14 L2 other, 12 h
    (21, "2025-06-24 08:00", 2, 16, 2, "consult", "normal", "lps", "granted", None),  # C15 L2 GP, 20 days
    (22, "2025-09-05 10:00", 2, 17, 2, "consult", "normal", "lps", "granted", None),  # C16 lab, prescriber
    (23, "2025-10-01 10:00", 2, 17, 5, "consult", "normal", "lps", "granted", None),  # C17 lab, other
    # patient C (3)
    (24, "2024-05-01 20:00", 3, 19, "patient", "mask", None, "mes_app", "granted", None),
    (25, "2024-06-01 20:00", 3, None, "patient", "view_history", None, "mes_app", "granted", None),
    (26, "2024-11-01 10:00", 3, 20, 6, "consult", "normal", "web_ps", "denied_matrix", None),  # C18
    (27, "2025-07-10 20:00", 3, 21, 3, "consult", "normal", "lps", "granted", None),  # C19 author's own read
    (28, "2025-07-12 18:00", 3, 21, 7, "consult", "normal", "lps", "granted", None),  # C20 L3 other, 2 days
    # patient D (4): opposed, no DMP
    (29, "2024-11-11 23:00", 4, None, 7, "consult", "bris_de_glace", "lps", "denied_no_dmp", None),  # C21
    # patient E (5)
    (30, "2024-12-01 10:00", 5, 23, 1, "consult", "normal", "lps", "granted", None),  # C22 L4 (no GP)
    (31, "2025-04-01 20:00", 5, None, "patient", "opt_out_centre_15", None, "mes_app", "granted", None),
    (32, "2025-04-11 20:00", 5, 24, "patient", "view", None, "mes_app", "granted", None),
    (
        33,
        "2025-06-01 18:30",
        5,
        24,
        7,
        "consult",
        "centre_15",
        "lps",
        "denied_emergency_opt_out",
        None,
    ),  # C23
    (34, "2025-07-01 20:00", 5, 26, "patient", "mask", None, "mes_app", "granted", None),
    (35, "2025-07-02 20:00", 5, None, "patient", "view_history", None, "mes_app", "granted", None),
    (36, "2025-07-03 20:00", 5, None, "patient", "view_history", None, "mes_app", "granted", None),
    (37, "2025-08-01 10:00", 5, 26, 7, "consult", "normal", "lps", "granted", None),  # C24 author's own read
    # patient F (6)
    (38, "2025-01-01 20:00", 6, None, "patient", "block_professional", None, "mes_web", "granted", 6),
    (39, "2025-03-16 10:00", 6, 27, 8, "consult", "normal", "lps", "granted", None),  # C25
    (40, "2025-03-20 20:00", 6, 27, "patient", "view", None, "mes_web", "granted", None),
    (41, "2025-04-01 10:00", 6, 27, 6, "consult", "normal", "web_ps", "denied_blocked", None),  # C28
    (42, "2025-05-06 10:00", 6, 29, 8, "consult", "normal", "web_ps", "denied_matrix", None),  # C26
    (43, "2025-11-02 03:00", 6, 28, 7, "consult", "centre_15", "lps", "granted", None),  # C27
]


def access_events() -> pl.DataFrame:
    rows = []
    for i, at, p, doc, actor, action, mode, channel, outcome, target in _EVENTS:
        professional = actor != "patient"
        rows.append(
            (
                i,
                _ts(at),
                p,
                doc,
                "professional" if professional else "patient",
                actor if professional else None,
                target,
                action,
                mode,
                channel,
                "DIRECTE" if professional else None,
                outcome,
            )
        )
    cols = [
        "event_id",
        "occurred_at",
        "patient_id",
        "document_id",
        "actor_kind",
        "actor_professional_id",
        "target_professional_id",
        "action",
        "access_mode",
        "channel",
        "auth_mode",
        "outcome",
    ]
    return pl.DataFrame(rows, schema=cols, orient="row").with_columns(
        pl.col("document_id", "actor_professional_id", "target_professional_id").cast(pl.Int64)
    )


def tables() -> dict[str, pl.DataFrame]:
    """The hand-built dataset: table name → polars frame."""
    return {
        "organizations": organizations(),
        "professionals": professionals(),
        "patients": patients(),
        "gp_declarations": gp_declarations(),
        "conditions": conditions(),
        "encounters": encounters(),
        "documents": documents(),
        "observations": observations(),
        "access_events": access_events(),
    }
