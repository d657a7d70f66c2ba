# Golden values for propensity-score inverse probability weighting (reportgen.stats.weighting and
# reportgen.stats.survey), from R's survival and survey packages, on survival::rotterdam.
# Regenerate (needs r-base-core, r-cran-survival, r-cran-survey, r-cran-jsonlite from Debian):
#   Rscript tests/golden/golden_weighting.R     (run from the repository root)
# It writes rotterdam.csv and weighting.json beside this script, and computes everything from the
# CSV as read back, so R and Python see the same numbers.
#
# survival vs survey on these data (ate_stabilized weights; measured with survival 3.5.3, survey 4.1.1).
# The design has n = 2982 rows; a subset(des, hormon == g) domain keeps all 2982, so every survey
# variance below carries n/(n-1) with n = 2982, not the group size (339 or 2643).
# - coxph vs svycoxph: same coefficient (differences <= 1e-15, efron and breslow); svycoxph SE =
#   coxph robust SE * sqrt(2982/2981) = * 1.000168 (efron 0.1480689 vs 0.1480441); both P values are
#   normal-z, so svycoxph's is larger by 7e-5 (0.162744 vs 0.162674). svycoxph(..., ties = "breslow")
#   fails ("variable lengths differ (found for '(ties)')": survey's model.frame.svycoxph drops
#   `method` from the call but not `ties`); svycoxph(..., method = "breslow") works.
# - survfit with these non-integer weights already uses the robust (infinitesimal jackknife) variance,
#   identical to robust = TRUE, id = pid; then fit$logse is FALSE and fit$std.err is the SE of S
#   itself (unweighted fits: logse TRUE, std.err is the SE of log S). JSON std_err is always the SE of S.
# - svykm(se = TRUE) is not Kaplan-Meier: it returns exp(-weighted Nelson-Aalen), equal to
#   survfit(..., weights = w, stype = 2, ctype = 1) to machine precision, above the KM by a factor
#   1.000005 / 1.000058 / 1.000121 (control) and 1.000008 / 1.000359 / 1.000787 (treated) at 12 / 36 /
#   60 months. svykm(se = FALSE) is the product-limit KM, equal to survfit. sqrt(varlog) = that
#   stype = 2 fit's std.chaz * sqrt(2982/2981) at every time. Against survfit's KM SE, svykm's SE of S
#   is smaller by 0.9997 / 0.9994 / 0.9991 (control) and 0.9985 / 0.9906 / 0.9928 (treated).
# - quantile() on the svykm list errors ("unimplemented type 'list' in 'greater'"); per-group it works,
#   with a CI from exp(log S +- z sqrt(varlog)) on the Nelson-Aalen curve: control median 131.02 in both
#   packages, CI 125.27-136.64 (survey) vs 125.27-135.95 (survival, log-log); treated median not
#   reached in both, lower limit 129.18 (survey) vs 117.82 (survival).
# - svymean SE = sqrt(sum w^2 (y - p)^2) / sum w * sqrt(2982/2981); svyglm SE = HC0 sandwich of the
#   weighted glm * sqrt(2982/2981), same coefficient, P from t on 2980 df (0.321966; normal 0.321885).
#   svyciprop(method = "logit") matches the weighted proportion only to ~1e-12 (it is a glm fit).
# - svychisq(statistic = "Chisq") reports the unadjusted Pearson X^2 (2.146) with the P of X^2 / design
#   effect (2.183) on 1 df; the default "F" reports X^2 / design effect (0.983) on 1 and 2981 df.
suppressMessages({library(survival); library(survey); library(jsonlite)})
here <- "tests/golden"

# ---- data -------------------------------------------------------------------------------------
r <- survival::rotterdam
out_data <- data.frame(pid = r$pid, age = r$age, meno = r$meno, size = as.character(r$size), grade = r$grade,
                       nodes = r$nodes, pgr = r$pgr, er = r$er, hormon = r$hormon, recur = r$recur,
                       dtime = r$dtime, death = r$death, time_months = r$dtime / 30.4375)
write.csv(out_data, file.path(here, "rotterdam.csv"), row.names = FALSE)
d <- read.csv(file.path(here, "rotterdam.csv"))
size_levels <- c("<=20", "20-50", ">50")
d$size <- factor(d$size, levels = size_levels)
stopifnot(nrow(d) == 2982, !anyNA(d), all(d$hormon %in% 0:1))

# NA, NaN and +-Inf become JSON null
fin <- function(x) { x <- unname(x); x[!is.finite(x)] <- NA; x }
groups <- c(treated = 1, control = 0)

# ---- propensity model -------------------------------------------------------------------------
ps_call <- 'glm(hormon ~ age + meno + size + grade + nodes, family = binomial, data = d)'
ps_fit <- glm(hormon ~ age + meno + size + grade + nodes, family = binomial, data = d)
ps_coef <- summary(ps_fit)$coefficients
e <- unname(fitted(ps_fit))
treat <- d$hormon
pbar <- mean(treat)
propensity <- list(
  call = ps_call,
  note = 'size is a factor with levels c("<=20", "20-50", ">50") (reference "<=20"); grade is numeric (2 or 3), so its coefficient is the grade 3 vs 2 contrast',
  n = nrow(d), n_treated = sum(treat), treated_share = pbar,
  coefficients = lapply(seq_len(nrow(ps_coef)), function(i) list(
    name = rownames(ps_coef)[i], estimate = ps_coef[i, "Estimate"], se = ps_coef[i, "Std. Error"],
    z = ps_coef[i, "z value"], p = ps_coef[i, "Pr(>|z|)"])),
  deviance = ps_fit$deviance, null_deviance = ps_fit$null.deviance, aic = ps_fit$aic,
  first_scores = e[1:10], first_pids = d$pid[1:10], mean_score = mean(e),
  min_score = min(e), max_score = max(e))

# ---- weights ----------------------------------------------------------------------------------
w_ate_s <- treat * pbar / e + (1 - treat) * (1 - pbar) / (1 - e)
limits <- quantile(w_ate_s, c(0.01, 0.99), type = 2)
schemes <- list(
  ate_stabilized = list(w = w_ate_s, formula = "T*pbar/e + (1-T)*(1-pbar)/(1-e)"),
  ate = list(w = treat / e + (1 - treat) / (1 - e), formula = "T/e + (1-T)/(1-e)"),
  att = list(w = treat * 1 + (1 - treat) * e / (1 - e), formula = "T*1 + (1-T)*e/(1-e)"),
  ate_stabilized_truncated_1_99 = list(
    w = pmin(pmax(w_ate_s, limits[[1]]), limits[[2]]),
    formula = "pmin(pmax(w_ate_stabilized, lower), upper); c(lower, upper) = quantile(w_ate_stabilized, c(0.01, 0.99), type = 2)",
    lower = limits[[1]], upper = limits[[2]]))
weights <- lapply(names(schemes), function(s) {
  w <- schemes[[s]]$w
  c(list(scheme = s, formula = schemes[[s]]$formula, lower = schemes[[s]]$lower, upper = schemes[[s]]$upper,
         first = w[1:10]),
    list(groups = lapply(groups, function(g) {
      x <- w[treat == g]
      list(hormon = unname(g), n = length(x), min = min(x), max = max(x), mean = mean(x), sum = sum(x),
           ess = sum(x)^2 / sum(x^2))
    })))
})
names(weights) <- names(schemes)

# ---- standardized mean differences ------------------------------------------------------------
covariates <- c(list(
  list(variable = "age", level = NULL, x = d$age),
  list(variable = "meno", level = "1", x = as.numeric(d$meno == 1))),
  lapply(size_levels, function(l) list(variable = "size", level = l, x = as.numeric(d$size == l))),
  list(list(variable = "grade", level = "3", x = as.numeric(d$grade == 3)),
       list(variable = "nodes", level = NULL, x = d$nodes)))
smd_records <- function(w) lapply(covariates, function(cv) {
  x1 <- cv$x[treat == 1]; x0 <- cv$x[treat == 0]
  if (is.null(cv$level)) { s1 <- sd(x1); s0 <- sd(x0) }
  else { s1 <- sqrt(mean(x1) * (1 - mean(x1))); s0 <- sqrt(mean(x0) * (1 - mean(x0))) }
  m1 <- weighted.mean(x1, w[treat == 1]); m0 <- weighted.mean(x0, w[treat == 0])
  pooled <- sqrt((s1^2 + s0^2) / 2)
  list(variable = cv$variable, level = cv$level, kind = if (is.null(cv$level)) "continuous" else "binary",
       treated_mean = m1, control_mean = m0, treated_sd = s1, control_sd = s0, pooled_sd = pooled,
       smd = (m1 - m0) / pooled)
})
smd <- c(list(none = smd_records(rep(1, nrow(d)))), lapply(schemes, function(s) smd_records(s$w)))

# ---- survival: survfit / coxph with the ate_stabilized weights ---------------------------------
d$w <- w_ate_s
d$w_att <- schemes$att$w
landmarks <- c(12, 36, 60)
survfit_record <- function(fit, call, weighted) {
  se_of_survival <- function(f) if (isTRUE(f$logse)) f$std.err * f$surv else f$std.err
  list(call = call, weights = if (weighted) "ate_stabilized" else NULL,
       std_err_note = "std_err is the standard error of the survival probability (as summary() prints it)",
       groups = lapply(groups, function(g) {
         f <- fit[paste0("hormon=", g)]
         q <- quantile(f, c(0.25, 0.5, 0.75))
         s <- summary(f, times = landmarks, extend = TRUE)
         list(hormon = unname(g), records = sum(d$hormon == g),
              n_weighted = if (weighted) sum(d$w[d$hormon == g]) else NULL,
              events = sum(f$n.event),
              median = list(estimate = fin(q$quantile[2]), lower = fin(q$lower[2]), upper = fin(q$upper[2])),
              quantiles = lapply(1:3, function(i) list(p = c(0.25, 0.5, 0.75)[i], estimate = fin(q$quantile[i]),
                                                        lower = fin(q$lower[i]), upper = fin(q$upper[i]))),
              landmarks = lapply(seq_along(s$time), function(i) list(
                time = s$time[i], survival = s$surv[i], std_err = fin(s$std.err[i]), lower = fin(s$lower[i]),
                upper = fin(s$upper[i]), n_risk = s$n.risk[i])),
              curve = list(time = f$time, surv = f$surv, std_err = fin(se_of_survival(f)), lower = fin(f$lower),
                           upper = fin(f$upper), n_risk = f$n.risk, n_event = f$n.event, n_censor = f$n.censor))
       }))
}
km_w <- survfit(Surv(time_months, death) ~ hormon, data = d, weights = w, conf.type = "log-log")
km_u <- survfit(Surv(time_months, death) ~ hormon, data = d, conf.type = "log-log")
survfit_weighted <- survfit_record(
  km_w, 'survfit(Surv(time_months, death) ~ hormon, data = d, weights = w, conf.type = "log-log")', TRUE)
survfit_unweighted <- survfit_record(
  km_u, 'survfit(Surv(time_months, death) ~ hormon, data = d, conf.type = "log-log")', FALSE)

coxph_records <- lapply(c(breslow = "breslow", efron = "efron"), function(ties) {
  fit <- coxph(Surv(time_months, death) ~ hormon, data = d, weights = w, robust = TRUE, ties = ties)
  s <- summary(fit)
  list(call = sprintf('coxph(Surv(time_months, death) ~ hormon, data = d, weights = w, robust = TRUE, ties = "%s")', ties),
       weights = "ate_stabilized", ties = ties,
       coef = unname(coef(fit)), hr = unname(exp(coef(fit))), se = unname(sqrt(diag(vcov(fit)))),
       naive_se = unname(sqrt(diag(fit$naive.var))),
       lower = unname(s$conf.int[, "lower .95"]), upper = unname(s$conf.int[, "upper .95"]),
       z = unname(s$coefficients[, "z"]), wald_p = unname(s$coefficients[, "Pr(>|z|)"]),
       robust_score_statistic = unname(s$robscore["test"]), robust_score_df = unname(s$robscore["df"]),
       robust_score_p = unname(s$robscore["pvalue"]),
       score_statistic = unname(s$sctest["test"]), score_p = unname(s$sctest["pvalue"]),
       lr_statistic = unname(s$logtest["test"]), lr_p = unname(s$logtest["pvalue"]),
       wald_statistic = unname(fit$wald.test), wald_test_p = unname(s$waldtest["pvalue"]))
})

# ---- survey package -----------------------------------------------------------------------------
des <- svydesign(ids = ~1, weights = ~w, data = d)
des_att <- svydesign(ids = ~1, weights = ~w_att, data = d)

skm <- svykm(Surv(time_months, death) ~ hormon, design = des, se = TRUE)
skm_plain <- svykm(Surv(time_months, death) ~ hormon, design = des, se = FALSE)
list_quantile <- tryCatch(quantile(skm, probs = 0.5, ci = TRUE), error = function(err) err)
step_at <- function(time, x, t) { i <- which(time <= t); if (length(i)) x[max(i)] else NA }
svykm_record <- list(
  call = "svykm(Surv(time_months, death) ~ hormon, design = des, se = TRUE)",
  design = "svydesign(ids = ~1, weights = ~w, data = d)", weights = "ate_stabilized",
  note = paste("with se = TRUE svykm returns exp(-weighted Nelson-Aalen), not the product-limit estimate;",
               "survival_km is svykm(..., se = FALSE) (product-limit, no SE). se = survival * sqrt(varlog);",
               "se_log = sqrt(varlog). Each value is the last step at or before the landmark."),
  quantile_on_list_error = if (inherits(list_quantile, "error")) conditionMessage(list_quantile) else NULL,
  groups = lapply(groups, function(g) {
    k <- skm[[as.character(g)]]; kp <- skm_plain[[as.character(g)]]
    qm <- tryCatch(quantile(k, probs = 0.5, ci = TRUE), error = function(err) NULL)
    list(hormon = unname(g),
         landmarks = lapply(landmarks, function(t) {
           s <- step_at(k$time, k$surv, t); v <- step_at(k$time, k$varlog, t)
           list(time = t, survival = fin(s), se = fin(s * sqrt(v)), se_log = fin(sqrt(v)),
                survival_km = fin(step_at(kp$time, kp$surv, t)))
         }),
         median = if (is.null(qm)) NULL else list(
           call = sprintf('quantile(skm[["%s"]], probs = 0.5, ci = TRUE)', g),
           estimate = fin(qm[[1]]), lower = fin(attr(qm, "ci")[1, 1]), upper = fin(attr(qm, "ci")[1, 2]),
           note = "Inf (not reached) is stored as null"))
  }))

svycoxph_records <- list()
svycoxph_calls <- list(
  efron = quote(svycoxph(Surv(time_months, death) ~ hormon, design = des)),
  breslow_ties = quote(svycoxph(Surv(time_months, death) ~ hormon, design = des, ties = "breslow")),
  breslow = quote(svycoxph(Surv(time_months, death) ~ hormon, design = des, method = "breslow")))
for (name in names(svycoxph_calls)) {
  cl <- svycoxph_calls[[name]]
  fit <- tryCatch(eval(cl), error = function(err) err)
  if (inherits(fit, "error")) {
    svycoxph_records[[name]] <- list(call = paste(deparse(cl), collapse = " "), error = conditionMessage(fit))
    next
  }
  # summary.svycoxph prints the design; keep the output quiet
  invisible(capture.output(sc <- summary(fit)$coefficients))
  svycoxph_records[[name]] <- list(
    call = paste(deparse(cl), collapse = " "), weights = "ate_stabilized",
    ties = if (name == "efron") "efron" else "breslow", method = fit$method,
    coef = unname(coef(fit)), hr = unname(exp(coef(fit))), se = unname(sqrt(diag(vcov(fit)))),
    z = unname(sc[, "z"]), p = unname(sc[, "Pr(>|z|)"]),
    lower = unname(exp(confint(fit))[1, 1]), upper = unname(exp(confint(fit))[1, 2]),
    wald_statistic = unname(fit$wald.test[1]), degf_resid = fit$degf.resid)
}

proportions_record <- function(design, wname, scheme) {
  dname <- if (wname == "w") "des" else "des_att"
  w <- d[[wname]]
  by_group <- function(fun) lapply(groups, function(g) fun(g, subset(design, hormon == g)))
  ciprop <- function(method) by_group(function(g, sub) {
    p <- svyciprop(~I(recur == 1), sub, method = method)
    list(call = sprintf('svyciprop(~I(recur == 1), subset(%s, hormon == %d), method = "%s")', dname, g, method),
         estimate = as.numeric(coef(p)), lower = as.numeric(attr(p, "ci")[1]), upper = as.numeric(attr(p, "ci")[2]),
         se = as.numeric(SE(p)))
  })
  chi_f <- svychisq(~recur + hormon, design)
  chi_c <- svychisq(~recur + hormon, design, statistic = "Chisq")
  glm_fit <- svyglm(recur ~ hormon, design = design, family = quasibinomial())
  gc <- summary(glm_fit)$coefficients
  list(
    scheme = scheme, design = sprintf("svydesign(ids = ~1, weights = ~%s, data = d)", wname),
    svyciprop_beta = ciprop("beta"), svyciprop_logit = ciprop("logit"),
    svymean = by_group(function(g, sub) {
      m <- svymean(~recur, sub)
      list(call = sprintf("svymean(~recur, subset(%s, hormon == %d))", dname, g),
           estimate = as.numeric(coef(m)), se = as.numeric(SE(m)))
    }),
    svychisq_f = list(call = sprintf("svychisq(~recur + hormon, %s)", dname),
                      statistic = unname(chi_f$statistic), ndf = unname(chi_f$parameter["ndf"]),
                      ddf = unname(chi_f$parameter["ddf"]), p = unname(chi_f$p.value)),
    svychisq_chisq = list(call = sprintf('svychisq(~recur + hormon, %s, statistic = "Chisq")', dname),
                          note = paste("statistic is the unadjusted Pearson X^2 of the weighted table rescaled to n rows;",
                                       "p is pchisq(statistic / design_effect, df). For this 2 x 2 table",
                                       "design_effect = statistic / svychisq_f$statistic"),
                          statistic = unname(chi_c$statistic), df = unname(chi_c$parameter),
                          design_effect = unname(chi_c$statistic / chi_f$statistic),
                          adjusted_statistic = unname(chi_f$statistic), p = unname(chi_c$p.value)),
    svyglm = list(call = sprintf("svyglm(recur ~ hormon, design = %s, family = quasibinomial())", dname),
                  coef = gc["hormon", "Estimate"], se = gc["hormon", "Std. Error"], t = gc["hormon", "t value"],
                  p = gc["hormon", "Pr(>|t|)"], df_residual = glm_fit$df.residual,
                  intercept = gc["(Intercept)", "Estimate"]),
    weighted_rate = lapply(groups, function(g) {
      k <- d$hormon == g
      list(call = sprintf("sum(%s * recur) / sum(%s) over hormon == %d", wname, wname, g),
           estimate = sum(w[k] * d$recur[k]) / sum(w[k]))
    }))
}
proportions <- list(ate_stabilized = proportions_record(des, "w", "ate_stabilized"),
                    att = proportions_record(des_att, "w_att", "att"))

out <- list(r_version = R.version.string, survival_version = as.character(packageVersion("survival")),
            survey_version = as.character(packageVersion("survey")), n = nrow(d),
            propensity = propensity, weights = weights, smd = smd,
            survfit_weighted = survfit_weighted, survfit_unweighted = survfit_unweighted,
            coxph = coxph_records, svykm = svykm_record, svycoxph = svycoxph_records, proportions = proportions)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE),
           file.path(here, "weighting.json"))
