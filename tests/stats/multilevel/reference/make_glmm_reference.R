# Reference values from lme4's glmer for the GLMM tests of werkplaats.stats.multilevel.
#
# Run from the repository root:
#   Rscript tests/stats/multilevel/reference/make_glmm_reference.R
# Writes cbpp.csv, grouseticks.csv, verbagg.csv and glmm_reference.json beside
# this script; binary_growth.csv is made by make_binary_growth.py and only read.
# The fits use tight optimiser and PIRLS tolerances so that the values are the
# optimum itself (tolPwrss = 1e-10 still left VerbAgg's Laplace deviance 7.5e-4 above
# its value with the conditional modes converged, 1e-13); the objective of a
# default-control fit is recorded too.
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))

write.csv(grouseticks[, c("INDEX", "TICKS", "BROOD", "YEAR", "LOCATION", "cHEIGHT")],
          file.path(here, "grouseticks.csv"), row.names = FALSE)
write.csv(VerbAgg[, c("r2", "Anger", "Gender", "btype", "situ", "id", "item")],
          file.path(here, "verbagg.csv"), row.names = FALSE)
growth <- read.csv(file.path(here, "binary_growth.csv"))
for (v in c("client", "professional", "team")) growth[[v]] <- factor(growth[[v]])
cbpp$prop <- cbpp$incidence / cbpp$size
cbpp$lsize <- log(cbpp$size)
write.csv(cbpp, file.path(here, "cbpp.csv"), row.names = FALSE)

tight <- glmerControl(optimizer = "nloptwrap", tolPwrss = 1e-13,
                      optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12, maxeval = 1e5))

describe <- function(m, with_ranef = TRUE) {
  vc <- as.data.frame(VarCorr(m))
  hess <- !is.null(m@optinfo$derivs$Hessian) && m@devcomp$dims[["nAGQ"]] > 0
  out <- list(
    formula = paste(deparse(formula(m), width.cutoff = 500), collapse = ""),
    family = family(m)$family, link = family(m)$link, nAGQ = m@devcomp$dims[["nAGQ"]],
    nobs = nobs(m),
    objective = unname(m@devcomp$cmp[["dev"]]),
    loglik = as.numeric(logLik(m)), aic = AIC(m), bic = BIC(m),
    deviance = deviance(m), df_resid = df.residual(m),
    theta = unname(getME(m, "theta")),
    fixef = as.list(fixef(m)),
    se = as.list(sqrt(diag(as.matrix(vcov(m))))),
    se_rx = as.list(sqrt(diag(as.matrix(vcov(m, use.hessian = FALSE))))),
    zvalue = as.list(coef(summary(m))[, "z value"]),
    pvalue = as.list(coef(summary(m))[, "Pr(>|z|)"]),
    varcorr = list(grp = vc$grp, var1 = ifelse(is.na(vc$var1), "", vc$var1),
                   var2 = ifelse(is.na(vc$var2), "", vc$var2), vcov = vc$vcov, sdcor = vc$sdcor),
    singular = isSingular(m),
    ngrps = as.list(ngrps(m)),
    fitted = unname(fitted(m)),
    hessian_se = hess
  )
  if (with_ranef) {
    re <- as.data.frame(ranef(m, condVar = TRUE))
    out$ranef <- list(grpvar = as.character(re$grpvar), term = as.character(re$term),
                      grp = as.character(re$grp), condval = re$condval, condsd = re$condsd)
  }
  out
}

ref <- list()
add <- function(name, formula, data, family, nAGQ = 1, weights = NULL) {
  args <- list(formula, data = data, family = family, nAGQ = nAGQ)
  if (!is.null(weights)) args$weights <- weights
  m <- do.call(glmer, c(args, list(control = tight)))
  d <- do.call(glmer, args)
  r <- describe(m)
  r$default_objective <- unname(d@devcomp$cmp[["dev"]])
  ref[[name]] <<- r
  invisible(m)
}

m <- add("cbpp", cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial)
nd <- data.frame(period = factor(c("1", "2", "4", "3"), levels = levels(cbpp$period)),
                 herd = factor(c("1", "5", "15", "99")))
ref$cbpp$predict <- list(
  period = as.character(nd$period), herd = as.character(nd$herd),
  link_population = unname(predict(m, newdata = nd, re.form = NA)),
  link_conditional = unname(predict(m, newdata = nd, allow.new.levels = TRUE)),
  response_conditional = unname(predict(m, newdata = nd, allow.new.levels = TRUE, type = "response")))
add("cbpp_prop_weights", prop ~ period + (1 | herd), cbpp, binomial, weights = cbpp$size)
add("cbpp_agq9", cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, nAGQ = 9)
add("cbpp_agq25", cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, nAGQ = 25)
add("cbpp_nagq0", cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, nAGQ = 0)
add("cbpp_probit", cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial(link = "probit"))
add("cbpp_cloglog", cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial(link = "cloglog"))
add("cbpp_poisson_offset", incidence ~ period + offset(lsize) + (1 | herd), cbpp, poisson)
add("grouseticks", TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), grouseticks, poisson)
add("verbagg", r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item), VerbAgg, binomial)
add("verbagg_nagq0", r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item), VerbAgg, binomial, nAGQ = 0)
add("binary_growth", attained ~ time * x + (time | client) + (1 | professional), growth, binomial)
# Non-canonical links on the designs of the fast path (one large term, small scalar terms).
add("verbagg_probit", r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item), VerbAgg,
    binomial(link = "probit"))
add("verbagg_cloglog", r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item), VerbAgg,
    binomial(link = "cloglog"))
# (with (time | client) the probit fit is singular: a correlation of 1)
add("binary_growth_probit", attained ~ time * x + (1 | client) + (1 | professional), growth,
    binomial(link = "probit"))

ref$meta <- list(lme4 = as.character(packageVersion("lme4")), R = R.version.string,
                 control = "nloptwrap, xtol_abs=1e-12, ftol_abs=1e-14, xtol_rel=1e-12, tolPwrss=1e-13")
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "glmm_reference.json"))
cat("wrote", file.path(here, "glmm_reference.json"), "\n")
