"""Write dmpdata/reference/medicines.csv from the rows below, checking every ATC code against a WHO ATC list.

Usage (from the repository root):
    uv run python tools/build_medicines.py ATC_CSV

ATC_CSV is 'WHO ATC-DDD 2026-04-25.csv' of GitHub fabkury/atcd (commit 1e92aec7c52c7e324080416294bb8e68cf686685),
a scraped copy of the WHO ATC/DDD Index (columns atc_code, atc_name, ...). A code absent from it stops the build.
"""

import csv
import sys

with open(sys.argv[1], encoding="utf-8") as fh:
    atc = {r["atc_code"]: r for r in csv.DictReader(fh)}
# code, substance (FR DCI), form, strength, unit, daily_units, units_per_box
R = """A10BA02|metformine|comprimé pelliculé|850 mg|comprimé|2|90
A10BB09|gliclazide|comprimé à libération modifiée|60 mg|comprimé|1|90
A10BB12|glimépiride|comprimé|2 mg|comprimé|1|90
A10BH01|sitagliptine|comprimé|100 mg|comprimé|1|28
A10BH02|vildagliptine|comprimé|50 mg|comprimé|2|60
A10BD07|metformine + sitagliptine|comprimé|1000 mg/50 mg|comprimé|2|56
A10BD08|metformine + vildagliptine|comprimé|1000 mg/50 mg|comprimé|2|60
A10BJ02|liraglutide|stylo injectable|6 mg/ml (3 ml)|stylo|0.2|2
A10BJ05|dulaglutide|stylo injectable|1,5 mg|stylo|0.1429|4
A10BJ06|sémaglutide|stylo injectable|1 mg (4 doses)|dose|0.1429|4
A10BK01|dapagliflozine|comprimé|10 mg|comprimé|1|30
A10BK03|empagliflozine|comprimé|10 mg|comprimé|1|30
A10AE04|insuline glargine|stylo injectable|100 UI/ml (3 ml)|stylo|0.1|5
A10AE05|insuline détémir|stylo injectable|100 UI/ml (3 ml)|stylo|0.1|5
A10AE06|insuline dégludec|stylo injectable|100 UI/ml (3 ml)|stylo|0.1|5
A10AB05|insuline asparte|stylo injectable|100 UI/ml (3 ml)|stylo|0.1|5
A10AB04|insuline lispro|stylo injectable|100 UI/ml (3 ml)|stylo|0.1|5
C09AA05|ramipril|comprimé|5 mg|comprimé|1|90
C09AA04|périndopril|comprimé|5 mg|comprimé|1|90
C09AA02|énalapril|comprimé|20 mg|comprimé|1|28
C09CA01|losartan|comprimé|50 mg|comprimé|1|90
C09CA03|valsartan|comprimé|80 mg|comprimé|1|90
C09CA04|irbésartan|comprimé|150 mg|comprimé|1|90
C09CA06|candésartan|comprimé|8 mg|comprimé|1|90
C09DX04|sacubitril + valsartan|comprimé|49 mg/51 mg|comprimé|2|56
C08CA01|amlodipine|gélule|5 mg|gélule|1|90
C03AA03|hydrochlorothiazide|comprimé|25 mg|comprimé|1|30
C03BA11|indapamide|comprimé à libération prolongée|1,5 mg|comprimé|1|90
C03CA01|furosémide|comprimé|40 mg|comprimé|1|30
C03DA01|spironolactone|comprimé|25 mg|comprimé|1|90
C03DA04|éplérénone|comprimé|25 mg|comprimé|1|30
C07AB07|bisoprolol|comprimé|2,5 mg|comprimé|1|90
C07AB12|nébivolol|comprimé|5 mg|comprimé|1|90
C07AB02|métoprolol|comprimé à libération prolongée|95 mg|comprimé|1|28
C07AG02|carvédilol|comprimé|12,5 mg|comprimé|2|56
C10AA05|atorvastatine|comprimé pelliculé|20 mg|comprimé|1|90
C10AA07|rosuvastatine|comprimé|10 mg|comprimé|1|90
C10AA01|simvastatine|comprimé|20 mg|comprimé|1|84
C10AX09|ézétimibe|comprimé|10 mg|comprimé|1|90
B01AC06|acide acétylsalicylique|poudre pour solution buvable en sachet-dose|75 mg|sachet|1|30
B01AC04|clopidogrel|comprimé|75 mg|comprimé|1|90
B01AC24|ticagrelor|comprimé|90 mg|comprimé|2|56
B01AF02|apixaban|comprimé pelliculé|5 mg|comprimé|2|60
B01AF01|rivaroxaban|comprimé|20 mg|comprimé|1|28
B01AE07|dabigatran étexilate|gélule|150 mg|gélule|2|60
B01AA12|fluindione|comprimé|20 mg|comprimé|1|30
B01AA03|warfarine|comprimé|5 mg|comprimé|1|30
C01BD01|amiodarone|comprimé|200 mg|comprimé|1|30
C01AA05|digoxine|comprimé|0,25 mg|comprimé|1|30
R03AC02|salbutamol|inhalateur (aérosol doseur)|100 µg/dose (200 doses)|dose|2|200
R03AC13|formotérol|inhalateur (poudre)|12 µg/dose (60 doses)|dose|2|60
R03AC12|salmétérol|inhalateur (aérosol doseur)|25 µg/dose (120 doses)|dose|4|120
R03BB04|tiotropium|inhalateur (solution, Respimat)|2,5 µg/dose (60 doses)|dose|2|60
R03BA02|budésonide|inhalateur (poudre)|200 µg/dose (200 doses)|dose|2|200
R03BA01|béclométasone|inhalateur (aérosol doseur)|250 µg/dose (200 doses)|dose|2|200
R03BA05|fluticasone|inhalateur (aérosol doseur)|125 µg/dose (120 doses)|dose|2|120
R03AK07|formotérol + budésonide|inhalateur (poudre)|200 µg/6 µg (120 doses)|dose|2|120
R03AK06|salmétérol + fluticasone|inhalateur (poudre)|50 µg/250 µg (60 doses)|dose|2|60
R03AK08|formotérol + béclométasone|inhalateur (aérosol doseur)|100 µg/6 µg (120 doses)|dose|2|120
R03AK10|vilantérol + fluticasone (furoate)|inhalateur (poudre)|92 µg/22 µg (30 doses)|dose|1|30
R03AL03|vilantérol + uméclidinium|inhalateur (poudre)|55 µg/22 µg (30 doses)|dose|1|30
R03AL06|olodatérol + tiotropium|inhalateur (solution, Respimat)|2,5 µg/2,5 µg (60 doses)|dose|2|60
R03AL09|formotérol + glycopyrronium + béclométasone|inhalateur (aérosol doseur)|87 µg/5 µg/9 µg (120 doses)|dose|4|120
R03AL08|vilantérol + uméclidinium + fluticasone (furoate)|inhalateur (poudre)|92 µg/55 µg/22 µg (30 doses)|dose|1|30
R03DC03|montélukast|comprimé|10 mg|comprimé|1|28
N06AB06|sertraline|gélule|50 mg|gélule|1|28
N06AB10|escitalopram|comprimé|10 mg|comprimé|1|28
N06AB05|paroxétine|comprimé|20 mg|comprimé|1|28
N06AB03|fluoxétine|gélule|20 mg|gélule|1|28
N06AX16|venlafaxine|gélule à libération prolongée|75 mg|gélule|1|30
N06AX11|mirtazapine|comprimé|15 mg|comprimé|1|30
N06AX21|duloxétine|gélule|60 mg|gélule|1|28
N05AH03|olanzapine|comprimé|10 mg|comprimé|1|28
N05AH04|quétiapine|comprimé à libération prolongée|300 mg|comprimé|1|60
N05AX08|rispéridone|comprimé|2 mg|comprimé|2|60
N05AX12|aripiprazole|comprimé|10 mg|comprimé|1|28
N05AN01|lithium|comprimé à libération prolongée|400 mg|comprimé|2|60
N03AG01|acide valproïque|comprimé gastro-résistant|500 mg|comprimé|2|30
N06DA02|donépézil|comprimé|10 mg|comprimé|1|28
N06DA03|rivastigmine|dispositif transdermique|9,5 mg/24 h|dispositif|1|30
N06DX01|mémantine|comprimé|20 mg|comprimé|1|28
N04BA02|lévodopa + inhibiteur de la décarboxylase (bensérazide ou carbidopa)|gélule|100 mg/25 mg|gélule|3|60
N04BC05|pramipexole|comprimé|0,18 mg|comprimé|3|30
N04BC04|ropinirole|comprimé à libération prolongée|4 mg|comprimé|1|28
N03AX14|lévétiracétam|comprimé|500 mg|comprimé|2|60
N03AX09|lamotrigine|comprimé|100 mg|comprimé|2|30
N05BA12|alprazolam|comprimé|0,25 mg|comprimé|2|30
N05CF02|zolpidem|comprimé|10 mg|comprimé|1|14
L04AX03|méthotrexate|solution injectable en seringue préremplie|15 mg|seringue|0.1429|4
L04AB04|adalimumab|stylo injectable|40 mg|stylo|0.0714|2
L04AB01|étanercept|stylo injectable|50 mg|stylo|0.1429|4
P01BA02|hydroxychloroquine|comprimé|200 mg|comprimé|2|30
A07EC02|mésalazine|comprimé gastro-résistant|800 mg|comprimé|3|90
A07EC01|sulfasalazine|comprimé gastro-résistant|500 mg|comprimé|4|100
H03AA01|lévothyroxine|comprimé|75 µg|comprimé|1|90
M04AA01|allopurinol|comprimé|100 mg|comprimé|1|28
A02BC01|oméprazole|gélule gastro-résistante|20 mg|gélule|1|28
A02BC05|ésoméprazole|comprimé gastro-résistant|20 mg|comprimé|1|28
H02AB06|prednisolone|comprimé orodispersible|20 mg|comprimé|1|20
H02AB07|prednisone|comprimé|20 mg|comprimé|1|20
A11CC05|colécalciférol|solution buvable en ampoule|100 000 UI|ampoule|0.0111|1
G04CA02|tamsulosine|gélule à libération prolongée|0,4 mg|gélule|1|30
L02BA01|tamoxifène|comprimé|20 mg|comprimé|1|30
L02BG04|létrozole|comprimé|2,5 mg|comprimé|1|30
L02BG03|anastrozole|comprimé|1 mg|comprimé|1|28
L02AE02|leuproréline|poudre et solvant pour suspension injectable|11,25 mg (3 mois)|seringue|0.0111|1
N02BE01|paracétamol|comprimé|1 g|comprimé|3|8
M01AE01|ibuprofène|comprimé|400 mg|comprimé|3|30
N02AX02|tramadol|gélule|50 mg|gélule|3|30
J01CA04|amoxicilline|gélule|500 mg|gélule|6|12
J01CR02|amoxicilline + acide clavulanique|comprimé|1 g/125 mg|comprimé|2|8
J01FA10|azithromycine|comprimé|250 mg|comprimé|2|6
J01FG01|pristinamycine|comprimé|500 mg|comprimé|6|16
J05AR20|bictégravir + emtricitabine + ténofovir alafénamide|comprimé|50 mg/200 mg/25 mg|comprimé|1|30
J05AR25|dolutégravir + lamivudine|comprimé|50 mg/300 mg|comprimé|1|30
J05AR03|emtricitabine + ténofovir disoproxil|comprimé|200 mg/245 mg|comprimé|1|30"""
SRC = (
    "WHO ATC/DDD Index (https://atcddd.fhi.no/atc_ddd_index/) via its scraped copy in GitHub fabkury/atcd, "
    "file 'WHO ATC-DDD 2026-04-25.csv', commit 1e92aec7c52c7e324080416294bb8e68cf686685 [S]; read 2026-12-08"
)
DOSE = "assumption: usual French adult presentation and dosing, not checked against ANSM BDPM (no BDPM access in this step)"

OV = {
    "A10BA02": "verified [S]: METFORMINE SANDOZ 850 mg, comprimé pelliculé, plaquettes of 30 and 90 (guide-medicament.com page reproducing ANSM BDPM, http://guide-medicament.com/medicaments/metformine-sandoz-850-mg); posology 2 to 3 times a day (ANSM SmPC section 4.2, e.g. https://base-donnees-publique.medicaments.gouv.fr/affichageDoc.php?specid=69046402&typedoc=R); choice of 2/day and of the 90 box = assumption; read 2026-12-08",
    "C10AA05": "verified: ATORVASTATINE TEVA 20 mg, comprimé pelliculé sécable, boxes of 30 and 90 (ANSM BDPM, http://base-donnees-publique.medicaments.gouv.fr/medicament/60874050/extrait); once a day = assumption (usual statin intake); read 2026-12-08",
    "C08CA01": "verified [S]: AMLOR 5 mg gélule, boxes of 30 and 90 (VIDAL, https://www.vidal.fr/medicaments/amlor-5-mg-gel-840.html); 1 gélule once a day (maiia.com posology of AMLODIPINE SUN 5 mg); read 2026-12-08",
    "B01AC06": "verified [S]: KARDEGIC 75 mg, poudre pour solution buvable en sachet-dose, 30 sachets, CIS 64755969 (guide-medicament.com page reproducing ANSM BDPM, http://guide-medicament.com/medicaments/kardegic-75-mg); 1 sachet a day (pharmacy leaflet copy); read 2026-12-08",
    "B01AF02": "verified: ELIQUIS 5 mg, comprimé pelliculé, box of 60 (ANSM BDPM, http://base-donnees-publique.medicaments.gouv.fr/extrait.php?specid=61902218); 2 a day (1 matin et soir, maiia.com posology [S]); read 2026-12-08",
    "N02BE01": "verified [S]: paracetamol 1 g boxes hold at most 8 units in France (8 g cap, unpharmacien.fr, http://www.unpharmacien.fr/ce-que-vous-ne-saviez-pas-sur-le-doliprane/); usual 3 g a day = 3 units (informationhospitaliere.com on Doliprane 1000); read 2026-12-08",
}
HEADER = [
    "atc_code",
    "substance",
    "atc_name_who",
    "atc_class",
    "class_label",
    "form",
    "strength",
    "unit",
    "daily_units",
    "units_per_box",
    "evidence",
    "dosing_evidence",
    "source",
    "dosing_source",
]
rows, seen, bad = [], set(), []
for line in R.splitlines():
    c, s, f, st, u, d, b = line.split("|")
    assert c not in seen, c
    seen.add(c)
    if c not in atc or c[:5] not in atc:
        bad.append(c)
        continue
    dose_ev = "verified" if c in OV else "assumption"
    who, cls = atc[c]["atc_name"], atc[c[:5]]["atc_name"]
    rows.append([c, s, who, c[:5], cls, f, st, u, d, b, "verified", dose_ev, SRC, OV.get(c, DOSE)])
if bad:
    sys.exit(f"codes not in the WHO ATC list: {bad}")
with open("dmpdata/reference/medicines.csv", "w", encoding="utf-8", newline="") as fh:
    out = csv.writer(fh, lineterminator="\n")
    out.writerow(HEADER)
    out.writerows(rows)
print(f"{len(rows)} rows written")
