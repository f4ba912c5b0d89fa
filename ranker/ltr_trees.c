/* The learned model's trees evaluated in place: XGBoost fits them, and kgrec reads them back
 * (the booster's JSON) into flat arrays so a request scores its candidates without a DMatrix,
 * a lock or XGBoost's per-call set-up. The order and arithmetic are XGBoost's: a row goes left
 * when its value is below the split condition (a missing value takes the default side), the
 * margin is base_score plus the leaf values summed in float. Contributions are XGBoost's
 * approximate ones (pred_contribs with approx_contribs: Saabas's attribution): along the
 * row's path in each tree, a split's feature gets the change of the node mean, the node
 * means being the hessian-weighted means of the leaves below. tests/ranker checks both
 * against XGBoost's own predictions. */
#include "ranker/ltr_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>


/* A node as requests read it: its children are adjacent (right = left + 1) after the
 * breadth-first renumbering, so a node is 12 bytes and a tree's nodes are contiguous. */
typedef struct {
	float cond;       /* split condition, or the leaf value */
	int32_t left;     /* index of the left child within the tree, -1 at a leaf */
	uint16_t feature;
	uint8_t default_left;
} packed_node;

/* Complete trees: when no tree is deeper than COMPLETE_MAX, every tree is padded to depth
 * `depth` (a leaf above it becomes a split that every value passes to the left, NaN too, over
 * copies of the leaf), so a row takes exactly `depth` steps, each an index computed without a
 * branch: i = 2i + 1 + (value >= cond). */
#define COMPLETE_MAX 8
#define NAN_LEFT 0x10000

struct kgr__ltr_trees {
	size_t n_trees, n_nodes;
	packed_node *pk;     /* every tree's nodes, breadth-first, at root[t] */
	int depth;           /* of the complete trees; 0: they are not used */
	float *c_cond;       /* n_trees x (2^depth - 1) split conditions */
	int32_t *c_fn;       /* ... their features, | NAN_LEFT when a missing value goes left */
	float *c_leaf;       /* n_trees x 2^depth leaf values */
	uint32_t *root;      /* first node of each tree */
	int32_t *left;       /* absolute index of the left child, -1 at a leaf */
	int32_t *right;
	uint16_t *feature;
	uint8_t *default_left;
	float *cond;         /* split condition, or the leaf value at a leaf */
	float *mean;         /* hessian-weighted mean of the leaves below */
	float base_score;
};

void kgr__ltr_trees_free(kgr__ltr_trees *t)
{
	if (!t)
		return;
	free(t->root);
	free(t->pk);
	free(t->c_cond);
	free(t->c_fn);
	free(t->c_leaf);
	free(t->left);
	free(t->right);
	free(t->feature);
	free(t->default_left);
	free(t->cond);
	free(t->mean);
	free(t);
}

static const cJSON *path_get(const cJSON *j, const char *const *keys)
{
	for (; *keys && j; keys++)
		j = cJSON_GetObjectItemCaseSensitive(j, *keys);
	return j;
}

/* Means bottom-up: children have higher indices than their parent in XGBoost's trees, but
 * that is not relied on: a node is done when both children are. */
static double node_mean(kgr__ltr_trees *t, uint32_t base, int32_t i, const double *hess, int depth)
{
	double l, r, hl, hr;
	if (depth > 64)
		return 0;
	if (t->left[base + i] < 0)
		return t->mean[base + i] = t->cond[base + i];
	l = node_mean(t, base, t->left[base + i] - (int32_t)base, hess, depth + 1);
	r = node_mean(t, base, t->right[base + i] - (int32_t)base, hess, depth + 1);
	hl = hess[t->left[base + i]];
	hr = hess[t->right[base + i]];
	return t->mean[base + i] = (float)(hl + hr > 0 ? (l * hl + r * hr) / (hl + hr) : 0.5 * (l + r));
}

#define NUMS(name) cJSON_GetObjectItemCaseSensitive(tree, name)

static int read_tree(kgr__ltr_trees *t, const cJSON *tree, size_t ti, double **hess, size_t *hess_cap)
{
	const cJSON *lc = NUMS("left_children"), *rc = NUMS("right_children"), *si = NUMS("split_indices");
	const cJSON *sc = NUMS("split_conditions"), *dl = NUMS("default_left"), *sh = NUMS("sum_hessian");
	int n = cJSON_GetArraySize(lc), i;
	uint32_t base = (uint32_t)t->n_nodes;
	if (n < 1 || cJSON_GetArraySize(rc) != n || cJSON_GetArraySize(si) != n ||
		cJSON_GetArraySize(sc) != n || cJSON_GetArraySize(dl) != n || cJSON_GetArraySize(sh) != n)
		return -1;
	if (t->n_nodes + (size_t)n > *hess_cap) {
		size_t cap = (t->n_nodes + (size_t)n) * 2;
		double *h = realloc(*hess, cap * sizeof(double));
		if (!h || !(t->left = realloc(t->left, cap * sizeof(int32_t))) ||
			!(t->right = realloc(t->right, cap * sizeof(int32_t))) ||
			!(t->feature = realloc(t->feature, cap * sizeof(uint16_t))) ||
			!(t->default_left = realloc(t->default_left, cap)) ||
			!(t->cond = realloc(t->cond, cap * sizeof(float))) ||
			!(t->mean = realloc(t->mean, cap * sizeof(float)))) {
			if (h)
				*hess = h;
			return -2;
		}
		*hess = h;
		*hess_cap = cap;
	}
	t->root[ti] = base;
	for (i = 0; i < n; i++) {
		int l = cJSON_GetArrayItem(lc, i)->valueint, r = cJSON_GetArrayItem(rc, i)->valueint;
		int f = cJSON_GetArrayItem(si, i)->valueint;
		size_t k = base + (size_t)i;
		if ((l >= 0) != (r >= 0) || l >= n || r >= n || l == i || r == i || f < 0 ||
			(l >= 0 && f >= KGR__LTR_NF))
			return -1;
		t->left[k] = l < 0 ? -1 : (int32_t)(base + (uint32_t)l);
		t->right[k] = r < 0 ? -1 : (int32_t)(base + (uint32_t)r);
		t->feature[k] = (uint16_t)f;
		t->default_left[k] = (uint8_t)cJSON_GetArrayItem(dl, i)->valueint;
		t->cond[k] = (float)cJSON_GetArrayItem(sc, i)->valuedouble;
		(*hess)[k] = cJSON_GetArrayItem(sh, i)->valuedouble;
	}
	t->n_nodes += (size_t)n;
	node_mean(t, base, 0, *hess, 0);
	return 0;
}

/* Breadth-first copy of each tree into t->pk; t->root becomes the offset into pk (the same
 * as into the other arrays: every tree keeps its node count). */
static int pack(kgr__ltr_trees *t)
{
	size_t ti;
	int32_t *queue = malloc((t->n_nodes + 1) * sizeof(int32_t));
	if (!queue || !(t->pk = calloc(t->n_nodes + 1, sizeof(packed_node)))) {
		free(queue);
		return -1;
	}
	for (ti = 0; ti < t->n_trees; ti++) {
		uint32_t base = t->root[ti];
		size_t head = 0, tail = 0;
		queue[tail++] = (int32_t)base;
		while (head < tail) {
			int32_t k = queue[head];
			packed_node *p = &t->pk[base + head];
			head++;
			p->cond = t->cond[k];
			p->feature = t->feature[k];
			p->default_left = t->default_left[k];
			p->left = -1;
			if (t->left[k] >= 0) {
				p->left = (int32_t)tail;
				queue[tail++] = t->left[k];
				queue[tail++] = t->right[k];
			}
		}
	}
	free(queue);
	return 0;
}

static int tree_depth(const packed_node *tree, int32_t k, int d)
{
	int l, r;
	if (tree[k].left < 0 || d > COMPLETE_MAX)
		return d;
	l = tree_depth(tree, tree[k].left, d + 1);
	r = tree_depth(tree, tree[k].left + 1, d + 1);
	return l > r ? l : r;
}

/* Writes node k of a packed tree at complete position pos (depth d). */
static void fill_complete(kgr__ltr_trees *t, size_t ti, const packed_node *tree, int32_t k,
	size_t pos, int d)
{
	size_t ni = ((size_t)1 << t->depth) - 1, li = (size_t)1 << t->depth;
	if (d == t->depth) {
		t->c_leaf[ti * li + (pos - ni)] = tree[k].cond;
		return;
	}
	if (tree[k].left < 0) {
		/* a leaf above the full depth: a split every value passes to the left */
		t->c_cond[ti * ni + pos] = INFINITY;
		t->c_fn[ti * ni + pos] = NAN_LEFT;
		fill_complete(t, ti, tree, k, 2 * pos + 1, d + 1);
		fill_complete(t, ti, tree, k, 2 * pos + 2, d + 1);
		return;
	}
	t->c_cond[ti * ni + pos] = tree[k].cond;
	t->c_fn[ti * ni + pos] = tree[k].feature | (tree[k].default_left ? NAN_LEFT : 0);
	fill_complete(t, ti, tree, tree[k].left, 2 * pos + 1, d + 1);
	fill_complete(t, ti, tree, tree[k].left + 1, 2 * pos + 2, d + 1);
}

static int make_complete(kgr__ltr_trees *t)
{
	size_t ti, ni, li;
	int d = 0;
	for (ti = 0; ti < t->n_trees; ti++) {
		int td = tree_depth(t->pk + t->root[ti], 0, 0);
		if (td > d)
			d = td;
	}
	if (d > COMPLETE_MAX || t->n_trees == 0)
		return 0;
	if (d == 0)
		d = 1;
	t->depth = d;
	ni = ((size_t)1 << d) - 1;
	li = (size_t)1 << d;
	if (!(t->c_cond = malloc(t->n_trees * ni * sizeof(float))) ||
		!(t->c_fn = malloc(t->n_trees * ni * sizeof(int32_t))) ||
		!(t->c_leaf = malloc(t->n_trees * li * sizeof(float))))
		return -1;
	for (ti = 0; ti < t->n_trees; ti++)
		fill_complete(t, ti, t->pk + t->root[ti], 0, 0, 0);
	return 0;
}

int kgr__ltr_trees_load(kgr__ltr_trees **out, void *booster)
{
	static const char *const trees_at[] = { "learner", "gradient_booster", "model", "trees", NULL };
	static const char *const base_at[] = { "learner", "learner_model_param", "base_score", NULL };
	static const char *const booster_at[] = { "learner", "gradient_booster", "name", NULL };
	const char *buf;
	bst_ulong len;
	cJSON *root;
	const cJSON *trees, *bs, *name, *tr;
	kgr__ltr_trees *t;
	double *hess = NULL;
	size_t hess_cap = 0, i = 0;
	int error = 0, rc;

	*out = NULL;
	if (XGBoosterSaveModelToBuffer(booster, "{\"format\": \"json\"}", &len, &buf) != 0)
		return kgr__ltr_xgb_error("reading the trees");
	if (!(root = cJSON_ParseWithLength(buf, (size_t)len)))
		return kgr__error_set(KGR_ECORRUPT, "learned ranker: the booster's trees are not JSON");
	trees = path_get(root, trees_at);
	bs = path_get(root, base_at);
	name = path_get(root, booster_at);
	if (!cJSON_IsArray(trees) || !cJSON_IsString(bs) || !cJSON_IsString(name) ||
		strcmp(name->valuestring, "gbtree")) {
		cJSON_Delete(root);
		return kgr__error_set(KGR_ECORRUPT, "learned ranker: the booster is not a tree ensemble "
			"kgrec can read");
	}
	if (!(t = calloc(1, sizeof(*t))) ||
		!(t->root = calloc((size_t)cJSON_GetArraySize(trees) + 1, sizeof(uint32_t)))) {
		free(t);
		cJSON_Delete(root);
		return kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");
	}
	t->base_score = (float)strtod(bs->valuestring, NULL);
	cJSON_ArrayForEach(tr, trees) {
		if ((rc = read_tree(t, tr, i++, &hess, &hess_cap)) < 0) {
			error = rc == -2 ? kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory") :
				kgr__error_set(KGR_ECORRUPT, "learned ranker: tree %zu of the booster is malformed", i);
			break;
		}
	}
	t->n_trees = i;
	free(hess);
	cJSON_Delete(root);
	if (!error && (pack(t) < 0 || make_complete(t) < 0))
		error = kgr__error_set(KGR_ENOMEM, "learned ranker: out of memory");

	if (error) {
		kgr__ltr_trees_free(t);
		return error;
	}
	*out = t;
	return 0;
}

static inline int32_t step(const kgr__ltr_trees *t, int32_t k, const float *row)
{
	float v = row[t->feature[k]];
	if (isnan(v))
		return t->default_left[k] ? t->left[k] : t->right[k];
	return v < t->cond[k] ? t->left[k] : t->right[k];
}

/* Rows through the complete trees, tree by tree (a tree's nodes stay in the cache while every
 * row walks it), eight rows at a time: their walks are independent, so the loads of one
 * overlap the others' instead of waiting in one chain. Each row's leaves are added in tree
 * order, as XGBoost adds them. (Gathering eight rows' nodes with AVX2 instead was slower on
 * the development machine: gathers are slow there.) */
static void predict_complete(const kgr__ltr_trees *t, const float *x, size_t n, float *out)
{
	size_t ni = ((size_t)1 << t->depth) - 1, li = (size_t)1 << t->depth, r, ti;
	for (ti = 0; ti < t->n_trees; ti++) {
		const float *cond = t->c_cond + ti * ni, *leaf = t->c_leaf + ti * li;
		const int32_t *fn = t->c_fn + ti * ni;
		for (r = 0; r < n; r += 8) {
			size_t idx[8] = { 0 }, m = n - r < 8 ? n - r : 8, q;
			int d;
			for (d = 0; d < t->depth; d++)
				for (q = 0; q < m; q++) {
					size_t i = idx[q];
					float v = x[(r + q) * KGR__LTR_NF + (fn[i] & 0xffff)];
					size_t right = isnan(v) ? (size_t)!(fn[i] & NAN_LEFT) : (size_t)!(v < cond[i]);
					idx[q] = 2 * i + 1 + right;
				}
			for (q = 0; q < m; q++)
				out[r + q] += leaf[idx[q] - ni];
		}
	}
}

void kgr__ltr_trees_predict(const kgr__ltr_trees *t, const float *x, size_t n, float *out)
{
	size_t r, ti;
	for (r = 0; r < n; r++)
		out[r] = t->base_score;
	if (t->depth) {
		predict_complete(t, x, n, out);
		return;
	}
	for (ti = 0; ti < t->n_trees; ti++) {
		const packed_node *tree = t->pk + t->root[ti];
		for (r = 0; r < n; r++) {
			const float *row = x + r * KGR__LTR_NF;
			const packed_node *p = tree;
			while (p->left >= 0) {
				float v = row[p->feature];
				int right = isnan(v) ? !p->default_left : !(v < p->cond);
				p = tree + p->left + right;
			}
			out[r] += p->cond;
		}
	}
}

void kgr__ltr_trees_contribs(const kgr__ltr_trees *t, const float *x, size_t n, float *out)
{
	size_t r, ti, w = KGR__LTR_NF + 1;
	for (r = 0; r < n; r++) {
		const float *row = x + r * KGR__LTR_NF;
		float *c = out + r * w;
		memset(c, 0, w * sizeof(float));
		c[KGR__LTR_NF] = t->base_score;
		for (ti = 0; ti < t->n_trees; ti++) {
			int32_t k = (int32_t)t->root[ti];
			c[KGR__LTR_NF] += t->mean[k];
			while (t->left[k] >= 0) {
				int32_t nx = step(t, k, row);
				c[t->feature[k]] += t->mean[nx] - t->mean[k];
				k = nx;
			}
		}
	}
}
