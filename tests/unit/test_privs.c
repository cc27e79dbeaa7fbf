/* test_privs.c - privs_lookup, the -u USER[:GROUP] argument read against
 * the user and group databases (names or numbers). privs_drop changes
 * the process and is left to the integration tests. */
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "privs.h"
#include "unit.h"

/* Ids from the databases, so the test holds on any system. */
static long nobody_uid = -1, nobody_gid = -1, root_gid = -1;

#define NOBODY -2	/* nobody's uid or gid */
#define ROOT_GROUP -3	/* the gid of group "root" */
#define ERR -1

struct lookup_case {
	const char *spec;
	long uid, gid;	  /* ERR: privs_lookup fails */
	const char *part; /* on failure: the message names it (in quotes) */
	const char *msg;  /* on failure: the whole message */
};

static const struct lookup_case cases[] = {
	{ "root", 0, 0, NULL, NULL },
	{ "nobody", NOBODY, NOBODY, NULL, NULL },
	{ "0", 0, 0, NULL, NULL },
	{ "0:0", 0, 0, NULL, NULL },
	{ "root:root", 0, ROOT_GROUP, NULL, NULL },
	{ "nobody:root", NOBODY, ROOT_GROUP, NULL, NULL },
	{ "nobody:0", NOBODY, 0, NULL, NULL },
	{ "root:12345", 0, 12345, NULL, NULL },
	/* a number without a passwd entry: uid and gid both that number */
	{ "12345", 12345, 12345, NULL, NULL },
	{ "12345:54321", 12345, 54321, NULL, NULL },
	{ "2147483647", 2147483647, 2147483647, NULL, NULL },
	/* unknown names, bad numbers */
	{ "nosuchuser", ERR, ERR, "'nosuchuser'", "unknown user 'nosuchuser'" },
	{ "nosuchuser:root", ERR, ERR, "'nosuchuser'", "unknown user 'nosuchuser'" },
	{ "root:nosuchgroup", ERR, ERR, "'nosuchgroup'", "unknown group 'nosuchgroup'" },
	{ "nobody:nosuchgroup", ERR, ERR, "'nosuchgroup'", "unknown group 'nosuchgroup'" },
	{ "root:", ERR, ERR, "''", "unknown group ''" },
	{ "", ERR, ERR, "''", "invalid user ''" },
	{ ":x", ERR, ERR, "':x'", "invalid user ':x'" },
	{ ":", ERR, ERR, "':'", "invalid user ':'" },
	{ "-1", ERR, ERR, "'-1'", "unknown user '-1'" },
	{ "+1", ERR, ERR, "'+1'", "unknown user '+1'" },
	{ " 1", ERR, ERR, "' 1'", "unknown user ' 1'" },
	{ "12a", ERR, ERR, "'12a'", "unknown user '12a'" },
	{ "2147483648", ERR, ERR, "'2147483648'", "unknown user '2147483648'" },
	{ "4294967295", ERR, ERR, "'4294967295'", "unknown user '4294967295'" },
	{ "99999999999999999999999", ERR, ERR, "'99999999999999999999999'",
	  "unknown user '99999999999999999999999'" },
	{ "0:-1", ERR, ERR, "'-1'", "unknown group '-1'" },
	{ "0:4294967295", ERR, ERR, "'4294967295'", "unknown group '4294967295'" },
	{ "root:root:root", ERR, ERR, "'root:root'", "unknown group 'root:root'" },
};

static long resolve(long v)
{
	return v == NOBODY ? nobody_uid : v == ROOT_GROUP ? root_gid : v;
}

static void test_lookup(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct lookup_case *c = &cases[i];
		struct privs p = { (uid_t)-7, (gid_t)-7, NULL };
		char err[256] = "";
		int rc = privs_lookup(c->spec, &p, err, sizeof err);
		if (c->uid == ERR) {
			CHECK(rc == -1, "'%s': %d, want -1", c->spec, rc);
			CHECK(strstr(err, c->part) != NULL, "'%s': message '%s' does not name %s",
			      c->spec, err, c->part);
			CHECK(strcmp(err, c->msg) == 0, "'%s': message '%s', want '%s'", c->spec, err,
			      c->msg);
			continue;
		}
		long uid = c->uid == NOBODY ? nobody_uid : c->uid;
		long gid = c->gid == NOBODY ? nobody_gid : resolve(c->gid);
		CHECK(rc == 0, "'%s': %d (%s)", c->spec, rc, err);
		CHECK((long)p.uid == uid && (long)p.gid == gid, "'%s': uid %ld gid %ld, want %ld %ld",
		      c->spec, (long)p.uid, (long)p.gid, uid, gid);
		CHECK(p.user_name == c->spec, "'%s': user_name is not the spec", c->spec);
	}
}

/* The longest names: 255 bytes are looked up, 256 are refused. */
static void test_long(void)
{
	char spec[600], err[256];
	struct privs p;
	memset(spec, 'u', 255);
	spec[255] = '\0';
	CHECK(privs_lookup(spec, &p, err, sizeof err) == -1 && strncmp(err, "unknown user 'uuu", 17) == 0,
	      "255-byte user: '%.40s'", err);
	memset(spec, 'u', 256);
	spec[256] = '\0';
	CHECK(privs_lookup(spec, &p, err, sizeof err) == -1 && strncmp(err, "invalid user 'uuu", 17) == 0,
	      "256-byte user: '%.40s'", err);
	/* a long group is looked up whole */
	memset(spec, 'g', sizeof spec - 1);
	memcpy(spec, "root:", 5);
	spec[sizeof spec - 1] = '\0';
	CHECK(privs_lookup(spec, &p, err, sizeof err) == -1 && strncmp(err, "unknown group 'ggg", 18) == 0,
	      "long group: '%.40s'", err);

	/* a small message buffer: cut, terminated, nothing past it */
	for (size_t cap = 1; cap < 40; cap += 7) {
		char small[64];
		memset(small, '#', sizeof small);
		int rc = privs_lookup("nosuchuser", &p, small, cap);
		bool past = false;
		for (size_t k = cap; k < sizeof small; k++)
			past = past || small[k] != '#';
		static const char msg[] = "unknown user 'nosuchuser'";
		size_t want = cap - 1 < sizeof msg - 1 ? cap - 1 : sizeof msg - 1;
		CHECK(rc == -1 && !past && strlen(small) == want && strncmp(small, msg, want) == 0,
		      "cap %zu: '%s'", cap, small);
	}
}

/* A number that is some user's uid takes that user's primary group, which
 * may differ from the number (on Debian, sync is uid 4, group 65534). */
static void test_numeric_with_entry(void)
{
	int tried = 0;
	for (uid_t uid = 1; uid < 1000; uid++) {
		struct passwd *pw = getpwuid(uid);
		if (!pw || pw->pw_gid == uid)
			continue;
		char spec[16], err[128];
		struct privs p;
		gid_t want = pw->pw_gid;
		snprintf(spec, sizeof spec, "%u", (unsigned)uid);
		if (getpwnam(spec))
			continue; /* a user named like the number */
		int rc = privs_lookup(spec, &p, err, sizeof err);
		CHECK(rc == 0 && p.uid == uid && p.gid == want, "'%s': rc %d uid %u gid %u, want gid %u",
		      spec, rc, (unsigned)p.uid, (unsigned)p.gid, (unsigned)want);
		if (++tried == 3)
			break;
	}
	CHECK(tried > 0, "no user whose uid differs from its gid on this system");
}

int main(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("root");
	if (pw) {
		nobody_uid = pw->pw_uid;
		nobody_gid = pw->pw_gid;
	}
	if (gr)
		root_gid = gr->gr_gid;
	/* what the table takes for granted about this system's databases */
	CHECK(pw && gr, "no user nobody or no group root in this system's databases");
	CHECK(!getpwnam("12345") && !getpwuid(12345) && !getpwnam("nosuchuser") &&
		      !getgrnam("nosuchgroup") && !getpwnam("0") && !getgrnam("0"),
	      "the system has a user or group the table takes for unknown");
	if (pw && gr)
		test_lookup();
	test_long();
	test_numeric_with_entry();
	return unit_done("privs");
}
