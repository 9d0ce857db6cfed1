"""Altair charts: one function per analysis chart, one theme, axis titles a reader understands."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import polars as pl
import polars.selectors as cs

THEME = "dmpdata"
PALETTE = ["#00509d", "#e4572e", "#29a36a", "#f3a712", "#7d5ba6", "#4cb5c3", "#a8a8a8", "#c3423f"]
WIDTH, HEIGHT = 560, 260


@alt.theme.register(THEME, enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "view": {"continuousWidth": WIDTH, "continuousHeight": HEIGHT, "stroke": None},
            "font": "DejaVu Sans, Helvetica, Arial, sans-serif",
            "range": {"category": PALETTE},
            "axis": {
                "labelFontSize": 11,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "gridColor": "#e8e8e8",
            },
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom"},
            "title": {"fontSize": 14, "anchor": "start", "fontWeight": "bold"},
        }
    }


def use_theme() -> None:
    """Enable the dmpdata theme (done on import; call again if another theme was enabled since)."""
    alt.theme.enable(THEME)


def _frame(df: pl.DataFrame) -> pl.DataFrame:
    """Altair serialises polars through narwhals; decimals (DuckDB HUGEINT sums) are not JSON: cast them.

    DuckDB ENUM columns arrive as polars Categorical/Enum: they are cast to plain strings too.
    """
    return df.with_columns(
        pl.col(pl.Decimal).cast(pl.Float64),
        (cs.categorical() | cs.enum()).cast(pl.String),
    )


# ---------------------------------------------------------------------------------------------- vocabulary

SECTORS = {
    "ville": "Ville (community care)",
    "etablissement": "Établissement (hospitals, clinics)",
    "medico_social": "Médico-social (care homes, disability)",
    "patient": "Patient (own uploads)",
    "assurance_maladie": "Assurance Maladie (reimbursement data)",
}
SECTORS_SHORT = {
    "ville": "ville",
    "etablissement": "hospital",
    "medico_social": "médico-social",
    "patient": "patient",
    "assurance_maladie": "Assurance Maladie",
}
CHANNELS = {
    "lps": "Professional software (LPS, DMP-compatible)",
    "web_ps": "Web portal for professionals (web PS)",
}
DENIAL_REASONS = {
    "denied_no_dmp": "No open DMP for the patient",
    "denied_blocked": "Professional blocked by the patient",
    "denied_matrix": "Profession not allowed to read that document type (access matrix)",
    "denied_emergency_opt_out": "Emergency access refused by the patient (opt-out)",
    "denied_masked": "Document masked by the patient (masqué aux PS)",
}

PCT = ".1~%"  # axis labels: 0%, 20%… or 0.5%, 1%, 1.5% for small shares
PCT_TIP = ".1%"
COUNT = ",d"
TOP_TYPES = 7
TOP_GPS = 15
OVERDUE_BANDS = [  # (label, lowest month, highest month) of months since the last HbA1c
    ("0-5 months", 0, 5),
    ("6-8 months", 6, 8),
    ("9-11 months", 9, 11),
    ("12-17 months", 12, 17),
    ("18-23 months", 18, 23),
    ("2-3 years", 24, 35),
    ("3 years or more", 36, None),
]
NEVER_TESTED = "No HbA1c on record"


# ---------------------------------------------------------------------------------------------- helpers


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "")


def _year(field: str = "year", title: str = "Year") -> alt.X:
    return alt.X(f"{field}:O", title=title, axis=alt.Axis(labelAngle=0))


def _month(title: str = "Month") -> alt.X:
    return alt.X("month:T", timeUnit="yearmonth", title=title, axis=alt.Axis(format="%b %Y", labelAngle=0))


def _month_tip() -> alt.Tooltip:
    return alt.Tooltip("month:T", timeUnit="yearmonth", title="Month", format="%B %Y")


def _legend(**kwargs) -> alt.Legend:
    """A legend whose labels and title are not cut short (labels explain French terms, they are long)."""
    return alt.Legend(labelLimit=kwargs.pop("labelLimit", 420), titleLimit=420, **kwargs)


def _label_axis(label_limit: int = 300) -> alt.Axis:
    """Axis of long category labels (document types, pairs…): its title sits above the labels, not across them."""
    return alt.Axis(
        labelLimit=label_limit, titleAngle=0, titleAlign="right", titleBaseline="bottom", titleX=0, titleY=-6
    )


def _colors(n: int) -> alt.Scale | alt.UndefinedType:
    """The theme's palette, or a 20-colour scheme when there are more categories than palette colours."""
    return alt.Scale(scheme="tableau20") if n > len(PALETTE) else alt.Undefined


def _labelled(column: str, labels: dict[str, str]) -> pl.Expr:
    """Replace codes by readable labels (unknown codes stay as they are)."""
    return pl.col(column).replace(labels)


def _long(df: pl.DataFrame, keys: list[str], measures: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    """Stack measure columns into rows: `measure` (label), `value` and `count` (the absolute figure, if any)."""
    parts = []
    for label, value, count in measures:
        parts.append(
            df.select(
                *keys,
                pl.lit(label, dtype=pl.String).alias("measure"),
                pl.col(value).cast(pl.Float64).alias("value"),
                (pl.col(count) if count else pl.lit(None)).cast(pl.Int64).alias("count"),
            )
        )
    return pl.concat(parts, how="vertical")


def _rank(column: str, order: list[str]) -> pl.Expr:
    """Position of each value in `order` (stacking order of areas)."""
    return pl.col(column).replace_strict(
        {v: i for i, v in enumerate(order)}, default=len(order), return_dtype=pl.Int64
    )


def _complete(df: pl.DataFrame, a: str, b: str, values: list[str]) -> pl.DataFrame:
    """Add the missing a × b combinations with zeros (stacked areas need every series at every x)."""
    grid = df.select(pl.col(a).unique()).join(df.select(pl.col(b).unique()), how="cross")
    return grid.join(df, on=[a, b], how="left").with_columns(pl.col(values).fill_null(0)).sort(a, b)


def _grouped_bars(
    long: pl.DataFrame,
    *,
    x: alt.X,
    x_tip: alt.Tooltip,
    measures: list[str],
    y_title: str,
    legend_title: str,
    title: alt.TitleParams,
    count_title: str = "Count",
    width: int | None = None,
) -> alt.Chart:
    """Bars side by side (one per measure) for each x value; `value` is a share shown as %."""
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=x,
            xOffset=alt.XOffset("measure:N", sort=measures),
            y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=PCT)),
            color=alt.Color("measure:N", sort=measures, title=legend_title, legend=_legend(columns=1)),
            tooltip=[
                x_tip,
                alt.Tooltip("measure:N", title=legend_title),
                alt.Tooltip("value:Q", title=y_title, format=PCT_TIP),
                alt.Tooltip("count:Q", title=count_title, format=COUNT),
            ],
        )
        .properties(title=title, width=width or WIDTH)
    )


# ---------------------------------------------------------------------------------------------- coordination


def professionals_per_patient(df: pl.DataFrame) -> alt.HConcatChart:
    """Grouped bars per year: professionals per patient (mean, median), and shares seen by several / across sectors."""
    d = _frame(df)
    counts = ["Mean", "Median"]
    shares = ["Seen by 2 or more different professionals", "Seen in 2 or more care sectors"]
    left = (
        alt.Chart(
            _long(
                d,
                ["year", "patients"],
                [("Mean", "mean_professionals", None), ("Median", "median_professionals", None)],
            )
        )
        .mark_bar()
        .encode(
            x=_year(),
            xOffset=alt.XOffset("measure:N", sort=counts),
            y=alt.Y("value:Q", title="Different professionals per patient in the year"),
            color=alt.Color(
                "measure:N",
                sort=counts,
                title="Statistic",
                scale=alt.Scale(range=PALETTE[:2]),
                legend=_legend(columns=1),
            ),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("measure:N", title="Statistic"),
                alt.Tooltip("value:Q", title="Professionals per patient", format=".2f"),
                alt.Tooltip("patients:Q", title="Patients with care that year", format=COUNT),
            ],
        )
        .properties(title=_title("How many professionals care for one patient"), width=250)
    )
    right = (
        alt.Chart(
            _long(
                d,
                ["year", "patients"],
                [(shares[0], "share_2_or_more", None), (shares[1], "share_multi_sector", None)],
            )
        )
        .mark_bar()
        .encode(
            x=_year(),
            xOffset=alt.XOffset("measure:N", sort=shares),
            y=alt.Y("value:Q", title="Patients with care that year (%)", axis=alt.Axis(format=PCT)),
            color=alt.Color(
                "measure:N",
                sort=shares,
                title="Patients",
                scale=alt.Scale(range=PALETTE[2:4]),
                legend=_legend(columns=1),
            ),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("measure:N", title="Patients"),
                alt.Tooltip("value:Q", title="Share of patients", format=PCT_TIP),
                alt.Tooltip("patients:Q", title="Patients with care that year", format=COUNT),
            ],
        )
        .properties(
            title=_title("Care shared between professionals", "Sectors: ville, hospital, médico-social"),
            width=250,
        )
    )
    return (
        alt.hconcat(left, right)
        .resolve_scale(color="independent")
        .properties(
            title=_title(
                "Professionals taking care of each patient, per year",
                "Different professionals carrying out a patient's encounters (visits, stays, tests, dispensing…)",
            )
        )
    )


def discharge_letters_read_by_gp(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per year of discharge: share read by the médecin traitant within 7 days, 30 days, ever."""
    d = _frame(df)
    measures = [
        ("Within 7 days of submission", "share_read_7d", "read_within_7d"),
        ("Within 30 days", "share_read_30d", "read_within_30d"),
        ("At any time", "share_read_ever", "read_ever"),
    ]
    long = _long(d, ["discharge_year", "letters_with_gp"], measures)
    return _grouped_bars(
        long,
        x=_year("discharge_year", "Year of discharge from hospital"),
        x_tip=alt.Tooltip("discharge_year:O", title="Year of discharge"),
        measures=[m[0] for m in measures],
        y_title="Letters read by the médecin traitant (%)",
        legend_title="Read by the médecin traitant",
        count_title="Letters read",
        title=_title(
            "Discharge letters (lettre de liaison) read by the médecin traitant",
            "Hospital discharge letters fed to the DMP, for patients with a médecin traitant (their regular GP)",
        ),
    )


def discharge_letter_read_delays(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per delay band: letters first read by the médecin traitant vs by any other professional."""
    d = _frame(df).sort("band_order")
    bands = d["delay_band"].to_list()
    measures = [
        ("By the médecin traitant (regular GP)", "share_by_gp", "letters_by_gp"),
        ("By any professional other than the author", "share_by_any", "letters_by_any"),
    ]
    long = _long(d, ["delay_band", "band_order"], measures)
    return _grouped_bars(
        long,
        x=alt.X(
            "delay_band:N",
            sort=bands,
            title="Time from submission to the DMP to the first read",
            axis=alt.Axis(labelAngle=0),
        ),
        x_tip=alt.Tooltip("delay_band:N", title="First read"),
        measures=[m[0] for m in measures],
        y_title="Discharge letters (%)",
        legend_title="First read",
        count_title="Letters",
        title=_title(
            "How quickly hospital discharge letters (lettres de liaison) are first read",
            "Letters of patients who have a médecin traitant; recent letters had less time to be read",
        ),
    )


def cross_sector_sharing(df: pl.DataFrame) -> alt.LayerChart:
    """Heatmap author sector × reader sector: share of the author sector's reads, with the number of reads."""
    d = _frame(df).with_columns(
        _labelled("author_sector", SECTORS).alias("author"),
        _labelled("reader_sector", SECTORS).alias("reader"),
    )
    order = list(SECTORS.values())
    base = alt.Chart(d).encode(
        x=alt.X(
            "reader:N",
            sort=order,
            title="Sector of the professional reading",
            axis=alt.Axis(labelAngle=-20, labelLimit=220),
        ),
        y=alt.Y("author:N", sort=order, title="Sector that wrote the document", axis=_label_axis(260)),
    )
    tooltip = [
        alt.Tooltip("author:N", title="Written in"),
        alt.Tooltip("reader:N", title="Read in"),
        alt.Tooltip("consultations:Q", title="Granted reads", format=COUNT),
        alt.Tooltip("documents:Q", title="Distinct documents read", format=COUNT),
        alt.Tooltip("readers:Q", title="Reading professionals", format=COUNT),
        alt.Tooltip(
            "share_of_author_consultations:Q", title="Share of the author sector's reads", format=PCT_TIP
        ),
        alt.Tooltip(
            "share_of_documents_read:Q", title="Share of the sector's documents read", format=PCT_TIP
        ),
    ]
    cells = base.mark_rect().encode(
        color=alt.Color(
            "share_of_author_consultations:Q",
            title="Share of the writing sector's reads",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=_legend(format=".0%", orient="right"),
        ),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("consultations:Q", format=COUNT),
        color=alt.condition(
            "datum.share_of_author_consultations > 0.5", alt.value("white"), alt.value("#1d1d1d")
        ),
        tooltip=tooltip,
    )
    return alt.layer(cells, text).properties(
        title=_title(
            "Sharing across care sectors: who reads whose documents in the DMP",
            "Numbers: granted reads by professionals other than the author; colour: share of that sector's reads",
        ),
        width=alt.Step(110),
        height=alt.Step(44),
    )


def lab_results_read_by_others(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per year: lab reports read by their prescriber and by other professionals."""
    d = _frame(df)
    measures = [
        ("Read by the prescriber of the test", "share_read_by_prescriber", "read_by_prescriber"),
        (
            "Read by another professional (not the prescriber, not the lab)",
            "share_read_by_other",
            "read_by_other",
        ),
    ]
    return _grouped_bars(
        _long(d, ["year", "lab_reports"], measures),
        x=_year(title="Year the lab report reached the DMP"),
        x_tip=alt.Tooltip("year:O", title="Year"),
        measures=[m[0] for m in measures],
        y_title="Lab reports fed that year (%)",
        legend_title="Lab reports",
        count_title="Lab reports",
        title=_title(
            "Lab reports (CR d'examens biologiques) read by the prescriber and by others",
            "Prescriber = author of the lab prescription (PRESC-BIO) fed to the DMP, else the médecin traitant",
        ),
    )


def professional_sharing_network(df: pl.DataFrame) -> alt.Chart:
    """Ranked horizontal bars: author → reader pairs by the number of patients shared."""
    d = _frame(df)
    who = lambda side: pl.coalesce(pl.col(f"{side}_specialty"), pl.col(f"{side}_profession"), pl.lit("?"))  # noqa: E731
    d = d.with_columns(
        pl.format(
            "{} #{} ({}) → {} #{} ({})",
            who("author"),
            pl.col("author_professional_id"),
            _labelled("author_sector", SECTORS_SHORT),
            who("reader"),
            pl.col("reader_professional_id"),
            _labelled("reader_sector", SECTORS_SHORT),
        ).alias("pair"),
        pl.when(pl.col("author_sector") == pl.col("reader_sector"))
        .then(pl.lit("Same care sector"))
        .otherwise(pl.lit("Across care sectors"))
        .alias("link"),
    ).sort(["patients", "consultations"], descending=True)
    return (
        alt.Chart(d)
        .mark_bar()
        .encode(
            x=alt.X(
                "patients:Q",
                title="Patients shared (the reader opened documents the author wrote about them)",
            ),
            y=alt.Y(
                "pair:N",
                sort=d["pair"].to_list(),
                title="Author → reader (profession or specialty #id, sector)",
                axis=_label_axis(420),
            ),
            color=alt.Color(
                "link:N", title="Pair", sort=["Same care sector", "Across care sectors"], legend=_legend()
            ),
            tooltip=[
                alt.Tooltip("pair:N", title="Author → reader"),
                alt.Tooltip("patients:Q", title="Patients shared", format=COUNT),
                alt.Tooltip("documents:Q", title="Documents read", format=COUNT),
                alt.Tooltip("consultations:Q", title="Granted reads", format=COUNT),
            ],
        )
        .properties(
            title=_title(
                "Pairs of professionals sharing the most through the DMP",
                "One writes documents, the other reads them (granted consultations); ranked by patients shared",
            ),
            width=360,
            height=alt.Step(18),
        )
    )


# ---------------------------------------------------------------------------------------------- adoption


def documents_per_month(df: pl.DataFrame) -> alt.VConcatChart:
    """Stacked areas by month: documents fed by type (top types + other); lines by the author's sector."""
    d = _frame(df).with_columns(pl.coalesce(pl.col("type_label"), pl.col("type_code")).alias("type_label"))
    top = (
        d.group_by("type_label")
        .agg(pl.col("documents").sum())
        .sort(["documents", "type_label"], descending=[True, False])
        .head(TOP_TYPES)["type_label"]
        .to_list()
    )
    other = "Other document types"
    by_type = _complete(
        d.with_columns(
            pl.when(pl.col("type_label").is_in(top))
            .then(pl.col("type_label"))
            .otherwise(pl.lit(other))
            .alias("type_group")
        )
        .group_by("month", "type_group")
        .agg(pl.col("documents").sum().cast(pl.Int64)),
        "month",
        "type_group",
        ["documents"],
    )
    by_sector = _complete(
        d.with_columns(_labelled("sector", SECTORS).alias("sector_label"))
        .group_by("month", "sector_label")
        .agg(pl.col("documents").sum().cast(pl.Int64)),
        "month",
        "sector_label",
        ["documents"],
    )
    types = [*top, other]
    by_type = by_type.with_columns(_rank("type_group", types).alias("type_order"))
    y_title = "Documents submitted to the DMP in the month"
    stacked = (
        alt.Chart(by_type)
        .mark_area()
        .encode(
            x=_month(),
            y=alt.Y("documents:Q", title=y_title, stack="zero"),
            color=alt.Color(
                "type_group:N", sort=types, title="Document type", legend=_legend(columns=2, labelLimit=300)
            ),
            order=alt.Order("type_order:Q"),
            tooltip=[
                _month_tip(),
                alt.Tooltip("type_group:N", title="Document type"),
                alt.Tooltip("documents:Q", title="Documents", format=COUNT),
            ],
        )
        .properties(title=_title("By document type (the most fed types)"))
    )
    lines = (
        alt.Chart(by_sector)
        .mark_line(point=False)
        .encode(
            x=_month(),
            y=alt.Y("documents:Q", title=y_title),
            color=alt.Color(
                "sector_label:N",
                sort=list(SECTORS.values()),
                title="Sector of the author",
                legend=_legend(columns=2, labelLimit=300),
            ),
            tooltip=[
                _month_tip(),
                alt.Tooltip("sector_label:N", title="Author's sector"),
                alt.Tooltip("documents:Q", title="Documents", format=COUNT),
            ],
        )
        .properties(title=_title("By sector of the author"), height=200)
    )
    return (
        alt.vconcat(stacked, lines)
        .resolve_scale(color="independent")
        .properties(
            title=_title(
                "Documents fed to the DMP each month",
                "Every version submitted counts, dated by its submission",
            )
        )
    )


def professionals_feeding_share(df: pl.DataFrame) -> alt.Chart:
    """Lines by month: share of the professionals of each profession who fed at least one document."""
    d = _frame(df).with_columns(
        pl.coalesce(pl.col("profession_label"), pl.col("profession_code")).alias("profession")
    )
    order = (
        d.group_by("profession")
        .agg(pl.col("professionals").max())
        .sort("professionals", descending=True)["profession"]
        .to_list()
    )
    return (
        alt.Chart(d)
        .mark_line()
        .encode(
            x=_month(),
            y=alt.Y(
                "share_feeding:Q",
                title="Professionals who fed the DMP that month (%)",
                axis=alt.Axis(format=PCT),
            ),
            color=alt.Color(
                "profession:N",
                sort=order,
                title="Profession",
                scale=_colors(len(order)),
                legend=_legend(columns=3),
            ),
            tooltip=[
                _month_tip(),
                alt.Tooltip("profession:N", title="Profession"),
                alt.Tooltip("share_feeding:Q", title="Share feeding", format=PCT_TIP),
                alt.Tooltip(
                    "share_feeding_of_equipped:Q", title="Share of the equipped ones feeding", format=PCT_TIP
                ),
                alt.Tooltip("feeding_professionals:Q", title="Professionals feeding", format=COUNT),
                alt.Tooltip(
                    "equipped_professionals:Q", title="Equipped with DMP-compatible software", format=COUNT
                ),
                alt.Tooltip("professionals:Q", title="Professionals", format=COUNT),
                alt.Tooltip("documents:Q", title="Documents fed", format=COUNT),
            ],
        )
        .properties(
            title=_title(
                "Professionals feeding the DMP each month, by profession",
                "Share of the professionals who authored at least one document submitted that month",
            )
        )
    )


def mes_activation_over_time(df: pl.DataFrame) -> alt.Chart:
    """Lines by month: share of the population with an open / activated profile, dataset vs national figures."""
    d = _frame(df)
    profiles = ["Open profile", "Activated profile"]
    sources = ["This dataset", "National figures (published)"]
    parts = []
    for profile, source, column, count in [
        (profiles[0], sources[0], "share_open", "open_profiles"),
        (profiles[1], sources[0], "share_activated", "activated_profiles"),
        (profiles[0], sources[1], "national_open_share", None),
        (profiles[1], sources[1], "national_activated_share", None),
    ]:
        parts.append(
            d.select(
                "month",
                pl.lit(profile, dtype=pl.String).alias("profile"),
                pl.lit(source, dtype=pl.String).alias("source"),
                pl.col(column).cast(pl.Float64).alias("share"),
                (pl.col(count) if count else pl.lit(None)).cast(pl.Int64).alias("people"),
            )
        )
    long = pl.concat(parts).filter(pl.col("share").is_not_null())
    return (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=_month(),
            y=alt.Y("share:Q", title="Share of the population alive (%)", axis=alt.Axis(format=PCT)),
            color=alt.Color(
                "profile:N", sort=profiles, title="Mon espace santé profile", legend=_legend(columns=1)
            ),
            strokeDash=alt.StrokeDash("source:N", sort=sources, title="Source", legend=_legend(columns=1)),
            tooltip=[
                _month_tip(),
                alt.Tooltip("profile:N", title="Profile"),
                alt.Tooltip("source:N", title="Source"),
                alt.Tooltip("share:Q", title="Share of the population", format=PCT_TIP),
                alt.Tooltip("people:Q", title="People", format=COUNT),
            ],
        )
        .properties(
            title=_title(
                "Mon espace santé (the patient's health space holding the DMP): open and activated profiles",
                "End of each month; a profile is open unless the person opposed it, activating it is their own step",
            )
        )
    )


def mandatory_document_compliance(df: pl.DataFrame) -> alt.Chart:
    """Lines with points by year: share of the encounters requiring a mandatory document that got one, by type."""
    d = _frame(df).with_columns(pl.coalesce(pl.col("type_label"), pl.col("type_code")).alias("type_label"))
    agg = (
        d.group_by("type_label", "year")
        .agg(
            pl.col("encounters_requiring").sum().cast(pl.Int64),
            pl.col("encounters_with_document").sum().cast(pl.Int64),
        )
        .with_columns(
            (
                pl.col("encounters_with_document")
                / pl.when(pl.col("encounters_requiring") > 0).then(pl.col("encounters_requiring"))
            ).alias("share_fed")
        )
        .sort("type_label", "year")
    )
    order = (
        agg.group_by("type_label")
        .agg(pl.col("encounters_requiring").sum())
        .sort("encounters_requiring", descending=True)["type_label"]
        .to_list()
    )
    return (
        alt.Chart(agg)
        .mark_line(point=True)
        .encode(
            x=_year(title="Year the encounter ended"),
            y=alt.Y(
                "share_fed:Q",
                title="Encounters that got the required document (%)",
                axis=alt.Axis(format=PCT),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "type_label:N",
                sort=order,
                title="Mandatory document type",
                scale=_colors(len(order)),
                legend=_legend(columns=2, labelLimit=300),
            ),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("type_label:N", title="Document type"),
                alt.Tooltip("share_fed:Q", title="Share fed", format=PCT_TIP),
                alt.Tooltip("encounters_with_document:Q", title="Encounters with the document", format=COUNT),
                alt.Tooltip("encounters_requiring:Q", title="Encounters requiring it", format=COUNT),
            ],
        )
        .properties(
            width=WIDTH,
            title=_title(
                "Documents the law requires in the DMP: how often they were fed",
                "Encounters (stays, tests, visits…) that required a document of the type once the obligation applied",
            ),
        )
    )


def consultations_per_month(df: pl.DataFrame) -> alt.VConcatChart:
    """Stacked areas by month × profession of consultation attempts; lines by access channel."""
    d = _frame(df).with_columns(
        pl.coalesce(pl.col("profession_label"), pl.col("profession_code")).alias("profession")
    )
    by_profession = _complete(
        d.group_by("month", "profession").agg(
            pl.col("attempts").sum().cast(pl.Int64),
            pl.col("granted").sum().cast(pl.Int64),
            pl.col("denied").sum().cast(pl.Int64),
        ),
        "month",
        "profession",
        ["attempts", "granted", "denied"],
    )
    order = (
        by_profession.group_by("profession")
        .agg(pl.col("attempts").sum())
        .sort(["attempts", "profession"], descending=[True, False])["profession"]
        .to_list()
    )
    by_profession = by_profession.with_columns(_rank("profession", order).alias("profession_order"))
    by_channel = (
        d.with_columns(_labelled("channel", CHANNELS).alias("channel_label"))
        .group_by("month", "channel_label")
        .agg(pl.col("attempts").sum().cast(pl.Int64), pl.col("granted").sum().cast(pl.Int64))
        .sort("month", "channel_label")
    )
    by_channel = _complete(by_channel, "month", "channel_label", ["attempts", "granted"])
    y_title = "Consultation attempts (granted or refused)"
    top = (
        alt.Chart(by_profession)
        .mark_area()
        .encode(
            x=_month(),
            y=alt.Y("attempts:Q", title=y_title, stack="zero"),
            color=alt.Color(
                "profession:N",
                sort=order,
                title="Profession of the reader",
                scale=_colors(len(order)),
                legend=_legend(columns=3),
            ),
            order=alt.Order("profession_order:Q"),
            tooltip=[
                _month_tip(),
                alt.Tooltip("profession:N", title="Profession"),
                alt.Tooltip("attempts:Q", title="Attempts", format=COUNT),
                alt.Tooltip("granted:Q", title="Granted", format=COUNT),
                alt.Tooltip("denied:Q", title="Refused", format=COUNT),
            ],
        )
        .properties(title=_title("By profession"))
    )
    bottom = (
        alt.Chart(by_channel)
        .mark_line()
        .encode(
            x=_month(),
            y=alt.Y("attempts:Q", title=y_title),
            color=alt.Color(
                "channel_label:N", sort=list(CHANNELS.values()), title="Access channel", legend=_legend()
            ),
            tooltip=[
                _month_tip(),
                alt.Tooltip("channel_label:N", title="Channel"),
                alt.Tooltip("attempts:Q", title="Attempts", format=COUNT),
                alt.Tooltip("granted:Q", title="Granted", format=COUNT),
            ],
        )
        .properties(title=_title("By access channel"), height=180)
    )
    return (
        alt.vconcat(top, bottom)
        .resolve_scale(color="independent")
        .properties(
            title=_title(
                "Professionals consulting the DMP each month", "Attempts to open a patient's documents"
            )
        )
    )


# ---------------------------------------------------------------------------------------------- chronic follow-up

HBA1C_BANDS = {"0": "No test", "1": "1 test", "2-3": "2-3 tests", "4+": "4 or more (HAS: one every 3 months)"}


def hba1c_tests_per_year(df: pl.DataFrame) -> alt.Chart:
    """100 % stacked bars per year: type 2 diabetics by number of HbA1c tests (0, 1, 2-3, 4+)."""
    d = _frame(df).with_columns(_labelled("band", HBA1C_BANDS).alias("band_label"))
    bands = list(HBA1C_BANDS.values())
    bands += [
        b for b in d.sort("band_order")["band_label"].unique(maintain_order=True).to_list() if b not in bands
    ]
    return (
        alt.Chart(d)
        .mark_bar()
        .encode(
            x=_year(),
            y=alt.Y(
                "share:Q", title="Type 2 diabetics of the year (%)", axis=alt.Axis(format=PCT), stack="zero"
            ),
            color=alt.Color(
                "band_label:N",
                sort=bands,
                title="HbA1c tests in the year",
                scale=alt.Scale(
                    domain=bands, range=["#c3423f", "#f3a712", "#9bc53d", "#29a36a", *PALETTE][: len(bands)]
                ),
                legend=_legend(columns=2),
            ),
            order=alt.Order("band_order:Q", sort="descending"),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("band_label:N", title="HbA1c tests"),
                alt.Tooltip("patients:Q", title="Patients", format=COUNT),
                alt.Tooltip("share:Q", title="Share of the diabetics", format=PCT_TIP),
            ],
        )
        .properties(
            width=WIDTH,
            title=_title(
                "HbA1c (glycated haemoglobin) tests of type 2 diabetics per year",
                "Diabetic all year long; HAS (French health authority) recommends one test every 3 months",
            ),
        )
    )


def diabetes_follow_up_indicators(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per year: share of type 2 diabetics with each recommended follow-up, and HbA1c control."""
    d = _frame(df)
    measures = [
        (
            "Fundus exam (ophthalmologist) that year or the year before",
            "share_fundus_exam_2y",
            "with_fundus_exam_2y",
        ),
        ("Creatinine test that year (kidney function)", "share_creatinine", "with_creatinine"),
        ("Urine albumin test that year (albuminuria)", "share_albuminuria", "with_albuminuria"),
        (
            "HbA1c controlled: last of the year < 7 % (of those tested)",
            "share_hba1c_controlled",
            "hba1c_controlled",
        ),
    ]
    return _grouped_bars(
        _long(d, ["year", "diabetics"], measures),
        x=_year(),
        x_tip=alt.Tooltip("year:O", title="Year"),
        measures=[m[0] for m in measures],
        y_title="Type 2 diabetics of the year (%)",
        legend_title="Follow-up recommended by the HAS",
        count_title="Patients",
        title=_title(
            "Follow-up of type 2 diabetics (HAS recommendations)",
            "HbA1c control: over the diabetics tested that year; results count even when not fed to the DMP",
        ),
    )


def diabetics_overdue(df: pl.DataFrame) -> alt.HConcatChart:
    """The overdue cohort: bars of the distribution of months since the last HbA1c; ranked bars of the GPs to remind."""
    d = _frame(df)
    band = pl.lit(NEVER_TESTED, dtype=pl.String)
    for label, low, high in reversed(OVERDUE_BANDS):
        cond = pl.col("months_since_last_hba1c") >= low
        if high is not None:
            cond = cond & (pl.col("months_since_last_hba1c") <= high)
        band = pl.when(cond).then(pl.lit(label)).otherwise(band)
    labels = [b[0] for b in OVERDUE_BANDS]
    d = d.with_columns(
        band.alias("band"),
        pl.when(pl.col("dmp_open").fill_null(False))
        .then(pl.lit("DMP open: a reminder can reach Mon espace santé"))
        .otherwise(pl.lit("No open DMP"))
        .alias("dmp"),
    )
    present = [i for i, lab in enumerate(labels) if lab in set(d["band"].to_list())]
    first = present[0] if present else 1
    bands = [*labels[first:], NEVER_TESTED]
    dmp_states = ["DMP open: a reminder can reach Mon espace santé", "No open DMP"]
    grid = pl.DataFrame({"band": bands}).join(pl.DataFrame({"dmp": dmp_states}), how="cross")
    dist = grid.join(
        d.group_by("band", "dmp").agg(pl.len().cast(pl.Int64).alias("patients")),
        on=["band", "dmp"],
        how="left",
    ).with_columns(pl.col("patients").fill_null(0))
    left = (
        alt.Chart(dist)
        .mark_bar()
        .encode(
            x=alt.X(
                "band:N", sort=bands, title="Time since the last HbA1c test", axis=alt.Axis(labelAngle=-30)
            ),
            y=alt.Y("patients:Q", title="Overdue type 2 diabetics", stack="zero"),
            color=alt.Color(
                "dmp:N", sort=dmp_states, title="Patient's DMP at that date", legend=_legend(columns=1)
            ),
            tooltip=[
                alt.Tooltip("band:N", title="Since the last HbA1c"),
                alt.Tooltip("dmp:N", title="DMP"),
                alt.Tooltip("patients:Q", title="Patients", format=COUNT),
            ],
        )
        .properties(title=_title("How long since their last HbA1c"), width=300)
    )
    gps = (
        d.with_columns(
            pl.when(pl.col("gp_professional_id").is_null())
            .then(pl.lit("No médecin traitant"))
            .otherwise(pl.format("Médecin traitant #{}", pl.col("gp_professional_id")))
            .alias("gp")
        )
        .group_by("gp")
        .agg(pl.len().cast(pl.Int64).alias("patients"))
        .sort(["patients", "gp"], descending=[True, False])
        .head(TOP_GPS)
    )
    right = (
        alt.Chart(gps)
        .mark_bar(color=PALETTE[1])
        .encode(
            x=alt.X("patients:Q", title="Overdue patients", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("gp:N", sort=gps["gp"].to_list(), title="Who should be reminded", axis=_label_axis(200)),
            tooltip=[
                alt.Tooltip("gp:N", title="Médecin traitant"),
                alt.Tooltip("patients:Q", title="Overdue patients", format=COUNT),
            ],
        )
        .properties(
            title=_title(f"Médecins traitants with the most overdue patients (top {TOP_GPS})"),
            width=220,
            height=alt.Step(16),
        )
    )
    return alt.hconcat(left, right).properties(
        title=_title(
            "Type 2 diabetics overdue for their HbA1c test (decision-support cohort)",
            f"{d.height:,} patients whose last HbA1c is too old or missing; HAS recommends one every 3 months",
        )
    )


def care_vs_dmp(df: pl.DataFrame) -> alt.HConcatChart:
    """Grouped horizontal bars of encounters vs encounters with a document, by kind; heatmap of the share by year."""
    d = _frame(df).with_columns(pl.coalesce(pl.col("kind_label"), pl.col("encounter_kind")).alias("kind"))
    totals = (
        d.group_by("kind")
        .agg(
            pl.col("encounters").sum().cast(pl.Int64),
            pl.col("encounters_with_document").sum().cast(pl.Int64),
        )
        .sort(["encounters", "kind"], descending=[True, False])
    )
    kinds = totals["kind"].to_list()
    measures = ["Care that happened (encounters)", "Encounters with a document in the DMP"]
    long = pl.concat(
        [
            totals.select("kind", pl.lit(measures[0]).alias("measure"), pl.col("encounters").alias("count")),
            totals.select(
                "kind",
                pl.lit(measures[1]).alias("measure"),
                pl.col("encounters_with_document").alias("count"),
            ),
        ]
    )
    # both panels share the rows: same band scale (paddings) and the same fixed height
    rows = alt.Scale(paddingInner=0.2, paddingOuter=0.1)
    height = 44 * max(len(kinds), 1)
    left = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("kind:N", sort=kinds, title="Kind of encounter", scale=rows, axis=_label_axis(260)),
            yOffset=alt.YOffset("measure:N", sort=measures),
            x=alt.X("count:Q", title="Encounters over the whole period"),
            color=alt.Color(
                "measure:N",
                sort=measures,
                title="Encounters",
                scale=alt.Scale(range=["#a8a8a8", PALETTE[0]]),
                legend=_legend(columns=1),
            ),
            tooltip=[
                alt.Tooltip("kind:N", title="Encounter"),
                alt.Tooltip("measure:N", title="Encounters"),
                alt.Tooltip("count:Q", title="Count", format=COUNT),
            ],
        )
        .properties(title=_title("Care vs DMP, whole period"), width=260, height=height)
    )
    heat = alt.Chart(d).encode(
        x=_year(title="Year the encounter started"),
        y=alt.Y(
            "kind:N",
            sort=kinds,
            title=None,
            scale=rows,
            axis=alt.Axis(labels=False, ticks=False, domain=False),
        ),
        tooltip=[
            alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("kind:N", title="Encounter"),
            alt.Tooltip("encounters:Q", title="Encounters", format=COUNT),
            alt.Tooltip("encounters_with_document:Q", title="With a document in the DMP", format=COUNT),
            alt.Tooltip("share_with_document:Q", title="Share with a document", format=PCT_TIP),
            alt.Tooltip("share_with_document_if_open:Q", title="Share when the DMP was open", format=PCT_TIP),
            alt.Tooltip("documents:Q", title="Documents", format=COUNT),
        ],
    )
    right = alt.layer(
        heat.mark_rect().encode(
            color=alt.Color(
                "share_with_document:Q",
                title="Encounters with a document in the DMP (%)",
                scale=alt.Scale(scheme="blues", domain=[0, 1]),
                legend=_legend(format=".0%", orient="bottom"),
            )
        ),
        heat.mark_text(fontSize=10).encode(
            text=alt.Text("share_with_document:Q", format=".0%"),
            color=alt.condition("datum.share_with_document > 0.5", alt.value("white"), alt.value("#1d1d1d")),
        ),
    ).properties(title=_title("Share with a document, by year"), width=alt.Step(44), height=height)
    return (
        alt.hconcat(left, right)
        .resolve_scale(color="independent", y="independent")
        .properties(
            title=_title(
                "What care happened versus what the DMP shows",
                "Encounters with at least one document in the DMP (documents with no encounter are left out)",
            )
        )
    )


# ---------------------------------------------------------------------------------------------- access audit


def emergency_access_rates(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per year: emergency-mode consultation attempts (bris de glace, centre 15) and refusals."""
    d = _frame(df).with_columns(
        (pl.col("emergency_denied_opt_out") / pl.when(pl.col("attempts") > 0).then(pl.col("attempts"))).alias(
            "share_opt_out"
        )
    )
    measures = [
        (
            "Bris de glace (break-the-glass by a professional facing an emergency)",
            "share_bris_de_glace",
            "bris_de_glace",
        ),
        ("Centre 15 (SAMU emergency call centre)", "share_centre_15", "centre_15"),
        ("Emergency access refused (patient opted out)", "share_opt_out", "emergency_denied_opt_out"),
    ]
    return _grouped_bars(
        _long(d, ["year", "attempts"], measures),
        x=_year(),
        x_tip=alt.Tooltip("year:O", title="Year"),
        measures=[m[0] for m in measures],
        y_title="DMP consultation attempts of the year (%)",
        legend_title="Emergency mode",
        count_title="Attempts",
        title=_title(
            "Emergency access to the DMP: bris de glace and centre 15",
            "Emergency modes bypass the access matrix unless the patient opted out",
        ),
    )


def denials_by_reason(df: pl.DataFrame) -> alt.Chart:
    """Stacked bars per year: refused consultation attempts as a share of all attempts, by reason."""
    d = _frame(df).with_columns(_labelled("reason", DENIAL_REASONS).alias("reason_label"))
    reasons = list(DENIAL_REASONS.values())
    reasons += [r for r in d["reason_label"].unique(maintain_order=True).to_list() if r not in reasons]
    return (
        alt.Chart(d)
        .mark_bar()
        .encode(
            x=_year(),
            y=alt.Y(
                "share_of_attempts:Q",
                title="Consultation attempts refused (%)",
                axis=alt.Axis(format=PCT),
                stack="zero",
            ),
            color=alt.Color(
                "reason_label:N", sort=reasons, title="Reason for the refusal", legend=_legend(columns=1)
            ),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("reason_label:N", title="Reason"),
                alt.Tooltip("denials:Q", title="Refused attempts", format=COUNT),
                alt.Tooltip("attempts:Q", title="All attempts of the year", format=COUNT),
                alt.Tooltip("share_of_attempts:Q", title="Share of the attempts", format=PCT_TIP),
                alt.Tooltip("share_of_denials:Q", title="Share of the refusals", format=PCT_TIP),
            ],
        )
        .properties(
            width=WIDTH,
            title=_title(
                "Why professionals' consultations of the DMP are refused",
                "Height of a bar = share of the year's consultation attempts refused",
            ),
        )
    )


def masked_documents(df: pl.DataFrame) -> alt.HConcatChart:
    """Ranked horizontal bars by document type: documents masked at least once; consultations the masking blocked."""
    d = (
        _frame(df)
        .with_columns(pl.coalesce(pl.col("type_label"), pl.col("type_code")).alias("type"))
        .sort(["ever_masked", "type"], descending=[True, False])
    )
    order = d["type"].to_list()
    y = alt.Y("type:N", sort=order, title="Document type", axis=_label_axis(260))
    tooltip = [
        alt.Tooltip("type:N", title="Document type"),
        alt.Tooltip("documents:Q", title="Documents in the DMP", format=COUNT),
        alt.Tooltip("ever_masked:Q", title="Masked at least once", format=COUNT),
        alt.Tooltip("masked_at_end:Q", title="Still masked at the end", format=COUNT),
        alt.Tooltip("share_ever_masked:Q", title="Share masked at least once", format=".2%"),
        alt.Tooltip("patients_masking:Q", title="Patients masking", format=COUNT),
        alt.Tooltip("denied_masked:Q", title="Consultations refused (masked)", format=COUNT),
    ]
    left = (
        alt.Chart(d)
        .mark_bar(color=PALETTE[4])
        .encode(
            y=y,
            x=alt.X("ever_masked:Q", title="Documents masked at least once", axis=alt.Axis(tickMinStep=1)),
            tooltip=tooltip,
        )
        .properties(title=_title("Documents patients masked"), width=260, height=alt.Step(20))
    )
    right = (
        alt.Chart(d)
        .mark_bar(color=PALETTE[1])
        .encode(
            y=alt.Y("type:N", sort=order, title=None, axis=alt.Axis(labels=False, ticks=False)),
            x=alt.X(
                "denied_masked:Q", title="Consultations refused because masked", axis=alt.Axis(tickMinStep=1)
            ),
            tooltip=tooltip,
        )
        .properties(title=_title("What masking blocked"), width=200, height=alt.Step(20))
    )
    return alt.hconcat(left, right).properties(
        title=_title(
            "Documents masked by patients (masqué aux professionnels de santé)",
            "A masked document is hidden from professionals other than its author and the médecin traitant",
        )
    )


def patients_viewing_access_history(df: pl.DataFrame) -> alt.Chart:
    """Grouped bars per year: activated patients who viewed their access history vs their documents."""
    d = _frame(df)
    measures = [
        (
            "Viewed their access history (who opened their DMP)",
            "share_viewing_history",
            "patients_viewing_history",
        ),
        (
            "Viewed at least one of their documents (for comparison)",
            "share_viewing_documents",
            "patients_viewing_documents",
        ),
    ]
    return _grouped_bars(
        _long(d, ["year", "activated_patients"], measures),
        x=_year(),
        x_tip=alt.Tooltip("year:O", title="Year"),
        measures=[m[0] for m in measures],
        y_title="Patients with an activated Mon espace santé (%)",
        legend_title="Patients who",
        count_title="Patients",
        title=_title(
            "Patients checking who accessed their DMP (historique des accès)",
            "Among patients who activated Mon espace santé, the patient's health space holding the DMP",
        ),
    )


CHARTS: dict[str, Callable[[pl.DataFrame], alt.TopLevelMixin]] = {
    # coordination
    "professionals_per_patient": professionals_per_patient,
    "discharge_letters_read_by_gp": discharge_letters_read_by_gp,
    "discharge_letter_read_delays": discharge_letter_read_delays,
    "cross_sector_sharing": cross_sector_sharing,
    "lab_results_read_by_others": lab_results_read_by_others,
    "professional_sharing_network": professional_sharing_network,
    # adoption
    "documents_per_month": documents_per_month,
    "professionals_feeding_share": professionals_feeding_share,
    "mes_activation_over_time": mes_activation_over_time,
    "mandatory_document_compliance": mandatory_document_compliance,
    "consultations_per_month": consultations_per_month,
    # chronic follow-up
    "hba1c_tests_per_year": hba1c_tests_per_year,
    "diabetes_follow_up_indicators": diabetes_follow_up_indicators,
    "diabetics_overdue": diabetics_overdue,
    "care_vs_dmp": care_vs_dmp,
    # access audit
    "emergency_access_rates": emergency_access_rates,
    "denials_by_reason": denials_by_reason,
    "masked_documents": masked_documents,
    "patients_viewing_access_history": patients_viewing_access_history,
}


def fidelity(df: pl.DataFrame) -> alt.LayerChart:
    """Relative error of each generated figure against the published one, with its tolerance band."""
    d = (
        _frame(df)
        .with_columns(
            pl.when(pl.col("tolerance_kind") == "absolute")
            .then(pl.col("tolerance") / pl.col("published").abs())
            .otherwise(pl.col("tolerance"))
            .alias("tolerance_rel"),
            pl.when(pl.col("passed"))
            .then(pl.lit("within tolerance"))
            .otherwise(pl.lit("outside tolerance"))
            .alias("verdict"),
        )
        .with_columns((-pl.col("tolerance_rel")).alias("low"), pl.col("tolerance_rel").alias("high"))
    )
    order = d["target"].to_list()
    y = alt.Y("target:N", sort=order, title=None, axis=_label_axis())
    band = (
        alt.Chart(d)
        .mark_bar(color="#e8e8e8", height=12)
        .encode(
            y=y,
            x=alt.X("low:Q", title="Generated vs published (relative error)", axis=alt.Axis(format=PCT)),
            x2="high:Q",
        )
    )
    points = (
        alt.Chart(d)
        .mark_point(filled=True, size=70)
        .encode(
            y=y,
            x="relative_error:Q",
            color=alt.Color(
                "verdict:N",
                title=None,
                scale=alt.Scale(
                    domain=["within tolerance", "outside tolerance"], range=["#29a36a", "#c3423f"]
                ),
                legend=_legend(),
            ),
            tooltip=[
                alt.Tooltip("description:N", title="Figure"),
                alt.Tooltip("published:Q", title="Published", format=".4~g"),
                alt.Tooltip("generated:Q", title="Generated", format=".4~g"),
                alt.Tooltip("relative_error:Q", title="Relative error", format=PCT_TIP),
                alt.Tooltip("source:N", title="Source"),
            ],
        )
    )
    rule = alt.Chart(pl.DataFrame({"x": [0.0]})).mark_rule(color="#555").encode(x="x:Q")
    return (band + rule + points).properties(
        width=WIDTH,
        title=_title(
            "How close the dataset is to published French figures",
            "Grey band: tolerance (the published figure's, widened for the sample size); dot: this dataset",
        ),
    )


# The public names: one chart function per analysis (the keys of CHARTS), the scorecard chart and the theme.
__all__ = ["CHARTS", "THEME", "fidelity", "use_theme", *CHARTS]
