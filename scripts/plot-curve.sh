#!/bin/sh
# Draws the training curve that `kgrec train --model sequence --curve FILE.tsv` writes (epoch,
# mean loss, validation NDCG@10, seconds) as an SVG on standard output: the loss per epoch on
# the left, the validation NDCG@10 on the right, the best epoch marked. POSIX sh and awk only.
#   sh scripts/plot-curve.sh CURVE.tsv [TITLE] > curve.svg
set -eu
if [ $# -lt 1 ] || [ ! -r "$1" ]; then
	echo "usage: sh scripts/plot-curve.sh CURVE.tsv [TITLE] > curve.svg" >&2
	exit 2
fi
awk -F '\t' -v title="${2:-}" '
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
# a round step giving about n ticks over span
function step(span, n,   r, m) {
	if (span <= 0) return 1
	r = span / n; m = 1
	while (m * 10 <= r) m *= 10
	while (m > r) m /= 10
	if (r / m >= 5) return 5 * m
	if (r / m >= 2) return 2 * m
	return m
}
function fmt(v, s) { return s >= 1 ? sprintf("%d", v) : s >= 0.1 ? sprintf("%.1f", v) : s >= 0.01 ? sprintf("%.2f", v) : sprintf("%.3f", v) }
# one panel: series col of the rows, at x0 (left edge of the plot area)
function panel(x0, col, name, colour,   lo, hi, i, s, t, px, py, pts, ts, y) {
	lo = hi = v[1, col]
	for (i = 2; i <= n; i++) { if (v[i, col] < lo) lo = v[i, col]; if (v[i, col] > hi) hi = v[i, col] }
	s = step(hi - lo, 5)
	lo = s * int(lo / s - (lo < 0)); if (lo > 0 && col == 3) lo = 0
	hi = s * (int(hi / s) + 1)
	printf "<text x=\"%g\" y=\"%g\" class=\"h\">%s</text>\n", x0 + W / 2, T - 12, esc(name)
	printf "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" class=\"f\"/>\n", x0, T, W, H
	for (t = lo; t <= hi + s / 2; t += s) {
		y = T + H - (t - lo) / (hi - lo) * H
		printf "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" class=\"g\"/>", x0, y, x0 + W, y
		printf "<text x=\"%g\" y=\"%.1f\" class=\"yl\">%s</text>\n", x0 - 6, y + 4, fmt(t, s)
	}
	ts = step(emax - 1, 6); if (ts < 1) ts = 1
	for (t = ts * int(1 / ts + 0.999); t <= emax; t += ts) {
		px = x0 + (emax > 1 ? (t - 1) / (emax - 1) : 0.5) * W
		printf "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" class=\"g\"/>", px, T, px, T + H
		printf "<text x=\"%.1f\" y=\"%g\" class=\"xl\">%d</text>\n", px, T + H + 16, t
	}
	printf "<text x=\"%g\" y=\"%g\" class=\"xl\">epoch</text>\n", x0 + W / 2, T + H + 34
	pts = ""
	for (i = 1; i <= n; i++) {
		px = x0 + (emax > 1 ? (v[i, 1] - 1) / (emax - 1) : 0.5) * W
		py = T + H - (v[i, col] - lo) / (hi - lo) * H
		pts = pts sprintf("%.1f,%.1f ", px, py)
		if (i == best) { bx = px; by = py }
	}
	printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", pts, colour
	printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n", bx, by, colour
}
NR == 1 && $1 == "epoch" { next }
NF >= 3 && $1 + 0 > 0 {
	n++; v[n, 1] = $1 + 0; v[n, 2] = $2 + 0; v[n, 3] = $3 + 0; v[n, 4] = $4 + 0
	if (n == 1 || v[n, 3] > v[best, 3]) best = n
	emax = v[n, 1]
}
END {
	if (n == 0) { print "plot-curve.sh: no epochs in the file" > "/dev/stderr"; exit 1 }
	L = 64; T = 56; W = 380; H = 240; GAP = 96
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", \
		L + 2 * W + GAP + 24, T + H + 70, L + 2 * W + GAP + 24, T + H + 70
	print "<style>.h{font-size:14px;text-anchor:middle}.yl{text-anchor:end;fill:#444}.xl{text-anchor:middle;fill:#444}.g{stroke:#ddd}.f{fill:#fff;stroke:#999}.t{font-size:15px;font-weight:bold}</style>"
	print "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
	if (title != "") printf "<text x=\"%d\" y=\"22\" class=\"t\">%s</text>\n", L, esc(title)
	panel(L, 2, "training loss (sampled softmax, mean of the epoch)", "#c0392b")
	panel(L + W + GAP, 3, "validation NDCG@10 (full ranking)", "#2471a3")
	printf "<text x=\"%d\" y=\"%d\" fill=\"#444\">%d epochs, %.0f s; best validation NDCG@10 %.4f at epoch %d (marked), whose weights are kept</text>\n", \
		L, T + H + 60, n, v[n, 4], v[best, 3], v[best, 1]
	print "</svg>"
}' "$1"
