/* Snapshots edited after writing: open refuses them with a message naming what is wrong, or
 * the store they give works; nothing crashes or hangs. The edits keep the checksum right (the
 * helper recomputes it), so the check of the contents is what is tested. */
#include "common/testutil.h"
#include "snapshot/helper_snapshot_edit.h"

#include "kgrec/retrieval.h"
#include "kgrec/sparql.h"
#include "sparql/sparql_result.h"
#include "kgrec/store.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A small store with catalog, users and interactions, saved; its bytes in *len. */
static unsigned char *small_snapshot(size_t *len)
{
	kgr_store *s = NULL;
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	const char *path = kgr_test_tmp("small.snap");
	unsigned char *buf;
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_msg(kgr_store_load_rdf(s, kgr_test_data("retrieval/shop.ttl"), NULL, NULL) == 0, "%s",
		kgr_error_last());
	o.user_base = "http://shop.example.org/user/";
	o.item_base = "http://shop.example.org/";
	ck_assert_msg(kgr_store_load_interactions(s, kgr_test_data("retrieval/interactions.csv"), &o) == 0,
		"%s", kgr_error_last());
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	ck_assert_int_eq(kgr_store_save(s, path), 0);
	kgr_store_free(s);
	buf = (unsigned char *)kgr_test_slurp(path, len);
	ck_assert_ptr_nonnull(buf);
	return buf;
}

/* Everything the CLI's stats, export, recommend, similar and query do with an opened store. */
static void use_store(const kgr_store *s)
{
	kgr_store_stats st;
	kgr_graph *g = NULL;
	size_t n_users, n_items, i, n;
	const kgr_id *users = kgr_store_users(s, &n_users), *items = kgr_store_items(s, &n_items);
	FILE *null = fopen("/dev/null", "w");
	char nt[512];

	kgr_store_get_stats(s, &st);
	ck_assert_ptr_nonnull(null);
	kgr_store_export(s, null, "ntriples", KGR_EXPORT_INFERRED | KGR_EXPORT_ONTOLOGY);
	kgr_store_export(s, null, "turtle", KGR_EXPORT_INFERRED);
	fclose(null);
	for (i = 1; i <= kgr_store_term_count(s); i++) {
		(void)kgr_store_label(s, (kgr_id)i);
		(void)kgr_term_to_ntriples(s, (kgr_id)i, nt, sizeof(nt));
	}
	for (i = 0; i < n_users; i++)
		(void)kgr_store_user_interactions(s, users[i], &n);
	(void)kgr_store_resolve(s, "p1");
	if (kgr_graph_new(&g, s, NULL) == 0) {
		kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
		kgr_recs *r = NULL;
		ro.explain = 1;
		ro.query = "blue shoes";
		if (n_users && kgr_recommend(&r, g, users[0], &ro) == 0)
			kgr_recs_free(r);
		r = NULL;
		if (n_items && kgr_similar(&r, g, items[0], &ro) == 0)
			kgr_recs_free(r);
		r = NULL;
		if (n_users && n_items && kgr_explain(&r, g, users[0], items[n_items - 1], 3) == 0)
			kgr_recs_free(r);
		kgr_graph_free(g);
	}
	{
		/* in this process, not in the query's child process: a crash inside rasqal over an
		 * edited store must end the test, not become an error of that query (and a fork per
		 * edit would make the suite far slower under valgrind) */
		kgr_sparql_result *res = NULL;
		if (kgr__sparql_query_here(&res, s, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 50", NULL) == 0)
			kgr_sparql_result_free(res);
	}
}

/* Open an edited file: either a clear refusal or a store that works. */
static int open_edited(const char *path, const unsigned char *buf, size_t len, const char *what)
{
	kgr_store *s = NULL;
	int rc;
	ck_assert_int_eq(kgr_test_write_file(path, buf, len), 0);
	rc = kgr_store_open(&s, path);
	if (rc < 0) {
		ck_assert_msg(rc == KGR_ECORRUPT, "%s: code %d (%s)", what, rc, kgr_error_last());
		ck_assert_msg(strstr(kgr_error_last(), "not a valid kgrec snapshot") != NULL, "%s: %s", what,
			kgr_error_last());
		ck_assert_ptr_null(s);
		return 1;
	}
	use_store(s);
	kgr_store_free(s);
	return 0;
}

/* Every section, at evenly spread positions (every byte of the short ones), each byte set to
 * a few values that turn ids into large, zero or neighbouring ones. */
START_TEST(test_edited_bytes)
{
	size_t len, tried = 0, refused = 0;
	unsigned char *orig = small_snapshot(&len), *buf = malloc(len);
	kgr_test_section sec[64];
	int n = kgr_test_snapshot_sections(sec, 64, orig, len), i;
	const char *path = kgr_test_tmp("edited.snap");
	const size_t per_section = 96;
	static const int deltas[] = { 0x100 /* xor 0xff */, 1, -1, 0x200 /* zero */, 0x300 /* 0x80 */ };

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_gt(n, 10);
	for (i = 0; i < n; i++) {
		size_t step = sec[i].len / per_section + 1, p;
		for (p = 0; p < sec[i].len; p += step) {
			size_t d;
			for (d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++) {
				size_t at = sec[i].off + p;
				char what[96];
				unsigned char b = orig[at];
				memcpy(buf, orig, len);
				switch (deltas[d]) {
				case 0x100: b ^= 0xff; break;
				case 0x200: b = 0; break;
				case 0x300: b = 0x80; break;
				default: b = (unsigned char)(b + deltas[d]);
				}
				if (b == orig[at])
					continue;
				buf[at] = b;
				ck_assert_int_eq(kgr_test_snapshot_rechecksum(buf, len), 0);
				snprintf(what, sizeof(what), "section %u byte %zu set to 0x%02x", sec[i].tag, p, b);
				refused += (size_t)open_edited(path, buf, len, what);
				tried++;
			}
		}
	}
	ck_assert_int_gt(tried, 1000);
	ck_assert_int_gt(refused, 0);
	free(buf);
	free(orig);
}
END_TEST

/* The edits the first check of each kind must name: an id past the last term in a quad, a
 * term whose bytes run past the blob, a permutation entry past the quads, a user offset past
 * the interactions. */
static void edit_and_expect(uint32_t tag, size_t at, uint32_t value, const char *needle)
{
	size_t len;
	unsigned char *buf = small_snapshot(&len);
	kgr_test_section sec[64];
	int n = kgr_test_snapshot_sections(sec, 64, buf, len), i;
	kgr_store *s = NULL;
	const char *path = kgr_test_tmp("one-edit.snap");
	for (i = 0; i < n && sec[i].tag != tag; i++)
		;
	ck_assert_int_lt(i, n);
	ck_assert_uint_le(at + 4, sec[i].len);
	memcpy(buf + sec[i].off + at, &value, 4);
	ck_assert_int_eq(kgr_test_snapshot_rechecksum(buf, len), 0);
	ck_assert_int_eq(kgr_test_write_file(path, buf, len), 0);
	ck_assert_int_eq(kgr_store_open(&s, path), KGR_ECORRUPT);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(kgr_error_last(), path) && strstr(kgr_error_last(), needle), "%s",
		kgr_error_last());
	free(buf);
}

/* section tags as kg/snapshot.c numbers them */
enum { T_TERMS = 1, T_QUADS = 6, T_POS = 7, T_INTER = 13, T_USEROFF = 15, T_TERM_BASE = 19,
	T_LABEL_BITS = 20, T_LABEL_RANK = 21 };

START_TEST(test_quad_id_past_terms)
{
	edit_and_expect(T_QUADS, 4 /* first quad's predicate */, 0x7ffffff0u, "quad 0 names a term");
}
END_TEST

START_TEST(test_term_past_blob)
{
	/* term 1's offset (the record of term 0 is 8 bytes) */
	edit_and_expect(T_TERMS, 8, 0x7ffffff0u, "term 1 (offset");
}
END_TEST

/* A term's length is the distance to the next term's offset: offsets out of order are refused
 * (term 3 set to start where term 2 does, so term 2 would have no bytes), as are a block base
 * past the term bytes and a last record that does not end at the end of the bytes. */
START_TEST(test_term_offsets_out_of_order)
{
	edit_and_expect(T_TERMS, 3 * 8, 0, "term 2 (offset");
}
END_TEST

START_TEST(test_term_base_past_blob)
{
	edit_and_expect(T_TERM_BASE, 0, 0x7ffffff0u, "the terms from id 0 start at offset");
}
END_TEST

/* The 4 bytes at @p from of section @p tag of the small snapshot (negative: from the section's
 * end); *at receives their position in the section. */
static uint32_t small_u32(uint32_t tag, long from, size_t *at)
{
	size_t len;
	unsigned char *buf = small_snapshot(&len);
	kgr_test_section sec[64];
	int n = kgr_test_snapshot_sections(sec, 64, buf, len), i;
	uint32_t v;
	for (i = 0; i < n && sec[i].tag != tag; i++)
		;
	ck_assert_int_lt(i, n);
	*at = from < 0 ? sec[i].len - (size_t)-from : (size_t)from;
	ck_assert_uint_le(*at + 4, sec[i].len);
	memcpy(&v, buf + sec[i].off + *at, 4);
	free(buf);
	return v;
}

/* The labels are found by counting the bits before a term's: counts that disagree with the
 * bits, or a bit for id 0, are refused. */
START_TEST(test_label_counts_disagree)
{
	edit_and_expect(T_LABEL_RANK, 0, 1, "the label counts disagree with the label bits at word 0");
}
END_TEST

START_TEST(test_label_for_id_zero)
{
	size_t at = 0;
	uint32_t low = small_u32(T_LABEL_BITS, 0, &at);
	edit_and_expect(T_LABEL_BITS, at, low | 1u, "a label is marked for id 0");
}
END_TEST

START_TEST(test_terms_end_short)
{
	size_t at = 0;
	uint32_t last = small_u32(T_TERMS, -8, &at);
	edit_and_expect(T_TERMS, at, last + 1, "the terms end at offset");
}
END_TEST

START_TEST(test_pos_past_quads)
{
	edit_and_expect(T_POS, 0, 0x7ffffff0u, "POS index entry 0");
}
END_TEST

START_TEST(test_user_offset_past_interactions)
{
	edit_and_expect(T_USEROFF, 8, 0x7ffffff0u, "offsets");
}
END_TEST

/* A snapshot this process saved opens without the check, and an unedited file opened by
 * another process passes it: the store is the same either way. */
START_TEST(test_unedited_opens)
{
	size_t len;
	unsigned char *buf = small_snapshot(&len);
	const char *path = kgr_test_tmp("copy.snap");
	kgr_store *s = NULL;
	char *out;
	int status;
	ck_assert_int_eq(kgr_test_write_file(path, buf, len), 0);
	ck_assert_int_eq(kgr_store_open(&s, path), 0);
	use_store(s);
	kgr_store_free(s);
	out = kgr_test_run(&status, "%s stats '%s' 2>&1", KGR_CLI, path);
	ck_assert_msg(status == 0, "%s", out);
	free(out);
	free(buf);
}
END_TEST

/* The CLI names the file and what is wrong, and exits non-zero. */
START_TEST(test_cli_refuses_edited)
{
	size_t len;
	unsigned char *buf = small_snapshot(&len);
	kgr_test_section sec[64];
	int n = kgr_test_snapshot_sections(sec, 64, buf, len), i, status;
	const char *path = kgr_test_tmp("cli-edit.snap");
	uint32_t v = 0x7ffffff0u;
	char *out;
	for (i = 0; i < n && sec[i].tag != T_QUADS; i++)
		;
	memcpy(buf + sec[i].off, &v, 4);
	ck_assert_int_eq(kgr_test_snapshot_rechecksum(buf, len), 0);
	ck_assert_int_eq(kgr_test_write_file(path, buf, len), 0);
	out = kgr_test_run(&status, "%s stats '%s' 2>&1", KGR_CLI, path);
	ck_assert_msg(status != 0 && strstr(out, "not a valid kgrec snapshot") && strstr(out, "quad 0"), "%s",
		out);
	free(out);
	free(buf);
}
END_TEST

/* A snapshot saved while a user's events of the same second went by item id: opened, they
 * are in the order they were loaded (their event ids say it), as in a snapshot saved now. */
START_TEST(test_same_second_in_load_order)
{
	kgr_store *s = NULL;
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	const char *csv = kgr_test_tmp("same-second.csv"), *path = kgr_test_tmp("same-second.snap");
	kgr_test_section sec[64];
	const kgr_interaction *h;
	kgr_interaction *v, x;
	kgr_id zed, gloves, jersey;
	unsigned char *buf;
	size_t len, n, i;
	int n_sec, k;
	FILE *f = fopen(csv, "w");

	ck_assert_ptr_nonnull(f);
	fputs("user,item,timestamp\nzed,jersey,2024-02-01T10:00:00Z\nzed,gloves,2024-02-01T10:00:00Z\n", f);
	fclose(f);
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_int_eq(kgr_store_load_rdf(s, kgr_test_data("retrieval/shop.ttl"), NULL, NULL), 0);
	ck_assert_msg(kgr_store_load_interactions(s, csv, &o) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	zed = kgr_store_iri(s, "https://w3id.org/kgrec/user/zed");
	gloves = kgr_store_iri(s, "https://w3id.org/kgrec/item/gloves");
	jersey = kgr_store_iri(s, "https://w3id.org/kgrec/item/jersey");
	ck_assert(zed && gloves < jersey);
	h = kgr_store_user_interactions(s, zed, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(h[0].item, jersey);
	ck_assert_int_eq(kgr_store_save(s, path), 0);
	kgr_store_free(s);
	/* the file as an older kgrec wrote it: the two events by item id */
	buf = (unsigned char *)kgr_test_slurp(path, &len);
	ck_assert_ptr_nonnull(buf);
	n_sec = kgr_test_snapshot_sections(sec, 64, buf, len);
	for (k = 0; k < n_sec && sec[k].tag != T_INTER; k++)
		;
	ck_assert_int_lt(k, n_sec);
	ck_assert_uint_eq(sec[k].elem, sizeof(kgr_interaction));
	v = (kgr_interaction *)(buf + sec[k].off);
	for (i = 0; i + 1 < sec[k].len / sizeof(kgr_interaction) && v[i].user != zed; i++)
		;
	ck_assert_uint_eq(v[i].item, jersey);
	x = v[i];
	v[i] = v[i + 1];
	v[i + 1] = x;
	ck_assert_int_eq(kgr_test_snapshot_rechecksum(buf, len), 0);
	ck_assert_int_eq(kgr_test_write_file(path, buf, len), 0);
	free(buf);
	ck_assert_msg(kgr_store_open(&s, path) == 0, "%s", kgr_error_last());
	h = kgr_store_user_interactions(s, zed, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(h[0].item, jersey);
	ck_assert_uint_eq(h[1].item, gloves);
	kgr_store_free(s);
}
END_TEST

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("edited");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_quad_id_past_terms);
	tcase_add_test(tc, test_term_past_blob);
	tcase_add_test(tc, test_term_offsets_out_of_order);
	tcase_add_test(tc, test_term_base_past_blob);
	tcase_add_test(tc, test_terms_end_short);
	tcase_add_test(tc, test_label_counts_disagree);
	tcase_add_test(tc, test_label_for_id_zero);
	tcase_add_test(tc, test_pos_past_quads);
	tcase_add_test(tc, test_user_offset_past_interactions);
	tcase_add_test(tc, test_unedited_opens);
	tcase_add_test(tc, test_cli_refuses_edited);
	tcase_add_test(tc, test_same_second_in_load_order);
	tcase_add_test(tc, test_edited_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return kgr_test_run_suite(snapshot_suite());
}
