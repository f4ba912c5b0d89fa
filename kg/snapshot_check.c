/* Validation of an opened snapshot's contents.
 *
 * The checksum tells a damaged file from a good one, not a file someone edited and then
 * re-checksummed, or one written by a buggy or hostile program. Everything that reads a store
 * trusts its ids, offsets and counts (an id indexes per-term arrays, an offset points into the
 * blob, a permutation indexes the quads), so a snapshot this process did not write is checked
 * here, once, before any of it is used: every term's bytes lie in the blob and end in NUL, every
 * id is in range and of the kind its place needs, the quads and permutations are sorted as the
 * binary searches assume, the interaction table agrees with its per-user offsets.
 * Complexity: O(file size) time, O(quads / 8) extra bytes.
 *
 * Snapshots this process saved itself (kgrec compact, the service's reloads) keep the
 * zero-copy fast path: kgr_store_save() records their checksums. */
#include "kg/snapshot_check.h"

#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITTEN_SLOTS 16

static pthread_mutex_t written_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t written[WRITTEN_SLOTS];
static size_t n_written;

void kgr__snapshot_written(uint64_t checksum)
{
	pthread_mutex_lock(&written_lock);
	written[n_written++ % WRITTEN_SLOTS] = checksum;
	pthread_mutex_unlock(&written_lock);
}

int kgr__snapshot_written_here(uint64_t checksum)
{
	size_t i, n;
	int found = 0;
	pthread_mutex_lock(&written_lock);
	n = n_written < WRITTEN_SLOTS ? n_written : WRITTEN_SLOTS;
	for (i = 0; i < n && !found; i++)
		found = written[i] == checksum;
	pthread_mutex_unlock(&written_lock);
	return found;
}

static int bad(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(const char *path, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return kgr__error_set(KGR_ECORRUPT, "%s: not a valid kgrec snapshot: %s", path, what);
}

/* A term's bytes: inside the blob, NUL-terminated, no NUL inside an IRI or blank node label
 * (they are read as C strings), a language tag inside the blob too, a datatype that is an IRI. */
static int check_terms(const kgr_store *s, const char *path)
{
	size_t id;
	if (s->n_terms < KGR__WELL_KNOWN_END - 1)
		return bad(path, "%zu terms, fewer than the %d every store has", s->n_terms,
			KGR__WELL_KNOWN_END - 1);
	if (s->blob_len && s->blob[s->blob_len - 1] != '\0')
		return bad(path, "the term bytes do not end in NUL");
	for (id = 0; id <= (s->n_terms + 1) >> KGR__TERM_BLOCK_BITS; id++)
		if (s->term_base[id] > s->blob_len)
			return bad(path, "the terms from id %zu start at offset %llu, past the term bytes",
				id << KGR__TERM_BLOCK_BITS, (unsigned long long)s->term_base[id]);
	if (kgr__term_off(s, s->n_terms + 1) != s->blob_len)
		return bad(path, "the terms end at offset %llu, not at the end of the term bytes (%zu)",
			(unsigned long long)kgr__term_off(s, s->n_terms + 1), s->blob_len);
	for (id = 1; id <= s->n_terms; id++) {
		const kgr__term *t = &s->terms[id];
		uint8_t k = s->kinds[id];
		uint64_t off = kgr__term_off(s, id), end = kgr__term_off(s, id + 1), len;
		uint64_t tag = (t->extra & KGR__LANG_FLAG) ? (t->extra & ~KGR__LANG_FLAG) + 1 : 0;
		if (k != KGR_TERM_IRI && k != KGR_TERM_BLANK && k != KGR_TERM_LITERAL)
			return bad(path, "term %zu has kind %u", id, k);
		/* offsets within the bytes and ascending (so every length below is inside them) */
		if (off > s->blob_len || end > s->blob_len || end < off + 1 + tag)
			return bad(path, "term %zu (offset %llu, next %llu) is not inside the term bytes", id,
				(unsigned long long)off, (unsigned long long)end);
		len = end - off - 1 - tag;
		if (s->blob[off + len] != '\0')
			return bad(path, "term %zu (offset %llu, length %llu) does not end in NUL", id,
				(unsigned long long)off, (unsigned long long)len);
		if (k != KGR_TERM_LITERAL) {
			if (t->extra != 0)
				return bad(path, "term %zu is not a literal but has a datatype or language", id);
			if (memchr(s->blob + off, '\0', len))
				return bad(path, "IRI or blank node %zu contains a NUL byte", id);
			if (id < KGR__WELL_KNOWN_END && k != KGR_TERM_IRI)
				return bad(path, "well-known term %zu is not an IRI", id);
		} else if (t->extra & KGR__LANG_FLAG) {
			uint64_t ll = tag - 1, start = off + len + 1;
			if (ll == 0 || s->blob[start + ll] != '\0' ||
				memchr(s->blob + start, '\0', ll))
				return bad(path, "the language tag of literal %zu is not inside the term bytes", id);
		} else if (t->extra && (t->extra > s->n_terms || s->kinds[t->extra] != KGR_TERM_IRI)) {
			return bad(path, "literal %zu has datatype %u, which is not an IRI of the store", id,
				t->extra);
		}
	}
	return 0;
}

/* Every slot's id in range, so a probe never reads past the terms; the table is larger than
 * the term count (checked at open), so every probe meets an empty slot and ends. */
static int check_table(const kgr_store *s, const char *path)
{
	size_t i, used = 0;
	for (i = 0; i < s->table_cap; i++) {
		if (!s->table[i])
			continue;
		if ((uint32_t)s->table[i] == 0 || (uint32_t)s->table[i] > s->n_terms)
			return bad(path, "term table slot %zu holds id %u of %zu terms", i,
				(uint32_t)s->table[i], s->n_terms);
		used++;
	}
	if (used > s->n_terms)
		return bad(path, "term table holds %zu entries for %zu terms", used, s->n_terms);
	return 0;
}

static int cmp3(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1,
	uint32_t b2, uint32_t b3)
{
	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	if (a2 != b2)
		return a2 < b2 ? -1 : 1;
	return a3 < b3 ? -1 : a3 > b3;
}

/* A permutation of the quads, sorted by the key it is searched by ("pos": p, o, s, g; "osp":
 * o, s, p, g). */
static int check_perm(const kgr_store *s, const uint32_t *perm, int is_pos, unsigned char *seen,
	const char *path)
{
	const char *name = is_pos ? "POS" : "OSP";
	size_t i;
	memset(seen, 0, (s->n_quads + 7) / 8);
	for (i = 0; i < s->n_quads; i++) {
		uint32_t j = perm[i];
		if (j >= s->n_quads)
			return bad(path, "%s index entry %zu points at quad %u of %zu", name, i, j, s->n_quads);
		if (seen[j / 8] & (1u << (j % 8)))
			return bad(path, "%s index names quad %u twice", name, j);
		seen[j / 8] |= (unsigned char)(1u << (j % 8));
		if (i) {
			const kgr_quad *a = &s->quads[perm[i - 1]], *b = &s->quads[j];
			int c = is_pos ? cmp3(a->p, a->o, a->s, a->g, b->p, b->o, b->s, b->g)
				       : cmp3(a->o, a->s, a->p, a->g, b->o, b->s, b->p, b->g);
			if (c >= 0)
				return bad(path, "%s index is not sorted at entry %zu", name, i);
		}
	}
	return 0;
}

static int check_quads(const kgr_store *s, const char *path)
{
	size_t i;
	unsigned char *seen;
	int error;
	for (i = 0; i < s->n_quads; i++) {
		const kgr_quad *q = &s->quads[i];
		if (!q->s || q->s > s->n_terms || !q->p || q->p > s->n_terms || !q->o || q->o > s->n_terms ||
			q->g > s->n_terms)
			return bad(path, "quad %zu names a term that is not in the store", i);
		if (i && cmp3(q[-1].s, q[-1].p, q[-1].o, q[-1].g, q->s, q->p, q->o, q->g) >= 0)
			return bad(path, "quads are not sorted at quad %zu", i);
	}
	if (!(seen = malloc((s->n_quads + 7) / 8 + 1)))
		return kgr__error_set(KGR_ENOMEM, "%s: out of memory checking the snapshot", path);
	error = check_perm(s, s->pos, 1, seen, path);
	if (!error)
		error = check_perm(s, s->osp, 0, seen, path);
	free(seen);
	return error;
}

/* A sorted list of distinct term ids. */
static int check_ids(const kgr_store *s, const kgr_id *ids, size_t n, int allow_zero, const char *what,
	const char *path)
{
	size_t i;
	for (i = 0; i < n; i++) {
		if ((!ids[i] && !allow_zero) || ids[i] > s->n_terms)
			return bad(path, "%s entry %zu names term %u of %zu", what, i, ids[i], s->n_terms);
		if (i && ids[i] <= ids[i - 1])
			return bad(path, "%s are not sorted at entry %zu", what, i);
	}
	return 0;
}

static int check_tables(const kgr_store *s, const char *path)
{
	size_t i, u;
	int error;
	size_t words = kgr__label_words(s->n_terms), marks = 0;
	/* the marks' counts agree with the bits (so every label found is inside labels), and
	 * no mark falls on id 0 or past the last term */
	for (i = 0; i < words; i++) {
		uint64_t w = s->label_bits[i];
		if (s->label_rank[i] != marks)
			return bad(path, "the label counts disagree with the label bits at word %zu", i);
		if ((i == 0 && (w & 1)) || (i == (s->n_terms + 1) >> 6 &&
				(w >> ((s->n_terms + 1) & 63)) != 0) || (i > (s->n_terms + 1) >> 6 && w))
			return bad(path, "a label is marked for id 0 or past the last term (word %zu)", i);
		marks += (size_t)__builtin_popcountll(w);
	}
	if (marks != s->n_labels)
		return bad(path, "%zu terms are marked as labelled, %zu labels stored", marks, s->n_labels);
	for (i = 0; i < s->n_labels; i++)
		if (s->labels[i] == 0 || s->labels[i] > s->n_terms || s->kinds[s->labels[i]] != KGR_TERM_LITERAL)
			return bad(path, "label %zu is not a literal of the store", i);
	if ((error = check_ids(s, s->graphs, s->n_graphs, 1, "graphs", path)) < 0 ||
		(error = check_ids(s, s->users, s->n_users, 0, "users", path)) < 0 ||
		(error = check_ids(s, s->items, s->n_items, 0, "items", path)) < 0)
		return error;
	for (i = 0; i < s->n_inter; i++) {
		const kgr_interaction *e = &s->inter[i];
		if (!e->user || e->user > s->n_terms || !e->item || e->item > s->n_terms ||
			e->action > s->n_terms || e->event > s->n_terms)
			return bad(path, "interaction %zu names a term that is not in the store", i);
		if (!isfinite(e->weight))
			return bad(path, "interaction %zu has a weight that is not a number", i);
		if (i && kgr__interaction_cmp(e - 1, e) > 0)
			return bad(path, "interactions are not sorted by user and time at %zu", i);
	}
	if (s->user_off[0] != 0 || s->user_off[s->n_users] != s->n_inter)
		return bad(path, "the user offsets do not cover the %zu interactions", s->n_inter);
	for (u = 0; u < s->n_users; u++) {
		uint64_t k;
		if (s->user_off[u + 1] < s->user_off[u] || s->user_off[u + 1] > s->n_inter)
			return bad(path, "the offsets of user %zu are out of order", u);
		for (k = s->user_off[u]; k < s->user_off[u + 1]; k++)
			if (s->inter[k].user != s->users[u])
				return bad(path, "interaction %llu is not user %zu's", (unsigned long long)k, u);
	}
	return 0;
}

int kgr__snapshot_check(const kgr_store *s, const char *path)
{
	int error;
	if ((error = check_terms(s, path)) < 0 || (error = check_table(s, path)) < 0 ||
		(error = check_quads(s, path)) < 0 || (error = check_tables(s, path)) < 0)
		return error;
	return 0;
}
