/* Splits: leave-one-out per user, or a global time cut. */
#include "eval/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int by_time(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;
	return *x < *y ? -1 : *x > *y;
}

void kgr_eval_split_free(kgr_eval_split *split)
{
	if (!split)
		return;
	free(split->train);
	free(split->valid);
	free(split->test);
	free(split);
}

int kgr_eval_split_new(kgr_eval_split **out, const kgr_interaction *events, size_t n,
	const kgr_eval_options *opts)
{
	kgr_eval_split *s = NULL;
	kgr_interaction *all = NULL;
	int64_t *times = NULL;
	size_t m = 0, i, j;
	int error = KGR_ENOMEM;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	all = malloc((n ? n : 1) * sizeof(*all));
	if (!s || !all)
		goto nomem;
	for (i = 0; i < n; i++)
		if (!opts->action || events[i].action == opts->action)
			all[m++] = events[i];
	if (m == 0) {
		error = kgr__error_set(KGR_ENOTFOUND, "eval: no interactions to split%s",
			opts->action ? " with the requested action" : "");
		goto cleanup;
	}
	qsort(all, m, sizeof(*all), kgr__interaction_qsort_cmp);
	s->train = malloc(m * sizeof(*all));
	s->valid = malloc(m * sizeof(*all));
	s->test = malloc(m * sizeof(*all));
	if (!s->train || !s->valid || !s->test)
		goto nomem;

	if (opts->protocol == KGR_EVAL_TEMPORAL) {
		double qt = opts->temporal_test > 0 ? opts->temporal_test : 0.8;
		double qv = opts->temporal_valid > 0 ? opts->temporal_valid : qt - 0.1;
		if (!(qt > 0 && qt < 1) || !(qv > 0 && qv <= qt)) {
			error = kgr__error_set(KGR_EINVALID,
				"eval: temporal shares must satisfy 0 < valid (%g) <= test (%g) < 1", qv, qt);
			goto cleanup;
		}
		times = malloc(m * sizeof(*times));
		if (!times)
			goto nomem;
		for (i = 0; i < m; i++)
			times[i] = all[i].time;
		qsort(times, m, sizeof(*times), by_time);
		s->test_cut = times[(size_t)floor(qt * (double)m)];
		s->valid_cut = times[(size_t)floor(qv * (double)m)];
		for (i = 0; i < m; i++) {
			if (all[i].time >= s->test_cut)
				s->test[s->n_test++] = all[i];
			else if (all[i].time >= s->valid_cut)
				s->valid[s->n_valid++] = all[i];
			else
				s->train[s->n_train++] = all[i];
		}
	} else {
		/* leave-one-out: each user's run of events is contiguous and in time order */
		for (i = 0; i < m; i = j) {
			for (j = i; j < m && all[j].user == all[i].user; j++)
				;
			if (j - i >= 3) {
				memcpy(s->train + s->n_train, all + i, (j - i - 2) * sizeof(*all));
				s->n_train += j - i - 2;
				s->valid[s->n_valid++] = all[j - 2];
				s->test[s->n_test++] = all[j - 1];
			} else {
				memcpy(s->train + s->n_train, all + i, (j - i) * sizeof(*all));
				s->n_train += j - i;
			}
		}
	}
	*out = s;
	s = NULL;
	error = 0;
	goto cleanup;
nomem:
	error = kgr__error_set(KGR_ENOMEM, "eval: out of memory splitting %zu interactions", n);
cleanup:
	kgr_eval_split_free(s);
	free(all);
	free(times);
	return error;
}
