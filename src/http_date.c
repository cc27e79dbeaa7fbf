/* http_date.c - HTTP-date, RFC 9110 section 5.6.7. A recipient must accept
 * all three historical forms; a sender produces only IMF-fixdate. Nothing
 * here depends on the locale or the time zone. */
#include "http_date.h"

#include <stdint.h>
#include <string.h>

static const char wdays[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const long_wdays[7] = { "Sunday",   "Monday", "Tuesday", "Wednesday",
					   "Thursday", "Friday", "Saturday" };

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

#define DATE_MIN ((time_t)-62167219200LL) /* 0000-01-01T00:00:00Z */
#define DATE_MAX ((time_t)253402300799LL)  /* 9999-12-31T23:59:59Z */

time_t http_date_clamp(time_t t)
{
	return t < DATE_MIN ? DATE_MIN : t > DATE_MAX ? DATE_MAX : t;
}

void http_date_gmtime(time_t t, struct tm *tm)
{
	t = http_date_clamp(t);
	if (!gmtime_r(&t, tm)) {
		/* Not reached in range; never leave tm undefined. */
		memset(tm, 0, sizeof *tm);
		tm->tm_year = 70;
		tm->tm_mday = 1;
		tm->tm_wday = 4;
	}
}

void http_date_format(time_t t, char out[HTTP_DATE_LEN + 1])
{
	struct tm tm;
	http_date_gmtime(t, &tm);
	memcpy(out, wdays[tm.tm_wday], 3);
	out[3] = ',';
	out[4] = ' ';
	put2(out + 5, tm.tm_mday);
	out[7] = ' ';
	memcpy(out + 8, months[tm.tm_mon], 3);
	out[11] = ' ';
	int y = tm.tm_year + 1900;
	put2(out + 12, (y / 100) % 100);
	put2(out + 14, y % 100);
	out[16] = ' ';
	put2(out + 17, tm.tm_hour);
	out[19] = ':';
	put2(out + 20, tm.tm_min);
	out[22] = ':';
	put2(out + 23, tm.tm_sec);
	memcpy(out + 25, " GMT", 5);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no timegm and no time zone is involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int num(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int month_index(const char *p)
{
	for (int i = 0; i < 12; i++)
		if (memcmp(p, months[i], 3) == 0)
			return i;
	return -1;
}

/* "HH:MM:SS" */
static bool parse_clock(const char *p, int *h, int *mi, int *s)
{
	if (p[2] != ':' || p[5] != ':')
		return false;
	*h = num(p, 2);
	*mi = num(p + 3, 2);
	*s = num(p + 6, 2);
	return *h >= 0 && *h <= 23 && *mi >= 0 && *mi <= 59 && *s >= 0 && *s <= 60;
}

static bool valid_day(int y, int mon, int d)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (d < 1 || d > mdays[mon])
		return false;
	if (mon == 1 && d == 29)
		return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return true;
}

static bool finish(int y, int mon, int d, int h, int mi, int s, time_t *t)
{
	if (!valid_day(y, mon, d))
		return false;
	int64_t days = days_from_civil(y, (unsigned)mon + 1, (unsigned)d);
	int64_t v = days * 86400 + h * 3600 + mi * 60 + s;
	/* A leap second on 9999-12-31 would be year 10000, which no
	 * HTTP-date can write back. */
	if (v > 253402300799LL)
		return false;
	*t = (time_t)v;
	return true;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (exactly 29 bytes). */
static bool parse_imf(const char *p, time_t *t)
{
	int d, mon, y, h, mi, s;
	if (p[3] != ',' || p[4] != ' ' || p[7] != ' ' || p[11] != ' ' || p[16] != ' ')
		return false;
	if (memcmp(p + 25, " GMT", 4) != 0)
		return false;
	d = num(p + 5, 2);
	mon = month_index(p + 8);
	y = num(p + 12, 4);
	if (d < 0 || mon < 0 || y < 0 || !parse_clock(p + 17, &h, &mi, &s))
		return false;
	return finish(y, mon, d, h, mi, s, t);
}

/* asctime: "Sun Nov  6 08:49:37 1994" (exactly 24 bytes). */
static bool parse_asctime(const char *p, time_t *t)
{
	int d, mon, y, h, mi, s;
	if (p[3] != ' ' || p[7] != ' ' || p[10] != ' ' || p[19] != ' ')
		return false;
	mon = month_index(p + 4);
	d = p[8] == ' ' ? num(p + 9, 1) : num(p + 8, 2);
	y = num(p + 20, 4);
	if (d < 0 || mon < 0 || y < 0 || !parse_clock(p + 11, &h, &mi, &s))
		return false;
	return finish(y, mon, d, h, mi, s, t);
}

/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year that would
 * be more than 50 years in the future means the past century (RFC 9110). */
static bool parse_rfc850(const char *p, size_t n, time_t *t)
{
	size_t wl;
	int d, mon, y, h, mi, s;
	const char *comma = memchr(p, ',', n);
	if (!comma)
		return false;
	wl = (size_t)(comma - p);
	if (n != wl + 24)
		return false;
	p = comma;
	if (p[1] != ' ' || p[4] != '-' || p[8] != '-' || p[11] != ' ' || memcmp(p + 20, " GMT", 4) != 0)
		return false;
	d = num(p + 2, 2);
	mon = month_index(p + 5);
	y = num(p + 9, 2);
	if (d < 0 || mon < 0 || y < 0 || !parse_clock(p + 12, &h, &mi, &s))
		return false;
	struct tm now;
	time_t nt = time(NULL);
	gmtime_r(&nt, &now);
	int cur = now.tm_year + 1900;
	y += cur - cur % 100;
	if (y > cur + 50)
		y -= 100;
	else if (y <= cur - 50)
		y += 100; /* e.g. "00" read in 2060 is 2100, not 50+ years back */
	return finish(y, mon, d, h, mi, s, t);
}

bool http_date_parse(struct slice s, time_t *t)
{
	if (s.len == 29) {
		for (int i = 0; i < 7; i++)
			if (memcmp(s.ptr, wdays[i], 3) == 0)
				return parse_imf(s.ptr, t);
		return false;
	}
	if (s.len == 24) {
		for (int i = 0; i < 7; i++)
			if (memcmp(s.ptr, wdays[i], 3) == 0 && s.ptr[3] == ' ')
				return parse_asctime(s.ptr, t);
	}
	for (int i = 0; i < 7; i++) {
		size_t wl = strlen(long_wdays[i]);
		if (s.len > wl && memcmp(s.ptr, long_wdays[i], wl) == 0 && s.ptr[wl] == ',')
			return parse_rfc850(s.ptr, s.len, t);
	}
	return false;
}
