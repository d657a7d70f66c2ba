"""The published Tables 1 and 3 of the reference study, row by row: what the example must print.

Each row is (label, cells) as our house style prints it. Labels are ours (the
reference's wording is not copied); counts, percentages and summaries are the
published ones. "Missing" rows the reference leaves out (LDH in Table 1, 1 patient;
status before infusion, 8 patients without bridging) are ours to show and are
listed separately.
"""

TABLE1_ROWS = [
    ("Median (min; max)", ("65.5 (20; 81)",)),
    ("Age ≥65 y", ("29", "(55.8%)")),
    ("Sex, male", ("30", "(57.7%)")),
    ("0-1", ("44", "(88.0%)")),
    ("≥2", ("6", "(12.0%)")),
    ("No", ("21", "(41.2%)")),
    ("Yes", ("30", "(58.8%)")),
    ("I-II", ("6", "(12.0%)")),
    ("III-IV", ("44", "(88.0%)")),
    ("0", ("1", "(2.1%)")),
    ("1", ("17", "(36.2%)")),
    ("2", ("28", "(59.6%)")),
    ("3", ("1", "(2.1%)")),
    ("LBCL", ("39", "(75.0%)")),
    ("Transformed FL or other indolent", ("12", "(23.1%)")),
    ("PMBL", ("1", "(1.9%)")),
    ("HCT-CI comorbidity evaluated", ("52", "(100.0%)")),
    ("At least 1 HCT-CI comorbidity", ("25", "(48.1%)")),
    ("Median (min; max)", ("2.0 (1; 6)",)),
    ("Prior autologous transplant", ("5", "(9.6%)")),
    ("Median (min; max)", ("1.46 (0.2; 21.0)",)),
    ("Refractory", ("41", "(85.4%)")),
    ("Relapse", ("7", "(14.6%)")),
    ("Bridging therapy", ("44", "(84.6%)")),
    ("Complete response", ("3", "(6.8%)")),
    ("Partial response", ("11", "(25.0%)")),
    ("Stable disease", ("4", "(9.1%)")),
    ("Progressive disease", ("25", "(56.8%)")),
    ("Not evaluated", ("1", "(2.3%)")),
    ("Tisa-cel", ("21", "(40.4%)")),
    ("Axi-cel", ("31", "(59.6%)")),
]
#: Missing counts in Table 1's order: ECOG 2, LDH 1, stage 2, aaIPI 5, leukapheresis status 4, infusion status 8.
TABLE1_MISSING = [2, 1, 2, 5, 4, 8]

TABLE3_ROWS = [
    ("Median (min; max)", ("71.0 (47; 80)",)),
    ("Age ≥65 y", ("10", "(66.7%)")),
    ("Sex, male", ("10", "(66.7%)")),
    ("0-1", ("13", "(86.7%)")),
    ("≥2", ("2", "(13.3%)")),
    ("No", ("7", "(50.0%)")),
    ("Yes", ("7", "(50.0%)")),
    ("I-II", ("2", "(15.4%)")),
    ("III-IV", ("11", "(84.6%)")),
    ("1", ("7", "(58.3%)")),
    ("2", ("4", "(33.3%)")),
    ("3", ("1", "(8.3%)")),
    ("LBCL", ("11", "(73.3%)")),
    ("Transformed FL or other indolent", ("3", "(20.0%)")),
    ("Transformed Hodgkin", ("1", "(6.7%)")),
    ("HCT-CI comorbidity evaluated", ("15", "(100.0%)")),
    ("At least 1 HCT-CI comorbidity", ("7", "(46.7%)")),
    ("Median (min; max)", ("3.0 (2; 7)",)),
    ("Prior autologous transplant", ("1", "(6.7%)")),
    ("Median (min; max)", ("1.62 (0.5; 18.2)",)),
    ("Refractory", ("14", "(100.0%)")),
    ("Complete response", ("2", "(13.3%)")),
    ("Partial response", ("3", "(20.0%)")),
    ("Progressive disease", ("10", "(66.7%)")),
    ("Tisa-cel", ("3", "(20.0%)")),
    ("Axi-cel", ("12", "(80.0%)")),
]
#: Missing counts in Table 3's order: LDH 1, stage 2, aaIPI 3, leukapheresis status 1.
TABLE3_MISSING = [1, 2, 3, 1]

#: Table 2: deaths and causes, overall then early (≤ 6 months) and late failures.
TABLE2_ROWS = [
    ("No", ("17", "(32.7%)", "8", "(19.0%)", "9", "(90.0%)")),
    ("Yes", ("35", "(67.3%)", "34", "(81.0%)", "1", "(10.0%)")),
    ("Progression", ("32", "(91.4%)", "31", "(91.2%)", "1", "(100.0%)")),
    ("Concurrent illness", ("2", "(5.7%)", "2", "(5.9%)", "0", "(0.0%)")),
    ("Late toxicity", ("1", "(2.9%)", "1", "(2.9%)", "0", "(0.0%)")),
]
TABLE2_MISSING: list[int] = []

#: Table 4: best response after CAR T in the 11 evaluable TL-pre patients, bORR and time to response.
TABLE4_ROWS = [
    ("Complete response", ("4", "(36.4%)")),
    ("Partial response", ("1", "(9.1%)")),
    ("Stable disease", ("1", "(9.1%)")),
    ("Progressive disease", ("4", "(36.4%)")),
    ("Not evaluated", ("1", "(9.1%)")),
    ("bORR", ("5", "(45.5%)")),
    ("95% confidence interval", ("(16.7%-76.6%)",)),
    ("N", ("5",)),
    ("Mean (SD)", ("0.97 (0.055)",)),
    ("Median", ("0.99",)),
    ("Q1; Q3", ("1.0; 1.0",)),
    ("P1; P99", ("0.9; 1.0",)),
]
#: Table 4's only "Missing" row is the time to response's, 0 (a statistic row, always shown).
TABLE4_MISSING = [0]
