# The reduced benchmark study in R: the same work as benchmarks/reduced/study.yaml does with
# reportgen, on the same SYNTHETIC registry export (no real patient data).
#
# Usage: Rscript reduced_study.R DATA_FOLDER OUTPUT_FOLDER
#
# Reads the registry CSV files, derives the cohort (CAR T in line 3 or later), each patient's
# first treatment for progression after CAR T, the four analysis sets (that treatment is
# TAFA-LEN, R2, LEN or POLA-BR) and PFS2 / OS2 from its start; then writes one Table 1
# (flextable) and 8 Kaplan-Meier figures with numbers at risk (survminer) into
# OUTPUT_FOLDER/report.docx (officer) and OUTPUT_FOLDER/report.pdf (a cairo PDF device: the
# same flextable drawn as a grob, the same plots printed). Definitions follow reportgen's
# (reportgen/data/derive.py); only what this study shows is derived.
#
# Needs R with the survival, survminer, flextable and officer packages
# (Debian: r-cran-survminer r-cran-flextable r-cran-officer).

suppressPackageStartupMessages({
  library(survival)
  library(survminer)
  library(flextable)
  library(officer)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript reduced_study.R DATA_FOLDER OUTPUT_FOLDER")
data_dir <- args[1]
out_dir <- args[2]
dir.create(file.path(out_dir, "figures"), recursive = TRUE, showWarnings = FALSE)

DAYS_PER_MONTH <- 30.4375
MIN_CAR_T_LINE <- 3
EARLY_FAILURE_MONTHS <- 6
SETS <- c(tafa_len = "TAFA-LEN", r2 = "R2", len = "LEN", pola_br = "POLA-BR")
SET_LABELS <- c(tafa_len = "Tafasitamab-lenalidomide", r2 = "Lenalidomide-rituximab", len = "Lenalidomide",
                pola_br = "Polatuzumab-bendamustine-rituximab")
RISK_TIMES <- seq(0, 36, by = 6)
SYNTHETIC_NOTICE <- paste("This draft was generated from a synthetic registry: its data describe no real patient,",
                          "and its numbers must not be cited.")

# ---- read ----------------------------------------------------------------------------------
read_table <- function(name) {
  read.csv(file.path(data_dir, paste0(name, ".csv")), colClasses = "character", na.strings = "",
           encoding = "UTF-8")
}
as_date <- function(x) as.Date(x, format = "%Y-%m-%d")
patients <- read_table("patients")
car_t <- read_table("car_t")
lines <- read_table("treatment_lines")
progressions <- read_table("progressions")
follow_up <- read_table("follow_up")

# ---- derive --------------------------------------------------------------------------------
# one row per patient of the cohort, in car_t order
car_t$car_t_line <- as.integer(car_t$car_t_line)
base <- car_t[car_t$car_t_line >= MIN_CAR_T_LINE, ]
base$infusion_date <- as_date(base$infusion_date)
base$eligibility_date <- as_date(base$eligibility_date)
n_cohort <- nrow(base)

first_by_patient <- function(frame) frame[!duplicated(frame$patient_id), ]  # frame sorted within patient

progressions$progression_date <- as_date(progressions$progression_date)
lines$start_date <- as_date(lines$start_date)
lines$line_number <- as.integer(lines$line_number)

# first progression after the infusion
prog <- progressions[progressions$patient_id %in% base$patient_id, ]
prog$infusion_date <- base$infusion_date[match(prog$patient_id, base$patient_id)]
prog <- prog[prog$progression_date > prog$infusion_date, ]
prog <- first_by_patient(prog[order(prog$patient_id, prog$progression_date), ])
base$first_progression <- prog$progression_date[match(base$patient_id, prog$patient_id)]

# first post-CAR T line starting on or after that progression: its regimen and start
post <- lines[lines$role == "post_car_t", ]
post$first_progression <- base$first_progression[match(post$patient_id, base$patient_id)]
post <- post[!is.na(post$first_progression) & post$start_date >= post$first_progression, ]
post <- first_by_patient(post[order(post$patient_id, post$start_date, post$line_number), ])
at <- match(base$patient_id, post$patient_id)
base$regimen <- post$regimen[at]
base$start <- post$start_date[at]
n_treated <- sum(!is.na(base$start))

# the analysis sets: first treatment is one of the four regimens
d <- base[!is.na(base$regimen) & base$regimen %in% SETS, ]
d$set <- names(SETS)[match(d$regimen, SETS)]

# PFS2 and OS2 from the start of the first treatment for progression
later <- progressions[progressions$patient_id %in% d$patient_id, c("patient_id", "progression_date")]
later$start <- d$start[match(later$patient_id, d$patient_id)]
later <- later[later$progression_date > later$start, ]
later <- first_by_patient(later[order(later$patient_id, later$progression_date), ])
fu <- follow_up[match(d$patient_id, follow_up$patient_id), ]
death <- as_date(fu$death_date)
last_contact <- as_date(fu$last_contact_date)
next_progression <- later$progression_date[match(d$patient_id, later$patient_id)]
pfs_end <- pmin(next_progression, death, na.rm = TRUE)
months <- function(from, to) as.numeric(to - from) / DAYS_PER_MONTH
coalesce <- function(x, y) { x[is.na(x)] <- y[is.na(x)]; x }
d$pfs2_time <- months(d$start, coalesce(pfs_end, last_contact))
d$pfs2_event <- !is.na(pfs_end)
d$os2_time <- months(d$start, coalesce(death, last_contact))
d$os2_event <- !is.na(death)

# Table 1 variables, at CAR T eligibility
birth <- as.POSIXlt(as_date(patients$birth_date[match(d$patient_id, patients$patient_id)]))
on <- as.POSIXlt(d$eligibility_date)
d$age <- on$year - birth$year - ((on$mon < birth$mon) | (on$mon == birth$mon & on$mday < birth$mday))
d$sex_male <- patients$sex[match(d$patient_id, patients$patient_id)] == "M"
ecog <- as.integer(d$ecog)
d$ecog <- ifelse(ecog <= 1, "0-1", "2+")
stage <- as.integer(d$ann_arbor_stage)
d$stage <- ifelse(stage <= 2, "I-II", "III-IV")
prior <- lines[lines$role == "prior", ]
d$prior_lines <- as.vector(table(factor(prior$patient_id[prior$patient_id %in% d$patient_id],
                                        levels = d$patient_id)))
d$bridging <- d$patient_id %in% lines$patient_id[lines$role == "bridging"]
d$early_failure <- months(d$infusion_date, d$start) <= EARLY_FAILURE_MONTHS

# ---- Table 1 -------------------------------------------------------------------------------
groups <- lapply(names(SETS), function(key) d[d$set == key, ])
count_percent <- function(yes, n) if (n == 0) "0" else sprintf("%d (%.1f%%)", yes, 100 * yes / n)
continuous <- function(column, decimals) {
  c(sapply(groups, function(g) {
    x <- g[[column]]
    x <- x[!is.na(x)]
    sprintf("%.*f (%.*f; %.*f)", decimals + 1, median(x), decimals, min(x), decimals, max(x))
  }))
}
binary <- function(column) sapply(groups, function(g) {
  x <- g[[column]]
  count_percent(sum(x, na.rm = TRUE), sum(!is.na(x)))
})
missing_row <- function(column) {
  counts <- sapply(groups, function(g) sum(is.na(g[[column]])))
  if (any(counts > 0)) list(c("Missing", as.character(counts), "level")) else list()
}
rows <- list(c("Patients, N", sapply(groups, nrow), "variable"))
add_continuous <- function(label, column, decimals) {
  rows <<- c(rows, list(c(label, rep("", length(SETS)), "variable"),
                        c("Median (min; max)", continuous(column, decimals), "level")))
}
add_binary <- function(label, column) {
  rows <<- c(rows, list(c(label, binary(column), "variable")), missing_row(column))
}
add_categorical <- function(label, column, levels) {
  rows <<- c(rows, list(c(label, rep("", length(SETS)), "variable")))
  for (code in names(levels)) {
    cells <- sapply(groups, function(g) count_percent(sum(g[[column]] == code, na.rm = TRUE), sum(!is.na(g[[column]]))))
    rows <<- c(rows, list(c(levels[[code]], cells, "level")))
  }
  rows <<- c(rows, missing_row(column))
}
add_continuous("Age (y)", "age", 0)
add_binary("Sex, male", "sex_male")
add_categorical("ECOG", "ecog", c("0-1" = "0-1", "2+" = "\u22652"))
add_categorical("LDH > normal", "ldh_elevated", c(N = "No", Y = "Yes"))
add_categorical("Ann Arbor stage", "stage", c("I-II" = "I-II", "III-IV" = "III-IV"))
add_continuous("Prior lines before CAR T-cell therapy", "prior_lines", 0)
add_categorical("Disease status before leukapheresis", "status_before_leukapheresis",
                c(refractory = "Refractory", relapse = "Relapse"))
add_binary("Bridging therapy", "bridging")
add_categorical("CAR T product", "product", c("tisa-cel" = "Tisa-cel", "axi-cel" = "Axi-cel"))
add_binary("Treated for progression within 6 months of infusion", "early_failure")

cells <- as.data.frame(do.call(rbind, rows), stringsAsFactors = FALSE)
names(cells) <- c("label", names(SETS), "role")
ft <- flextable(cells, col_keys = c("label", names(SETS)))
ft <- set_header_labels(ft, values = as.list(c(label = "", SET_LABELS)))
ft <- padding(ft, i = which(cells$role == "level"), j = "label", padding.left = 14)
ft <- align(ft, j = names(SETS), align = "right", part = "all")
ft <- fontsize(ft, size = 8, part = "all")
ft <- add_footer_lines(ft, c("ECOG, Eastern Cooperative Oncology Group performance status; LDH, lactate dehydrogenase.",
                             "Percentages are of the patients with a known value; missing values are counted apart.",
                             "Synthetic data: no real patient."))
table_title <- "Table 1. Patient characteristics at CAR T-cell therapy eligibility, by first treatment for progression"
ft <- width(ft, j = "label", width = 2.4)
ft <- width(ft, j = names(SETS), width = 1.0)

# ---- Kaplan-Meier figures ------------------------------------------------------------------
fmt_months <- function(x) if (is.na(x)) "NA" else sprintf("%.1f", x)
figures <- list()
for (key in names(SETS)) {
  for (endpoint in c("pfs2", "os2")) {
    g <- d[d$set == key, ]
    g$time <- g[[paste0(endpoint, "_time")]]
    g$event <- g[[paste0(endpoint, "_event")]]
    fit <- survfit(Surv(time, event) ~ 1, data = g, conf.type = "log-log")
    m <- summary(fit)$table
    median_text <- sprintf("Median %s months (95%% CI, %s-%s)", fmt_months(m[["median"]]),
                           fmt_months(m[["0.95LCL"]]), fmt_months(m[["0.95UCL"]]))
    label <- toupper(endpoint)
    title <- sprintf("Figure %d. %s, %s (synthetic data)", length(figures) + 1, label, tolower(SET_LABELS[[key]]))
    plot <- ggsurvplot(fit, data = g, fun = "pct", conf.int = FALSE, censor = TRUE, censor.shape = "|",
                       palette = "black", legend = "none", xlim = c(0, max(RISK_TIMES)),
                       break.time.by = diff(RISK_TIMES)[1], xlab = "Months since the first treatment for progression",
                       ylab = paste0(label, " (%)"), title = title, risk.table = TRUE, risk.table.title = "No. at risk",
                       risk.table.y.text = FALSE, tables.height = 0.2, tables.theme = theme_cleantable(), fontsize = 3, ggtheme = theme_classic(base_size = 9))
    plot$plot <- plot$plot + annotate("text", x = max(RISK_TIMES), y = 97, label = median_text, hjust = 1, size = 3)
    figures[[paste0(endpoint, "_", key)]] <- plot
  }
}

# ---- report.docx ---------------------------------------------------------------------------
title <- paste("Survival after the first treatment for progression following CAR T-cell therapy, by treatment:",
               "a reduced benchmark study on a synthetic registry")
set_sizes <- paste(sprintf("%s (n = %d)", tolower(SET_LABELS), sapply(groups, nrow)), collapse = "; ")
methods <- c(
  sprintf(paste("The data are a synthetic registry export: a program generated every patient, so nothing here",
                "describes a real person. Of the %d patients given CAR T cells in line %d or later, %d were treated",
                "for their first progression after the infusion. We describe four groups by that first treatment: %s."),
          n_cohort, MIN_CAR_T_LINE, n_treated, set_sizes),
  sprintf(paste("PFS2 runs from the start of that treatment to the next progression or death, OS2 to death;",
                "patients without the event are censored at their last contact. Curves are Kaplan-Meier estimates;",
                "medians are in months of %.4f days with 95%% confidence intervals (log-log transformation)."),
          DAYS_PER_MONTH))

doc <- read_docx()
doc <- body_add_par(doc, title, style = "heading 1")
doc <- body_add_par(doc, SYNTHETIC_NOTICE, style = "Normal")
doc <- body_add_par(doc, "Methods", style = "heading 2")
for (paragraph in methods) doc <- body_add_par(doc, paragraph, style = "Normal")
doc <- body_add_break(doc)
doc <- body_add_par(doc, "Tables", style = "heading 2")
doc <- body_add_par(doc, table_title, style = "Normal")
doc <- body_add_flextable(doc, ft)
doc <- body_add_break(doc)
doc <- body_add_par(doc, "Figures", style = "heading 2")
for (i in seq_along(figures)) {
  path <- file.path(out_dir, "figures", paste0(names(figures)[i], ".png"))
  png(path, width = 5, height = 4.2, units = "in", res = 300, type = "cairo")
  print(figures[[i]], newpage = FALSE)
  invisible(dev.off())
  doc <- body_add_img(doc, path, width = 5, height = 4.2)
  if (i %% 2 == 0 && i < length(figures)) doc <- body_add_break(doc)
}
print(doc, target = file.path(out_dir, "report.docx"))

# ---- report.pdf ----------------------------------------------------------------------------
stamp <- function() grid::grid.text("SYNTHETIC DATA", x = 0.95, y = 0.98, just = c("right", "top"),
                                    gp = grid::gpar(col = "red3", fontsize = 8, fontface = "bold"))
cairo_pdf(file.path(out_dir, "report.pdf"), width = 8.27, height = 11.69, onefile = TRUE)
grid::grid.newpage()
text <- c(strwrap(title, 70), "", strwrap(SYNTHETIC_NOTICE, 90), "", "Methods", "",
          unlist(lapply(methods, function(p) c(strwrap(p, 95), ""))))
grid::grid.text(paste(text, collapse = "\n"), x = 0.08, y = 0.92, just = c("left", "top"),
                gp = grid::gpar(fontsize = 10, lineheight = 1.2))
stamp()
grid::grid.newpage()
grid::grid.text(table_title, x = 0.05, y = 0.95, just = c("left", "top"), gp = grid::gpar(fontsize = 10))
grid::pushViewport(grid::viewport(y = 0.93, height = 0.88, width = 0.9, just = "top"))
grid::grid.draw(gen_grob(ft, fit = "width", just = "top"))
grid::popViewport()
stamp()
for (plot in figures) {
  grid::grid.newpage()
  grid::pushViewport(grid::viewport(y = 0.95, width = 0.8, height = 0.5, just = "top"))
  print(plot, newpage = FALSE)
  grid::popViewport()
  stamp()
}
invisible(dev.off())
