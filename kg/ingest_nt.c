/* N-Triples and N-Quads on every core. The formats are line-based, so the text can be cut
 * anywhere between two lines and the pieces parsed at once:
 *
 *   reader (the calling thread): reads (and, for gzip input, decompresses) the text and cuts
 *       it into pieces of about PIECE_BYTES of whole lines, numbered in order;
 *   parsers (`threads` of them): each takes the next piece, reads its lines with the W3C
 *       grammar (kgr__nt_line()), hashes every term and keeps each distinct term of the
 *       piece once, in the order of its first use, with the statements as indexes into them;
 *   interner (one thread): takes the pieces strictly in order and interns their distinct
 *       terms into the store's dictionary, then appends the statements.
 *
 * The dictionary has one writer and needs no lock. Terms are interned in the order they first
 * occur in the text and statements appended in text order, exactly as one thread reading line
 * by line would, so ids, quads and the snapshot are the same for any number of parsers. A
 * piece's repeats (predicates, classes, the subject of consecutive lines) never reach the
 * interner, whose work is then about one lookup per distinct term of a piece. An error is
 * reported from the first piece that has one, with its line counted over the pieces before. */
#define _GNU_SOURCE /* memrchr */
#include "kg/ingest_internal.h"
#include "kg/text_check.h"
#include "util/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIECE_BYTES (1u << 20)
#define READ_BYTES (256u * 1024)
#define NO_TERM UINT32_MAX
#define AHEAD 16

enum { FREE, QUEUED, PARSING, PARSED };

typedef struct {
	/* the reader's */
	char *text;
	size_t text_len, text_cap;
	size_t seq;
	int state; /* under the lock */

	/* the parser's: distinct terms in order of first use, each 'I' | 'B' | 'L' (tag, u32
	 * length, bytes), 'G' (the same, then u32 length and the language tag) or 'D' (the
	 * same, then the u32 index of its datatype IRI among the piece's terms) */
	kgr__buf terms;
	uint32_t *off;   /* per term: where it starts in terms */
	uint32_t *hash;  /* per term: the dictionary's hash; 0 for a typed literal */
	uint32_t *key;   /* per term: the hash the piece's own table keys it by */
	size_t n_terms, cap_terms;
	uint32_t *quads; /* four indexes a statement; NO_TERM: no graph named */
	size_t n_quads, cap_quads;
	long lines;
	int error;       /* 0, KGR_EPARSE, KGR_ENOMEM */
	long err_line, err_col;
	const char *err_why;
} piece;

typedef struct {
	kgr_store *store;
	const char *name;
	kgr_id graph;
	int quads;
	const char *bnode_prefix;
	size_t bnode_prefix_len;

	pthread_mutex_t lock;
	pthread_cond_t cv;
	piece *pieces;
	size_t n_pieces;     /* slots; piece k uses slot k % n_pieces */
	size_t queued_total; /* pieces the reader has queued */
	int reader_done;
	int abort;           /* stop everything: an error */
	int error;           /* the interner's error code, with msg */
	char msg[768];
} nt_ctx;

typedef struct {
	nt_ctx *c;
	pthread_t thread;
	uint32_t *slots; /* the piece's table: term index + 1, 0 empty */
	size_t slot_cap;
	int full;         /* the piece's terms are keyed by a hash of all their bytes */
	kgr__scratch sb[5];
	uint32_t last[4]; /* the terms of the line before, NO_TERM: none */
} parser;

static void set_abort(nt_ctx *c)
{
	pthread_mutex_lock(&c->lock);
	c->abort = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);
}

/* ---- parsers ---- */

static int reserve(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 1024;
	void *q;
	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static int append_u32(kgr__buf *b, uint32_t v)
{
	return kgr__buf_append(b, &v, 4);
}

/* The key a term is found by in its piece's table. Quick: the tag, length and the first,
 * middle and last eight bytes (most occurrences of a term are repeats, and IRIs differ at
 * their ends); a piece whose probes run long (many terms alike there) is keyed by a hash of
 * all the bytes instead. extra: a typed literal's datatype index, a tag's first bytes. */
static uint32_t term_key(int full, char tag, const char *v, uint32_t len, uint64_t extra)
{
	uint64_t a = 0, b = 0, m = 0, h;
	if (full)
		return (uint32_t)kgr__hash64(v, len, (uint64_t)(unsigned char)tag ^ extra * 0x9e3779b97f4a7c15ull);
	if (len >= 8) {
		memcpy(&a, v, 8);
		memcpy(&m, v + (len - 8) / 2, 8);
		memcpy(&b, v + len - 8, 8);
	} else {
		memcpy(&a, v, len);
	}
	h = (a ^ ((uint64_t)(unsigned char)tag << 56) ^ len) * 0x9e3779b97f4a7c15ull;
	h = (h ^ (h >> 29) ^ m) * 0xc2b2ae3d27d4eb4full;
	h = (h ^ (h >> 32) ^ b ^ extra) * 0x165667b19e3779f9ull;
	return (uint32_t)(h >> 32);
}

static uint64_t lang_bits(const char *v2, uint32_t len2)
{
	uint64_t x = 0;
	memcpy(&x, v2, len2 < 8 ? len2 : 8);
	return x ^ ((uint64_t)len2 << 59);
}

/* A stored term's key again, from its record (for a rebuild of the table). */
static uint32_t record_key(const parser *w, const char *rec)
{
	uint32_t len, len2, dt;
	const char *v = rec + 5;
	memcpy(&len, rec + 1, 4);
	switch (*rec) {
	case 'B':
		return term_key(w->full, 'B', v + w->c->bnode_prefix_len,
			len - (uint32_t)w->c->bnode_prefix_len, 0);
	case 'G':
		memcpy(&len2, v + len, 4);
		return term_key(w->full, 'G', v, len, lang_bits(v + len + 4, len2));
	case 'D':
		memcpy(&dt, v + len, 4);
		return term_key(w->full, 'D', v, len, dt);
	default:
		return term_key(w->full, *rec, v, len, 0);
	}
}

/* The table at cap slots with every term of the piece placed again (keys computed again
 * when rekey). */
static int rebuild_slots(parser *w, piece *pc, size_t cap, int rekey)
{
	uint32_t *s = calloc(cap, sizeof(*s));
	size_t i;
	if (!s)
		return -1;
	for (i = 0; i < pc->n_terms; i++) {
		size_t k;
		if (rekey)
			pc->key[i] = record_key(w, pc->terms.s + pc->off[i]);
		for (k = pc->key[i] & (cap - 1); s[k]; k = (k + 1) & (cap - 1))
			;
		s[k] = (uint32_t)i + 1;
	}
	free(w->slots);
	w->slots = s;
	w->slot_cap = cap;
	return 0;
}

/* Whether the stored term at rec is t (a typed literal's datatype index dt). */
static int record_is(const parser *w, const char *rec, const kgr__nt_term *t, uint32_t dt)
{
	uint32_t rlen, x;
	size_t skip = t->tag == 'B' ? w->c->bnode_prefix_len : 0;
	if (*rec != t->tag)
		return 0;
	memcpy(&rlen, rec + 1, 4);
	if (rlen != t->len + skip || memcmp(rec + 5 + skip, t->v, t->len))
		return 0;
	if (t->tag == 'G') {
		memcpy(&x, rec + 5 + rlen, 4);
		return x == t->len2 && !memcmp(rec + 9 + rlen, t->v2, t->len2);
	}
	if (t->tag == 'D') {
		memcpy(&x, rec + 5 + rlen, 4);
		return x == dt;
	}
	return 1;
}

static int append_record(const parser *w, piece *pc, const kgr__nt_term *t, uint32_t dt)
{
	kgr__buf *b = &pc->terms;
	size_t pl = t->tag == 'B' ? w->c->bnode_prefix_len : 0;
	if (kgr__buf_append(b, &t->tag, 1) || append_u32(b, (uint32_t)(pl + t->len)) ||
		kgr__buf_append(b, w->c->bnode_prefix, pl) || kgr__buf_append(b, t->v, t->len))
		return -1;
	if (t->tag == 'G')
		return append_u32(b, t->len2) || kgr__buf_append(b, t->v2, t->len2) ? -1 : 0;
	if (t->tag == 'D')
		return append_u32(b, dt);
	return 0;
}

static int grow_terms(piece *pc)
{
	size_t cap = pc->cap_terms;
	if (reserve((void **)&pc->off, &cap, pc->n_terms + 1, sizeof(*pc->off)) < 0)
		return -1;
	cap = pc->cap_terms;
	if (reserve((void **)&pc->hash, &cap, pc->n_terms + 1, sizeof(*pc->hash)) < 0)
		return -1;
	cap = pc->cap_terms;
	if (reserve((void **)&pc->key, &cap, pc->n_terms + 1, sizeof(*pc->key)) < 0)
		return -1;
	pc->cap_terms = cap;
	return 0;
}

/* t's index among the piece's distinct terms, added at the end when new (then hashed as the
 * dictionary will look it up; a typed literal once its datatype has an id, by the interner). */
static int find_or_add(parser *w, piece *pc, const kgr__nt_term *t, uint32_t dt, uint32_t *out)
{
	uint64_t extra = t->tag == 'G' ? lang_bits(t->v2, t->len2) : t->tag == 'D' ? dt : 0;
	uint32_t key, h = 0;
	size_t k, steps = 0;
	const char *v;

	if ((pc->n_terms + 1) * 2 > w->slot_cap &&
		rebuild_slots(w, pc, w->slot_cap ? w->slot_cap * 2 : 8192, 0) < 0)
		return -1;
again:
	key = term_key(w->full, t->tag, t->v, t->len, extra);
	for (k = key & (w->slot_cap - 1); w->slots[k]; k = (k + 1) & (w->slot_cap - 1)) {
		uint32_t j = w->slots[k] - 1;
		if (pc->key[j] == key && record_is(w, pc->terms.s + pc->off[j], t, dt)) {
			*out = j;
			return 0;
		}
		if (++steps == 64 && !w->full) {
			w->full = 1;
			if (rebuild_slots(w, pc, w->slot_cap, 1) < 0)
				return -1;
			goto again;
		}
	}
	if ((pc->n_terms == pc->cap_terms && grow_terms(pc) < 0))
		return -1;
	pc->off[pc->n_terms] = (uint32_t)pc->terms.len;
	if (append_record(w, pc, t, dt) < 0)
		return -1;
	v = pc->terms.s + pc->off[pc->n_terms] + 5;
	switch (t->tag) {
	case 'I':
		h = kgr__term_hash(KGR_TERM_IRI, v, t->len, NULL, 0, 0);
		break;
	case 'B':
		h = kgr__term_hash(KGR_TERM_BLANK, v, w->c->bnode_prefix_len + t->len, NULL, 0, 0);
		break;
	case 'L':
		h = kgr__term_hash(KGR_TERM_LITERAL, v, t->len, NULL, 0, 0);
		break;
	case 'G':
		h = kgr__term_hash(KGR_TERM_LITERAL, v, t->len, t->v2, t->len2, 0);
		break;
	default: /* 'D': hashed by the interner */
		break;
	}
	pc->hash[pc->n_terms] = h;
	pc->key[pc->n_terms] = key;
	w->slots[k] = (uint32_t)pc->n_terms + 1;
	*out = (uint32_t)pc->n_terms++;
	return 0;
}

/* A line's term as an index into the piece's distinct terms: a typed literal's datatype IRI
 * first, as the interner needs its id first. The term in the same position of the line
 * before (a subject over several lines, the graph of N-Quads) is taken without a lookup. */
static int piece_term(parser *w, piece *pc, const kgr__nt_term *t, int pos, uint32_t *out)
{
	kgr__nt_term dt_term;
	uint32_t dt = 0;

	if (t->tag == 'N') {
		*out = NO_TERM;
		return 0;
	}
	if (w->last[pos] != NO_TERM && t->tag != 'D' &&
		record_is(w, pc->terms.s + pc->off[w->last[pos]], t, 0)) {
		*out = w->last[pos];
		return 0;
	}
	if (t->tag == 'D') {
		dt_term.tag = 'I';
		dt_term.v = t->v2;
		dt_term.len = t->len2;
		dt_term.v2 = NULL;
		dt_term.len2 = 0;
		if (find_or_add(w, pc, &dt_term, 0, &dt) < 0)
			return -1;
	}
	if (find_or_add(w, pc, t, dt, out) < 0)
		return -1;
	w->last[pos] = *out;
	return 0;
}

static void piece_fail(piece *pc, int code, const char *why, long col)
{
	pc->error = code;
	pc->err_why = why;
	pc->err_line = pc->lines;
	pc->err_col = col;
}

/* Every line of a piece into its distinct terms and statements; stops at the first error. */
static void parse_piece(parser *w, piece *pc)
{
	const char *p = pc->text, *end = pc->text + pc->text_len;

	pc->terms.len = 0;
	pc->n_terms = pc->n_quads = 0;
	pc->lines = 0;
	pc->error = 0;
	w->full = 0;
	w->last[0] = w->last[1] = w->last[2] = w->last[3] = NO_TERM;
	if (w->slot_cap)
		memset(w->slots, 0, w->slot_cap * sizeof(*w->slots));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *bad;
		kgr__nt_err e = { NULL, NULL };
		kgr__nt_term t[4];
		uint32_t *quad;
		int r, k;

		pc->lines++;
		if (le > p && le[-1] == '\r')
			le--;
		if ((bad = p + kgr__utf8_invalid_at(p, (size_t)(le - p))) != le) {
			piece_fail(pc, KGR_EPARSE, "invalid UTF-8", (long)(bad - p) + 1);
			return;
		}
		r = kgr__nt_line(t, p, le, w->c->quads, w->sb, &e);
		if (r == -1) {
			piece_fail(pc, KGR_EPARSE, e.why, (long)(e.at - p) + 1);
			return;
		}
		if (r == -2 || (r == 0 && reserve((void **)&pc->quads, &pc->cap_quads, pc->n_quads * 4 + 4,
						 sizeof(*pc->quads)) < 0)) {
			piece_fail(pc, KGR_ENOMEM, "out of memory", 0);
			return;
		}
		if (r == 0) {
			quad = pc->quads + pc->n_quads * 4;
			for (k = 0; k < 4; k++) {
				if (piece_term(w, pc, &t[k], k, &quad[k]) < 0) {
					piece_fail(pc, KGR_ENOMEM, "out of memory", 0);
					return;
				}
			}
			pc->n_quads++;
		}
		p = nl ? nl + 1 : end;
	}
}

static void *parser_main(void *arg)
{
	parser *w = arg;
	nt_ctx *c = w->c;
	kgr__thread_name("kgr-parse");
	for (;;) {
		piece *pc = NULL;
		size_t i;
		pthread_mutex_lock(&c->lock);
		while (!c->abort) {
			for (i = 0; i < c->n_pieces; i++)
				if (c->pieces[i].state == QUEUED && (!pc || c->pieces[i].seq < pc->seq))
					pc = &c->pieces[i];
			if (pc || c->reader_done)
				break;
			pthread_cond_wait(&c->cv, &c->lock);
		}
		if (!pc || c->abort) {
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		pc->state = PARSING;
		pthread_mutex_unlock(&c->lock);
		parse_piece(w, pc);
		pthread_mutex_lock(&c->lock);
		pc->state = PARSED;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->lock);
	}
}

/* ---- interner ---- */

static void intern_fail(nt_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void intern_fail(nt_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kgr__load_fail(&c->lock, &c->cv, &c->error, c->msg, sizeof(c->msg), code, fmt, ap);
	va_end(ap);
	set_abort(c);
}

/* A piece's distinct terms into the dictionary, in order; their ids in map. The table slots
 * of the terms AHEAD on are fetched early, then their entries, then their bytes, so the
 * cache misses of one lookup overlap with the work on the terms before it. */
static int intern_piece(nt_ctx *c, const piece *pc, kgr_id *map)
{
	kgr_store *s = c->store;
	const char *q = pc->terms.s;
	kgr_id ahead[AHEAD] = { 0 };
	size_t i, n = pc->n_terms;

	for (i = 0; i < n && i < AHEAD; i++)
		if (pc->hash[i])
			kgr__term_prefetch(s, pc->hash[i]);
	for (i = 0; i < n; i++) {
		char tag = *q;
		const char *v, *v2;
		uint32_t len = kgr__get_str(&q, &v), len2, dt;
		kgr_id id;
		if (i + AHEAD < n && pc->hash[i + AHEAD])
			kgr__term_prefetch(s, pc->hash[i + AHEAD]);
		if (i + AHEAD / 2 < n)
			ahead[(i + AHEAD / 2) % AHEAD] = pc->hash[i + AHEAD / 2] ?
				kgr__term_prefetch_entry(s, pc->hash[i + AHEAD / 2]) : 0;
		if (i + AHEAD / 4 < n && ahead[(i + AHEAD / 4) % AHEAD])
			kgr__term_prefetch_bytes(s, ahead[(i + AHEAD / 4) % AHEAD]);
		switch (tag) {
		case 'I':
			id = kgr__intern_hashed(s, KGR_TERM_IRI, v, len, NULL, 0, 0, &pc->hash[i]);
			break;
		case 'B':
			id = kgr__intern_hashed(s, KGR_TERM_BLANK, v, len, NULL, 0, 0, &pc->hash[i]);
			break;
		case 'L':
			id = kgr__intern_hashed(s, KGR_TERM_LITERAL, v, len, NULL, 0, 0, &pc->hash[i]);
			break;
		case 'G':
			memcpy(&len2, q, 4);
			v2 = q + 4;
			q += 4 + len2;
			id = kgr__intern_hashed(s, KGR_TERM_LITERAL, v, len, v2, len2, 0, &pc->hash[i]);
			break;
		default: /* 'D' */
			memcpy(&dt, q, 4);
			q += 4;
			id = kgr__intern(s, KGR_TERM_LITERAL, v, len, NULL, 0, map[dt]);
			break;
		}
		if (!id)
			return -1;
		map[i] = id;
	}
	return 0;
}

typedef struct {
	nt_ctx *c;
	pthread_t thread;
} interner;

static void *interner_main(void *arg)
{
	nt_ctx *c = ((interner *)arg)->c;
	kgr_id *map = NULL;
	size_t map_cap = 0, next, k;
	long lines_before = 0;

	kgr__thread_name("kgr-intern");
	for (next = 0;; next++) {
		piece *pc = &c->pieces[next % c->n_pieces];
		pthread_mutex_lock(&c->lock);
		while (!c->abort && !(c->reader_done && next == c->queued_total) &&
			!(pc->seq == next && pc->state == PARSED && next < c->queued_total))
			pthread_cond_wait(&c->cv, &c->lock);
		if (c->abort || next == c->queued_total) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		pthread_mutex_unlock(&c->lock);
		if (pc->error == KGR_EPARSE) {
			intern_fail(c, KGR_EPARSE, "%s:%ld:%ld: %s", c->name, lines_before + pc->err_line,
				pc->err_col, pc->err_why);
			break;
		}
		if (pc->error || reserve((void **)&map, &map_cap, pc->n_terms, sizeof(*map)) < 0) {
			intern_fail(c, KGR_ENOMEM, "%s: out of memory", c->name);
			break;
		}
		if (intern_piece(c, pc, map) < 0) {
			intern_fail(c, KGR_ENOMEM, "%s: %s", c->name,
				kgr_error_last()[0] ? kgr_error_last() : "out of memory");
			break;
		}
		for (k = 0; k < pc->n_quads; k++) {
			const uint32_t *t = pc->quads + k * 4;
			if (kgr__add_quad(c->store, map[t[0]], map[t[1]], map[t[2]],
				    t[3] == NO_TERM ? c->graph : map[t[3]]) < 0) {
				intern_fail(c, KGR_ENOMEM, "%s: out of memory", c->name);
				goto done;
			}
		}
		lines_before += pc->lines;
		pthread_mutex_lock(&c->lock);
		pc->state = FREE;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->lock);
	}
done:
	free(map);
	return NULL;
}

/* ---- reader ---- */

/* The next piece's text: what was left after the last piece's final newline, then reads
 * until it holds PIECE_BYTES and a newline, or the input ends. The text after its last
 * newline is kept in carry for the next piece. 1 at the end of the input, 0, or an error. */
static int fill_piece(nt_ctx *c, piece *pc, kgr__read_fn rd, void *src, uint64_t total, kgr__buf *carry)
{
	kgr_store *s = c->store;
	size_t got = 0, before;
	uint64_t pos = 0;
	int eof = 0, has_nl = 0, r;

	pc->text_len = 0;
	if (reserve((void **)&pc->text, &pc->text_cap, carry->len + READ_BYTES, 1) < 0)
		return kgr__error_set(KGR_ENOMEM, "%s: out of memory", c->name);
	if (carry->len)
		memcpy(pc->text, carry->s, carry->len);
	pc->text_len = carry->len;
	carry->len = 0;
	/* the carried text holds no newline: it is what followed the last one */
	while (!eof && (pc->text_len < PIECE_BYTES || !has_nl)) {
		if (reserve((void **)&pc->text, &pc->text_cap, pc->text_len + READ_BYTES, 1) < 0)
			return kgr__error_set(KGR_ENOMEM, "%s: out of memory", c->name);
		if ((r = rd(src, pc->text + pc->text_len, READ_BYTES, &got, &pos)) < 0)
			return r;
		eof = got == 0;
		before = pc->text_len;
		pc->text_len += got;
		has_nl = has_nl || (got && memchr(pc->text + before, '\n', got));
		if (s->progress && got)
			s->progress(pos, total, s->progress_payload);
	}
	if (!eof) {
		const char *last = memrchr(pc->text, '\n', pc->text_len);
		size_t cut = (size_t)(last - pc->text) + 1;
		if (kgr__buf_append(carry, pc->text + cut, pc->text_len - cut) < 0)
			return kgr__error_set(KGR_ENOMEM, "%s: out of memory", c->name);
		pc->text_len = cut;
	}
	return eof;
}

static int read_all(nt_ctx *c, kgr__read_fn rd, void *src, uint64_t total)
{
	kgr__buf carry = { 0 };
	size_t seq;
	int r = 0;

	for (seq = 0;; seq++) {
		piece *pc = &c->pieces[seq % c->n_pieces];
		int stop;
		pthread_mutex_lock(&c->lock);
		while (pc->state != FREE && !c->abort)
			pthread_cond_wait(&c->cv, &c->lock);
		stop = c->abort;
		pthread_mutex_unlock(&c->lock);
		if (stop)
			break;
		if ((r = fill_piece(c, pc, rd, src, total, &carry)) < 0)
			break;
		if (pc->text_len) {
			pthread_mutex_lock(&c->lock);
			pc->seq = seq;
			pc->state = QUEUED;
			c->queued_total = seq + 1;
			pthread_cond_broadcast(&c->cv);
			pthread_mutex_unlock(&c->lock);
		}
		if (r == 1) {
			r = 0;
			break;
		}
	}
	pthread_mutex_lock(&c->lock);
	c->reader_done = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);
	kgr__buf_free(&carry);
	return r;
}

int kgr__nt_load(kgr_store *s, kgr__read_fn rd, void *src, uint64_t total, int quads,
	const char *name, kgr_id graph, const char *bnode_prefix, int threads)
{
	nt_ctx c;
	parser *workers;
	interner in;
	int started = 0, in_started = 0, error = 0, i;
	char read_msg[sizeof(c.msg)] = "";

	if (threads <= 0)
		threads = kgr__cpu_count(64);
	if (total && total < PIECE_BYTES)
		threads = 1;
	memset(&c, 0, sizeof(c));
	c.store = s;
	c.name = name;
	c.graph = graph;
	c.quads = quads;
	c.bnode_prefix = bnode_prefix;
	c.bnode_prefix_len = strlen(bnode_prefix);
	c.n_pieces = (size_t)threads * 2 + 2;
	c.pieces = calloc(c.n_pieces, sizeof(*c.pieces));
	workers = calloc((size_t)threads, sizeof(*workers));
	if (!c.pieces || !workers) {
		free(c.pieces);
		free(workers);
		return kgr__error_set(KGR_ENOMEM, "%s: out of memory", name);
	}
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.cv, NULL);
	in.c = &c;
	if (pthread_create(&in.thread, NULL, interner_main, &in) == 0)
		in_started = 1;
	for (i = 0; in_started && i < threads; i++) {
		workers[i].c = &c;
		if (pthread_create(&workers[i].thread, NULL, parser_main, &workers[i]) != 0)
			break;
		started++;
	}
	if (!in_started || started == 0) {
		error = kgr__error_set(KGR_ENOMEM, "%s: cannot start a thread", name);
		set_abort(&c);
	} else if ((error = read_all(&c, rd, src, total)) < 0) {
		snprintf(read_msg, sizeof(read_msg), "%s", kgr_error_last());
	}
	if (in_started)
		pthread_join(in.thread, NULL);
	set_abort(&c); /* the interner is done: the parsers stop */
	for (i = 0; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	/* a piece's error comes before the reader's: it is earlier in the text */
	if (c.error)
		error = kgr__error_set(c.error, "%s", c.msg);
	else if (error < 0 && read_msg[0])
		error = kgr__error_set(error, "%s", read_msg);
	for (i = 0; i < threads; i++) {
		free(workers[i].slots);
		for (int k = 0; k < 5; k++)
			free(workers[i].sb[k].buf);
	}
	for (size_t k = 0; k < c.n_pieces; k++) {
		piece *pc = &c.pieces[k];
		free(pc->text);
		free(pc->terms.s);
		free(pc->off);
		free(pc->hash);
		free(pc->key);
		free(pc->quads);
	}
	free(c.pieces);
	free(workers);
	pthread_mutex_destroy(&c.lock);
	pthread_cond_destroy(&c.cv);
	return error < 0 ? error : 0;
}
