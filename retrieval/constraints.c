/*
 * Constraints written into a free-text request: price bounds ("under 100", "below 50 EUR",
 * "between 20 and 40", "over $30") and the audience or occasion a word names ("for kids",
 * "halloween"). The price phrases are taken out of the text before it is matched against the
 * catalog (so "100" does not match a product called "Model 100"), and the list keeps only the
 * items that meet every constraint; the reply names each constraint and what it left out.
 */
#include "retrieval/internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


typedef struct {
	size_t start, end; /* byte span in the query */
	char low[24];      /* lower-case text ("" for a number) */
	double num;        /* the number, when is_num */
	int is_num;
	char cur[4];       /* a currency the token is or carries ("100€", "$30"), or "" */
} token;

static const struct {
	const char *word, *code;
} currencies[] = {
	{ "$", "USD" }, { "usd", "USD" }, { "dollar", "USD" }, { "dollars", "USD" },
	{ "\xe2\x82\xac", "EUR" }, { "eur", "EUR" }, { "euro", "EUR" }, { "euros", "EUR" },
	{ "\xc2\xa3", "GBP" }, { "gbp", "GBP" }, { "pound", "GBP" }, { "pounds", "GBP" },
	{ "chf", "CHF" }, { "jpy", "JPY" }, { "\xc2\xa5", "JPY" }, { "cad", "CAD" }, { "aud", "AUD" },
	{ "sek", "SEK" }, { "nok", "NOK" }, { "dkk", "DKK" }, { "pln", "PLN" }, { "czk", "CZK" },
};

static const char *currency_of(const char *w, size_t n)
{
	size_t i;
	for (i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
		if (strlen(currencies[i].word) == n && !strncmp(currencies[i].word, w, n))
			return currencies[i].code;
	return NULL;
}

static int is_symbol_start(unsigned char c)
{
	return c == '$' || c == 0xe2 || c == 0xc2;
}

/* Length of a currency symbol at p ($, the euro, pound and yen signs), or 0. */
static size_t symbol_len(const char *p)
{
	if (*p == '$')
		return 1;
	if (!strncmp(p, "\xe2\x82\xac", 3))
		return 3;
	if (!strncmp(p, "\xc2\xa3", 2) || !strncmp(p, "\xc2\xa5", 2))
		return 2;
	return 0;
}

/* A number as shoppers write it: "100", "99.99", "1,299", "1.299,00" is not taken (the comma
 * is read as a thousands separator only before three digits). Returns its length or 0. */
static size_t number_at(const char *p, double *out)
{
	char buf[32];
	size_t i = 0, n = 0;
	int dot = 0;
	if (!isdigit((unsigned char)p[0]))
		return 0;
	while (n < sizeof(buf) - 1) {
		char c = p[i];
		if (isdigit((unsigned char)c))
			buf[n++] = c;
		else if (c == ',' && isdigit((unsigned char)p[i + 1]) && isdigit((unsigned char)p[i + 2]) &&
			isdigit((unsigned char)p[i + 3]) && !isdigit((unsigned char)p[i + 4]) && !dot)
			; /* thousands separator */
		else if (c == '.' && !dot && isdigit((unsigned char)p[i + 1])) {
			buf[n++] = c;
			dot = 1;
		} else
			break;
		i++;
	}
	buf[n] = '\0';
	*out = strtod(buf, NULL);
	return i;
}

/* Splits the query into words, numbers (with a currency sign or code glued to them) and the
 * comparison signs < <= > >=. */
static size_t tokenize(const char *q, token *t, size_t max)
{
	size_t n = 0, i = 0;
	while (q[i] && n < max) {
		unsigned char c = (unsigned char)q[i];
		size_t sl, nl, j = i;
		token *k = &t[n];
		memset(k, 0, sizeof(*k));
		if (isspace(c)) {
			i++;
			continue;
		}
		k->start = i;
		if ((sl = symbol_len(q + i)) && (nl = number_at(q + i + sl, &k->num))) {
			memcpy(k->cur, currency_of(q + i, sl), 4);
			k->is_num = 1;
			i += sl + nl;
		} else if ((nl = number_at(q + i, &k->num))) {
			k->is_num = 1;
			i += nl;
			if ((sl = symbol_len(q + i)))
				memcpy(k->cur, currency_of(q + i, sl), 4);
			i += sl;
		} else if (c == '<' || c == '>') {
			k->low[0] = (char)c;
			i++;
			if (q[i] == '=')
				k->low[1] = q[i++];
		} else if (c == '-') {
			k->low[0] = '-';
			i++;
		} else if ((sl = symbol_len(q + i))) {
			memcpy(k->cur, currency_of(q + i, sl), 4);
			i += sl;
		} else {
			while (q[j] && !isspace((unsigned char)q[j]) && !is_symbol_start((unsigned char)q[j]) &&
				q[j] != '<' && q[j] != '>' && !(j > i && (q[j] == ',' || q[j] == '.' || q[j] == '!' ||
				q[j] == '?')))
				j++;
			if (j == i)
				j++;
			for (nl = 0; nl < j - i && nl < sizeof(k->low) - 1; nl++)
				k->low[nl] = (char)tolower((unsigned char)q[i + nl]);
			if (currency_of(k->low, strlen(k->low)))
				memcpy(k->cur, currency_of(k->low, strlen(k->low)), 4);
			i = j;
		}
		k->end = i;
		n++;
	}
	return n;
}

static int word_is(const token *t, size_t n, size_t i, const char *w)
{
	return i < n && !t[i].is_num && !strcmp(t[i].low, w);
}

/* A currency code right after a number ("100 EUR", "30 dollars"): consumed into the number. */
static size_t currency_after(const token *t, size_t n, size_t i, char cur[4])
{
	if (i < n && !t[i].is_num && t[i].cur[0] && !cur[0]) {
		memcpy(cur, t[i].cur, 4);
		return 1;
	}
	return 0;
}

static const char *const below[] = { "under", "below", "<", "<=", "max", "maximum", "within", NULL };
static const char *const above[] = { "over", "above", ">", ">=", "min", "minimum", "from", NULL };

static int in_list(const char *const *list, const char *w)
{
	for (; *list; list++)
		if (!strcmp(*list, w))
			return 1;
	return 0;
}

/* The bound a phrase starting at token i sets: 1 at most, 2 at least, 3 both; its length in
 * tokens in *used. "less than", "cheaper than", "up to", "at most", "no more than" are two or
 * three words. */
static int bound_at(const token *t, size_t n, size_t i, size_t *used)
{
	*used = 1;
	if (t[i].is_num)
		return 0;
	if (in_list(below, t[i].low))
		return 1;
	if (in_list(above, t[i].low))
		return 2;
	*used = 2;
	if ((word_is(t, n, i, "less") || word_is(t, n, i, "cheaper") || word_is(t, n, i, "lower")) &&
		word_is(t, n, i + 1, "than"))
		return 1;
	if (word_is(t, n, i, "up") && word_is(t, n, i + 1, "to"))
		return 1;
	if (word_is(t, n, i, "at") && word_is(t, n, i + 1, "most"))
		return 1;
	if ((word_is(t, n, i, "more") || word_is(t, n, i, "higher")) && word_is(t, n, i + 1, "than"))
		return 2;
	if (word_is(t, n, i, "at") && word_is(t, n, i + 1, "least"))
		return 2;
	*used = 3;
	if (word_is(t, n, i, "no") && word_is(t, n, i + 1, "more") && word_is(t, n, i + 2, "than"))
		return 1;
	if (word_is(t, n, i, "no") && word_is(t, n, i + 1, "less") && word_is(t, n, i + 2, "than"))
		return 2;
	return 0;
}

/* A number at token i with a currency before or after it ("$30", "30 EUR", "EUR 30"); the
 * tokens it takes in *used, 0 when there is no number. */
static size_t amount_at(const token *t, size_t n, size_t i, double *v, char cur[4])
{
	size_t used = 0;
	if (i < n && !t[i].is_num && t[i].cur[0] && i + 1 < n && t[i + 1].is_num) {
		memcpy(cur, t[i].cur, 4);
		i++;
		used = 1;
	}
	if (i >= n || !t[i].is_num)
		return 0;
	*v = t[i].num;
	if (t[i].cur[0])
		memcpy(cur, t[i].cur, 4);
	return used + 1 + currency_after(t, n, i + 1, cur);
}

static void blank(char *text, const token *t, size_t from, size_t to)
{
	size_t k;
	for (k = t[from].start; k < t[to - 1].end; k++)
		text[k] = ' ';
}

int kgr__query_parse(const char *query, kgr__query_constraints *c)
{
	token t[64];
	size_t n, i, used, a, b2;
	double v, w;

	memset(c, 0, sizeof(*c));
	c->min_price = -INFINITY;
	c->max_price = INFINITY;
	if (!(c->text = malloc(strlen(query) + 1)))
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	strcpy(c->text, query);
	n = tokenize(query, t, sizeof(t) / sizeof(t[0]));
	for (i = 0; i < n; i++) {
		char cur[4] = "";
		int kind;
		if (word_is(t, n, i, "between") && (a = amount_at(t, n, i + 1, &v, cur)) &&
			word_is(t, n, i + 1 + a, "and") && (b2 = amount_at(t, n, i + 2 + a, &w, cur))) {
			c->min_price = v < w ? v : w;
			c->max_price = v < w ? w : v;
			used = 2 + a + b2;
		} else if ((a = amount_at(t, n, i, &v, cur)) && word_is(t, n, i + a, "-") &&
			(b2 = amount_at(t, n, i + a + 1, &w, cur)) && cur[0]) {
			/* "20-40 EUR", "$20 - $40": a range only with a currency */
			c->min_price = v < w ? v : w;
			c->max_price = v < w ? w : v;
			used = a + 1 + b2;
		} else if ((kind = bound_at(t, n, i, &used)) && (a = amount_at(t, n, i + used, &v, cur))) {
			if (kind == 1)
				c->max_price = v;
			else
				c->min_price = v;
			used += a;
		} else
			continue;
		if (cur[0])
			memcpy(c->currency, cur, 4);
		c->has_price = 1;
		/* "priced under 30": the word that says price goes too */
		a = i;
		if (a > 0 && (word_is(t, n, a - 1, "price") || word_is(t, n, a - 1, "priced") ||
			word_is(t, n, a - 1, "costing")))
			a--;
		blank(c->text, t, a, i + used);
		i += used - 1;
	}
	return 0;
}

void kgr__query_constraints_free(kgr__query_constraints *c)
{
	free(c->text);
	c->text = NULL;
}

/* A decimal literal's value; 0 when the term is no number. */
static int number_of(const kgr_store *st, kgr_id o, double *out)
{
	const char *v;
	char *end;
	if (!o || kgr_term_kind_of(st, o) != KGR_TERM_LITERAL || !(v = kgr_term_value(st, o, NULL)))
		return 0;
	*out = strtod(v, &end);
	return end != v && isfinite(*out);
}

/* The price of one node that has schema:price (or schema:lowPrice), in the currency asked for:
 * a node whose schema:priceCurrency is another is not comparable. */
static int price_of_node(const kgr_graph *g, kgr_id node, const char *currency, double *out)
{
	const kgr_store *st = g->store;
	kgr_id cur;
	const char *cv;
	if (!number_of(st, kgr_store_object(st, node, g->id_price), out) &&
		!number_of(st, kgr_store_object(st, node, g->id_lowprice), out))
		return 0;
	if (currency[0] && g->id_currency && (cur = kgr_store_object(st, node, g->id_currency)) &&
		(cv = kgr_term_value(st, cur, NULL)) && strcasecmp(cv, currency))
		return 0;
	return 1;
}

int kgr__item_price(const kgr_graph *g, kgr_id item, const char *currency, double *price)
{
	kgr_iter it;
	kgr_quad q;
	double v;
	int found = price_of_node(g, item, currency, price);
	if (!g->id_offers)
		return found;
	kgr_store_match(g->store, &it, item, g->id_offers, 0, KGR_ANY_GRAPH);
	while (kgr_iter_next(&it, &q))
		if (price_of_node(g, q.o, currency, &v) && (!found || v < *price)) {
			*price = v; /* the lowest offer: a sale price is what the shopper pays */
			found = 1;
		}
	return found;
}

/* Whether every word of a node's label is one of the query's words ("kids" names "Kids",
 * "young adults" names "Young adults", "adult" does not), words cut as the text index cuts
 * them. */
static int label_named(const char *label, const char *query)
{
	char w[KGR__TOKEN_MAX + 1], q[KGR__TOKEN_MAX + 1];
	size_t i = 0, ln = strlen(label), qn = strlen(query);
	int any = 0;
	while (kgr__next_token(label, ln, &i, w)) {
		size_t j = 0;
		int found = 0;
		while (!found && kgr__next_token(query, qn, &j, q))
			found = !strcmp(w, q);
		if (!found)
			return 0;
		any = 1;
	}
	return any;
}

static int add_constraint(kgr_recs *r, const char *kind, double value, const char *currency, kgr_id node)
{
	kgr_query_constraint *nc = realloc(r->constraints, (r->n_constraints + 1) * sizeof(*nc));
	if (!nc)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	r->constraints = nc;
	nc += r->n_constraints++;
	memset(nc, 0, sizeof(*nc));
	nc->kind = kind;
	nc->value = value;
	snprintf(nc->currency, sizeof(nc->currency), "%s", currency);
	nc->node = node;
	return 0;
}

int kgr__constraints_build(const kgr_graph *g, const kgr__query_constraints *qc, const char *query,
	kgr_recs *r)
{
	const kgr_store *st = g->store;
	kgr_id audience = g->id_audience, occasion = g->id_occasion;
	size_t i;
	int error;
	if (qc->has_price && isfinite(qc->max_price) &&
		(error = add_constraint(r, "max_price", qc->max_price, qc->currency, 0)) < 0)
		return error;
	if (qc->has_price && isfinite(qc->min_price) &&
		(error = add_constraint(r, "min_price", qc->min_price, qc->currency, 0)) < 0)
		return error;
	for (i = 0; i < r->n_matches; i++) {
		kgr_id m = r->matches[i].node;
		const char *kind = audience && kgr_store_count(st, 0, audience, m) > 0 ? "audience" :
			occasion && kgr_store_count(st, 0, occasion, m) > 0 ? "occasion" : NULL;
		size_t k;
		if (!kind || !label_named(kgr_store_label(st, m), query))
			continue;
		for (k = 0; k < r->n_constraints && r->constraints[k].node != m; k++)
			;
		if (k == r->n_constraints && (error = add_constraint(r, kind, 0, "", m)) < 0)
			return error;
	}
	return 0;
}

int kgr__constraint_admits(const kgr_graph *g, const kgr_query_constraint *c, kgr_id item, int *priced)
{
	double price;
	if (c->node) {
		kgr_id p = !strcmp(c->kind, "audience") ? g->id_audience : g->id_occasion;
		return p && kgr_store_count(g->store, item, p, c->node) > 0;
	}
	if (!kgr__item_price(g, item, c->currency, &price)) {
		*priced = 0;
		return 0;
	}
	*priced = 1;
	return !strcmp(c->kind, "max_price") ? price <= c->value : price >= c->value;
}

int kgr__constraints_admit(const kgr_graph *g, const kgr_recs *r, kgr_id item)
{
	size_t k;
	int priced;
	for (k = 0; k < r->n_constraints; k++)
		if (!kgr__constraint_admits(g, &r->constraints[k], item, &priced))
			return 0;
	return 1;
}
