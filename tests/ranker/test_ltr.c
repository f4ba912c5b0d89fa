/* The learned ranker's parts: the item-kNN feature against a count done here from the
 * interactions, the flat-array trees against XGBoost's own predictions and contributions,
 * contributions that add up to the score, the model file round trip, and determinism. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xgboost/c_api.h>

#include "kgrec/learned.h"
#include "ranker/ltr_internal.h"
#include "ranker/seq_internal.h"
#include "tests/common/testutil.h"

static kgr_store *shop(void)
{
	kgr_store *s = NULL;
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_msg(kgr_store_load_rdf(s, KGR_SOURCE_DIR "/examples/catalog.ttl", NULL, NULL) == 0,
		"%s", kgr_error_last());
	ck_assert_msg(kgr_store_load_interactions(s, KGR_SOURCE_DIR "/examples/interactions.csv", &o) == 0,
		"%s", kgr_error_last());
	ck_assert_msg(kgr_store_finalize(s) == 0, "%s", kgr_error_last());
	return s;
}

/* The same quads as store a, read back from N-Quads written in reverse order, then the same
 * interactions: the same data with its terms numbered otherwise. */
static kgr_store *shop_renumbered(const kgr_store *a)
{
	kgr_store *s = NULL;
	kgr_interaction_options o = KGR_INTERACTION_OPTIONS_INIT;
	char path[] = "/tmp/kgr-ltr-XXXXXX.nq", t[4096];
	const kgr_quad *q;
	size_t n, i;
	int fd = mkstemps(path, 3);
	FILE *f;
	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	q = kgr_store_quads(a, &n);
	for (i = n; i-- > 0;) {
		kgr_id terms[4] = { q[i].s, q[i].p, q[i].o, q[i].g };
		int k;
		for (k = 0; k < (q[i].g ? 4 : 3); k++) {
			ck_assert_uint_lt(kgr_term_to_ntriples(a, terms[k], t, sizeof(t)), sizeof(t));
			fprintf(f, "%s ", t);
		}
		fputs(".\n", f);
	}
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(kgr_store_new(&s, 1), 0);
	ck_assert_msg(kgr_store_load_rdf(s, path, NULL, NULL) == 0, "%s", kgr_error_last());
	ck_assert_msg(kgr_store_load_interactions(s, KGR_SOURCE_DIR "/examples/interactions.csv", &o) == 0,
		"%s", kgr_error_last());
	ck_assert_msg(kgr_store_finalize(s) == 0, "%s", kgr_error_last());
	unlink(path);
	return s;
}

static kgr_model *train(const kgr_store *s, uint64_t seed)
{
	kgr_learn_options lo = KGR_LEARN_OPTIONS_INIT;
	kgr_learn_report rep;
	kgr_model *m = NULL;
	lo.seed = seed;
	lo.threads = 1;
	lo.rounds = 40;
	ck_assert_msg(kgr_model_train(&m, s, &lo, &rep) == 0, "%s", kgr_error_last());
	ck_assert_uint_gt(rep.groups, 5);
	ck_assert_uint_eq(rep.rounds, 40);
	return m;
}

/* Distinct users who took both a and b, and interactions with a, from the store's table. */
static void counts(const kgr_interaction *ev, size_t n, kgr_id a, kgr_id b, double *both, double *na)
{
	size_t i, j, k;
	*both = *na = 0;
	for (i = 0; i < n; i = j) {
		int has_a = 0, has_b = 0;
		for (j = i; j < n && ev[j].user == ev[i].user; j++)
			;
		for (k = i; k < j; k++) {
			has_a |= ev[k].item == a;
			has_b |= ev[k].item == b;
			*na += ev[k].item == a;
		}
		*both += has_a && has_b;
	}
}

START_TEST(knn_feature_is_the_cosine_of_co_interactions)
{
	kgr_store *s = shop();
	kgr_graph *g = NULL;
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr__ltr_cands c;
	size_t n_ev, n_hist, i, checked = 0;
	const kgr_interaction *ev = kgr_store_interactions(s, &n_ev);
	kgr_id user = kgr_store_resolve(s, "u001");
	const kgr_interaction *hist = kgr_store_user_interactions(s, user, &n_hist);
	ck_assert_msg(kgr_graph_new(&g, s, NULL) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(kgr__ltr_candidates(&c, g, user, &ro, 200, 100, 0, NULL), 0);
	ck_assert_uint_gt(c.n, 10);
	for (i = 0; i < c.n; i++) {
		kgr_id x = g->node_id[c.node[i]];
		double want = 0, want07 = 0, w07 = 1, nx, both, nh, dummy;
		size_t j;
		counts(ev, n_ev, x, x, &dummy, &nx);
		for (j = n_hist; j-- > 0; w07 *= 0.7) {
			counts(ev, n_ev, hist[j].item, x, &both, &nh);
			if (hist[j].item == x)
				continue;
			want += both / sqrt(nh * nx);
			want07 += w07 * both / sqrt(nh * nx);
		}
		ck_assert_msg(fabs(c.x[i * KGR__LTR_NF + KGR__LTR_KNN] - want) < 1e-4,
			"knn of candidate %zu: %g, counted %g", i, c.x[i * KGR__LTR_NF + KGR__LTR_KNN], want);
		ck_assert_msg(fabs(c.x[i * KGR__LTR_NF + KGR__LTR_KNN_D07] - want07) < 1e-4,
			"knn_d07 of candidate %zu: %g, counted %g", i, c.x[i * KGR__LTR_NF + KGR__LTR_KNN_D07], want07);
		for (j = 0; j < n_hist; j++)
			ck_assert_msg(hist[j].item != x, "a seen item is a candidate");
		checked += want > 0;
	}
	ck_assert_uint_gt(checked, 5);
	/* each candidate's rank among every item the item-kNN reached (1 + the items scored
	 * higher at decay 0.7, or as high with a lower node), against the scores of every item
	 * counted here (a tie within rounding may go either way); the item-kNN's own candidates
	 * come in that order */
	{
		size_t n_items, y, last_knn = 0, ranked = 0;
		const kgr_id *items = kgr_store_items(s, &n_items);
		double *sc = calloc(n_items, sizeof(double));
		for (y = 0; y < n_items; y++) {
			double w07 = 1, ny, both, nh, dummy;
			size_t j;
			counts(ev, n_ev, items[y], items[y], &dummy, &ny);
			for (j = n_hist; ny > 0 && j-- > 0; w07 *= 0.7)
				if (hist[j].item != items[y]) {
					counts(ev, n_ev, hist[j].item, items[y], &both, &nh);
					sc[y] += w07 * both / sqrt(nh * ny);
				}
		}
		for (i = 0; i < c.n; i++) {
			float rank = c.x[i * KGR__LTR_NF + KGR__LTR_KNN_RANK];
			double mine = c.x[i * KGR__LTR_NF + KGR__LTR_KNN_D07];
			size_t above = 0, near = 0, reached = 0;
			uint32_t node = c.node[i];
			for (y = 0; y < n_items; y++) {
				uint32_t ny = kgr__node_of(g, items[y]);
				if (sc[y] <= 0 || ny == node)
					continue;
				reached++;
				if (sc[y] > mine + 1e-5 || (fabs(sc[y] - mine) <= 1e-5 && ny < node))
					above++;
				else if (fabs(sc[y] - mine) <= 1e-5)
					near++;
			}
			if (mine <= 0) { /* not reached: ranked after all that were */
				ck_assert_msg(rank == (float)(reached + 1), "candidate %zu unreached: rank %g, "
					"%zu reached", i, rank, reached);
				continue;
			}
			ranked++;
			ck_assert_msg(rank >= (float)(above + 1) && rank <= (float)(above + near + 1),
				"candidate %zu: rank %g, %zu items above it, %zu as high", i, rank, above, near);
			if (c.graph_ix[i] < 0) {
				ck_assert_msg(rank > (float)last_knn, "candidate %zu of the item-kNN: rank %g "
					"after %zu", i, rank, last_knn);
				last_knn = (size_t)rank;
			}
		}
		ck_assert_uint_gt(ranked, 5);
		ck_assert_uint_gt(last_knn, 0);
		free(sc);
	}
	kgr__ltr_cands_free(&c);
	kgr_graph_free(g);
	kgr_store_free(s);
}
END_TEST

/* Item statistics by a scan of each candidate's whole interaction list: the counts up to the
 * user's last event and within a half-life before it, at cuts all through the users'
 * histories (so the searches start from both ends of the list). */
static void check_item_stats(const kgr_graph *g, const kgr__ltr_cands *c, int64_t t_ref)
{
	int64_t hl = (int64_t)(g->half_life > 0 ? g->half_life : 1.0);
	size_t i;
	for (i = 0; i < c->n; i++) {
		const float *f = c->x + i * KGR__LTR_NF;
		uint32_t x = c->node[i], j, upto = 0, recent = 0;
		int64_t newest = 0;
		if (x >= g->int_cap_nodes || g->iu_end[x] == g->iu_off[x])
			continue;
		for (j = g->iu_off[x]; j < g->iu_end[x]; j++) {
			int64_t t = g->ints[g->iu[j]].time;
			if (t <= t_ref) {
				upto++;
				newest = t;
				recent += t > t_ref - hl;
			}
		}
		ck_assert_msg(fabsf(f[KGR__LTR_POP_RECENT] - (float)log1p((double)recent)) < 1e-6,
			"recent popularity of candidate %zu at %lld: %g, counted %u", i, (long long)t_ref,
			f[KGR__LTR_POP_RECENT], recent);
		if (upto)
			ck_assert_msg(fabsf(f[KGR__LTR_ITEM_IDLE] - (float)((double)(t_ref - newest) /
				(g->half_life > 0 ? g->half_life : 1.0))) < 1e-4,
				"idle time of candidate %zu at %lld: %g, newest %lld of %u", i, (long long)t_ref, f[KGR__LTR_ITEM_IDLE], (long long)newest, upto);
		else
			ck_assert_msg(f[KGR__LTR_ITEM_IDLE] == -1.0f, "candidate %zu unseen before %lld", i,
				(long long)t_ref);
	}
}

START_TEST(item_statistics_are_counted_from_the_interactions)
{
	kgr_store *s = shop();
	kgr_graph *g = NULL;
	static const char *const users[] = { "u001", "u002", "u003", "u004", "u005", "u010", "u020" };
	size_t u, checked = 0;
	ck_assert_msg(kgr_graph_new(&g, s, NULL) == 0, "%s", kgr_error_last());
	for (u = 0; u < sizeof(users) / sizeof(*users); u++) {
		kgr_id user = kgr_store_resolve(s, users[u]);
		uint32_t un = kgr__node_of(g, user), a = g->hist_off[un], n = g->hist_len[un], h;
		ck_assert_uint_gt(n, 1);
		for (h = 1; h <= n; h++) {
			/* the events before the (h+1)th of the graph's history (all of them at the end) */
			kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
			kgr__ltr_cands c;
			uint32_t b = a + h;
			ro.at = h < n ? g->ints[a + h].time : 0;
			while (ro.at && b > a && g->ints[b - 1].time >= ro.at)
				b--;
			if (b == a)
				continue;
			ck_assert_int_eq(kgr__ltr_candidates(&c, g, user, &ro, 200, 100, 0, NULL), 0);
			check_item_stats(g, &c, g->ints[b - 1].time);
			checked += c.n;
			kgr__ltr_cands_free(&c);
		}
	}
	ck_assert_uint_gt(checked, 100);
	kgr_graph_free(g);
	kgr_store_free(s);
}
END_TEST

START_TEST(trees_score_as_xgboost_does)
{
	kgr_store *s = shop();
	kgr_model *m = train(s, 7);
	kgr_graph *g = NULL;
	size_t n_users, u, i, k, rows = 0, w = KGR__LTR_NF + 1;
	const kgr_id *users = kgr_store_users(s, &n_users);
	ck_assert_msg(kgr_graph_new(&g, s, NULL) == 0, "%s", kgr_error_last());
	for (u = 0; u < n_users && u < 40; u++) {
		kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
		kgr__ltr_cands c;
		float *a, *b, *ca, *cb;
		ck_assert_int_eq(kgr__ltr_candidates(&c, g, users[u], &ro, 200, 100, 0, NULL), 0);
		if (!c.n) {
			kgr__ltr_cands_free(&c);
			continue;
		}
		a = malloc(c.n * sizeof(float));
		b = malloc(c.n * sizeof(float));
		ca = malloc(c.n * w * sizeof(float));
		cb = malloc(c.n * w * sizeof(float));
		ck_assert_int_eq(kgr__ltr_predict(m, c.x, c.n, a), 0);
		ck_assert_int_eq(kgr__ltr_xgb_predict(m, c.x, c.n, 1, b), 0);
		ck_assert_int_eq(kgr__ltr_contribs(m, c.x, c.n, ca), 0);
		ck_assert_int_eq(kgr__ltr_xgb_predict(m, c.x, c.n, 3, cb), 0);
		for (i = 0; i < c.n; i++) {
			double sum = 0;
			ck_assert_msg(a[i] == b[i], "row %zu: %.9g here, %.9g by XGBoost", i, a[i], b[i]);
			for (k = 0; k < w; k++) {
				ck_assert_msg(fabsf(ca[i * w + k] - cb[i * w + k]) < 1e-4f,
					"row %zu feature %zu: contribution %g here, %g by XGBoost", i, k,
					ca[i * w + k], cb[i * w + k]);
				sum += ca[i * w + k];
			}
			ck_assert_msg(fabs(sum - a[i]) < 1e-3, "row %zu: contributions %g, score %g", i, sum, a[i]);
		}
		rows += c.n;
		free(a);
		free(b);
		free(ca);
		free(cb);
		kgr__ltr_cands_free(&c);
	}
	ck_assert_uint_gt(rows, 1000);
	kgr_graph_free(g);
	kgr_model_free(m);
	kgr_store_free(s);
}
END_TEST

/* The flat trees against XGBoost on the rows requests make, on the same rows with missing
 * and extreme values, by every walk, and on every row count from 1 to 70 against the scores
 * of one long run. */
START_TEST(trees_score_missing_values_as_xgboost_does)
{
	kgr_store *s = shop();
	kgr_model *m = train(s, 11);
	kgr_graph *g = NULL;
	size_t n_users, u, i, n = 0, cap = 4096, len, w = KGR__LTR_NF + 1;
	const kgr_id *users = kgr_store_users(s, &n_users);
	float *x = malloc(cap * KGR__LTR_NF * sizeof(float)), *a, *b;
	unsigned seed = 7;
	int walk, walks = 0;
	ck_assert_msg(kgr_graph_new(&g, s, NULL) == 0, "%s", kgr_error_last());
	for (u = 0; u < n_users && n < cap / 2; u++) {
		kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
		kgr__ltr_cands cd;
		ck_assert_int_eq(kgr__ltr_candidates(&cd, g, users[u], &ro, 200, 100, 0, NULL), 0);
		for (i = 0; i < cd.n && n < cap / 2; i++, n++)
			memcpy(x + n * KGR__LTR_NF, cd.x + i * KGR__LTR_NF, KGR__LTR_NF * sizeof(float));
		kgr__ltr_cands_free(&cd);
	}
	ck_assert_uint_gt(n, 500);
	/* a perturbed copy of every row: a missing value in about a fifth of the entries, a
	 * zero or a huge value in some */
	for (i = 0; i < n * KGR__LTR_NF; i++) {
		float v = x[i];
		seed = seed * 1103515245u + 12345u;
		switch ((seed >> 16) % 10) {
		case 0: case 1: v = NAN; break;
		case 2: v = 0; break;
		case 3: v = (seed >> 8) & 1 ? 1e30f : -1e30f; break;
		default: break;
		}
		x[n * KGR__LTR_NF + i] = v;
	}
	n *= 2;
	a = malloc(n * sizeof(float));
	b = malloc(n * sizeof(float));
	ck_assert_int_eq(kgr__ltr_predict(m, x, n, a), 0);
	ck_assert_int_eq(kgr__ltr_xgb_predict(m, x, n, 1, b), 0);
	for (i = 0; i < n; i++)
		ck_assert_msg(a[i] == b[i], "row %zu: %.9g here, %.9g by XGBoost", i, a[i], b[i]);
	/* every walk this processor has, on every row count from 1 to 70 (whole and partial
	 * groups of the 8 and the 4 x 16 rows walked together) */
	ck_assert(kgr__ltr_trees_walks(m->trees, KGR__LTR_WALK_COMPLETE));
	for (walk = KGR__LTR_WALK_NODES; walk <= KGR__LTR_WALK_WIDE; walk++) {
		if (!kgr__ltr_trees_walks(m->trees, (kgr__ltr_walk)walk))
			continue;
		walks++;
		for (len = 1; len <= 70; len++) {
			size_t from = (len * 37) % (n - len);
			kgr__ltr_trees_predict_with(m->trees, x + from * KGR__LTR_NF, len, a,
				(kgr__ltr_walk)walk);
			for (i = 0; i < len; i++)
				ck_assert_msg(a[i] == b[from + i], "walk %d, %zu rows from %zu, row %zu: "
					"%.9g, by XGBoost %.9g", walk, len, from, i, a[i], b[from + i]);
		}
	}
	ck_assert_int_ge(walks, 2);
	free(a);
	free(b);
	/* contributions along the complete trees: the node walk's, value for value */
	a = malloc(n * w * sizeof(float));
	b = malloc(n * w * sizeof(float));
	kgr__ltr_trees_contribs_with(m->trees, x, n, a, KGR__LTR_WALK_COMPLETE);
	kgr__ltr_trees_contribs_with(m->trees, x, n, b, KGR__LTR_WALK_NODES);
	for (i = 0; i < n * w; i++)
		ck_assert_msg(a[i] == b[i], "row %zu, contribution %zu: %.9g along the complete "
			"trees, %.9g by the node walk", i / w, i % w, a[i], b[i]);
	/* ... and from the leaves each walk along the complete trees kept, for rows picked out of
	 * order (as the items shown are): the same values again; the node walk keeps none */
	{
		size_t nt = kgr__ltr_trees_count(m->trees), *pick = malloc(n * sizeof(size_t)), np = 0;
		uint8_t *leaves = malloc(nt * n);
		float *sc = malloc(n * sizeof(float)), *cl = malloc(n * w * sizeof(float));
		for (i = n; i-- > 0;)
			if (i % 3 != 1)
				pick[np++] = i;
		ck_assert_int_eq(kgr__ltr_trees_predict_leaves(m->trees, x, n, sc, leaves,
			KGR__LTR_WALK_NODES), 0);
		for (walk = KGR__LTR_WALK_COMPLETE; walk <= KGR__LTR_WALK_WIDE; walk++) {
			size_t q;
			if (!kgr__ltr_trees_walks(m->trees, (kgr__ltr_walk)walk))
				continue;
			memset(leaves, 0xff, nt * n);
			ck_assert_int_eq(kgr__ltr_trees_predict_leaves(m->trees, x, n, sc, leaves,
				(kgr__ltr_walk)walk), 1);
			kgr__ltr_trees_contribs_leaves(m->trees, leaves, n, pick, np, cl);
			for (q = 0; q < np; q++)
				for (i = 0; i < w; i++)
					ck_assert_msg(cl[q * w + i] == a[pick[q] * w + i], "walk %d, row %zu, "
						"contribution %zu: %.9g from the leaves, %.9g along the trees", walk,
						pick[q], i, cl[q * w + i], a[pick[q] * w + i]);
		}
		free(pick);
		free(leaves);
		free(sc);
		free(cl);
	}
	free(a);
	free(b);
	free(x);
	kgr_graph_free(g);
	kgr_model_free(m);
	kgr_store_free(s);
}
END_TEST

/* A request's k items are the first k of the whole learned order (the request puts only the
 * best few in order, and more of them when require_path skips many or evidence is looked up
 * for more): the same items, scores, evidence and contributions for every user, k and
 * require_path. */
START_TEST(first_k_items_are_those_of_the_whole_order)
{
	kgr_store *s = shop();
	kgr_model *m = train(s, 5);
	kgr_graph *g = NULL;
	size_t n_users, u, k, i, partial = 0;
	const kgr_id *users = kgr_store_users(s, &n_users);
	int req;
	ck_assert_msg(kgr_graph_new(&g, s, NULL) == 0, "%s", kgr_error_last());
	for (u = 0; u < n_users; u++)
		for (req = 0; req < 2; req++)
			for (k = 1; k <= 12; k++) {
				kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
				kgr_recs *a = NULL, *b = NULL;
				ro.k = k;
				ro.explain = 1;
				ro.require_path = req;
				ck_assert_msg(kgr_learned_recommend(&a, g, m, users[u], &ro) == 0, "%s",
					kgr_error_last());
				ck_assert_int_eq(kgr__learned_rank(&b, g, m, users[u], &ro, k, SIZE_MAX, 1), 0);
				ck_assert_uint_eq(a->n, b->n < k ? b->n : k);
				ck_assert_uint_eq(a->n_candidates, b->n_candidates);
				partial += b->n_candidates > 4 * (2 * k + 8);
				for (i = 0; i < a->n; i++) {
					const kgr_rec_item *x = &a->items[i], *y = &b->items[i];
					ck_assert_msg(x->item == y->item, "user %zu, k %zu, require_path %d, item %zu",
						u, k, req, i);
					ck_assert(x->score == y->score);
					ck_assert_uint_eq(x->n_paths, y->n_paths);
					ck_assert_uint_eq(x->n_contribs, y->n_contribs);
					ck_assert(x->contribs[0].contribution == y->contribs[0].contribution);
				}
				/* evidence looked up for more than are kept: the order is extended past the
				 * best few, and the first k are still those of the whole order */
				kgr_recs_free(a);
				ck_assert_int_eq(kgr__learned_rank(&a, g, m, users[u], &ro, 40, k, 1), 0);
				kgr_recs_free(b);
				ck_assert_int_eq(kgr__learned_rank(&b, g, m, users[u], &ro, 40, SIZE_MAX, 1), 0);
				ck_assert_uint_eq(a->n, b->n < k ? b->n : k);
				for (i = 0; i < a->n; i++) {
					ck_assert(a->items[i].item == b->items[i].item);
					ck_assert(a->items[i].score == b->items[i].score);
					ck_assert_uint_eq(a->items[i].n_paths, b->items[i].n_paths);
				}
				kgr_recs_free(a);
				kgr_recs_free(b);
			}
	/* lists long enough that only the best few were put in order */
	ck_assert_uint_gt(partial, 0);
	kgr_graph_free(g);
	kgr_model_free(m);
	kgr_store_free(s);
}
END_TEST

/* Trees of every depth the vector walk takes (1 to 6: one register of split conditions per
 * level up to 16 nodes, two above; 2 to 64 leaves) and 7 (the scalar walks alone where the
 * trees grow that deep), by every walk, against XGBoost; and at every depth the contributions
 * from the leaves each walk along the complete trees kept, against the node walk's. */
START_TEST(trees_of_every_depth_score_as_xgboost_does)
{
	kgr_store *s = shop();
	kgr_graph *g = NULL;
	size_t n_users, u, i, n = 0, cap = 600;
	const kgr_id *users = kgr_store_users(s, &n_users);
	float *x = malloc(cap * KGR__LTR_NF * sizeof(float)), *a = malloc(cap * sizeof(float));
	float *b = malloc(cap * sizeof(float));
	int depth, walk, wide = 0;
	ck_assert_msg(kgr_graph_new(&g, s, NULL) == 0, "%s", kgr_error_last());
	for (u = 0; u < n_users && n < cap; u++) {
		kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
		kgr__ltr_cands cd;
		ck_assert_int_eq(kgr__ltr_candidates(&cd, g, users[u], &ro, 200, 100, 0, NULL), 0);
		for (i = 0; i < cd.n && n < cap; i++, n++)
			memcpy(x + n * KGR__LTR_NF, cd.x + i * KGR__LTR_NF, KGR__LTR_NF * sizeof(float));
		kgr__ltr_cands_free(&cd);
	}
	ck_assert_uint_gt(n, 300);
	for (depth = 1; depth <= 7; depth++) {
		kgr_learn_options lo = KGR_LEARN_OPTIONS_INIT;
		kgr_learn_report rep;
		kgr_model *m = NULL;
		lo.seed = 3;
		lo.threads = 1;
		lo.rounds = 12;
		lo.max_depth = depth;
		ck_assert_msg(kgr_model_train(&m, s, &lo, &rep) == 0, "%s", kgr_error_last());
		ck_assert_int_eq(kgr__ltr_xgb_predict(m, x, n, 1, b), 0);
		for (walk = KGR__LTR_WALK_NODES; walk <= KGR__LTR_WALK_WIDE; walk++) {
			if (!kgr__ltr_trees_walks(m->trees, (kgr__ltr_walk)walk))
				continue;
			wide += walk == KGR__LTR_WALK_WIDE;
			kgr__ltr_trees_predict_with(m->trees, x, n, a, (kgr__ltr_walk)walk);
			for (i = 0; i < n; i++)
				ck_assert_msg(a[i] == b[i], "depth %d, walk %d, row %zu: %.9g, by XGBoost %.9g",
					depth, walk, i, a[i], b[i]);
			if (walk != KGR__LTR_WALK_NODES) { /* the contributions from its leaves */
				size_t w = KGR__LTR_NF + 1, nt = kgr__ltr_trees_count(m->trees);
				size_t *all = malloc(n * sizeof(size_t));
				uint8_t *leaves = malloc(nt * n);
				float *ca = malloc(n * w * sizeof(float)), *cb = malloc(n * w * sizeof(float));
				for (i = 0; i < n; i++)
					all[i] = i;
				ck_assert_int_eq(kgr__ltr_trees_predict_leaves(m->trees, x, n, a, leaves,
					(kgr__ltr_walk)walk), 1);
				kgr__ltr_trees_contribs_leaves(m->trees, leaves, n, all, n, ca);
				kgr__ltr_trees_contribs_with(m->trees, x, n, cb, KGR__LTR_WALK_NODES);
				for (i = 0; i < n * w; i++)
					ck_assert_msg(ca[i] == cb[i], "depth %d, walk %d, row %zu, contribution "
						"%zu: %.9g from the leaves, %.9g by the node walk", depth, walk, i / w,
						i % w, ca[i], cb[i]);
				free(all);
				free(leaves);
				free(ca);
				free(cb);
			}
		}
		kgr_model_free(m);
	}
	/* where the processor has the vector walk, it took every depth up to 6 */
	ck_assert(wide == 0 || wide >= 6);
	free(x);
	free(a);
	free(b);
	kgr_graph_free(g);
	kgr_store_free(s);
}
END_TEST

START_TEST(model_file_round_trip_and_determinism)
{
	kgr_store *s = shop();
	kgr_model *m = train(s, 11), *m2 = train(s, 11), *m3 = train(s, 12), *back = NULL;
	kgr_graph *g = NULL;
	kgr_recs *r1 = NULL, *r2 = NULL;
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	char path[] = "/tmp/kgr-ltr-XXXXXX";
	char snap[17];
	size_t i;
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_str_eq(kgr_model_checksum(m), kgr_model_checksum(m2));
	ck_assert_str_ne(kgr_model_checksum(m), kgr_model_checksum(m3));
	kgr_store_checksum_hex(s, snap);
	ck_assert_str_eq(kgr_model_snapshot(m), snap);
	ck_assert_msg(kgr_model_save(m, path) == 0, "%s", kgr_error_last());
	ck_assert_msg(kgr_model_load(&back, path) == 0, "%s", kgr_error_last());
	ck_assert_str_eq(kgr_model_checksum(back), kgr_model_checksum(m));
	ck_assert_msg(kgr_graph_new(&g, s, NULL) == 0, "%s", kgr_error_last());
	ro.k = 10;
	ro.explain = 1;
	ck_assert_int_eq(kgr_learned_recommend(&r1, g, m, kgr_store_resolve(s, "u002"), &ro), 0);
	ck_assert_int_eq(kgr_learned_recommend(&r2, g, back, kgr_store_resolve(s, "u002"), &ro), 0);
	ck_assert_uint_eq(r1->n, 10);
	ck_assert_uint_eq(r1->n, r2->n);
	for (i = 0; i < r1->n; i++) {
		ck_assert_uint_eq(r1->items[i].item, r2->items[i].item);
		ck_assert(r1->items[i].score == r2->items[i].score);
		ck_assert_uint_gt(r1->items[i].n_paths, 0);
		ck_assert_uint_eq(r1->items[i].n_contribs, KGR__LTR_NF + 1);
		if (i)
			ck_assert(r1->items[i].score <= r1->items[i - 1].score);
	}
	kgr_recs_free(r1);
	kgr_recs_free(r2);
	kgr_graph_free(g);
	unlink(path);
	kgr_model_free(m);
	kgr_model_free(m2);
	kgr_model_free(m3);
	kgr_model_free(back);
	kgr_store_free(s);
}
END_TEST

/* A model fitted with the sequence model's scores: the sequence model it learned from never
 * trained on a held-back event, the one it ranks with (the refit) trained with them and then
 * on every event (level 2; at level 1 without its own validation events), and without the
 * refit it ranks with the first; every candidate
 * of a known item gets the three features (ranks 1..n),
 * the lists are the same after a save and load with the sequence model's file, and without
 * one ranking is refused with a message that says what to give. */
START_TEST(sequence_features)
{
	kgr_store *s = shop();
	kgr_learn_options lo = KGR_LEARN_OPTIONS_INIT;
	kgr_seq_options so = KGR_SEQ_OPTIONS_INIT;
	kgr_learn_report rep;
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr_model *m = NULL, *back = NULL, *plain = NULL, *first = NULL;
	kgr_seq_model *seq = NULL;
	size_t all_positions = 0, users2 = 0;
	kgr_graph *g = NULL;
	kgr_recs *r1 = NULL, *r2 = NULL;
	kgr__ltr_cands c;
	const kgr_interaction *ev;
	size_t n_ev, i, j, positions = 0;
	char mpath[] = "/tmp/kgrec-ltrseq-XXXXXX", spath[64];
	kgr_id u = kgr_store_resolve(s, "u002");
	int fd = mkstemp(mpath);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(spath, sizeof(spath), "%s.seq", mpath);
	so.dims = 16;
	so.epochs = 3;
	so.negatives = 16;
	so.val_users = 50;
	lo.seed = 5;
	lo.threads = 1;
	lo.rounds = 30;
	lo.sequence = 1;
	lo.seq_options = &so;
	lo.seq_candidates = 50; /* kept through the model file (the lists after a load agree) */
	ck_assert_msg(kgr_model_train(&m, s, &lo, &rep) == 0, "%s", kgr_error_last());
	ck_assert(kgr_model_uses_sequence(m));
	ck_assert_ptr_nonnull(kgr_model_sequence(m));
	/* the transitions it trained on: each user's events without the last `cuts` (the labels
	 * of the cuts; the earliest of them is the sequence model's validation event) */
	ev = kgr_store_interactions(s, &n_ev);
	for (i = 0; i < n_ev; i = j) {
		for (j = i; j < n_ev && ev[j].user == ev[i].user; j++)
			;
		if (j - i >= rep.cuts + 2)
			positions += j - i - rep.cuts - 1;
		/* the refit: every transition (the validation users' last one aside, below) */
		if (j - i >= 2)
			all_positions += j - i - 1;
		users2 += j - i >= 2;
	}
	ck_assert_uint_gt(users2, so.val_users);
	ck_assert_uint_gt(rep.cuts, 1);
	ck_assert_uint_eq(rep.sequence.positions, positions);
	/* each of the refit's validation users (a sample of so.val_users) loses its last one */
	ck_assert_uint_eq(rep.sequence_refit.val_users, so.val_users);
	all_positions -= so.val_users;
	ck_assert_uint_eq(rep.sequence_refit.positions, all_positions);
	ck_assert_uint_gt(all_positions, positions);
	ck_assert_int_gt(rep.sequence_refit.epochs_run, 0);
	/* level 2, the default: then as many epochs again on every transition */
	ck_assert_int_eq(lo.seq_refit, 2);
	ck_assert_uint_eq(rep.sequence_refit.refit_positions, all_positions + so.val_users);
	ck_assert_ptr_nonnull(strstr(kgr_model_info_json(m), "\"refit_level\":2"));
	ck_assert_uint_eq(kgr_model_sequence(m)->n_items, rep.sequence_refit.items);
	/* without the refit the model keeps the sequence model it learned from */
	lo.seq_refit = 0;
	ck_assert_msg(kgr_model_train(&first, s, &lo, &rep) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(rep.sequence_refit.epochs_run, 0);
	ck_assert_uint_eq(rep.sequence.positions, positions);
	ck_assert_ptr_null(strstr(kgr_model_info_json(first), "\"refit_epochs_run\""));
	ck_assert_ptr_nonnull(strstr(kgr_model_info_json(m), "\"refit_epochs_run\""));
	kgr_model_free(first);
	first = NULL;
	/* level 1: with the held-back events, its validation users' last ones still left out */
	lo.seq_refit = 1;
	ck_assert_msg(kgr_model_train(&first, s, &lo, &rep) == 0, "%s", kgr_error_last());
	ck_assert_uint_eq(rep.sequence_refit.positions, all_positions);
	ck_assert_uint_eq(rep.sequence_refit.refit_positions, 0);
	ck_assert_ptr_nonnull(strstr(kgr_model_info_json(first), "\"refit_level\":1"));
	lo.seq_refit = 3;
	ck_assert_int_eq(kgr_model_train(&plain, s, &lo, &rep), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "sequence refit 0..2"));
	lo.seq_refit = 2;

	ck_assert_msg(kgr_graph_new(&g, s, NULL) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(kgr__ltr_candidates(&c, g, u, &ro, 200, 100, 0, kgr_model_sequence(m)), 0);
	ck_assert_uint_gt(c.n, 20);
	{
		/* against every item's score, counted here: the log-probability under the
		 * softmax over all items, and the rank among all items */
		const kgr_seq_model *sm = kgr_model_sequence(m);
		size_t n_items, nh = 0, k;
		kgr_store_items(s, &n_items);
		float *all = malloc(sm->n_items * sizeof(float));
		kgr_id *hist = malloc(n_ev * sizeof(kgr_id));
		double lse = 0;
		for (i = 0; i < n_ev; i++)
			if (ev[i].user == u)
				hist[nh++] = ev[i].item;
		ck_assert_uint_gt(nh, 2);
		ck_assert_uint_eq(sm->n_items, n_items);
		ck_assert_int_eq(kgr__seq_model_score_all(all, sm, hist, nh), 0);
		for (k = 0; k < n_items; k++)
			lse += exp((double)all[k]);
		lse = log(lse);
		for (i = 0; i < c.n; i++) {
			const float *f = c.x + i * KGR__LTR_NF;
			kgr_id id = g->node_id[c.node[i]];
			size_t rk = 1, d = n_items;
			for (k = 0; k < n_items; k++)
				if (sm->items[k] == id)
					d = k;
			ck_assert_uint_lt(d, n_items);
			for (k = 0; k < n_items; k++)
				rk += all[k] > all[d];
			ck_assert_msg(fabs(f[KGR__LTR_SEQ] - (all[d] - lse)) < 1e-3,
				"candidate %zu: log-probability %g, counted %g", i, f[KGR__LTR_SEQ], all[d] - lse);
			ck_assert(f[KGR__LTR_SEQ] < 0 && f[KGR__LTR_SEQ_REL] <= 0);
			ck_assert_msg((size_t)f[KGR__LTR_SEQ_RANK] == rk, "candidate %zu: rank %g, counted %zu",
				i, f[KGR__LTR_SEQ_RANK], rk);
		}
		/* with the sequence model's candidates: the same ones first, then its best items
		 * not proposed yet, in its order; no item it scores higher than the last of them
		 * is left out unless the user took it */
		{
			kgr__ltr_cands c2;
			size_t n_add;
			float last;
			ck_assert_int_eq(kgr__ltr_candidates(&c2, g, u, &ro, 200, 100, 30, sm), 0);
			ck_assert_uint_gt(c2.n, c.n);
			ck_assert_uint_le(c2.n, c.n + 30);
			n_add = c2.n - c.n;
			for (i = 0; i < c.n; i++)
				ck_assert_uint_eq(c2.node[i], c.node[i]);
			for (i = c.n; i < c2.n; i++) {
				ck_assert_int_eq(c2.graph_ix[i], -1);
				if (i > c.n)
					ck_assert(c2.x[i * KGR__LTR_NF + KGR__LTR_SEQ] <=
						c2.x[(i - 1) * KGR__LTR_NF + KGR__LTR_SEQ]);
			}
			last = c2.x[(c2.n - 1) * KGR__LTR_NF + KGR__LTR_SEQ];
			for (k = 0; n_add == 30 && k < n_items; k++) {
				size_t q, in = 0, seen = 0;
				if (!((double)all[k] - lse > last + 1e-4))
					continue;
				for (q = 0; q < c2.n; q++)
					in += g->node_id[c2.node[q]] == sm->items[k];
				for (q = 0; q < nh; q++)
					seen += hist[q] == sm->items[k];
				ck_assert_msg(in || seen, "item %zu (score %g) above the last added (%g) "
					"left out", k, (double)all[k] - lse, last);
			}
			ck_assert_uint_eq(n_add, 30);
			kgr__ltr_cands_free(&c2);
		}
		free(all);
		free(hist);
	}
	kgr__ltr_cands_free(&c);
	/* without a sequence model the three are missing */
	ck_assert_int_eq(kgr__ltr_candidates(&c, g, u, &ro, 200, 100, 0, NULL), 0);
	ck_assert(isnan(c.x[KGR__LTR_SEQ]) && isnan(c.x[KGR__LTR_SEQ_RANK]));
	kgr__ltr_cands_free(&c);

	ro.k = 10;
	ro.explain = 1;
	ck_assert_msg(kgr_model_save(m, mpath) == 0, "%s", kgr_error_last());
	ck_assert_msg(kgr_seq_save(kgr_model_sequence(m), spath) == 0, "%s", kgr_error_last());
	ck_assert_msg(kgr_model_load(&back, mpath) == 0, "%s", kgr_error_last());
	ck_assert(kgr_model_uses_sequence(back));
	ck_assert_int_eq(kgr_learned_recommend(&r2, g, back, u, &ro), KGR_EINVALID);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "--sequence"));
	ck_assert_msg(kgr_seq_load(&seq, spath, s) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_model_set_sequence(back, seq), 0);
	ck_assert_int_eq(kgr_learned_recommend(&r1, g, m, u, &ro), 0);
	ck_assert_int_eq(kgr_learned_recommend(&r2, g, back, u, &ro), 0);
	ck_assert_uint_eq(r1->n, 10);
	ck_assert_uint_eq(r2->n, 10);
	for (i = 0; i < r1->n; i++) {
		ck_assert_uint_eq(r1->items[i].item, r2->items[i].item);
		ck_assert(r1->items[i].score == r2->items[i].score);
	}
	/* a model fitted without sequence features takes no sequence model */
	lo.sequence = 0;
	ck_assert_msg(kgr_model_train(&plain, s, &lo, NULL) == 0, "%s", kgr_error_last());
	ck_assert_int_eq(kgr_model_set_sequence(plain, seq), KGR_EINVALID);
	kgr_recs_free(r1);
	kgr_recs_free(r2);
	kgr_graph_free(g);
	unlink(mpath);
	unlink(spath);
	kgr_model_free(m);
	kgr_model_free(back);
	kgr_model_free(plain);
	kgr_model_free(first);
	kgr_seq_free(seq);
	kgr_store_free(s);
}
END_TEST

START_TEST(smoothed_peak_prefers_a_plateau_to_a_spike)
{
	double v[60];
	int i;
	/* one lucky round early, a broad rise later: the rise is kept */
	for (i = 0; i < 60; i++)
		v[i] = i >= 20 && i <= 40 ? 0.3 : 0.1;
	v[2] = 0.5;
	ck_assert_int_eq(kgr__ltr_smoothed_peak(v, 60), 26); /* round 26: its 11 rounds all 0.3 */
	/* the single best round, not kept */
	v[2] = 0.9;
	ck_assert_int_eq(kgr__ltr_smoothed_peak(v, 60), 26);
	v[2] = 2.0; /* round 1: (2.0 + 5 x 0.1) / 6 = 0.42 > 0.3 */
	ck_assert_int_eq(kgr__ltr_smoothed_peak(v, 60), 1);
	/* still rising at the end: every round */
	for (i = 0; i < 60; i++)
		v[i] = i;
	ck_assert_int_eq(kgr__ltr_smoothed_peak(v, 60), 60);
	ck_assert_int_eq(kgr__ltr_smoothed_peak(v, 1), 1);
	ck_assert_int_eq(kgr__ltr_smoothed_peak(v, 0), 0);
}
END_TEST

/* Users are sampled, split and ordered by their IRIs: a store that numbers the same terms
 * otherwise holds back the same events and keeps the same users apart. (Candidates tied at a
 * generator's cut-off still follow the numbering, so a few rows may differ.) */
START_TEST(fit_does_not_depend_on_term_numbering)
{
	kgr_store *a = shop(), *b = shop_renumbered(a);
	kgr_learn_options lo = KGR_LEARN_OPTIONS_INIT;
	kgr_learn_report ra, rb;
	kgr_model *ma = NULL, *mb = NULL;
	size_t i, differ = 0, na, nb;
	kgr_store_interactions(a, &na);
	kgr_store_interactions(b, &nb);
	ck_assert_uint_eq(na, nb);
	ck_assert_uint_eq(kgr_store_quad_count(a), kgr_store_quad_count(b));
	for (i = 1; i < kgr_store_term_count(a) && i < kgr_store_term_count(b) && !differ; i++) {
		size_t la, lb;
		const char *ta = kgr_term_value(a, (kgr_id)i, &la), *tb = kgr_term_value(b, (kgr_id)i, &lb);
		differ = !ta || !tb || la != lb || memcmp(ta, tb, la);
	}
	ck_assert_msg(differ, "the two stores number their terms alike: the test shows nothing");
	lo.threads = 1;
	lo.rounds = 20;
	lo.cuts = 3;
	for (lo.seed = 1; lo.seed <= 4; lo.seed++) {
		ck_assert_msg(kgr_model_train(&ma, a, &lo, &ra) == 0, "%s", kgr_error_last());
		ck_assert_msg(kgr_model_train(&mb, b, &lo, &rb) == 0, "%s", kgr_error_last());
		ck_assert_uint_eq(ra.users, rb.users);
		ck_assert_uint_eq(ra.groups, rb.groups);
		ck_assert_uint_gt(ra.valid_groups, 0);
		ck_assert_uint_lt(ra.valid_groups, ra.groups);
		ck_assert_uint_eq(ra.valid_groups, rb.valid_groups);
		kgr_model_free(ma);
		kgr_model_free(mb);
	}
	kgr_store_free(a);
	kgr_store_free(b);
}
END_TEST

/* After the validation users chose the rounds, the model is fitted again on every group for
 * that many rounds; without the refit (or with a version 2 options struct, which has no
 * such member) it is the model fitted without them. */
START_TEST(refit_keeps_the_rounds_chosen_and_learns_from_every_group)
{
	kgr_store *s = shop();
	kgr_learn_options lo = KGR_LEARN_OPTIONS_INIT;
	kgr_learn_report r1, r0, r2;
	kgr_model *m1 = NULL, *m0 = NULL, *m2 = NULL;
	int rounds = 0;
	lo.threads = 1;
	lo.rounds = 60;
	lo.early_stop = 15;
	lo.cuts = 2;
	ck_assert_int_eq(lo.refit, 1);
	ck_assert_msg(kgr_model_train(&m1, s, &lo, &r1) == 0, "%s", kgr_error_last());
	lo.refit = 0;
	ck_assert_msg(kgr_model_train(&m0, s, &lo, &r0) == 0, "%s", kgr_error_last());
	lo.refit = 1;
	lo.version = 2;
	ck_assert_msg(kgr_model_train(&m2, s, &lo, &r2) == 0, "%s", kgr_error_last());
	ck_assert_uint_gt(r1.valid_groups, 0);
	ck_assert_int_eq(r1.best_round, r0.best_round);
	ck_assert_int_ge(r1.best_round, 1);
	ck_assert_int_le(r1.best_round, r1.rounds);
	ck_assert_int_eq(XGBoosterBoostedRounds(m1->booster, &rounds), 0);
	ck_assert_int_eq(rounds, r1.best_round);
	ck_assert_int_eq(XGBoosterBoostedRounds(m0->booster, &rounds), 0);
	ck_assert_int_eq(rounds, r0.best_round);
	ck_assert_str_ne(kgr_model_checksum(m1), kgr_model_checksum(m0));
	ck_assert_str_eq(kgr_model_checksum(m2), kgr_model_checksum(m0));
	ck_assert_ptr_nonnull(strstr(kgr_model_info_json(m1), "\"refit\":true"));
	ck_assert_ptr_nonnull(strstr(kgr_model_info_json(m0), "\"refit\":false"));
	kgr_model_free(m0);
	kgr_model_free(m1);
	kgr_model_free(m2);
	kgr_store_free(s);
}
END_TEST

START_TEST(bad_options_are_named)
{
	kgr_store *s = shop();
	kgr_learn_options lo = KGR_LEARN_OPTIONS_INIT;
	kgr_model *m = NULL;
	lo.max_depth = 0;
	ck_assert_int_eq(kgr_model_train(&m, s, &lo, NULL), KGR_EINVALID);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(strstr(kgr_error_last(), "depth"));
	lo = (kgr_learn_options)KGR_LEARN_OPTIONS_INIT;
	lo.version = 99;
	ck_assert_int_eq(kgr_model_train(&m, s, &lo, NULL), KGR_EINVALID);
	ck_assert_str_eq(kgr_error_last(), "learned ranker: options version 99, expected 4");
	kgr_store_free(s);
}
END_TEST

static Suite *ltr_suite(void)
{
	Suite *s = suite_create("ltr");
	TCase *tc = tcase_create("ltr");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, knn_feature_is_the_cosine_of_co_interactions);
	tcase_add_test(tc, item_statistics_are_counted_from_the_interactions);
	tcase_add_test(tc, trees_score_as_xgboost_does);
	tcase_add_test(tc, trees_score_missing_values_as_xgboost_does);
	tcase_add_test(tc, trees_of_every_depth_score_as_xgboost_does);
	tcase_add_test(tc, first_k_items_are_those_of_the_whole_order);
	tcase_add_test(tc, model_file_round_trip_and_determinism);
	tcase_add_test(tc, sequence_features);
	tcase_add_test(tc, smoothed_peak_prefers_a_plateau_to_a_spike);
	tcase_add_test(tc, fit_does_not_depend_on_term_numbering);
	tcase_add_test(tc, refit_keeps_the_rounds_chosen_and_learns_from_every_group);
	tcase_add_test(tc, bad_options_are_named);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ltr_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
