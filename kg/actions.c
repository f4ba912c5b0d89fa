/* Action names: the one table of the names an event log (kg/interactions.c) and POST /v1/events
 * (server/events.c) accept, and the kgr action each one means; and the user's own additions
 * read from an --action-map file. docs/EVENTS.md lists the table. */
#include "kg/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOT_RECORDED NULL

/* Grouped by the action they mean, in the order the messages list them. */
static const struct {
	const char *name;
	const char *action; /* a local name in the kgrec namespace, or NOT_RECORDED */
} names[] = {
	{ "view", "view" }, { "views", "view" }, { "pageview", "view" }, { "detail", "view" },
	{ "view_item", "view" }, { "select_item", "view" }, { "Product Viewed", "view" },
	{ "Product Clicked", "view" },
	{ "click", "click" }, { "clicks", "click" },
	{ "cart", "cart" }, { "add_to_cart", "cart" }, { "view_cart", "cart" },
	{ "begin_checkout", "cart" }, { "add_shipping_info", "cart" }, { "add_payment_info", "cart" },
	{ "Product Added", "cart" }, { "Cart Viewed", "cart" }, { "Checkout Started", "cart" },
	{ "Payment Info Entered", "cart" },
	{ "wishlist", "wishlist" }, { "save", "wishlist" }, { "add_to_wishlist", "wishlist" },
	{ "Product Added to Wishlist", "wishlist" },
	{ "purchase", "purchase" }, { "buy", "purchase" }, { "bought", "purchase" },
	{ "order", "purchase" }, { "transaction", "purchase" }, { "Order Completed", "purchase" },
	{ "rate", "rate" }, { "rating", "rate" }, { "rated", "rate" },
	{ "review", "review" }, { "Product Reviewed", "review" },
	{ "listen", "listen" }, { "play", "listen" }, { "plays", "listen" },
	{ "tag", "tag" },
	{ "interact", "interact" }, { "", "interact" },
	/* not interactions: a refund takes nothing back and adds nothing (docs/EVENTS.md);
	 * list impressions, promotions and removals say nothing about liking an item */
	{ "refund", NOT_RECORDED }, { "Order Refunded", NOT_RECORDED },
	{ "Order Cancelled", NOT_RECORDED }, { "remove_from_cart", NOT_RECORDED },
	{ "Product Removed", NOT_RECORDED }, { "Product Removed from Wishlist", NOT_RECORDED },
	{ "view_item_list", NOT_RECORDED }, { "Product List Viewed", NOT_RECORDED },
	{ "view_promotion", NOT_RECORDED }, { "select_promotion", NOT_RECORDED },
	{ "Promotion Viewed", NOT_RECORDED }, { "Promotion Clicked", NOT_RECORDED },
};

/* Names are the same when they differ only in case, spaces, '_' and '-': "add_to_cart",
 * "Add To Cart", "add-to-cart" and "AddToCart" are one name, as are Segment's "Product
 * Viewed" and the "product_viewed" its warehouses store. */
static int is_sep(char c)
{
	return c == ' ' || c == '_' || c == '-';
}

static int same_name(const char *a, const char *b)
{
	for (;;) {
		while (is_sep(*a))
			a++;
		while (is_sep(*b))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
}

kgr__action_kind kgr__action_lookup(const char *name, const char **action_out)
{
	size_t i;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (same_name(name, names[i].name)) {
			*action_out = names[i].action;
			return names[i].action ? KGR__ACTION_KNOWN : KGR__ACTION_NOT_RECORDED;
		}
	}
	*action_out = NULL;
	return KGR__ACTION_UNKNOWN;
}

void kgr__action_names(kgr__buf *out)
{
	size_t i;
	const char *group = "";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *a = names[i].action ? names[i].action : "not recorded";
		if (!names[i].name[0])
			continue;
		if (strcmp(a, group)) {
			kgr__buf_printf(out, "%s%s: ", i ? "; " : "", a);
			group = a;
		} else {
			kgr__buf_puts(out, ", ");
		}
		kgr__buf_puts(out, names[i].name);
	}
}

/* ------------------------------------------------------------------ --action-map */

struct kgr__action_map {
	size_t n;
	struct {
		char *name;
		char *action; /* a kgr local name, an IRI, or NULL: not recorded */
	} *e;
};

void kgr__action_map_free(kgr__action_map *m)
{
	size_t i;
	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->e[i].name);
		free(m->e[i].action);
	}
	free(m->e);
	free(m);
}

/* A field of the map trimmed of blanks and one pair of double quotes, in place. */
static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	if (e - s >= 2 && *s == '"' && e[-1] == '"') {
		e[-1] = '\0';
		s++;
	}
	return s;
}

static int is_iri(const char *t)
{
	const char *p = t;
	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':' && (p[1] == '/' || !strncmp(t, "urn:", 4));
}

/* What the map's second column means: a name of the table (so "add_to_cart" may stand for
 * cart), "ignore" for rows that are not loaded, or an IRI; NULL through *action and 0 for
 * "ignore", -1 for anything else. */
static int map_target(const char *text, char **action)
{
	const char *a;
	*action = NULL;
	if (!strcasecmp(text, "ignore"))
		return 0;
	if (is_iri(text)) {
		size_t n = strlen(text);
		if (text[0] == '<' && n > 2 && text[n - 1] == '>')
			*action = strndup(text + 1, n - 2);
		else
			*action = strdup(text);
		return *action ? 0 : KGR_ENOMEM;
	}
	if (!text[0] || kgr__action_lookup(text, &a) == KGR__ACTION_UNKNOWN)
		return -1;
	if (!a)
		return 0;
	*action = strdup(a);
	return *action ? 0 : KGR_ENOMEM;
}

static int map_add(kgr__action_map *m, const char *name, char *action)
{
	void *e;
	if (m->n % 16 == 0) {
		e = realloc(m->e, (m->n + 16) * sizeof(*m->e));
		if (!e)
			return KGR_ENOMEM;
		m->e = e;
	}
	m->e[m->n].name = strdup(name);
	m->e[m->n].action = action;
	if (!m->e[m->n].name)
		return KGR_ENOMEM;
	m->n++;
	return 0;
}

int kgr__action_map_load(kgr__action_map **out, const char *path)
{
	kgr__action_map *m = NULL;
	char *data = NULL, *line, *next;
	size_t len, lineno = 0;
	int error;

	*out = NULL;
	if ((error = kgr__read_file(&data, &len, path, "action map")) < 0)
		return error;
	if (!(m = calloc(1, sizeof(*m)))) {
		error = kgr__error_set(KGR_ENOMEM, "%s: out of memory", path);
		goto cleanup;
	}
	for (line = data; line && line < data + len; line = next) {
		char *sep, *name, *target, *action = NULL;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		name = trim(line);
		if (!*name || *name == '#')
			continue;
		sep = strpbrk(name, ",;\t");
		if (!sep) {
			error = kgr__error_set(KGR_EPARSE, "%s:%zu: expected two columns 'name,action', got '%.80s'",
				path, lineno, name);
			goto cleanup;
		}
		*sep = '\0';
		target = trim(sep + 1);
		name = trim(name);
		if (lineno == 1 && !strcasecmp(name, "name") && !strcasecmp(target, "action"))
			continue; /* the header */
		if ((error = map_target(target, &action)) == KGR_ENOMEM) {
			error = kgr__error_set(KGR_ENOMEM, "%s: out of memory", path);
			goto cleanup;
		}
		if (error < 0) {
			error = kgr__error_set(KGR_EPARSE, "%s:%zu: column 2: '%.80s' is not an action: "
				"give a kgrec action (view, click, cart, wishlist, purchase, rate, review, "
				"listen, tag, interact) or a name it knows, 'ignore', or an IRI",
				path, lineno, target);
			goto cleanup;
		}
		if ((error = map_add(m, name, action)) < 0) {
			free(action);
			error = kgr__error_set(KGR_ENOMEM, "%s: out of memory", path);
			goto cleanup;
		}
	}
	*out = m;
	m = NULL;
	error = 0;
cleanup:
	kgr__action_map_free(m);
	free(data);
	return error;
}

kgr__action_kind kgr__action_resolve(const kgr__action_map *m, const char *name, const char **action_out)
{
	size_t i;
	for (i = 0; m && i < m->n; i++) {
		if (same_name(name, m->e[i].name)) {
			*action_out = m->e[i].action;
			return m->e[i].action ? KGR__ACTION_KNOWN : KGR__ACTION_NOT_RECORDED;
		}
	}
	return kgr__action_lookup(name, action_out);
}
