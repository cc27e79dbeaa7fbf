/* http_response.c - status lines and header blocks (RFC 9110 section 15,
 * RFC 9112 section 4). Everything is written into a fixed buffer; a block
 * that does not fit is flagged, never grown. */
#include "http_response.h"

#include "http_date.h"

#include <stdio.h>
#include <string.h>

#include "version.h"
#include "page_style.h"

const char *http_status_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 302: return "Found";
	case 303: return "See Other";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 410: return "Gone";
	case 421: return "Misdirected Request";
	case 429: return "Too Many Requests";
	case 451: return "Unavailable For Legal Reasons";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

char *http_response_append(struct response *r, const char *bytes, size_t n)
{
	if (r->overflow || r->head_cap - r->head_len < n) {
		r->overflow = true;
		return NULL;
	}
	char *at = r->head + r->head_len;
	memcpy(at, bytes, n);
	r->head_len += n;
	return at;
}

static void append_str(struct response *r, const char *s)
{
	http_response_append(r, s, strlen(s));
}

void http_response_begin(struct response *r, int status, const char *date)
{
	/* By hand, not snprintf: this runs for every response. */
	char line[64] = "HTTP/1.1 ";
	const char *reason = http_status_reason(status);
	size_t rl = strlen(reason), n = 9;
	line[n++] = (char)('0' + status / 100 % 10);
	line[n++] = (char)('0' + status / 10 % 10);
	line[n++] = (char)('0' + status % 10);
	line[n++] = ' ';
	memcpy(line + n, reason, rl);
	n += rl;
	line[n++] = '\r';
	line[n++] = '\n';
	r->status = status;
	r->head_len = 0;
	r->overflow = false;
	http_response_append(r, line, n);
	append_str(r, "Server: " SERVER_SOFTWARE "\r\nDate: ");
	http_response_append(r, date, HTTP_DATE_LEN);
	http_response_append(r, "\r\n", 2);
}

void http_response_header(struct response *r, const char *name, struct slice value)
{
	append_str(r, name);
	http_response_append(r, ": ", 2);
	http_response_append(r, value.ptr, value.len);
	http_response_append(r, "\r\n", 2);
}

void http_response_header_u64(struct response *r, const char *name, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%llu", (unsigned long long)v);
	http_response_header(r, name, slice_make(num, (size_t)n));
}

void http_response_end(struct response *r, bool keep_alive_10)
{
	if (r->close)
		append_str(r, "Connection: close\r\n");
	else if (keep_alive_10)
		append_str(r, "Connection: keep-alive\r\n");
	http_response_append(r, "\r\n", 2);
}

size_t http_response_error_page(int status, const char *hint_html, char *out, size_t cap)
{
	const char *reason = http_status_reason(status);
	if (cap == 0)
		return 0;
	int n = snprintf(out, cap,
			 "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			 "<meta name=\"color-scheme\" content=\"light dark\">\n"
			 "<title>%d %s</title>\n<style>\n" PAGE_STYLE "</style></head>\n"
			 "<body><main><h1>%d %s</h1>%s%s%s</main></body></html>\n",
			 status, reason, status, reason, hint_html ? "<p>" : "",
			 hint_html ? hint_html : "", hint_html ? "</p>" : "");
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

size_t http_response_error_body(int status, char *out, size_t cap)
{
	return http_response_error_page(status, NULL, out, cap);
}

/* Headers that frame the message or belong to the connection: a rule
 * that could change them could desync a keep-alive connection or break
 * HTTP/2, so they are never touched. */
bool http_response_protected(struct slice name)
{
	static const char *const names[] = {
		"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade",
		"te", "trailer", "proxy-connection", "content-range", "content-encoding", "date",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (slice_eq_ci(name, names[i]))
			return true;
	return false;
}
