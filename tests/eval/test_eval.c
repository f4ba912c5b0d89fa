/* Evaluation: metrics against hand-computed values, splits, no leak of held-out events,
 * hand-computed end-to-end figures, determinism, converters on excerpts, bad input. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kgrec/eval.h"
#include "kgrec/store.h"

#define EPS 1e-9
#define EX "http://example.org/"

/* ---------------------------------------------------------------- helpers */

static kgr_store *tiny_store(void)
{
	kgr_store *s = NULL;
	kgr_interaction_options io = KGR_INTERACTION_OPTIONS_INIT;
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_msg(kgr_store_load_rdf(s, KGR_TEST_DATA "/eval/tiny.nt", NULL, NULL) == 0, "%s",
		kgr_error_last());
	ck_assert_msg(kgr_store_load_interactions(s, KGR_TEST_DATA "/eval/tiny.csv", &io) == 0, "%s",
		kgr_error_last());
	ck_assert_msg(kgr_store_finalize(s) == 0, "%s", kgr_error_last());
	return s;
}

static kgr_eval_result *run(const kgr_store *s, kgr_eval_options *o)
{
	kgr_eval_result *r = NULL;
	int rc = kgr_eval_run(&r, s, o);
	ck_assert_msg(rc == 0, "kgr_eval_run: %d %s", rc, kgr_error_last());
	return r;
}

/* ---------------------------------------------------------------- metrics */

START_TEST(ndcg_one_relevant)
{
	kgr_id list[] = { 7, 3, 9, 4 }, rel = 9, none = 99;
	/* relevant item at position 3: 1/log2(4) = 0.5 */
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 4, &rel, 1, 10), 0.5, EPS);
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 4, &rel, 1, 3), 0.5, EPS);
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 4, &rel, 1, 2), 0.0, EPS);
	/* at the top: 1 */
	rel = 7;
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 4, &rel, 1, 1), 1.0, EPS);
	/* position 2: 1/log2(3) = 0.6309297535714575 */
	rel = 3;
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 4, &rel, 1, 5), 0.6309297535714575, EPS);
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 4, &none, 1, 5), 0.0, EPS);
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 4, &rel, 0, 5), 0.0, EPS);
	/* the rank form agrees */
	ck_assert_double_eq_tol(kgr_eval_ndcg_at_rank(3, 10), 0.5, EPS);
	ck_assert_double_eq_tol(kgr_eval_ndcg_at_rank(3, 2), 0.0, EPS);
	ck_assert_double_eq_tol(kgr_eval_ndcg_at_rank(0, 10), 0.0, EPS);
}
END_TEST

START_TEST(ndcg_k_beyond_list)
{
	/* a list of 2 with K = 20: the missing positions are misses, nothing breaks */
	kgr_id list[] = { 5, 6 }, rel = 6, absent = 8;
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 2, &rel, 1, 20), 1.0 / log2(3.0), EPS);
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 2, &absent, 1, 20), 0.0, EPS);
	ck_assert_double_eq_tol(kgr_eval_hit(list, 2, &rel, 1, 20), 1.0, EPS);
	ck_assert_double_eq_tol(kgr_eval_hit(list, 2, &absent, 1, 20), 0.0, EPS);
	ck_assert_double_eq_tol(kgr_eval_rr(list, 2, &rel, 1), 0.5, EPS);
	ck_assert_double_eq_tol(kgr_eval_rr(list, 2, &absent, 1), 0.0, EPS);
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 0, &rel, 1, 20), 0.0, EPS);
}
END_TEST

START_TEST(ndcg_several_relevant)
{
	/* relevant {1, 4} at positions 1 and 3; ideal: positions 1 and 2.
	 * DCG = 1 + 0.5, IDCG = 1 + 1/log2(3) */
	kgr_id list[] = { 1, 2, 4, 3 }, rel[] = { 4, 1 };
	double idcg = 1.0 + 1.0 / log2(3.0);
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 4, rel, 2, 4), 1.5 / idcg, EPS);
	/* K = 1: the ideal has one relevant item, and the list has it */
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 4, rel, 2, 1), 1.0, EPS);
	/* K = 2: only the first counts, IDCG keeps two */
	ck_assert_double_eq_tol(kgr_eval_ndcg(list, 4, rel, 2, 2), 1.0 / idcg, EPS);
	ck_assert_double_eq_tol(kgr_eval_rr(list, 4, rel, 2), 1.0, EPS);
}
END_TEST

START_TEST(rank_ties)
{
	/* candidates 0..4; 1 is best, 0, 2 and 4 tie, 3 is worst */
	double s[] = { 0.5, 0.9, 0.5, 0.1, 0.5 };
	size_t top[5], n, i, pos[5];
	uint64_t seed;
	for (seed = 1; seed < 40; seed++) {
		n = kgr_eval_top(top, 5, s, 5, NULL, seed);
		ck_assert_uint_eq(n, 5);
		ck_assert_uint_eq(top[0], 1);
		ck_assert_uint_eq(top[4], 3);
		for (i = 0; i < 5; i++)
			pos[top[i]] = i + 1;
		/* kgr_eval_rank agrees with the order of kgr_eval_top for every candidate */
		for (i = 0; i < 5; i++)
			ck_assert_uint_eq(kgr_eval_rank(s, 5, i, NULL, seed), pos[i]);
		/* a tied candidate is never placed above a strictly better one or below a worse one */
		ck_assert(pos[0] >= 2 && pos[0] <= 4);
		ck_assert(pos[2] >= 2 && pos[2] <= 4);
		ck_assert(pos[4] >= 2 && pos[4] <= 4);
		/* same seed, same order */
		ck_assert_uint_eq(kgr_eval_rank(s, 5, 2, NULL, seed), pos[2]);
	}
}
END_TEST

START_TEST(rank_ties_vary_with_seed)
{
	/* all scores equal: the tie rule must not always favour the same candidate */
	double s[64];
	size_t i, firsts = 0;
	uint64_t seed;
	for (i = 0; i < 64; i++)
		s[i] = 1.0;
	for (seed = 0; seed < 50; seed++)
		if (kgr_eval_rank(s, 64, 0, NULL, seed) == 1)
			firsts++;
	ck_assert_uint_lt(firsts, 10);
}
END_TEST

START_TEST(rank_skip)
{
	double s[] = { 3, 2, 1, 0 };
	unsigned char skip[] = { 1, 0, 0, 1 };
	size_t top[4];
	/* skipped candidates neither count nor get ranked */
	ck_assert_uint_eq(kgr_eval_rank(s, 4, 2, skip, 1), 2);
	ck_assert_uint_eq(kgr_eval_rank(s, 4, 1, skip, 1), 1);
	ck_assert_uint_eq(kgr_eval_rank(s, 4, 0, skip, 1), 0);
	ck_assert_uint_eq(kgr_eval_rank(s, 4, 9, skip, 1), 0);
	ck_assert_uint_eq(kgr_eval_top(top, 4, s, 4, skip, 1), 2);
	ck_assert_uint_eq(top[0], 1);
	ck_assert_uint_eq(top[1], 2);
	ck_assert_uint_eq(kgr_eval_top(top, 0, s, 4, skip, 1), 0);
}
END_TEST

/* ---------------------------------------------------------------- split */

static kgr_interaction ev(kgr_id u, kgr_id i, int64_t t)
{
	kgr_interaction x;
	memset(&x, 0, sizeof(x));
	x.user = u;
	x.item = i;
	x.time = t;
	x.weight = 1;
	return x;
}

START_TEST(split_loo)
{
	/* user 1: five events (given out of order); user 2: two events, stays in training */
	kgr_interaction in[] = { ev(1, 13, 50), ev(1, 10, 10), ev(2, 20, 5), ev(1, 11, 20),
		ev(1, 14, 60), ev(2, 21, 6), ev(1, 12, 30) };
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	kgr_eval_split *s = NULL;
	ck_assert_int_eq(kgr_eval_split_new(&s, in, 7, &o), 0);
	ck_assert_uint_eq(s->n_test, 1);
	ck_assert_uint_eq(s->test[0].item, 14);
	ck_assert_uint_eq(s->n_valid, 1);
	ck_assert_uint_eq(s->valid[0].item, 13);
	ck_assert_uint_eq(s->n_train, 5);
	ck_assert_uint_eq(s->train[0].item, 10);
	ck_assert_uint_eq(s->train[1].item, 11);
	ck_assert_uint_eq(s->train[2].item, 12);
	ck_assert_uint_eq(s->train[3].item, 20);
	ck_assert_uint_eq(s->train[4].item, 21);
	kgr_eval_split_free(s);
}
END_TEST

START_TEST(split_temporal)
{
	kgr_interaction in[10];
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	kgr_eval_split *s = NULL;
	size_t i;
	for (i = 0; i < 10; i++)
		in[i] = ev(1 + i % 3, 100 + i, (int64_t)(i + 1) * 10);
	o.protocol = KGR_EVAL_TEMPORAL;
	o.temporal_test = 0.8;
	o.temporal_valid = 0.6;
	ck_assert_int_eq(kgr_eval_split_new(&s, in, 10, &o), 0);
	/* times 10..100: the test cut is the 9th time (80), validation the 7th (70) */
	ck_assert_int_eq(s->test_cut, 90);
	ck_assert_int_eq(s->valid_cut, 70);
	ck_assert_uint_eq(s->n_test, 2);
	ck_assert_uint_eq(s->n_valid, 2);
	ck_assert_uint_eq(s->n_train, 6);
	for (i = 0; i < s->n_train; i++)
		ck_assert_int_lt(s->train[i].time, 70);
	for (i = 0; i < s->n_test; i++)
		ck_assert_int_ge(s->test[i].time, 90);
	kgr_eval_split_free(s);
	o.temporal_valid = 0.9;
	ck_assert_int_eq(kgr_eval_split_new(&s, in, 10, &o), KGR_EINVALID);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "temporal shares"));
}
END_TEST

START_TEST(split_action_filter)
{
	kgr_interaction in[] = { ev(1, 10, 1), ev(1, 11, 2), ev(1, 12, 3) };
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	kgr_eval_split *s = NULL;
	in[1].action = 77;
	o.action = 77;
	ck_assert_int_eq(kgr_eval_split_new(&s, in, 3, &o), 0);
	ck_assert_uint_eq(s->n_train, 1);
	ck_assert_uint_eq(s->n_test, 0);
	kgr_eval_split_free(s);
	o.action = 78;
	ck_assert_int_eq(kgr_eval_split_new(&s, in, 3, &o), KGR_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "no interactions"));
}
END_TEST

/* One user with three events at the same second, in the file in the opposite order of their
 * items' IRIs (and term ids: the catalog, loaded first, lists a, b, c): the file's last row
 * is held out for the test, the one before it for validation, as the file says, not as the
 * ids sort; and the same after a snapshot is saved and opened again. */
static void check_same_second(const kgr_store *s)
{
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	kgr_eval_split *split = NULL;
	const kgr_interaction *all, *hist;
	kgr_id zoe = kgr_store_iri(s, EX "user/zoe"), a = kgr_store_iri(s, EX "item/a"),
	       b = kgr_store_iri(s, EX "item/b"), c = kgr_store_iri(s, EX "item/c"),
	       d = kgr_store_iri(s, EX "item/d");
	size_t n, i;

	ck_assert(a && b && c && d && zoe);
	ck_assert(a < b && b < c); /* the ids sort against the file's order */
	hist = kgr_store_user_interactions(s, zoe, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(hist[0].item, d);
	ck_assert_uint_eq(hist[1].item, c);
	ck_assert_uint_eq(hist[2].item, b);
	ck_assert_uint_eq(hist[3].item, a);
	all = kgr_store_interactions(s, &n);
	ck_assert_int_eq(kgr_eval_split_new(&split, all, n, &o), 0);
	for (i = 0; i < split->n_test; i++)
		if (split->test[i].user == zoe)
			break;
	ck_assert_uint_lt(i, split->n_test);
	ck_assert_uint_eq(split->test[i].item, a);
	for (i = 0; i < split->n_valid; i++)
		if (split->valid[i].user == zoe)
			break;
	ck_assert_uint_lt(i, split->n_valid);
	ck_assert_uint_eq(split->valid[i].item, b);
	kgr_eval_split_free(split);
	/* given in another order, the split puts them back in the order they were loaded */
	{
		kgr_interaction rev[16];
		ck_assert_uint_le(n, 16);
		for (i = 0; i < n; i++)
			rev[i] = all[n - 1 - i];
		ck_assert_int_eq(kgr_eval_split_new(&split, rev, n, &o), 0);
		for (i = 0; i < split->n_test; i++)
			if (split->test[i].user == zoe)
				ck_assert_uint_eq(split->test[i].item, a);
		kgr_eval_split_free(split);
	}
}

START_TEST(split_same_second_in_file_order)
{
	kgr_store *s = NULL, *t = NULL;
	kgr_interaction_options io = KGR_INTERACTION_OPTIONS_INIT;
	char tmp[] = "/tmp/kgr-test-order-XXXXXX", path[600];
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_msg(kgr_store_load_rdf(s, KGR_TEST_DATA "/eval/same_second.nt", NULL, NULL) == 0, "%s",
		kgr_error_last());
	ck_assert_msg(kgr_store_load_interactions(s, KGR_TEST_DATA "/eval/same_second.csv", &io) == 0, "%s",
		kgr_error_last());
	ck_assert_msg(kgr_store_finalize(s) == 0, "%s", kgr_error_last());
	check_same_second(s);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/order.snap", tmp);
	ck_assert_msg(kgr_store_save(s, path) == 0, "%s", kgr_error_last());
	kgr_store_free(s);
	ck_assert_msg(kgr_store_open(&t, path) == 0, "%s", kgr_error_last());
	check_same_second(t);
	kgr_store_free(t);
	unlink(path);
	rmdir(tmp);
}
END_TEST

/* ---------------------------------------------------------------- no leak */

typedef struct {
	const kgr_eval_split *split;
	int valid_calls, test_calls;
} leak_check;

static int contains(const kgr_interaction *a, size_t n, const kgr_interaction *x)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (a[i].user == x->user && a[i].item == x->item && a[i].time == x->time)
			return 1;
	return 0;
}

/* Every fit the harness makes is checked against the held-out events of the same split. */
static void on_fit(const char *phase, const kgr_interaction *events, size_t n, void *payload)
{
	leak_check *lc = payload;
	const kgr_eval_split *s = lc->split;
	size_t i;
	for (i = 0; i < s->n_test; i++)
		ck_assert_msg(!contains(events, n, &s->test[i]),
			"test event (user %u, item %u) reached the %s fit", s->test[i].user, s->test[i].item, phase);
	if (!strcmp(phase, "valid")) {
		lc->valid_calls++;
		ck_assert_uint_eq(n, s->n_train);
		for (i = 0; i < s->n_valid; i++)
			ck_assert_msg(!contains(events, n, &s->valid[i]),
				"validation event reached the tuning fit");
	} else {
		ck_assert_str_eq(phase, "test");
		lc->test_calls++;
		ck_assert_uint_eq(n, s->n_train + s->n_valid);
		for (i = 0; i < s->n_valid; i++)
			ck_assert(contains(events, n, &s->valid[i]));
	}
}

static void check_no_leak(const char *ranker, kgr_eval_protocol protocol)
{
	kgr_store *s = tiny_store();
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	kgr_eval_split *split = NULL;
	const kgr_interaction *all;
	size_t n;
	leak_check lc = { 0 };
	kgr_eval_result *r;
	o.ranker = ranker;
	o.protocol = protocol;
	o.n_negatives = 2;
	all = kgr_store_interactions(s, &n);
	ck_assert_int_eq(kgr_eval_split_new(&split, all, n, &o), 0);
	ck_assert_uint_eq(split->n_test, 3);
	lc.split = split;
	o.on_fit = on_fit;
	o.on_fit_payload = &lc;
	r = run(s, &o);
	ck_assert_int_ge(lc.valid_calls, 1);
	ck_assert_int_eq(lc.test_calls, 1);
	if (!strcmp(ranker, "itemknn"))
		ck_assert_int_eq((size_t)lc.valid_calls, r->tuned_configs);
	kgr_eval_result_free(r);
	kgr_eval_split_free(split);
	kgr_store_free(s);
}

START_TEST(no_leak_pop)
{
	check_no_leak("pop", KGR_EVAL_LOO);
}
END_TEST

START_TEST(no_leak_itemknn)
{
	check_no_leak("itemknn", KGR_EVAL_LOO);
	check_no_leak("itemknn", KGR_EVAL_TEMPORAL);
	check_no_leak("itemknn", KGR_EVAL_SAMPLED);
}
END_TEST

START_TEST(no_leak_graph)
{
	check_no_leak("graph", KGR_EVAL_LOO);
	check_no_leak("graph-nokg", KGR_EVAL_LOO);
	check_no_leak("graph-open", KGR_EVAL_SAMPLED);
}
END_TEST

START_TEST(no_leak_sequence)
{
	check_no_leak("sequence", KGR_EVAL_LOO);
	check_no_leak("sequence", KGR_EVAL_SAMPLED);
}
END_TEST

/* The sequence ranker: its parameters are checked, and a seed gives the same figures. */
START_TEST(sequence_params_and_seed)
{
	kgr_store *s = tiny_store();
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	kgr_eval_result *r = NULL, *r2;
	o.ranker = "sequence";
	o.params = "dims=8,epochs=5,negatives=3";
	r = run(s, &o);
	r2 = run(s, &o);
	ck_assert_uint_eq(r->test.users, 3);
	ck_assert(r->test.ndcg[0] == r2->test.ndcg[0] && r->test.mrr == r2->test.mrr);
	kgr_eval_result_free(r);
	kgr_eval_result_free(r2);
	r = NULL;
	o.params = "dims=8,epochs=x";
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_EINVALID);
	o.params = "dims=8,heads=3";
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "heads 3 do not divide dims 8"));
	o.params = "depth=3";
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "depth"));
	ck_assert_ptr_null(r);
	kgr_store_free(s);
}
END_TEST

/* The graph ranker explains what it returns: fidelity 1, paths of 1 .. 4 real edges. */
START_TEST(graph_explains)
{
	kgr_store *s = tiny_store();
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	kgr_eval_result *r;
	o.ranker = "graph";
	r = run(s, &o);
	ck_assert_int_eq(r->explain.measured, 1);
	ck_assert_uint_gt(r->explain.items, 0);
	ck_assert_uint_ge(r->explain.paths, r->explain.items);
	ck_assert_double_eq_tol(r->explain.fidelity, 1.0, EPS);
	ck_assert(r->explain.mean_path_length >= 1 && r->explain.mean_path_length <= 4);
	ck_assert_uint_ge(r->explain.patterns, 1);
	ck_assert(r->explain.hub_share >= 0 && r->explain.hub_share <= 1);
	/* the most frequent patterns, named by predicate, shares descending and summing to <= 1 */
	ck_assert_uint_ge(r->explain.n_top_patterns, 1);
	ck_assert_uint_le(r->explain.n_top_patterns, r->explain.patterns);
	{
		size_t i;
		double sum = 0;
		for (i = 0; i < r->explain.n_top_patterns; i++) {
			ck_assert_msg(strstr(r->explain.top_patterns[i], "purchase") ||
				strstr(r->explain.top_patterns[i], "brand") ||
				strstr(r->explain.top_patterns[i], "category"),
				"pattern '%s'", r->explain.top_patterns[i]);
			if (i)
				ck_assert(r->explain.top_pattern_share[i] <= r->explain.top_pattern_share[i - 1]);
			sum += r->explain.top_pattern_share[i];
		}
		ck_assert(sum > 0 && sum <= 1 + EPS);
	}
	kgr_eval_result_free(r);
	kgr_store_free(s);
}
END_TEST

/* ---------------------------------------------------------------- end to end */

/* Popularity on the tiny store, by hand. Test-phase fit (training + validation events),
 * distinct users per item: i1 3, i2 3, i3 3, i4 1, i5 0, i6 2 (u1's test i4, u2's test i5 and
 * u3's test i1 are not counted). u1 (seen i1 i2 i3) ranks i4 2nd behind i6; u2 (seen i1 i2
 * i4) ranks i5 3rd behind i3 and i6; u3 (seen i2 i3) ranks i1 1st. */
START_TEST(pop_by_hand)
{
	kgr_store *s = tiny_store();
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	size_t ks[] = { 1, 2, 5 };
	kgr_eval_result *r;
	o.ks = ks;
	o.n_ks = 3;
	r = run(s, &o);
	ck_assert_str_eq(r->ranker, "pop");
	ck_assert_str_eq(r->protocol, "loo");
	ck_assert_uint_eq(r->items, 6);
	ck_assert_uint_eq(r->test.users, 3);
	ck_assert_uint_eq(r->train_events, 9);
	ck_assert_uint_eq(r->valid_events, 3);
	ck_assert_uint_eq(r->test_events, 3);
	ck_assert_double_eq_tol(r->test.hr[0], 1.0 / 3, EPS);
	ck_assert_double_eq_tol(r->test.hr[1], 2.0 / 3, EPS);
	ck_assert_double_eq_tol(r->test.hr[2], 1.0, EPS);
	ck_assert_double_eq_tol(r->test.ndcg[0], 1.0 / 3, EPS);
	ck_assert_double_eq_tol(r->test.ndcg[1], (1.0 / log2(3.0) + 1.0) / 3, EPS);
	ck_assert_double_eq_tol(r->test.ndcg[2], (1.0 / log2(3.0) + 0.5 + 1.0) / 3, EPS);
	ck_assert_double_eq_tol(r->test.mrr, (0.5 + 1.0 / 3 + 1.0) / 3, EPS);
	/* top-5 lists: u1 {i6 i4 i5}, u2 {i3 i6 i5}, u3 {i1 i6 i4 i5}: 5 of 6 items */
	ck_assert_double_eq_tol(r->test.coverage, 5.0 / 6, EPS);
	ck_assert_int_eq(r->explain.measured, 0);
	kgr_eval_result_free(r);
	kgr_store_free(s);
}
END_TEST

/* Sampled protocol with the negatives file: u1 ranks i4 (1) against i5 (0): 1st; u2 ranks i5
 * (0) against i6 (2) and i3 (3): 3rd; u3 ranks i1 (3) against i5 (0) and i4 (1): 1st. */
START_TEST(sampled_file_by_hand)
{
	kgr_store *s = tiny_store();
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	size_t ks[] = { 1, 3 };
	kgr_eval_result *r;
	o.protocol = KGR_EVAL_SAMPLED;
	o.negatives_path = KGR_TEST_DATA "/eval/tiny_negatives.txt";
	o.ks = ks;
	o.n_ks = 2;
	r = run(s, &o);
	ck_assert_str_eq(r->protocol, "sampled");
	ck_assert_double_eq_tol(r->test.hr[0], 2.0 / 3, EPS);
	ck_assert_double_eq_tol(r->test.hr[1], 1.0, EPS);
	ck_assert_double_eq_tol(r->test.mrr, (1.0 + 1.0 / 3 + 1.0) / 3, EPS);
	kgr_eval_result_free(r);
	kgr_store_free(s);
}
END_TEST

START_TEST(deterministic_with_seed)
{
	kgr_store *s = tiny_store();
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	kgr_eval_result *a, *b;
	size_t i;
	const char *rankers[] = { "pop", "itemknn", "graph" };
	kgr_eval_protocol protos[] = { KGR_EVAL_LOO, KGR_EVAL_SAMPLED };
	for (i = 0; i < 6; i++) {
		o.ranker = rankers[i % 3];
		o.protocol = protos[i / 3];
		o.n_negatives = 3;
		o.max_users = 2;
		o.seed = 1234;
		a = run(s, &o);
		b = run(s, &o);
		ck_assert_uint_eq(a->test.users, 2);
		ck_assert_str_eq(a->params, b->params);
		ck_assert(memcmp(a->test.hr, b->test.hr, sizeof(a->test.hr)) == 0);
		ck_assert(memcmp(a->test.ndcg, b->test.ndcg, sizeof(a->test.ndcg)) == 0);
		ck_assert(a->test.mrr == b->test.mrr);
		ck_assert(a->test.coverage == b->test.coverage);
		ck_assert(memcmp(a->valid.ndcg, b->valid.ndcg, sizeof(a->valid.ndcg)) == 0);
		kgr_eval_result_free(a);
		kgr_eval_result_free(b);
	}
	kgr_store_free(s);
}
END_TEST

START_TEST(result_json)
{
	kgr_store *s = tiny_store();
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	kgr_eval_result *r;
	char *json = NULL;
	o.ranker = "itemknn";
	o.params = "neighbours=2,decay=0.5";
	r = run(s, &o);
	ck_assert_str_eq(r->params, "neighbours=2,decay=0.5");
	ck_assert_uint_eq(r->tuned_configs, 0);
	ck_assert_int_eq(kgr_eval_result_json(&json, r), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"ranker\":\t\"itemknn\""));
	ck_assert_ptr_nonnull(strstr(json, "\"ndcg\""));
	ck_assert_ptr_nonnull(strstr(json, "\"10\""));
	ck_assert_ptr_nonnull(strstr(json, "\"seed\":\t\"42\""));
	free(json);
	kgr_eval_result_free(r);
	kgr_store_free(s);
}
END_TEST

START_TEST(bad_options)
{
	kgr_store *s = tiny_store();
	kgr_eval_options o = KGR_EVAL_OPTIONS_INIT;
	kgr_eval_result *r = NULL;
	kgr_eval_protocol p;
	size_t zero = 0;

	o.ranker = "magic";
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "unknown ranker 'magic'"));
	ck_assert_ptr_null(r);

	o.ranker = "itemknn";
	o.params = "neighbors=10";
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "no parameter 'neighbors'"));
	o.params = "decay=fast";
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "decay: 'fast' is not a number"));
	o.params = "decay=2";
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "decay"));
	o.params = NULL;

	o.ks = &zero;
	o.n_ks = 1;
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "cut-off 0"));
	o.ks = NULL;

	o.protocol = KGR_EVAL_SAMPLED;
	o.negatives_path = KGR_TEST_DATA "/eval/no_such_negatives.txt";
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "no_such_negatives.txt"));
	o.negatives_path = KGR_TEST_DATA "/eval/tiny_bad_negatives.txt";
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_EPARSE);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "tiny_bad_negatives.txt:2: unknown item 'i9'"));
	o.protocol = KGR_EVAL_LOO;
	ck_assert_int_eq(kgr_eval_run(&r, s, &o), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "sampled protocol"));

	ck_assert_int_eq(kgr_eval_protocol_parse(&p, "kfold"), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "unknown protocol 'kfold'"));
	ck_assert_int_eq(kgr_eval_protocol_parse(&p, "temporal"), 0);
	ck_assert_int_eq(p, KGR_EVAL_TEMPORAL);
	ck_assert_str_eq(kgr_eval_protocol_name(KGR_EVAL_SAMPLED), "sampled");
	kgr_store_free(s);
}
END_TEST

/* ---------------------------------------------------------------- converters */

static char convert_path[4096];

static const char *converter(void)
{
	const char *cli = getenv("KGR_CLI") ? getenv("KGR_CLI") : KGR_CLI;
	const char *slash = strrchr(cli, '/');
	snprintf(convert_path, sizeof(convert_path), "%.*s/kgrec-convert",
		slash ? (int)(slash - cli) : 1, slash ? cli : ".");
	return convert_path;
}

/* Runs kgrec-convert; stderr goes to err_path. Returns the exit status. */
static int convert(const char *dataset, const char *src, const char *out, const char *err_path)
{
	pid_t pid = fork();
	int status;
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		FILE *e = freopen(err_path, "w", stderr);
		(void)e;
		execl(converter(), converter(), dataset, src, "-o", out, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void same_file(const char *got, const char *want)
{
	char *a = slurp(got), *b = slurp(want);
	ck_assert_msg(strcmp(a, b) == 0, "%s differs from %s", got, want);
	free(a);
	free(b);
}

static void check_dataset(const char *name, size_t users, size_t items, size_t interactions)
{
	char tmp[] = "/tmp/kgr-test-convert-XXXXXX", src[512], got[600], want[600], err[600];
	kgr_store *s = NULL;
	kgr_interaction_options io = KGR_INTERACTION_OPTIONS_INIT;
	kgr_store_stats st;
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(src, sizeof(src), KGR_TEST_DATA "/eval/convert/%s", name);
	snprintf(err, sizeof(err), "%s/stderr", tmp);
	ck_assert_int_eq(convert(name, src, tmp, err), 0);
	snprintf(got, sizeof(got), "%s/graph.nt", tmp);
	snprintf(want, sizeof(want), KGR_TEST_DATA "/eval/convert/expected/%s.nt", name);
	same_file(got, want);
	/* what the converter wrote loads into a store: real RDF and a valid interaction log */
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_msg(kgr_store_load_rdf(s, got, NULL, NULL) == 0, "%s", kgr_error_last());
	unlink(got);
	snprintf(got, sizeof(got), "%s/interactions.csv", tmp);
	snprintf(want, sizeof(want), KGR_TEST_DATA "/eval/convert/expected/%s.csv", name);
	same_file(got, want);
	ck_assert_msg(kgr_store_load_interactions(s, got, &io) == 0, "%s", kgr_error_last());
	ck_assert_msg(kgr_store_finalize(s) == 0, "%s", kgr_error_last());
	kgr_store_get_stats(s, &st);
	ck_assert_uint_eq(st.users, users);
	ck_assert_uint_eq(st.items, items);
	ck_assert_uint_eq(st.interactions, interactions);
	kgr_store_free(s);
	unlink(got);
	unlink(err);
	rmdir(tmp);
}

START_TEST(convert_beauty)
{
	/* 2 users, items 1..5, 7 events; timestamps are the positions 1, 2, 3 ... per user */
	check_dataset("beauty", 2, 5, 7);
}
END_TEST

START_TEST(convert_sports)
{
	/* the Beauty format under its own file names and IRI base: 3 users, items 1..5, 8 events */
	check_dataset("sports", 3, 5, 8);
}
END_TEST

START_TEST(convert_toys)
{
	check_dataset("toys", 2, 4, 6);
}
END_TEST

START_TEST(convert_lastfm)
{
	/* 2 users; 4 artists typed kgr:Item (one with a shared DBpedia IRI keeps its own IRI);
	 * 4 listens from the CSV plus the 2 tagging events written in RDF */
	check_dataset("lastfm", 2, 4, 6);
}
END_TEST

START_TEST(convert_lastfm_s3rec)
{
	check_dataset("lastfm-s3rec", 2, 5, 6);
}
END_TEST

START_TEST(convert_movielens)
{
	/* 3 movies; 3 ratings and 2 tagging events; users 1, 2 and 567 (a tagger only) */
	check_dataset("movielens", 3, 3, 5);
}
END_TEST

START_TEST(convert_bad_input)
{
	char tmp[] = "/tmp/kgr-test-convert-XXXXXX", out[600], err[600], *msg;
	struct stat st;
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(out, sizeof(out), "%s/out", tmp);
	snprintf(err, sizeof(err), "%s/stderr", tmp);

	ck_assert_int_eq(convert("beauty", KGR_TEST_DATA "/eval/convert/bad/beauty", out, err), 1);
	msg = slurp(err);
	ck_assert_msg(strstr(msg, "bad/beauty/Beauty.txt:2: item id 'x' is not a number"), "%s", msg);
	free(msg);
	/* nothing half-written is left behind */
	snprintf(out, sizeof(out), "%s/out/graph.nt", tmp);
	ck_assert_int_ne(stat(out, &st), 0);

	snprintf(out, sizeof(out), "%s/out", tmp);
	ck_assert_int_eq(convert("movielens", KGR_TEST_DATA "/eval/convert/bad/movielens", out, err), 1);
	msg = slurp(err);
	ck_assert_msg(strstr(msg, "bad/movielens/ratings.csv:3: expected"), "%s", msg);
	free(msg);

	ck_assert_int_eq(convert("lastfm", KGR_TEST_DATA "/eval/convert/missing", out, err), 1);
	msg = slurp(err);
	ck_assert_msg(strstr(msg, "convert/missing/dbpedia_mapping/MappingLastfm2DBpedia-1.2.tsv"), "%s", msg);
	free(msg);

	/* each Amazon dataset reads its own file names */
	ck_assert_int_eq(convert("sports", KGR_TEST_DATA "/eval/convert/beauty", out, err), 1);
	msg = slurp(err);
	ck_assert_msg(strstr(msg, "convert/beauty/Sports_and_Outdoors.txt"), "%s", msg);
	free(msg);
	ck_assert_int_eq(convert("toys", KGR_TEST_DATA "/eval/convert/sports", out, err), 1);
	msg = slurp(err);
	ck_assert_msg(strstr(msg, "convert/sports/Toys_and_Games.txt"), "%s", msg);
	free(msg);

	ck_assert_int_eq(convert("imdb", KGR_TEST_DATA "/eval/convert/beauty", out, err), 2);
	msg = slurp(err);
	ck_assert_ptr_nonnull(strstr(msg, "unknown dataset 'imdb'"));
	free(msg);
	unlink(err);
	rmdir(out);
	rmdir(tmp);
}
END_TEST

static Suite *eval_suite(void)
{
	Suite *s = suite_create("eval");
	TCase *m = tcase_create("metrics"), *sp = tcase_create("split"),
		*h = tcase_create("harness"), *c = tcase_create("convert");
	tcase_add_test(m, ndcg_one_relevant);
	tcase_add_test(m, ndcg_k_beyond_list);
	tcase_add_test(m, ndcg_several_relevant);
	tcase_add_test(m, rank_ties);
	tcase_add_test(m, rank_ties_vary_with_seed);
	tcase_add_test(m, rank_skip);
	tcase_add_test(sp, split_loo);
	tcase_add_test(sp, split_temporal);
	tcase_add_test(sp, split_action_filter);
	tcase_add_test(sp, split_same_second_in_file_order);
	tcase_add_test(h, no_leak_pop);
	tcase_add_test(h, no_leak_itemknn);
	tcase_add_test(h, no_leak_graph);
	tcase_add_test(h, no_leak_sequence);
	tcase_add_test(h, sequence_params_and_seed);
	tcase_add_test(h, graph_explains);
	tcase_add_test(h, pop_by_hand);
	tcase_add_test(h, sampled_file_by_hand);
	tcase_add_test(h, deterministic_with_seed);
	tcase_add_test(h, result_json);
	tcase_add_test(h, bad_options);
	tcase_add_test(c, convert_beauty);
	tcase_add_test(c, convert_sports);
	tcase_add_test(c, convert_toys);
	tcase_add_test(c, convert_lastfm);
	tcase_add_test(c, convert_lastfm_s3rec);
	tcase_add_test(c, convert_movielens);
	tcase_add_test(c, convert_bad_input);
	tcase_set_timeout(h, 60);
	suite_add_tcase(s, m);
	suite_add_tcase(s, sp);
	suite_add_tcase(s, h);
	suite_add_tcase(s, c);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(eval_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
