# Satterthwaite degrees of freedom from lmerTest for the tests of werkplaats.stats.multilevel.
#
# Run from the repository root:
#   Rscript tests/stats/multilevel/reference/make_satterthwaite_reference.R
# Reads the CSVs written by make_reference.R and make_growth.py; writes
# satterthwaite_reference.json beside this script.
suppressPackageStartupMessages({library(lmerTest); library(jsonlite)})
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
rd <- function(f, factors) { d <- read.csv(file.path(here, f)); for (v in factors) d[[v]] <- factor(d[[v]]); d }
sleep <- rd("sleepstudy.csv", "Subject")
pastes <- rd("pastes.csv", c("batch", "cask"))
growth <- rd("growth.csv", c("client", "professional", "team"))
tight <- lmerControl(optimizer = "nloptwrap",
                     optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12, maxeval = 1e5))
ref <- list()
add <- function(name, formula, data, REML = TRUE) {
  m <- lmerTest::lmer(formula, data = data, REML = REML, control = tight)
  co <- summary(m, ddf = "Satterthwaite")$coefficients
  ref[[name]] <<- list(fixef = as.list(co[, "Estimate"]), df = as.list(co[, "df"]),
                       p = as.list(co[, "Pr(>|t|)"]), se = as.list(co[, "Std. Error"]))
}
add("sleepstudy_reml", Reaction ~ Days + (Days | Subject), sleep)
add("sleepstudy_ml", Reaction ~ Days + (Days | Subject), sleep, REML = FALSE)
add("pastes_cask_fixed", strength ~ cask + (1 | batch), pastes)
add("growth", y ~ time * x + (time | client) + (1 | professional) + (1 | team), growth)
ref$meta <- list(lmerTest = as.character(packageVersion("lmerTest")), lme4 = as.character(packageVersion("lme4")))
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "satterthwaite_reference.json"))
cat("wrote satterthwaite_reference.json\n")
