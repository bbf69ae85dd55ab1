# Checks x_t = s(t) (x_0 + sigma(t) eps) row by row, the emitted eps and
# sigma against the emitted x_t (tests/cli/diffuse-noise.test).
# Input: lines of x_0[1..D] eps[1..D] t sigma x_t[1..D] (paste x n t xt).
# -v D=dim -v family=vp|flow|ve: s from sigma is 1/sqrt(1+sigma^2) for the
# variance-preserving families (vp, ddpm), 1/(1+sigma) for flow (sigma =
# t/(1-t)), 1 for ve and edm.  Float32 text: relative tolerance 1e-5.
function abs(v) { return v < 0 ? -v : v }
{
	sigma = $(2 * D + 2)
	s = family == "vp" ? 1 / sqrt(1 + sigma * sigma) : family == "flow" ? 1 / (1 + sigma) : 1
	for (i = 1; i <= D; i++) {
		x0 = $i; eps = $(D + i); got = $(2 * D + 2 + i)
		want = s * (x0 + sigma * eps)
		if (abs(got - want) > 1e-5 * (1e-3 + s * abs(x0) + s * sigma * abs(eps))) bad++
	}
	n++
}
END { if (n && !bad) print "ok", n; else print "bad", bad + 0, "of", n }
