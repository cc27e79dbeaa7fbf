/* unit_tmp.h - files in a test's temporary directory (the test sets
 * tmpdir, e.g. with mkdtemp, and removes it at the end). */
#ifndef UNIT_TMP_H
#define UNIT_TMP_H

#include <stdio.h>
#include <stdlib.h>

static char tmpdir[256];

static const char *write_tmp(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		abort();
	}
	fputs(text, f);
	fclose(f);
	return path;
}

#endif
