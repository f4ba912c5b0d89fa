#include "cli/llm_flags.h"
#include "cli/cli.h"
#include "cli/recs_output.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* "--name value" or "--name=value": the value, or NULL when @p arg is not this flag. */
static const char *flag_value(const char *name, int argc, char **argv, int *i, int *missing)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);
	*missing = 0;
	if (strncmp(arg, name, n))
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

static int to_double(const char *flag, const char *v, double lo, double hi, double *out)
{
	char *end;
	double x;
	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || *end || !(x >= lo && x <= hi))
		return kgr_cli_usage("%s: '%s' is not a number in %g..%g", flag, v, lo, hi);
	*out = x;
	return 0;
}

int kgr_cli_llm_flag(kgr_llm_options *o, int argc, char **argv, int *i)
{
	const char *v;
	int missing;
	long long l;
	double d;

	if (!strcmp(argv[*i], "--no-cache")) {
		o->no_cache = 1;
		return 1;
	}
	if (!strcmp(argv[*i], "--no-json-schema")) {
		o->json_schema = 0;
		return 1;
	}
#define STR(name, field)                                                   \
	if ((v = flag_value(name, argc, argv, i, &missing)) != NULL) {     \
		o->field = v;                                              \
		return 1;                                                  \
	}                                                                  \
	if (missing)                                                       \
		return kgr_cli_usage("%s needs a value", name);
#define INT(name, field, lo, hi)                                           \
	if ((v = flag_value(name, argc, argv, i, &missing)) != NULL) {     \
		if (kgr_cli_int(name, v, lo, hi, &l) < 0)                  \
			return 2;                                          \
		o->field = l;                                              \
		return 1;                                                  \
	}                                                                  \
	if (missing)                                                       \
		return kgr_cli_usage("%s needs a value", name);
#define DBL(name, field, lo, hi)                                           \
	if ((v = flag_value(name, argc, argv, i, &missing)) != NULL) {     \
		if (to_double(name, v, lo, hi, &d))                        \
			return 2;                                          \
		o->field = d;                                              \
		return 1;                                                  \
	}                                                                  \
	if (missing)                                                       \
		return kgr_cli_usage("%s needs a value", name);

	STR("--llm-url", base_url)
	STR("--llm-model", model)
	STR("--llm-key", api_key)
	STR("--prompt-dir", prompt_dir)
	STR("--cache-dir", cache_dir)
	STR("--request", request)
	DBL("--temperature", temperature, 0.0, 2.0)
	DBL("--alpha", alpha, 0.0, 1.0)
	INT("--max-tokens", max_tokens, 1, 1000000)
	INT("--timeout", timeout_ms, 1, 3600000)
	INT("--deadline", deadline_ms, 1, 3600000)
	INT("--parallel", parallel, 1, 64)
	INT("--retries", retries, 0, 10)
	INT("--boots", boots, 1, 32)
	INT("--max-history", max_history, 1, 1000)
	INT("--max-facts", max_facts, 1, 1000)
	INT("--seed", seed, 0, 0x7fffffffL)
#undef STR
#undef INT
#undef DBL
	if ((v = flag_value("--mode", argc, argv, i, &missing)) != NULL) {
		if (kgr_llm_mode_parse(&o->mode, v))
			return kgr_cli_usage("--mode: %s", kgr_error_last());
		return 1;
	}
	if (missing)
		return kgr_cli_usage("--mode needs a value");
	if ((v = flag_value("--history", argc, argv, i, &missing)) != NULL) {
		if (kgr_llm_history_parse(&o->history, v))
			return kgr_cli_usage("--history: %s", kgr_error_last());
		return 1;
	}
	if (missing)
		return kgr_cli_usage("--history needs a value");
	if ((v = flag_value("--fusion", argc, argv, i, &missing)) != NULL) {
		if (kgr_llm_fusion_parse(&o->fusion, v))
			return kgr_cli_usage("--fusion: %s", kgr_error_last());
		return 1;
	}
	if (missing)
		return kgr_cli_usage("--fusion needs a value");
	return 0;
}

void kgr_cli_llm_usage(FILE *f)
{
	fputs("LLM options (defaults from KGREC_LLM_URL, KGREC_LLM_MODEL, KGREC_LLM_API_KEY,\n"
	      "OPENAI_BASE_URL, OPENAI_API_KEY, KGREC_LLM_CACHE):\n"
	      "  --llm-url URL         OpenAI-compatible base URL (.../v1)\n"
	      "  --llm-model NAME      model name\n"
	      "  --llm-key KEY         API key (prefer the environment)\n"
	      "  --mode M              listwise (default), pointwise, pairwise, conversational\n"
	      "  --history H           sequential (default), recency, in-context\n"
	      "  --request TEXT        the request in words (conversational mode)\n"
	      "  --boots B             shuffles of the candidate order merged by rank fusion (1)\n"
	      "  --fusion F            borda (default) or rrf\n"
	      "  --alpha A             weight of the LLM in the hybrid score, 0..1 (0.5)\n"
	      "  --temperature T       sampling temperature (0)\n"
	      "  --max-tokens N        completion limit per request (1024)\n"
	      "  --timeout MS          per attempt (30000)\n"
	      "  --deadline MS         for the whole LLM ranking, retries included (none); past it\n"
	      "                        the graph order is kept, with a note\n"
	      "  --parallel N          requests in flight (4)\n"
	      "  --retries N           extra attempts after a failure (2)\n"
	      "  --max-history N       history items shown (20)\n"
	      "  --max-facts N         facts shown per candidate (all)\n"
	      "  --prompt-dir DIR      templates (a copy of prompts/)\n"
	      "  --cache-dir DIR       response cache; --no-cache bypasses it\n"
	      "  --no-json-schema      do not ask for response_format json_schema\n"
	      "  --seed N              seed of the shuffles\n", f);
}

static void print_fact(FILE *f, const kgr_store *store, const kgr_edge *e)
{
	fprintf(f, "%s | %s | %s", kgr_store_label(store, e->s), kgr_store_label(store, e->p),
		kgr_store_label(store, e->o));
}

static void print_json(FILE *f, const kgr_store *store, const kgr_llm_result *res, size_t limit)
{
	char *text = NULL;
	if (kgr_llm_result_json(&text, store, res, NULL, NULL, 0, limit, 1) == 0)
		fprintf(f, "%s\n", text);
	free(text);
}

void kgr_cli_llm_print(FILE *f, const kgr_store *store, const kgr_llm_result *res, int json,
	size_t limit)
{
	size_t i, k;
	if (!limit || limit > res->n)
		limit = res->n;
	if (json) {
		print_json(f, store, res, limit);
		return;
	}
	for (i = 0; i < limit; i++) {
		const kgr_llm_item *it = &res->items[i];
		fprintf(f, "%2zu. %s  %.4f (llm %.3f%s, graph %.3f #%zu)\n", i + 1, kgr_store_label(store, it->item),
			it->score, it->llm_score, it->llm_valid ? "" : " from graph order", it->graph_score,
			it->graph_rank + 1);
		if (it->rationale)
			fprintf(f, "    %s [%s]\n", it->rationale, it->grounded ? "grounded" : "ungrounded");
		for (k = 0; k < it->n_cited; k++) {
			fputs("      cites ", f);
			print_fact(f, store, &it->cited[k]);
			fputc('\n', f);
		}
	}
	fprintf(f, "# llm: %zu call(s), %zu cached, %zu retries, %zu failed, tokens %ld+%ld, %.0f ms, valid %.0f%%\n",
		res->stats.calls, res->stats.cache_hits, res->stats.retries, res->stats.failures,
		res->stats.prompt_tokens, res->stats.completion_tokens, res->stats.latency_ms,
		100.0 * res->stats.validity_rate);
	for (i = 0; i < res->n_notes; i++)
		fprintf(f, "# note: %s\n", res->notes[i]);
}

void kgr_cli_llm_link_query(kgr_llm_options *o, kgr_rec_options *ro)
{
	if (o->mode != KGR_LLM_CONVERSATIONAL)
		return;
	if (!o->request && ro->query)
		o->request = ro->query;
	if (!ro->query && o->request)
		ro->query = o->request;
}
