"""The registry export's schema: which tables, which columns, which types and codes.

This is the contract between a registry export (the synthetic example, or a real
registry's files mapped onto it by an adapter) and everything downstream. Loading
types the columns by this schema; validation checks every row against it.

A column's ``kind`` is one of:
- ``id``      a string identifier (patient id, center id)
- ``date``    an ISO date (YYYY-MM-DD)
- ``int``     a whole number
- ``code``    a string from a closed list of codes (``codes``)
- ``flag``    Y or N
- ``text``    free text
Columns not ``required`` may be empty (missing) in a row.
"""

from __future__ import annotations

from dataclasses import dataclass

RESPONSE_CODES = ("CR", "PR", "SD", "PD", "NE")


@dataclass(frozen=True)
class Column:
    """One column of a registry table."""

    name: str
    kind: str
    required: bool = True
    codes: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class TableSchema:
    """One table of the export: its file stem, its columns, and its key."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    one_row_per_patient: bool

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)


def _id(name: str) -> Column:
    return Column(name, "id")


PATIENTS = TableSchema(
    "patients",
    (
        _id("patient_id"),
        _id("center_id"),
        Column("sex", "code", codes=("M", "F")),
        Column("birth_date", "date"),
    ),
    key=("patient_id",),
    one_row_per_patient=True,
)

DIAGNOSES = TableSchema(
    "diagnoses",
    (
        _id("patient_id"),
        Column("diagnosis_date", "date"),
        # LBCL: large B-cell lymphoma NOS; TFL: transformed follicular lymphoma;
        # TIND: other transformed indolent lymphoma; PMBL: primary mediastinal B-cell
        # lymphoma; THL: transformed Hodgkin lymphoma.
        Column("histology", "code", codes=("LBCL", "TFL", "TIND", "PMBL", "THL")),
    ),
    key=("patient_id",),
    one_row_per_patient=True,
)

TREATMENT_LINES = TableSchema(
    "treatment_lines",
    (
        _id("patient_id"),
        Column("line_number", "int", low=1, high=30),
        Column("regimen", "code", codes=(
            "R-CHOP", "R-DHAP", "R-ICE", "R-GEMOX", "POLA-BR", "R-BENDA", "CHEMO-OTHER",
            "TAFA-LEN", "LEN", "R2", "IMID-OTHER",
            "GLOFITAMAB", "EPCORITAMAB", "MOSUNETUZUMAB",
            "RADIOTHERAPY", "ALLOGENEIC-SCT", "KINASE-INHIBITOR", "CHECKPOINT-INHIBITOR",
            "LONCASTUXIMAB", "OTHER",
        )),
        # prior: a line before CAR T; bridging: between leukapheresis and infusion;
        # post_car_t: a line given after CAR T infusion.
        Column("role", "code", codes=("prior", "bridging", "post_car_t")),
        Column("start_date", "date"),
        Column("end_date", "date", required=False),
        Column("autologous_transplant", "flag"),
        Column("best_response", "code", required=False, codes=RESPONSE_CODES),
        Column("best_response_date", "date", required=False),
    ),
    key=("patient_id", "line_number"),
    one_row_per_patient=False,
)

CAR_T = TableSchema(
    "car_t",
    (
        _id("patient_id"),
        Column("product", "code", codes=("axi-cel", "tisa-cel")),
        Column("car_t_line", "int", low=2, high=15),
        Column("eligibility_date", "date"),
        Column("leukapheresis_date", "date"),
        Column("infusion_date", "date"),
        Column("status_before_leukapheresis", "code", required=False,
               codes=("refractory", "relapse")),
        Column("status_before_infusion", "code", required=False, codes=RESPONSE_CODES),
        Column("ecog", "int", required=False, low=0, high=4),
        Column("ldh_elevated", "flag", required=False),
        Column("ann_arbor_stage", "int", required=False, low=1, high=4),
        Column("aaipi", "int", required=False, low=0, high=3),
        Column("hctci_evaluated", "flag"),
        Column("hctci_score", "int", required=False, low=0, high=20),
        Column("best_response", "code", required=False, codes=RESPONSE_CODES),
        Column("best_response_date", "date", required=False),
    ),
    key=("patient_id",),
    one_row_per_patient=True,
)

PROGRESSIONS = TableSchema(
    "progressions",
    (
        _id("patient_id"),
        Column("progression_date", "date"),
    ),
    key=("patient_id", "progression_date"),
    one_row_per_patient=False,
)

FOLLOW_UP = TableSchema(
    "follow_up",
    (
        _id("patient_id"),
        Column("last_contact_date", "date"),
        Column("vital_status", "code", codes=("alive", "dead")),
        Column("death_date", "date", required=False),
        Column("death_cause", "code", required=False, codes=(
            "progression", "concurrent_illness", "late_toxicity", "acute_toxicity",
            "other", "unknown",
        )),
    ),
    key=("patient_id",),
    one_row_per_patient=True,
)

TOXICITIES = TableSchema(
    "toxicities",
    (
        _id("patient_id"),
        Column("crs_grade", "int", required=False, low=0, high=5),
        Column("icans_grade", "int", required=False, low=0, high=5),
        Column("tocilizumab", "flag", required=False),
        Column("icu_admission", "flag", required=False),
        Column("prolonged_cytopenia", "flag", required=False),
        Column("infection_grade_3_5", "flag", required=False),
    ),
    key=("patient_id",),
    one_row_per_patient=True,
)

BIOPSIES = TableSchema(
    "biopsies",
    (
        _id("patient_id"),
        Column("biopsy_date", "date"),
        Column("cd19_ihc", "code", codes=("positive", "negative", "not_done")),
    ),
    key=("patient_id", "biopsy_date"),
    one_row_per_patient=False,
)

REGISTRY_TABLES: tuple[TableSchema, ...] = (
    PATIENTS, DIAGNOSES, TREATMENT_LINES, CAR_T, PROGRESSIONS, FOLLOW_UP, TOXICITIES, BIOPSIES,
)
