# Golden values for the analysis-ready example (examples/gbsg2), from R's survival package.
# Regenerate (needs r-base-core, r-cran-survival, r-cran-jsonlite from Debian):
#   Rscript tests/golden/golden_ready.R     (run from the repository root)
# It reads gbsg2.csv (the copy lifelines ships, committed beside this script; a test checks it is
# still lifelines' file) and writes ready.json: what the study's spec asks, computed by R.
suppressMessages({library(survival); library(jsonlite)})
here <- "tests/golden"
d <- read.csv(file.path(here, "gbsg2.csv"), stringsAsFactors = FALSE)
d$months <- d$time / 30.4375                      # the spec's days_per_month
d$hormonal <- as.integer(d$horTh == "yes")

median_ci <- function(fit) {
  q <- quantile(fit, 0.5)
  na <- function(x) if (is.na(x)) NULL else unname(x)
  list(estimate = na(q$quantile), lower = na(q$lower), upper = na(q$upper))
}
groups <- list(all = d, no_hormonal = d[d$hormonal == 0, ], hormonal = d[d$hormonal == 1, ])
out <- list()
for (name in names(groups)) {
  g <- groups[[name]]
  fit <- survfit(Surv(months, cens) ~ 1, data = g, conf.type = "log-log")
  s <- summary(fit, times = c(36, 60))
  reverse <- survfit(Surv(months, 1 - cens) ~ 1, data = g, conf.type = "log-log")
  out[[name]] <- list(n = nrow(g), events = sum(g$cens), median = median_ci(fit),
                      follow_up = median_ci(reverse),
                      landmark_36 = list(estimate = s$surv[1], lower = s$lower[1], upper = s$upper[1]),
                      landmark_60 = list(estimate = s$surv[2], lower = s$lower[2], upper = s$upper[2]),
                      at_risk_24 = summary(fit, times = 24)$n.risk,
                      age = unname(quantile(g$age, c(0.25, 0.5, 0.75), type = 2)),
                      grade_iii = sum(g$tgrade == "III"),
                      grade_iii_ci = unname(binom.test(sum(g$tgrade == "III"), nrow(g))$conf.int))
}
test <- survdiff(Surv(months, cens) ~ hormonal, data = d)
cox <- coxph(Surv(months, cens) ~ hormonal, data = d, ties = "breslow")
ci <- exp(confint(cox))
out$therapy <- list(logrank_p = pchisq(test$chisq, 1, lower.tail = FALSE),
                    hr = unname(exp(coef(cox))), hr_lower = unname(ci[1]), hr_upper = unname(ci[2]),
                    hr_p = unname(summary(cox)$coefficients[, "Pr(>|z|)"]))
# the weighted comparison of the spec (comparisons.hormonal): stabilized ATE weights from a logistic
# propensity score, weighted Kaplan-Meier (log-log) and a weighted Cox model with robust variance
ps <- fitted(glm(hormonal ~ age + factor(menostat) + tsize + factor(tgrade) + pnodes + progrec + estrec,
                 family = binomial, data = d))
p1 <- mean(d$hormonal)
d$w <- ifelse(d$hormonal == 1, p1 / ps, (1 - p1) / (1 - ps))
weighted_cox <- coxph(Surv(months, cens) ~ hormonal, data = d, weights = w, robust = TRUE, ties = "breslow")
wci <- exp(confint(weighted_cox))
arm <- function(flag) {
  fit <- survfit(Surv(months, cens) ~ 1, data = d[d$hormonal == flag, ], weights = w, conf.type = "log-log")
  list(median = median_ci(fit), effective_n = sum(d$w[d$hormonal == flag])^2 / sum(d$w[d$hormonal == flag]^2))
}
out$weighted <- list(hr = unname(exp(coef(weighted_cox))), hr_lower = unname(wci[1]), hr_upper = unname(wci[2]),
                     robust_score_p = unname(summary(weighted_cox)$robscore["pvalue"]),
                     treated = arm(1), control = arm(0))
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(here, "ready.json"))
