# lme4's fitted lines per client on the report's own export: the reference for the joint
# display's figures (tests/insight/test_second_recovery.py, insight/joint.py).
#
#   Rscript tests/insight/reference/case_fits.R REPORT_FOLDER \
#       tests/insight/reference/case_fits_lme4.csv
#
# REPORT_FOLDER as for second_recovery.R. Each client's fitted values (fixed effects at
# the client's characteristics plus the client's and professional's random effects,
# fitted()) are summarised by the least-squares line through them over time.
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
spec <- paste(readLines(file.path(folder, "specification.json"), warn = FALSE), collapse = "\n")
formula <- sub('.*"formula": "([^"]*)".*', "\\1", spec)
data <- read.csv(file.path(folder, "export", "analysis.csv"))
fit <- lmer(as.formula(formula), data = data, REML = TRUE,
            control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
data$fitted <- fitted(fit)
rows <- lapply(split(data, data$client), function(d) {
  if (length(unique(d$time)) < 2) return(NULL)
  line <- coef(lm(fitted ~ time, data = d))
  data.frame(client = d$client[1], intercept = unname(line[1]), slope = unname(line[2]),
             n = nrow(d))
})
out <- do.call(rbind, rows)
write.csv(out, args[2], row.names = FALSE)
cat(nrow(out), "clients; mean slope", mean(out$slope), "\n")
