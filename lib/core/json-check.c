/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "core/json-check.h"

struct scan {
        const char *p, *end;
};

static void skip_ws(struct scan *s)
{
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
                s->p++;
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* At the opening quote: past the closing one. */
static bool string(struct scan *s)
{
        s->p++;
        while (s->p < s->end) {
                unsigned char c = (unsigned char)*s->p++;

                if (c == '"')
                        return true;
                if (c < 0x20)
                        return false; /* control characters must be escaped (NUL included) */
                if (c != '\\')
                        continue;
                if (s->p >= s->end)
                        return false;
                c = (unsigned char)*s->p++;
                if (c == 'u') {
                        if (s->end - s->p < 4)
                                return false;
                        for (int i = 0; i < 4; i++)
                                if (!is_hex(s->p[i]))
                                        return false;
                        s->p += 4;
                } else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
                        return false;
                }
        }
        return false;
}

static bool digits(struct scan *s)
{
        const char *start = s->p;

        while (s->p < s->end && is_digit(*s->p))
                s->p++;
        return s->p > start;
}

static bool number(struct scan *s)
{
        if (*s->p == '-')
                s->p++;
        if (s->p < s->end && *s->p == '0')
                s->p++;
        else if (!digits(s))
                return false;
        if (s->p < s->end && *s->p == '.') {
                s->p++;
                if (!digits(s))
                        return false;
        }
        if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
                s->p++;
                if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
                        s->p++;
                if (!digits(s))
                        return false;
        }
        return true;
}

static bool literal(struct scan *s, const char *word)
{
        size_t n = strlen(word);

        if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
                return false;
        s->p += n;
        return true;
}

/* A scalar at s->p (the caller has skipped whitespace and seen no '{' or '['). */
static bool scalar(struct scan *s)
{
        if (s->p >= s->end)
                return false;
        switch (*s->p) {
        case '"':
                return string(s);
        case 't':
                return literal(s, "true");
        case 'f':
                return literal(s, "false");
        case 'n':
                return literal(s, "null");
        default:
                return (*s->p == '-' || is_digit(*s->p)) && number(s);
        }
}

/* An object member's key and its colon, whitespace around them skipped. */
static bool member_key(struct scan *s)
{
        skip_ws(s);
        if (s->p >= s->end || *s->p != '"' || !string(s))
                return false;
        skip_ws(s);
        return s->p < s->end && *s->p++ == ':';
}

/* The character that closes a container opened with `c`. */
static char closer(char c)
{
        return c == '{' ? '}' : ']';
}

bool json_well_formed(const char *buf, size_t len, int max_depth)
{
        /* The open containers, innermost last: '{' or '['. */
        char open[JSON_CHECK_MAX_DEPTH];
        int depth = 0;
        struct scan s = {buf, buf + len};

        if (max_depth > JSON_CHECK_MAX_DEPTH)
                max_depth = JSON_CHECK_MAX_DEPTH;
        if (memchr(buf, '\0', len) != NULL)
                return false;
        for (;;) {
                /* A value. */
                skip_ws(&s);
                if (s.p < s.end && (*s.p == '{' || *s.p == '[')) {
                        if (depth >= max_depth)
                                return false;
                        open[depth++] = *s.p++;
                        skip_ws(&s);
                        /* An empty container is a whole value. */
                        if (s.p < s.end && *s.p == closer(open[depth - 1])) {
                                s.p++;
                                depth--;
                        } else if (open[depth - 1] == '{') {
                                if (!member_key(&s)) /* the first key */
                                        return false;
                                continue;
                        } else {
                                continue;
                        }
                } else if (!scalar(&s)) {
                        return false;
                }
                /* After a value: close containers, or a comma and the next member. */
                for (;;) {
                        skip_ws(&s);
                        if (depth == 0)
                                return s.p == s.end;
                        if (s.p >= s.end)
                                return false;
                        if (*s.p == closer(open[depth - 1])) {
                                s.p++;
                                depth--;
                                continue;
                        }
                        if (*s.p++ != ',')
                                return false;
                        if (open[depth - 1] == '{' && !member_key(&s))
                                return false;
                        break;
                }
        }
}
