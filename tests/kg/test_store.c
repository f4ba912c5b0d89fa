/* The knowledge-graph store: loading, indexes, derived tables, snapshots, bad input. */
#include <check.h>
#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/testutil.h"
#include "kg/events_tests.h"
#include "kg/snapshot_check.h"
#include "kg/text_check.h"
#include "util/json_print.h"
#include "kgrec/store.h"

#define EX "http://shop.example.org/"
#define SCHEMA "http://schema.org/"
#define SKOS "http://www.w3.org/2004/02/skos/core#"
#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

static kgr_id iri(const kgr_store *s, const char *v)
{
	kgr_id id = kgr_store_iri(s, v);
	ck_assert_msg(id != 0, "no IRI %s", v);
	return id;
}

static int has_triple(const kgr_store *s, const char *subj, const char *pred, const char *obj)
{
	kgr_id a = kgr_store_iri(s, subj), b = kgr_store_iri(s, pred), c = kgr_store_iri(s, obj);
	return a && b && c && kgr_store_count(s, a, b, c) > 0;
}

START_TEST(test_load_terms)
{
	kgr_store *s = kgr_test_store(NULL, "kg/catalog.ttl", NULL);
	kgr_id ball = iri(s, EX "ball"), name = iri(s, SCHEMA "name"), price = iri(s, SCHEMA "price");
	kgr_id en = kgr_store_literal(s, "Soccer Ball", 11, "en", NULL);
	kgr_id de = kgr_store_literal(s, "Fu\xc3\x9f" "ball", 8, "de", NULL);
	kgr_id dec = kgr_store_literal(s, "24.99", 5, NULL, "http://www.w3.org/2001/XMLSchema#decimal");
	kgr_id desc;
	size_t len;
	const char *v;

	ck_assert_int_ne(en, 0);
	ck_assert_int_ne(de, 0);
	ck_assert_int_ne(dec, 0);
	ck_assert_int_eq(kgr_term_kind_of(s, ball), KGR_TERM_IRI);
	ck_assert_int_eq(kgr_term_kind_of(s, en), KGR_TERM_LITERAL);
	ck_assert_str_eq(kgr_term_lang(s, en), "en");
	ck_assert_ptr_null(kgr_term_lang(s, dec));
	ck_assert_str_eq(kgr_term_value(s, kgr_term_datatype(s, dec), NULL),
		"http://www.w3.org/2001/XMLSchema#decimal");
	/* the same lexical form with another tag or type is another term */
	ck_assert_int_eq(kgr_store_literal(s, "Soccer Ball", 11, "de", NULL), 0);
	ck_assert_int_eq(kgr_store_literal(s, "24.99", 5, NULL, NULL), 0);
	ck_assert_uint_eq(kgr_store_count(s, ball, name, 0), 2);
	ck_assert_uint_eq(kgr_store_count(s, ball, name, en), 1);
	ck_assert_uint_eq(kgr_store_count(s, ball, price, dec), 1);
	/* multi-line literal with quote and tab kept exactly */
	desc = kgr_store_object(s, ball, iri(s, SCHEMA "description"));
	v = kgr_term_value(s, desc, &len);
	ck_assert_str_eq(v, "A size-5 match ball.\nSecond line with a \"quote\" and a tab\there.");
	ck_assert_uint_eq(len, strlen(v));
	/* blank nodes */
	{
		kgr_id size = kgr_store_object(s, iri(s, EX "jersey"), iri(s, EX "size"));
		ck_assert_int_eq(kgr_term_kind_of(s, size), KGR_TERM_BLANK);
		ck_assert_uint_eq(kgr_store_count(s, size, 0, 0), 2);
	}
	/* duplicates removed */
	ck_assert_uint_eq(kgr_store_count(s, iri(s, EX "pump"), name, 0), 1);
	kgr_store_free(s);
}
END_TEST

/* Every pattern of bound / unbound positions returns exactly what a scan returns. */
/* Every pattern of the quads at every third position: the same matches as a scan. */
static void match_like_a_scan(const kgr_store *s)
{
	size_t n, i, j;
	const kgr_quad *q = kgr_store_quads(s, &n);
	for (i = 0; i < n; i += 3) {
		for (int mask = 0; mask < 8; mask++) {
			kgr_id ps = (mask & 1) ? q[i].s : 0, pp = (mask & 2) ? q[i].p : 0, po = (mask & 4) ? q[i].o : 0;
			size_t expect = 0, got = 0;
			kgr_iter it;
			kgr_quad x;
			for (j = 0; j < n; j++)
				expect += (!ps || q[j].s == ps) && (!pp || q[j].p == pp) && (!po || q[j].o == po);
			kgr_store_match(s, &it, ps, pp, po, KGR_ANY_GRAPH);
			while (kgr_iter_next(&it, &x)) {
				ck_assert(!ps || x.s == ps);
				ck_assert(!pp || x.p == pp);
				ck_assert(!po || x.o == po);
				got++;
			}
			ck_assert_msg(got == expect, "pattern mask %d at quad %zu: %zu != %zu", mask, i, got, expect);
			ck_assert_uint_eq(kgr_store_count(s, ps, pp, po), expect);
		}
	}
	/* each term as a subject, alone and with a predicate of the store */
	for (i = 1; i <= kgr_store_term_count(s); i++) {
		size_t expect = 0, with_p = 0;
		for (j = 0; j < n; j++) {
			expect += q[j].s == (kgr_id)i;
			with_p += q[j].s == (kgr_id)i && q[j].p == q[0].p;
		}
		ck_assert_uint_eq(kgr_store_count(s, (kgr_id)i, 0, 0), expect);
		ck_assert_uint_eq(kgr_store_count(s, (kgr_id)i, q[0].p, 0), with_p);
	}
}

START_TEST(test_match_all_patterns)
{
	kgr_store *s = kgr_test_store("kg/interactions.csv", "kg/catalog.ttl", NULL);
	size_t n, i;
	const kgr_quad *q = kgr_store_quads(s, &n);
	ck_assert_uint_gt(n, 50);
	match_like_a_scan(s);
	/* the same with each subject's range indexed (a SPARQL query process's store) */
	ck_assert_int_eq(kgr__store_index_subjects(s), 0);
	match_like_a_scan(s);
	/* sorted by (s, p, o, g) with no duplicates */
	for (i = 1; i < n; i++)
		ck_assert(memcmp(&q[i - 1], &q[i], sizeof(kgr_quad)) != 0 &&
			  (q[i - 1].s < q[i].s || (q[i - 1].s == q[i].s && (q[i - 1].p < q[i].p ||
				  (q[i - 1].p == q[i].p && (q[i - 1].o < q[i].o ||
					  (q[i - 1].o == q[i].o && q[i - 1].g < q[i].g)))))));
	kgr_store_free(s);
}
END_TEST

START_TEST(test_named_graphs)
{
	kgr_store *s = kgr_test_store(NULL, "kg/graphs.trig", NULL);
	kgr_id ball = iri(s, EX "ball"), g1 = iri(s, EX "g1"), g2 = iri(s, EX "g2");
	kgr_id shared = iri(s, EX "shared");
	kgr_iter it;
	kgr_quad x;
	size_t n = 0, ng, i;
	const kgr_id *graphs = kgr_store_graphs(s, &ng);
	int saw1 = 0, saw2 = 0;
	for (i = 0; i < ng; i++) {
		saw1 |= graphs[i] == g1;
		saw2 |= graphs[i] == g2;
	}
	ck_assert(saw1 && saw2);
	kgr_store_match(s, &it, ball, 0, 0, g1);
	while (kgr_iter_next(&it, &x)) {
		ck_assert_str_eq(kgr_term_value(s, x.o, NULL), "Ball in g1");
		n++;
	}
	ck_assert_uint_eq(n, 1);
	/* the same triple in two graphs is two quads */
	ck_assert_uint_eq(kgr_store_count(s, shared, 0, 0), 2);
	n = 0;
	kgr_store_match(s, &it, 0, 0, 0, 0);
	while (kgr_iter_next(&it, &x)) {
		ck_assert_int_eq(x.g, 0);
		n++;
	}
	ck_assert_uint_eq(n, 1); /* only ex:default-thing is in the default graph */
	kgr_store_free(s);
}
END_TEST

START_TEST(test_transitive_closure)
{
	kgr_store *s = kgr_test_store(NULL, "kg/catalog.ttl", NULL);
	ck_assert(has_triple(s, EX "soccer", SKOS "broaderTransitive", EX "team-sports"));
	ck_assert(has_triple(s, EX "soccer", SKOS "broaderTransitive", EX "sports"));
	ck_assert(has_triple(s, EX "team-sports", SKOS "broaderTransitive", EX "sports"));
	ck_assert(!has_triple(s, EX "sports", SKOS "broaderTransitive", EX "soccer"));
	/* the input's own edges are not changed */
	ck_assert(!has_triple(s, EX "soccer", SKOS "broader", EX "sports"));
	kgr_store_free(s);
}
END_TEST

START_TEST(test_interactions)
{
	kgr_store *s = kgr_test_store("kg/interactions.csv", "kg/catalog.ttl", NULL);
	kgr_id alice = iri(s, EX "user/alice"), bob = iri(s, EX "user/bob"), ball = iri(s, EX "ball");
	size_t n, i;
	const kgr_interaction *v = kgr_store_user_interactions(s, alice, &n);
	kgr_store_stats st;

	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(v[0].time, 1709287200);  /* 2024-03-01T10:00:00Z */
	ck_assert_int_eq(v[1].time, 1709287500);
	ck_assert_int_eq(v[2].time, 1709362800);  /* 09:00+02:00 = 07:00Z */
	ck_assert_str_eq(kgr_term_value(s, v[0].action, NULL), KGR_NS "view");
	ck_assert_str_eq(kgr_term_value(s, v[1].action, NULL), KGR_NS "purchase");
	ck_assert_int_eq(v[1].item, ball);
	v = kgr_store_user_interactions(s, bob, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(v[0].time, 1709800000);
	ck_assert(v[1].weight > 4.49 && v[1].weight < 4.51);
	ck_assert_str_eq(kgr_term_value(s, v[1].action, NULL), KGR_NS "rate");
	/* events are RDF, and each gives a direct user -> item edge */
	ck_assert(has_triple(s, EX "user/alice", KGR_NS "purchase", EX "ball"));
	ck_assert(has_triple(s, EX "user/carol", KGR_NS "cart", EX "pump"));
	ck_assert_uint_eq(kgr_store_count(s, 0, iri(s, RDF_TYPE), iri(s, KGR_NS "Interaction")), 6);
	kgr_store_get_stats(s, &st);
	ck_assert_uint_eq(st.users, 3);
	ck_assert_uint_eq(st.interactions, 6);
	ck_assert_uint_eq(st.items, 4);
	ck_assert(kgr_store_is_item(s, iri(s, EX "pump")));
	ck_assert(!kgr_store_is_item(s, iri(s, EX "adidas")));
	ck_assert_uint_eq(kgr_store_item_popularity(s, ball), 3);
	/* the whole table is sorted by user then time */
	v = kgr_store_interactions(s, &n);
	for (i = 1; i < n; i++)
		ck_assert(v[i - 1].user < v[i].user || (v[i - 1].user == v[i].user && v[i - 1].time <= v[i].time));
	/* unknown user: empty */
	kgr_store_user_interactions(s, ball, &n);
	ck_assert_uint_eq(n, 0);
	kgr_store_free(s);
}
END_TEST

START_TEST(test_labels_and_resolve)
{
	kgr_store *s = kgr_test_store("kg/interactions.csv", "kg/catalog.ttl", NULL);
	ck_assert_str_eq(kgr_store_label(s, iri(s, EX "ball")), "Soccer Ball");   /* English first */
	ck_assert_str_eq(kgr_store_label(s, iri(s, EX "jersey")), "Soccer Jersey"); /* rdfs:label */
	ck_assert_str_eq(kgr_store_label(s, iri(s, EX "sports")), "Sports");
	ck_assert_str_eq(kgr_store_label(s, iri(s, EX "user/alice")), "alice");     /* local name */
	ck_assert_int_eq(kgr_store_resolve(s, EX "ball"), iri(s, EX "ball"));
	ck_assert_int_eq(kgr_store_resolve(s, "<" EX "ball>"), iri(s, EX "ball"));
	ck_assert_int_eq(kgr_store_resolve(s, "schema:Product"), iri(s, SCHEMA "Product"));
	ck_assert_int_eq(kgr_store_resolve(s, "alice"), iri(s, EX "user/alice"));
	ck_assert_int_eq(kgr_store_resolve(s, "gloves"), iri(s, EX "gloves"));
	ck_assert_int_eq(kgr_store_resolve(s, "user/alice"), iri(s, EX "user/alice")); /* two segments */
	ck_assert_int_eq(kgr_store_resolve(s, "no-such-thing"), 0);
	ck_assert_int_eq(kgr_error_last_code(), KGR_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "no-such-thing"));
	/* a term added after the snapshot is found by its local name too */
	ck_assert_int_ne(kgr_store_intern_extra(s, EX "user/newcomer"), 0);
	ck_assert_int_eq(kgr_store_resolve(s, "newcomer"), kgr_store_iri(s, EX "user/newcomer"));
	kgr_store_free(s);
	/* two resources of the same local name, neither a user nor an item: ambiguous */
	{
		const char *nt = "<http://a.example/x> <http://a.example/p> <http://b.example/x> .\n"
				 "<http://a.example/y> <http://a.example/p> <http://a.example/ns#z> .\n";
		ck_assert_int_eq(kgr_store_new(&s, 0), 0);
		ck_assert_int_eq(kgr_store_load_rdf_buffer(s, nt, strlen(nt), "ntriples", NULL, "t"), 0);
		ck_assert_int_eq(kgr_store_finalize(s), 0);
		ck_assert_int_eq(kgr_store_resolve(s, "x"), 0);
		ck_assert_int_eq(kgr_error_last_code(), KGR_EINVALID);
		ck_assert_ptr_nonnull(strstr(kgr_error_last(), "'x' is ambiguous"));
		ck_assert_int_eq(kgr_store_resolve(s, "z"), kgr_store_iri(s, "http://a.example/ns#z"));
		ck_assert_int_eq(kgr_store_resolve(s, "y"), kgr_store_iri(s, "http://a.example/y"));
		kgr_store_free(s);
	}
}
END_TEST

START_TEST(test_snapshot_roundtrip)
{
	kgr_store *s = kgr_test_store("kg/interactions.csv", "kg/catalog.ttl", "kg/graphs.trig", NULL), *r = NULL;
	const char *path = kgr_test_tmp("round.snap");
	size_t n1, n2, i;
	const kgr_quad *q1, *q2;
	kgr_store_stats a, b;

	ck_assert_int_eq(kgr_store_save(s, path), 0);
	ck_assert_int_eq(kgr_store_open(&r, path), 0);
	ck_assert_uint_eq(kgr_store_checksum(s), kgr_store_checksum(r));
	q1 = kgr_store_quads(s, &n1);
	q2 = kgr_store_quads(r, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert(memcmp(q1, q2, n1 * sizeof(*q1)) == 0);
	kgr_store_get_stats(s, &a);
	kgr_store_get_stats(r, &b);
	ck_assert(memcmp(&a, &b, sizeof(a)) == 0);
	for (i = 1; i <= kgr_store_term_count(s); i++) {
		ck_assert_str_eq(kgr_term_value(s, (kgr_id)i, NULL), kgr_term_value(r, (kgr_id)i, NULL));
		ck_assert_str_eq(kgr_store_label(s, (kgr_id)i), kgr_store_label(r, (kgr_id)i));
	}
	ck_assert_int_eq(kgr_store_iri(r, EX "ball"), kgr_store_iri(s, EX "ball"));
	ck_assert_uint_eq(kgr_store_count(r, kgr_store_iri(r, EX "soccer"), 0, 0),
		kgr_store_count(s, kgr_store_iri(s, EX "soccer"), 0, 0));
	/* terms added to an opened store survive a save */
	ck_assert_int_ne(kgr_store_intern_extra(r, EX "user/newcomer"), 0);
	ck_assert_int_eq(kgr_store_save(r, kgr_test_tmp("round2.snap")), 0);
	kgr_store_free(r);
	ck_assert_int_eq(kgr_store_open(&r, kgr_test_tmp("round2.snap")), 0);
	ck_assert_int_ne(kgr_store_iri(r, EX "user/newcomer"), 0);
	kgr_store_free(r);
	kgr_store_free(s);
}
END_TEST

/* A loading copy of a finalized snapshot, finalized again, holds the same quads under the
 * same term ids (named graphs, inferred closures and interactions included); more can be
 * loaded into it; the base is left as it was; a store still loading is refused. */
START_TEST(test_new_from_snapshot)
{
	kgr_store *s = kgr_test_store("kg/interactions.csv", "kg/catalog.ttl", "kg/graphs.trig", NULL);
	kgr_store *r = NULL, *c = NULL, *loading = NULL;
	const char *path = kgr_test_tmp("from.snap");
	const char *more =
		"<urn:kgrec:event:t1> <" RDF_TYPE "> <https://w3id.org/kgrec/ns#Interaction> .\n"
		"<urn:kgrec:event:t1> <https://w3id.org/kgrec/ns#user> <" EX "user/newcomer> .\n"
		"<urn:kgrec:event:t1> <https://w3id.org/kgrec/ns#item> <" EX "ball> .\n"
		"<urn:kgrec:event:t1> <https://w3id.org/kgrec/ns#action> <https://w3id.org/kgrec/ns#purchase> .\n"
		"<urn:kgrec:event:t1> <https://w3id.org/kgrec/ns#time> "
		"\"2024-03-09T10:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n"
		"<" EX "ball> <" EX "finish> \"matte\" .\n";
	size_t n1, n2, n_base, i;
	const kgr_quad *q1, *q2;
	kgr_store_stats a, b;
	uint64_t base_sum;
	kgr_id extra;

	ck_assert_int_eq(kgr_store_save(s, path), 0);
	ck_assert_int_eq(kgr_store_open(&r, path), 0);
	extra = kgr_store_intern_extra(r, EX "user/after-open");
	ck_assert_int_ne(extra, 0);
	base_sum = kgr_store_checksum(r);
	ck_assert_int_eq(kgr_store_new_from(&c, r), 0);
	ck_assert_int_eq(kgr_store_finalize(c), 0);
	q1 = kgr_store_quads(r, &n1);
	q2 = kgr_store_quads(c, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert(memcmp(q1, q2, n1 * sizeof(*q1)) == 0);
	kgr_store_get_stats(r, &a);
	kgr_store_get_stats(c, &b);
	ck_assert_uint_eq(a.quads, b.quads);
	ck_assert_uint_eq(a.inferred, b.inferred);
	ck_assert_uint_gt(a.inferred, 0);
	ck_assert_uint_eq(a.graphs, b.graphs);
	ck_assert_uint_eq(a.users, b.users);
	ck_assert_uint_eq(a.items, b.items);
	ck_assert_uint_eq(a.interactions, b.interactions);
	for (i = 1; i <= kgr_store_term_count(r); i++)
		ck_assert_str_eq(kgr_term_value(r, (kgr_id)i, NULL), kgr_term_value(c, (kgr_id)i, NULL));
	ck_assert_int_eq(kgr_store_iri(c, EX "user/after-open"), extra);
	ck_assert_uint_eq(kgr_store_prefix_count(c), kgr_store_prefix_count(r));
	for (i = 0; i < kgr_store_prefix_count(r); i++) {
		const char *p1, *n1p, *p2, *n2p;
		kgr_store_prefix(r, i, &p1, &n1p);
		kgr_store_prefix(c, i, &p2, &n2p);
		ck_assert_str_eq(p1, p2);
		ck_assert_str_eq(n1p, n2p);
	}
	kgr_store_free(c);

	/* more triples on top */
	ck_assert_int_eq(kgr_store_new_from(&c, r), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(c, more, strlen(more), "ntriples", NULL, "more"), 0);
	ck_assert_int_eq(kgr_store_finalize(c), 0);
	kgr_store_quads(c, &n2);
	ck_assert_uint_gt(n2, n1);
	ck_assert_uint_eq(kgr_store_count(c, kgr_store_iri(c, EX "ball"), kgr_store_iri(c, EX "finish"),
				  kgr_store_literal(c, "matte", 5, NULL, 0)), 1);
	kgr_store_get_stats(c, &b);
	ck_assert_uint_eq(b.users, a.users + 1);
	ck_assert_uint_eq(b.interactions, a.interactions + 1);
	ck_assert_uint_eq(kgr_store_iri(r, EX "finish"), 0);
	kgr_store_quads(r, &n_base);
	ck_assert_uint_eq(n_base, n1);
	ck_assert_uint_eq(kgr_store_checksum(r), base_sum);
	kgr_store_free(c);

	ck_assert_int_eq(kgr_store_new(&loading, 0), 0);
	c = (kgr_store *)1;
	ck_assert_int_eq(kgr_store_new_from(&c, loading), KGR_EINVALID);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "still loading"));
	kgr_store_free(loading);
	kgr_store_free(r);
	kgr_store_free(s);
}
END_TEST

/* kgr_store_intern_extra() while other threads read: readers look up and print every term
 * added so far, with no lock, while two writers add thousands (the chunks and hash tables
 * grow many times meanwhile). */
#define EXTRA_N 20000
typedef struct {
	kgr_store *s;
	kgr_id first;
	atomic_int stop;
	atomic_long errors, reads;
	char first_error[256];
	pthread_mutex_t mu;
} extra_race;

static void extra_iri(char *buf, size_t size, size_t i)
{
	snprintf(buf, size, EX "user/live-%zu", i);
}

static void extra_fail(extra_race *x, const char *msg)
{
	pthread_mutex_lock(&x->mu);
	if (atomic_fetch_add(&x->errors, 1) == 0)
		snprintf(x->first_error, sizeof(x->first_error), "%s", msg);
	pthread_mutex_unlock(&x->mu);
}

static void *extra_writer(void *arg)
{
	extra_race *x = arg;
	char buf[128], msg[256];
	size_t i;
	for (i = 1; i < EXTRA_N; i++) {
		kgr_id id;
		extra_iri(buf, sizeof(buf), i);
		id = kgr_store_intern_extra(x->s, buf);
		if (id != x->first + i) { /* both writers add the same IRIs in the same order */
			snprintf(msg, sizeof(msg), "%s got id %u, expected %u", buf, id, (unsigned)(x->first + i));
			extra_fail(x, msg);
		}
	}
	return NULL;
}

static void *extra_reader(void *arg)
{
	extra_race *x = arg;
	char buf[128], msg[256];
	unsigned seed = 7;
	while (!atomic_load(&x->stop)) {
		size_t count = kgr_store_term_count(x->s), known = count - x->first + 1, i, k;
		for (k = 0; k < 64; k++) {
			const char *v;
			kgr_id id;
			seed = seed * 1103515245u + 12345u;
			i = k == 0 ? known - 1 : (seed >> 4) % known; /* the newest, and any other */
			extra_iri(buf, sizeof(buf), i);
			v = kgr_term_value(x->s, (kgr_id)(x->first + i), NULL);
			if (!v || strcmp(v, buf)) {
				snprintf(msg, sizeof(msg), "term %zu: value %s, expected %s", i, v ? v : "(null)", buf);
				extra_fail(x, msg);
			}
			if ((id = kgr_store_iri(x->s, buf)) != x->first + i) {
				snprintf(msg, sizeof(msg), "lookup of %s: %u, expected %u", buf, id,
					(unsigned)(x->first + i));
				extra_fail(x, msg);
			}
			if (kgr_term_kind_of(x->s, id) != KGR_TERM_IRI || strcmp(kgr_store_label(x->s, id),
				buf + strlen(EX "user/")))
				extra_fail(x, "kind or label of a new term");
			atomic_fetch_add(&x->reads, 1);
		}
	}
	return NULL;
}

START_TEST(test_intern_extra_concurrent_readers)
{
	extra_race x;
	pthread_t w[2], r[3];
	char buf[128];
	size_t i;
	memset(&x, 0, sizeof(x));
	pthread_mutex_init(&x.mu, NULL);
	x.s = kgr_test_store("kg/interactions.csv", "kg/catalog.ttl", NULL);
	extra_iri(buf, sizeof(buf), 0);
	x.first = kgr_store_intern_extra(x.s, buf);
	ck_assert_uint_eq(x.first, kgr_store_term_count(x.s));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&r[i], NULL, extra_reader, &x), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&w[i], NULL, extra_writer, &x), 0);
	for (i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	atomic_store(&x.stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(r[i], NULL);
	ck_assert_msg(atomic_load(&x.errors) == 0, "%ld errors, first: %s", atomic_load(&x.errors),
		x.first_error);
	ck_assert_int_gt(atomic_load(&x.reads), 0);
	ck_assert_uint_eq(kgr_store_term_count(x.s), x.first + EXTRA_N - 1);
	for (i = 0; i < EXTRA_N; i += 997) {
		extra_iri(buf, sizeof(buf), i);
		ck_assert_uint_eq(kgr_store_iri(x.s, buf), x.first + i);
		ck_assert_str_eq(kgr_term_value(x.s, (kgr_id)(x.first + i), NULL), buf);
	}
	/* and they are saved like the others */
	ck_assert_int_eq(kgr_store_save(x.s, kgr_test_tmp("extra.snap")), 0);
	kgr_store_free(x.s);
	x.s = NULL;
	ck_assert_int_eq(kgr_store_open(&x.s, kgr_test_tmp("extra.snap")), 0);
	extra_iri(buf, sizeof(buf), EXTRA_N - 1);
	ck_assert_uint_eq(kgr_store_iri(x.s, buf), x.first + EXTRA_N - 1);
	kgr_store_free(x.s);
	pthread_mutex_destroy(&x.mu);
}
END_TEST

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

START_TEST(test_snapshot_damage)
{
	kgr_store *s = kgr_test_store("kg/interactions.csv", "kg/catalog.ttl", NULL), *r = NULL;
	const char *path = kgr_test_tmp("good.snap"), *bad = kgr_test_tmp("bad.snap");
	size_t len;
	char *data;
	uint32_t v;

	ck_assert_int_eq(kgr_store_save(s, path), 0);
	data = kgr_test_slurp(path, &len);
	ck_assert_ptr_nonnull(data);

	/* one flipped byte in the middle */
	data[len / 2] ^= 0x40;
	write_file(bad, data, len);
	ck_assert_int_eq(kgr_store_open(&r, bad), KGR_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "checksum"));
	ck_assert_ptr_null(r);
	data[len / 2] ^= 0x40;

	/* truncated */
	write_file(bad, data, len - 100);
	ck_assert_int_eq(kgr_store_open(&r, bad), KGR_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "truncated"));
	write_file(bad, data, 10);
	ck_assert_int_eq(kgr_store_open(&r, bad), KGR_ECORRUPT);

	/* another format version */
	memcpy(&v, data + 8, 4);
	v = 0;
	memcpy(data + 8, &v, 4);
	write_file(bad, data, len);
	ck_assert_int_eq(kgr_store_open(&r, bad), KGR_EVERSION);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "version 0"));

	/* not a snapshot at all */
	ck_assert_int_eq(kgr_store_open(&r, kgr_test_data("kg/catalog.ttl")), KGR_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "magic"));
	ck_assert_int_eq(kgr_store_open(&r, kgr_test_tmp("missing.snap")), KGR_ENOTFOUND);
	write_file(bad, "", 0);
	ck_assert_int_eq(kgr_store_open(&r, bad), KGR_ECORRUPT);
	free(data);
	kgr_store_free(s);
}
END_TEST

START_TEST(test_save_is_atomic)
{
	kgr_store *s = kgr_test_store(NULL, "kg/catalog.ttl", NULL), *u = NULL, *r = NULL;
	const char *path = kgr_test_tmp("atomic.snap");
	uint64_t sum;
	ck_assert_int_eq(kgr_store_save(s, path), 0);
	sum = kgr_store_checksum(s);
	/* an unfinalized store is refused and the file stays */
	ck_assert_int_eq(kgr_store_new(&u, 0), 0);
	ck_assert_int_eq(kgr_store_save(u, path), KGR_EINVALID);
	/* a directory that cannot be written */
	ck_assert_int_eq(kgr_store_save(s, "/proc/kgrec-cannot-write/x.snap"), KGR_EIO);
	ck_assert_int_eq(kgr_store_open(&r, path), 0);
	ck_assert_uint_eq(kgr_store_checksum(r), sum);
	kgr_store_free(r);
	kgr_store_free(u);
	kgr_store_free(s);
}
END_TEST

static void expect_load_error(const char *file, const char *format, int code, const char *needle)
{
	kgr_store *s = NULL;
	size_t before;
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_int_eq(kgr_store_load_rdf(s, kgr_test_data("kg/catalog.ttl"), NULL, NULL), 0);
	before = kgr_store_term_count(s);
	ck_assert_int_eq(kgr_store_load_rdf(s, kgr_test_data(file), format, NULL), code);
	ck_assert_msg(strstr(kgr_error_last(), needle) != NULL, "%s: '%s' lacks '%s'", file,
		kgr_error_last(), needle);
	/* nothing of the bad file stays; what was loaded before is intact */
	ck_assert_uint_eq(kgr_store_term_count(s), before);
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	ck_assert_int_ne(kgr_store_iri(s, EX "ball"), 0);
	ck_assert_int_eq(kgr_store_iri(s, "http://a.example/s"), 0);
	kgr_store_free(s);
}

START_TEST(test_bad_rdf)
{
	expect_load_error("kg/syntax-error.nt", NULL, KGR_EPARSE, "syntax-error.nt:3:");
	expect_load_error("kg/unknown-prefix.ttl", NULL, KGR_EPARSE, "unknown-prefix.ttl:3:");
	expect_load_error("kg/invalid-iri.nt", NULL, KGR_EPARSE, "invalid-iri.nt:2:");
	expect_load_error("kg/truncated.ttl.gz", NULL, KGR_ECORRUPT, "truncated.ttl.gz");
	expect_load_error("kg/no-such-file.ttl", NULL, KGR_ENOTFOUND, "no-such-file.ttl");
	expect_load_error("kg/catalog.ttl", "klingon", KGR_EINVALID, "klingon");
	expect_load_error("kg/missing-column.csv", NULL, KGR_EINVALID, "--format");
}
END_TEST

START_TEST(test_gzip)
{
	kgr_store *a = kgr_test_store(NULL, "kg/catalog.ttl", NULL), *b = kgr_test_store(NULL, "kg/catalog.ttl.gz", NULL);
	ck_assert_uint_eq(kgr_store_quad_count(a), kgr_store_quad_count(b));
	kgr_store_free(a);
	kgr_store_free(b);
}
END_TEST

static void expect_csv_error(const char *file, int skip, int code, const char *needle, size_t skipped_expect)
{
	kgr_store *s = NULL;
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	size_t skipped = 99;
	o.skip_bad_rows = skip;
	o.skipped_out = &skipped;
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_int_eq(kgr_store_load_interactions(s, kgr_test_data(file), &o), code);
	if (code) {
		ck_assert_msg(strstr(kgr_error_last(), needle) != NULL, "%s: '%s' lacks '%s'", file,
			kgr_error_last(), needle);
		ck_assert_uint_eq(kgr_store_quad_count(s), 0);
	} else {
		ck_assert_uint_eq(skipped, skipped_expect);
		ck_assert_int_eq(kgr_store_finalize(s), 0);
		size_t n;
		kgr_store_interactions(s, &n);
		ck_assert_uint_eq(n, 2);
	}
	kgr_store_free(s);
}

START_TEST(test_bad_csv)
{
	expect_csv_error("kg/missing-column.csv", 0, KGR_EPARSE, "missing-column.csv:3: missing column", 0);
	expect_csv_error("kg/bad-timestamp.csv", 0, KGR_EPARSE, "bad-timestamp.csv:3: unparseable timestamp 'yesterday'", 0);
	expect_csv_error("kg/missing-column.csv", 1, 0, NULL, 1);
	expect_csv_error("kg/bad-timestamp.csv", 1, 0, NULL, 1);
	expect_csv_error("kg/empty.nt", 0, KGR_EPARSE, "empty", 0);
	expect_csv_error("kg/catalog.ttl", 0, KGR_EPARSE, "header", 0);
	/* a directory opens with gzopen(); it is named, not taken for an empty file */
	expect_csv_error("kg", 0, KGR_EIO, "kg: is a directory", 0);
}
END_TEST

START_TEST(test_export_roundtrip)
{
	kgr_store *s = kgr_test_store("kg/interactions.csv", "kg/catalog.ttl", NULL), *r = NULL;
	const char *fmts[] = { "ntriples", "turtle" };
	int k;
	for (k = 0; k < 2; k++) {
		const char *path = kgr_test_tmp(k ? "export.ttl" : "export.nt");
		FILE *f = fopen(path, "w");
		size_t n1, n2, i;
		const kgr_quad *q1, *q2;
		ck_assert_int_eq(kgr_store_export(s, f, fmts[k], 0), 0);
		fclose(f);
		ck_assert_int_eq(kgr_store_new(&r, 1), 0);
		ck_assert_msg(kgr_store_load_rdf(r, path, NULL, NULL) == 0, "%s", kgr_error_last());
		ck_assert_int_eq(kgr_store_finalize(r), 0);
		q1 = kgr_store_quads(s, &n1);
		q2 = kgr_store_quads(r, &n2);
		ck_assert_uint_eq(n1, n2);
		ck_assert_ptr_nonnull(q2);
		/* every triple without blank nodes is in the reloaded store, term for term */
		for (i = 0; i < n1; i++) {
			kgr_id t[3] = { q1[i].s, q1[i].p, q1[i].o }, u[3];
			int j, blank = 0;
			for (j = 0; j < 3; j++) {
				const char *v = kgr_term_value(s, t[j], NULL);
				kgr_id dt = kgr_term_datatype(s, t[j]);
				switch (kgr_term_kind_of(s, t[j])) {
				case KGR_TERM_IRI: u[j] = kgr_store_iri(r, v); break;
				case KGR_TERM_LITERAL:
					u[j] = kgr_store_literal(r, v, strlen(v), kgr_term_lang(s, t[j]),
						dt ? kgr_term_value(s, dt, NULL) : NULL);
					break;
				default: blank = 1; u[j] = 0;
				}
			}
			if (blank)
				continue;
			ck_assert_msg(u[0] && u[1] && u[2] && kgr_store_count(r, u[0], u[1], u[2]) > 0,
				"%s: triple %zu (%s %s %s) lost", fmts[k], i, kgr_term_value(s, t[0], NULL),
				kgr_term_value(s, t[1], NULL), kgr_term_value(s, t[2], NULL));
		}
		{
			kgr_store_stats x, y;
			kgr_store_get_stats(s, &x);
			kgr_store_get_stats(r, &y);
			ck_assert_uint_eq(x.interactions, y.interactions);
			ck_assert_uint_eq(x.items, y.items);
			ck_assert_uint_eq(x.literals, y.literals);
			ck_assert_uint_eq(x.inferred, y.inferred);
		}
		kgr_store_free(r);
	}
	ck_assert_int_eq(kgr_store_export(s, stdout, "yaml", 0), KGR_EINVALID);
	kgr_store_free(s);
}
END_TEST

START_TEST(test_finalize_twice_and_load_after)
{
	kgr_store *s = kgr_test_store(NULL, "kg/catalog.ttl", NULL);
	ck_assert_int_eq(kgr_store_finalize(s), KGR_EINVALID);
	ck_assert_int_eq(kgr_store_load_rdf(s, kgr_test_data("kg/catalog.ttl"), NULL, NULL), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "finalized"));
	kgr_store_free(s);
	kgr_store_free(NULL);
}
END_TEST

/* Finalize merges the inferred quads (closures, purchase edges) into the sorted quads and
 * into both permutations instead of sorting everything again: the result must be what a full
 * sort gives, which for these total orders means strictly sorted, every quad once. Some
 * inferred quads are also asserted in the inferred graph (dropped as duplicates), and the
 * new ids are spread among the old ones in every order. */
START_TEST(test_inferred_merge_keeps_indexes_sorted)
{
	kgr_store *s = NULL;
	size_t cap = 1 << 16, len = 0, n_closure = 0;
	char *text = malloc(cap);
	int k;
	ck_assert_ptr_nonnull(text);
	for (k = 2; k < 128; k++) {
		int up;
		len += (size_t)snprintf(text + len, cap - len,
			"<http://t.example/c%d> <" SKOS "broader> <http://t.example/c%d> .\n"
			"<http://t.example/p%d> <" SCHEMA "category> <http://t.example/c%d> .\n",
			k, k / 2, k, k);
		for (up = k / 2; up >= 1; up /= 2)
			n_closure++;
		if (k % 7 == 0)
			len += (size_t)snprintf(text + len, cap - len,
				"<http://t.example/c%d> <" SKOS "broaderTransitive> <http://t.example/c1> "
				"<https://w3id.org/kgrec/graph/inferred> .\n", k);
	}
	ck_assert_uint_lt(len, cap);
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_msg(kgr_store_load_rdf_buffer(s, text, len, "nquads", NULL, "t.nq") == 0, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	ck_assert_int_eq(kgr_store_count(s, 0, iri(s, SKOS "broaderTransitive"), 0), n_closure);
	ck_assert_msg(kgr__snapshot_check(s, "merged") == 0, "%s", kgr_error_last());
	kgr_store_free(s);
	free(text);
}
END_TEST

/* Room reserved from a large input's size (the term table among it) leaves no trace in the
 * store: the same lines loaded at once (2 MiB: reserved) and in pieces of 64 KiB (not) give
 * the same checksum, though the input has far fewer terms than its size suggests. */
START_TEST(test_reserve_leaves_no_trace)
{
	kgr_store *a = NULL, *b = NULL;
	size_t cap = 2u << 20, len = 0, off = 0;
	char *text = malloc(cap + 256);
	int i = 0;
	ck_assert_ptr_nonnull(text);
	while (len < cap) {
		len += (size_t)snprintf(text + len, 256,
			"<http://t.example/s%d> <http://t.example/p%d> \"a literal that repeats, number %d\" .\n",
			i % 50, i % 3, i % 70);
		i++;
	}
	ck_assert_int_eq(kgr_store_new(&a, 1), 0);
	ck_assert_int_eq(kgr_store_new(&b, 1), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(a, text, len, "ntriples", NULL, "all.nt"), 0);
	while (off < len) {
		size_t end = off + (64u << 10) < len ? off + (64u << 10) : len;
		while (end < len && text[end - 1] != '\n')
			end++;
		ck_assert_int_eq(kgr_store_load_rdf_buffer(b, text + off, end - off, "ntriples", NULL, "piece.nt"), 0);
		off = end;
	}
	ck_assert_int_eq(kgr_store_finalize(a), 0);
	ck_assert_int_eq(kgr_store_finalize(b), 0);
	ck_assert_uint_eq(kgr_store_term_count(a), kgr_store_term_count(b));
	ck_assert_uint_eq(kgr_store_checksum(a), kgr_store_checksum(b));
	kgr_store_free(a);
	kgr_store_free(b);
	free(text);
}
END_TEST

/* The native N-Triples / N-Quads reader gives the very store raptor's parser gives. */
static void same_as_raptor(const char *file, const char *fmt, const char *raptor_fmt)
{
	kgr_store *a = NULL, *b = NULL;
	ck_assert_int_eq(kgr_store_new(&a, 0), 0);
	ck_assert_int_eq(kgr_store_new(&b, 0), 0);
	ck_assert_msg(kgr_store_load_rdf(a, kgr_test_data(file), fmt, NULL) == 0, "%s", kgr_error_last());
	ck_assert_msg(kgr_store_load_rdf(b, kgr_test_data(file), raptor_fmt, NULL) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_store_finalize(a), 0);
	ck_assert_int_eq(kgr_store_finalize(b), 0);
	ck_assert_uint_eq(kgr_store_quad_count(a), kgr_store_quad_count(b));
	ck_assert_uint_eq(kgr_store_term_count(a), kgr_store_term_count(b));
	for (size_t i = 1; i <= kgr_store_term_count(a); i++) {
		ck_assert_str_eq(kgr_term_value(a, (kgr_id)i, NULL), kgr_term_value(b, (kgr_id)i, NULL));
		ck_assert_int_eq(kgr_term_kind_of(a, (kgr_id)i), kgr_term_kind_of(b, (kgr_id)i));
	}
	ck_assert_uint_eq(kgr_store_checksum(a), kgr_store_checksum(b));
	kgr_store_free(a);
	kgr_store_free(b);
}

START_TEST(test_native_ntriples)
{
	kgr_store *s = NULL;
	same_as_raptor("kg/constructs.nt", "ntriples", "raptor-ntriples");
	same_as_raptor("kg/quads.nq", "nquads", "raptor-nquads");
	same_as_raptor("kg/graphs.trig", "trig", "trig");
	s = kgr_test_store(NULL, "kg/constructs.nt", NULL);
	ck_assert_int_ne(kgr_store_literal(s, "caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "fr-ca", NULL), 0);
	ck_assert_int_ne(kgr_store_literal(s, "tab\there \"q\" back\\slash\nnl", 26, NULL, NULL), 0);
	ck_assert_int_ne(kgr_store_literal(s, "s", 1, NULL, NULL), 0); /* xsd:string is plain */
	ck_assert_int_ne(kgr_store_iri(s, "http://a.example/p\xc3\xa9"), 0);
	ck_assert_int_ne(kgr_store_literal(s, "", 0, NULL, NULL), 0);
	kgr_store_free(s);
}
END_TEST

/* N-Quads over several of the parallel reader's 1 MiB pieces: every kind of term, terms that
 * repeat within and across pieces, escapes, CRLF, comments, blank lines, and a last line
 * without its newline. */
static char *varied_nquads(size_t min_len, size_t *len_out)
{
	size_t cap = min_len + 4096, len = 0;
	char *t = malloc(cap);
	int i;
	ck_assert_ptr_nonnull(t);
	for (i = 0; len < min_len; i++) {
		char *o = t + len;
		size_t room = cap - len;
		int n = 0;
		switch (i % 9) {
		case 0:
			n = snprintf(o, room, "<http://t.example/s%d> <http://t.example/p%d> <http://t.example/o%d> .\n",
				i / 7, i % 5, i % 1000);
			break;
		case 1:
			n = snprintf(o, room, "_:b%d <http://t.example/p1> \"lit %d\"@EN-gb <http://t.example/g%d> .\n",
				i / 9, i % 300, i % 3);
			break;
		case 2:
			n = snprintf(o, room, "<http://t.example/s%d> <http://t.example/price> "
				"\"%d.5\"^^<http://www.w3.org/2001/XMLSchema#decimal> .\r\n", i / 7, i % 500);
			break;
		case 3:
			n = snprintf(o, room, "# comment %d\n", i);
			break;
		case 4:
			n = snprintf(o, room, "\n");
			break;
		case 5:
			n = snprintf(o, room, "<http://t.example/s%d> <http://t.example/name> \"tab\\there \\u00e9 %d\" _:g%d .\n",
				i / 7, i % 200, i % 2);
			break;
		case 6:
			n = snprintf(o, room, "<http://t.example/\\u00e9%d> <http://t.example/p2> "
				"\"x\"^^<http://www.w3.org/2001/XMLSchema#string> .\n", i % 800);
			break;
		case 7:
			n = snprintf(o, room, "<https://schema.org/Thing%d> <http://t.example/p3> \"%d\"^^<http://t.example/dt%d> .\n",
				i % 40, i % 97, i % 4);
			break;
		default:
			n = snprintf(o, room, "_:b%d <http://t.example/p4> _:b%d .\n", i / 9, (i * 7) % 5000);
			break;
		}
		len += (size_t)n;
	}
	while (len && (t[len - 1] == '\n' || t[len - 1] == '\r'))
		len--; /* the last line ends without a newline */
	*len_out = len;
	return t;
}

static kgr_store *load_with_threads(const char *text, size_t len, const char *fmt, int threads)
{
	kgr_store *s = NULL;
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_int_eq(kgr_store_set_threads(s, threads), 0);
	ck_assert_msg(kgr_store_load_rdf_buffer(s, text, len, fmt, NULL, "many.nq") == 0, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	return s;
}

/* Every term of an opened snapshot is found again by its value, kind, language and datatype,
 * and has the value and length it was loaded with: the term table 85% full, term
 * records whose lengths come from the next record's offset, across a block of 2^16 ids
 * (about 90,000 terms here), values holding NUL bytes, and a store made again from the
 * snapshot (kgr_store_new_from(), which takes the hashes from the table). Every third subject
 * has a label, kept for the labelled terms only and found by counting bits. */
START_TEST(test_every_term_found_after_open)
{
	size_t cap = 6u << 20, len = 0, id, n;
	char *text = malloc(cap);
	kgr_store *s = NULL, *r = NULL, *c = NULL;
	const char *path = kgr_test_tmp("terms.snap");
	int i;
	ck_assert_ptr_nonnull(text);
	for (i = 0; i < 30000; i++)
		len += (size_t)snprintf(text + len, cap - len,
			"<http://t.example/u%d> <http://t.example/p%d> \"v\\u0000%d\"@en-GB .\n"
			"_:b%d <http://t.example/q> \"%d\"^^<http://t.example/dt%d> .\n",
			i, i % 7, i, i, i, i % 5);
	for (i = 0; i < 30000; i += 3)
		len += (size_t)snprintf(text + len, cap - len,
			"<http://t.example/u%d> <http://www.w3.org/2000/01/rdf-schema#label> \"name %d\" .\n", i, i);
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_msg(kgr_store_load_rdf_buffer(s, text, len, "ntriples", NULL, "terms.nt") == 0, "%s",
		kgr_error_last());
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	n = kgr_store_term_count(s);
	ck_assert_uint_gt(n, 1u << 16);
	ck_assert_int_eq(kgr_store_save(s, path), 0);
	ck_assert_int_eq(kgr_store_open(&r, path), 0);
	ck_assert_int_eq(kgr_store_new_from(&c, r), 0);
	ck_assert_uint_eq(kgr_store_term_count(r), n);
	for (id = 1; id <= n; id++) {
		size_t la, lb;
		const char *a = kgr_term_value(s, (kgr_id)id, &la), *b = kgr_term_value(r, (kgr_id)id, &lb);
		const char *lang = kgr_term_lang(r, (kgr_id)id);
		kgr_id dt = kgr_term_datatype(r, (kgr_id)id), found = 0;
		ck_assert_uint_eq(la, lb);
		ck_assert(memcmp(a, b, la) == 0);
		switch (kgr_term_kind_of(r, (kgr_id)id)) {
		case KGR_TERM_IRI:
			found = kgr_store_iri(r, b);
			ck_assert_uint_eq(kgr_store_iri(c, b), id);
			break;
		case KGR_TERM_BLANK:
			found = kgr_store_blank(r, b);
			break;
		default:
			found = kgr_store_literal(r, b, lb, lang, dt ? kgr_term_value(r, dt, NULL) : NULL);
			break;
		}
		ck_assert_msg(found == id, "term %zu found as %u", id, found);
	}
	for (i = 0; i < 30000; i++) {
		char want[32], name[64];
		snprintf(name, sizeof(name), "http://t.example/u%d", i);
		snprintf(want, sizeof(want), i % 3 ? "u%d" : "name %d", i);
		ck_assert_str_eq(kgr_store_label(r, kgr_store_iri(r, name)), want);
	}
	ck_assert_uint_eq(kgr_store_iri(r, "http://t.example/u30000"), 0);
	ck_assert_uint_eq(kgr_store_literal(r, "v", 1, "en-gb", NULL), 0);
	kgr_store_free(c);
	kgr_store_free(r);
	kgr_store_free(s);
	free(text);
}
END_TEST

/* Pieces parsed on several threads and interned in text order: the same terms under the same
 * ids and the same quads for every number of threads, and the store raptor's parser gives. */
START_TEST(test_parallel_load_same_for_any_threads)
{
	size_t len, i;
	char *text = varied_nquads(3u << 20, &len);
	kgr_store *ref = load_with_threads(text, len, "raptor-nquads", 1);
	int threads[] = { 1, 2, 5, 0 };
	ck_assert_uint_gt(kgr_store_quad_count(ref), 30000);
	for (i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		kgr_store *s = load_with_threads(text, len, "nquads", threads[i]);
		ck_assert_uint_eq(kgr_store_term_count(s), kgr_store_term_count(ref));
		ck_assert_uint_eq(kgr_store_quad_count(s), kgr_store_quad_count(ref));
		for (size_t id = 1; id <= kgr_store_term_count(s); id++) {
			ck_assert_str_eq(kgr_term_value(s, (kgr_id)id, NULL), kgr_term_value(ref, (kgr_id)id, NULL));
			ck_assert_int_eq(kgr_term_kind_of(s, (kgr_id)id), kgr_term_kind_of(ref, (kgr_id)id));
			ck_assert_uint_eq(kgr_term_datatype(s, (kgr_id)id), kgr_term_datatype(ref, (kgr_id)id));
		}
		ck_assert_msg(kgr_store_checksum(s) == kgr_store_checksum(ref), "threads %d", threads[i]);
		kgr_store_free(s);
	}
	kgr_store_free(ref);
	free(text);
}
END_TEST

/* A bad line deep in the text is reported with its line over every piece before it, the
 * first of two errors wins, and the store keeps only what it held before. */
START_TEST(test_parallel_load_error_line)
{
	const char *good = "<http://t.example/s> <http://t.example/p> \"a line of some length to fill pieces\" .\n";
	size_t glen = strlen(good), n_lines = (3u << 20) / glen, len = 0, i, terms, quads;
	char *text = malloc((n_lines + 10) * (glen + 40)), want[128];
	kgr_store *s = NULL;
	int threads;
	ck_assert_ptr_nonnull(text);
	for (i = 1; i <= n_lines; i++) {
		if (i == n_lines - 1000)
			len += (size_t)sprintf(text + len, "<http://t.example/s> <http://t.example/p> \"x\"@-bad .\n");
		else if (i == n_lines - 10)
			len += (size_t)sprintf(text + len, "<http://t.example/later> error .\n");
		else
			len += (size_t)sprintf(text + len, "%s", good);
	}
	snprintf(want, sizeof(want), "big.nt:%zu:47: bad language tag", n_lines - 1000);
	for (threads = 1; threads <= 3; threads++) {
		ck_assert_int_eq(kgr_store_new(&s, 1), 0);
		ck_assert_int_eq(kgr_store_set_threads(s, threads), 0);
		ck_assert_int_eq(kgr_store_load_rdf_buffer(s, good, glen, "ntriples", NULL, "one.nt"), 0);
		terms = kgr_store_term_count(s);
		quads = kgr_store_quad_count(s);
		ck_assert_int_eq(kgr_store_load_rdf_buffer(s, text, len, "ntriples", NULL, "big.nt"), KGR_EPARSE);
		ck_assert_msg(strstr(kgr_error_last(), want) != NULL, "'%s' lacks '%s'", kgr_error_last(), want);
		ck_assert_uint_eq(kgr_store_quad_count(s), quads);
		ck_assert_uint_eq(kgr_store_term_count(s), terms);
		kgr_store_free(s);
	}
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_int_eq(kgr_store_set_threads(s, 65), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "threads 65 out of range"));
	ck_assert_int_eq(kgr_store_set_threads(s, -1), KGR_EINVALID);
	kgr_store_free(s);
	free(text);
}
END_TEST

/* UTF-8 checked eight ASCII bytes at a time: sequences at every offset around the word
 * boundaries are found (or passed) exactly where byte-by-byte reading finds them. */
START_TEST(test_utf8_check_across_words)
{
	static const char *const good[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	static const char *const bad[] = { "\x80", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff" };
	char buf[64];
	size_t k, i, len;
	for (k = 0; k < 20; k++) {
		for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			memset(buf, 'a', sizeof(buf));
			memcpy(buf + k, good[i], strlen(good[i]));
			len = k + strlen(good[i]) + (k % 9);
			ck_assert_uint_eq(kgr__utf8_invalid_at(buf, len), len);
		}
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(buf, 'a', sizeof(buf));
			memcpy(buf + k, bad[i], strlen(bad[i]));
			len = k + strlen(bad[i]) + (i == 1 ? 0 : 11); /* the cut sequence ends the text */
			ck_assert_msg(kgr__utf8_invalid_at(buf, len) == k, "bad sequence %zu at %zu: found at %zu", i, k,
				kgr__utf8_invalid_at(buf, len));
		}
	}
}
END_TEST

static void expect_nt_error(const char *text, const char *needle)
{
	kgr_store *s = NULL;
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(s, text, strlen(text), "ntriples", NULL, "t.nt"), KGR_EPARSE);
	ck_assert_msg(strstr(kgr_error_last(), needle) != NULL, "'%s' lacks '%s'", kgr_error_last(), needle);
	ck_assert_uint_eq(kgr_store_quad_count(s), 0);
	kgr_store_free(s);
}

START_TEST(test_native_ntriples_errors)
{
	const char *ok = "<http://a/s> <http://a/p> <http://a/o> .\n";
	char buf[512];
	expect_nt_error("<http://a/s> <http://a/p> <http://a/o>\n", "t.nt:1:39: expected '.'");
	snprintf(buf, sizeof(buf), "%s%s", ok, "<http://a/s> <http://a/p> \"open .\n");
	expect_nt_error(buf, "t.nt:2:27: string not closed");
	expect_nt_error("<relative> <http://a/p> <http://a/o> .\n", "t.nt:1:2: IRI is not absolute");
	expect_nt_error("<http://a/s> _:p <http://a/o> .\n", "t.nt:1:14: expected a predicate");
	expect_nt_error("<http://a/s> <http://a/p> \"x\"@ .\n", "bad language tag");
	expect_nt_error("<http://a/s> <http://a/p> \"\\q\" .\n", "bad escape");
	expect_nt_error("<http://a/s> <http://a/p> <http://a/o> . extra\n", "text after the final '.'");
	expect_nt_error("<http://a/s> <http://a/p> <http://a/o> <http://a/g> .\n", "expected '.'");
	expect_nt_error("<http://a/ s> <http://a/p> <http://a/o> .\n", "t.nt:1:11: invalid character in IRI");
}
END_TEST

/* An empty dataset is a valid store: a file or buffer without triples loads as nothing, and
 * the store finalizes, saves and opens with no quads. */
START_TEST(test_empty_input)
{
	kgr_store *s = NULL, *back = NULL;
	const char *path = kgr_test_tmp("empty.ttl"), *snap = kgr_test_tmp("empty.kgr");
	FILE *f = fopen(path, "w");
	kgr_iter it;
	kgr_quad q;
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(s, "\n# only a comment\n", strlen("\n# only a comment\n"), "ntriples", NULL, "t.nt"), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(s, "@prefix ex: <http://a/> .\n", strlen("@prefix ex: <http://a/> .\n"), "turtle", NULL, "t.ttl"), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(s, "", 0, "nquads", NULL, "t.nq"), 0);
	ck_assert_int_eq(kgr_store_load_rdf(s, path, NULL, NULL), 0);
	ck_assert_int_eq(kgr_store_load_rdf(s, kgr_test_data("kg/empty.nt"), NULL, NULL), 0);
	ck_assert_uint_eq(kgr_store_quad_count(s), 0);
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	ck_assert_uint_eq(kgr_store_quad_count(s), 0);
	kgr_store_match(s, &it, 0, 0, 0, KGR_ANY_GRAPH);
	ck_assert_int_eq(kgr_iter_next(&it, &q), 0);
	ck_assert_int_eq(kgr_store_save(s, snap), 0);
	ck_assert_int_eq(kgr_store_open(&back, snap), 0);
	ck_assert_uint_eq(kgr_store_quad_count(back), 0);
	kgr_store_free(back);
	kgr_store_free(s);
}
END_TEST

static void expect_buffer_error(const char *text, size_t len, const char *format, const char *name,
	const char *needle)
{
	kgr_store *s = NULL;
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(s, text, len, format, NULL, name), KGR_EPARSE);
	ck_assert_msg(strstr(kgr_error_last(), needle) != NULL, "'%s' lacks '%s'", kgr_error_last(), needle);
	ck_assert_uint_eq(kgr_store_quad_count(s), 0);
	kgr_store_free(s);
}

/* A literal whose language tag is @p n characters: "x"@aaaa... in the syntax of @p format. */
static char *long_tag_doc(const char *format, size_t n)
{
	char *text = malloc(n + 256), *p = text;
	size_t i;
	if (!strcmp(format, "ntriples"))
		p += sprintf(p, "<http://a/s> <http://a/p> \"x\"@");
	else
		p += sprintf(p, "@prefix ex: <http://a/> .\n# a \"comment\"@with-a-tag\n"
			"ex:s ex:p \"\"\"long \"\" string\"\"\"@en-GB , 'one'@fr ;\n  ex:q \"x\"@");
	for (i = 0; i < n; i++)
		*p++ = 'a';
	strcpy(p, " .\n");
	return text;
}

/* raptor's Turtle lexer overflows its heap on a tag of 300 characters or more: such tags are
 * refused before raptor sees them, and by kgrec's own N-Triples reader, with line and
 * column; BCP 47 shapes up to 64 characters load. */
START_TEST(test_language_tag_limits)
{
	static const char *formats[] = { "ntriples", "turtle", "trig" };
	static const size_t lengths[] = { 65, 300, 1000, 100000 };
	kgr_store *s = NULL;
	size_t f, i;
	for (f = 0; f < 3; f++)
		for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
			char *doc = long_tag_doc(formats[f], lengths[i]);
			expect_buffer_error(doc, strlen(doc), formats[f], "t.rdf",
				f == 0 ? "t.rdf:1:31: language tag longer than 64 characters"
				       : "t.rdf:4:12: language tag longer than 64 characters");
			free(doc);
		}
	expect_buffer_error("<http://a/s> <http://a/p> \"x\"@en-abcdefghi .\n", 46, "ntriples", "t.nt",
		"t.nt:1:31: bad language tag: a subtag is longer than 8 characters");
	expect_buffer_error("<http://a/s> <http://a/p> \"x\"@e1 .\n", 35, "ntriples", "t.nt",
		"t.nt:1:31: bad language tag");
	expect_buffer_error("@prefix ex: <http://a/> .\nex:s ex:p \"x\"@en--us .\n", 48, "turtle", "t.ttl",
		"t.ttl:2:15: bad language tag: empty subtag");
	/* 64 characters of BCP 47 shape load, in all three syntaxes; tags inside comments,
	 * strings and IRIs are not tags */
	for (f = 0; f < 3; f++) {
		const char *tag = "en-latn-gb-abcdefgh-abcdefgh-abcdefgh-abcdefgh-abcdefgh-abcdefgh";
		char doc[1024];
		ck_assert_uint_eq(strlen(tag), 64);
		if (f == 0)
			snprintf(doc, sizeof(doc), "<http://a/s> <http://a/p> \"x\"@%s .\n", tag);
		else
			snprintf(doc, sizeof(doc), "@prefix ex: <http://a/a@b#x> .\n# \"c\"@%0300d\n"
				"ex:s ex:p \"x\"@%s, \"\"\"q\"@%0300d\"\"\" .\n", 0, tag, 0);
		ck_assert_int_eq(kgr_store_new(&s, 0), 0);
		ck_assert_msg(kgr_store_load_rdf_buffer(s, doc, strlen(doc), formats[f], NULL, "ok") == 0, "%s: %s",
			formats[f], kgr_error_last());
		ck_assert_uint_eq(kgr_store_quad_count(s), f == 0 ? 1 : 2);
		kgr_store_free(s);
	}
}
END_TEST

/* The fast printer writes what cJSON_PrintUnformatted() writes, byte for byte. */
static void same_as_cjson(const cJSON *tree)
{
	char *want = cJSON_PrintUnformatted(tree), *got;
	size_t len = 0;
	ck_assert_ptr_nonnull(want);
	got = kgr__json_print(tree, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(len, strlen(want));
	free(want);
	free(got);
}

static uint64_t json_rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	json_rng ^= json_rng << 13;
	json_rng ^= json_rng >> 7;
	json_rng ^= json_rng << 17;
	return json_rng;
}

/* One number printed by both, compared byte for byte (the failure names the number). */
static void number_as_cjson(double d)
{
	cJSON *n = cJSON_CreateNumber(d);
	char *want, *got;
	ck_assert_ptr_nonnull(n);
	want = cJSON_PrintUnformatted(n);
	got = kgr__json_print(n, NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(!strcmp(got, want), "%a: kgrec wrote %s, cJSON %s", d, got, want);
	free(want);
	free(got);
	cJSON_Delete(n);
}

static void number_add(cJSON *arr, double d)
{
	cJSON *n = cJSON_CreateNumber(d);
	ck_assert_ptr_nonnull(n);
	cJSON_AddItemToArray(arr, n);
}

/* From 1e-4 to 1e15 the printer finds the digits itself; every kind of number there must
 * come out as cJSON (that is, snprintf) writes it: any bits, short decimals, both sides of
 * each power of ten, exact ties at the 15th and 17th digit, scores as the ranker makes them.
 * All in one array printed by both; on a difference, the first number that differs is named. */
START_TEST(test_json_print_numbers_as_cjson)
{
	cJSON *arr = cJSON_CreateArray(), *c;
	char *want, *got;
	int i, p, s;
	ck_assert_ptr_nonnull(arr);
	for (i = 0; i < 12000; i++) {
		/* any mantissa, exponents from 2^-14 to 2^50 */
		uint64_t bits = (next_rand() & ((1ull << 52) - 1)) | ((uint64_t)(1023 - 14 + next_rand() % 65) << 52);
		double d;
		memcpy(&d, &bits, sizeof(d));
		number_add(arr, d);
		number_add(arr, -d);
		/* short decimals: n / 10^k */
		number_add(arr, (double)(next_rand() % 100000000000000000ull) / pow(10, (double)(next_rand() % 21)));
		/* dyadic values, whose decimals end in 5: ties when they have 16 or 18 digits */
		number_add(arr, ldexp((double)(next_rand() % (1u << 20) | 1), -(int)(next_rand() % 60)));
		/* what scores look like */
		number_add(arr, (double)(next_rand() % 1000 + 1) / (double)(next_rand() % 997 + 1) *
			log1p((double)(next_rand() % 100)));
	}
	for (p = -5; p <= 16; p++) {
		double t = pow(10, p), u = t, v = t;
		for (s = 0; s < 40; s++) {
			number_add(arr, u);
			number_add(arr, -v);
			number_add(arr, v);
			u = nextafter(u, 0);
			v = nextafter(v, INFINITY);
		}
		/* 9.99..9 with 15 to 17 nines, which round up to the next power */
		number_add(arr, t * (1 - 1e-15));
		number_add(arr, t * (1 - 1e-16));
		number_add(arr, t * (1 - 5e-17));
	}
	for (s = 1; s <= 66; s++) /* 1 + 2^-s, 3 * 2^-s and the like: every tie position */
		for (i = 1; i < 64; i += 2) {
			number_add(arr, 1 + ldexp(i, -s));
			number_add(arr, ldexp(i, -s) * 1e4);
			number_add(arr, ldexp((double)i, 40 - s));
		}
	want = cJSON_PrintUnformatted(arr);
	got = kgr__json_print(arr, NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	if (strcmp(got, want))
		cJSON_ArrayForEach(c, arr)
			number_as_cjson(c->valuedouble);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	cJSON_Delete(arr);
}
END_TEST

START_TEST(test_json_print_matches_cjson)
{
	static const double nums[] = { 0.0, -0.0, 1, -1, 3, 0.1, 1.0 / 3, -2.5e-300, 1e300, 123456.789,
		1e10, -1e10, 9007199254740993.0, 2147483647.0, -2147483648.0, 2147483648.0, 0.30000000000000004,
		5e-324, 1.7976931348623157e308, 0.0581, 1e-7, 12345678901234567890.0 };
	cJSON *root = cJSON_CreateObject(), *arr, *obj, *rnd;
	char ctl[40];
	size_t i;
	int c;
	arr = cJSON_AddArrayToObject(root, "numbers");
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber(nums[i]));
	cJSON_AddItemToArray(arr, cJSON_CreateNumber(NAN));
	cJSON_AddItemToArray(arr, cJSON_CreateNumber(INFINITY));
	cJSON_AddItemToArray(arr, cJSON_CreateNumber(-INFINITY));
	cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)INT_MIN));
	/* every control character, quotes, backslashes, UTF-8 and DEL */
	for (c = 1; c < 32; c++)
		ctl[c - 1] = (char)c;
	ctl[31] = '\0';
	cJSON_AddStringToObject(root, "control", ctl);
	cJSON_AddStringToObject(root, "quotes \"and\" \\ back\\slashes", "\"\\/\x7f caf\xc3\xa9 \xe2\x82\xac");
	cJSON_AddStringToObject(root, "", "");
	cJSON_AddNullToObject(root, "null");
	cJSON_AddTrueToObject(root, "t");
	cJSON_AddFalseToObject(root, "f");
	cJSON_AddItemToObject(root, "raw", cJSON_CreateRaw("{\"already\":[1,2]}"));
	cJSON_AddArrayToObject(root, "empty array");
	obj = cJSON_AddObjectToObject(root, "nested");
	cJSON_AddObjectToObject(obj, "empty object");
	cJSON_AddItemToObject(obj, "deeper", cJSON_CreateArray());
	cJSON_AddItemToArray(cJSON_GetObjectItem(obj, "deeper"), cJSON_CreateObject());
	same_as_cjson(root);
	same_as_cjson(arr);
	same_as_cjson(cJSON_GetObjectItem(root, "control"));
	/* random doubles of every magnitude and random byte strings */
	rnd = cJSON_AddArrayToObject(root, "random");
	for (i = 0; i < 20000; i++) {
		uint64_t bits = next_rand();
		double d;
		char str[24];
		size_t k;
		memcpy(&d, &bits, sizeof(d));
		cJSON_AddItemToArray(rnd, cJSON_CreateNumber(d));
		cJSON_AddItemToArray(rnd, cJSON_CreateNumber((double)(next_rand() % 2000000) / 1000.0 - 1000.0));
		for (k = 0; k + 1 < sizeof(str); k++)
			str[k] = (char)(next_rand() % 255 + 1);
		str[k] = '\0';
		cJSON_AddItemToArray(rnd, cJSON_CreateString(str));
	}
	same_as_cjson(root);
	cJSON_Delete(root);
	/* a raw item without text cannot be printed */
	root = cJSON_CreateRaw("x");
	ck_assert_ptr_nonnull(root);
	cJSON_free(root->valuestring);
	root->valuestring = NULL;
	ck_assert_ptr_null(kgr__json_print(root, NULL));
	cJSON_Delete(root);
	ck_assert_ptr_null(kgr__json_print(NULL, NULL));
}
END_TEST

/* A tree written value by value (kgr__jw_*) is the text cJSON prints for it: commas between
 * values, empty and nested containers, keys escaped, numbers and strings as above. */
static void write_tree(kgr__jw *w, const char *key, const cJSON *c)
{
	const cJSON *k;
	if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
		kgr__jw_open(w, key, cJSON_IsArray(c));
		cJSON_ArrayForEach(k, c)
			write_tree(w, cJSON_IsObject(c) ? k->string : NULL, k);
		kgr__jw_close(w, cJSON_IsArray(c));
	} else if (cJSON_IsNumber(c)) {
		kgr__jw_num(w, key, c->valuedouble);
	} else if (cJSON_IsString(c)) {
		kgr__jw_str(w, key, c->valuestring);
	} else if (cJSON_IsBool(c)) {
		kgr__jw_bool(w, key, cJSON_IsTrue(c));
	} else {
		kgr__jw_null(w, key);
	}
}

START_TEST(test_json_writer_matches_cjson)
{
	cJSON *root = cJSON_CreateObject(), *arr, *obj, *deep;
	char ctl[32], *want, *got;
	size_t i, len = 0;
	kgr__jw w;
	int c;
	ck_assert_ptr_nonnull(root);
	arr = cJSON_AddArrayToObject(root, "numbers");
	for (i = 0; i < 3000; i++) {
		uint64_t bits = next_rand();
		double d;
		memcpy(&d, &bits, sizeof(d));
		cJSON_AddItemToArray(arr, cJSON_CreateNumber(d));
		cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)(next_rand() % 2000000) / 1000.0 - 1000.0));
	}
	cJSON_AddItemToArray(arr, cJSON_CreateNumber(NAN));
	cJSON_AddItemToArray(arr, cJSON_CreateNumber(-0.0));
	for (c = 1; c < 32; c++)
		ctl[c - 1] = (char)c;
	ctl[31] = '\0';
	cJSON_AddStringToObject(root, "control \"key\"", ctl);
	cJSON_AddStringToObject(root, "", "");
	cJSON_AddNullToObject(root, "null");
	cJSON_AddTrueToObject(root, "t");
	cJSON_AddFalseToObject(root, "f");
	cJSON_AddArrayToObject(root, "empty array");
	cJSON_AddObjectToObject(root, "empty object");
	obj = cJSON_AddObjectToObject(root, "nested");
	deep = cJSON_AddArrayToObject(obj, "arrays");
	cJSON_AddItemToArray(deep, cJSON_CreateArray());
	cJSON_AddItemToArray(deep, cJSON_CreateObject());
	cJSON_AddItemToArray(deep, cJSON_CreateString("after empties"));
	cJSON_AddItemToArray(cJSON_GetArrayItem(deep, 0), cJSON_CreateNumber(1));
	cJSON_AddItemToObject(obj, "last", cJSON_CreateBool(1));
	want = cJSON_PrintUnformatted(root);
	kgr__jw_init(&w);
	write_tree(&w, NULL, root);
	got = kgr__jw_take(&w, &len);
	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(len, strlen(want));
	free(want);
	free(got);
	/* a bare array of strings */
	want = cJSON_PrintUnformatted(deep);
	kgr__jw_init(&w);
	write_tree(&w, NULL, deep);
	got = kgr__jw_take(&w, NULL);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	cJSON_Delete(root);
}
END_TEST

static void expect_jsonld_error(const char *text, const char *needle)
{
	expect_buffer_error(text, strlen(text), "jsonld", "t.jsonld", needle);
}

/* JSON-LD through the buffer loader: the terms a compacted document gives, and each kind of
 * error with its code, its message (path or line) and nothing kept. */
START_TEST(test_jsonld)
{
	static const char doc[] =
		"{\"@context\": [\"https://schema.org/\", {\"ex\": \"http://ex.org/\", "
		"\"parts\": {\"@id\": \"ex:parts\", \"@container\": \"@list\"}}],\n"
		" \"@id\": \"http://ex.org/p1\", \"@type\": \"Product\", \"name\": \"Tent\",\n"
		" \"url\": \"http://ex.org/tent\", \"weight\": 1200, \"rating\": 4.5, \"inStock\": true,\n"
		" \"brand\": {\"@type\": \"Brand\", \"name\": \"Summit\"}, \"parts\": [\"pole\", \"fly\"]}";
	kgr_store *s = NULL;
	kgr_id p1, brand;
	size_t n;
	ck_assert_int_eq(kgr_store_new(&s, 0), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(s, doc, strlen(doc), "jsonld", NULL, "t.jsonld"), 0);
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	p1 = kgr_store_iri(s, "http://ex.org/p1");
	ck_assert_uint_ne(p1, 0);
	ck_assert_uint_eq(kgr_store_count(s, p1, kgr_store_iri(s, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
		kgr_store_iri(s, "http://schema.org/Product")), 1);
	ck_assert_str_eq(kgr_store_label(s, p1), "Tent");
	ck_assert_uint_eq(kgr_store_count(s, p1, kgr_store_iri(s, "http://schema.org/url"),
		kgr_store_iri(s, "http://ex.org/tent")), 1);
	ck_assert_uint_eq(kgr_store_count(s, p1, kgr_store_iri(s, "http://schema.org/weight"),
		kgr_store_literal(s, "1200", 4, NULL, "http://www.w3.org/2001/XMLSchema#integer")), 1);
	ck_assert_uint_eq(kgr_store_count(s, p1, kgr_store_iri(s, "http://schema.org/rating"),
		kgr_store_literal(s, "4.5E0", 5, NULL, "http://www.w3.org/2001/XMLSchema#double")), 1);
	ck_assert_uint_eq(kgr_store_count(s, p1, kgr_store_iri(s, "http://schema.org/inStock"),
		kgr_store_literal(s, "true", 4, NULL, "http://www.w3.org/2001/XMLSchema#boolean")), 1);
	brand = kgr_store_object(s, p1, kgr_store_iri(s, "https://schema.org/brand"));
	ck_assert_int_eq(kgr_term_kind_of(s, brand), KGR_TERM_BLANK);
	ck_assert_str_eq(kgr_store_label(s, brand), "Summit");
	n = kgr_store_count(s, 0, kgr_store_iri(s, "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"), 0);
	ck_assert_uint_eq(n, 2);
	kgr_store_free(s);

	expect_jsonld_error("{\n  \"name\": \"x\",\n  \"a\": [1, 2\n}", "t.jsonld:4:1: malformed JSON");
	expect_jsonld_error("{\"@context\": \"http://ex.org/ctx\"}",
		"t.jsonld:1:14: $.@context: remote context <http://ex.org/ctx> refused: loading it would need "
		"network access");
	expect_jsonld_error("[{\"@id\": \"http://ex.org/a\", \"http://ex.org/p\": [{\"@value\": [1]}]}]",
		"t.jsonld:1:49: $[0].http://ex.org/p[0]: @value must be a string, a number, true or false, not an array");
	expect_jsonld_error("{\"@context\": {\"p\": {\"@id\": \"http://ex.org/p\", \"@container\": \"@index\"}}}",
		"t.jsonld:1:61: $.@context.p.@container: \"@container\": \"@index\" is not supported");
}
END_TEST

/* https://schema.org/ IRIs are kept, and found, under http://schema.org/. */
START_TEST(test_schema_org_https)
{
	static const char nt[] = "<http://ex.org/a> <https://schema.org/name> \"A\" .\n"
				 "<http://ex.org/a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
				 "<https://schema.org/Product> .\n";
	kgr_store *s = NULL;
	kgr_id a;
	size_t len;
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_int_eq(kgr_store_load_rdf_buffer(s, nt, strlen(nt), "ntriples", NULL, "t.nt"), 0);
	ck_assert_int_eq(kgr_store_finalize(s), 0);
	a = kgr_store_iri(s, "http://ex.org/a");
	ck_assert_str_eq(kgr_store_label(s, a), "A");
	ck_assert_uint_eq(kgr_store_iri(s, "https://schema.org/name"), kgr_store_iri(s, "http://schema.org/name"));
	ck_assert_str_eq(kgr_term_value(s, kgr_store_iri(s, "https://schema.org/Product"), &len),
		"http://schema.org/Product");
	ck_assert_int_eq(kgr_store_is_item(s, a), 1);
	ck_assert_uint_eq(kgr_store_intern_extra(s, "https://schema.org/Offer"),
		kgr_store_intern_extra(s, "http://schema.org/Offer"));
	kgr_store_free(s);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_load_terms);
	tcase_add_test(tc, test_match_all_patterns);
	tcase_add_test(tc, test_named_graphs);
	tcase_add_test(tc, test_transitive_closure);
	tcase_add_test(tc, test_interactions);
	tcase_add_test(tc, test_labels_and_resolve);
	tcase_add_test(tc, test_snapshot_roundtrip);
	tcase_add_test(tc, test_new_from_snapshot);
	tcase_add_test(tc, test_intern_extra_concurrent_readers);
	tcase_add_test(tc, test_snapshot_damage);
	tcase_add_test(tc, test_save_is_atomic);
	tcase_add_test(tc, test_bad_rdf);
	tcase_add_test(tc, test_gzip);
	tcase_add_test(tc, test_bad_csv);
	tcase_add_test(tc, test_export_roundtrip);
	tcase_add_test(tc, test_finalize_twice_and_load_after);
	tcase_add_test(tc, test_inferred_merge_keeps_indexes_sorted);
	tcase_add_test(tc, test_reserve_leaves_no_trace);
	tcase_add_test(tc, test_native_ntriples);
	tcase_add_test(tc, test_native_ntriples_errors);
	tcase_add_test(tc, test_parallel_load_same_for_any_threads);
	tcase_add_test(tc, test_every_term_found_after_open);
	tcase_add_test(tc, test_parallel_load_error_line);
	tcase_add_test(tc, test_utf8_check_across_words);
	tcase_add_test(tc, test_empty_input);
	tcase_add_test(tc, test_language_tag_limits);
	tcase_add_test(tc, test_jsonld);
	tcase_add_test(tc, test_schema_org_https);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_json_print_matches_cjson);
	tcase_add_test(tc, test_json_writer_matches_cjson);
	tcase_add_test(tc, test_json_print_numbers_as_cjson);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, kgr_test_events_tcase());
	return s;
}

int main(void)
{
	return kgr_test_run_suite(store_suite());
}
