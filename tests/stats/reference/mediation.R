# Reference for tests/stats/test_mediation.py: paths a, b, c' and the Sobel SE by lm().
# Run: Rscript tests/stats/reference/mediation.R   (writes mediation_data.csv, mediation.csv)
set.seed(20261128)
n <- 300
x <- rbinom(n, 1, 0.5); z <- rnorm(n)
m <- 0.5 * x + 0.3 * z + rnorm(n)
y <- 0.4 * m + 0.2 * x - 0.2 * z + rnorm(n)
d <- data.frame(x = x, z = z, m = m, y = y)
write.csv(d, "tests/stats/reference/mediation_data.csv", row.names = FALSE)
fa <- summary(lm(m ~ x + z, data = d))$coefficients
fb <- summary(lm(y ~ m + x + z, data = d))$coefficients
a <- fa["x", 1]; sa <- fa["x", 2]; b <- fb["m", 1]; sb <- fb["m", 2]
out <- data.frame(
  stat = c("a", "a_se", "b", "b_se", "direct", "direct_se", "indirect", "sobel_se"),
  value = c(a, sa, b, sb, fb["x", 1], fb["x", 2], a * b, sqrt(b^2 * sa^2 + a^2 * sb^2)))
write.csv(out, "tests/stats/reference/mediation.csv", row.names = FALSE)
