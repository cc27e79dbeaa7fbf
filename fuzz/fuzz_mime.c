/* fuzz_mime.c - mime_load over an arbitrary mime.types file, then
 * mime_lookup over arbitrary names. mime.c has no parse-from-buffer
 * function, so each input is written to one file in /dev/shm (made once
 * per process, and unlinked at once: it is read through /proc/self/fd)
 * and loaded from there; then mime_unload.
 *
 * The input is loaded as it is, then again followed by a line the harness
 * adds, ";\n" first so it stands on its own in both the Apache and nginx
 * forms: "application/x-fuzz FuzzExt;". Checked: mime_load succeeds and
 * stays inside its buffer (every allocation is filled, so a read past its
 * text meets the redzone, as a comment ending the file once did); the
 * added extension is found (unless the input already named it, or a NUL
 * byte ends the text early); every lookup answers "type/subtype" made of
 * tokens, short, with no other parameter than the charset mime.c adds, the
 * same for any letter case; names with no extension get
 * application/octet-stream; after mime_unload the built-in table answers
 * again. Reproducers of what this found: fuzz/crashes/fuzz_mime-*.
 *
 * Names looked up: the whole input, and each word of it (split at
 * whitespace, ';', '{' and '}') as a file "f.<word>" and as itself. */
#include "fuzz_check.h"

#include <fcntl.h>
#include <unistd.h>

#include "mime.h"

#define WORDS_MAX    64
#define NAME_MAX_LEN 64

static const char added[] = "\n;\napplication/x-fuzz FuzzExt;\n";

static char path[64]; /* /proc/self/fd/N: the file has no name left */
static int fd = -1;

FUZZ_NOCOV
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char name[64];
	(void)argc;
	(void)argv;
	snprintf(name, sizeof name, "/dev/shm/fuzz_mime.%ld", (long)getpid());
	fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || unlink(name) != 0) {
		perror(name);
		abort();
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return 0;
}

FUZZ_NOCOV
static bool ci_contains(const uint8_t *p, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;
		while (j < k && (p[i + j] | 0x20) == (lit[j] | 0x20))
			j++;
		if (j == k)
			return true;
	}
	return false;
}

/* A media type as a Content-Type value: "type/subtype", both tokens
 * (RFC 9110 section 8.3.1), at most TYPE_MAX bytes, and maybe the charset
 * parameter mime.c adds; nothing else could safely go into a header. */
#define TYPE_MAX 127

FUZZ_NOCOV
static void check_type(const char *t)
{
	static const char charset[] = "; charset=utf-8";
	const char *semi = strchr(t, ';');
	size_t n = semi ? (size_t)(semi - t) : strlen(t), slash = 0;

	FUZZ_CHECK(!semi || strcmp(semi, charset) == 0);
	FUZZ_CHECK(n >= 3 && n <= TYPE_MAX);
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '/') {
			FUZZ_CHECK(i > 0 && i < n - 1);
			slash++;
		} else {
			FUZZ_CHECK(fuzz_tchar((unsigned char)t[i]));
		}
	}
	FUZZ_CHECK(slash == 1);
}

/* Looks name up as given and upper-cased: same answer. */
FUZZ_NOCOV
static const char *lookup(const char *name, size_t n)
{
	char *a = fuzz_dup(name, n), *b = fuzz_dup(name, n);
	for (size_t i = 0; i < n; i++)
		if (b[i] >= 'a' && b[i] <= 'z')
			b[i] = (char)(b[i] - 32);
	const char *t = mime_lookup(slice_make(a, n));
	check_type(t);
	FUZZ_CHECK(strcmp(t, mime_lookup(slice_make(b, n))) == 0);
	/* No dot after the last '/': no extension, no guess. */
	size_t i = n;
	while (i > 0 && a[i - 1] != '/' && a[i - 1] != '.')
		i--;
	if (i == 0 || a[i - 1] == '/')
		FUZZ_CHECK(strcmp(t, "application/octet-stream") == 0);
	free(b);
	free(a);
	return t;
}

FUZZ_NOCOV
static void lookup_words(const uint8_t *data, size_t size)
{
	size_t i = 0, words = 0;
	char name[NAME_MAX_LEN + 2];

	while (i < size && words < WORDS_MAX) {
		while (i < size && strchr(" \t\r\n;{}", data[i]) && data[i])
			i++;
		size_t s = i;
		while (i < size && !(strchr(" \t\r\n;{}", data[i]) && data[i]))
			i++;
		if (i == s)
			break;
		size_t n = i - s < NAME_MAX_LEN ? i - s : NAME_MAX_LEN;
		name[0] = 'f';
		name[1] = '.';
		memcpy(name + 2, data + s, n);
		lookup(name, n + 2);
		lookup((const char *)data + s, i - s);
		words++;
	}
}

FUZZ_NOCOV
static void write_file(const uint8_t *data, size_t size, const char *tail)
{
	size_t tn = tail ? strlen(tail) : 0;
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size ||
	    (tn && pwrite(fd, tail, tn, (off_t)size) != (ssize_t)tn))
		abort();
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int n;

	/* The input as it is. */
	write_file(data, size, NULL);
	n = mime_load(path);
	FUZZ_CHECK(n >= 0);
	lookup((const char *)data, size);
	lookup_words(data, size);
	mime_unload();

	/* With the added line, which must be found. */
	write_file(data, size, added);
	n = mime_load(path);
	FUZZ_CHECK(n >= 0);
	const char *t = lookup("a.fuzzext", 9);
	if (!memchr(data, '\0', size) && !ci_contains(data, size, "fuzzext")) {
		FUZZ_CHECK(n >= 1);
		FUZZ_CHECK(strcmp(t, "application/x-fuzz") == 0);
	}
	lookup_words(data, size);
	mime_unload();

	FUZZ_CHECK(strcmp(mime_lookup(SLICE_LIT("a.fuzzext")), "application/octet-stream") == 0);
	FUZZ_CHECK(strcmp(mime_lookup(SLICE_LIT("i.HTML")), "text/html; charset=utf-8") == 0);
	return 0;
}

/* Fill all of every allocation (not only its first 4 KiB), so reading
 * mime_load's buffer past its text runs into the redzone, not into zeros. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "max_malloc_fill_size=16777216";
}
