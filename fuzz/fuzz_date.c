/* fuzz_date.c - http_date_parse on arbitrary bytes: whatever parses, its
 * IMF-fixdate (http_date_format) parses back to the same time. Also, the
 * first 8 bytes as a time in years 0000-9999 (all an IMF-fixdate can
 * hold): format, parse, same time. */
#include "fuzz_check.h"

#include "http_date.h"

#define T_MIN INT64_C(-62167219200) /* 0000-01-01T00:00:00Z */
#define T_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

FUZZ_NOCOV
static bool digits(const char *p, int n)
{
	for (int i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* Formats t and checks the shape "Sun, 06 Nov 1994 08:49:37 GMT" and that
 * it parses back to t. */
FUZZ_NOCOV
static void round_trip(time_t t)
{
	char *out = malloc(HTTP_DATE_LEN + 1);
	time_t back = 0;

	memset(out, 'x', HTTP_DATE_LEN + 1);
	http_date_format(t, out);
	FUZZ_CHECK(out[HTTP_DATE_LEN] == '\0' && strlen(out) == HTTP_DATE_LEN);
	FUZZ_CHECK(out[3] == ',' && out[4] == ' ' && out[7] == ' ' && out[11] == ' ' &&
		   out[16] == ' ' && out[19] == ':' && out[22] == ':');
	FUZZ_CHECK(digits(out + 5, 2) && digits(out + 12, 4) && digits(out + 17, 2) &&
		   digits(out + 20, 2) && digits(out + 23, 2));
	FUZZ_CHECK(memcmp(out + 25, " GMT", 4) == 0);
	char *copy = fuzz_dup(out, HTTP_DATE_LEN);
	FUZZ_CHECK(http_date_parse(slice_make(copy, HTTP_DATE_LEN), &back));
	FUZZ_CHECK(back == t);
	free(copy);
	free(out);
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	time_t t = 0;

	if (http_date_parse(slice_make((const char *)data, size), &t)) {
		/* IMF-fixdate 29, asctime 24, RFC 850 30-33 ("Monday, ...") */
		FUZZ_CHECK(size == 24 || (size >= 29 && size <= 33));
		FUZZ_CHECK((int64_t)t >= T_MIN && (int64_t)t <= T_MAX);
		round_trip(t);
	}
	if (size >= 8) {
		uint64_t u = 0;
		for (int i = 7; i >= 0; i--)
			u = u << 8 | data[i];
		round_trip((time_t)(T_MIN + (int64_t)(u % (uint64_t)(T_MAX - T_MIN + 1))));
	}
	return 0;
}
