/* Result comparison for the W3C runner: terms exactly, blank nodes up to a bijection, rows as
 * multisets (in sequence under ORDER BY), graphs as sets of triples. */
#include "w3c/w3c.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const w3c_term **v; /* n tuples of width w */
	size_t n, w;
} tuples;

typedef struct {
	const char **want, **got;
	size_t n, cap;
	long budget;
} bmap;

static void term_str(char *buf, size_t size, const w3c_term *t)
{
	switch (t->kind) {
	case KGR_TERM_NONE:
		snprintf(buf, size, "(unbound)");
		break;
	case KGR_TERM_IRI:
		snprintf(buf, size, "<%s>", t->value);
		break;
	case KGR_TERM_BLANK:
		snprintf(buf, size, "_:%s", t->value);
		break;
	default:
		if (t->lang)
			snprintf(buf, size, "\"%s\"@%s", t->value, t->lang);
		else if (t->dt)
			snprintf(buf, size, "\"%s\"^^<%s>", t->value, t->dt);
		else
			snprintf(buf, size, "\"%s\"", t->value);
	}
	for (; *buf; buf++)
		if (*buf == '\n' || *buf == '\r' || *buf == '\t')
			*buf = ' ';
}

static void tuple_str(char *buf, size_t size, const w3c_term *const *t, size_t w, char **names)
{
	size_t i, n = 0;
	buf[0] = '\0';
	for (i = 0; i < w && n + 1 < size; i++) {
		char term[160];
		term_str(term, sizeof(term), t[i]);
		if (names)
			n += (size_t)snprintf(buf + n, size - n, "%s?%s=%s", i ? " " : "", names[i], term);
		else
			n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? " " : "", term);
	}
}

static int ground(const w3c_term *const *t, size_t w)
{
	size_t i;
	for (i = 0; i < w; i++)
		if (t[i]->kind == KGR_TERM_BLANK)
			return 0;
	return 1;
}

static int term_cmp(const w3c_term *a, const w3c_term *b)
{
	int c;
	if (a->kind != b->kind)
		return a->kind - b->kind;
	if (a->kind == KGR_TERM_NONE)
		return 0;
	if ((c = strcmp(a->value, b->value)))
		return c;
	if ((c = strcmp(a->dt ? a->dt : "", b->dt ? b->dt : "")))
		return c;
	{
		const char *x = a->lang ? a->lang : "", *y = b->lang ? b->lang : "";
		for (; *x && tolower((unsigned char)*x) == tolower((unsigned char)*y); x++, y++)
			;
		return tolower((unsigned char)*x) - tolower((unsigned char)*y);
	}
}

static size_t sort_w;

static int tuple_cmp(const void *a, const void *b)
{
	const w3c_term *const *x = *(const w3c_term *const *const *)a;
	const w3c_term *const *y = *(const w3c_term *const *const *)b;
	size_t i;
	for (i = 0; i < sort_w; i++) {
		int c = term_cmp(x[i], y[i]);
		if (c)
			return c;
	}
	return 0;
}

/* Binds want's blank node labels to got's, one to one; 0 when @p a and @p b cannot be made
 * equal under the bindings so far (the bindings it added are then kept: callers undo). */
static int unify(bmap *m, const w3c_term *const *a, const w3c_term *const *b, size_t w)
{
	size_t i, j;
	if (--m->budget < 0)
		return 0;
	for (i = 0; i < w; i++) {
		if (a[i]->kind != b[i]->kind)
			return 0;
		if (a[i]->kind != KGR_TERM_BLANK) {
			if (!w3c_term_eq(a[i], b[i]))
				return 0;
			continue;
		}
		for (j = 0; j < m->n; j++) {
			if (!strcmp(m->want[j], a[i]->value) || !strcmp(m->got[j], b[i]->value))
				break;
		}
		if (j < m->n) {
			if (strcmp(m->want[j], a[i]->value) || strcmp(m->got[j], b[i]->value))
				return 0;
			continue;
		}
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 32;
			m->want = realloc(m->want, m->cap * sizeof(*m->want));
			m->got = realloc(m->got, m->cap * sizeof(*m->got));
			if (!m->want || !m->got)
				abort();
		}
		m->want[m->n] = a[i]->value;
		m->got[m->n++] = b[i]->value;
	}
	return 1;
}

/* Matches want tuple i onwards with unused got tuples (backtracking over blank nodes). */
static int match_from(bmap *m, const tuples *want, const tuples *got, size_t i, char *used)
{
	size_t j, mark = m->n;
	if (i == want->n)
		return 1;
	for (j = 0; j < got->n; j++) {
		if (used[j])
			continue;
		if (unify(m, want->v + i * want->w, got->v + j * got->w, want->w)) {
			used[j] = 1;
			if (match_from(m, want, got, i + 1, used))
				return 1;
			used[j] = 0;
		}
		m->n = mark;
		if (m->budget < 0)
			return 0;
	}
	return 0;
}

/* Multiset equality; ground tuples by sorting, the rest by backtracking. */
static int same_multiset(const tuples *want, const tuples *got, char **names, char *why, size_t whylen)
{
	tuples wg = { NULL, 0, want->w }, gg = { NULL, 0, got->w }, wb = wg, gb = gg;
	const w3c_term *const **ws, *const **gs;
	size_t i, a, b;
	int ok = 1;
	char buf[600];
	bmap m = { NULL, NULL, 0, 0, 2000000 };
	char *used = NULL;

	wg.v = malloc((want->n * want->w + 1) * sizeof(*wg.v));
	wb.v = malloc((want->n * want->w + 1) * sizeof(*wb.v));
	gg.v = malloc((got->n * got->w + 1) * sizeof(*gg.v));
	gb.v = malloc((got->n * got->w + 1) * sizeof(*gb.v));
	ws = malloc((want->n + 1) * sizeof(*ws));
	gs = malloc((got->n + 1) * sizeof(*gs));
	if (!wg.v || !wb.v || !gg.v || !gb.v || !ws || !gs)
		abort();
	for (i = 0; i < want->n; i++) {
		const w3c_term *const *t = want->v + i * want->w;
		tuples *dst = ground(t, want->w) ? &wg : &wb;
		memcpy(dst->v + dst->n++ * want->w, t, want->w * sizeof(*t));
	}
	for (i = 0; i < got->n; i++) {
		const w3c_term *const *t = got->v + i * got->w;
		tuples *dst = ground(t, got->w) ? &gg : &gb;
		memcpy(dst->v + dst->n++ * got->w, t, got->w * sizeof(*t));
	}
	for (i = 0; i < wg.n; i++)
		ws[i] = wg.v + i * wg.w;
	for (i = 0; i < gg.n; i++)
		gs[i] = gg.v + i * gg.w;
	sort_w = want->w;
	qsort(ws, wg.n, sizeof(*ws), tuple_cmp);
	qsort(gs, gg.n, sizeof(*gs), tuple_cmp);
	for (a = b = 0; a < wg.n || b < gg.n;) {
		int c = a == wg.n ? 1 : b == gg.n ? -1 : tuple_cmp(&ws[a], &gs[b]);
		if (c == 0) {
			a++;
			b++;
			continue;
		}
		tuple_str(buf, sizeof(buf), c < 0 ? ws[a] : gs[b], want->w, names);
		snprintf(why, whylen, "%zu %s expected, %zu got; %s: %s", want->n, names ? "rows" : "triples",
			got->n, c < 0 ? "missing" : "unexpected", buf);
		ok = 0;
		goto done;
	}
	if (wb.n != gb.n) {
		snprintf(why, whylen, "%zu %s with blank nodes expected, %zu got", wb.n,
			names ? "rows" : "triples", gb.n);
		ok = 0;
		goto done;
	}
	used = calloc(gb.n + 1, 1);
	if (!used)
		abort();
	if (!match_from(&m, &wb, &gb, 0, used)) {
		snprintf(why, whylen, m.budget < 0 ? "blank node matching gave up (too many candidates)"
						   : "no blank node renaming makes the %s equal",
			names ? "rows" : "triples");
		ok = 0;
	}
done:
	free(used);
	free(m.want);
	free(m.got);
	free(wg.v);
	free(wb.v);
	free(gg.v);
	free(gb.v);
	free(ws);
	free(gs);
	return ok;
}

/* Drops repeated triples (a graph is a set). */
static void dedupe(tuples *t)
{
	const w3c_term *const **idx;
	const w3c_term **out;
	size_t i, n = 0;
	if (t->n < 2)
		return;
	idx = malloc(t->n * sizeof(*idx));
	out = malloc(t->n * t->w * sizeof(*out));
	if (!idx || !out)
		abort();
	for (i = 0; i < t->n; i++)
		idx[i] = t->v + i * t->w;
	sort_w = t->w;
	qsort(idx, t->n, sizeof(*idx), tuple_cmp);
	for (i = 0; i < t->n; i++) {
		if (i && !tuple_cmp(&idx[i], &idx[i - 1]))
			continue;
		memcpy(out + n++ * t->w, idx[i], t->w * sizeof(*out));
	}
	free(idx);
	free(t->v);
	t->v = out;
	t->n = n;
}

static const w3c_term unbound;

/* The rows of @p r as tuples over the variables @p vars (unbound where r lacks one). */
static void rows_as(tuples *t, const w3c_result *r, char **vars, size_t nvars)
{
	size_t i, c, k;
	t->n = r->nrows;
	t->w = nvars;
	t->v = malloc((t->n * t->w + 1) * sizeof(*t->v));
	if (!t->v)
		abort();
	for (c = 0; c < nvars; c++) {
		int col = -1;
		for (k = 0; k < r->nvars; k++)
			if (!strcmp(r->vars[k], vars[c]))
				col = (int)k;
		for (i = 0; i < t->n; i++)
			t->v[i * t->w + c] = col < 0 ? &unbound : &r->cells[i * r->nvars + (size_t)col];
	}
}

static void graph_as(tuples *t, const w3c_graph *g)
{
	size_t i;
	t->n = g->n;
	t->w = 3;
	t->v = malloc((g->n * 3 + 1) * sizeof(*t->v));
	if (!t->v)
		abort();
	for (i = 0; i < g->n; i++) {
		t->v[3 * i] = &g->t[i].s;
		t->v[3 * i + 1] = &g->t[i].p;
		t->v[3 * i + 2] = &g->t[i].o;
	}
}

static const char *kind_name(int kind)
{
	return kind == W3C_BINDINGS ? "a table of bindings" : kind == W3C_BOOLEAN ? "a boolean" : "a graph";
}

int w3c_result_compare(const w3c_result *want, const w3c_result *got_in, int ordered,
	char **order_vars, int lax, char *why, size_t whylen)
{
	w3c_result csv = { 0 };
	const w3c_result *got = got_in;
	char **vars = NULL;
	size_t nvars = 0, i, j;
	tuples tw = { 0 }, tg = { 0 };
	int ok;

	if (want->kind != got->kind) {
		snprintf(why, whylen, "expected %s, got %s", kind_name(want->kind), kind_name(got->kind));
		return 0;
	}
	if (want->kind == W3C_BOOLEAN) {
		if (want->boolean == got->boolean)
			return 1;
		snprintf(why, whylen, "expected %s, got %s", want->boolean ? "true" : "false",
			got->boolean ? "true" : "false");
		return 0;
	}
	if (want->kind == W3C_GRAPH) {
		graph_as(&tw, &want->graph);
		graph_as(&tg, &got->graph);
		dedupe(&tw);
		dedupe(&tg);
		ok = same_multiset(&tw, &tg, NULL, why, whylen);
		free(tw.v);
		free(tg.v);
		return ok;
	}
	/* CSV shows values only: compare what kgrec answered as CSV would show it */
	if (want->csv) {
		csv.kind = W3C_BINDINGS;
		csv.nvars = got->nvars;
		csv.vars = got->vars;
		csv.nrows = got->nrows;
		csv.cells = calloc(got->nrows * got->nvars + 1, sizeof(*csv.cells));
		if (!csv.cells)
			abort();
		for (i = 0; i < got->nrows * got->nvars; i++) {
			const w3c_term *t = &got->cells[i];
			if (t->kind != KGR_TERM_NONE)
				w3c_term_set(&csv.cells[i], t->kind == KGR_TERM_BLANK ? KGR_TERM_BLANK : KGR_TERM_LITERAL,
					t->value, strlen(t->value), NULL, NULL);
		}
		got = &csv;
	}
	vars = malloc((want->nvars + got->nvars + 1) * sizeof(*vars));
	if (!vars)
		abort();
	for (i = 0; i < want->nvars; i++)
		vars[nvars++] = want->vars[i];
	for (i = 0; i < got->nvars; i++) {
		for (j = 0; j < want->nvars && strcmp(want->vars[j], got->vars[i]); j++)
			;
		if (j == want->nvars)
			vars[nvars++] = got->vars[i];
	}
	rows_as(&tw, want, vars, nvars);
	rows_as(&tg, got, vars, nvars);
	if (lax) {
		dedupe(&tw);
		dedupe(&tg);
	}
	ok = same_multiset(&tw, &tg, vars, why, whylen);
	if (ok && ordered && order_vars) {
		/* the same rows: now the sequence of the ORDER BY keys that are projected */
		size_t row, k;
		for (row = 0; ok && row < tw.n; row++) {
			for (k = 0; order_vars[k]; k++) {
				for (j = 0; j < nvars && strcmp(vars[j], order_vars[k]); j++)
					;
				if (j == nvars)
					continue;
				if (tw.v[row * nvars + j]->kind == KGR_TERM_BLANK
						? tw.v[row * nvars + j]->kind != tg.v[row * nvars + j]->kind
						: !w3c_term_eq(tw.v[row * nvars + j], tg.v[row * nvars + j])) {
					char a[200], b[200];
					term_str(a, sizeof(a), tw.v[row * nvars + j]);
					term_str(b, sizeof(b), tg.v[row * nvars + j]);
					snprintf(why, whylen, "right rows in the wrong order: row %zu has ?%s=%s, expected %s",
						row + 1, vars[j], b, a);
					ok = 0;
					break;
				}
			}
		}
	}
	free(tw.v);
	free(tg.v);
	free(vars);
	if (got == &csv) {
		csv.vars = NULL;
		csv.nvars = 0;
		for (i = 0; i < got_in->nrows * got_in->nvars; i++)
			w3c_term_free(&csv.cells[i]);
		free(csv.cells);
	}
	return ok;
}
