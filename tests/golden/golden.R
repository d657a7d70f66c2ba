# Golden values for reportgen.stats, from R's survival package.
# Regenerate (needs r-base-core, r-cran-survival, r-cran-jsonlite from Debian):
#   Rscript tests/golden/golden.R     (run from the repository root)
# It writes the datasets it used (CSV) and survival.json beside this script.
suppressMessages({library(survival); library(jsonlite)})
here <- "tests/golden"

datasets <- list(
  aml = data.frame(time = aml$time, event = aml$status, group = as.character(aml$x)),
  lung = data.frame(time = lung$time, event = lung$status - 1, sex = lung$sex, age = lung$age,
                    ph_ecog = lung$ph.ecog,
                    # made-up case weights for the weighted estimators: non-integer and integer
                    weight = 0.5 + (lung$age %% 5) / 4, int_weight = 1 + lung$age %% 3),
  veteran = data.frame(time = veteran$time, event = veteran$status, trt = veteran$trt,
                       celltype = as.character(veteran$celltype), karno = veteran$karno, age = veteran$age),
  ovarian = data.frame(time = ovarian$futime, event = ovarian$fustat, rx = ovarian$rx, age = ovarian$age,
                       resid_ds = ovarian$resid.ds)
)
for (name in names(datasets)) write.csv(datasets[[name]], file.path(here, paste0(name, ".csv")), row.names = FALSE)
example <- read.csv(file.path(here, "example_endpoints.csv"))
datasets$example_pfs2 <- data.frame(time = example$time[example$endpoint == "pfs2"], event = example$event[example$endpoint == "pfs2"])
datasets$example_os2 <- data.frame(time = example$time[example$endpoint == "os2"], event = example$event[example$endpoint == "os2"])

landmarks <- list(aml = c(10, 20, 40), lung = c(180, 365, 730), lung_weighted = c(180, 365, 730),
                  lung_int_weighted = c(180, 365, 730), veteran = c(30, 90, 180),
                  ovarian = c(365, 730), example_pfs2 = c(3, 6, 12), example_os2 = c(3, 6, 12))
na <- function(x) if (length(x) == 0 || is.na(x)) NULL else unname(x)

km <- list()
datasets$lung_weighted <- transform(datasets$lung, w = weight)
datasets$lung_int_weighted <- transform(datasets$lung, w = int_weight)
for (name in names(landmarks)) {
  d <- datasets[[name]]
  if (!"w" %in% names(d)) d$w <- 1
  for (ct in c("log-log", "log", "plain")) {
    fit <- survfit(Surv(time, event) ~ 1, data = d, weights = w, conf.type = ct)
    q <- quantile(fit, c(0.25, 0.5, 0.75))
    s <- summary(fit, times = landmarks[[name]], extend = TRUE)
    km[[paste(name, ct)]] <- list(
      dataset = name, conf_type = ct,
      call = sprintf('survfit(Surv(time, event) ~ 1, data = %s, weights = w, conf.type = "%s")', name, ct),
      weighted = any(d[["w"]] != 1),
      quantiles = lapply(1:3, function(i) list(p = c(0.25, 0.5, 0.75)[i], estimate = na(q$quantile[i]),
                                               lower = na(q$lower[i]), upper = na(q$upper[i]))),
      landmarks = lapply(seq_along(s$time), function(i) list(time = s$time[i], survival = s$surv[i],
                         lower = na(s$lower[i]), upper = na(s$upper[i]), n_risk = s$n.risk[i])),
      time = fit$time, survival = fit$surv, n_risk = fit$n.risk,
      lower = lapply(fit$lower, na), upper = lapply(fit$upper, na))
  }
  if (grepl("weighted", name)) next
  rev <- quantile(survfit(Surv(time, 1 - event) ~ 1, data = d, conf.type = "log-log"), 0.5)
  km[[paste(name, "follow-up")]] <- list(dataset = name, conf_type = "follow-up",
    call = sprintf('quantile(survfit(Surv(time, 1 - event) ~ 1, data = %s, conf.type = "log-log"), 0.5)', name),
    estimate = na(rev$quantile), lower = na(rev$lower), upper = na(rev$upper))
}

lung3 <- subset(datasets$lung, !is.na(ph_ecog) & ph_ecog < 3)
logrank_cases <- list(
  list(name = "lung by sex", data = "lung", group = "sex", strata = NULL, f = Surv(time, event) ~ sex, d = datasets$lung),
  list(name = "lung by ECOG 0-2", data = "lung", group = "ph_ecog", strata = NULL, f = Surv(time, event) ~ ph_ecog, d = lung3, subset = "ph_ecog < 3"),
  list(name = "veteran by celltype", data = "veteran", group = "celltype", strata = NULL, f = Surv(time, event) ~ celltype, d = datasets$veteran),
  list(name = "veteran by trt, strata celltype", data = "veteran", group = "trt", strata = "celltype", f = Surv(time, event) ~ trt + strata(celltype), d = datasets$veteran),
  list(name = "lung by sex, strata ECOG", data = "lung", group = "sex", strata = "ph_ecog", f = Surv(time, event) ~ sex + strata(ph_ecog), d = lung3, subset = "ph_ecog < 3")
)
logrank <- lapply(logrank_cases, function(case) {
  test <- survdiff(case$f, data = case$d)
  list(name = case$name, dataset = case$data, group = case$group, strata = case$strata, subset = case$subset,
       call = paste("survdiff(", deparse(case$f), ")"), statistic = test$chisq,
       df = length(unique(case$d[[case$group]])) - 1, p = test$pvalue)
})

cox_cases <- list(
  list(name = "lung sex", data = "lung", covariates = c("sex"), d = datasets$lung),
  list(name = "lung age sex ph_ecog", data = "lung", covariates = c("age", "sex", "ph_ecog"), d = subset(datasets$lung, !is.na(ph_ecog))),
  list(name = "veteran trt karno", data = "veteran", covariates = c("trt", "karno"), d = datasets$veteran),
  list(name = "ovarian rx age", data = "ovarian", covariates = c("rx", "age"), d = datasets$ovarian),
  list(name = "veteran trt karno, robust", data = "veteran", covariates = c("trt", "karno"), d = datasets$veteran, robust = TRUE),
  list(name = "lung sex, weighted", data = "lung", covariates = c("sex"), d = datasets$lung, weights = "weight"),
  list(name = "lung sex, weighted, robust", data = "lung", covariates = c("sex"), d = datasets$lung, weights = "weight", robust = TRUE),
  list(name = "lung age sex ph_ecog, weighted, robust", data = "lung", covariates = c("age", "sex", "ph_ecog"),
       d = subset(datasets$lung, !is.na(ph_ecog)), weights = "weight", robust = TRUE),
  list(name = "lung sex ph_ecog, integer weights", data = "lung", covariates = c("sex", "ph_ecog"),
       d = subset(datasets$lung, !is.na(ph_ecog)), weights = "int_weight")
)
cox <- list()
for (case in cox_cases) for (ties in c("breslow", "efron")) {
  f <- as.formula(paste("Surv(time, event) ~", paste(case$covariates, collapse = " + ")))
  robust <- isTRUE(case$robust)
  case$d$w <- if (is.null(case$weights)) 1 else case$d[[case$weights]]
  fit <- coxph(f, data = case$d, ties = ties, weights = w, robust = robust)
  s <- summary(fit)
  cox[[length(cox) + 1]] <- list(name = case$name, dataset = case$data, covariates = case$covariates, ties = ties,
    weights = case$weights, robust = robust,
    call = sprintf('coxph(%s, data = %s, ties = "%s", weights = %s, robust = %s)', deparse(f), case$data, ties,
                   if (is.null(case$weights)) "NULL" else case$weights, robust),
    coef = as.list(unname(coef(fit))), hr = as.list(unname(exp(coef(fit)))),
    se = as.list(unname(sqrt(diag(vcov(fit))))),
    lower = as.list(unname(s$conf.int[, "lower .95"])), upper = as.list(unname(s$conf.int[, "upper .95"])),
    wald_p = as.list(unname(s$coefficients[, "Pr(>|z|)"])),
    lr_statistic = unname(s$logtest["test"]), lr_p = unname(s$logtest["pvalue"]),
    score_statistic = unname(s$sctest["test"]), score_p = unname(s$sctest["pvalue"]),
    robust_score_statistic = if (robust) unname(s$robscore["test"]) else NULL,
    robust_score_p = if (robust) unname(s$robscore["pvalue"]) else NULL,
    # summary() rounds the Wald statistic to 2 decimals; the fit keeps it whole.
    wald_statistic = unname(fit$wald.test), wald_test_p = unname(s$waldtest["pvalue"]))
}

out <- list(r_version = R.version.string, survival_version = as.character(packageVersion("survival")),
            kaplan_meier = unname(km), logrank = logrank, cox = cox)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE),
           file.path(here, "survival.json"))
