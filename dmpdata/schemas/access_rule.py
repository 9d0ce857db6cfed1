"""The DMP access rule as an oracle: every professional consult's outcome recomputed in SQL from the raw tables.

Used by `dmpdata validate` (check consult_outcomes_follow_the_rule) and by tests/test_access_rules.py. It is
independent of the generator on purpose: it reads only the dataset tables (Parquet folders, polars frames or DuckDB
tables named patients, gp_declarations, professionals, documents, access_events) and the reference access matrix, and never imports
dmpdata.generators (written from the rule's specification, DESIGN.md §5, not from the generator's code). For a consult by professional P of document D of patient X at instant t in mode m, the
first check that applies gives the outcome:

1. no open DMP at date(t): coalesce(dmp_opened_at, mes_created_at) null or > date(t), or mes_closed_at <= date(t)
   (a DMP opened before Mon espace santé is open from dmp_opened_at)                           -> denied_no_dmp
2. latest block/unblock of P by X with occurred_at <= t is a block                        -> denied_blocked
3. m = normal and (profession(P), type_code(D)) not allowed by the matrix (absent = no)   -> denied_matrix
4. m = bris_de_glace and bris_de_glace_opt_out_at <= date(t), or m = centre_15 and
   centre_15_opt_out_at <= date(t) (each emergency mode has its own consent)                -> denied_emergency_opt_out
5. latest mask/unmask of D with occurred_at <= t is a mask, P neither author nor X's médecin traitant on
   date(t) (a gp_declarations row of X and P in force that day)                            -> denied_masked
6. otherwise                                                                               -> granted

Choices where the spec is silent (kept in one place, see SQL below):
- "as of t" includes events at exactly t (spec: occurred_at <= t); several block/unblock events of the same
  (patient, professional) -- or mask/unmask events of the same document -- at the same instant are ordered by
  event_id (the higher id is the later one).
- Block and mask events count whoever their actor is and whatever their own outcome (all non-consult actions are
  granted by the spec anyway).
- When the rule cannot be evaluated (unknown patient/professional/document, null actor or document, document of
  another patient, access_mode not one of the three modes) expected_outcome is null, so a comparison fails loudly.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
import polars as pl

from dmpdata import reference
from dmpdata.parallel import worker_threads

__all__ = [
    "ACCESS_MODES",
    "OUTCOMES",
    "REQUIRED_COLUMNS",
    "connect",
    "contract_violations",
    "masked_ps_mismatches",
    "missing_tables",
    "outcome_mismatches",
    "recompute_outcomes",
    "rule_findings",
]

# The outcomes in the order the rule checks them (granted last: no check denies), and the access modes: the
# vocabularies access_outcomes.csv (column rule_order) and access_modes.csv.
OUTCOMES = reference.codes("access_outcomes", order="rule_order")
ACCESS_MODES = reference.codes("access_modes")

# Only what the rule reads (plus ids); extra columns are ignored.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": (
        "patient_id",
        "dmp_opened_at",
        "mes_created_at",
        "mes_closed_at",
        "bris_de_glace_opt_out_at",
        "centre_15_opt_out_at",
    ),
    "gp_declarations": ("patient_id", "professional_id", "declared_from", "declared_until"),
    "professionals": ("professional_id", "profession_code"),
    "documents": ("document_id", "patient_id", "type_code", "author_professional_id"),
    "access_events": (
        "event_id",
        "occurred_at",
        "patient_id",
        "document_id",
        "actor_kind",
        "actor_professional_id",
        "target_professional_id",
        "action",
        "access_mode",
    ),
}
MATRIX_TABLE = "oracle_access_matrix"

_FACTS_SQL = f"""
WITH
consults AS (
    SELECT event_id, occurred_at AS t, CAST(occurred_at AS DATE) AS d, patient_id, document_id,
           actor_professional_id AS prof_id, access_mode{{carried}}
    FROM access_events
    WHERE action = 'consult' AND actor_kind = 'professional'
),
-- block state per (patient, professional, instant); same-instant events: the highest event_id wins
block_state AS (
    SELECT patient_id, target_professional_id AS prof_id, occurred_at AS at,
           arg_max(action, event_id) = 'block_professional' AS blocked
    FROM access_events
    WHERE action IN ('block_professional', 'unblock_professional')
      AND patient_id IS NOT NULL AND target_professional_id IS NOT NULL
    GROUP BY patient_id, target_professional_id, occurred_at
),
-- mask state per (document, instant); same-instant events: the highest event_id wins
mask_state AS (
    SELECT document_id, occurred_at AS at, arg_max(action, event_id) = 'mask' AS masked
    FROM access_events
    WHERE action IN ('mask', 'unmask') AND document_id IS NOT NULL
    GROUP BY document_id, occurred_at
),
-- As of t: the latest state with at <= t (an event at exactly t applies). Blocks and masks are rare: only the
-- consults of a (patient, professional) pair with a block event, or of a document with a mask event, go through
-- the ASOF join (which sorts its input); the others have no such state (same result, a fraction of the time).
block_pairs AS (SELECT DISTINCT patient_id, prof_id FROM block_state),
with_block AS (
    SELECT c.*, coalesce(b.blocked, false) AS blocked, b.at AS block_state_at
    FROM (SELECT * FROM consults c SEMI JOIN block_pairs k ON c.patient_id = k.patient_id AND c.prof_id = k.prof_id) c
    ASOF LEFT JOIN block_state b ON c.patient_id = b.patient_id AND c.prof_id = b.prof_id AND c.t >= b.at
    UNION ALL
    SELECT c.*, false AS blocked, CAST(NULL AS TIMESTAMP) AS block_state_at
    FROM consults c ANTI JOIN block_pairs k ON c.patient_id = k.patient_id AND c.prof_id = k.prof_id
),
masked_documents AS (SELECT DISTINCT document_id FROM mask_state),
with_mask AS (
    SELECT c.*, coalesce(m.masked, false) AS masked, m.at AS mask_state_at
    FROM (SELECT * FROM with_block c SEMI JOIN masked_documents k ON c.document_id = k.document_id) c
    ASOF LEFT JOIN mask_state m ON c.document_id = m.document_id AND c.t >= m.at
    UNION ALL
    SELECT c.*, false AS masked, CAST(NULL AS TIMESTAMP) AS mask_state_at
    FROM with_block c ANTI JOIN masked_documents k ON c.document_id = k.document_id
)
SELECT
    c.event_id, c.t AS occurred_at, c.patient_id, c.document_id, c.prof_id AS actor_professional_id,
    c.access_mode{{carried_out}}{{contract}}, pr.profession_code, doc.type_code,
    coalesce(pa.patient_id IS NOT NULL AND pr.professional_id IS NOT NULL AND c.access_mode IN {ACCESS_MODES!r}
        AND ((doc.document_id IS NOT NULL AND doc.patient_id = c.patient_id)
             -- a profile-level attempt (no document) is judged only when there is no open DMP (rule 1)
             OR (c.document_id IS NULL AND (coalesce(pa.dmp_opened_at, pa.mes_created_at) IS NULL OR CAST(coalesce(pa.dmp_opened_at, pa.mes_created_at) AS DATE) > c.d
                                            OR coalesce(CAST(pa.mes_closed_at AS DATE) <= c.d, false)))), false)
        AS evaluable,
    (coalesce(pa.dmp_opened_at, pa.mes_created_at) IS NULL
        OR CAST(coalesce(pa.dmp_opened_at, pa.mes_created_at) AS DATE) > c.d
        OR coalesce(CAST(pa.mes_closed_at AS DATE) <= c.d, false)) AS no_dmp,
    c.blocked,
    c.block_state_at,
    coalesce(mx.allowed, false) AS matrix_allowed,
    -- the patient refused the mode the professional used (two consents, each refusable on its own)
    coalesce(CASE c.access_mode
        WHEN 'bris_de_glace' THEN CAST(pa.bris_de_glace_opt_out_at AS DATE) <= c.d
        WHEN 'centre_15' THEN CAST(pa.centre_15_opt_out_at AS DATE) <= c.d
    END, false) AS emergency_opted_out,
    c.masked,
    c.mask_state_at,
    coalesce(c.prof_id = doc.author_professional_id, false) AS is_author,
    g.patient_id IS NOT NULL AS is_gp
FROM with_mask c
LEFT JOIN patients pa ON pa.patient_id = c.patient_id
-- the médecin traitant that day: a patient's declarations do not overlap (integrity check), one match at most
LEFT JOIN gp_declarations g ON g.patient_id = c.patient_id AND g.professional_id = c.prof_id
    AND g.declared_from <= c.d AND (g.declared_until IS NULL OR g.declared_until >= c.d)
LEFT JOIN professionals pr ON pr.professional_id = c.prof_id
LEFT JOIN documents doc ON doc.document_id = c.document_id
LEFT JOIN {MATRIX_TABLE} mx ON mx.profession_code = pr.profession_code AND mx.type_code = doc.type_code
"""


_OUTCOME_SQL = """
CASE
    WHEN NOT evaluable THEN NULL
    WHEN no_dmp THEN 'denied_no_dmp'
    WHEN blocked THEN 'denied_blocked'
    WHEN access_mode = 'normal' AND NOT matrix_allowed THEN 'denied_matrix'
    WHEN access_mode IN ('bris_de_glace', 'centre_15') AND emergency_opted_out THEN 'denied_emergency_opt_out'
    WHEN masked AND NOT is_author AND NOT is_gp THEN 'denied_masked'
    ELSE 'granted'
END
"""


# What the contract checks read of a professional consult, besides its own columns: the consulted document, patient
# and professional as found by the joins (aliases doc, pa, pr).
_CONTRACT_COLUMNS = (
    "doc.document_id AS doc_found, doc.patient_id AS doc_patient, doc.submitted_at, doc.status, "
    "doc.status_at, pa.patient_id AS patient_found, pr.professional_id AS prof_found"
)

# The contract's problems, from `c` (one row per professional consult: event_id, t, patient_id, document_id,
# access_mode, outcome and _CONTRACT_COLUMNS) and from the other events of access_events.
_PROBLEMS_SQL = f"""
    SELECT event_id, 'consult of an unknown patient' AS problem FROM c WHERE patient_found IS NULL
    UNION ALL SELECT event_id, 'consult by a null or unknown professional' FROM c WHERE prof_found IS NULL
    UNION ALL SELECT event_id, 'consult of an unknown document' FROM c WHERE document_id IS NOT NULL AND doc_found IS NULL
    -- a consult without a document is a profile-level attempt, legitimate only when there is no open DMP
    UNION ALL SELECT event_id, 'consult without a document on an open DMP' FROM c
        WHERE document_id IS NULL AND outcome IS DISTINCT FROM 'denied_no_dmp'
    UNION ALL SELECT event_id, 'consulted document belongs to another patient' FROM c
        WHERE doc_found IS NOT NULL AND doc_patient IS DISTINCT FROM patient_id
    UNION ALL SELECT event_id, 'consult with a null or unknown access_mode' FROM c
        WHERE access_mode IS NULL OR access_mode NOT IN {ACCESS_MODES!r}
    UNION ALL SELECT event_id, 'consulted document not yet submitted at t' FROM c
        WHERE doc_found IS NOT NULL AND NOT coalesce(submitted_at <= t, false)
    UNION ALL SELECT event_id, 'consulted document no longer approved at t' FROM c
        WHERE doc_found IS NOT NULL AND status <> 'approved' AND NOT coalesce(status_at > t, false)
    UNION ALL SELECT event_id, 'non-consult event (or consult by a non-professional) not granted'
        FROM access_events
        WHERE NOT (action = 'consult' AND actor_kind = 'professional') AND outcome IS DISTINCT FROM 'granted'
    UNION ALL SELECT event_id, 'block/unblock without target_professional_id' FROM access_events
        WHERE action IN ('block_professional', 'unblock_professional') AND target_professional_id IS NULL
"""


def _facts_sql(*carried: str, contract: bool = False) -> str:
    """The facts query, with these access_events columns of each consult carried through to its result (and, with
    `contract`, t and the _CONTRACT_COLUMNS that _PROBLEMS_SQL reads)."""
    return _FACTS_SQL.format(
        carried="".join(f", {c}" for c in carried),
        carried_out="".join(f", c.{c}" for c in carried),
        contract=f", c.t, {_CONTRACT_COLUMNS}" if contract else "",
    )


def missing_tables(dataset: str | Path) -> list[str]:
    """Tables the rule needs that the dataset folder does not hold (no `<table>/*.parquet`)."""
    root = Path(getattr(dataset, "path", dataset))
    return [name for name in REQUIRED_COLUMNS if not any((root / name).glob("*.parquet"))]


def _matrix_frame(matrix: pl.DataFrame | None) -> pl.DataFrame:
    if matrix is None:
        matrix = reference.load("access_matrix")
    allowed = pl.col("allowed")
    if matrix.schema["allowed"] != pl.Boolean:
        allowed = allowed.cast(pl.String).str.strip_chars().str.to_lowercase().is_in(["true", "1", "yes"])
    frame = matrix.select(
        pl.col("profession_code").cast(pl.String),
        pl.col("type_code").cast(pl.String),
        allowed.alias("allowed"),
    )
    conflicts = (
        frame.group_by("profession_code", "type_code")
        .agg(pl.col("allowed").n_unique().alias("n"))
        .filter(pl.col("n") > 1)
    )
    if conflicts.height:
        raise ValueError(
            f"access matrix gives conflicting `allowed` for the same pair: {conflicts.rows()[:10]}"
        )
    return frame.unique(["profession_code", "type_code"], keep="first")


def connect(source, *, matrix: pl.DataFrame | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection where the four tables and the access matrix are visible under the names the SQL uses.

    `source`: a dataset folder (str/Path) or a `dmpdata.Dataset`; a mapping table name -> polars (Lazy)DataFrame;
    or an existing DuckDB connection that already has the tables (the matrix is registered into it).
    """
    if isinstance(source, duckdb.DuckDBPyConnection):
        con = source
    else:
        con = duckdb.connect()
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        threads = worker_threads()
        if threads is not None:  # a worker of validation's pool: its share of the cores
            con.execute(f"SET threads = {threads}")
        if isinstance(source, Mapping):
            for name in REQUIRED_COLUMNS:
                frame = source[name]
                frame = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
                if isinstance(frame, pl.DataFrame):
                    # Arrow with polars' own string views (no copy): DuckDB reads them as they are. Registering the
                    # polars frame itself converted its strings to Arrow's older layout, copying every one (17 of
                    # the 34 ms this took on a chunk of 20,000 patients).
                    frame = frame.to_arrow(compat_level=pl.CompatLevel.newest())
                con.register(name, frame)  # or whatever DuckDB registers as is (Arrow, pandas)
        else:
            root = Path(getattr(source, "path", source))
            absent = missing_tables(root)
            if absent:
                raise FileNotFoundError(f"{root} has no table(s) {absent}")
            for name in REQUIRED_COLUMNS:
                # The parts listed here, not a glob for DuckDB: a folder may be named with glob characters ([x]).
                parts = ", ".join(
                    "'" + str(p).replace("'", "''") + "'" for p in sorted((root / name).glob("*.parquet"))
                )
                con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet([{parts}])")
    for name, needed in REQUIRED_COLUMNS.items():
        have = {row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()}
        lacking = [c for c in needed if c not in have]
        if lacking:
            raise ValueError(f"table {name} lacks column(s) {lacking} that the access rule reads")
    occurred_type = con.execute("SELECT typeof(occurred_at) FROM access_events LIMIT 1").fetchall()
    if occurred_type and occurred_type[0][0] != "TIMESTAMP":
        raise ValueError(
            f"access_events.occurred_at is {occurred_type[0][0]}; the contract says a naive Datetime(us)"
            " (with a time zone, date(t) would be ambiguous)"
        )
    con.register(MATRIX_TABLE, _matrix_frame(matrix))
    return con


def recompute_outcomes(
    con_or_frames, *, matrix: pl.DataFrame | None = None, details: bool = False
) -> pl.DataFrame:
    """One row per professional consult: event_id, expected_outcome (null if the rule cannot be evaluated).

    `details=True` adds the facts each check used (no_dmp, blocked, matrix_allowed, emergency_opted_out, masked,
    is_author, is_gp, ...), handy to explain a disagreement.
    """
    con = connect(con_or_frames, matrix=matrix)
    columns = "*" if details else "event_id"
    query = f"SELECT {columns}, {_OUTCOME_SQL} AS expected_outcome FROM ({_facts_sql()}) ORDER BY event_id"
    return con.sql(query).pl()


def outcome_mismatches(con_or_frames, *, matrix: pl.DataFrame | None = None) -> pl.DataFrame:
    """The professional consults whose recorded outcome is not the rule's: event_id, expected_outcome (null when the
    rule cannot be evaluated), outcome (empty frame = all good). Needs access_events.outcome besides the rule's
    columns.

    The same verdict as comparing `recompute_outcomes` with the consults' outcomes, computed where the facts are:
    only the disagreements leave DuckDB (fetching every consult's expected outcome and comparing them in polars
    took ~50 ms more per chunk of 20,000 patients).
    """
    con = connect(con_or_frames, matrix=matrix)
    facts = f"({_facts_sql('outcome')})"
    return con.sql(f"SELECT * FROM ({_mismatches_sql(facts)}) ORDER BY event_id").pl()


def _mismatches_sql(facts: str) -> str:
    """The consults of `facts` (a FROM item: the facts query in parentheses, or a name) whose outcome is not the
    rule's."""
    return f"""
    SELECT event_id, expected_outcome, outcome FROM (
        SELECT event_id, {_OUTCOME_SQL} AS expected_outcome, outcome FROM {facts})
    WHERE expected_outcome IS NULL OR outcome IS NULL OR expected_outcome <> outcome"""


def contract_violations(con_or_frames, *, matrix: pl.DataFrame | None = None) -> pl.DataFrame:
    """Events breaking the spec's preconditions around the rule: event_id, problem (empty frame = all good).

    Checks: a professional consult names a known patient, professional and document of that patient, a valid mode,
    a document submitted and still approved at t; every other event (non-consult action, or consult by a patient /
    the Assurance Maladie) is `granted`; block events name a target professional.
    Needs documents.submitted_at, status, status_at in addition to the rule's columns.
    """
    con = connect(con_or_frames, matrix=matrix)
    query = f"""
    WITH c AS (
        SELECT e.event_id, e.occurred_at AS t, e.patient_id, e.document_id, e.access_mode, e.outcome,
               {_CONTRACT_COLUMNS}
        FROM access_events e
        LEFT JOIN documents doc ON doc.document_id = e.document_id
        LEFT JOIN patients pa ON pa.patient_id = e.patient_id
        LEFT JOIN professionals pr ON pr.professional_id = e.actor_professional_id
        WHERE e.action = 'consult' AND e.actor_kind = 'professional'
    ), problems AS ({_PROBLEMS_SQL})
    SELECT * FROM problems ORDER BY event_id, problem
    """
    return con.sql(query).pl()


def rule_findings(con_or_frames, *, matrix: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(outcome_mismatches, contract_violations) in one query: both join every professional consult to its patient,
    professional and document, and here the contract's problems are read from the rule's facts (a chunk of 20,000
    patients: 150 ms against 250 ms for the two). Needs the columns of both."""
    con = connect(con_or_frames, matrix=matrix)
    query = f"""
    WITH c AS MATERIALIZED ({_facts_sql("outcome", contract=True)}),
    problems AS ({_PROBLEMS_SQL})
    SELECT true AS is_outcome, event_id, expected_outcome, outcome, NULL AS problem FROM ({_mismatches_sql("c")})
    UNION ALL SELECT false, event_id, NULL, NULL, problem FROM problems
    ORDER BY is_outcome DESC, event_id, problem
    """
    found = con.sql(query).pl()  # filtering keeps the order: each frame in the order its own function gives
    return (
        found.filter(pl.col("is_outcome")).select("event_id", "expected_outcome", "outcome"),
        found.filter(~pl.col("is_outcome")).select("event_id", "problem"),
    )


def masked_ps_mismatches(con_or_frames, *, matrix: pl.DataFrame | None = None) -> pl.DataFrame:
    """Documents whose masked_ps (state at the end of the period) differs from their last mask/unmask event.

    A document with no mask/unmask event must have masked_ps = false, else the oracle (which derives masking from
    the events, as the spec says) and the table tell different stories.
    """
    con = connect(con_or_frames, matrix=matrix)
    query = """
    WITH last AS (
        SELECT document_id, arg_max(action, (occurred_at, event_id)) = 'mask' AS masked_by_events
        FROM access_events WHERE action IN ('mask', 'unmask') AND document_id IS NOT NULL
        GROUP BY document_id
    )
    SELECT d.document_id, d.masked_ps, coalesce(l.masked_by_events, false) AS masked_by_events
    FROM documents d LEFT JOIN last l USING (document_id)
    WHERE d.masked_ps IS DISTINCT FROM coalesce(l.masked_by_events, false)
    ORDER BY d.document_id
    """
    return con.sql(query).pl()
