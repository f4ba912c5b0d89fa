/* Prompt templates and their renderer.
 *
 * A template is a text file with a "### system" part and a "### user" part. Placeholders
 * {{name}} are replaced by sections rendered from the input; catalog text (labels,
 * descriptions, the user's request) only ever appears quoted and escaped, inside the
 * delimiters the template puts around each section, so it is data to the model and never
 * changes what kgrec checks in the reply. */
#include "ranker/llm_internal.h"
#include "kg/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Escape without quotes. Cuts at @p max bytes on a UTF-8 boundary. */
static void buf_escape(kgr__buf *b, const char *s, size_t max)
{
	size_t i, n = strlen(s), start = 0;
	int cut = 0;
	if (max && n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		cut = 1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		char hex[8];
		switch (c) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		case '\t': rep = "\\t"; break;
		case '<': rep = "\\u003c"; break;
		case '>': rep = "\\u003e"; break;
		case '|': rep = "\\u007c"; break;
		case '{': rep = "\\u007b"; break;
		case '}': rep = "\\u007d"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(hex, sizeof(hex), "\\u%04x", c);
				rep = hex;
			}
		}
		if (rep) {
			kgr__buf_put(b, s + start, i - start);
			kgr__buf_puts(b, rep);
			start = i + 1;
		}
	}
	kgr__buf_put(b, s + start, n - start);
	if (cut)
		kgr__buf_puts(b, "...");
}

/* @p prefix followed by the decimal @p n: the hot path of fact and candidate numbers. */
static void buf_id(kgr__buf *b, const char *prefix, size_t n)
{
	char tmp[24];
	size_t k = sizeof(tmp);
	do {
		tmp[--k] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	kgr__buf_puts(b, prefix);
	kgr__buf_put(b, tmp + k, sizeof(tmp) - k);
}

void kgr__buf_quote(kgr__buf *b, const char *s, size_t max)
{
	kgr__buf_put(b, "\"", 1);
	buf_escape(b, s ? s : "", max);
	kgr__buf_put(b, "\"", 1);
}

/* ---- templates ---- */

struct kgr__template {
	char *path;
	char *system; /* may be empty */
	char *user;
};

static const char *const placeholders[] = {
	"history", "recent", "history_but_last", "last_item", "facts", "candidates",
	"n_candidates", "candidate_ids", "request", NULL
};

static int placeholder_known(const char *name, size_t len)
{
	size_t i;
	for (i = 0; placeholders[i]; i++)
		if (strlen(placeholders[i]) == len && !memcmp(placeholders[i], name, len))
			return 1;
	return 0;
}

const char *kgr__template_name(kgr_llm_mode mode, kgr_llm_history history)
{
	switch (mode) {
	case KGR_LLM_POINTWISE: return "pointwise";
	case KGR_LLM_PAIRWISE: return "pairwise";
	case KGR_LLM_CONVERSATIONAL: return "conversational";
	case KGR_LLM_LISTWISE:
	default:
		switch (history) {
		case KGR_LLM_HISTORY_RECENCY: return "listwise_recency";
		case KGR_LLM_HISTORY_INCONTEXT: return "listwise_incontext";
		case KGR_LLM_HISTORY_SEQUENTIAL:
		default: return "listwise_sequential";
		}
	}
}

static const char *default_dir(void)
{
	struct stat st;
	if (stat(KGR_SOURCE_PROMPT_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return KGR_SOURCE_PROMPT_DIR;
	return KGR_PROMPT_DIR;
}

/* Checks that every {{...}} names a known placeholder; reports file and line otherwise. */
static int check_placeholders(const char *path, const char *text, int first_line)
{
	const char *p = text, *q;
	int line = first_line;
	for (; *p; p++) {
		if (*p == '\n')
			line++;
		if (p[0] == '{' && p[1] == '{') {
			q = strstr(p + 2, "}}");
			if (!q || memchr(p, '\n', (size_t)(q - p)))
				return kgr__error_set(KGR_EPARSE, "%s:%d: unclosed '{{'", path, line);
			if (!placeholder_known(p + 2, (size_t)(q - p - 2)))
				return kgr__error_set(KGR_EPARSE, "%s:%d: unknown placeholder '{{%.*s}}'",
					path, line, (int)(q - p - 2), p + 2);
			p = q + 1;
		}
	}
	return 0;
}

int kgr__template_load(kgr__template **out, const char *dir, const char *name)
{
	kgr__template *t = NULL;
	char *text = NULL, *sys, *usr, *end;
	size_t len, plen;
	int error, sys_line = 1, usr_line = 1, i;

	*out = NULL;
	if (!dir)
		dir = default_dir();
	t = calloc(1, sizeof(*t));
	plen = strlen(dir) + strlen(name) + 6;
	if (!t || !(t->path = malloc(plen))) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	snprintf(t->path, plen, "%s/%s.txt", dir, name);
	if ((error = kgr__read_file(&text, &len, t->path, "prompt template")))
		goto cleanup;
	if (strlen(text) != len) {
		error = kgr__error_set(KGR_EPARSE, "%s: contains a NUL byte", t->path);
		goto cleanup;
	}
	usr = strstr(text, "### user\n");
	if (!usr || (usr != text && usr[-1] != '\n')) {
		error = kgr__error_set(KGR_EPARSE, "%s: no '### user' line", t->path);
		goto cleanup;
	}
	*usr = '\0';
	usr += strlen("### user\n");
	for (end = text; end < usr; end++)
		if (*end == '\n')
			usr_line++;
	sys = strstr(text, "### system\n");
	if (sys) {
		sys += strlen("### system\n");
		sys_line = 2;
	} else {
		sys = text + strlen(text);
	}
	/* drop the newline that ends each part */
	for (i = 0; i < 2; i++) {
		char *s = i ? usr : sys;
		size_t n = strlen(s);
		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
			s[--n] = '\0';
	}
	if ((error = check_placeholders(t->path, sys, sys_line)) ||
		(error = check_placeholders(t->path, usr, usr_line)))
		goto cleanup;
	t->system = strdup(sys);
	t->user = strdup(usr);
	if (!t->system || !t->user) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory");
		goto cleanup;
	}
	*out = t;
	t = NULL;
cleanup:
	free(text);
	kgr__template_free(t);
	return error;
}

void kgr__template_free(kgr__template *t)
{
	if (!t)
		return;
	free(t->path);
	free(t->system);
	free(t->user);
	free(t);
}

void kgr__prompt_view_free(kgr__prompt_view *v)
{
	if (!v)
		return;
	free(v->cands);
	free(v->facts);
	v->cands = v->facts = NULL;
	v->n_cands = v->n_facts = 0;
}

/* ---- sections ---- */

static size_t text_max(const kgr_llm_options *o)
{
	return o->max_text ? o->max_text : 160;
}

static void hist_line(kgr__buf *b, const kgr__llm_hist *h, size_t max)
{
	char date[32];
	struct tm tm;
	time_t t = (time_t)h->time;
	int paren = 0;
	kgr__buf_quote(b, h->label, max);
	if (h->action) {
		kgr__buf_puts(b, " (");
		buf_escape(b, h->action, 40);
		paren = 1;
	}
	if (h->time > 0 && gmtime_r(&t, &tm)) {
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		kgr__buf_printf(b, "%s%s", paren ? ", " : " (", date);
		paren = 1;
	}
	if (h->weight != 1.0) {
		kgr__buf_printf(b, "%srating %g", paren ? ", " : " (", h->weight);
		paren = 1;
	}
	if (paren)
		kgr__buf_puts(b, ")");
}

/* Lines "1. ..." for history items [from, to). */
static void render_history(kgr__buf *b, const kgr__llm_input *in, size_t from, size_t to, size_t max)
{
	size_t i;
	if (from >= to) {
		kgr__buf_puts(b, "(no history)");
		return;
	}
	for (i = from; i < to; i++) {
		buf_id(b, i > from ? "\n" : "", i - from + 1);
		kgr__buf_puts(b, ". ");
		hist_line(b, &in->hist[i], max);
	}
}

/* Adds the facts of the shown candidates to the view, numbered in first-appearance order. */
static int view_build(kgr__prompt_view *v, const kgr__llm_input *in, const size_t *order, size_t n,
	size_t max_facts)
{
	size_t i, j, k, total = 0;
	for (i = 0; i < n; i++)
		total += in->cands[order[i]].n_facts;
	v->cands = malloc((n ? n : 1) * sizeof(size_t));
	v->facts = malloc((total ? total : 1) * sizeof(size_t));
	if (!v->cands || !v->facts)
		return kgr__error_set(KGR_ENOMEM, "out of memory");
	memcpy(v->cands, order, n * sizeof(size_t));
	v->n_cands = n;
	v->max_facts = max_facts;
	v->n_facts = 0;
	for (i = 0; i < n; i++) {
		const kgr__llm_cand *c = &in->cands[order[i]];
		size_t nf = max_facts && c->n_facts > max_facts ? max_facts : c->n_facts;
		for (j = 0; j < nf; j++) {
			for (k = 0; k < v->n_facts; k++)
				if (v->facts[k] == c->facts[j])
					break;
			if (k == v->n_facts)
				v->facts[v->n_facts++] = c->facts[j];
		}
	}
	return 0;
}

/* Local number (1-based) of input fact @p f in the view, or 0. */
static size_t view_fact_no(const kgr__prompt_view *v, size_t f)
{
	size_t k;
	for (k = 0; k < v->n_facts; k++)
		if (v->facts[k] == f)
			return k + 1;
	return 0;
}

static void render_facts(kgr__buf *b, const kgr__llm_input *in, const kgr__prompt_view *v, size_t max)
{
	size_t k;
	if (!v->n_facts) {
		kgr__buf_puts(b, "(no facts)");
		return;
	}
	for (k = 0; k < v->n_facts; k++) {
		const kgr__llm_fact *f = &in->facts[v->facts[k]];
		buf_id(b, k ? "\n[F" : "[F", k + 1);
		kgr__buf_puts(b, "] ");
		kgr__buf_quote(b, f->s, max);
		kgr__buf_puts(b, " | ");
		buf_escape(b, f->p, 60);
		kgr__buf_puts(b, " | ");
		kgr__buf_quote(b, f->o, max);
	}
}

static void render_cands(kgr__buf *b, const kgr__llm_input *in, const kgr__prompt_view *v,
	size_t max, size_t max_facts)
{
	size_t i, j;
	for (i = 0; i < v->n_cands; i++) {
		const kgr__llm_cand *c = &in->cands[v->cands[i]];
		size_t nf = max_facts && c->n_facts > max_facts ? max_facts : c->n_facts;
		buf_id(b, i ? "\n[C" : "[C", i + 1);
		kgr__buf_puts(b, "] ");
		kgr__buf_quote(b, c->label, max);
		if (c->desc && *c->desc) {
			kgr__buf_puts(b, " | description: ");
			kgr__buf_quote(b, c->desc, max);
		}
		kgr__buf_puts(b, " | facts: ");
		if (!nf)
			kgr__buf_puts(b, "none");
		for (j = 0; j < nf; j++)
			buf_id(b, j ? ", F" : "F", view_fact_no(v, c->facts[j]));
	}
}

static void render_placeholder(kgr__buf *b, const char *name, size_t len, const kgr__llm_input *in,
	const kgr__prompt_view *v, const kgr_llm_options *o)
{
	size_t max = text_max(o), i, hmax = o->max_history ? o->max_history : 20;
	size_t hfrom = in->n_hist > hmax ? in->n_hist - hmax : 0;
#define IS(s) (len == strlen(s) && !memcmp(name, s, len))
	if (IS("history")) {
		render_history(b, in, hfrom, in->n_hist, max);
	} else if (IS("history_but_last")) {
		render_history(b, in, hfrom, in->n_hist ? in->n_hist - 1 : 0, max);
	} else if (IS("last_item")) {
		if (in->n_hist)
			hist_line(b, &in->hist[in->n_hist - 1], max);
		else
			kgr__buf_puts(b, "(none)");
	} else if (IS("recent")) {
		/* the three most recent, newest first */
		if (!in->n_hist)
			kgr__buf_puts(b, "(none)");
		for (i = 0; i < 3 && i < in->n_hist; i++) {
			if (i)
				kgr__buf_puts(b, ", ");
			kgr__buf_quote(b, in->hist[in->n_hist - 1 - i].label, max);
		}
	} else if (IS("facts")) {
		render_facts(b, in, v, max);
	} else if (IS("candidates")) {
		render_cands(b, in, v, max, o->max_facts);
	} else if (IS("n_candidates")) {
		kgr__buf_printf(b, "%zu", v->n_cands);
	} else if (IS("candidate_ids")) {
		for (i = 0; i < v->n_cands; i++)
			buf_id(b, i ? ", C" : "C", i + 1);
	} else if (IS("request")) {
		kgr__buf_quote(b, o->request ? o->request : "", 4 * max);
	}
#undef IS
}

static char *render_text(const char *tpl, const kgr__llm_input *in, const kgr__prompt_view *v,
	const kgr_llm_options *o)
{
	kgr__buf b = { 0 };
	const char *p = tpl, *open, *close;
	while ((open = strstr(p, "{{")) != NULL) {
		close = strstr(open + 2, "}}");
		if (!close)
			break; /* checked at load */
		kgr__buf_put(&b, p, (size_t)(open - p));
		render_placeholder(&b, open + 2, (size_t)(close - open - 2), in, v, o);
		p = close + 2;
	}
	kgr__buf_puts(&b, p);
	return kgr__buf_take(&b);
}

int kgr__prompt_render(char **system_out, char **user_out, kgr__prompt_view *view,
	const kgr__template *t, const kgr__llm_input *in, const size_t *order, size_t n_order,
	const kgr_llm_options *opts)
{
	int error;
	*system_out = *user_out = NULL;
	memset(view, 0, sizeof(*view));
	if ((error = view_build(view, in, order, n_order, opts->max_facts)))
		goto cleanup;
	*system_out = render_text(t->system, in, view, opts);
	*user_out = render_text(t->user, in, view, opts);
	if (!*system_out || !*user_out) {
		error = kgr__error_set(KGR_ENOMEM, "out of memory rendering a prompt");
		goto cleanup;
	}
	return 0;
cleanup:
	free(*system_out);
	free(*user_out);
	*system_out = *user_out = NULL;
	kgr__prompt_view_free(view);
	return error;
}

size_t kgr_llm_token_estimate(const char *text)
{
	return text ? (strlen(text) + 3) / 4 : 0;
}
