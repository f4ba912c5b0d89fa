/* Times of interaction events: ISO-8601 dates and date-times and epoch seconds in, the
 * xsd:dateTime form out, and the range of years the store accepts. */
#include "kg/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic Gregorian calendar. */
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *p, const char *end, int n, int *out)
{
	int v = 0, i;
	if (end - p < n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/* ISO-8601 date or date-time (YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:]MM]) or integer
 * epoch seconds. */
int kgr__parse_time(const char *text, size_t len, int64_t *out)
{
	const char *p = text, *end = text + len;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p == end)
		return -1;
	if (end - p < 10 || p[4] != '-') {
		/* epoch seconds */
		const char *q = p;
		int64_t v = 0;
		int neg = 0;
		if (*q == '-') {
			neg = 1;
			q++;
		}
		if (q == end)
			return -1;
		for (; q < end; q++) {
			if (!isdigit((unsigned char)*q) || v > (INT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (*q - '0');
		}
		*out = neg ? -v : v;
		return kgr__time_ok(*out) ? 0 : -1;
	}
	if (digits(p, end, 4, &y) || p[4] != '-' || digits(p + 5, end, 2, &mo) || p[7] != '-' ||
		digits(p + 8, end, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
		(mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0))))
		return -1;
	p += 10;
	if (p < end && (*p == 'T' || *p == ' ')) {
		p++;
		if (digits(p, end, 2, &h) || p + 2 >= end || p[2] != ':' || digits(p + 3, end, 2, &mi))
			return -1;
		p += 5;
		if (p < end && *p == ':') {
			if (digits(p + 1, end, 2, &sec))
				return -1;
			p += 3;
			if (p < end && (*p == '.' || *p == ',')) {
				p++;
				if (p == end || !isdigit((unsigned char)*p))
					return -1;
				while (p < end && isdigit((unsigned char)*p))
					p++;
			}
		}
		/* 24:00:00 is the end of a day; :60 only for a leap second at 23:59 */
		if (h > 24 || mi > 59 || sec > 60 || (h == 24 && (mi || sec)) ||
			(sec == 60 && (h != 23 || mi != 59)))
			return -1;
	}
	if (p < end) {
		if (*p == 'Z' && p + 1 == end) {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '-' ? -1 : 1;
			p++;
			if (digits(p, end, 2, &oh))
				return -1;
			p += 2;
			if (p < end && *p == ':')
				p++;
			if (digits(p, end, 2, &om))
				return -1;
			p += 2;
			if (oh > 23 || om > 59)
				return -1;
		}
		if (p != end)
			return -1;
	}
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	return kgr__time_ok(*out) ? 0 : -1;
}

/* Years 1000 to 9999: what four-digit xsd:dateTime years (and kgr__format_time()) can say. */
int kgr__time_ok(int64_t t)
{
	return t >= days_from_civil(1000, 1, 1) * 86400 && t < days_from_civil(10000, 1, 1) * 86400;
}

int kgr_time_parse(int64_t *out, const char *text)
{
	if (kgr__parse_time(text, strlen(text), out) < 0)
		return kgr__error_set(KGR_EINVALID, "'%s' is neither epoch seconds nor an ISO-8601 time", text);
	return 0;
}

void kgr__format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!kgr__time_ok(t) || !gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%lld", (long long)t);
}

/* The civil year of day @p z since 1970-01-01 (Hinnant's civil_from_days). */
static int64_t year_of_days(int64_t z)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int64_t mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

int kgr__parse_log_time(const char *text, size_t len, kgr_time_unit unit, int64_t *out, char *why,
	size_t why_size)
{
	static const char *const unit_names[] = { "", "seconds", "milliseconds", "microseconds" };
	static const int64_t per_second[] = { 1, 1, 1000, 1000000 };
	const char *p = text, *end = text + len, *q;
	int64_t v = 0, mag;
	int neg = 0, told = unit == KGR_TIME_UNIT_AUTO;

	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	q = p;
	if (q < end && (*q == '-' || *q == '+'))
		neg = *q++ == '-';
	if (q == end)
		goto not_integer;
	for (; q < end; q++) {
		if (!isdigit((unsigned char)*q))
			goto not_integer;
		if (v >= 100000000000000000LL) {
			snprintf(why, why_size, "out of range: too many digits for epoch seconds, "
				"milliseconds or microseconds");
			return -2;
		}
		v = v * 10 + (*q - '0');
	}
	mag = v;
	if (neg)
		v = -v;
	if (told) {
		if (mag < 1000000000000LL)
			unit = KGR_TIME_UNIT_S;
		else if (mag < 10000000000000LL)
			unit = KGR_TIME_UNIT_MS;
		else if (mag >= 1000000000000000LL && mag < 10000000000000000LL)
			unit = KGR_TIME_UNIT_US;
		else {
			snprintf(why, why_size, "out of range: an integer is read as epoch seconds below "
				"1e12, milliseconds from 1e12 to 1e13 and microseconds from 1e15 to 1e16 "
				"(2001-09-09 to 2286-11-20 for both), and this is none of them");
			return -2;
		}
	}
	*out = floor_div(v, per_second[unit]);
	if (!kgr__time_ok(*out)) {
		snprintf(why, why_size, "out of range: read as epoch %s (%s) it falls in the year %lld, "
			"and times must fall in the years 1000 to 9999", unit_names[unit],
			told ? "told by its magnitude" : "as set", (long long)year_of_days(floor_div(*out, 86400)));
		return -2;
	}
	return 0;
not_integer:
	if (kgr__parse_time(text, len, out) == 0)
		return 0;
	snprintf(why, why_size, "neither ISO-8601 (a real date in the years 1000 to 9999) nor an integer "
		"(epoch seconds, milliseconds or microseconds)");
	return -1;
}
