# Writes the SAS7BDAT fixture of the source tests: the first 40 patients of the SYNTHETIC
# registry (examples/synthetic-registry/data), one .sas7bdat per registry table, with
# SAS dates, numeric whole numbers, character codes and a variable label on every column.
# Python cannot write SAS7BDAT, so this uses R's haven (Debian: r-cran-haven). Run from
# the repository root:  Rscript tests/data/sas7bdat/make_sas7bdat.R
suppressMessages(library(haven))
source_dir <- "examples/synthetic-registry/data"
out_dir <- "tests/data/sas7bdat"
patients <- read.csv(file.path(source_dir, "patients.csv"), colClasses = "character")
keep <- sort(patients$patient_id)[1:40]
tables <- c("patients", "diagnoses", "treatment_lines", "car_t", "progressions", "follow_up", "toxicities",
            "biopsies")
whole <- c("line_number", "car_t_line", "ecog", "ann_arbor_stage", "aaipi", "hctci_score", "crs_grade",
           "icans_grade")
for (table in tables) {
  frame <- read.csv(file.path(source_dir, paste0(table, ".csv")), colClasses = "character")
  frame <- frame[frame$patient_id %in% keep, , drop = FALSE]
  for (column in names(frame)) {
    values <- frame[[column]]
    values[values == ""] <- NA
    if (grepl("_date$", column)) {
      values <- as.Date(values)
    } else if (column %in% whole) {
      values <- as.numeric(values)
    }
    attr(values, "label") <- paste("Registry", table, "variable", column)
    frame[[column]] <- values
  }
  write_sas(frame, file.path(out_dir, paste0(table, ".sas7bdat")))
}
