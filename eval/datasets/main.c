/* kgrec-convert: turn an evaluation dataset into N-Triples plus an interaction log.
 *
 *   kgrec-convert beauty|sports|toys|lastfm|lastfm-s3rec|movielens SRC_DIR -o OUT_DIR
 *
 * writes OUT_DIR/graph.nt and OUT_DIR/interactions.csv (user,item,timestamp,action,weight). */
#include "convert.h"

#include <string.h>

static const struct {
	const char *name;
	int (*run)(const char *src, conv_out *o);
	const char *what;
} datasets[] = {
	{ "beauty", conv_beauty, "Amazon Beauty (S3-Rec): Beauty.txt, Beauty_item2attributes.json" },
	{ "sports", conv_sports,
		"Amazon Sports and Outdoors (S3-Rec): Sports_and_Outdoors.txt, Sports_and_Outdoors_item2attributes.json" },
	{ "toys", conv_toys, "Amazon Toys and Games (S3-Rec): Toys_and_Games.txt, Toys_and_Games_item2attributes.json" },
	{ "lastfm", conv_lastfm, "Last.FM HetRec 2011 + Satori/Freebase KG + DBpedia mapping" },
	{ "lastfm-s3rec", conv_s3rec_lastfm, "Last.FM (S3-Rec): LastFM.txt, LastFM_item2attributes.json" },
	{ "movielens", conv_movielens, "MovieLens latest-small: ratings, movies, tags, links" },
};

static void usage(FILE *f)
{
	size_t i;
	fputs("usage: kgrec-convert DATASET SRC_DIR -o OUT_DIR\n\ndatasets:\n", f);
	for (i = 0; i < sizeof(datasets) / sizeof(datasets[0]); i++)
		fprintf(f, "  %-13s %s\n", datasets[i].name, datasets[i].what);
	fputs("\nwrites OUT_DIR/graph.nt and OUT_DIR/interactions.csv\n", f);
}

int main(int argc, char **argv)
{
	const char *name = NULL, *src = NULL, *out = NULL;
	conv_out o;
	int i, rc;
	size_t d;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) {
			if (++i == argc) {
				conv_fail("%s needs a directory", argv[i - 1]);
				return 2;
			}
			out = argv[i];
		} else if (argv[i][0] == '-') {
			conv_fail("unknown option '%s'", argv[i]);
			usage(stderr);
			return 2;
		} else if (!name) {
			name = argv[i];
		} else if (!src) {
			src = argv[i];
		} else {
			conv_fail("unexpected argument '%s'", argv[i]);
			return 2;
		}
	}
	if (!name || !src || !out) {
		usage(stderr);
		return 2;
	}
	for (d = 0; d < sizeof(datasets) / sizeof(datasets[0]); d++)
		if (!strcmp(datasets[d].name, name))
			break;
	if (d == sizeof(datasets) / sizeof(datasets[0])) {
		conv_fail("unknown dataset '%s'", name);
		usage(stderr);
		return 2;
	}
	if (conv_out_open(&o, out) != 0)
		return 1;
	rc = datasets[d].run(src, &o);
	if (conv_out_close(&o, rc == 0) != 0)
		return 1;
	fprintf(stderr, "kgrec-convert: %s: %llu triples, %llu interactions -> %s\n", name,
		o.triples, o.interactions, out);
	return 0;
}
