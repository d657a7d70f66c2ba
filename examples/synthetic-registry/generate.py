#!/usr/bin/env python3
"""Generate the SYNTHETIC CAR T registry export of the reportgen example.

Nobody in these files exists: every patient, date and value is made up here, with
numpy, from a seed. Three kinds of patients are made:

* the TL-post-CAR-T set (52 patients whose first treatment for progression after
  CAR T is tafasitamab-lenalidomide) and the TL-pre-CAR-T set (15 patients given
  tafasitamab-lenalidomide before CAR T) are calibrated: built record by record so
  that the counts, medians and ranges of the published paper come out exactly, at
  any seed and any size. Event times sit at anchored spread quantiles, so survival
  medians land where wanted; the seed only decides which patient gets which record.
* the bulk, everyone else, is drawn in whole numpy arrays from plausible large B-cell
  lymphoma CAR T distributions. Its comparison cohort (patients treated for
  progression with something other than tafasitamab-lenalidomide or loncastuximab)
  has an exact size and treatment mix at 1,500 patients and scales with the rest;
  its weighting variables are drawn in quotas close to the TL-post set's and its
  outcomes from latent times by first treatment, so that the example's weighted
  comparisons balance and their control arms land near the paper's.

``--patients`` is the size of the third-line-or-later ("L3+") cohort; the patients
given CAR T in second line (about 4% of the registry) are added on top.

Usage::

    python examples/synthetic-registry/generate.py --out examples/synthetic-registry/data \\
        --patients 1500 --seed 20240820
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from reportgen.data.schema import REGISTRY_TABLES, TableSchema  # noqa: E402

# --- Calendar -------------------------------------------------------------------------

INFUSION_FIRST = np.datetime64("2018-08-01", "D")
INFUSION_LAST = np.datetime64("2023-06-30", "D")
DATA_CUTOFF = np.datetime64("2023-09-01", "D")
TAFA_LEN_FIRST_USE = np.datetime64("2020-08-01", "D")  # no TAFA-LEN line starts earlier
NAT = np.datetime64("NaT", "D")
NORMAL = NormalDist()
DAYS_PER_YEAR = 365.25
BIRTHDAY_MARGIN = 30  # days kept between a birthday and the eligibility date
ALIVE_LAG_MEAN = 40  # mean days from an alive patient's last contact to the cut-off
ALIVE_LAG_MAX = 180
ELIGIBILITY_TO_LEUKAPHERESIS_MAX = 21
LEUKAPHERESIS_TO_INFUSION = {True: (28, 57), False: (21, 43)}  # days, bridged or not
BRIDGING_WASHOUT_MIN = 3  # days from the end of a bridging line to infusion
CAR_T_ASSESSMENT_DAYS = (28, 36)  # first response assessment after infusion
CAR_T_LATE_ASSESSMENT_DAYS = (85, 96)  # the day-90 assessment some CRs are dated at
CAR_T_LATE_ASSESSMENT_SHARE = 0.3
TAFA_LEN_ASSESSMENT_DAY = 56  # first response assessment after two cycles
BIOPSY_BEFORE_ELIGIBILITY = (3, 46)  # days; pre-CAR T biopsies
BIOPSY_AFTER_PROGRESSION = 3  # days

# --- Registry size and composition ------------------------------------------------

REFERENCE_COHORT = 1500  # the L3+ cohort size at which the comparison sizes are exact
SECOND_LINE_SHARE = 0.04  # share of the registry given CAR T in second line
N_CENTERS = 60
TL_POST_SIZE = 52
TL_PRE_SIZE = 15
CALIBRATED_SIZE = TL_POST_SIZE + TL_PRE_SIZE

# First treatment for progression of the comparison cohort (complete weighting
# variables), at the reference size: IMiD 167 (LEN 52), chemotherapy 91, bispecific 35,
# others 61; 354 in all.
COMPARISON_MIX: dict[str, int] = {
    "LEN": 52, "R2": 85, "IMID-OTHER": 30,
    "R-DHAP": 12, "R-ICE": 10, "R-GEMOX": 25, "POLA-BR": 28, "R-BENDA": 8, "CHEMO-OTHER": 8,
    "GLOFITAMAB": 20, "EPCORITAMAB": 10, "MOSUNETUZUMAB": 5,
    "RADIOTHERAPY": 25, "ALLOGENEIC-SCT": 8, "KINASE-INHIBITOR": 6,
    "CHECKPOINT-INHIBITOR": 7, "OTHER": 15,
}
COMPARISON_INCOMPLETE = 48  # treated like the comparison but missing one weighting variable
LONCASTUXIMAB_TREATED = 10
UNTREATED_PROGRESSORS = 380  # progress after CAR T and are never treated for it
WEIGHTING_GAPS = {"status_before_leukapheresis": 0.35, "ldh_elevated": 0.25, "ecog": 0.2,
                  "ann_arbor_stage": 0.2}
REGISTRY_GAP_RATE = 0.03  # chance that a bulk patient misses each weighting variable
MIN_PATIENTS = 800

# --- Bulk distributions -----------------------------------------------------------

AGE_MEAN, AGE_SD, AGE_MIN, AGE_MAX = 60, 12, 18, 84
MALE_SHARE = 0.6
AXI_CEL_SHARE = 0.6
BRIDGING_SHARE = 0.65
HCTCI_EVALUATED_SHARE = 0.85
TOXICITY_EVALUATED_SHARE = 0.97
BIOPSY_SHARE = 0.4
HISTOLOGY = {"LBCL": 0.75, "TFL": 0.12, "TIND": 0.05, "PMBL": 0.06, "THL": 0.02}
TRANSFORMED = ("TFL", "TIND", "THL")
TRANSFORMED_HISTORY_FACTOR = 2.5  # transformed lymphomas have a longer history
L3_CAR_T_LINE = {3: 0.55, 4: 0.27, 5: 0.11, 6: 0.05, 7: 0.02}
PRIOR_LINES_MATCH_SHARE = 0.8  # recorded prior lines = car_t_line - 1; else one off
DIAGNOSIS_DAYS_MEDIAN, DIAGNOSIS_DAYS_SIGMA = 540, 0.9
DIAGNOSIS_DAYS_MIN, DIAGNOSIS_DAYS_MAX, DAYS_PER_PRIOR_LINE = 90, 9000, 45
ASCT_SHARE, ASCT_AGE_LIMIT = 0.25, 70
ECOG = {0: 0.4, 1: 0.45, 2: 0.12, 3: 0.03}
LDH_ELEVATED_SHARE = 0.55
STAGE = {1: 0.08, 2: 0.12, 3: 0.25, 4: 0.55}
REFRACTORY_SHARE = 0.7
HCTCI_SCORE = {0: 0.5, 1: 0.2, 2: 0.15, 3: 0.1, 4: 0.05}
CD19 = {"positive": 0.82, "negative": 0.06, "not_done": 0.12}
SECOND_LINE_COURSE = {"treated": 0.34, "untreated": 0.11, "progression_free": 0.55}

# Days from infusion to progression, progression to treatment, treatment to death or
# second progression, and so on (lognormal: median, sigma, clip low, clip high).
PROGRESSION_TREATED = (80, 0.95, 10, 900)
PROGRESSION_UNTREATED = (55, 0.8, 7, 900)
TREATMENT_GAP = (12, 0.8, 0, 120)  # progression to first treatment
DEATH_AFTER_TREATMENT = (170, 0.9, 5, 700)
PROGRESSION_AFTER_TREATMENT = (75, 0.8, 7, 700)
DEATH_UNTREATED = (45, 0.8, 1, 365)
DEATH_WITHOUT_PROGRESSION = (150, 1.2, 3, 1500)
DEATH_SHARE = {"treated": 0.68, "untreated": 0.78, "progression_free": 0.09}
UNTREATED_ALIVE_FOLLOW_UP = (7, 120)  # days from progression to last contact
MIN_FOLLOW_UP = 14  # days of follow-up after the last scheduled event of an alive patient
SECOND_POST_LINE_SHARE = 0.5
SECOND_POST_LINE_GAP = (3, 15)  # days from the second progression to a further line
MIN_ASSESSABLE_DAYS = 21  # days on a treatment before a response can be assessed
POST_RESPONSE_LONG_DAYS = 90  # a first treatment lasting this long may have responded
ACUTE_TOXICITY_WINDOW = 90

DEATH_CAUSE_PROGRESSOR = {"progression": 0.9, "concurrent_illness": 0.04,
                          "late_toxicity": 0.03, "other": 0.02, "unknown": 0.01}
DEATH_CAUSE_EARLY_NRM = {"acute_toxicity": 0.6, "concurrent_illness": 0.15,
                         "other": 0.15, "unknown": 0.1}
DEATH_CAUSE_LATE_NRM = {"late_toxicity": 0.35, "concurrent_illness": 0.35,
                        "other": 0.15, "unknown": 0.15}

CAR_T_RESPONSE_PROGRESSOR = {"CR": 0.3, "PR": 0.35, "SD": 0.15, "PD": 0.15, None: 0.05}
CAR_T_RESPONSE_PROGRESSION_FREE = {"CR": 0.78, "PR": 0.14, "SD": 0.03, "NE": 0.02, None: 0.03}
FRONTLINE_RESPONSE = {"CR": 0.5, "PR": 0.2, "SD": 0.1, "PD": 0.15, "NE": 0.02, None: 0.03}
LATER_RESPONSE = {"CR": 0.15, "PR": 0.25, "SD": 0.15, "PD": 0.38, "NE": 0.02, None: 0.05}
BRIDGING_RESPONSE = {"CR": 0.04, "PR": 0.22, "SD": 0.2, "PD": 0.48, "NE": 0.06}
POST_RESPONSE_LONG = {"CR": 0.25, "PR": 0.35, "SD": 0.3, None: 0.1}
POST_RESPONSE_SHORT = {"PD": 0.7, "NE": 0.1, None: 0.2}
UNBRIDGED_STATUS = {None: 0.85, "SD": 0.05, "PD": 0.1}
DATED_RESPONSES = ("CR", "PR", "SD")

CRS_GRADE = {"axi-cel": {0: 0.1, 1: 0.45, 2: 0.35, 3: 0.08, 4: 0.02},
             "tisa-cel": {0: 0.35, 1: 0.4, 2: 0.18, 3: 0.05, 4: 0.02}}
ICANS_GRADE = {"axi-cel": {0: 0.45, 1: 0.2, 2: 0.15, 3: 0.14, 4: 0.06},
               "tisa-cel": {0: 0.75, 1: 0.12, 2: 0.06, 3: 0.05, 4: 0.02}}
TOCILIZUMAB_SHARE = {"crs_2_plus": 0.85, "crs_1": 0.3}
ICU_SHARE = {"grade_3_plus": 0.7, "any": 0.05}
PROLONGED_CYTOPENIA_SHARE = 0.4
INFECTION_SHARE = 0.2

# --- Comparison cohort ------------------------------------------------------------
# The patients whose first treatment for progression is neither TAFA-LEN nor
# loncastuximab (COMPARISON_MIX and COMPARISON_INCOMPLETE) are the control arms of the
# example's weighted comparisons, so their weighting variables are drawn close to those
# of the TL-post set's 43 complete patients (age 63 +/- 13, male 53%, ECOG >= 2 12%, LDH
# elevated 60%, stage III-IV 91%, refractory 86%, axi-cel 65%, bridged 88%, early
# failure 79%), with small shifts that leave moderate confounding: the other regimens
# go to younger, fitter patients (ECOG >= 2 9%) who failed CAR T a little earlier;
# lenalidomide alone to older, frailer ones (ECOG >= 2 17%), more often early failures,
# less often bridged or given axi-cel. Each share is a quota: exact (to the nearest
# patient) within each stratum of first treatment (LEN or other) and completeness, at
# any seed and size; ages sit at spread normal quantiles. The shifts were tuned at the
# default seed so that the example's weighting balances every variable (|SMD| < 0.15)
# with a treated effective sample size above 30: shifts that all favour the same few
# treated patients give them large weights and are avoided.
COMPARISON_PROFILE = {  # age is (mean, SD); the rest are shares of the stratum
    "LEN": {"age": (66, 11), "male": 0.55, "ecog_2_plus": 0.17, "ldh_elevated": 0.63,
            "stage_3_4": 0.90, "refractory": 0.84, "axi_cel": 0.60, "bridged": 0.84,
            "early_failure": 0.88},
    "other": {"age": (60, 12), "male": 0.52, "ecog_2_plus": 0.09, "ldh_elevated": 0.56,
              "stage_3_4": 0.89, "refractory": 0.86, "axi_cel": 0.68, "bridged": 0.88,
              "early_failure": 0.84},
}
EARLY_FAILURE_DAYS = 182  # a first treatment for progression within 6 months of infusion
# Days from infusion to the first treatment for progression (lognormal median, sigma,
# low, high), drawn within the early or late range only.
COMPARISON_EARLY_TREATMENT = (75, 0.6, 21, EARLY_FAILURE_DAYS)
COMPARISON_LATE_TREATMENT = (300, 0.5, EARLY_FAILURE_DAYS + 1, 1400)
# Outcomes after the first treatment start are latent lognormal times (median days,
# sigma): death and a second progression, by first treatment; a time beyond the end of
# follow-up is censored. Lenalidomide alone does worse than the other regimens. Late
# failures' times are stretched by COMPARISON_LATE_FAILURE_FACTOR.
COMPARISON_DEATH = {"LEN": (92, 1.4), "other": (155, 1.3)}
COMPARISON_SECOND_PROGRESSION = {"LEN": (110, 1.8), "other": (130, 1.5)}
COMPARISON_LATE_FAILURE_FACTOR = 1.6
# Alive patients whose registry follow-up stops before the cut-off (last contact on a
# uniform day between the first treatment and the cut-off).
COMPARISON_LOST_SHARE = 0.5
# Best response to the first treatment for progression: quotas of the stratum, given to
# patients progression-free for at least COMPARISON_RESPONDER_MIN_DAYS (a first
# assessment after two months); the other long ones (POST_RESPONSE_LONG_DAYS or more)
# are stable or unevaluated.
COMPARISON_RESPONSE = {"LEN": {"CR": 0.12, "PR": 0.04}, "other": {"CR": 0.14, "PR": 0.095}}
COMPARISON_RESPONDER_MIN_DAYS = 56
COMPARISON_LONG_NON_RESPONSE = {"SD": 0.75, None: 0.25}

# --- Treatment lines --------------------------------------------------------------

REGIMEN_DAYS = {  # typical length of a line
    "R-CHOP": 126, "R-DHAP": 63, "R-ICE": 63, "R-GEMOX": 84, "POLA-BR": 105, "R-BENDA": 105,
    "CHEMO-OTHER": 70, "TAFA-LEN": 180, "LEN": 120, "R2": 150, "IMID-OTHER": 120,
    "GLOFITAMAB": 250, "EPCORITAMAB": 200, "MOSUNETUZUMAB": 170, "RADIOTHERAPY": 25,
    "ALLOGENEIC-SCT": 45, "KINASE-INHIBITOR": 120, "CHECKPOINT-INHIBITOR": 120,
    "LONCASTUXIMAB": 105, "OTHER": 70,
}
ASCT_EXTRA_DAYS = 35
FRONTLINE = {"R-CHOP": 0.92, "CHEMO-OTHER": 0.08}
SALVAGE = {"R-DHAP": 0.3, "R-ICE": 0.25, "R-GEMOX": 0.2, "POLA-BR": 0.1, "CHEMO-OTHER": 0.1,
           "RADIOTHERAPY": 0.05}
ASCT_SALVAGE = {"R-DHAP": 0.6, "R-ICE": 0.4}
LATER_LINES = {"POLA-BR": 0.2, "R-GEMOX": 0.15, "R-BENDA": 0.1, "LEN": 0.08, "R2": 0.08,
               "RADIOTHERAPY": 0.12, "CHEMO-OTHER": 0.12, "KINASE-INHIBITOR": 0.03,
               "CHECKPOINT-INHIBITOR": 0.03, "OTHER": 0.09}
BRIDGING = {"R-GEMOX": 0.2, "POLA-BR": 0.2, "RADIOTHERAPY": 0.25, "CHEMO-OTHER": 0.15,
            "R-DHAP": 0.05, "R-BENDA": 0.05, "OTHER": 0.1}
SECOND_POST_LINE = {"GLOFITAMAB": 0.15, "EPCORITAMAB": 0.1, "POLA-BR": 0.15, "R-GEMOX": 0.1,
                    "LEN": 0.1, "R2": 0.05, "RADIOTHERAPY": 0.15, "LONCASTUXIMAB": 0.05,
                    "ALLOGENEIC-SCT": 0.03, "OTHER": 0.12}
SECOND_LINE_TREATMENT = {**COMPARISON_MIX, "LONCASTUXIMAB": LONCASTUXIMAB_TREATED}

# --- TL-post-CAR-T set (52): every number below is a target of the paper ------------

TL_POST_AGES = (  # median 65.5, range 20-81, 29 aged 65 or more
    {1: 20, 2: 38, 12: 55, 23: 64}, [65, 65, 65], {1: 66, 13: 72, 26: 81})
TL_POST_DIAGNOSIS_DAYS = (  # to eligibility: median 533 days (1.46 y), 73 (0.2) to 7670 (21.0)
    {1: 73, 25: 520}, [533, 533], {1: 548, 20: 1900, 24: 3800, 25: 7670})
TL_POST_PRIOR_LINES = {1: 8, 2: 26, 3: 10, 4: 5, 5: 2, 6: 1}
TL_POST_ASCT = 5
TL_POST_SEX = {"M": 30, "F": 22}
TL_POST_TRANSFORMED = {"TFL": 9, "TIND": 3}  # the rest LBCL, and one PMBL (the youngest)
# Noise (in ranks) when pairing ages with histories and histories with prior lines or a
# transformed histology: older patients tend to have longer histories, and so on.
HISTORY_RANK_JITTER = 6.0
TRANSFORMED_RANK_JITTER = 20.0
TL_POST_CAR_T_LINE = {3: 31, 4: 21}
TL_POST_HCTCI_POSITIVE = 25
TL_POST_PRODUCT = {"tisa-cel": 21, "axi-cel": 31}
TL_POST_STATUS_LEUKAPHERESIS = {"refractory": 41, "relapse": 7}  # the rest (4) missing
TL_POST_STATUS_INFUSION = {"CR": 3, "PR": 11, "SD": 4, "PD": 25, "NE": 1}  # the 44 bridged
# (stage III-IV, LDH elevated, ECOG >= 2, aaIPI): count. aaIPI = stage + LDH + ECOG
# factors; it is missing exactly where a factor is (2 ECOG, 1 LDH, 2 stage).
TL_POST_RISK = {
    (False, "N", False, 0): 1, (False, "Y", False, 1): 3, (False, "N", True, 1): 1,
    (False, "Y", True, 2): 1, (True, "N", False, 1): 13, (True, "Y", False, 2): 24,
    (True, "N", True, 2): 3, (True, "Y", True, 3): 1,
    (True, "N", None, None): 2, (True, None, False, None): 1,
    (None, "Y", False, None): 1, (None, "N", False, None): 1,
}
# Days from infusion to the first TAFA-LEN start (median 2.84 months, Q1 1.1, Q3 5.7;
# 42 within 6 months) and to the first progression (median 2.8, range 0.4-34.7),
# paired by rank.
TL_POST_TREATMENT_ANCHORS = {1: 14, 13: 33, 14: 34, 26: 86, 27: 87, 39: 173, 40: 174,
                             42: 181, 43: 200, 52: 1060}
TL_POST_PROGRESSION_ANCHORS = {1: 12, 13: 24, 14: 25, 26: 85, 27: 86, 39: 150, 40: 152,
                               42: 160, 43: 175, 52: 1056}
TL_POST_EARLY = 42
# Early failures who died (34): days from TAFA-LEN start to death and to the PFS2 event.
TL_POST_EARLY_DEATH_ANCHORS = {1: 12, 10: 55, 19: 91, 21: 116, 26: 143, 33: 175, 34: 230}
TL_POST_EARLY_PFS2_ANCHORS = {1: 14, 12: 45, 17: 58, 19: 61, 20: 80, 21: 100, 28: 135, 34: 200}
TL_POST_EARLY_DEATH_CAUSES = {"progression": 31, "concurrent_illness": 2, "late_toxicity": 1}
# Alive patients without a TAFA-LEN response: (days to PFS2 event or censoring, event,
# days to last contact).
TL_POST_EARLY_ALIVE = [(40, True, 150), (55, True, 160), (70, True, 175), (91, True, 190),
                       (205, False, 205)]
TL_POST_LATE_ALIVE = [(40, True, 170), (75, True, 185), (150, True, 200), (170, True, 215),
                      (225, False, 225)]
TL_POST_LATE_DEATH = (120, 240)  # second progression, death (of progression)
# TAFA-LEN responders (CR 4, PR 3): (days to response, duration of response, progressed);
# the first three failed CAR T early. Median duration of response about 8 months.
TL_POST_RESPONDERS = [(56, 120, True), (58, 175, True), (60, 230, True), (62, 245, True),
                      (84, 205, False), (56, 310, False), (59, 420, False)]
TL_POST_EARLY_RESPONDERS = 3
TL_POST_RESPONDER_CODES = {"CR": 4, "PR": 3}
RESPONDER_SURVIVAL_AFTER_PROGRESSION = (30, 20)  # days, early and late responders
TL_POST_SD_MIN_PFS2 = 120  # a non-responder is SD when its PFS2 lasts this long
TL_POST_RESPONSE_MISSING = 5
TL_POST_CAR_T_RESPONSE = {"CR": 18, "PR": 15}  # the 33 latest first progressions
TL_POST_CAR_T_NON_RESPONSE = ({"PD": 12, "NE": 3}, {"SD": 4})  # earliest 15, next 4
# CD19 before infusion, among CR after CAR T and among the others.
TL_POST_CD19 = {True: {"negative": 2, "positive": 5, "not_done": 4, None: 7},
                False: {"negative": 5, "positive": 7, "not_done": 8, None: 14}}
# Toxicities: (CRS grade, ICANS grade): count. CRS 43 (2 grade 3-4), ICANS 21 (7 grade
# 3-4), 45 with either; tocilizumab 32 and ICU 8 among those 45.
TL_POST_CRS_ICANS = {
    (1, 1): 5, (2, 1): 3, (1, 2): 4, (2, 2): 2, (1, 3): 2, (2, 3): 2, (2, 4): 1,
    (1, 0): 14, (2, 0): 8, (3, 0): 2,
    (0, 3): 1, (0, 4): 1,
    (0, 0): 7,
}
TL_POST_TOCILIZUMAB = 32
TL_POST_ICU = 8
TL_POST_CYTOPENIA = 38
TL_POST_INFECTION = 24

# --- TL-pre-CAR-T set (15) --------------------------------------------------------

TL_PRE_AGES = [47, 55, 58, 61, 63, 65, 68, 71, 72, 74, 75, 76, 78, 79, 80]
TL_PRE_SEX = {"M": 10, "F": 5}
TL_PRE_HISTOLOGY = {"LBCL": 11, "TFL": 3, "THL": 1}
TL_PRE_HCTCI_POSITIVE = 7
TL_PRE_ASCT = 1
TL_PRE_PRODUCT = {"tisa-cel": 3, "axi-cel": 12}
TL_PRE_DIAGNOSIS_DAYS = [183, 250, 330, 400, 460, 520, 570, 593, 700, 900, 1200, 1800, 2600,
                         4000, 6648]  # median 1.62 years, range 0.5-18.2
TL_PRE_PRIOR_LINES = [2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 5, 5, 6, 7]
TL_PRE_RISK = {  # laid out as TL_POST_RISK
    (False, "Y", False, 1): 2, (True, "N", False, 1): 5, (True, "Y", False, 2): 3,
    (True, "N", True, 2): 1, (True, "Y", True, 3): 1,
    (True, None, False, None): 1, (None, "Y", False, None): 1, (None, "N", False, None): 1,
}
TL_PRE_STATUS_LEUKAPHERESIS = {"refractory": 14, None: 1}
TL_PRE_STATUS_INFUSION = {"CR": 2, "PR": 1, "PD": 9}  # those not bridged with TAFA-LEN
# Prior-line TAFA-LEN (13 patients): days on treatment (median 3.7 months, Q1 2.0,
# Q3 7.4) and washout to infusion (median 2.7, Q1 2.1, Q3 3.4).
TL_PRE_PRIOR_TAFA_DAYS = [30, 45, 55, 61, 80, 100, 113, 150, 190, 225, 260, 300, 330]
TL_PRE_PRIOR_TAFA_WASHOUT = [40, 50, 58, 64, 70, 75, 82, 88, 95, 103, 115, 140, 180]
TL_PRE_DOUBLE_TAFA_WASHOUT = 140  # of the patient also bridged with TAFA-LEN
TL_PRE_UNBRIDGED = 2  # prior-line TAFA-LEN patients given no bridging
# Bridging TAFA-LEN: (days on treatment, washout, response); the last one is the
# patient who also had it as a prior line.
TL_PRE_BRIDGING_TAFA = [(23, 20, "PR"), (14, 3, "PR"), (58, 31, "PD")]
TL_PRE_BRIDGING_MARGIN = 5  # days from leukapheresis to a TAFA-LEN bridging start
TL_PRE_ELIGIBILITY_TO_LEUKAPHERESIS = (2, 11)  # days; short, to fit the washouts
TL_PRE_BIOPSY_LEAD = (3, 20)  # days from the biopsy to the first TAFA-LEN start
PRIOR_TAFA_RESPONSE = {"PD": 0.6, "SD": 0.2, "PR": 0.15, "CR": 0.05}
# Outcome records: (CAR T best response, days to response, days to progression,
# days to last contact, death cause or None when alive).
TL_PRE_OUTCOMES = [
    ("CR", 27, 168, 212, None), ("CR", 30, 176, 206, None), ("CR", 31, None, 84, None),
    ("CR", 31, None, 255, "concurrent_illness"), ("PR", 29, 75, 235, "progression"),
    ("SD", 30, 56, 63, None), ("PD", None, 35, 51, "progression"),
    ("PD", None, 24, 86, "progression"), ("PD", None, 21, 71, None),
    ("PD", None, 27, 137, "progression"), ("NE", None, None, 18, "acute_toxicity"),
    (None, None, None, 23, None), (None, None, None, 45, None), (None, None, None, 62, None),
    (None, None, None, 89, None),
]
TL_PRE_NEGATIVE_AFTER_INFUSION = 4  # outcome record with a CD19-negative biopsy at progression
# Toxicities by outcome record: (CRS, ICANS, tocilizumab, ICU, cytopenia, infection);
# record 11 was not evaluated.
TL_PRE_TOXICITIES = [
    (1, 0, "N", "N", "Y", "N"), (2, 0, "Y", "N", "Y", "N"), (1, 0, "N", "N", "N", "N"),
    (0, 0, "N", "N", "Y", "Y"), (1, 0, "N", "N", "N", "N"), (2, 0, "Y", "N", "Y", "N"),
    (1, 0, "N", "N", "N", "N"), (0, 0, "N", "N", "Y", "N"), (1, 0, "N", "N", "N", "N"),
    (0, 1, "N", "N", "N", "N"), (2, 4, "Y", "Y", "Y", "Y"), (None,) * 6,
    (1, 0, "N", "N", "Y", "N"), (0, 0, "N", "N", "N", "N"), (0, 0, "N", "N", "N", "N"),
]
# CD19 before TAFA-LEN and after it (before infusion): one patient negative both times,
# 3 positive both times, one positive before only; not done otherwise.
TL_PRE_CD19_POSITIVE = 3
TL_PRE_CD19_LOST = 1

PATIENT_FIELDS = (
    "sex", "birth_date", "diagnosis_date", "histology", "product", "car_t_line",
    "eligibility_date", "leukapheresis_date", "infusion_date", "status_before_leukapheresis",
    "status_before_infusion", "ecog", "ldh_elevated", "ann_arbor_stage", "aaipi",
    "hctci_evaluated", "hctci_score", "best_response", "best_response_date",
    "last_contact_date", "vital_status", "death_date", "death_cause", "crs_grade",
    "icans_grade", "tocilizumab", "icu_admission", "prolonged_cytopenia", "infection_grade_3_5",
)
LINE_FIELDS = ("pid", "regimen", "role", "start_date", "end_date", "autologous_transplant",
               "best_response", "best_response_date")
ROLE_ORDER = {"prior": 0, "bridging": 1, "post_car_t": 2}


@dataclass
class Part:
    """Patients (one row each, in ``PATIENT_FIELDS``) and their event rows.

    Event rows name their patient by ``pid``, the patient's row position in ``patients``.
    """

    patients: pd.DataFrame
    lines: pd.DataFrame
    progressions: pd.DataFrame
    biopsies: pd.DataFrame


@dataclass(frozen=True)
class CohortSizes:
    """How many bulk patients of each kind make an L3+ cohort of a given size."""

    comparison: dict[str, int]
    comparison_incomplete: int
    loncastuximab: int
    untreated: int
    progression_free: int
    second_line: int


# --- Small helpers ----------------------------------------------------------------


def anchored_values(count: int, anchors: dict[int, float]) -> np.ndarray:
    """``count`` sorted whole numbers passing exactly through ``anchors``.

    ``anchors`` maps 1-based ranks (including 1 and ``count``) to values; the ranks
    between are spread quantiles interpolated on the log scale, so the medians,
    quartiles and ranges set by the anchors come out exactly.
    """
    ranks = np.array(sorted(anchors))
    logs = np.log([anchors[rank] for rank in ranks])
    return np.rint(np.exp(np.interp(np.arange(1, count + 1), ranks, logs))).astype(np.int64)


def spliced(low: dict[int, float], middle: list[int], high: dict[int, float]) -> np.ndarray:
    """Sorted values: those anchored by ``low``, then ``middle``, then ``high``.

    Each anchor dict's highest rank is its number of values.
    """
    return np.concatenate([anchored_values(max(low), low), middle,
                           anchored_values(max(high), high)])


def expand(counts: dict, rng: np.random.Generator | None = None) -> np.ndarray:
    """Each key of ``counts`` repeated by its count; shuffled when ``rng`` is given."""
    values = [value for value, count in counts.items() for _ in range(count)]
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return rng.permutation(array) if rng is not None else array


def draw(rng: np.random.Generator, probabilities: dict, size: int) -> np.ndarray:
    """``size`` values drawn from ``probabilities`` (value -> probability)."""
    values = np.empty(len(probabilities), dtype=object)
    values[:] = list(probabilities)
    weights = np.array(list(probabilities.values()), dtype=float)
    return values[rng.choice(len(values), size=size, p=weights / weights.sum())]


def lognormal_days(rng: np.random.Generator, spec: tuple[float, float, float, float],
                   size: int) -> np.ndarray:
    """Whole days from a lognormal (median, sigma) clipped to [low, high]."""
    median, sigma, low, high = spec
    return np.clip(np.rint(rng.lognormal(np.log(median), sigma, size)), low, high).astype(np.int64)


def truncated_lognormal_days(rng: np.random.Generator,
                             spec: tuple[float, float, float, float], size: int) -> np.ndarray:
    """Whole days from a lognormal (median, sigma) truncated to [low, high]: values out of
    range are drawn again."""
    median, sigma, low, high = spec
    days = np.rint(rng.lognormal(np.log(median), sigma, size))
    outside = (days < low) | (days > high)
    while outside.any():
        days[outside] = np.rint(rng.lognormal(np.log(median), sigma, int(outside.sum())))
        outside = (days < low) | (days > high)
    return days.astype(np.int64)


def quota(rng: np.random.Generator, share: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """True for exactly ``share * n`` (rounded) patients, chosen at random, of each
    stratum of ``n``; ``share`` is given per patient and is constant within a stratum."""
    chosen = np.zeros(len(strata), dtype=bool)
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        count = int(np.floor(share[members[0]] * len(members) + 0.5))
        chosen[rng.choice(members, count, replace=False)] = True
    return chosen


def spread_normal(rng: np.random.Generator, strata: np.ndarray) -> np.ndarray:
    """Standard normal quantiles at (i + 0.5) / n, i = 0..n-1, dealt at random to the n
    patients of each stratum: a normal sample without sampling noise."""
    values = np.empty(len(strata))
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        count = len(members)
        values[rng.permutation(members)] = [NORMAL.inv_cdf((i + 0.5) / count)
                                            for i in range(count)]
    return values


def shift(dates: np.ndarray | np.datetime64, days: np.ndarray | int) -> np.ndarray:
    """Dates moved by whole ``days`` (NaT stays NaT)."""
    return dates + np.asarray(days).astype(np.int64).astype("timedelta64[D]")


def day_span(later: np.ndarray, earlier: np.ndarray | np.datetime64) -> np.ndarray:
    """Whole days from ``earlier`` to ``later``."""
    return (later - earlier).astype(np.int64)


def rank_order(rng: np.random.Generator, score: np.ndarray, jitter: float) -> np.ndarray:
    """Indices sorting ``score`` after adding uniform noise in [0, ``jitter``)."""
    return np.argsort(score + rng.uniform(0, jitter, len(score)), kind="stable")


def position_in_group(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows exploded from ``counts``: the owner index and the 0-based position."""
    owner = np.repeat(np.arange(len(counts)), counts)
    position = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, position


def lines_frame(pid: np.ndarray, regimen: np.ndarray, role: str, start: np.ndarray,
                end: np.ndarray, response: np.ndarray, response_date: np.ndarray,
                asct: np.ndarray | None = None) -> pd.DataFrame:
    """Treatment-line rows in ``LINE_FIELDS``."""
    flag = np.where(asct, "Y", "N") if asct is not None else np.full(len(pid), "N")
    return pd.DataFrame({
        "pid": pid, "regimen": regimen, "role": role, "start_date": start, "end_date": end,
        "autologous_transplant": flag, "best_response": response,
        "best_response_date": response_date,
    }, columns=list(LINE_FIELDS))


def response_dates(rng: np.random.Generator, response: np.ndarray, start: np.ndarray,
                   stop: np.ndarray) -> np.ndarray:
    """Dates of CR, PR and SD best responses, in the second half of [start, stop]."""
    fraction = rng.uniform(0.5, 1.0, len(response))
    day = np.floor(day_span(stop, start) * fraction).astype(np.int64)
    return np.where(np.isin(response, DATED_RESPONSES), shift(start, day), NAT)


def flags(mask: np.ndarray) -> np.ndarray:
    """Y/N flags from a boolean mask."""
    return np.where(mask, "Y", "N").astype(object)


# --- Shared pieces of a patient's history -----------------------------------------


def place_infusions(rng: np.random.Generator, span: np.ndarray, alive: np.ndarray,
                    anchored: np.ndarray, earliest: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Infusion and last-contact dates for courses lasting ``span`` days after infusion.

    The dead are infused on a uniform day (not before ``earliest``) that lets death,
    ``span`` days later, come by the cut-off. The alive are due for a last contact
    shortly before the cut-off and infused on a uniform day at least ``span`` days
    earlier; when ``anchored`` their course ends at last contact, so they are infused
    as late as that allows and last seen exactly ``span`` days after infusion.
    """
    size = len(span)
    lag = np.minimum(rng.exponential(ALIVE_LAG_MEAN, size), ALIVE_LAG_MAX).astype(np.int64)
    last_alive = shift(DATA_CUTOFF, -lag)
    latest = np.minimum(shift(np.where(alive, last_alive, DATA_CUTOFF), -span), INFUSION_LAST)
    first = INFUSION_FIRST if earliest is None else np.maximum(earliest, INFUSION_FIRST)
    first = np.broadcast_to(first, latest.shape)
    if (first > latest).any():
        raise ValueError("a course is too long to fit between the infusion window and cut-off")
    uniform = shift(first, np.floor(rng.random(size) * (day_span(latest, first) + 1)))
    infusion = np.where(alive & anchored, latest, uniform)
    last_contact = np.where(alive & ~anchored, last_alive, shift(infusion, span))
    return infusion, last_contact


def leukapheresis_to_infusion(rng: np.random.Generator, bridged: np.ndarray) -> np.ndarray:
    """Days from leukapheresis to infusion; longer when there is a bridging line."""
    size = len(bridged)
    return np.where(bridged, rng.integers(*LEUKAPHERESIS_TO_INFUSION[True], size),
                    rng.integers(*LEUKAPHERESIS_TO_INFUSION[False], size))


def collection_dates(rng: np.random.Generator, infusion: np.ndarray,
                     leukapheresis_to_infusion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eligibility and leukapheresis dates before ``infusion``."""
    leukapheresis = shift(infusion, -leukapheresis_to_infusion)
    waited = rng.integers(0, ELIGIBILITY_TO_LEUKAPHERESIS_MAX + 1, len(infusion))
    return shift(leukapheresis, -waited), leukapheresis


def birth_dates(rng: np.random.Generator, eligibility: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Birth dates giving whole-year ``age`` at eligibility, well away from a birthday."""
    past_birthday = rng.integers(BIRTHDAY_MARGIN, 365 - BIRTHDAY_MARGIN, len(age))
    return shift(eligibility, -np.rint(np.asarray(age) * DAYS_PER_YEAR + past_birthday))


def prior_lines(rng: np.random.Generator, pid: np.ndarray, window_start: np.ndarray,
                window_end: np.ndarray, count: np.ndarray, asct: np.ndarray) -> pd.DataFrame:
    """``count`` prior lines per patient, one per equal slot of (window_start, window_end).

    The first line is frontline immunochemotherapy, the second a salvage (with the
    autologous transplant where ``asct``), later ones anything but TAFA-LEN.
    """
    count = np.asarray(count, dtype=np.int64)
    owner, position = position_in_group(count)
    size = len(owner)
    regimen = np.where(position == 0, draw(rng, FRONTLINE, size),
                       np.where(position == 1, draw(rng, SALVAGE, size),
                                draw(rng, LATER_LINES, size)))
    transplanted = np.asarray(asct)[owner] & (position == 1)
    regimen = np.where(transplanted, draw(rng, ASCT_SALVAGE, size), regimen)
    slot = day_span(window_end, window_start)[owner] / count[owner]
    if (slot < 3).any():
        raise ValueError("prior lines do not fit between diagnosis and their window end")
    slot_start = np.floor(position * slot).astype(np.int64)
    slot_end = np.floor((position + 1) * slot).astype(np.int64)
    start = slot_start + 1 + np.floor(rng.random(size) * 0.25 * (slot - 2)).astype(np.int64)
    typical = np.array([REGIMEN_DAYS[r] for r in regimen]) + ASCT_EXTRA_DAYS * transplanted
    length = np.rint(typical * rng.uniform(0.7, 1.3, size)).astype(np.int64)
    end = np.maximum(np.minimum(start + length, slot_end - 1), start)
    origin = window_start[owner]
    response = np.where(position == 0, draw(rng, FRONTLINE_RESPONSE, size),
                        draw(rng, LATER_RESPONSE, size))
    start_date, end_date = shift(origin, start), shift(origin, end)
    return lines_frame(pid[owner], regimen, "prior", start_date, end_date, response,
                       response_dates(rng, response, start_date, end_date), transplanted)


def bridging_lines(rng: np.random.Generator, pid: np.ndarray, leukapheresis: np.ndarray,
                   infusion: np.ndarray, response: np.ndarray) -> pd.DataFrame:
    """One bridging line per patient between leukapheresis and infusion."""
    size = len(pid)
    regimen = draw(rng, BRIDGING, size)
    room = day_span(infusion, leukapheresis)
    start = 1 + np.floor(rng.random(size) * 0.2 * room).astype(np.int64)
    length = np.rint(np.array([REGIMEN_DAYS[r] for r in regimen]) * rng.uniform(0.5, 1.0, size))
    end = np.maximum(np.minimum(start + length, room - BRIDGING_WASHOUT_MIN), start)
    start_date, end_date = shift(leukapheresis, start), shift(leukapheresis, end)
    return lines_frame(pid, regimen, "bridging", start_date, end_date, response,
                       response_dates(rng, response, start_date, end_date))


def risk_columns(rng: np.random.Generator, profiles: np.ndarray) -> dict[str, np.ndarray]:
    """ECOG, LDH, stage and aaIPI columns from (stage III-IV, LDH, ECOG >= 2, aaIPI) tuples."""
    advanced, ldh, poor_ecog, aaipi = (np.array(column, dtype=object)
                                       for column in zip(*profiles, strict=True))
    size = len(profiles)
    ecog = np.where(poor_ecog.astype(bool), rng.choice([2, 2, 2, 3], size),
                    rng.choice([0, 1], size)).astype(float)
    stage = np.where(advanced.astype(bool), rng.choice([3, 4, 4], size),
                     rng.choice([1, 2], size)).astype(float)
    ecog[pd.isna(poor_ecog)] = np.nan
    stage[pd.isna(advanced)] = np.nan
    return {"ecog": ecog, "ldh_elevated": ldh, "ann_arbor_stage": stage,
            "aaipi": pd.to_numeric(pd.Series(aaipi)).to_numpy(dtype=float)}


def hctci_scores(rng: np.random.Generator, size: int, positive: int) -> np.ndarray:
    """HCT-CI scores of ``size`` evaluated patients, ``positive`` of them 1 or more."""
    scores = np.zeros(size)
    scores[:positive] = rng.choice([1, 1, 2, 3, 4], positive)
    return rng.permutation(scores)


def biopsy_frame(pid: np.ndarray, dates: np.ndarray, cd19: np.ndarray) -> pd.DataFrame:
    """Biopsy rows (only where a CD19 result or not_done is given)."""
    kept = np.asarray([value is not None for value in cd19], dtype=bool)
    return pd.DataFrame({"pid": pid[kept], "biopsy_date": dates[kept], "cd19_ihc": cd19[kept]})


def follow_up_columns(last_contact: np.ndarray, cause: np.ndarray) -> dict[str, np.ndarray]:
    """Vital status, death date and cause from last contact and cause (None = alive)."""
    dead = pd.notna(cause)
    return {"last_contact_date": last_contact,
            "vital_status": np.where(dead, "dead", "alive").astype(object),
            "death_date": np.where(dead, last_contact, NAT), "death_cause": cause}


# --- TL-post-CAR-T set --------------------------------------------------------------


def tl_post_demographics(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Age, sex, histology, history and comorbidity of the TL-post set.

    Longer histories go to older patients, more prior lines to longer histories and
    transformed histologies to the longest; the youngest has the PMBL.
    """
    size = TL_POST_SIZE
    age = rng.permutation(spliced(*TL_POST_AGES))
    diagnosis_days = np.empty(size, dtype=np.int64)
    age_rank = np.argsort(np.argsort(age))
    diagnosis_days[rank_order(rng, age_rank, HISTORY_RANK_JITTER)] = spliced(
        *TL_POST_DIAGNOSIS_DAYS)
    history_rank = np.argsort(np.argsort(diagnosis_days))
    prior = np.empty(size, dtype=np.int64)
    prior[rank_order(rng, history_rank, HISTORY_RANK_JITTER)] = expand(
        TL_POST_PRIOR_LINES).astype(np.int64)
    histology = np.full(size, "LBCL", dtype=object)
    transformed = expand(TL_POST_TRANSFORMED, rng)
    longest = rank_order(rng, -history_rank, TRANSFORMED_RANK_JITTER)[:len(transformed)]
    histology[longest] = transformed
    histology[np.argmin(age)] = "PMBL"
    asct = np.zeros(size, dtype=bool)
    candidates = np.flatnonzero((prior >= 2) & (age < ASCT_AGE_LIMIT))
    asct[rng.choice(candidates, TL_POST_ASCT, replace=False)] = True
    return {"age": age, "diagnosis_days": diagnosis_days, "prior": prior, "asct": asct,
            "histology": histology, "sex": expand(TL_POST_SEX, rng),
            "car_t_line": expand(TL_POST_CAR_T_LINE, rng).astype(float),
            "hctci_score": hctci_scores(rng, size, TL_POST_HCTCI_POSITIVE),
            "product": expand(TL_POST_PRODUCT, rng)}


def tl_post_risk(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Risk factors and disease status of the TL-post set.

    Status before leukapheresis is missing for 4 patients whose aaIPI is complete, so
    that 9 patients (5 + 4) miss a weighting variable.
    """
    profiles = expand(TL_POST_RISK, rng)
    complete = np.flatnonzero([p[3] is not None for p in profiles])
    status = np.full(TL_POST_SIZE, None, dtype=object)
    missing = TL_POST_SIZE - sum(TL_POST_STATUS_LEUKAPHERESIS.values())
    known = np.setdiff1d(np.arange(TL_POST_SIZE), rng.choice(complete, missing, replace=False))
    status[known] = expand(TL_POST_STATUS_LEUKAPHERESIS, rng)
    bridged = rng.permutation(np.arange(TL_POST_SIZE) < sum(TL_POST_STATUS_INFUSION.values()))
    status_infusion = np.full(TL_POST_SIZE, None, dtype=object)
    status_infusion[bridged] = expand(TL_POST_STATUS_INFUSION, rng)
    return {**risk_columns(rng, profiles), "status_before_leukapheresis": status,
            "status_before_infusion": status_infusion, "bridged": bridged}


def tl_post_outcome_records() -> pd.DataFrame:
    """The 52 outcome records after the first TAFA-LEN start, early failures first.

    Columns: ``early``, ``os2`` (days to death or last contact), ``dead``, ``pfs2``
    (days to the PFS2 event or censoring), ``pfs2_event``, ``second_progression``,
    ``response`` and ``response_day`` (the TAFA-LEN best response), ``cause``.
    """
    death = anchored_values(34, TL_POST_EARLY_DEATH_ANCHORS)
    pfs2 = np.minimum(anchored_values(34, TL_POST_EARLY_PFS2_ANCHORS), death)
    records = [dict(early=True, os2=o, dead=True, pfs2=p, pfs2_event=True,
                    second_progression=p < o) for o, p in zip(death, pfs2, strict=True)]
    for early, alive in ((True, TL_POST_EARLY_ALIVE), (False, TL_POST_LATE_ALIVE)):
        records += [dict(early=early, os2=o, dead=False, pfs2=p, pfs2_event=e,
                         second_progression=e) for p, e, o in alive]
    progression, death_day = TL_POST_LATE_DEATH
    records.append(dict(early=False, os2=death_day, dead=True, pfs2=progression,
                        pfs2_event=True, second_progression=True, cause="progression"))
    for index, (day, duration, progressed) in enumerate(TL_POST_RESPONDERS):
        early = index < TL_POST_EARLY_RESPONDERS
        after = RESPONDER_SURVIVAL_AFTER_PROGRESSION[0 if early else 1] if progressed else 0
        records.append(dict(early=early, os2=day + duration + after, dead=False,
                            pfs2=day + duration, pfs2_event=progressed,
                            second_progression=progressed, response_day=day))
    frame = pd.DataFrame(records).sort_values("early", ascending=False, kind="stable")
    return frame.reset_index(drop=True)


def tl_post_responses(rng: np.random.Generator, records: pd.DataFrame) -> pd.DataFrame:
    """TAFA-LEN best responses and death causes set on the outcome records."""
    records = records.copy()
    responders = records["response_day"].notna().to_numpy()
    response = np.where(records["pfs2"] >= TL_POST_SD_MIN_PFS2, "SD",
                        np.where(records["second_progression"], "PD", "NE")).astype(object)
    response[responders] = expand(TL_POST_RESPONDER_CODES, rng)
    unassessed = np.flatnonzero(np.isin(response, ["PD", "NE"]))
    response[rng.choice(unassessed, TL_POST_RESPONSE_MISSING, replace=False)] = None
    sd_day = np.minimum(TAFA_LEN_ASSESSMENT_DAY, records["pfs2"] - 7)
    records["response_day"] = np.where(response == "SD", sd_day, records["response_day"])
    records["response"] = response
    early_dead = np.flatnonzero(records["early"] & records["dead"])
    cause = records["cause"].to_numpy(dtype=object)
    cause[early_dead] = expand(TL_POST_EARLY_DEATH_CAUSES, rng)
    records["cause"] = cause
    return records


def tl_post_timeline(rng: np.random.Generator) -> pd.DataFrame:
    """Per patient (by failure rank): days to first progression and first TAFA-LEN start,
    the outcome record, CAR T best response and CD19 before infusion."""
    treatment = anchored_values(TL_POST_SIZE, TL_POST_TREATMENT_ANCHORS)
    progression = anchored_values(TL_POST_SIZE, TL_POST_PROGRESSION_ANCHORS)
    if (progression >= treatment).any():
        raise ValueError("TAFA-LEN must start after the progression it treats")
    records = tl_post_responses(rng, tl_post_outcome_records())
    order = np.concatenate([rng.permutation(TL_POST_EARLY),
                            TL_POST_EARLY + rng.permutation(TL_POST_SIZE - TL_POST_EARLY)])
    timeline = records.iloc[order].reset_index(drop=True)
    timeline["to_progression"], timeline["to_treatment"] = progression, treatment
    worst, stable = TL_POST_CAR_T_NON_RESPONSE
    timeline["car_t_response"] = np.concatenate([
        expand(worst, rng), expand(stable), expand(TL_POST_CAR_T_RESPONSE, rng)])
    complete_response = (timeline["car_t_response"] == "CR").to_numpy()
    cd19 = np.empty(TL_POST_SIZE, dtype=object)
    for in_cr, counts in TL_POST_CD19.items():
        cd19[complete_response == in_cr] = expand(counts, rng)
    timeline["cd19"] = cd19
    return timeline


def tl_post_toxicities(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """CRS, ICANS and their care, by patient, for the TL-post set.

    Tocilizumab goes to the worst CRS first, ICU to the grade 3-4 events first.
    """
    grades = expand(TL_POST_CRS_ICANS, rng)
    crs = np.array([g[0] for g in grades], dtype=float)
    icans = np.array([g[1] for g in grades], dtype=float)
    affected = (crs > 0) | (icans > 0)
    tocilizumab = np.zeros(TL_POST_SIZE, dtype=bool)
    severity = crs + 0.5 * icans + 10 * affected
    tocilizumab[rank_order(rng, -severity, 1.0)[:TL_POST_TOCILIZUMAB]] = True
    icu = np.zeros(TL_POST_SIZE, dtype=bool)
    icu[rank_order(rng, -np.maximum(crs, icans), 1.0)[:TL_POST_ICU]] = True
    cytopenia = rng.permutation(np.arange(TL_POST_SIZE) < TL_POST_CYTOPENIA)
    infection = rng.permutation(np.arange(TL_POST_SIZE) < TL_POST_INFECTION)
    return {"crs_grade": crs, "icans_grade": icans, "tocilizumab": flags(tocilizumab),
            "icu_admission": flags(icu), "prolonged_cytopenia": flags(cytopenia),
            "infection_grade_3_5": flags(infection)}


def build_tl_post(rng: np.random.Generator) -> Part:
    """The 52 patients whose first treatment for progression after CAR T is TAFA-LEN."""
    size, pid = TL_POST_SIZE, np.arange(TL_POST_SIZE)
    demo, risk = tl_post_demographics(rng), tl_post_risk(rng)
    timeline = tl_post_timeline(rng)
    to_treatment = timeline["to_treatment"].to_numpy()
    span = to_treatment + timeline["os2"].to_numpy()
    alive = ~timeline["dead"].to_numpy(dtype=bool)
    infusion, last_contact = place_infusions(
        rng, span, alive, anchored=np.ones(size, dtype=bool),
        earliest=shift(TAFA_LEN_FIRST_USE, -to_treatment))
    bridged = risk.pop("bridged")
    eligibility, leukapheresis = collection_dates(
        rng, infusion, leukapheresis_to_infusion(rng, bridged))
    diagnosis = shift(eligibility, -demo["diagnosis_days"])
    first_progression = shift(infusion, timeline["to_progression"])
    treatment_start = shift(infusion, to_treatment)
    relapsed = timeline["second_progression"].to_numpy(dtype=bool)
    second_progression = np.where(relapsed, shift(treatment_start, timeline["pfs2"]), NAT)
    dead = ~alive
    tafa_end = np.where(relapsed, second_progression, np.where(dead, last_contact, NAT))
    tafa_response_date = np.where(timeline["response_day"].notna(),
                                  shift(treatment_start, timeline["response_day"].fillna(0)), NAT)
    car_t_response = timeline["car_t_response"].to_numpy()
    response_day = np.minimum(rng.integers(*CAR_T_ASSESSMENT_DAYS, size),
                              timeline["to_progression"] - 5)
    lines = pd.concat([
        prior_lines(rng, pid, diagnosis, eligibility, demo["prior"], demo["asct"]),
        bridging_lines(rng, pid[bridged], leukapheresis[bridged], infusion[bridged],
                       risk["status_before_infusion"][bridged]),
        lines_frame(pid, np.full(size, "TAFA-LEN"), "post_car_t", treatment_start, tafa_end,
                    timeline["response"].to_numpy(), tafa_response_date),
    ])
    progressions = pd.DataFrame({
        "pid": np.concatenate([pid, pid[relapsed]]),
        "progression_date": np.concatenate([first_progression, second_progression[relapsed]])})
    biopsy_day = shift(eligibility, -rng.integers(*BIOPSY_BEFORE_ELIGIBILITY, size))
    cause = np.where(dead, timeline["cause"], None)
    patients = pd.DataFrame({
        "sex": demo["sex"], "birth_date": birth_dates(rng, eligibility, demo["age"]),
        "diagnosis_date": diagnosis, "histology": demo["histology"],
        "product": demo["product"], "car_t_line": demo["car_t_line"],
        "eligibility_date": eligibility, "leukapheresis_date": leukapheresis,
        "infusion_date": infusion, **risk, "hctci_evaluated": np.full(size, "Y"),
        "hctci_score": demo["hctci_score"], "best_response": car_t_response,
        "best_response_date": np.where(np.isin(car_t_response, DATED_RESPONSES),
                                       shift(infusion, response_day), NAT),
        **follow_up_columns(last_contact, cause), **tl_post_toxicities(rng),
    }, columns=list(PATIENT_FIELDS))
    return Part(patients, lines, progressions,
                biopsy_frame(pid, biopsy_day, timeline["cd19"].to_numpy()))


# --- TL-pre-CAR-T set -----------------------------------------------------------------


def tl_pre_plan(rng: np.random.Generator) -> pd.DataFrame:
    """How each TL-pre patient met TAFA-LEN before CAR T, with history and washouts.

    Columns: ``prior_tafa`` and ``bridging`` (``"tafa"``, ``"other"`` or ``None``),
    ``tafa_days``/``washout`` of the prior line, ``bridge_days``/``bridge_washout``/
    ``bridge_response`` of a TAFA-LEN bridging line, ``diagnosis_days`` and ``prior``.
    The two patients bridged with TAFA-LEN only have the two shortest histories; the
    others get longer TAFA-LEN lines and more prior lines with longer histories.
    """
    prior_patients = len(TL_PRE_PRIOR_TAFA_DAYS)
    bridging_only = TL_PRE_SIZE - prior_patients
    plan = pd.DataFrame({
        "prior_tafa": np.arange(TL_PRE_SIZE) >= bridging_only,
        "diagnosis_days": TL_PRE_DIAGNOSIS_DAYS,
        "prior": TL_PRE_PRIOR_LINES,
    })
    plan["tafa_days"] = [np.nan] * bridging_only + TL_PRE_PRIOR_TAFA_DAYS
    double = bridging_only + rng.integers(prior_patients)
    washout = np.full(TL_PRE_SIZE, np.nan)
    single = np.setdiff1d(np.arange(bridging_only, TL_PRE_SIZE), [double])
    washout[single] = rng.permutation(
        [w for w in TL_PRE_PRIOR_TAFA_WASHOUT if w != TL_PRE_DOUBLE_TAFA_WASHOUT])
    washout[double] = TL_PRE_DOUBLE_TAFA_WASHOUT
    plan["washout"] = washout
    bridging = np.full(TL_PRE_SIZE, "other", dtype=object)
    unbridged = rng.choice(single, TL_PRE_UNBRIDGED, replace=False)
    bridging[unbridged] = None
    bridged_with_tafa = list(range(bridging_only)) + [double]
    bridging[bridged_with_tafa] = "tafa"
    plan["bridging"] = bridging
    days, washouts, responses = zip(*TL_PRE_BRIDGING_TAFA, strict=True)
    plan["bridge_days"], plan["bridge_washout"], plan["bridge_response"] = np.nan, np.nan, None
    plan.loc[bridged_with_tafa, "bridge_days"] = days
    plan.loc[bridged_with_tafa, "bridge_washout"] = washouts
    plan.loc[bridged_with_tafa, "bridge_response"] = responses
    return plan


def tl_pre_lines(rng: np.random.Generator, plan: pd.DataFrame, dates: dict[str, np.ndarray],
                 status_infusion: np.ndarray, age: np.ndarray
                 ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Prior, TAFA-LEN and bridging lines of the TL-pre set; one patient under 70 with
    two lines or more before TAFA-LEN had an autologous transplant.

    Returns the lines and, per patient, the first TAFA-LEN start and last TAFA-LEN end.
    """
    pid = np.arange(TL_PRE_SIZE)
    infusion, leukapheresis = dates["infusion"], dates["leukapheresis"]
    prior_tafa = plan["prior_tafa"].to_numpy()
    tafa_end = shift(infusion, -plan["washout"].fillna(0).astype(int))
    tafa_start = shift(tafa_end, -plan["tafa_days"].fillna(0).astype(int))
    by_tafa = plan["bridging"].to_numpy() == "tafa"
    bridge_end = shift(infusion, -plan["bridge_washout"].fillna(0).astype(int))
    bridge_start = shift(bridge_end, -plan["bridge_days"].fillna(0).astype(int))
    generic_end = np.where(prior_tafa, tafa_start, dates["eligibility"])
    generic_count = plan["prior"].to_numpy() - prior_tafa
    asct = np.zeros(TL_PRE_SIZE, dtype=bool)
    candidates = np.flatnonzero((generic_count >= 2) & (age < ASCT_AGE_LIMIT))
    asct[rng.choice(candidates, TL_PRE_ASCT, replace=False)] = True
    generic = prior_lines(rng, pid, dates["diagnosis"], generic_end, generic_count, asct)
    tafa_response = draw(rng, PRIOR_TAFA_RESPONSE, TL_PRE_SIZE)
    prior = lines_frame(pid[prior_tafa], np.full(prior_tafa.sum(), "TAFA-LEN"), "prior",
                        tafa_start[prior_tafa], tafa_end[prior_tafa], tafa_response[prior_tafa],
                        response_dates(rng, tafa_response, tafa_start, tafa_end)[prior_tafa])
    bridge_response = plan["bridge_response"].to_numpy(dtype=object)
    bridging_tafa = lines_frame(
        pid[by_tafa], np.full(by_tafa.sum(), "TAFA-LEN"), "bridging", bridge_start[by_tafa],
        bridge_end[by_tafa], bridge_response[by_tafa],
        response_dates(rng, bridge_response, bridge_start, bridge_end)[by_tafa])
    by_other = plan["bridging"].to_numpy() == "other"
    other = bridging_lines(rng, pid[by_other], leukapheresis[by_other], infusion[by_other],
                           status_infusion[by_other])
    first_start = np.where(prior_tafa, tafa_start, bridge_start)
    last_end = np.where(by_tafa, bridge_end, tafa_end)
    return pd.concat([generic, prior, bridging_tafa, other]), first_start, last_end


def tl_pre_biopsies(rng: np.random.Generator, first_start: np.ndarray, last_end: np.ndarray,
                    infusion: np.ndarray, outcome: np.ndarray,
                    progression: np.ndarray) -> pd.DataFrame:
    """CD19 biopsies before TAFA-LEN, after it before infusion, and one at progression."""
    negative_after = int(np.flatnonzero(outcome == TL_PRE_NEGATIVE_AFTER_INFUSION)[0])
    negative = rng.choice(np.setdiff1d(np.arange(TL_PRE_SIZE), [negative_after]))
    others = rng.permutation(np.setdiff1d(np.arange(TL_PRE_SIZE), [negative]))
    positive, lost = others[:TL_PRE_CD19_POSITIVE], others[TL_PRE_CD19_POSITIVE:][:TL_PRE_CD19_LOST]
    before = np.full(TL_PRE_SIZE, "not_done", dtype=object)
    after = before.copy()
    before[positive] = after[positive] = before[lost] = "positive"
    before[negative] = after[negative] = "negative"
    washout = day_span(infusion, last_end)
    pid = np.arange(TL_PRE_SIZE)
    return pd.DataFrame({
        "pid": np.concatenate([pid, pid, [negative_after]]),
        "biopsy_date": np.concatenate([
            shift(first_start, -rng.integers(*TL_PRE_BIOPSY_LEAD, TL_PRE_SIZE)),
            shift(last_end, np.maximum(washout // 2, 1)),
            [shift(progression[negative_after], BIOPSY_AFTER_PROGRESSION)]]),
        "cd19_ihc": np.concatenate([before, after, ["negative"]])})


def build_tl_pre(rng: np.random.Generator) -> Part:
    """The 15 patients given TAFA-LEN (prior line or bridging) before CAR T infusion."""
    size, pid = TL_PRE_SIZE, np.arange(TL_PRE_SIZE)
    plan = tl_pre_plan(rng)
    outcome = rng.permutation(size)
    records = pd.DataFrame(TL_PRE_OUTCOMES, columns=[
        "response", "response_day", "progression", "last", "cause"]).iloc[outcome]
    bridging = plan["bridging"].to_numpy()
    elig_to_leuka = rng.integers(*TL_PRE_ELIGIBILITY_TO_LEUKAPHERESIS, size)
    to_infusion = leukapheresis_to_infusion(rng, bridging == "other")
    reach = (plan["bridge_days"].fillna(0) + plan["bridge_washout"].fillna(0)).to_numpy(int)
    to_infusion = np.where(bridging == "tafa", reach + TL_PRE_BRIDGING_MARGIN, to_infusion)
    cap = plan["washout"].to_numpy() - 1 - elig_to_leuka  # prior TAFA-LEN ends by eligibility
    to_infusion = np.where(plan["prior_tafa"] & (bridging != "tafa"),
                           np.minimum(to_infusion, cap), to_infusion).astype(np.int64)
    first_tafa = np.where(plan["prior_tafa"], plan["washout"] + plan["tafa_days"], reach)
    last_day = records["last"].to_numpy()
    dead = records["cause"].notna().to_numpy()
    infusion, last_contact = place_infusions(
        rng, last_day, ~dead, np.ones(size, dtype=bool),
        earliest=shift(TAFA_LEN_FIRST_USE, first_tafa.astype(np.int64)))
    leukapheresis = shift(infusion, -to_infusion)
    eligibility = shift(leukapheresis, -elig_to_leuka)
    diagnosis = shift(eligibility, -plan["diagnosis_days"].to_numpy())
    status_infusion = np.where(bridging == "tafa", plan["bridge_response"], None)
    status_infusion[bridging != "tafa"] = expand(TL_PRE_STATUS_INFUSION, rng)
    dates = {"infusion": infusion, "leukapheresis": leukapheresis,
             "eligibility": eligibility, "diagnosis": diagnosis}
    age = rng.permutation(TL_PRE_AGES)
    lines, first_start, last_end = tl_pre_lines(rng, plan, dates, status_infusion, age)
    has_progression = records["progression"].notna().to_numpy()
    progression = shift(infusion, records["progression"].fillna(0).astype(int))
    response = records["response"].to_numpy(dtype=object)
    toxicity = np.array(TL_PRE_TOXICITIES, dtype=object)[outcome]
    patients = pd.DataFrame({
        "sex": expand(TL_PRE_SEX, rng),
        "birth_date": birth_dates(rng, eligibility, age),
        "diagnosis_date": diagnosis, "histology": expand(TL_PRE_HISTOLOGY, rng),
        "product": expand(TL_PRE_PRODUCT, rng), "car_t_line": plan["prior"] + 1.0,
        "eligibility_date": eligibility, "leukapheresis_date": leukapheresis,
        "infusion_date": infusion, **risk_columns(rng, expand(TL_PRE_RISK, rng)),
        "status_before_leukapheresis": expand(TL_PRE_STATUS_LEUKAPHERESIS, rng),
        "status_before_infusion": status_infusion, "hctci_evaluated": np.full(size, "Y"),
        "hctci_score": hctci_scores(rng, size, TL_PRE_HCTCI_POSITIVE),
        "best_response": response,
        "best_response_date": np.where(
            records["response_day"].notna(),
            shift(infusion, records["response_day"].fillna(0).astype(int)), NAT),
        **follow_up_columns(last_contact, records["cause"].to_numpy(dtype=object)),
        "crs_grade": pd.to_numeric(pd.Series(toxicity[:, 0])).to_numpy(dtype=float),
        "icans_grade": pd.to_numeric(pd.Series(toxicity[:, 1])).to_numpy(dtype=float),
        "tocilizumab": toxicity[:, 2], "icu_admission": toxicity[:, 3],
        "prolonged_cytopenia": toxicity[:, 4], "infection_grade_3_5": toxicity[:, 5],
    }, columns=list(PATIENT_FIELDS))
    progressions = pd.DataFrame({"pid": pid[has_progression],
                                 "progression_date": progression[has_progression]})
    biopsies = tl_pre_biopsies(rng, first_start, last_end, infusion, outcome, progression)
    return Part(patients, lines, progressions, biopsies)


# --- Bulk -----------------------------------------------------------------------------


def cohort_sizes(patients: int) -> CohortSizes:
    """Bulk sizes for an L3+ cohort of ``patients``: exact at 1,500, proportional above."""
    if patients < MIN_PATIENTS:
        raise ValueError(f"--patients must be at least {MIN_PATIENTS}")
    scale = patients / REFERENCE_COHORT
    comparison = {regimen: round(count * scale) for regimen, count in COMPARISON_MIX.items()}
    incomplete = round(COMPARISON_INCOMPLETE * scale)
    loncastuximab = round(LONCASTUXIMAB_TREATED * scale)
    untreated = round(UNTREATED_PROGRESSORS * scale)
    progression_free = (patients - CALIBRATED_SIZE - sum(comparison.values()) - incomplete
                        - loncastuximab - untreated)
    second_line = round(patients * SECOND_LINE_SHARE / (1 - SECOND_LINE_SHARE))
    return CohortSizes(comparison, incomplete, loncastuximab, untreated, progression_free,
                       second_line)


def bulk_plan(rng: np.random.Generator, sizes: CohortSizes) -> pd.DataFrame:
    """One row per bulk patient: CAR T line, course after CAR T, first treatment for
    progression and which weighting variable (if any) is forced missing.

    ``gaps`` is ``"none"`` (all weighting variables recorded), a variable name
    (exactly that one missing) or ``"random"`` (ordinary registry gaps). In the
    comparison cohort, ``comparison`` is the ``COMPARISON_PROFILE`` key (``"LEN"`` or
    ``"other"``) and ``stratum`` adds completeness; both are None elsewhere.
    """
    comparison = expand(sizes.comparison)
    incomplete = draw(rng, COMPARISON_MIX, sizes.comparison_incomplete)
    second_course = draw(rng, SECOND_LINE_COURSE, sizes.second_line)
    second_treatment = np.where(second_course == "treated",
                                draw(rng, SECOND_LINE_TREATMENT, sizes.second_line), None)
    treated_l3 = len(comparison) + len(incomplete) + sizes.loncastuximab
    l3_size = treated_l3 + sizes.untreated + sizes.progression_free
    course = np.concatenate([np.full(treated_l3, "treated", dtype=object),
                             np.full(sizes.untreated, "untreated", dtype=object),
                             np.full(sizes.progression_free, "progression_free", dtype=object),
                             second_course])
    regimen = np.concatenate([comparison, incomplete,
                              np.full(sizes.loncastuximab, "LONCASTUXIMAB", dtype=object),
                              np.full(l3_size - treated_l3, None, dtype=object),
                              second_treatment])
    gaps = np.full(len(course), "random", dtype=object)
    gaps[:len(comparison)] = "none"
    gaps[len(comparison):len(comparison) + len(incomplete)] = draw(
        rng, WEIGHTING_GAPS, len(incomplete))
    car_t_line = np.concatenate([draw(rng, L3_CAR_T_LINE, l3_size),
                                 np.full(sizes.second_line, 2, dtype=object)]).astype(np.int64)
    compared = np.arange(len(course)) < len(comparison) + len(incomplete)
    group = np.where(regimen == "LEN", "LEN", "other").astype(object)
    stratum = np.where(gaps == "none", group, group + " incomplete")
    return pd.DataFrame({"course": course, "regimen": regimen, "gaps": gaps,
                         "car_t_line": car_t_line,
                         "comparison": np.where(compared, group, None),
                         "stratum": np.where(compared, stratum, None)})


def comparison_profile(rng: np.random.Generator, plan: pd.DataFrame) -> dict[str, np.ndarray]:
    """Weighting variables of the comparison cohort (the rows of ``plan``), in the
    quotas of ``COMPARISON_PROFILE``: age, sex, ECOG, LDH, stage, status before
    leukapheresis, product, bridging and early failure."""
    group, strata = plan["comparison"].to_numpy(), plan["stratum"].to_numpy()
    size = len(plan)

    def share(name: str) -> np.ndarray:
        return np.array([COMPARISON_PROFILE[g][name] for g in group], dtype=float)

    def chosen(name: str) -> np.ndarray:
        return quota(rng, share(name), strata)

    mean, sd = (np.array([COMPARISON_PROFILE[g]["age"][i] for g in group], dtype=float)
                for i in (0, 1))
    age = np.clip(np.rint(mean + sd * spread_normal(rng, strata)), AGE_MIN, AGE_MAX)
    poor, advanced = chosen("ecog_2_plus"), chosen("stage_3_4")
    return {"age": age.astype(np.int64), "sex": np.where(chosen("male"), "M", "F"),
            "ecog": np.where(poor, rng.choice([2, 2, 2, 3], size),
                             rng.choice([0, 1], size)).astype(float),
            "ldh_elevated": flags(chosen("ldh_elevated")),
            "ann_arbor_stage": np.where(advanced, rng.choice([3, 4, 4], size),
                                        rng.choice([1, 2], size)).astype(float),
            "status_before_leukapheresis": np.where(chosen("refractory"), "refractory",
                                                    "relapse"),
            "product": np.where(chosen("axi_cel"), "axi-cel", "tisa-cel"),
            "bridged": chosen("bridged"), "early_failure": chosen("early_failure")}


def bulk_baseline(rng: np.random.Generator, plan: pd.DataFrame) -> dict[str, np.ndarray]:
    """Demographics, history, risk factors and bridging of the bulk, with registry gaps;
    the comparison cohort's weighting variables (and early failure, None elsewhere) come
    from ``comparison_profile``."""
    size = len(plan)
    base = {
        "age": np.clip(np.rint(rng.normal(AGE_MEAN, AGE_SD, size)), AGE_MIN,
                       AGE_MAX).astype(np.int64),
        "sex": np.where(rng.random(size) < MALE_SHARE, "M", "F").astype(object),
        "ecog": draw(rng, ECOG, size).astype(float),
        "ldh_elevated": flags(rng.random(size) < LDH_ELEVATED_SHARE),
        "ann_arbor_stage": draw(rng, STAGE, size).astype(float),
        "status_before_leukapheresis": np.where(rng.random(size) < REFRACTORY_SHARE,
                                                "refractory", "relapse").astype(object),
        "product": np.where(rng.random(size) < AXI_CEL_SHARE, "axi-cel", "tisa-cel"),
        "bridged": rng.random(size) < BRIDGING_SHARE,
        "early_failure": np.full(size, None, dtype=object),
    }
    compared = plan["comparison"].notna().to_numpy()
    for key, values in comparison_profile(rng, plan[compared]).items():
        base[key][compared] = values
    age = base["age"]
    histology = draw(rng, HISTOLOGY, size)
    car_t_line = plan["car_t_line"].to_numpy()
    off_by_one = rng.random(size) > PRIOR_LINES_MATCH_SHARE
    prior = np.maximum(car_t_line - 1 + off_by_one * rng.choice([-1, 1], size), 1)
    history = lognormal_days(rng, (DIAGNOSIS_DAYS_MEDIAN, DIAGNOSIS_DAYS_SIGMA, 0, np.inf), size)
    history = history * np.where(np.isin(histology, TRANSFORMED), TRANSFORMED_HISTORY_FACTOR, 1)
    shortest = np.maximum(DIAGNOSIS_DAYS_MIN, DAYS_PER_PRIOR_LINE * prior)
    longest = np.maximum(shortest, np.minimum(DIAGNOSIS_DAYS_MAX, (age - AGE_MIN) * 365))
    diagnosis_days = np.clip(history, shortest, longest).astype(np.int64)
    asct = (prior >= 2) & (age < ASCT_AGE_LIMIT) & (rng.random(size) < ASCT_SHARE)
    ecog, stage = base["ecog"], base["ann_arbor_stage"]
    ldh, status = base["ldh_elevated"], base["status_before_leukapheresis"]
    gaps = plan["gaps"].to_numpy()
    drop = {name: (gaps == name) | ((gaps == "random") & (rng.random(size) < REGISTRY_GAP_RATE))
            for name in WEIGHTING_GAPS}
    ecog[drop["ecog"]] = np.nan
    stage[drop["ann_arbor_stage"]] = np.nan
    ldh[drop["ldh_elevated"]] = None
    status[drop["status_before_leukapheresis"]] = None
    aaipi = (stage >= 3).astype(float) + (ldh == "Y") + (ecog >= 2)
    aaipi = np.where(np.isnan(ecog) | np.isnan(stage) | pd.isna(ldh), np.nan, aaipi)
    evaluated = rng.random(size) < HCTCI_EVALUATED_SHARE
    return {**base, "histology": histology, "prior": prior, "diagnosis_days": diagnosis_days,
            "asct": asct, "aaipi": aaipi, "hctci_evaluated": flags(evaluated),
            "hctci_score": np.where(evaluated, draw(rng, HCTCI_SCORE, size).astype(float), np.nan)}


def bulk_course(rng: np.random.Generator, plan: pd.DataFrame,
                early_failure: np.ndarray) -> dict[str, np.ndarray]:
    """Days from infusion of each bulk patient's events after CAR T, and the dates.

    Returns infusion and last contact dates; ``progression`` and ``treatment`` (days,
    -1 when none); ``second_progression`` (days after the treatment start, -1 when
    none) and ``dead``. The comparison cohort's events come from ``comparison_course``.
    """
    course = plan["course"].to_numpy()
    size = len(course)
    treated, untreated = course == "treated", course == "untreated"
    progression = np.where(treated, lognormal_days(rng, PROGRESSION_TREATED, size),
                           np.where(untreated, lognormal_days(rng, PROGRESSION_UNTREATED, size),
                                    -1))
    treatment = np.where(treated, progression + lognormal_days(rng, TREATMENT_GAP, size), -1)
    death_share = np.select([treated, untreated],
                            [DEATH_SHARE["treated"], DEATH_SHARE["untreated"]],
                            DEATH_SHARE["progression_free"])
    dead = rng.random(size) < death_share
    death = np.select(
        [treated, untreated],
        [treatment + lognormal_days(rng, DEATH_AFTER_TREATMENT, size),
         progression + lognormal_days(rng, DEATH_UNTREATED, size)],
        lognormal_days(rng, DEATH_WITHOUT_PROGRESSION, size))
    untreated_follow_up = progression + rng.integers(*UNTREATED_ALIVE_FOLLOW_UP, size)
    after = lognormal_days(rng, PROGRESSION_AFTER_TREATMENT, size)
    rows = np.flatnonzero(plan["comparison"].notna().to_numpy())
    latent = comparison_course(rng, plan.iloc[rows], early_failure[rows].astype(bool))
    progression[rows], treatment[rows] = latent["progression"], latent["treatment"]
    dead[rows], after[rows] = False, latent["second_progression"]
    alive_span = np.select([treated, untreated],
                           [treatment + MIN_FOLLOW_UP, untreated_follow_up], 2 * MIN_FOLLOW_UP)
    span = np.where(dead, death, alive_span)
    infusion, last_contact = place_infusions(rng, span, ~dead, anchored=untreated)
    dead[rows], last_contact[rows] = censored(rng, latent, infusion[rows], last_contact[rows])
    stop = day_span(last_contact, infusion) - np.where(dead, 0, MIN_FOLLOW_UP // 2)
    second = np.where(treated & (treatment + after < stop), after, -1)
    return {"infusion": infusion, "last_contact": last_contact, "progression": progression,
            "treatment": treatment, "second_progression": second, "dead": dead}


def comparison_course(rng: np.random.Generator, plan: pd.DataFrame,
                      early_failure: np.ndarray) -> dict[str, np.ndarray]:
    """Days from infusion to the first progression and the first treatment of the
    comparison cohort (the rows of ``plan``; within 6 months for early failures, later
    otherwise), and latent days from that treatment to death and to a second progression,
    at spread quantiles within each stratum and failure timing."""
    group = plan["comparison"].to_numpy()
    size = len(group)
    treatment = np.where(early_failure,
                         truncated_lognormal_days(rng, COMPARISON_EARLY_TREATMENT, size),
                         truncated_lognormal_days(rng, COMPARISON_LATE_TREATMENT, size))
    progression = treatment - np.minimum(lognormal_days(rng, TREATMENT_GAP, size), treatment // 2)
    stretch = np.where(early_failure, 1.0, COMPARISON_LATE_FAILURE_FACTOR)
    strata = plan["stratum"].to_numpy() + np.where(early_failure, " early", " late")

    def latent(specs: dict[str, tuple[float, float]]) -> np.ndarray:
        median, sigma = (np.array([specs[g][i] for g in group], dtype=float) for i in (0, 1))
        days = stretch * median * np.exp(sigma * spread_normal(rng, strata))
        return np.maximum(np.rint(days), 1).astype(np.int64)

    return {"progression": progression, "treatment": treatment,
            "death": latent(COMPARISON_DEATH),
            "second_progression": latent(COMPARISON_SECOND_PROGRESSION)}


def censored(rng: np.random.Generator, latent: dict[str, np.ndarray], infusion: np.ndarray,
             last_alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Death flags and last contact dates of the comparison cohort: follow-up runs from
    the first treatment to ``last_alive`` (shortly before the cut-off), or to a uniform
    day before it for the share lost to follow-up, and a latent death within it is seen."""
    size = len(infusion)
    available = day_span(last_alive, infusion) - latent["treatment"]
    lost = rng.random(size) < COMPARISON_LOST_SHARE
    early_stop = MIN_FOLLOW_UP + np.floor(rng.random(size) * (available - MIN_FOLLOW_UP + 1))
    follow_up = np.where(lost, early_stop, available).astype(np.int64)
    dead = latent["death"] <= follow_up
    return dead, shift(infusion, latent["treatment"] + np.minimum(latent["death"], follow_up))


def death_causes(rng: np.random.Generator, course: dict[str, np.ndarray]) -> np.ndarray:
    """Cause of each death (None for the alive): mostly progression after a progression,
    toxicity or other illness without one."""
    size = len(course["dead"])
    days = day_span(course["last_contact"], course["infusion"])
    without = np.where(days <= ACUTE_TOXICITY_WINDOW, draw(rng, DEATH_CAUSE_EARLY_NRM, size),
                       draw(rng, DEATH_CAUSE_LATE_NRM, size))
    cause = np.where(course["progression"] >= 0, draw(rng, DEATH_CAUSE_PROGRESSOR, size), without)
    return np.where(course["dead"], cause, None)


def bulk_car_t_response(rng: np.random.Generator, course: dict[str, np.ndarray]
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Best response to CAR T and its date, before the first progression or last contact."""
    size = len(course["dead"])
    progressed = course["progression"] >= 0
    stop = np.where(progressed, course["progression"],
                    day_span(course["last_contact"], course["infusion"]))
    response = np.where(progressed, draw(rng, CAR_T_RESPONSE_PROGRESSOR, size),
                        draw(rng, CAR_T_RESPONSE_PROGRESSION_FREE, size))
    too_early = stop < MIN_ASSESSABLE_DAYS
    response = np.where(too_early, np.where(progressed, "PD", "NE"), response)
    late = rng.random(size) < CAR_T_LATE_ASSESSMENT_SHARE
    late &= (response == "CR") & (stop > CAR_T_LATE_ASSESSMENT_DAYS[1])
    day = np.where(late, rng.integers(*CAR_T_LATE_ASSESSMENT_DAYS, size),
                   rng.integers(*CAR_T_ASSESSMENT_DAYS, size))
    day = np.minimum(day, stop - 3)
    dated = np.isin(response, DATED_RESPONSES)
    return response, np.where(dated, shift(course["infusion"], day), NAT)


def bulk_post_lines(rng: np.random.Generator, plan: pd.DataFrame,
                    course: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Post-CAR T lines (the first treatment for progression, then a further line for
    some) and the progressions of the bulk."""
    start = shift(course["infusion"], course["treatment"])
    has_second = course["second_progression"] >= 0
    second_progression = np.where(has_second, shift(start, course["second_progression"]), NAT)
    lines = pd.concat([
        first_treatments(rng, plan, course, start, second_progression),
        further_treatments(rng, course["last_contact"], second_progression)])
    progressed = course["progression"] >= 0
    pid = np.arange(len(plan))
    progressions = pd.DataFrame({
        "pid": np.concatenate([pid[progressed], pid[has_second]]),
        "progression_date": np.concatenate([
            shift(course["infusion"][progressed], course["progression"][progressed]),
            second_progression[has_second]])})
    return lines, progressions


def first_treatments(rng: np.random.Generator, plan: pd.DataFrame,
                     course: dict[str, np.ndarray], start: np.ndarray,
                     second_progression: np.ndarray) -> pd.DataFrame:
    """The first treatment for progression of the treated: it ends as planned, at the
    second progression or at death, or is ongoing at last contact. The comparison
    cohort's responses come from ``comparison_responses``."""
    regimen = plan["regimen"].to_numpy()
    treated = course["treatment"] >= 0
    last_contact = course["last_contact"]
    relapsed = ~np.isnat(second_progression)
    stop = np.where(relapsed, second_progression, last_contact)
    typical = np.array([REGIMEN_DAYS.get(r, 0) for r in regimen])
    planned_end = shift(start, np.rint(typical * rng.uniform(0.6, 1.2, len(regimen))))
    ongoing = ~relapsed & ~course["dead"] & (planned_end > last_contact)
    end = np.where(ongoing, NAT, np.minimum(planned_end, stop))
    lasted = day_span(stop, start)
    response = np.where(lasted >= POST_RESPONSE_LONG_DAYS,
                        draw(rng, POST_RESPONSE_LONG, len(regimen)),
                        draw(rng, POST_RESPONSE_SHORT, len(regimen)))
    response = np.where(lasted < MIN_ASSESSABLE_DAYS, None, response)
    rows = np.flatnonzero(plan["comparison"].notna().to_numpy())
    response[rows] = comparison_responses(rng, plan.iloc[rows], lasted[rows], response[rows])
    dated = response_dates(rng, response, start, end_or(end, stop))
    return lines_frame(np.flatnonzero(treated), regimen[treated], "post_car_t", start[treated],
                       end[treated], response[treated], dated[treated])


def comparison_responses(rng: np.random.Generator, plan: pd.DataFrame, lasted: np.ndarray,
                         response: np.ndarray) -> np.ndarray:
    """Best responses of the comparison cohort: the ``COMPARISON_RESPONSE`` quotas of
    each stratum go to patients progression-free for ``COMPARISON_RESPONDER_MIN_DAYS``
    or more; the other long ones are stable or unevaluated, short ones keep ``response``."""
    long = lasted >= POST_RESPONSE_LONG_DAYS
    response = np.where(long, draw(rng, COMPARISON_LONG_NON_RESPONSE, len(plan)), response)
    group, strata = plan["comparison"].to_numpy(), plan["stratum"].to_numpy()
    for stratum in np.unique(strata):
        members = strata == stratum
        shares = COMPARISON_RESPONSE[group[members][0]]
        eligible = members & (lasted >= COMPARISON_RESPONDER_MIN_DAYS)
        candidates = rng.permutation(np.flatnonzero(eligible))
        counts = [int(np.floor(shares[code] * members.sum() + 0.5)) for code in shares]
        codes = np.repeat(list(shares), counts)[:len(candidates)]
        response[candidates[:len(codes)]] = codes
    return response


def further_treatments(rng: np.random.Generator, last_contact: np.ndarray,
                       second_progression: np.ndarray) -> pd.DataFrame:
    """A further line after the second progression, for some of those seen long enough
    after it."""
    size = len(last_contact)
    room = np.where(np.isnat(second_progression), 0,
                    day_span(last_contact, end_or(second_progression, last_contact)))
    given = (room >= MIN_ASSESSABLE_DAYS) & (rng.random(size) < SECOND_POST_LINE_SHARE)
    start = shift(end_or(second_progression, last_contact),
                  np.minimum(rng.integers(*SECOND_POST_LINE_GAP, size), room // 2))
    regimen = draw(rng, SECOND_POST_LINE, size)
    length = np.rint(np.array([REGIMEN_DAYS[r] for r in regimen]) * rng.uniform(0.4, 1.0, size))
    end = np.minimum(shift(start, length), last_contact)
    response = draw(rng, POST_RESPONSE_SHORT, size)
    return lines_frame(np.flatnonzero(given), regimen[given], "post_car_t", start[given],
                       end[given], response[given], np.full(given.sum(), NAT))


def end_or(end: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """``end`` where known, else ``fallback``."""
    return np.where(np.isnat(end), fallback, end)


def bulk_toxicities(rng: np.random.Generator, product: np.ndarray,
                    cause: np.ndarray) -> dict[str, np.ndarray]:
    """CRS, ICANS and their care by product; acute-toxicity deaths went to the ICU."""
    size = len(product)
    axi = product == "axi-cel"
    crs = np.where(axi, draw(rng, CRS_GRADE["axi-cel"], size),
                   draw(rng, CRS_GRADE["tisa-cel"], size)).astype(float)
    icans = np.where(axi, draw(rng, ICANS_GRADE["axi-cel"], size),
                     draw(rng, ICANS_GRADE["tisa-cel"], size)).astype(float)
    chance = rng.random(size)
    tocilizumab = np.where(crs >= 2, chance < TOCILIZUMAB_SHARE["crs_2_plus"],
                           (crs == 1) & (chance < TOCILIZUMAB_SHARE["crs_1"]))
    severe = (crs >= 3) | (icans >= 3)
    any_event = (crs > 0) | (icans > 0)
    toxic_death = cause == "acute_toxicity"
    icu = toxic_death | np.where(severe, rng.random(size) < ICU_SHARE["grade_3_plus"],
                                 any_event & (rng.random(size) < ICU_SHARE["any"]))
    infection = toxic_death | (rng.random(size) < INFECTION_SHARE)
    columns = {"crs_grade": crs, "icans_grade": icans, "tocilizumab": flags(tocilizumab),
               "icu_admission": flags(icu),
               "prolonged_cytopenia": flags(rng.random(size) < PROLONGED_CYTOPENIA_SHARE),
               "infection_grade_3_5": flags(infection)}
    unevaluated = (rng.random(size) > TOXICITY_EVALUATED_SHARE) & ~toxic_death
    for values in columns.values():
        values[unevaluated] = np.nan if values.dtype == float else None
    return columns


def build_bulk(rng: np.random.Generator, sizes: CohortSizes) -> Part:
    """Everyone else: comparison cohort, other progressors, progression-free, second line."""
    plan = bulk_plan(rng, sizes)
    size, pid = len(plan), np.arange(len(plan))
    base = bulk_baseline(rng, plan)
    course = bulk_course(rng, plan, base["early_failure"])
    infusion = course["infusion"]
    bridged = base["bridged"]
    eligibility, leukapheresis = collection_dates(
        rng, infusion, leukapheresis_to_infusion(rng, bridged))
    diagnosis = shift(eligibility, -base["diagnosis_days"])
    status_infusion = np.where(bridged, draw(rng, BRIDGING_RESPONSE, size),
                               draw(rng, UNBRIDGED_STATUS, size))
    post, progressions = bulk_post_lines(rng, plan, course)
    lines = pd.concat([
        prior_lines(rng, pid, diagnosis, eligibility, base["prior"], base["asct"]),
        bridging_lines(rng, pid[bridged], leukapheresis[bridged], infusion[bridged],
                       status_infusion[bridged]),
        post])
    cause = death_causes(rng, course)
    response, response_date = bulk_car_t_response(rng, course)
    biopsied = rng.random(size) < BIOPSY_SHARE
    biopsy_date = np.maximum(shift(eligibility, -rng.integers(*BIOPSY_BEFORE_ELIGIBILITY, size)),
                             shift(diagnosis, 1))
    patients = pd.DataFrame({
        "sex": base["sex"], "birth_date": birth_dates(rng, eligibility, base["age"]),
        "diagnosis_date": diagnosis, "histology": base["histology"],
        "product": base["product"], "car_t_line": plan["car_t_line"].astype(float),
        "eligibility_date": eligibility, "leukapheresis_date": leukapheresis,
        "infusion_date": infusion,
        **{key: base[key] for key in ("status_before_leukapheresis", "ecog", "ldh_elevated",
                                      "ann_arbor_stage", "aaipi", "hctci_evaluated",
                                      "hctci_score")},
        "status_before_infusion": status_infusion, "best_response": response,
        "best_response_date": response_date,
        **follow_up_columns(course["last_contact"], cause),
        **bulk_toxicities(rng, base["product"], cause),
    }, columns=list(PATIENT_FIELDS))
    biopsies = pd.DataFrame({"pid": pid[biopsied], "biopsy_date": biopsy_date[biopsied],
                             "cd19_ihc": draw(rng, CD19, int(biopsied.sum()))})
    return Part(patients, lines, progressions, biopsies)


# --- Export -----------------------------------------------------------------------------


def combine(parts: list[Part]) -> Part:
    """One registry from parts, renumbering ``pid`` across them."""
    offsets = np.cumsum([0] + [len(part.patients) for part in parts[:-1]])

    def stacked(name: str) -> pd.DataFrame:
        frames = [getattr(part, name).assign(pid=getattr(part, name)["pid"] + offset)
                  for part, offset in zip(parts, offsets, strict=True)]
        return pd.concat(frames, ignore_index=True)

    patients = pd.concat([part.patients for part in parts], ignore_index=True)
    return Part(patients, stacked("lines"), stacked("progressions"), stacked("biopsies"))


def identifiers(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled patient ids ``SYN-00001``... and centre ids ``SYN-C01``... by ``pid``."""
    width = max(5, len(str(size)))
    numbers = rng.permutation(size) + 1
    patient_ids = np.array([f"SYN-{number:0{width}d}" for number in numbers], dtype=object)
    weights = np.sort(rng.gamma(2.0, 1.0, N_CENTERS))[::-1]
    centers = rng.choice(N_CENTERS, size, p=weights / weights.sum()) + 1
    center_ids = np.array([f"SYN-C{center:02d}" for center in range(1, N_CENTERS + 1)],
                          dtype=object)[centers - 1]
    return patient_ids, center_ids


def format_column(values: pd.Series, kind: str) -> pd.Series:
    """A column as written: ISO dates, nullable whole numbers, empty for missing."""
    if kind == "date":
        text = np.datetime_as_string(values.to_numpy(dtype="datetime64[D]"), unit="D")
        return pd.Series(np.where(text == "NaT", None, text), index=values.index)
    if kind == "int":
        return pd.to_numeric(values).round().astype("Int64")
    return values.where(values.notna(), None)


def line_numbers(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines numbered 1, 2, ... in time order within each patient."""
    ordered = lines.assign(role_order=lines["role"].map(ROLE_ORDER)).sort_values(
        ["pid", "start_date", "role_order"], kind="stable")
    ordered["line_number"] = ordered.groupby("pid").cumcount() + 1
    return ordered.drop(columns="role_order")


def export_tables(registry: Part, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The eight tables of the export, with schema columns in order, sorted by key."""
    patient_ids, center_ids = identifiers(rng, len(registry.patients))
    sources = {"treatment_lines": line_numbers(registry.lines),
               "progressions": registry.progressions, "biopsies": registry.biopsies}
    wide = registry.patients.assign(pid=np.arange(len(registry.patients)), center_id=center_ids)
    tables = {}
    for table in REGISTRY_TABLES:
        source = wide if table.one_row_per_patient else sources[table.name]
        frame = source.assign(patient_id=patient_ids[source["pid"].to_numpy()])
        tables[table.name] = formatted(frame, table)
    return tables


def formatted(frame: pd.DataFrame, table: TableSchema) -> pd.DataFrame:
    """``frame`` reduced to ``table``'s columns, formatted and sorted by its key."""
    columns = {column.name: format_column(frame[column.name].reset_index(drop=True), column.kind)
               for column in table.columns}
    result = pd.DataFrame(columns, columns=list(table.column_names))
    return result.sort_values(list(table.key), kind="stable").reset_index(drop=True)


def generate(patients: int, seed: int) -> dict[str, pd.DataFrame]:
    """The registry tables for an L3+ cohort of ``patients``, from ``seed``."""
    tl_post_rng, tl_pre_rng, bulk_rng, registry_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))
    registry = combine([build_tl_post(tl_post_rng), build_tl_pre(tl_pre_rng),
                        build_bulk(bulk_rng, cohort_sizes(patients))])
    return export_tables(registry, registry_rng)


def write_tables(tables: dict[str, pd.DataFrame], out: Path) -> None:
    """Write each table as ``<name>.csv`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> None:
    """Command line: generate the registry and write its CSV files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the CSV files")
    parser.add_argument("--patients", type=int, default=REFERENCE_COHORT,
                        help="size of the L3+ cohort (second-line patients come on top)")
    parser.add_argument("--seed", type=int, default=20240820)
    args = parser.parse_args(argv)
    write_tables(generate(args.patients, args.seed), args.out)


if __name__ == "__main__":
    main()
