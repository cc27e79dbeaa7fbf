/* test_http_date.c - HTTP-date (RFC 9110 section 5.6.7): IMF-fixdate,
 * RFC 850 and asctime forms; formatting and round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_date.h"
#include "unit.h"

/* Parses from an exact-size heap copy so ASan sees any over-read. */
static bool parse(const char *s, time_t *t)
{
	size_t n = strlen(s);
	char *p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, s, n);
	bool ok = http_date_parse(slice_make(p, n), t);
	free(p);
	return ok;
}

struct good_case {
	const char *in;
	long long t;
};

static const struct good_case good[] = {
	/* the three examples of RFC 9110 section 5.6.7 */
	{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
	{ "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 },
	{ "Sun Nov  6 08:49:37 1994", 784111777 },
	{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
	{ "Thu Jan  1 00:00:00 1970", 0 },
	{ "Tue, 29 Feb 2000 12:00:00 GMT", 951825600 },
	{ "Tue Feb 29 12:00:00 2000", 951825600 },
	{ "Thu, 29 Feb 2024 00:00:00 GMT", 1709164800 },
	{ "Sun, 28 Sep 2025 18:30:00 GMT", 1759084200 },
	{ "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL },
	{ "Fri Dec 31 23:59:59 9999", 253402300799LL },
	{ "Mon, 01 Mar 2100 00:00:00 GMT", 4107542400LL },
	{ "Thu, 01 Mar 1900 00:00:00 GMT", -2203891200LL },
	{ "Sat, 30 Jun 2012 23:59:60 GMT", 1341100800 }, /* leap second */
	{ "Sat, 31 Dec 2016 23:59:59 GMT", 1483228799 },
	{ "Sun, 01 Jan 2017 00:00:00 GMT", 1483228800 },
	/* asctime with two-digit day and with a zero-padded one */
	{ "Sun Nov 16 08:49:37 1994", 784111777 + 10 * 86400 },
	{ "Sun Nov 06 08:49:37 1994", 784111777 },
	/* every month */
	{ "Mon, 15 Jan 2001 00:00:00 GMT", 979516800 },
	{ "Thu, 15 Feb 2001 00:00:00 GMT", 982195200 },
	{ "Thu, 15 Mar 2001 00:00:00 GMT", 984614400 },
	{ "Sun, 15 Apr 2001 00:00:00 GMT", 987292800 },
	{ "Tue, 15 May 2001 00:00:00 GMT", 989884800 },
	{ "Fri, 15 Jun 2001 00:00:00 GMT", 992563200 },
	{ "Sun, 15 Jul 2001 00:00:00 GMT", 995155200 },
	{ "Wed, 15 Aug 2001 00:00:00 GMT", 997833600 },
	{ "Sat, 15 Sep 2001 00:00:00 GMT", 1000512000 },
	{ "Mon, 15 Oct 2001 00:00:00 GMT", 1003104000 },
	{ "Thu, 15 Nov 2001 00:00:00 GMT", 1005782400 },
	{ "Sat, 15 Dec 2001 00:00:00 GMT", 1008374400 },
	/* every long weekday name of RFC 850 */
	{ "Monday, 07-Nov-94 08:49:37 GMT", 784111777 + 86400 },
	{ "Tuesday, 08-Nov-94 08:49:37 GMT", 784111777 + 2 * 86400 },
	{ "Wednesday, 09-Nov-94 08:49:37 GMT", 784111777 + 3 * 86400 },
	{ "Thursday, 10-Nov-94 08:49:37 GMT", 784111777 + 4 * 86400 },
	{ "Friday, 11-Nov-94 08:49:37 GMT", 784111777 + 5 * 86400 },
	{ "Saturday, 12-Nov-94 08:49:37 GMT", 784111777 + 6 * 86400 },
};

static const char *const bad[] = {
	"",
	"GMT",
	"Sun",
	"1994-11-06T08:49:37Z",
	"784111777",
	/* impossible days */
	"Sun, 32 Nov 1994 08:49:37 GMT",
	"Sun, 00 Nov 1994 08:49:37 GMT",
	"Mon, 31 Apr 2023 00:00:00 GMT",
	"Mon, 31 Jun 2023 00:00:00 GMT",
	"Mon, 31 Sep 2023 00:00:00 GMT",
	"Mon, 31 Nov 2023 00:00:00 GMT",
	"Mon, 30 Feb 2024 00:00:00 GMT",
	"Fri, 31 Dec 9999 23:59:60 GMT", /* found by fuzz_date: would be year 10000 */
	"Wed, 29 Feb 2023 00:00:00 GMT",
	"Thu, 29 Feb 1900 00:00:00 GMT",
	"Mon, 29 Feb 2100 00:00:00 GMT",
	"Mon, 99 Feb 2024 00:00:00 GMT",
	/* bad clock */
	"Sun, 06 Nov 1994 24:00:00 GMT",
	"Sun, 06 Nov 1994 08:60:00 GMT",
	"Sun, 06 Nov 1994 08:49:61 GMT",
	"Sun, 06 Nov 1994 08-49-37 GMT",
	"Sun, 06 Nov 1994 8:49:37  GMT",
	"Sun, 06 Nov 1994 08:4a:37 GMT",
	/* wrong length or spacing */
	"Sun, 6 Nov 1994 08:49:37 GMT",
	"Sun, 06 Nov 94 08:49:37 GMT",
	"Sun, 06 Nov 1994 08:49:37",
	"Sun, 06 Nov 1994 08:49:37 GMT ",
	" Sun, 06 Nov 1994 08:49:37 GMT",
	"Sun, 06 Nov 1994 08:49:37 GMTX",
	"Sun,  06 Nov 1994 08:49:37 GMT",
	"Sun 06 Nov 1994 08:49:37 GMT ",
	"Sun, 06-Nov-1994 08:49:37 GMT",
	"Sun, 06 Nov 1994 08:49:37.5 GMT",
	"Sun, 06 Nov 1994  8:49:37 GMT",
	/* case: month, weekday and zone names are case-sensitive */
	"Sun, 06 nov 1994 08:49:37 GMT",
	"Sun, 06 NOV 1994 08:49:37 GMT",
	"sun, 06 Nov 1994 08:49:37 GMT",
	"SUN, 06 Nov 1994 08:49:37 GMT",
	"Sun, 06 Nov 1994 08:49:37 gmt",
	/* other zones or none */
	"Sun, 06 Nov 1994 08:49:37 UTC",
	"Sun, 06 Nov 1994 08:49:37 EST",
	"Sun, 06 Nov 1994 08:49:37 +000",
	"Sun, 06 Nov 1994 08:49:37 -0000",
	/* unknown names */
	"Xyz, 06 Nov 1994 08:49:37 GMT",
	"Sun, 06 Nox 1994 08:49:37 GMT",
	"Sun, 06 Nov 19a4 08:49:37 GMT",
	"Sun, 06 Nov -994 08:49:37 GMT",
	"Sun, 0x Nov 1994 08:49:37 GMT",
	/* RFC 850 */
	"Sunday, 06-Nov-1994 08:49:37 GMT",
	"Sunday, 06-nov-94 08:49:37 GMT",
	"Sunday 06-Nov-94 08:49:37 GMT",
	"Sunday,06-Nov-94 08:49:37 GMT",
	"Sunday, 06 Nov 94 08:49:37 GMT",
	"Sunday, 6-Nov-94 08:49:37 GMT",
	"Sunday, 06-Nov-94 08:49:37 UTC",
	"Sunday, 06-Nov-94 08:49:37",
	"Sunday, 06-Nov-94 08:49:37 GMT ",
	"Sunday, 31-Feb-94 08:49:37 GMT",
	"Sunday, 06-Nov-94 25:49:37 GMT",
	"Sunday, 06-Nov-9x 08:49:37 GMT",
	"sunday, 06-Nov-94 08:49:37 GMT",
	"Funday, 06-Nov-94 08:49:37 GMT",
	"Sun, 06-Nov-94 08:49:37 GMT",
	"Sunday,",
	"Sunday, ",
	"Wednesday,",
	/* asctime */
	"Sun Nov 6 08:49:37 1994",
	"Sun Nov  6 08:49:37 94",
	"Sun Nov  6 08:49:37 1994 ",
	"Sun Nov  6 08:49:37 1994 GMT",
	"Sun Nov 32 08:49:37 1994",
	"Sun Nov  0 08:49:37 1994",
	"Sun Feb 30 08:49:37 1994",
	"Sun nov  6 08:49:37 1994",
	"Sun Nov  6 08:49:60x1994",
	"Sun Nov  6 24:49:37 1994",
	"Sun Nov 6  08:49:37 1994",
	"Sun Nov  x 08:49:37 1994",
	"sun Nov  6 08:49:37 1994",
	"Sun,Nov  6 08:49:37 1994",
};

/* RFC 850 years have two digits, so which century they mean depends on
 * today's date (test_rfc850_century); compare everything else exactly. */
static bool same_but_century(time_t got, time_t want)
{
	struct tm a, b, now_tm;
	time_t now = time(NULL);
	gmtime_r(&got, &a);
	gmtime_r(&want, &b);
	gmtime_r(&now, &now_tm);
	int ya = a.tm_year + 1900, cur = now_tm.tm_year + 1900;
	return a.tm_year % 100 == b.tm_year % 100 && a.tm_mon == b.tm_mon &&
	       a.tm_mday == b.tm_mday && a.tm_hour == b.tm_hour && a.tm_min == b.tm_min &&
	       a.tm_sec == b.tm_sec && ya >= cur - 50 && ya <= cur + 50;
}

static void test_good(void)
{
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		time_t t = 12345;
		bool ok = parse(good[i].in, &t);
		bool rfc850 = strchr(good[i].in, '-') != NULL;
		CHECK(ok, "good %zu: '%s' rejected", i, good[i].in);
		if (rfc850)
			CHECK(ok && same_but_century(t, (time_t)good[i].t),
			      "good %zu: '%s' -> %lld, want %lld (or another century)", i, good[i].in,
			      (long long)t, good[i].t);
		else
			CHECK(ok && (long long)t == good[i].t, "good %zu: '%s' -> %lld, want %lld", i,
			      good[i].in, (long long)t, good[i].t);
	}
}

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		time_t t = 12345;
		CHECK(!parse(bad[i], &t), "bad %zu: '%s' accepted as %lld", i, bad[i], (long long)t);
	}
}

/* An embedded NUL or a slice shorter than the string never parses. */
static void test_slices(void)
{
	static const char imf[] = "Sun, 06 Nov 1994 08:49:37 GMT";
	char buf[sizeof imf];
	time_t t;

	for (size_t n = 0; n < sizeof imf - 1; n++)
		CHECK(!http_date_parse(slice_make(imf, n), &t), "prefix of %zu bytes accepted", n);
	for (size_t k = 0; k < sizeof imf - 1; k++) {
		memcpy(buf, imf, sizeof imf);
		buf[k] = '\0';
		CHECK(!http_date_parse(slice_make(buf, sizeof imf - 1), &t), "NUL at %zu accepted", k);
	}
}

struct fmt_case {
	long long t;
	const char *out;
};

static const struct fmt_case fmt[] = {
	{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
	{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
	{ 951825600, "Tue, 29 Feb 2000 12:00:00 GMT" },
	{ 1759084200, "Sun, 28 Sep 2025 18:30:00 GMT" },
	{ 1483228799, "Sat, 31 Dec 2016 23:59:59 GMT" },
	{ 2147483647, "Tue, 19 Jan 2038 03:14:07 GMT" },
	{ 2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT" },
	{ 4107542400LL, "Mon, 01 Mar 2100 00:00:00 GMT" },
	{ 253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
	/* what an HTTP-date cannot carry is clamped (a file's mtime may be
	 * 2^62 s on tmpfs; gmtime_r fails there) */
	{ 253402300800LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
	{ 4611686018427387904LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
	{ INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT" },
	{ -62167219200LL, "Sat, 01 Jan 0000 00:00:00 GMT" },
	{ -4611686018427387904LL, "Sat, 01 Jan 0000 00:00:00 GMT" },
	{ INT64_MIN, "Sat, 01 Jan 0000 00:00:00 GMT" },
	{ -1, "Wed, 31 Dec 1969 23:59:59 GMT" },
};

static void test_format(void)
{
	for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
		char out[HTTP_DATE_LEN + 2];
		memset(out, 'X', sizeof out);
		http_date_format((time_t)fmt[i].t, out);
		CHECK(strcmp(out, fmt[i].out) == 0, "format %lld: '%s', want '%s'", fmt[i].t, out,
		      fmt[i].out);
		CHECK(out[HTTP_DATE_LEN + 1] == 'X', "format %lld wrote past the NUL", fmt[i].t);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* format -> parse gives back the time; strftime (in the C locale) is an
 * independent oracle for all three forms. */
static void test_round_trip(void)
{
	static const long long fixed[] = { 0, 1, 59, 60, 86399, 86400, 784111777, 951782399,
					   951782400, 951868800, 1709164800, 2147483647,
					   253402300799LL };
	const long long max = 253402300799LL; /* 9999-12-31T23:59:59Z */
	unsigned bad_rt = 0, bad_fmt = 0, bad_asc = 0, bad_850 = 0;
	time_t now = time(NULL);
	const long long year = 31556952; /* average Gregorian year */

	for (int i = 0; i < 20000; i++) {
		long long v = i < (int)(sizeof fixed / sizeof fixed[0])
				      ? fixed[i]
				      : (long long)(next_rand() % (uint64_t)(max + 1));
		time_t t = (time_t)v, back = 0;
		char out[HTTP_DATE_LEN + 1], want[64];
		struct tm tm;

		http_date_format(t, out);
		gmtime_r(&t, &tm);
		strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		if (strcmp(out, want) != 0 && bad_fmt++ < 5)
			CHECK(0, "format %lld: '%s', strftime '%s'", v, out, want);
		if ((!http_date_parse(slice_make(out, strlen(out)), &back) || back != t) &&
		    bad_rt++ < 5)
			CHECK(0, "round trip %lld: '%s' -> %lld", v, out, (long long)back);

		strftime(want, sizeof want, "%a %b %e %H:%M:%S %Y", &tm);
		back = 0;
		if ((!http_date_parse(slice_make(want, strlen(want)), &back) || back != t) &&
		    bad_asc++ < 5)
			CHECK(0, "asctime %lld: '%s' -> %lld", v, want, (long long)back);

		/* RFC 850's two-digit years only round trip within a window
		 * around now; use times from 45 years ago to 5 ahead. */
		time_t t850 = now - 45 * year + (time_t)(next_rand() % (uint64_t)(50 * year));
		gmtime_r(&t850, &tm);
		strftime(want, sizeof want, "%A, %d-%b-%y %H:%M:%S GMT", &tm);
		back = 0;
		if ((!http_date_parse(slice_make(want, strlen(want)), &back) || back != t850) &&
		    bad_850++ < 5)
			CHECK(0, "rfc850 %lld: '%s' -> %lld", (long long)t850, want, (long long)back);
	}
	CHECK(bad_fmt == 0, "%u format mismatches", bad_fmt);
	CHECK(bad_rt == 0, "%u IMF round trips failed", bad_rt);
	CHECK(bad_asc == 0, "%u asctime parses failed", bad_asc);
	CHECK(bad_850 == 0, "%u RFC 850 parses failed", bad_850);
}

/* RFC 9110: a two-digit year more than 50 years in the future is the
 * most recent past year with those digits; otherwise it is taken as is. */
static int rfc850_year(int year)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = 5, .tm_mday = 15, .tm_hour = 12 };
	time_t t = timegm(&tm), back;
	char s[64];

	gmtime_r(&t, &tm);
	strftime(s, sizeof s, "%A, %d-%b-%y %H:%M:%S GMT", &tm);
	if (!http_date_parse(slice_make(s, strlen(s)), &back))
		return -1;
	gmtime_r(&back, &tm);
	return tm.tm_year + 1900;
}

static void test_rfc850_century(void)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	int cur = tm.tm_year + 1900;
	static const int offsets[][2] = {
		/* written year relative to now, year it must be read as */
		{ 0, 0 },    { -1, -1 },  { 1, 1 },     { -30, -30 }, { 30, 30 },
		{ -49, -49 }, { 49, 49 }, { -60, 40 },  { 60, -40 },  { 75, -25 },
		{ -75, 25 },  { 99, -1 }, { -99, 1 },
	};
	for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
		int got = rfc850_year(cur + offsets[i][0]);
		CHECK(got == cur + offsets[i][1], "RFC 850 year %02d (now %d): read as %d, want %d",
		      (cur + offsets[i][0]) % 100, cur, got, cur + offsets[i][1]);
	}
}

int main(void)
{
	test_good();
	test_bad();
	test_slices();
	test_format();
	test_round_trip();
	test_rfc850_century();
	return unit_done("http_date");
}
