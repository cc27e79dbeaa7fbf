/* fuzz_config_file.c - the config file loader end to end: the input is the
 * YAML file (in a memfd, read by path as the server reads it), parsed with
 * `server -c FILE`, then built into a site set (roots opened, rules and
 * `_headers`/`_redirects` compiled, hosts sorted) and routed.
 *
 * Checked: the result is 0 or an enum config_result; an error leaves a
 * one-line message that starts with the file's name when the file is at
 * fault; a second parse answers the same; on success every site has an
 * absolute root, at least one index name, host names in lower case without
 * a port, at most one default; the set builds or fails with a message;
 * site_find answers every host of every site with that site (or one that
 * lists the same wildcard), and the printed configuration parses again to
 * the same sites with the same number of rules, at the top level (a file
 * without sites: may give the one folder rules and netlify:) and in each.
 * Everything is freed (LeakSanitizer). Roots the inputs name are resolved
 * for real, which only reads. */
#include "fuzz_check.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compress.h"
#include "config.h"
#include "site.h"

#define ERR_CAP 512

/* Rules of the top level and of every site, and netlify: flags, weighed
 * so a rule moved between them shows. */
static unsigned rule_count(const struct config *c)
{
	unsigned n = c->nrules * 1000u + (c->netlify ? 1u : 0u);
	for (unsigned i = 0; i < c->nsites; i++)
		n += c->sites[i].nrules * (i + 2u) + (c->sites[i].netlify ? 7u : 0u);
	return n;
}

const char *compress_features(void)
{
	return "";
}

static int memfd = -1;
static char path[64];

FUZZ_NOCOV
static void put_file(int fd, const uint8_t *data, size_t size)
{
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
}

FUZZ_NOCOV
static int parse(const char *file, struct config *c, char *err)
{
	char *argv[] = { "server", "-c", (char *)file, NULL };
	return config_parse_args(3, argv, c, err, ERR_CAP);
}

FUZZ_NOCOV
static void check_sites(const struct config *c)
{
	int defaults = 0;
	for (unsigned i = 0; i < c->nsites; i++) {
		const struct config_site *s = &c->sites[i];
		FUZZ_CHECK(s->cfg.root && s->cfg.root[0] == '/');
		FUZZ_CHECK(s->cfg.nindexes >= 1);
		FUZZ_CHECK(s->nhosts || s->is_default);
		defaults += s->is_default;
		for (unsigned j = 0; j < s->nhosts; j++)
			for (const char *h = s->hosts[j]; *h; h++)
				FUZZ_CHECK(!(*h >= 'A' && *h <= 'Z') && *h != ':' && *h != '/');
		for (unsigned j = 0; j < s->nrules; j++)
			FUZZ_CHECK(s->rules[j].match && (!s->rules[j].redirect || !s->rules[j].rewrite));
	}
	FUZZ_CHECK(defaults <= 1);
}

FUZZ_NOCOV
static void check_set(const struct site_set *set)
{
	for (unsigned i = 0; i < set->cfg.nsites; i++) {
		const struct config_site *s = &set->cfg.sites[i];
		for (unsigned j = 0; j < s->nhosts; j++) {
			const char *h = s->hosts[j];
			if (h[0] == '*')
				continue;
			const struct site *got = site_find(set, slice_make(h, strlen(h)));
			FUZZ_CHECK(got == &set->sites[i]);
		}
	}
	/* Hosts no site can name: the default site or none. */
	const struct site *d = site_find(set, SLICE_LIT("[::1]:80"));
	FUZZ_CHECK(set->cfg.nsites == 0 || d == (set->def >= 0 ? &set->sites[set->def] : NULL));
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = malloc(ERR_CAP), *err2 = malloc(ERR_CAP);
	struct config c, c2;

	if (memfd < 0) {
		memfd = memfd_create("fuzz-config", MFD_CLOEXEC);
		FUZZ_CHECK(memfd >= 0);
		snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
	}
	put_file(memfd, data, size);
	int rc = parse(path, &c, err);
	FUZZ_CHECK(rc == 0 || rc == CONFIG_ERR_USAGE || rc == CONFIG_ERR_VALUE ||
		   rc == CONFIG_ERR_OPTION || rc == CONFIG_ERR_START || rc == CONFIG_ERR_FILE);
	FUZZ_CHECK(memchr(err, '\0', ERR_CAP) != NULL);
	FUZZ_CHECK(!strchr(err, '\n') && !strchr(err, '\r'));
	FUZZ_CHECK(rc < 0 ? err[0] != '\0' : err[0] == '\0');
	if (rc == CONFIG_ERR_FILE)
		FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0 || strstr(err, "config file"));

	/* The same file again gives the same answer (one input in eight: it
	 * doubles the cost of an execution). */
	int rc2;
	if (size && (data[size - 1] & 7) == 0) {
		rc2 = parse(path, &c2, err2);
		FUZZ_CHECK(rc2 == rc && strcmp(err, err2) == 0);
		if (rc2 == 0)
			config_free(&c2);
	}

	if (rc == 0) {
		check_sites(&c);
		unsigned nsites = c.nsites, nrules = rule_count(&c);
		FUZZ_CHECK(!nsites || (!c.nrules && !c.netlify)); /* the folder's only */
		/* The printed configuration reads back. */
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);
		FUZZ_CHECK(out != NULL);
		config_print(&c, out);
		fclose(out);
		struct site_set *set;
		if (site_set_build(&set, &c, 1, err, ERR_CAP) == 0) {
			check_set(set);
			site_set_unref(set);
		} else {
			FUZZ_CHECK(err[0] && !strchr(err, '\n'));
		}
		put_file(memfd, (const uint8_t *)text, len);
		rc2 = parse(path, &c2, err2);
		free(text);
		if (rc2 == 0) {
			FUZZ_CHECK(c2.nsites == nsites && rule_count(&c2) == nrules);
			FUZZ_CHECK(c2.netlify == c.netlify);
			config_free(&c2);
		}
	}
	free(err2);
	free(err);
	return 0;
}
