/* The S3-Rec sequence datasets: Amazon Beauty, Sports and Outdoors, Toys and Games, and the
 * Last.FM tag sequences. */
#include "convert.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int conv_sequences(conv_out *o, const char *src, const char *file, const char *base,
	const char *action, const char **item_types, size_t n_types)
{
	conv_reader r;
	char *line, *tok, *save;
	char user[512], item[512];
	long long uid, iid;
	size_t t, n_typed = 0;
	unsigned char *typed = NULL; /* items already given their types */
	if (conv_open(&r, src, file) != 0)
		return -1;
	while ((line = conv_next(&r, NULL))) {
		long long pos = 0;
		if (!*line)
			continue;
		tok = strtok_r(line, " \t", &save);
		if (conv_long(tok, &uid) != 0) {
			conv_fail("%s:%ld: user id '%s' is not a number", r.path, r.line, tok);
			goto fail;
		}
		snprintf(user, sizeof(user), "%suser/%lld", base, uid);
		while ((tok = strtok_r(NULL, " \t", &save))) {
			if (conv_long(tok, &iid) != 0) {
				conv_fail("%s:%ld: item id '%s' is not a number", r.path, r.line, tok);
				goto fail;
			}
			snprintf(item, sizeof(item), "%sitem/%lld", base, iid);
			/* No timestamps in the file: the i-th item of the sequence gets i seconds, which
			 * keeps each user's order and nothing else. */
			csv_row(o, user, item, ++pos, action, 1.0);
			if (iid < 0 || iid > 100000000) {
				conv_fail("%s:%ld: item id %lld out of range", r.path, r.line, iid);
				goto fail;
			}
			if ((size_t)iid >= n_typed) {
				size_t n = (size_t)iid * 2 + 1024;
				unsigned char *p = realloc(typed, n);
				if (!p) {
					conv_fail("out of memory");
					goto fail;
				}
				memset(p + n_typed, 0, n - n_typed);
				typed = p;
				n_typed = n;
			}
			if (!typed[iid]) {
				typed[iid] = 1;
				for (t = 0; t < n_types; t++)
					nt_iri(o, item, RDF_TYPE, item_types[t]);
			}
		}
		if (pos == 0) {
			conv_fail("%s:%ld: user %lld has no items", r.path, r.line, uid);
			goto fail;
		}
		nt_iri(o, user, RDF_TYPE, NS_KGR "User");
	}
	if (ferror(r.f))
		goto fail;
	conv_close(&r);
	free(typed);
	return 0;
fail:
	conv_close(&r);
	free(typed);
	return -1;
}

int conv_item_attributes(conv_out *o, const char *src, const char *file, const char *base,
	const char *attr_kind, const char *predicate)
{
	char *data;
	cJSON *root = NULL, *it, *a;
	char item[512], attr[512], path[4096];
	long long id;
	int error = -1;
	snprintf(path, sizeof(path), "%s/%s", src, file);
	data = conv_slurp(src, file, NULL);
	if (!data)
		return -1;
	root = cJSON_Parse(data);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		conv_fail("%s: JSON syntax error at byte %ld", path, at ? (long)(at - data) : -1L);
		goto cleanup;
	}
	if (!cJSON_IsObject(root)) {
		conv_fail("%s: expected an object {item: [attribute ids]}", path);
		goto cleanup;
	}
	cJSON_ArrayForEach(it, root) {
		if (conv_long(it->string, &id) != 0) {
			conv_fail("%s: item key '%s' is not a number", path, it->string);
			goto cleanup;
		}
		if (!cJSON_IsArray(it)) {
			conv_fail("%s: item %s: expected an array of attribute ids", path, it->string);
			goto cleanup;
		}
		snprintf(item, sizeof(item), "%sitem/%lld", base, id);
		cJSON_ArrayForEach(a, it) {
			/* Ids travel as numbers here; read them as doubles and insist on integers. */
			if (!cJSON_IsNumber(a) || a->valuedouble != (double)(long long)a->valuedouble ||
				a->valuedouble < 0) {
				conv_fail("%s: item %s: attribute is not a non-negative integer", path,
					it->string);
				goto cleanup;
			}
			snprintf(attr, sizeof(attr), "%s%s/%lld", base, attr_kind, (long long)a->valuedouble);
			/* Repeated ids (LastFM lists a tag once per assignment) become one triple. */
			nt_iri(o, item, predicate, attr);
		}
	}
	error = 0;
cleanup:
	cJSON_Delete(root);
	free(data);
	return error;
}

/* The three Amazon review datasets of S3-Rec share one format and one mapping; only the file
 * names (NAME.txt, NAME_item2attributes.json) and the IRI base differ. */
static int conv_amazon(const char *src, conv_out *o, const char *name, const char *base)
{
	static const char *types[] = { NS_SCHEMA "Product" };
	char seq[256], attrs[256];
	snprintf(seq, sizeof(seq), "%s.txt", name);
	snprintf(attrs, sizeof(attrs), "%s_item2attributes.json", name);
	if (conv_sequences(o, src, seq, base, NS_KGR "review", types, 1) != 0)
		return -1;
	return conv_item_attributes(o, src, attrs, base, "attribute", NS_KGR "hasAttribute");
}

int conv_beauty(const char *src, conv_out *o)
{
	return conv_amazon(src, o, "Beauty", BASE_IRI "amazon-beauty/");
}

int conv_sports(const char *src, conv_out *o)
{
	return conv_amazon(src, o, "Sports_and_Outdoors", BASE_IRI "amazon-sports/");
}

int conv_toys(const char *src, conv_out *o)
{
	return conv_amazon(src, o, "Toys_and_Games", BASE_IRI "amazon-toys/");
}

int conv_s3rec_lastfm(const char *src, conv_out *o)
{
	static const char *types[] = { NS_KGR "Item", NS_SCHEMA "MusicGroup" };
	const char *base = BASE_IRI "lastfm-s3rec/";
	if (conv_sequences(o, src, "LastFM.txt", base, NS_KGR "tag", types, 2) != 0)
		return -1;
	return conv_item_attributes(o, src, "LastFM_item2attributes.json", base, "tag",
		NS_KGR "hasTag");
}
