/* Internal declarations of the learned ranker (ltr_*.c). Not installed. */
#ifndef KGREC_LTR_INTERNAL_H
#define KGREC_LTR_INTERNAL_H

#include "retrieval/internal.h"
#include "kgrec/learned.h"
#include "kgrec/sequence.h"

#include <pthread.h>

/* Feature columns after the graph's own KGR_FEAT__COUNT. */
enum {
	KGR__LTR_GRAPH_SCORE = KGR_FEAT__COUNT, /* the graph formula's score (default weights) */
	KGR__LTR_GRAPH_RANK,   /* 1-based place in the graph's list; list length + 1 when absent */
	KGR__LTR_IN_GRAPH,     /* 1 when the graph's generators proposed it */
	KGR__LTR_KNN,          /* item-kNN score, no decay (cosine of co-interactions) */
	KGR__LTR_KNN_D07,      /* ... history events weighted 0.7^j, j steps before the last */
	KGR__LTR_KNN_D04,      /* ... 0.4^j */
	KGR__LTR_KNN_LAST,     /* ... the last history event alone */
	KGR__LTR_KNN_RANK,     /* 1-based place by KNN_D07 among the items it reaches */
	KGR__LTR_KNN_REL,      /* KNN_D07 / the user's best KNN_D07 */
	KGR__LTR_POP_LOG,      /* log(1 + interactions with the item) */
	KGR__LTR_POP_RECENT,   /* log(1 + its interactions within a half-life before the user's last) */
	KGR__LTR_POP_TREND,    /* recent interactions / all its interactions */
	KGR__LTR_ITEM_AGE,     /* half-lives from its first interaction to the user's last */
	KGR__LTR_ITEM_IDLE,    /* half-lives from its last interaction before then to then */
	KGR__LTR_USER_LEN,     /* log(1 + the user's history length) */
	KGR__LTR_HIST_POP,     /* mean log(1 + interactions) of the user's history items */
	KGR__LTR_PATHS_CATALOG, /* log(1 + evidence paths whose last step is a catalog relation) */
	KGR__LTR_PATHS_COLLAB, /* log(1 + evidence paths through another user) */
	KGR__LTR_CATALOG_SHARE, /* catalog paths / all paths (0: none) */
	KGR__LTR_SEQ,          /* the sequence model's log-probability of the item after the history
	                          (softmax over every item; missing without a model) */
	KGR__LTR_SEQ_REL,      /* ... minus the best candidate's */
	KGR__LTR_SEQ_RANK,     /* 1-based place by it among every item the model knows */
	KGR__LTR_NF
};

/* Candidates of one request with their feature rows. */
typedef struct {
	size_t n;
	uint32_t *node;     /* graph node of each candidate */
	float *x;           /* n rows of KGR__LTR_NF features */
	int32_t *graph_ix;  /* index in graph->items, or -1 (proposed by the item-kNN only) */
	kgr_recs *graph;    /* the graph's list (notes, cold start, matches); owned */
} kgr__ltr_cands;

/* Candidates and features for a user over graph g: the graph's n_graph best (kgr_recommend()
 * with o's exclusions, time and generators, unexplained), the item-kNN's n_knn best and, with
 * a sequence model, its n_seq best not proposed yet; with a sequence model, its scores of
 * them all after the user's history in g (else those features are missing). */
int kgr__ltr_candidates(kgr__ltr_cands *out, const kgr_graph *g, kgr_id user,
	const kgr_rec_options *o, size_t n_graph, size_t n_knn, size_t n_seq,
	const kgr_seq_model *seq);
void kgr__ltr_cands_free(kgr__ltr_cands *c);

/* The booster's trees in flat arrays (ltr_trees.c): read-only, any number of threads. */
typedef struct kgr__ltr_trees kgr__ltr_trees;
int kgr__ltr_trees_load(kgr__ltr_trees **out, void *booster);
void kgr__ltr_trees_free(kgr__ltr_trees *t);
/* Margins of n rows (base_score + the leaves), as XGBoost's output_margin prediction. */
void kgr__ltr_trees_predict(const kgr__ltr_trees *t, const float *x, size_t n, float *out);
/* How the trees are walked: the fastest this processor has (AUTO), or one named, for tests
 * that compare them. kgr__ltr_trees_walks() says whether a walk is available for t here. */
typedef enum {
	KGR__LTR_WALK_AUTO,
	KGR__LTR_WALK_NODES,    /* node by node (any tree) */
	KGR__LTR_WALK_COMPLETE, /* complete trees, eight rows interleaved */
	KGR__LTR_WALK_WIDE      /* complete trees of depth <= 6, sixteen rows in AVX-512 */
} kgr__ltr_walk;
void kgr__ltr_trees_predict_with(const kgr__ltr_trees *t, const float *x, size_t n, float *out,
	kgr__ltr_walk walk);
int kgr__ltr_trees_walks(const kgr__ltr_trees *t, kgr__ltr_walk walk);
/* Contributions by the node walk (NODES) or along the complete trees (any other). */
void kgr__ltr_trees_contribs_with(const kgr__ltr_trees *t, const float *x, size_t n, float *out,
	kgr__ltr_walk walk);
/* Approximate contributions of n rows: n x (KGR__LTR_NF + 1) values, bias last, as XGBoost's
 * pred_contribs with approx_contribs. */
void kgr__ltr_trees_contribs(const kgr__ltr_trees *t, const float *x, size_t n, float *out);
/* The number of trees. */
size_t kgr__ltr_trees_count(const kgr__ltr_trees *t);
/* Margins as kgr__ltr_trees_predict_with(), and, along complete trees, the leaf each row
 * reached in each tree: leaves[tree * n + row] (kgr__ltr_trees_count() x n bytes). Returns 1
 * when the leaves were written, 0 when the walk does not give them (trees too deep to be
 * made complete, or the node walk). */
int kgr__ltr_trees_predict_leaves(const kgr__ltr_trees *t, const float *x, size_t n, float *out,
	uint8_t *leaves, kgr__ltr_walk walk);
/* The contributions of rows[0 .. n) of the n_rows whose leaves were written, as
 * kgr__ltr_trees_contribs() gives them for those rows. */
void kgr__ltr_trees_contribs_leaves(const kgr__ltr_trees *t, const uint8_t *leaves,
	size_t n_rows, const size_t *rows, size_t n, float *out);

struct kgr_model {
	void *booster;          /* BoosterHandle: saving, and XGBoost's own predictions */
	kgr__ltr_trees *trees;  /* what requests score with */
	pthread_mutex_t lock;   /* XGBoost's predictions on one booster are serialised */
	char snapshot[17];      /* checksum of the store it was fitted on */
	uint64_t snapshot_sum;  /* the same as a number (compared per request) */
	char checksum[17];      /* of the XGBoost model bytes and the header */
	char *info;             /* JSON: options and report */
	size_t n_graph, n_knn;  /* candidates per request it was fitted with */
	size_t n_seq;           /* ... from the sequence model (uses_seq) */
	int uses_seq;           /* fitted with the sequence model's scores as features */
	const kgr_seq_model *seq; /* the sequence model ranking uses (attached or own) */
	kgr_seq_model *seq_own; /* the one fitted with it (kgr_model_train), owned */
};

/* Model scores (margins) of n rows (kgr__ltr_trees_predict()). */
int kgr__ltr_predict(const kgr_model *m, const float *x, size_t n, float *out);
/* Per-feature contributions of n rows: n x (KGR__LTR_NF + 1) values, bias last. */
int kgr__ltr_contribs(const kgr_model *m, const float *x, size_t n, float *out);
/* The same two by XGBoost itself (type 1: margins, 3: approximate contributions), for tests. */
int kgr__ltr_xgb_predict(const kgr_model *m, const float *x, size_t n, int type, float *out);
/* A model around a booster (taken over). */
int kgr__ltr_model_new(kgr_model **out, void *booster, const char *snapshot, const char *info,
	size_t n_graph, size_t n_knn);
/* Sets m->checksum to the one kgr_model_save() writes. */
int kgr__ltr_model_seal(kgr_model *m);
/* XGBoost's last error as a library error. */
int kgr__ltr_xgb_error(const char *what);

/* The number of rounds to keep from a validation curve v[0 .. n) (NDCG@10 after each round):
 * 1 + the round whose mean over the 11 rounds centred on it (fewer at the ends) is highest,
 * the earliest of equals; 0 when n is 0. */
int kgr__ltr_smoothed_peak(const double *v, int n);

/* The learned order of a user's candidates, best first, at most n_keep of them (SIZE_MAX:
 * every candidate); the first n_checked are looked up for evidence (kept when explain, else
 * dropped; with require_path an item without a path is skipped there), and get
 * contributions when contribs is set. */
int kgr__learned_rank(kgr_recs **out, const kgr_graph *g, const kgr_model *m, kgr_id user,
	const kgr_rec_options *o, size_t n_checked, size_t n_keep, int contribs);

#endif
