#include "cli/options.h"
#include "cli/cli.h"
#include "cli/recs_output.h"

#include <string.h>

static int takes_value(kgr_cli_opt_kind kind)
{
	return kind != KGR_OPT_SET;
}

int kgr_cli_opt_parse(const char *cmd, const kgr_cli_opt *table, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v;
	const kgr_cli_opt *o;
	long long n;

	for (o = table; o->name; o++)
		if (!strcmp(a, o->name) || (o->alias && !strcmp(a, o->alias)))
			break;
	if (!o->name)
		return 0;
	if (!takes_value(o->kind)) {
		*(int *)o->dest = o->value;
		return 1;
	}
	if (*i + 1 >= argc) {
		kgr_cli_usage("%s: %s needs a value", cmd, a);
		return -2;
	}
	v = argv[++*i];
	switch (o->kind) {
	case KGR_OPT_STRING:
		*(const char **)o->dest = v;
		break;
	case KGR_OPT_SIZE:
	case KGR_OPT_LONG:
		if (kgr_cli_int(a, v, o->min, o->max, &n) < 0)
			return -2;
		if (o->kind == KGR_OPT_SIZE)
			*(size_t *)o->dest = (size_t)n;
		else
			*(long long *)o->dest = n;
		break;
	case KGR_OPT_TIME:
		if (kgr_cli_time(v, (int64_t *)o->dest) < 0) {
			kgr_cli_usage("%s: '%s' is neither epoch seconds nor an ISO-8601 time", a, v);
			return -2;
		}
		break;
	case KGR_OPT_APPEND:
		((const char **)o->dest)[(*o->count)++] = v;
		break;
	case KGR_OPT_PARSE:
		if (o->parse(cmd, v, o->dest))
			return -2;
		break;
	default:
		break;
	}
	return 1;
}

int kgr_cli_opt_format(const char *cmd, const char *value, void *dest)
{
	return kgr_cli_format(cmd, value, dest);
}
