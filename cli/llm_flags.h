/* The LLM flags shared by `kgrec recommend --llm` and `kgrec prompt`, and the printing of an
 * LLM-ranked list. */
#ifndef KGREC_CLI_LLM_FLAGS_H
#define KGREC_CLI_LLM_FLAGS_H

#include <stdio.h>

#include "kgrec/llm.h"

/*
 * Parses the LLM flag at argv[*i] (taking its value from argv[*i + 1] or "--flag=value").
 * Returns 1 when it consumed a flag (and advanced *i past its value), 0 when argv[*i] is not
 * an LLM flag, and 2 after printing a usage error (bad or missing value).
 *
 *   --llm-url URL --llm-model NAME --llm-key KEY --temperature T --max-tokens N
 *   --timeout MS --parallel N --retries N --mode listwise|pointwise|pairwise|conversational
 *   --history sequential|recency|in-context --boots B --fusion borda|rrf --alpha A
 *   --prompt-dir DIR --cache-dir DIR --no-cache --request TEXT --max-history N --max-facts N
 *   --no-json-schema --seed N
 *
 * Start @p o from kgr_llm_options_from_env() so that flags override the environment.
 */
int kgr_cli_llm_flag(kgr_llm_options *o, int argc, char **argv, int *i);

/* The flag list for --help texts. */
void kgr_cli_llm_usage(FILE *f);

/* Prints an LLM-ranked list, the first @p limit items (0: all): text (one block per item:
 * rank, label, hybrid score and its parts, rationale with [grounded] or [ungrounded], cited
 * facts, then accounting and notes as '#' lines) or JSON (one object). */
void kgr_cli_llm_print(FILE *f, const kgr_store *store, const kgr_llm_result *res, int json,
	size_t limit);

/* Conversational mode: the request in words is also retrieval's query, and the other way
 * round (whichever of the two was given fills the other). */
void kgr_cli_llm_link_query(kgr_llm_options *o, kgr_rec_options *ro);



#endif
