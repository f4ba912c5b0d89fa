/* Fitting the learned ranker: LambdaMART (C. Burges, "From RankNet to LambdaRank to
 * LambdaMART", 2010) by XGBoost's rank:ndcg on listwise groups, one per user: the candidates
 * of the user's request over a graph view built without the user's last event, labelled 1
 * for that event's item. A share of the users is kept apart to choose the number of rounds
 * (where their smoothed NDCG@10 peaks); then the model is fitted again on every group for
 * that many rounds. Users are sampled, split and ordered by a hash of their IRI, so the fit
 * does not depend on how the store numbered its terms. */
#include "ranker/ltr_internal.h"
#include "ranker/seq_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xgboost/c_api.h>

typedef struct {
	kgr_id user, item;  /* the held-back event */
	uint64_t key;       /* the user's hash (its IRI's): the order of the groups */
	size_t cut;         /* m of the cut that held it back */
	int valid;          /* kept apart for early stopping */
	/* filled by the workers */
	float *x;
	size_t n;
	int pos;            /* index of the held-back item among the candidates, -1 */
	int graph_rank;     /* its place in the graph formula's order, 0 when absent */
} group;

typedef struct {
	const kgr_graph *g;
	const kgr_seq_model *seq;
	const kgr_learn_options *o;
	group *groups;
	size_t n_groups;
	size_t next;        /* next group to take */
	size_t done;
	size_t done_before, total; /* progress over every cut */
	int error;
	pthread_mutex_t lock;
} work;

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The sequence model's candidates a request (a version 3 struct has none). */
static size_t seq_cands(const kgr_learn_options *o)
{
	return o->version >= 4 && o->sequence ? o->seq_candidates : 0;
}

static int group_features(work *w, group *gr)
{
	kgr_rec_options ro = KGR_REC_OPTIONS_INIT;
	kgr__ltr_cands c;
	size_t i;
	int error;
	ro.exclude_seen = 1;
	if ((error = kgr__ltr_candidates(&c, w->g, gr->user, &ro, w->o->n_candidates,
		     w->o->knn_candidates, seq_cands(w->o), w->seq)) < 0)
		return error;
	gr->pos = -1;
	for (i = 0; i < c.n; i++)
		if (w->g->node_id[c.node[i]] == gr->item)
			gr->pos = (int)i;
	if (gr->pos >= 0) {
		gr->n = c.n;
		gr->x = c.x;
		c.x = NULL;
		gr->graph_rank = c.graph_ix[gr->pos] >= 0 ? c.graph_ix[gr->pos] + 1 : 0;
	}
	kgr__ltr_cands_free(&c);
	return 0;
}

static void *worker(void *arg)
{
	work *w = arg;
	kgr__thread_name("kgr-features");
	for (;;) {
		size_t i;
		int error;
		pthread_mutex_lock(&w->lock);
		if (w->error || w->next == w->n_groups) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		i = w->next++;
		pthread_mutex_unlock(&w->lock);
		error = group_features(w, &w->groups[i]);
		pthread_mutex_lock(&w->lock);
		if (error < 0 && !w->error)
			w->error = error;
		w->done++;
		if (w->o->progress && (w->done % 256 == 0 || w->done == w->n_groups))
			w->o->progress(w->done_before + w->done, w->total, w->o->progress_payload);
		pthread_mutex_unlock(&w->lock);
	}
}

static int threads_of(const kgr_learn_options *o)
{
	return o->threads > 0 ? (o->threads > 64 ? 64 : o->threads) : kgr__cpu_count(64);
}

/* Features of every group, on all threads; the result does not depend on their number. */
static int extract(const kgr_graph *g, const kgr_seq_model *seq, const kgr_learn_options *o,
	group *groups, size_t n, size_t done_before, size_t total)
{
	work w;
	pthread_t th[64];
	int nt = threads_of(o), i, started = 0;
	memset(&w, 0, sizeof(w));
	w.done_before = done_before;
	w.total = total;
	w.g = g;
	w.seq = seq;
	w.o = o;
	w.groups = groups;
	w.n_groups = n;
	pthread_mutex_init(&w.lock, NULL);
	for (i = 1; i < nt; i++)
		if (pthread_create(&th[started], NULL, worker, &w) == 0)
			started++;
	worker(&w);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&w.lock);
	return w.error;
}

typedef struct {
	kgr_id user;
	uint64_t order;     /* sampling key */
	int valid;
} sampled;

static int by_order(const void *pa, const void *pb)
{
	const sampled *a = pa, *b = pb;
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return a->user < b->user ? -1 : a->user > b->user;
}

/* Groups by their user's hash, then cut: an order that no term numbering changes. */
static int by_key(const void *pa, const void *pb)
{
	const group *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->user != b->user)
		return a->user < b->user ? -1 : 1;
	return a->cut < b->cut ? -1 : a->cut > b->cut;
}

static int by_user(const void *pa, const void *pb)
{
	const sampled *a = pa, *b = pb;
	return a->user < b->user ? -1 : a->user > b->user;
}

/* A user's seeded hash, of its term's text (its IRI, or blank node label): the same user gets
 * the same hash in every store made from the same data. */
static uint64_t user_hash(const kgr_store *store, kgr_id user, uint64_t seed)
{
	size_t len = 0;
	const char *s = kgr_term_value(store, user, &len);
	return s ? kgr__hash64(s, len, seed) : kgr__hash64(&user, sizeof(user), seed);
}

/* The users that give groups: those with two events or more, a seeded sample of max_users,
 * each kept apart for validation or not by its own hash (all its cuts alike). Sorted by user. */
static int sample_users(const kgr_store *store, const kgr_interaction *ev, size_t n,
	const kgr_learn_options *o, sampled **out, size_t *n_out)
{
	size_t i, j, ns = 0;
	sampled *su = calloc(n + 1, sizeof(*su));
	if (!su)
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && ev[j].user == ev[i].user; j++)
			;
		if (j - i < 2)
			continue;
		su[ns].user = ev[i].user;
		su[ns].order = user_hash(store, ev[i].user, o->seed);
		su[ns].valid = (double)(user_hash(store, ev[i].user, o->seed ^ 0x5bd1e995) >> 11) *
			0x1.0p-53 < o->valid_share;
		ns++;
	}
	if (!ns) {
		free(su);
		return kgr__error_set(KGR_EINVALID, "learned ranker: no user has two interactions to "
			"hold one back");
	}
	qsort(su, ns, sizeof(*su), by_order);
	if (o->max_users && ns > o->max_users)
		ns = o->max_users;
	qsort(su, ns, sizeof(*su), by_user);
	*out = su;
	*n_out = ns;
	return 0;
}

/* Cut m (1: the last event): every user's last m events are left out of *fit; each sampled
 * user with more than m events gets a group labelled with its m-th last event. */
static int hold_back(const kgr_interaction *ev, size_t n, const sampled *su, size_t ns, size_t m,
	kgr_interaction **fit, size_t *n_fit, group **groups, size_t *n_groups)
{
	size_t i, j, nf = 0, ng = 0;
	kgr_interaction *f = malloc((n + 1) * sizeof(*f));
	group *gr = calloc(ns + 1, sizeof(*gr));
	if (!f || !gr) {
		free(f);
		free(gr);
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	}
	for (i = 0; i < n; i = j) {
		sampled key, *hit;
		size_t keep;
		for (j = i; j < n && ev[j].user == ev[i].user; j++)
			;
		keep = j - i > m ? j - i - m : 0;
		memcpy(f + nf, ev + i, keep * sizeof(*f));
		nf += keep;
		key.user = ev[i].user;
		if (keep && (hit = bsearch(&key, su, ns, sizeof(*su), by_user))) {
			gr[ng].user = ev[i].user;
			gr[ng].item = ev[i + keep].item;
			gr[ng].key = hit->order;
			gr[ng].cut = m;
			gr[ng].valid = hit->valid;
			ng++;
		}
	}
	*fit = f;
	*n_fit = nf;
	*groups = gr;
	*n_groups = ng;
	return 0;
}

/* Cuts per user: one when the sample is large; on a small catalog, more of each user's
 * events are held back in turn (each with a graph view built without them) until about
 * CUT_GROUPS groups are in sight, at most MAX_CUTS. */
#define CUT_GROUPS 16000
#define MAX_CUTS 8

static size_t cuts_of(const kgr_learn_options *o, size_t n_users)
{
	size_t c = o->cuts ? o->cuts : (CUT_GROUPS + n_users - 1) / (n_users ? n_users : 1);
	return c < 1 ? 1 : c > MAX_CUTS && !o->cuts ? MAX_CUTS : c;
}

/* Features of every cut's groups, appended to *all. */
static int cut_groups(const kgr_store *store, const kgr_seq_model *seq, const kgr_learn_options *o,
	const kgr_interaction *ev, size_t n_ev, const sampled *su, size_t ns, size_t cuts, group **all,
	size_t *n_all)
{
	size_t m, done = 0;
	int error = 0;
	for (m = 1; m <= cuts && !error; m++) {
		kgr_graph_options go = KGR_GRAPH_OPTIONS_INIT;
		kgr_interaction *fit = NULL;
		group *gr = NULL, *grown;
		size_t n_fit = 0, ng = 0;
		kgr_graph *g = NULL;
		if ((error = hold_back(ev, n_ev, su, ns, m, &fit, &n_fit, &gr, &ng)) < 0)
			break;
		go.interactions = fit;
		go.n_interactions = n_fit;
		go.config_path = o->config_path;
		go.hub_degree = o->hub_degree;
		go.no_catalog = o->no_catalog;
		if ((error = kgr_graph_new(&g, store, &go)) == 0)
			error = extract(g, seq, o, gr, ng, done, ns * cuts);
		kgr_graph_free(g);
		free(fit);
		done += ns;
		if (!error && !(grown = realloc(*all, (*n_all + ng + 1) * sizeof(group))))
			error = kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
		if (!error) {
			*all = grown;
			memcpy(*all + *n_all, gr, ng * sizeof(group));
			*n_all += ng;
		} else {
			size_t i;
			for (i = 0; i < ng; i++)
				free(gr[i].x);
		}
		free(gr);
	}
	return error;
}

/* A DMatrix of the groups with valid == want; every group for want < 0. Each group's features
 * are freed once copied, so that they are held once, not twice, until XGBoost has its own. */
static int make_dmatrix(DMatrixHandle *out, group *gr, size_t n, int want, size_t *rows_out,
	size_t *groups_out)
{
	size_t i, rows = 0, ng = 0, r = 0;
	float *x, *y;
	unsigned *gs;
	int error = 0;
	*out = NULL;
	for (i = 0; i < n; i++)
		if (gr[i].pos >= 0 && (want < 0 || gr[i].valid == want)) {
			rows += gr[i].n;
			ng++;
		}
	*rows_out = rows;
	*groups_out = ng;
	if (!ng)
		return 0;
	x = malloc(rows * KGR__LTR_NF * sizeof(float));
	y = calloc(rows, sizeof(float));
	gs = malloc(ng * sizeof(unsigned));
	if (!x || !y || !gs) {
		error = kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
		goto done;
	}
	ng = 0;
	for (i = 0; i < n; i++)
		if (gr[i].pos >= 0 && (want < 0 || gr[i].valid == want)) {
			memcpy(x + r * KGR__LTR_NF, gr[i].x, gr[i].n * KGR__LTR_NF * sizeof(float));
			free(gr[i].x);
			gr[i].x = NULL;
			y[r + (size_t)gr[i].pos] = 1;
			r += gr[i].n;
			gs[ng++] = (unsigned)gr[i].n;
		}
	if (XGDMatrixCreateFromMat(x, (bst_ulong)rows, KGR__LTR_NF, NAN, out) != 0 ||
		XGDMatrixSetFloatInfo(*out, "label", y, (bst_ulong)rows) != 0 ||
		XGDMatrixSetUIntInfo(*out, "group", gs, (bst_ulong)ng) != 0)
		error = kgr__ltr_xgb_error("training data");
done:
	free(x);
	free(y);
	free(gs);
	return error;
}

static double eval_ndcg(const char *s)
{
	const char *p = strstr(s, "ndcg@10:");
	return p ? atof(p + 8) : 0.0;
}

static int set_params(BoosterHandle b, const kgr_learn_options *o)
{
	char v[64];
	int ok = 1;
	ok &= XGBoosterSetParam(b, "objective", "rank:ndcg") == 0;
	ok &= XGBoosterSetParam(b, "eval_metric", "ndcg@10") == 0;
	ok &= XGBoosterSetParam(b, "tree_method", "hist") == 0;
	snprintf(v, sizeof(v), "%g", o->learning_rate);
	ok &= XGBoosterSetParam(b, "eta", v) == 0;
	snprintf(v, sizeof(v), "%d", o->max_depth);
	ok &= XGBoosterSetParam(b, "max_depth", v) == 0;
	snprintf(v, sizeof(v), "%llu", (unsigned long long)(o->seed & 0x7fffffff));
	ok &= XGBoosterSetParam(b, "seed", v) == 0;
	snprintf(v, sizeof(v), "%d", threads_of(o));
	ok &= XGBoosterSetParam(b, "nthread", v) == 0;
	ok &= XGBoosterSetParam(b, "verbosity", "0") == 0;
	return ok ? 0 : kgr__ltr_xgb_error("parameters");
}

/* Half the width of the moving average that smooths the validation curve before its peak
 * is taken: one round's NDCG@10 over a few hundred groups moves by more than the gain of a
 * round, so the single best round is mostly noise (docs/LEARNED.md). */
#define SMOOTH 5

/* The mean of v[t - SMOOTH .. t + SMOOTH] within v[0 .. n). */
static double smoothed(const double *v, int n, int t)
{
	int a = t - SMOOTH < 0 ? 0 : t - SMOOTH, b = t + SMOOTH >= n ? n - 1 : t + SMOOTH, i;
	double sum = 0;
	for (i = a; i <= b; i++)
		sum += v[i];
	return sum / (b - a + 1);
}

int kgr__ltr_smoothed_peak(const double *v, int n)
{
	double best = 0;
	int t, at = 0;
	for (t = 0; t < n; t++) {
		double m = smoothed(v, n, t);
		if (!t || m > best) {
			best = m;
			at = t;
		}
	}
	return n ? at + 1 : 0;
}

static int new_booster(BoosterHandle *out, DMatrixHandle *mats, int n, const kgr_learn_options *o)
{
	int error;
	if (XGBoosterCreate(mats, (bst_ulong)n, out) != 0)
		return kgr__ltr_xgb_error("booster");
	if ((error = set_params(*out, o)) < 0) {
		XGBoosterFree(*out);
		*out = NULL;
	}
	return error;
}

/* Boosts on dtrain until the smoothed validation NDCG@10 has not risen for early_stop rounds;
 * rep->best_round is the round where it peaked (all rounds without dvalid). *out: that many
 * rounds of this booster; with out NULL (the model is fitted again) only the report. */
static int boost(BoosterHandle *out, DMatrixHandle dtrain, DMatrixHandle dvalid,
	const kgr_learn_options *o, kgr_learn_report *rep)
{
	BoosterHandle b = NULL, cut = NULL;
	DMatrixHandle mats[2] = { dtrain, dvalid };
	const char *evnames[1] = { "valid" };
	double *v = NULL, best = -1;
	int it, done = 0, best_at = 0, error = 0;
	if (dvalid && !(v = malloc((size_t)o->rounds * sizeof(*v))))
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	if ((error = new_booster(&b, mats, dvalid ? 2 : 1, o)) < 0)
		goto fail;
	for (it = 0; it < o->rounds; it++) {
		if (XGBoosterUpdateOneIter(b, it, dtrain) != 0) {
			error = kgr__ltr_xgb_error("boosting");
			goto fail;
		}
		rep->rounds = it + 1;
		if (dvalid) {
			const char *res = NULL;
			if (XGBoosterEvalOneIter(b, it, &mats[1], evnames, 1, &res) != 0) {
				error = kgr__ltr_xgb_error("validation");
				goto fail;
			}
			v[it] = eval_ndcg(res);
			/* stop once no round whose whole window is in has beaten the best for a while */
			for (; done + SMOOTH <= it; done++) {
				double m = smoothed(v, it + 1, done);
				if (m > best) {
					best = m;
					best_at = done;
				}
			}
			if (done - best_at > o->early_stop)
				break;
		}
		if (o->progress)
			o->progress((uint64_t)(it + 1), (uint64_t)o->rounds, o->progress_payload);
	}
	rep->best_round = rep->rounds;
	if (dvalid) {
		rep->best_round = kgr__ltr_smoothed_peak(v, rep->rounds);
		rep->valid_ndcg = v[rep->best_round - 1];
	}
	if (out && XGBoosterSlice(b, 0, rep->best_round, 1, &cut) != 0) {
		error = kgr__ltr_xgb_error("keeping the best rounds");
		goto fail;
	}
	XGBoosterFree(b);
	free(v);
	if (out)
		*out = cut;
	return 0;
fail:
	XGBoosterFree(b);
	free(v);
	return error;
}

/* The final model: `rounds` rounds on every group, the validation ones included. */
static int refit(BoosterHandle *out, DMatrixHandle dall, int rounds, const kgr_learn_options *o)
{
	BoosterHandle b = NULL;
	int it, error;
	if ((error = new_booster(&b, &dall, 1, o)) < 0)
		return error;
	for (it = 0; it < rounds; it++) {
		if (XGBoosterUpdateOneIter(b, it, dall) != 0) {
			XGBoosterFree(b);
			return kgr__ltr_xgb_error("boosting on every group");
		}
		if (o->progress)
			o->progress((uint64_t)(it + 1), (uint64_t)rounds, o->progress_payload);
	}
	*out = b;
	return 0;
}

/* Whether the options ask for the refit (a version 2 struct has no such member). */
static int refit_asked(const kgr_learn_options *o)
{
	return o->version >= 3 && o->refit;
}

/* Whether the options ask for the sequence model's refit (a version 3 struct has none). */
static int seq_refit_asked(const kgr_learn_options *o)
{
	return o->version >= 4 && o->seq_refit && o->sequence;
}

static char *info_json(const kgr_learn_options *o, const kgr_learn_report *r)
{
	cJSON *root = cJSON_CreateObject(), *op, *rp;
	char *txt;
	if (!root)
		return NULL;
	op = cJSON_AddObjectToObject(root, "options");
	cJSON_AddNumberToObject(op, "seed", (double)o->seed);
	cJSON_AddNumberToObject(op, "max_users", (double)o->max_users);
	cJSON_AddNumberToObject(op, "candidates", (double)o->n_candidates);
	cJSON_AddNumberToObject(op, "knn_candidates", (double)o->knn_candidates);
	if (o->sequence)
		cJSON_AddNumberToObject(op, "seq_candidates", (double)seq_cands(o));
	cJSON_AddNumberToObject(op, "rounds", o->rounds);
	cJSON_AddNumberToObject(op, "early_stop", o->early_stop);
	cJSON_AddNumberToObject(op, "learning_rate", o->learning_rate);
	cJSON_AddNumberToObject(op, "max_depth", o->max_depth);
	cJSON_AddNumberToObject(op, "valid_share", o->valid_share);
	cJSON_AddBoolToObject(op, "refit", refit_asked(o));
	cJSON_AddNumberToObject(op, "cuts", (double)o->cuts);
	cJSON_AddBoolToObject(op, "no_catalog", o->no_catalog != 0);
	cJSON_AddBoolToObject(op, "sequence", o->sequence != 0);
	if (o->sequence) {
		cJSON *sp = cJSON_AddObjectToObject(op, "sequence_model");
		kgr_seq_options so = KGR_SEQ_OPTIONS_INIT;
		if (o->seq_options)
			so = *o->seq_options;
		cJSON_AddNumberToObject(sp, "dims", so.dims);
		cJSON_AddNumberToObject(sp, "blocks", so.blocks);
		cJSON_AddNumberToObject(sp, "heads", so.heads);
		cJSON_AddNumberToObject(sp, "max_len", so.max_len);
		cJSON_AddNumberToObject(sp, "negatives", so.negatives);
		cJSON_AddNumberToObject(sp, "threads", r->sequence.threads);
		cJSON_AddNumberToObject(sp, "epochs_run", r->sequence.epochs_run);
		cJSON_AddNumberToObject(sp, "best_epoch", r->sequence.best_epoch);
		cJSON_AddNumberToObject(sp, "valid_ndcg", r->sequence.best_ndcg);
		cJSON_AddBoolToObject(sp, "refit", seq_refit_asked(o));
		if (seq_refit_asked(o)) {
			cJSON_AddNumberToObject(sp, "refit_level", o->seq_refit);
			cJSON_AddNumberToObject(sp, "refit_every_event_positions",
				(double)r->sequence_refit.refit_positions);
			cJSON_AddNumberToObject(sp, "refit_epochs_run", r->sequence_refit.epochs_run);
			cJSON_AddNumberToObject(sp, "refit_best_epoch", r->sequence_refit.best_epoch);
			cJSON_AddNumberToObject(sp, "refit_valid_ndcg", r->sequence_refit.best_ndcg);
		}
	}
	rp = cJSON_AddObjectToObject(root, "report");
	cJSON_AddNumberToObject(rp, "users", (double)r->users);
	cJSON_AddNumberToObject(rp, "cuts", (double)r->cuts);
	cJSON_AddNumberToObject(rp, "groups", (double)r->groups);
	cJSON_AddNumberToObject(rp, "rows", (double)r->rows);
	cJSON_AddNumberToObject(rp, "valid_groups", (double)r->valid_groups);
	cJSON_AddNumberToObject(rp, "rounds", r->rounds);
	cJSON_AddNumberToObject(rp, "best_round", r->best_round);
	cJSON_AddNumberToObject(rp, "valid_ndcg_graph", r->valid_ndcg_graph);
	cJSON_AddNumberToObject(rp, "valid_ndcg", r->valid_ndcg);
	cJSON_AddNumberToObject(rp, "recall", r->recall);
	txt = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return txt;
}

/* The final model of a fit with validation users: the features of every group extracted again
 * (the same values: the extraction is deterministic; a few seconds instead of keeping them in
 * memory through the first boosting), then rep->best_round rounds on all of them. */
static int refit_all(BoosterHandle *out, const kgr_store *store, const kgr_seq_model *seq,
	const kgr_learn_options *o, const kgr_interaction *ev, size_t n_ev, const sampled *su,
	size_t n_su, kgr_learn_report *rep)
{
	kgr_learn_options quiet = *o;
	DMatrixHandle dall = NULL;
	group *groups = NULL;
	size_t n_groups = 0, rows_all = 0, g_all = 0, i;
	double t0 = wall();
	int error;
	quiet.progress = NULL;
	if ((error = cut_groups(store, seq, &quiet, ev, n_ev, su, n_su, rep->cuts, &groups,
		     &n_groups)) == 0) {
		qsort(groups, n_groups, sizeof(*groups), by_key);
		error = make_dmatrix(&dall, groups, n_groups, -1, &rows_all, &g_all);
	}
	for (i = 0; groups && i < n_groups; i++)
		free(groups[i].x);
	free(groups);
	rep->seconds_features += wall() - t0;
	if (!error && (g_all != rep->groups || rows_all != rep->rows))
		error = kgr__error_set(KGR_ERROR, "learned ranker: the features of the refit differ "
			"from the first extraction (%zu groups, %zu rows against %zu, %zu)", g_all,
			rows_all, rep->groups, rep->rows);
	if (!error) {
		t0 = wall();
		error = refit(out, dall, rep->best_round, o);
		rep->seconds_boosting += wall() - t0;
	}
	if (dall)
		XGDMatrixFree(dall);
	return error;
}

static int check_learn_options(const kgr_learn_options *o)
{
	KGR__CHECK_VERSIONS(o, 2, KGR_LEARN_OPTIONS_VERSION, "learned ranker");
	if (o->n_candidates < 1 || o->n_candidates > KGR_MAX_K || o->knn_candidates > KGR_MAX_K ||
		o->rounds < 1 || o->early_stop < 1 || !(o->learning_rate > 0 && o->learning_rate <= 1) ||
		o->max_depth < 1 || o->max_depth > 16 || !(o->valid_share >= 0 && o->valid_share < 1) ||
		seq_cands(o) > KGR_MAX_K || (o->version >= 4 && (o->seq_refit < 0 || o->seq_refit > 2)))
		return kgr__error_set(KGR_EINVALID, "learned ranker: bad options (candidates 1..%d, "
			"knn and sequence candidates 0..%d, rounds >= 1, early stop >= 1, learning rate in "
			"(0, 1], depth 1..16, validation share in [0, 1), sequence refit 0..2)", KGR_MAX_K,
			KGR_MAX_K);
	return 0;
}

/* The sequence model the features are learned from is fitted before the groups are cut and
 * without every held-back event, so that no cut's label is among its training transitions
 * (its own validation events are the last kept ones). The one that ranks (all: seq_refit) is
 * fitted afterwards with the held-back events, as the graph view that ranks holds them, and
 * at level 2 trained again for the epochs its validation chose with its validation users'
 * last events too (kgr_seq_options.refit): its scores of the next item are then predictions
 * one step ahead of everything it was trained on, as the first one's of the labels were. */
static int fit_sequence(kgr_seq_model **out, const kgr_store *store, const kgr_interaction *ev,
	size_t n_ev, const kgr_learn_options *o, int all, kgr_learn_report *rep)
{
	kgr_seq_options so = KGR_SEQ_OPTIONS_INIT;
	double t_seq = wall();
	int error;

	if (o->seq_options) {
		so = *o->seq_options;
	} else {
		so.seed = o->seed;
	}
	so.holdout_all = !all;
	so.refit = all && o->seq_refit >= 2;
	if ((error = kgr__seq_train_events(out, store, ev, n_ev, all ? 0 : rep->cuts - 1, &so,
		     all ? &rep->sequence_refit : &rep->sequence)) < 0)
		return error;
	if (all)
		rep->seconds_sequence_refit = wall() - t_seq;
	else
		rep->seconds_sequence = wall() - t_seq;
	return 0;
}

/* What the groups say before any boosting: how often the held-back item was among its
 * user's candidates at all, and the graph formula's NDCG@10 on the validation groups as the
 * figure the boosted model has to beat. */
static void count_groups(kgr_learn_report *rep, const group *groups, size_t n_groups)
{
	size_t i, valid_found = 0;
	double ndcg_graph = 0;

	rep->users = n_groups; /* user-cuts looked at */
	for (i = 0; i < n_groups; i++) {
		if (groups[i].pos < 0)
			continue;
		rep->groups++;
		rep->rows += groups[i].n;
		if (groups[i].valid) {
			valid_found++;
			if (groups[i].graph_rank > 0 && groups[i].graph_rank <= 10)
				ndcg_graph += 1.0 / log2(1.0 + groups[i].graph_rank);
		}
	}
	for (i = 0; i < n_groups; i++)
		rep->valid_groups += groups[i].valid;
	rep->recall = n_groups ? (double)rep->groups / (double)n_groups : 0;
	/* XGBoost's ndcg@10 averages over groups with a positive, so compare alike */
	rep->valid_ndcg_graph = valid_found ? ndcg_graph / (double)valid_found : 0;
}

int kgr_model_train(kgr_model **out, const kgr_store *store, const kgr_learn_options *opts,
	kgr_learn_report *report)
{
	kgr_learn_options defaults = KGR_LEARN_OPTIONS_INIT;
	const kgr_learn_options *o = opts ? opts : &defaults;
	const kgr_interaction *ev;
	sampled *su = NULL;
	size_t n_ev, n_su = 0, n_groups = 0, i, rows_valid = 0;
	group *groups = NULL;
	DMatrixHandle dtrain = NULL, dvalid = NULL;
	BoosterHandle bst = NULL;
	kgr_learn_report rep;
	kgr_seq_model *seq = NULL;
	char snap[17], *info = NULL;
	double t0 = wall();
	int error, do_refit = 0;

	*out = NULL;
	kgr_init();
	memset(&rep, 0, sizeof(rep));
	if ((error = check_learn_options(o)) < 0)
		return error;
	ev = o->interactions ? o->interactions : kgr_store_interactions(store, &n_ev);
	if (o->interactions)
		n_ev = o->n_interactions;
	if ((error = sample_users(store, ev, n_ev, o, &su, &n_su)) < 0)
		return error;
	rep.cuts = cuts_of(o, n_su);
	if (o->sequence) {
		if ((error = fit_sequence(&seq, store, ev, n_ev, o, 0, &rep)) < 0)
			goto done;
		t0 = wall();
	}
	if ((error = cut_groups(store, seq, o, ev, n_ev, su, n_su, rep.cuts, &groups, &n_groups)) < 0)
		goto done;
	qsort(groups, n_groups, sizeof(*groups), by_key);
	count_groups(&rep, groups, n_groups);
	rep.seconds_features = wall() - t0;
	if (!rep.groups) {
		error = kgr__error_set(KGR_EINVALID, "learned ranker: no held-back item was among its "
			"user's candidates (%zu users): nothing to learn from", n_groups);
		goto done;
	}
	{
		size_t rows_train, g_train, g_valid;
		if ((error = make_dmatrix(&dtrain, groups, n_groups, 0, &rows_train, &g_train)) < 0 ||
			(error = make_dmatrix(&dvalid, groups, n_groups, 1, &rows_valid, &g_valid)) < 0)
			goto done;
		rep.valid_groups = g_valid;
		do_refit = refit_asked(o) && dvalid;
		if (!g_train) {
			error = kgr__error_set(KGR_EINVALID, "learned ranker: every group was kept for "
				"validation; lower the validation share");
			goto done;
		}
	}
	for (i = 0; i < n_groups; i++) {
		free(groups[i].x);
		groups[i].x = NULL;
	}
	t0 = wall();
	if ((error = boost(do_refit ? NULL : &bst, dtrain, dvalid, o, &rep)) < 0)
		goto done;
	rep.seconds_boosting = wall() - t0;
	if (do_refit) {
		XGDMatrixFree(dtrain);
		XGDMatrixFree(dvalid);
		dtrain = dvalid = NULL;
		free(groups);
		groups = NULL;
		n_groups = 0;
		if ((error = refit_all(&bst, store, seq, o, ev, n_ev, su, n_su, &rep)) < 0)
			goto done;
	}
	if (seq_refit_asked(o)) {
		kgr_seq_model *all = NULL;
		if ((error = fit_sequence(&all, store, ev, n_ev, o, 1, &rep)) < 0)
			goto done;
		kgr_seq_free(seq);
		seq = all;
	}
	if (!(info = info_json(o, &rep))) {
		error = kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
		goto done;
	}
	kgr_store_checksum_hex(store, snap);
	if ((error = kgr__ltr_model_new(out, bst, snap, info, o->n_candidates, o->knn_candidates)) < 0)
		goto done;
	bst = NULL;
	(*out)->uses_seq = o->sequence != 0;
	(*out)->n_seq = seq_cands(o);
	(*out)->seq = (*out)->seq_own = seq;
	seq = NULL;
	if ((error = kgr__ltr_model_seal(*out)) < 0) {
		kgr_model_free(*out);
		*out = NULL;
		goto done;
	}
	if (report)
		*report = rep;
done:
	if (bst)
		XGBoosterFree(bst);
	if (dtrain)
		XGDMatrixFree(dtrain);
	if (dvalid)
		XGDMatrixFree(dvalid);
	for (i = 0; groups && i < n_groups; i++)
		free(groups[i].x);
	free(groups);
	free(su);
	free(info);
	kgr_seq_free(seq);
	return error;
}
