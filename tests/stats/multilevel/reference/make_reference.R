# Reference values from lme4 for the tests of werkplaats.stats.multilevel.
#
# Run from the repository root:
#   Rscript tests/stats/multilevel/reference/make_reference.R
# Writes the small lme4 data sets as CSV and reference.json beside this script.
# growth.csv is made by make_growth.py (Python, fixed seed) and only read here.
# InstEval (73k rows) is not written: the tests export it at test time when R
# is present. The reference fits use tight optimiser tolerances so that the
# values are the optimum itself rather than where the default stopping rule
# happened to land; the default-control objective is recorded too.
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))

write.csv(sleepstudy, file.path(here, "sleepstudy.csv"), row.names = FALSE)
write.csv(Dyestuff, file.path(here, "dyestuff.csv"), row.names = FALSE)
write.csv(Dyestuff2, file.path(here, "dyestuff2.csv"), row.names = FALSE)
write.csv(Penicillin, file.path(here, "penicillin.csv"), row.names = FALSE)
write.csv(Pastes[, c("strength", "batch", "cask")], file.path(here, "pastes.csv"), row.names = FALSE)
growth <- read.csv(file.path(here, "growth.csv"))
for (v in c("client", "professional", "team")) growth[[v]] <- factor(growth[[v]])

tight <- lmerControl(optimizer = "nloptwrap",
                     optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12, maxeval = 1e5))

describe <- function(m, with_ranef = TRUE, with_fitted = TRUE) {
  reml <- isREML(m)
  vc <- as.data.frame(VarCorr(m))
  out <- list(
    formula = paste(deparse(formula(m), width.cutoff = 500), collapse = ""),
    reml = reml,
    nobs = nobs(m),
    objective = if (reml) unname(REMLcrit(m)) else unname(deviance(m)),
    loglik = as.numeric(logLik(m)),
    aic = AIC(m), bic = BIC(m),
    sigma = sigma(m),
    theta = unname(getME(m, "theta")),
    fixef = as.list(fixef(m)),
    se = as.list(sqrt(diag(as.matrix(vcov(m))))),
    tvalue = as.list(coef(summary(m))[, "t value"]),
    varcorr = list(grp = vc$grp, var1 = ifelse(is.na(vc$var1), "", vc$var1),
                   var2 = ifelse(is.na(vc$var2), "", vc$var2), vcov = vc$vcov, sdcor = vc$sdcor),
    singular = isSingular(m),
    ngrps = as.list(ngrps(m))
  )
  if (with_ranef) {
    re <- as.data.frame(ranef(m, condVar = TRUE))
    out$ranef <- list(grpvar = as.character(re$grpvar), term = as.character(re$term),
                      grp = as.character(re$grp), condval = re$condval, condsd = re$condsd)
  }
  if (with_fitted) out$fitted <- unname(fitted(m))
  out
}

fit <- function(formula, data, REML = TRUE) {
  m <- lmer(formula, data = data, REML = REML, control = tight)
  d <- lmer(formula, data = data, REML = REML)
  list(m = m, default_objective = if (REML) unname(REMLcrit(d)) else unname(deviance(d)))
}

ref <- list()
add <- function(name, formula, data, REML = TRUE, ...) {
  f <- fit(formula, data, REML)
  r <- describe(f$m, ...)
  r$default_objective <- f$default_objective
  ref[[name]] <<- r
  invisible(f$m)
}

m <- add("sleepstudy_reml", Reaction ~ Days + (Days | Subject), sleepstudy)
nd <- data.frame(Days = c(0, 5, 9, 3), Subject = factor(c("308", "335", "372", "999")))
ref$sleepstudy_reml$predict <- list(
  Days = nd$Days, Subject = as.character(nd$Subject),
  population = unname(predict(m, newdata = nd, re.form = NA)),
  conditional = unname(predict(m, newdata = nd, allow.new.levels = TRUE)))
add("sleepstudy_ml", Reaction ~ Days + (Days | Subject), sleepstudy, REML = FALSE)
add("sleepstudy_uncorrelated", Reaction ~ Days + (Days || Subject), sleepstudy)
add("sleepstudy_slope_only", Reaction ~ Days + (0 + Days | Subject), sleepstudy)
add("dyestuff", Yield ~ 1 + (1 | Batch), Dyestuff)
add("dyestuff_ml", Yield ~ 1 + (1 | Batch), Dyestuff, REML = FALSE)
add("dyestuff2", Yield ~ 1 + (1 | Batch), Dyestuff2)
add("penicillin", diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin)
add("pastes", strength ~ 1 + (1 | batch/cask), Pastes)
add("pastes_interaction", strength ~ 1 + (1 | batch) + (1 | batch:cask), Pastes)
add("pastes_cask_fixed", strength ~ cask + (1 | batch), Pastes)
add("growth", y ~ time * x + (time | client) + (1 | professional) + (1 | team), growth,
    with_ranef = FALSE, with_fitted = FALSE)
add("growth_ml", y ~ time * x + (time | client) + (1 | professional) + (1 | team), growth,
    REML = FALSE, with_ranef = FALSE, with_fitted = FALSE)
ie <- InstEval
add("insteval", y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept), ie, with_ranef = FALSE, with_fitted = FALSE)

ref$meta <- list(lme4 = as.character(packageVersion("lme4")), R = R.version.string,
                 control = "nloptwrap, xtol_abs=1e-12, ftol_abs=1e-14, xtol_rel=1e-12")
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "reference.json"))
cat("wrote", file.path(here, "reference.json"), "\n")
