/* trusted.h - trusted proxies and the client address they forward.
 *
 * Addresses are 16 bytes, IPv6 in network order, IPv4 as IPv4-mapped
 * (::ffff:a.b.c.d, RFC 4291 section 2.5.5.2). Text addresses are parsed
 * here, strictly and without the C library (no locale, no inet_aton
 * shorthands):
 *   IPv4  exactly four decimal octets 0-255, no leading zeros ("010" is
 *         octal to inet_aton, so it is refused rather than guessed).
 *   IPv6  RFC 4291 section 2.2: one to four hex digits a group, at most
 *         one "::" standing for one or more zero groups, an optional
 *         dotted IPv4 tail in the last 32 bits. No zone ("%eth0"), no
 *         brackets, no surrounding spaces.
 *
 * The forwarded client address follows nginx's realip module with
 * "real_ip_recursive on" (and Caddy's trusted_proxies_strict): only a
 * trusted peer is believed, and X-Forwarded-For is read from the right,
 * where the entries our own proxies appended are, skipping every trusted
 * hop; the first untrusted one is the client. A client can write anything
 * to the left of what the first trusted proxy appends, so nothing left of
 * the first untrusted hop is ever used. */
#ifndef TRUSTED_H
#define TRUSTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slice.h"

#define TRUSTED_MAX 1024 /* entries one set holds, over all trusted_add calls */

struct trusted; /* a set of CIDRs; immutable once the server runs */

/* An empty set, or NULL when out of memory. trusted_free(NULL) is fine. */
struct trusted *trusted_new(void);
void trusted_free(struct trusted *t);

/* Adds a list such as "10.0.0.0/8, 192.168.1.1 ::1/128,fd00::/8": entries
 * separated by commas and/or white space (empty ones ignored), each an
 * address (a /32 or /128) or address/length. An IPv4 entry takes lengths
 * 0-32 and matches the IPv4-mapped addresses; an IPv6 one 0-128. Bits set
 * past the length are refused ("10.1.2.3/8" is a typo more often than a
 * network). Returns 0, or -1 with a message naming the bad entry in err
 * (cap bytes) and t unchanged. */
int trusted_add(struct trusted *t, const char *list, char *err, size_t cap);

/* Entries in t (0 for NULL). */
size_t trusted_count(const struct trusted *t);

/* Is addr inside one of t's networks? NULL is the empty set. */
bool trusted_contains(const struct trusted *t, const uint8_t addr[16]);

/* The client address of a request from peer. Nothing is believed unless
 * peer is trusted. Then the X-Forwarded-For fields (xff[0..nxff), in the
 * order received, read as one comma-separated list; empty elements and
 * OWS are ignored, RFC 9110 section 5.6.1) are walked from the right:
 * every trusted hop is passed over, the first untrusted one is the client;
 * when all are trusted the leftmost is. An element that is no address
 * (see trusted_parse_hop) ends the walk: the last hop passed over is the
 * client, or, when it is the rightmost element, none is and peer stays.
 * Only when there is no X-Forwarded-For element at all is X-Real-IP
 * (real_ip, one element; an empty slice for none) taken, if it parses.
 * Returns true and writes out when the address came from a header. */
bool trusted_client(const struct trusted *t, const uint8_t peer[16], const struct slice *xff,
		    size_t nxff, struct slice real_ip, uint8_t out[16]);

/* Parses a whole text address (forms above) into out. Returns the text's
 * family, 4 or 6 ("::ffff:1.2.3.4" is 6), or 0 when s is not one. */
int trusted_parse_addr(struct slice s, uint8_t out[16]);

/* One X-Forwarded-For or X-Real-IP element: an address, "[v6]", or with a
 * port that is then ignored, "a.b.c.d:port" or "[v6]:port" (port 0-65535,
 * decimal, no leading zeros), as some proxies send. Surrounding OWS is
 * allowed; "unknown", obfuscated identifiers and host names are not
 * addresses. Returns false when s is none of these. */
bool trusted_parse_hop(struct slice s, uint8_t out[16]);

/* For parsers that see input a piece at a time: the fewest bytes that,
 * appended to s, make a whole address of family 4 or 6 (0 when s already
 * is one), or -1 when no bytes can. */
int trusted_addr_need(struct slice s, int family);

#endif
