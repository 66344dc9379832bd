# Reference GAS T-scores (Kiresuk & Sherman 1968), computed independently in R.
# Run: Rscript gas_t_scores.R > gas_t_scores.csv
gas_t <- function(x, w = rep(1, length(x)), rho = 0.3) {
  50 + 10 * sum(w * x) / sqrt((1 - rho) * sum(w^2) + rho * sum(w)^2)
}
cases <- list(
  list(x = c(0, 0, 0), w = c(1, 1, 1)),
  list(x = c(1), w = c(1)),
  list(x = c(1, 1, 1), w = c(1, 1, 1)),
  list(x = c(-2, -2, -2), w = c(1, 1, 1)),
  list(x = c(2, -1, 0, 1), w = c(1, 1, 1, 1)),
  list(x = c(2, -1, 0, 1), w = c(3, 1, 2, 1)),
  list(x = c(-1, 1), w = c(2, 5)),
  list(x = c(2, 2, 2, 2, 2), w = c(1, 1, 1, 1, 1))
)
cat("levels,weights,t_score\n")
for (cs in cases) {
  cat(sprintf("%s,%s,%.10f\n", paste(cs$x, collapse = " "), paste(cs$w, collapse = " "),
              gas_t(cs$x, cs$w)))
}
