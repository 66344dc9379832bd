# Reference values for tests/stats/test_reliability.py: Cronbach's alpha with Feldt's
# interval and McDonald's omega total (psych 2.2.9), weighted kappa and ordinal
# Krippendorff alpha (irr 0.84.1).
# Run: Rscript tests/stats/reference/reliability.R
# Writes reliability_items.csv (simulated Likert items) and reliability.csv (values).
suppressMessages({ library(psych); library(irr) })
here <- "tests/stats/reference"
out <- data.frame(case = character(), stat = character(), value = numeric())
add <- function(case, stat, value) out <<- rbind(out, data.frame(case = case, stat = stat, value = unname(as.numeric(value))))

# Six 5-point items from one factor with unequal loadings, 180 respondents.
set.seed(20261207)
n <- 180; k <- 6
f <- rnorm(n); lam <- c(.8, .7, .6, .55, .5, .4)
x <- sapply(1:k, function(j) {
  z <- lam[j] * f + sqrt(1 - lam[j]^2) * rnorm(n)
  as.integer(cut(z, c(-Inf, -1.2, -.4, .4, 1.2, Inf)))
})
colnames(x) <- paste0("item", 1:k)
write.csv(x, file.path(here, "reliability_items.csv"), row.names = FALSE)

a <- psych::alpha(x)
add("scale", "alpha", a$total$raw_alpha)
add("scale", "alpha_low", a$feldt$lower.ci)
add("scale", "alpha_high", a$feldt$upper.ci)
o <- suppressWarnings(psych::omega(x, nfactors = 1, plot = FALSE))
add("scale", "omega_total", o$omega.tot)
# The first 20 respondents, three items: a small scale.
a20 <- psych::alpha(x[1:20, 1:3])
add("small", "alpha", a20$total$raw_alpha)
add("small", "alpha_low", a20$feldt$lower.ci)
add("small", "alpha_high", a20$feldt$upper.ci)
add("small", "omega_total", suppressWarnings(psych::omega(x[1:20, 1:3], nfactors = 1, plot = FALSE))$omega.tot)

# Weighted kappa: item1 and item2 as two raters' codes on the 5-point scale (every
# category used, so irr's positions of the observed levels are the scale's positions).
add("kappa", "unweighted", kappa2(x[, 1:2], weight = "unweighted")$value)
add("kappa", "linear", kappa2(x[, 1:2], weight = "equal")$value)
add("kappa", "quadratic", kappa2(x[, 1:2], weight = "squared")$value)
# The same codes as text labels: kappa2 turns them into a character matrix and ranks the
# labels alphabetically (always < never < often < rarely < sometimes), not in the
# scale's order; the Python test gets these values only when it passes that order.
lab <- c("never", "rarely", "sometimes", "often", "always")
alpha_rank <- match(lab, sort(lab))
labels <- data.frame(r1 = lab[x[, 1]], r2 = lab[x[, 2]])
add("kappa_alphabetical", "linear", kappa2(labels, weight = "equal")$value)
add("kappa_alphabetical", "quadratic", kappa2(labels, weight = "squared")$value)

# Ordinal Krippendorff alpha, three coders (items 1-3) on the first 40 respondents, some
# values missing; in the scale's order and, for contrast, in alphabetical order.
m <- t(x[1:40, 1:3]); m[1, c(3, 9)] <- NA; m[3, 17] <- NA
add("kripp", "ordinal", kripp.alpha(m, method = "ordinal")$value)
add("kripp_alphabetical", "ordinal", kripp.alpha(matrix(alpha_rank[m], nrow = 3), method = "ordinal")$value)
add("kripp", "nominal", kripp.alpha(m, method = "nominal")$value)
write.csv(out, file.path(here, "reliability.csv"), row.names = FALSE)
