/* test_log_file.c - log files reopened by name (logrotate): the parent
 * directory and last component of a path, creation mode and appending,
 * reopening after a rename (same descriptor, new file, still
 * close-on-exec), writers during reopens, and failed reopens that leave
 * the old file in use. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log_file.h"
#include "unit.h"
#include "unit_tmp.h"

/* A path in tmpdir; a few calls' results stay valid at once. */
static const char *tp(const char *name)
{
	static char bufs[8][512];
	static int next;
	char *p = bufs[next++ % 8];
	snprintf(p, sizeof bufs[0], "%s/%s", tmpdir, name);
	return p;
}

/* A path in tmpdir that stays valid to the end: a struct log_file keeps
 * pointers into the path it was opened with (its name is a part of it). */
static char *kept[64];
static int nkept;

static const char *kp(const char *name)
{
	if (nkept == 64)
		abort();
	return kept[nkept++] = strdup(tp(name));
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static bool cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	return fl >= 0 && (fl & FD_CLOEXEC);
}

static bool put(int fd, const char *s)
{
	size_t n = strlen(s);
	return write(fd, s, n) == (ssize_t)n;
}

/* The file's whole text ("<missing>" if it cannot be read). */
static const char *text_of(const char *path)
{
	static char bufs[4][4096];
	static int next;
	char *b = bufs[next++ % 4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "<missing>";
	ssize_t n = read(fd, b, sizeof bufs[0] - 1);
	close(fd);
	b[n > 0 ? n : 0] = '\0';
	return b;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static unsigned mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (unsigned)st.st_mode : 0;
}

struct parent_case {
	const char *path; /* '@' at the start stands for tmpdir */
	int rc;		  /* 0: a descriptor */
	const char *dir;  /* the directory it must be ('@' as above) */
	const char *name;
};

static const struct parent_case parent_cases[] = {
	{ "name", 0, ".", "name" },
	{ "dir/name", 0, "dir", "name" },
	{ "dir//name", 0, "dir", "name" },
	{ "./dir/name", 0, "dir", "name" },
	{ "dir/../name", 0, ".", "name" },
	{ "dir/sub/name", 0, "dir/sub", "name" },
	{ "@/dir/name", 0, "@/dir", "name" },
	{ "@/name", 0, "@", "name" },
	{ "/name", 0, "/", "name" },
	{ "//name", 0, "/", "name" },
	{ "dir/.", 0, "dir", "." },
	{ "dir/name.log.1", 0, "dir", "name.log.1" },
	{ "dir/", -EISDIR, NULL, NULL },
	{ "@/dir/", -EISDIR, NULL, NULL },
	{ "/", -EISDIR, NULL, NULL },
	{ "", -EISDIR, NULL, NULL },
	{ "missing/name", -ENOENT, NULL, NULL },
	{ "missing/", -ENOENT, NULL, NULL },
	{ "@/missing/name", -ENOENT, NULL, NULL },
	{ "dir/missing/name", -ENOENT, NULL, NULL },
	{ "file/name", -ENOTDIR, NULL, NULL },
	{ "dir/file2/name", -ENOTDIR, NULL, NULL },
};

static const char *expand(const char *s)
{
	static char bufs[2][600];
	static int next;
	char *b = bufs[next++ % 2];
	if (s[0] == '@')
		snprintf(b, sizeof bufs[0], "%s%s", tmpdir, s + 1);
	else
		snprintf(b, sizeof bufs[0], "%s", s);
	return b;
}

static void test_parent(void)
{
	if (chdir(tmpdir) != 0 || mkdir("dir", 0755) != 0 || mkdir("dir/sub", 0755) != 0)
		abort();
	write_tmp("file", "");
	write_tmp("dir/file2", "");

	for (size_t i = 0; i < sizeof parent_cases / sizeof parent_cases[0]; i++) {
		const struct parent_case *c = &parent_cases[i];
		const char *path = expand(c->path);
		const char *name = NULL;
		int before = count_fds();
		int fd = log_file_parent(path, &name);
		if (c->rc) {
			CHECK(fd == c->rc, "parent of '%s': %d, want %d", c->path, fd, c->rc);
			if (fd >= 0)
				close(fd);
			CHECK(count_fds() == before, "parent of '%s': a descriptor left open", c->path);
			continue;
		}
		CHECK(fd >= 0, "parent of '%s': %d", c->path, fd);
		if (fd < 0)
			continue;
		CHECK(name && strcmp(name, c->name) == 0, "parent of '%s': name '%s', want '%s'",
		      c->path, name ? name : "(null)", c->name);
		CHECK(name >= path && name <= path + strlen(path),
		      "parent of '%s': the name does not point into the path", c->path);
		CHECK(same_file(fd, expand(c->dir)), "parent of '%s': not the directory %s", c->path,
		      c->dir);
		CHECK((fcntl(fd, F_GETFL) & O_PATH) != 0, "parent of '%s': not O_PATH", c->path);
		CHECK(cloexec(fd), "parent of '%s': not close-on-exec", c->path);
		close(fd);
		CHECK(count_fds() == before, "parent of '%s': more than one descriptor", c->path);
	}

	/* a directory part longer than the 4096 bytes it is copied into */
	static char longp[5000];
	memset(longp, 'd', sizeof longp - 6);
	strcpy(longp + sizeof longp - 6, "/name");
	const char *name;
	CHECK(log_file_parent(longp, &name) == -ENAMETOOLONG, "long directory part");
}

static void test_open(void)
{
	struct log_file f;
	int before = count_fds();
	const char *a = kp("a.log");

	umask(022);
	CHECK(log_file_open(&f, a) == 0, "open %s", a);
	CHECK(f.fd >= 0 && f.dirfd >= 0 && f.path == a && strcmp(f.name, "a.log") == 0,
	      "open: fd %d dirfd %d name '%s'", f.fd, f.dirfd, f.name);
	CHECK(mode_of(a) == (S_IFREG | 0644), "created with mode %o", mode_of(a));
	CHECK((fcntl(f.fd, F_GETFL) & (O_APPEND | O_ACCMODE)) == (O_APPEND | O_WRONLY),
	      "not O_WRONLY | O_APPEND");
	CHECK(cloexec(f.fd) && cloexec(f.dirfd), "not close-on-exec");
	CHECK(same_file(f.dirfd, tmpdir), "dirfd is not the directory");
	CHECK(put(f.fd, "one\n") && strcmp(text_of(a), "one\n") == 0, "write: '%s'", text_of(a));
	log_file_close(&f);
	CHECK(f.fd == -1 && f.dirfd == -1, "close: fd %d dirfd %d", f.fd, f.dirfd);
	CHECK(count_fds() == before, "open and close leave descriptors");
	log_file_close(&f); /* twice is harmless */

	/* an existing file: appended to, its mode kept, whatever the offset */
	write_tmp("b.log", "old\n");
	const char *b = kp("b.log");
	chmod(b, 0600);
	CHECK(log_file_open(&f, b) == 0, "open existing");
	CHECK(put(f.fd, "new\n"), "write existing");
	lseek(f.fd, 0, SEEK_SET);
	CHECK(put(f.fd, "x\n"), "write after lseek");
	CHECK(strcmp(text_of(b), "old\nnew\nx\n") == 0, "existing: '%s'", text_of(b));
	CHECK(mode_of(b) == (S_IFREG | 0600), "existing mode changed to %o", mode_of(b));
	log_file_close(&f);

	/* 0644 is the most it is created with; the umask takes away */
	umask(0);
	CHECK(log_file_open(&f, kp("c.log")) == 0 && mode_of(tp("c.log")) == (S_IFREG | 0644),
	      "umask 0: mode %o", mode_of(tp("c.log")));
	log_file_close(&f);
	umask(077);
	CHECK(log_file_open(&f, kp("d.log")) == 0 && mode_of(tp("d.log")) == (S_IFREG | 0600),
	      "umask 077: mode %o", mode_of(tp("d.log")));
	log_file_close(&f);
	umask(022);

	/* relative to the working directory (tmpdir) */
	CHECK(log_file_open(&f, "rel.log") == 0 && put(f.fd, "r\n") &&
		      strcmp(text_of(tp("rel.log")), "r\n") == 0,
	      "relative open");
	log_file_close(&f);

	/* failures: -errno, no descriptor, nothing left open */
	static const struct {
		const char *path;
		int rc;
	} bad[] = {
		{ "missing/x.log", -ENOENT }, { "dir", -EISDIR },    { "dir/", -EISDIR },
		{ "dir/.", -EISDIR },	      { "file/x", -ENOTDIR }, { "", -EISDIR },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = log_file_open(&f, bad[i].path);
		CHECK(rc == bad[i].rc, "open '%s': %d, want %d", bad[i].path, rc, bad[i].rc);
		/* < 0, not -1 as log_file.h says: a failed open leaves -errno in
		 * fd or dirfd; reopen and close only test < 0 */
		CHECK(f.fd < 0 && f.dirfd < 0, "open '%s' failed with fd %d dirfd %d", bad[i].path,
		      f.fd, f.dirfd);
		CHECK(log_file_reopen(&f) == 0, "reopen of the failed '%s'", bad[i].path);
		log_file_close(&f);
		CHECK(count_fds() == before, "open '%s' left a descriptor", bad[i].path);
	}
	CHECK(!exists(tp("dir/x")) && !exists(tp("missing")), "a failed open created something");
}

static void test_reopen(void)
{
	struct log_file f;
	const char *r = kp("r.log"), *r1 = kp("r.log.1");

	CHECK(log_file_open(&f, r) == 0, "open r.log");
	int fd = f.fd, before = count_fds();
	CHECK(put(f.fd, "1\n"), "write 1");
	CHECK(rename(r, r1) == 0, "rename");
	CHECK(log_file_reopen(&f) == 0, "reopen after rename");
	CHECK(f.fd == fd, "reopen moved the descriptor: %d, was %d", f.fd, fd);
	CHECK(same_file(f.fd, r) && !same_file(f.fd, r1), "reopen: not the new file");
	CHECK(mode_of(r) == (S_IFREG | 0644), "new file mode %o", mode_of(r));
	CHECK(cloexec(f.fd), "reopen dropped close-on-exec");
	CHECK((fcntl(f.fd, F_GETFL) & (O_APPEND | O_ACCMODE)) == (O_APPEND | O_WRONLY),
	      "reopened not O_WRONLY | O_APPEND");
	CHECK(count_fds() == before, "reopen changed the number of descriptors");
	CHECK(put(fd, "2\n"), "write 2");
	CHECK(strcmp(text_of(r), "2\n") == 0, "new file: '%s'", text_of(r));
	CHECK(strcmp(text_of(r1), "1\n") == 0, "renamed file: '%s'", text_of(r1));

	/* without a rename: the same file again, appended to */
	CHECK(log_file_reopen(&f) == 0 && f.fd == fd && same_file(fd, r), "reopen, no rename");
	CHECK(put(fd, "3\n") && strcmp(text_of(r), "2\n3\n") == 0, "after plain reopen: '%s'",
	      text_of(r));
	CHECK(strcmp(text_of(r1), "1\n") == 0, "renamed file got more: '%s'", text_of(r1));
	CHECK(count_fds() == before, "plain reopen changed the number of descriptors");

	/* the name is now a directory: -EISDIR, the old file stays */
	CHECK(rename(r, tp("r.log.2")) == 0 && mkdir(r, 0755) == 0, "rename, mkdir");
	CHECK(log_file_reopen(&f) == -EISDIR, "reopen onto a directory");
	CHECK(f.fd == fd && cloexec(fd) && put(fd, "4\n") &&
		      strcmp(text_of(tp("r.log.2")), "2\n3\n4\n") == 0,
	      "after failed reopen: '%s'", text_of(tp("r.log.2")));
	CHECK(count_fds() == before, "failed reopen changed the number of descriptors");
	rmdir(r);
	log_file_close(&f);

	/* relative to the directory it was opened in, not the working one */
	CHECK(log_file_open(&f, "rel2.log") == 0, "open rel2.log");
	CHECK(chdir("/") == 0 && rename(tp("rel2.log"), tp("rel2.log.1")) == 0, "chdir, rename");
	CHECK(log_file_reopen(&f) == 0 && same_file(f.fd, tp("rel2.log")) && !exists("/rel2.log"),
	      "reopen after chdir");
	CHECK(chdir(tmpdir) == 0, "chdir back");
	log_file_close(&f);

	/* the directory renamed: the file is made where the directory went */
	CHECK(mkdir(tp("d1"), 0755) == 0 && log_file_open(&f, kp("d1/x.log")) == 0, "open d1/x.log");
	CHECK(rename(tp("d1"), tp("d2")) == 0 && rename(tp("d2/x.log"), tp("d2/x.log.1")) == 0,
	      "rename d1 and x.log");
	CHECK(log_file_reopen(&f) == 0 && same_file(f.fd, tp("d2/x.log")) && !exists(tp("d1")),
	      "reopen in the renamed directory");
	log_file_close(&f);

	/* the directory removed: -ENOENT, the old file keeps working */
	const char *g = kp("gone/g.log"), *saved = kp("g.saved");
	CHECK(mkdir(tp("gone"), 0755) == 0 && log_file_open(&f, g) == 0, "open gone/g.log");
	fd = f.fd;
	CHECK(put(fd, "a\n") && rename(g, saved) == 0 && rmdir(tp("gone")) == 0, "rmdir");
	CHECK(log_file_reopen(&f) == -ENOENT, "reopen in a removed directory");
	CHECK(f.fd == fd && cloexec(fd) && put(fd, "b\n") && strcmp(text_of(saved), "a\nb\n") == 0,
	      "after failed reopen: '%s'", text_of(saved));
	log_file_close(&f);

	/* closed: reopen does nothing */
	CHECK(log_file_open(&f, kp("z.log")) == 0 && rename(tp("z.log"), tp("z.log.1")) == 0,
	      "open z.log");
	log_file_close(&f);
	CHECK(log_file_reopen(&f) == 0 && f.fd == -1 && !exists(tp("z.log")), "reopen after close");
}

/* Reopen as a user who owns dir but may no longer write in it. */
static void unwritable_checks(const char *dir)
{
	char path[600], moved[600];
	struct log_file f;
	snprintf(path, sizeof path, "%s/u.log", dir);
	snprintf(moved, sizeof moved, "%s/u.log.1", dir);
	CHECK(log_file_open(&f, path) == 0, "open %s", path);
	int fd = f.fd;
	CHECK(put(fd, "a\n") && rename(path, moved) == 0 && chmod(dir, 0555) == 0, "rename, chmod");
	int rc = log_file_reopen(&f);
	CHECK(rc == -EACCES, "reopen in a read-only directory: %d", rc);
	CHECK(f.fd == fd && cloexec(fd) && put(fd, "b\n") && strcmp(text_of(moved), "a\nb\n") == 0,
	      "after failed reopen: '%s'", text_of(moved));
	CHECK(!exists(path), "failed reopen created %s", path);
	CHECK(chmod(dir, 0755) == 0 && log_file_reopen(&f) == 0 && same_file(f.fd, path),
	      "reopen once writable again");
	log_file_close(&f);
}

static void test_unwritable(void)
{
	const char *ro = tp("ro");
	if (mkdir(ro, 0755) != 0)
		abort();
	if (geteuid() != 0) {
		unwritable_checks(ro);
		return;
	}
	/* root writes anywhere: check as nobody, in a child */
	struct passwd *pw = getpwnam("nobody");
	uid_t uid = pw ? pw->pw_uid : 65534;
	gid_t gid = pw ? pw->pw_gid : 65534;
	int p[2];
	if (chown(ro, uid, gid) != 0 || chmod(tmpdir, 0711) != 0 || pipe(p) != 0)
		abort();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		unit_passed = unit_failed = 0;
		if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0 || geteuid() == 0)
			_exit(3);
		unwritable_checks(ro);
		int counts[2] = { unit_passed, unit_failed };
		_exit(write(p[1], counts, sizeof counts) == sizeof counts ? 0 : 4);
	}
	close(p[1]);
	int counts[2] = { 0, 0 }, st = 0;
	ssize_t n = read(p[0], counts, sizeof counts);
	close(p[0]);
	waitpid(pid, &st, 0);
	chmod(tmpdir, 0700);
	CHECK(n == sizeof counts && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the child as uid %u: exit %d", (unsigned)uid, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	unit_passed += counts[0];
	unit_failed += counts[1];
}

/* A thread writes numbered records while the file is renamed and
 * reopened under it: no write fails, and every record is in exactly one
 * of the files, whole. */
#define ROTATIONS 40
#define REC 9 /* "%08u\n" */

static atomic_int writes, stop;
static struct log_file wf;

static void *writer(void *arg)
{
	(void)arg;
	unsigned failed = 0;
	char rec[REC + 1];
	while (!atomic_load(&stop)) {
		snprintf(rec, sizeof rec, "%08u\n", (unsigned)atomic_load(&writes));
		if (write(wf.fd, rec, REC) == REC)
			atomic_fetch_add(&writes, 1);
		else
			failed++;
	}
	return (void *)(uintptr_t)failed;
}

static void test_concurrent(void)
{
	pthread_t t;
	char name[64], old[64];
	CHECK(log_file_open(&wf, kp("w.log")) == 0, "open w.log");
	if (pthread_create(&t, NULL, writer, NULL) != 0)
		abort();
	for (int i = 0; i < ROTATIONS; i++) {
		int at = atomic_load(&writes);
		while (atomic_load(&writes) < at + 50)
			sched_yield();
		snprintf(old, sizeof old, "w.log.%d", i);
		if (rename(tp("w.log"), tp(old)) != 0 || log_file_reopen(&wf) != 0)
			CHECK(0, "rotation %d failed: %s", i, strerror(errno));
	}
	atomic_store(&stop, 1);
	void *ret;
	pthread_join(t, &ret);
	CHECK(ret == NULL, "%lu writes failed during reopens", (unsigned long)(uintptr_t)ret);
	log_file_close(&wf);

	int n = atomic_load(&writes);
	unsigned char *seen = calloc((size_t)n, 1);
	unsigned bad = 0, files_empty = 0;
	for (int i = 0; i <= ROTATIONS; i++) {
		if (i < ROTATIONS)
			snprintf(name, sizeof name, "w.log.%d", i);
		else
			snprintf(name, sizeof name, "w.log");
		FILE *fp = fopen(tp(name), "r");
		char line[64];
		size_t count = 0;
		while (fp && fgets(line, sizeof line, fp)) {
			char *end;
			unsigned long v = strtoul(line, &end, 10);
			if (strlen(line) != REC || *end != '\n' || v >= (unsigned long)n || seen[v]++)
				bad++;
			count++;
		}
		files_empty += count == 0 && i < ROTATIONS;
		if (fp)
			fclose(fp);
		else
			bad++;
	}
	unsigned missing = 0;
	for (int i = 0; i < n; i++)
		missing += !seen[i];
	free(seen);
	CHECK(bad == 0 && missing == 0, "%d records: %u malformed or repeated, %u missing", n, bad,
	      missing);
	CHECK(files_empty == 0, "%u rotated files got no records", files_empty);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_log_file.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	int fds = count_fds();
	test_parent();
	test_open();
	test_reopen();
	test_unwritable();
	test_concurrent();
	CHECK(count_fds() == fds, "descriptors: %d at the start, %d at the end", fds, count_fds());
	if (chdir("/") != 0 || nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		perror(tmpdir);
	for (int i = 0; i < nkept; i++)
		free(kept[i]);
	return unit_done("log_file");
}
