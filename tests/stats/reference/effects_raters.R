# Reference values for tests/stats/test_effects.py and test_raters.py.
# Run: Rscript tests/stats/reference/effects_raters.R > tests/stats/reference/effects_raters.csv
# Base R only, written from the formulas in the cited papers (not from the Python code).
ncp_ci <- function(t, df, level = 0.95) {
  a <- (1 - level) / 2
  lo <- uniroot(function(x) pt(t, df, ncp = x) - (1 - a), c(t - 50, t + 50), tol = 1e-12)$root
  hi <- uniroot(function(x) pt(t, df, ncp = x) - a, c(t - 50, t + 50), tol = 1e-12)$root
  c(lo, hi)
}
out <- data.frame(case = character(), stat = character(), value = numeric())
add <- function(case, stat, value) out <<- rbind(out, data.frame(case = case, stat = stat, value = value))

before <- c(10, 12, 9, 14, 11, 13, 10, 12)
after <- c(12, 15, 9, 17, 13, 15, 12, 14)
d <- after - before; n <- length(d)
dz <- mean(d) / sd(d); ci <- ncp_ci(dz * sqrt(n), n - 1) / sqrt(n)
add("paired", "d", dz); add("paired", "low", ci[1]); add("paired", "high", ci[2])

x <- c(5, 6, 7, 8, 9, 10); y <- c(3, 4, 5, 6, 7, 5, 4)
n1 <- length(x); n2 <- length(y); df <- n1 + n2 - 2
sp <- sqrt(((n1 - 1) * var(x) + (n2 - 1) * var(y)) / df)
dd <- (mean(x) - mean(y)) / sp
J <- gamma(df / 2) / (sqrt(df / 2) * gamma((df - 1) / 2))
# The exact interval for delta (Hedges & Olkin 1985): the ncp interval rescaled, not times J.
ci <- ncp_ci(dd / sqrt(1 / n1 + 1 / n2), df) * sqrt(1 / n1 + 1 / n2)
add("groups", "g", J * dd); add("groups", "low", ci[1]); add("groups", "high", ci[2])

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges.
sf <- matrix(c(9, 2, 5, 8, 6, 1, 3, 2, 8, 4, 6, 8, 7, 1, 2, 6, 10, 5, 6, 9, 6, 2, 4, 7),
             ncol = 4, byrow = TRUE)
long <- data.frame(y = as.vector(sf), target = factor(rep(1:6, 4)), rater = factor(rep(1:4, each = 6)))
fit <- anova(lm(y ~ target + rater, data = long))
k <- 4; nt <- 6
MSR <- fit["target", "Mean Sq"]; MSC <- fit["rater", "Mean Sq"]; MSE <- fit["Residuals", "Mean Sq"]
MSW <- anova(lm(y ~ target, data = long))["Residuals", "Mean Sq"]
add("shrout_fleiss", "icc1", (MSR - MSW) / (MSR + (k - 1) * MSW))
add("shrout_fleiss", "icc2", (MSR - MSE) / (MSR + (k - 1) * MSE + k * (MSC - MSE) / nt))
add("shrout_fleiss", "icc3", (MSR - MSE) / (MSR + (k - 1) * MSE))
# ICC(3,1) interval (McGraw & Wong 1996, case 3A)
F3 <- MSR / MSE; df1 <- nt - 1; df2 <- (nt - 1) * (k - 1)
FL <- F3 / qf(0.975, df1, df2); FU <- F3 * qf(0.975, df2, df1)
add("shrout_fleiss", "icc3_low", (FL - 1) / (FL + k - 1))
add("shrout_fleiss", "icc3_high", (FU - 1) / (FU + k - 1))
# ICC(1) by the variance components of a random-intercept model (lme4, ML-free check)
suppressMessages(library(lme4))
m <- lmer(y ~ 1 + (1 | target), data = long, REML = TRUE)
vc <- as.data.frame(VarCorr(m))$vcov
add("shrout_fleiss", "icc1_lmer", vc[1] / sum(vc))

# Bland & Altman (1986): limits of agreement with their 95% intervals (Bland & Altman 1999).
a <- c(494, 395, 516, 434, 476, 557, 413, 442, 650, 433, 417, 656, 267, 478, 178, 423, 427)
b <- c(512, 430, 520, 428, 500, 600, 364, 380, 658, 445, 432, 626, 260, 477, 259, 350, 451)
dba <- a - b; nb <- length(dba); s <- sd(dba); bias <- mean(dba)
add("bland_altman", "bias", bias); add("bland_altman", "sd", s)
add("bland_altman", "lower", bias - 1.96 * s); add("bland_altman", "upper", bias + 1.96 * s)
se_loa <- s * sqrt(1 / nb + 1.96^2 / (2 * (nb - 1)))
tq <- qt(0.975, nb - 1)
add("bland_altman", "lower_low", bias - 1.96 * s - tq * se_loa)
add("bland_altman", "upper_high", bias + 1.96 * s + tq * se_loa)
write.csv(out, row.names = FALSE)
