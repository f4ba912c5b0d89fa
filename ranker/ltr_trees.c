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
	float mean;       /* the node's mean (contributions) */
	uint16_t feature;
	uint8_t default_left;
} packed_node;

/* Complete trees: when no tree is deeper than COMPLETE_MAX, every tree is padded to depth
 * `depth` (a leaf above it becomes a split that every value passes to the left, NaN too, over
 * copies of the leaf), so a row takes exactly `depth` steps, each an index computed without a
 * branch: i = 2i + 1 + (value >= cond). */
#define COMPLETE_MAX 8
#define COMPLETE_PAD 64
#define NAN_LEFT 0x10000

struct kgr__ltr_trees {
	size_t n_trees, n_nodes;
	packed_node *pk;     /* every tree's nodes, breadth-first, at root[t] */
	int depth;           /* of the complete trees; 0: they are not used */
	float *c_cond;       /* n_trees x (2^depth - 1) split conditions */
	int32_t *c_fn;       /* ... their features, | NAN_LEFT when a missing value goes left */
	float *c_leaf;       /* n_trees x 2^depth leaf values */
	float *c_mean;       /* n_trees x (2^(depth + 1) - 1) node means, splits then leaves */
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
	free(t->c_mean);
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
			p->mean = t->mean[k];
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
	t->c_mean[ti * (ni + li) + pos] = tree[k].mean;
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
	/* COMPLETE_PAD zeroed entries after each array: the vector walk loads whole registers
	 * from a level's first node or leaf, past the last tree's end when its trees are small */
	if (!(t->c_cond = calloc(t->n_trees * ni + COMPLETE_PAD, sizeof(float))) ||
		!(t->c_fn = calloc(t->n_trees * ni + COMPLETE_PAD, sizeof(int32_t))) ||
		!(t->c_leaf = calloc(t->n_trees * li + COMPLETE_PAD, sizeof(float))) ||
		!(t->c_mean = malloc(t->n_trees * (ni + li) * sizeof(float))))
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
static void predict_complete(const kgr__ltr_trees *t, const float *x, size_t n, float *out,
	uint8_t *leaves)
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
			if (leaves)
				for (q = 0; q < m; q++)
					leaves[ti * n + r + q] = (uint8_t)(idx[q] - ni);
		}
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_WIDE 1

/* The complete trees in AVX-512 registers, for trees of depth 6 or less: sixteen rows a
 * register, four registers walked together (one row's level waits for its gather; four
 * independent walks keep the gathers overlapped). A level's split conditions and features
 * (at most 32) are looked up by a permutation of one or two registers instead of a load per
 * row. The rows' values come from a column-major copy of the 64 rows: on the first
 * WIDE_LOAD_LEVELS levels (at most 2^d features) each of the level's features is one load of
 * sixteen rows and the rows' own values are picked by blends on their position's bits, which
 * costs less than a gather (sixteen loads); deeper levels gather. Each lane adds its leaves in
 * tree order in float, so the margins are the same floats as the scalar walk's and
 * XGBoost's. */
#define WIDE_REGS 4
#define WIDE_LOAD_LEVELS 3 /* 1 to 4: 3 was the fastest on the development machine */

/* The values of the level's node features (fn[0 .. 2^d), a complete level) for the sixteen
 * rows of the column-major block xt, each row's at its position pos: one load a feature,
 * then d rounds of blends, bit 0 of pos first. */
__attribute__((target("avx512f"))) static inline __m512 level_values(const float *xt,
	const int32_t *fn, int d, __m512i pos)
{
	__m512 w[1 << (WIDE_LOAD_LEVELS - 1)];
	int k, b, width = 1 << d;
	if (d == 0)
		return _mm512_load_ps(xt + (size_t)(fn[0] & 0xffff) * 16 * WIDE_REGS);
	for (k = 0; k < width / 2; k++) {
		__m512 lo = _mm512_load_ps(xt + (size_t)(fn[2 * k] & 0xffff) * 16 * WIDE_REGS);
		__m512 hi = _mm512_load_ps(xt + (size_t)(fn[2 * k + 1] & 0xffff) * 16 * WIDE_REGS);
		w[k] = _mm512_mask_blend_ps(_mm512_test_epi32_mask(pos, _mm512_set1_epi32(1)), lo, hi);
	}
	for (b = 1; b < d; b++) {
		__mmask16 up = _mm512_test_epi32_mask(pos, _mm512_set1_epi32(1 << b));
		for (k = 0; k < width >> (b + 1); k++)
			w[k] = _mm512_mask_blend_ps(up, w[2 * k], w[2 * k + 1]);
	}
	return w[0];
}

__attribute__((target("avx512f"))) static void predict_wide(const kgr__ltr_trees *t,
	const float *x, size_t n, float *out, uint8_t *leaves)
{
	const size_t ni = ((size_t)1 << t->depth) - 1, li = (size_t)1 << t->depth;
	const __m512i one = _mm512_set1_epi32(1), fmask = _mm512_set1_epi32(0xffff);
	const __m512i nanleft = _mm512_set1_epi32(NAN_LEFT), bit5 = _mm512_set1_epi32(32);
	const __m512i rowoff = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
		10, 11, 12, 13, 14, 15), _mm512_set1_epi32(KGR__LTR_NF));
	size_t r, ti;
	_Alignas(64) float xt[KGR__LTR_NF * 16 * WIDE_REGS]; /* the block's rows, column-major */
	for (r = 0; r < n; r += 16 * WIDE_REGS) {
		__mmask16 live[WIDE_REGS];
		__m512 acc[WIDE_REGS];
		size_t rows = n - r < 16 * WIDE_REGS ? n - r : 16 * WIDE_REGS, i, fi;
		int q;
		for (fi = 0; fi < KGR__LTR_NF; fi++)
			for (i = 0; i < 16 * WIDE_REGS; i++)
				xt[fi * 16 * WIDE_REGS + i] = i < rows ? x[(r + i) * KGR__LTR_NF + fi] : 0.0f;
		for (q = 0; q < WIDE_REGS; q++) {
			size_t from = r + 16 * (size_t)q, m = from >= n ? 0 : n - from < 16 ? n - from : 16;
			live[q] = (__mmask16)((1u << m) - 1u);
			acc[q] = _mm512_maskz_loadu_ps(live[q], out + (m ? from : 0));
		}
		for (ti = 0; ti < t->n_trees; ti++) {
			const float *cond = t->c_cond + ti * ni, *leaf = t->c_leaf + ti * li;
			const int32_t *fn = t->c_fn + ti * ni;
			__m512i pos[WIDE_REGS]; /* each row's node within its level */
			int d;
			for (q = 0; q < WIDE_REGS; q++)
				pos[q] = _mm512_setzero_si512();
			for (d = 0; d < t->depth; d++) {
				size_t first = ((size_t)1 << d) - 1;
				__m512 c0 = _mm512_loadu_ps(cond + first), c1 = _mm512_loadu_ps(cond + first + 16);
				__m512i f0 = _mm512_loadu_si512(fn + first), f1 = _mm512_loadu_si512(fn + first + 16);
				for (q = 0; q < WIDE_REGS; q++) {
					__m512 c, v;
					__m512i f;
					__mmask16 right;
					if (!live[q])
						continue;
					if (d < 5) {
						c = _mm512_permutexvar_ps(pos[q], c0);
						f = _mm512_permutexvar_epi32(pos[q], f0);
					} else {
						c = _mm512_permutex2var_ps(c0, pos[q], c1);
						f = _mm512_permutex2var_epi32(f0, pos[q], f1);
					}
					if (d < WIDE_LOAD_LEVELS)
						v = level_values(xt + 16 * q, fn + first, d, pos[q]);
					else
						v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live[q],
							_mm512_add_epi32(rowoff, _mm512_and_si512(f, fmask)),
							x + (r + 16 * (size_t)q) * KGR__LTR_NF, 4);
					/* right unless below the condition, or missing where missing goes left */
					right = (__mmask16)(~_mm512_cmp_ps_mask(v, c, _CMP_LT_OQ) &
						~(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) &
						_mm512_test_epi32_mask(f, nanleft)));
					pos[q] = _mm512_add_epi32(pos[q], pos[q]);
					pos[q] = _mm512_mask_add_epi32(pos[q], right, pos[q], one);
				}
			}
			{
				__m512 l0 = _mm512_loadu_ps(leaf), l1 = _mm512_loadu_ps(leaf + 16);
				__m512 l2 = _mm512_loadu_ps(leaf + 32), l3 = _mm512_loadu_ps(leaf + 48);
				for (q = 0; q < WIDE_REGS; q++) {
					__m512 lv = _mm512_permutex2var_ps(l0, pos[q], l1);
					if (t->depth == 6) /* leaves 32 .. 63 */
						lv = _mm512_mask_blend_ps(_mm512_test_epi32_mask(pos[q], bit5), lv,
							_mm512_permutex2var_ps(l2, pos[q], l3));
					acc[q] = _mm512_add_ps(acc[q], lv);
					if (leaves && live[q])
						_mm512_mask_cvtepi32_storeu_epi8(leaves + ti * n + r + 16 * (size_t)q,
							live[q], pos[q]);
				}
			}
		}
		for (q = 0; q < WIDE_REGS; q++)
			if (live[q])
				_mm512_mask_storeu_ps(out + r + 16 * (size_t)q, live[q], acc[q]);
	}
}

static int wide_ok(void)
{
	static int ok = -1;
	if (ok < 0) {
		__builtin_cpu_init();
		ok = __builtin_cpu_supports("avx512f") ? 1 : 0;
	}
	return ok;
}
#endif

/* The walk asked for, and the leaves of each row in each tree when leaves is not NULL and the
 * walk is along complete trees. Returns 1 when the leaves were written. */
static int predict(const kgr__ltr_trees *t, const float *x, size_t n, float *out,
	kgr__ltr_walk walk, uint8_t *leaves)
{
	size_t r, ti;
	for (r = 0; r < n; r++)
		out[r] = t->base_score;
#ifdef HAVE_WIDE
	if ((walk == KGR__LTR_WALK_AUTO || walk == KGR__LTR_WALK_WIDE) && t->depth &&
		t->depth <= 6 && wide_ok()) {
		predict_wide(t, x, n, out, leaves);
		return leaves != NULL;
	}
#endif
	if (t->depth && walk != KGR__LTR_WALK_NODES) {
		predict_complete(t, x, n, out, leaves);
		return leaves != NULL;
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
	return 0;
}

void kgr__ltr_trees_predict_with(const kgr__ltr_trees *t, const float *x, size_t n, float *out,
	kgr__ltr_walk walk)
{
	predict(t, x, n, out, walk, NULL);
}

void kgr__ltr_trees_predict(const kgr__ltr_trees *t, const float *x, size_t n, float *out)
{
	predict(t, x, n, out, KGR__LTR_WALK_AUTO, NULL);
}

size_t kgr__ltr_trees_count(const kgr__ltr_trees *t)
{
	return t->n_trees;
}

int kgr__ltr_trees_predict_leaves(const kgr__ltr_trees *t, const float *x, size_t n, float *out,
	uint8_t *leaves, kgr__ltr_walk walk)
{
	return predict(t, x, n, out, walk, leaves);
}

int kgr__ltr_trees_walks(const kgr__ltr_trees *t, kgr__ltr_walk walk)
{
	switch (walk) {
	case KGR__LTR_WALK_NODES:
		return 1;
	case KGR__LTR_WALK_COMPLETE:
		return t->depth > 0;
#ifdef HAVE_WIDE
	case KGR__LTR_WALK_WIDE:
		return t->depth > 0 && t->depth <= 6 && wide_ok();
#endif
	default:
		return 0;
	}
}

/* Contributions along the rows' paths in the complete trees, tree by tree, eight rows at a
 * time (as predict_complete()). A padded split adds 0 to feature 0: its two children are the
 * same leaf, so the change of the mean is exactly 0. Each row's values are added in the node
 * walk's order. */
static void contribs_complete(const kgr__ltr_trees *t, const float *x, size_t n, float *out)
{
	size_t ni = ((size_t)1 << t->depth) - 1, li = (size_t)1 << t->depth, w = KGR__LTR_NF + 1;
	size_t r, ti;
	for (r = 0; r < n; r += 8) {
		size_t m = n - r < 8 ? n - r : 8, q;
		for (ti = 0; ti < t->n_trees; ti++) {
			const float *cond = t->c_cond + ti * ni, *mean = t->c_mean + ti * (ni + li);
			const int32_t *fn = t->c_fn + ti * ni;
			size_t idx[8] = { 0 };
			int d;
			for (q = 0; q < m; q++)
				out[(r + q) * w + KGR__LTR_NF] += mean[0];
			for (d = 0; d < t->depth; d++)
				for (q = 0; q < m; q++) {
					size_t i = idx[q], f = (size_t)(fn[i] & 0xffff), nx;
					float v = x[(r + q) * KGR__LTR_NF + f];
					nx = 2 * i + 1 + (isnan(v) ? (size_t)!(fn[i] & NAN_LEFT) : (size_t)!(v < cond[i]));
					out[(r + q) * w + f] += mean[nx] - mean[i];
					idx[q] = nx;
				}
		}
	}
}

void kgr__ltr_trees_contribs_with(const kgr__ltr_trees *t, const float *x, size_t n, float *out,
	kgr__ltr_walk walk)
{
	size_t r, ti, w = KGR__LTR_NF + 1;
	for (r = 0; r < n; r++) {
		memset(out + r * w, 0, w * sizeof(float));
		out[r * w + KGR__LTR_NF] = t->base_score;
	}
	if (t->depth && walk != KGR__LTR_WALK_NODES) {
		contribs_complete(t, x, n, out);
		return;
	}
	for (r = 0; r < n; r++) {
		const float *row = x + r * KGR__LTR_NF;
		float *c = out + r * w;
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

/* The same contributions from the leaves the rows reached (kgr__ltr_trees_predict_leaves()):
 * in a complete tree the leaf's position holds the path, its first d bits the node at depth
 * d, so no split is looked at again. The values are added in contribs_complete()'s order:
 * the same floats. */
void kgr__ltr_trees_contribs_leaves(const kgr__ltr_trees *t, const uint8_t *leaves,
	size_t n_rows, const size_t *rows, size_t n, float *out)
{
	size_t ni = ((size_t)1 << t->depth) - 1, li = (size_t)1 << t->depth, w = KGR__LTR_NF + 1;
	size_t r, ti;
	for (r = 0; r < n; r++) {
		float *c = out + r * w;
		memset(c, 0, w * sizeof(float));
		c[KGR__LTR_NF] = t->base_score;
		for (ti = 0; ti < t->n_trees; ti++) {
			const float *mean = t->c_mean + ti * (ni + li);
			const int32_t *fn = t->c_fn + ti * ni;
			size_t leaf = leaves[ti * n_rows + rows[r]], i = 0;
			int d;
			c[KGR__LTR_NF] += mean[0];
			for (d = 0; d < t->depth; d++) {
				size_t nx = ((size_t)2 << d) - 1 + (leaf >> (t->depth - 1 - d));
				c[fn[i] & 0xffff] += mean[nx] - mean[i];
				i = nx;
			}
		}
	}
}

void kgr__ltr_trees_contribs(const kgr__ltr_trees *t, const float *x, size_t n, float *out)
{
	kgr__ltr_trees_contribs_with(t, x, n, out, KGR__LTR_WALK_AUTO);
}
