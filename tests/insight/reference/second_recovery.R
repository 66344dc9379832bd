# lme4 on the report's own export: the reference for tests/insight/test_second_recovery.py.
#
#   Rscript tests/insight/reference/second_recovery.R REPORT_FOLDER \
#       tests/insight/reference/second_recovery_lme4.csv
#
# REPORT_FOLDER is the folder `werkplaats report study` wrote for the test's study (run the
# test with --basetemp to keep it). The formula is read from its specification.json, the
# data from its export/analysis.csv; the fit is REML, as the report's.
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
spec <- paste(readLines(file.path(folder, "specification.json"), warn = FALSE), collapse = "\n")
formula <- sub('.*"formula": "([^"]*)".*', "\\1", spec)
data <- read.csv(file.path(folder, "export", "analysis.csv"))
fit <- lmer(as.formula(formula), data = data, REML = TRUE,
            control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
s <- summary(fit)$coefficients
out <- data.frame(term = rownames(s), estimate = s[, "Estimate"], std_error = s[, "Std. Error"],
                  formula = formula, nobs = nobs(fit), lme4 = as.character(packageVersion("lme4")))
write.csv(out, args[2], row.names = FALSE)
print(out)
