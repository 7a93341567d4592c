/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --require expressions (features.md §1.4; the reference is
 * libnvidia-container's src/cli/dsl.c).
 *
 * An expression is a list of clauses separated by spaces or tabs, ORed; a
 * clause is a list of terms separated by commas, ANDed; several expressions
 * are ANDed. A term is "<name><op><value>": names cuda, driver, arch, brand
 * (any case), ops = != < <= > >=. cuda, driver and arch compare as versions
 * (dot-separated decimal components, numerically, missing components are 0,
 * so 12 == 12.0 == 12.0.0); brand compares as a case-insensitive string and
 * only takes = and !=.
 *
 * The expressions are walked in place, twice: once to check the syntax of all
 * of them, once to evaluate. Nothing is allocated and nothing recurses.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/macro.h"

#define MAX_EXPRS 32
#define MAX_EXPR_LEN 4096
#define CUDA_GE "cuda>="
#define CUDA_GE_HINT                                                                               \
        ", please update your driver to a newer version, or use an earlier cuda container"
#define OP_CHARS "<>=!"

enum fact {
        FACT_CUDA = 0,
        FACT_DRIVER,
        FACT_ARCH,
        FACT_BRAND,
};

enum cmp {
        CMP_EQ = 0,
        CMP_NE,
        CMP_LT,
        CMP_LE,
        CMP_GT,
        CMP_GE,
};

static const struct {
        const char *name;
        enum fact fact;
} names[] = {
        {"cuda", FACT_CUDA},
        {"driver", FACT_DRIVER},
        {"arch", FACT_ARCH},
        {"brand", FACT_BRAND},
};

/* Matched against the whole run of operator characters, so "<=" is never "<". */
static const struct {
        const char *str;
        enum cmp cmp;
} ops[] = {
        {"=", CMP_EQ}, {"!=", CMP_NE}, {"<", CMP_LT}, {"<=", CMP_LE}, {">", CMP_GT}, {">=", CMP_GE},
};

struct term {
        enum fact fact;
        enum cmp cmp;
        const char *val;
        size_t len;
};

/* What the facts are for one evaluation; NULL = unknown = satisfied. */
struct facts {
        const char *cuda;
        const char *driver;
        const char *arch;
        const char *brand;
};

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* Dot-separated non-empty runs of decimal digits: "12", "12.0", "580.159.04". */
static bool is_version(const char *s, size_t len)
{
        bool want_digit = true;

        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (is_digit(s[i])) {
                        want_digit = false;
                } else if (s[i] == '.' && !want_digit) {
                        want_digit = true;
                } else {
                        return false;
                }
        }
        return !want_digit;
}

/*
 * Takes the next component of a valid version at *s (of *len bytes left),
 * without its leading zeros; an exhausted version yields "" (that is, 0).
 */
static void next_component(const char **s, size_t *len, const char **comp, size_t *clen)
{
        size_t n = 0;

        while (n < *len && is_digit((*s)[n]))
                n++;
        *comp = *s;
        *clen = n;
        while (*clen > 0 && **comp == '0') {
                (*comp)++;
                (*clen)--;
        }
        *s += n;
        *len -= n;
        if (*len > 0) { /* the dot */
                (*s)++;
                (*len)--;
        }
}

/* <0, 0, >0 as version a is below, equal to or above version b; both valid. */
static int version_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
        while (alen > 0 || blen > 0) {
                const char *ca, *cb;
                size_t la, lb;
                int r;

                next_component(&a, &alen, &ca, &la);
                next_component(&b, &blen, &cb, &lb);
                if (la != lb)
                        return la < lb ? -1 : 1;
                r = memcmp(ca, cb, la);
                if (r != 0)
                        return r;
        }
        return 0;
}

static bool cmp_holds(enum cmp cmp, int r)
{
        switch (cmp) {
        case CMP_EQ:
                return r == 0;
        case CMP_NE:
                return r != 0;
        case CMP_LT:
                return r < 0;
        case CMP_LE:
                return r <= 0;
        case CMP_GT:
                return r > 0;
        case CMP_GE:
                return r >= 0;
        default:
                return false;
        }
}

/* Parses the term s[0..len), which holds no blank and no comma. */
static int parse_term(const char *s, size_t len, struct term *t)
{
        size_t name_len = 0, op_len = 0;
        const char *op;
        bool found = false;

        while (name_len < len && strchr(OP_CHARS, s[name_len]) == NULL)
                name_len++;
        op = s + name_len;
        while (name_len + op_len < len && strchr(OP_CHARS, op[op_len]) != NULL)
                op_len++;
        if (name_len == 0 || op_len == 0 || name_len + op_len == len)
                return -EINVAL;

        for (size_t i = 0; i < ARRAY_SIZE(names) && !found; i++) {
                if (strlen(names[i].name) == name_len &&
                    strncasecmp(names[i].name, s, name_len) == 0) {
                        t->fact = names[i].fact;
                        found = true;
                }
        }
        if (!found)
                return -EINVAL;

        found = false;
        for (size_t i = 0; i < ARRAY_SIZE(ops) && !found; i++) {
                if (strlen(ops[i].str) == op_len && strncmp(ops[i].str, op, op_len) == 0) {
                        t->cmp = ops[i].cmp;
                        found = true;
                }
        }
        if (!found)
                return -EINVAL;

        t->val = op + op_len;
        t->len = len - name_len - op_len;
        if (t->fact == FACT_BRAND)
                return t->cmp == CMP_EQ || t->cmp == CMP_NE ? 0 : -EINVAL;
        return is_version(t->val, t->len) ? 0 : -EINVAL;
}

static bool term_holds(const struct term *t, const struct facts *f)
{
        const char *fact = NULL;
        size_t flen;

        switch (t->fact) {
        case FACT_CUDA:
                fact = f->cuda;
                break;
        case FACT_DRIVER:
                fact = f->driver;
                break;
        case FACT_ARCH:
                fact = f->arch;
                break;
        case FACT_BRAND:
                fact = f->brand;
                break;
        default:
                break;
        }
        if (fact == NULL)
                return true;
        flen = strlen(fact);
        if (t->fact == FACT_BRAND) {
                bool eq = flen == t->len && strncasecmp(fact, t->val, flen) == 0;

                return t->cmp == CMP_EQ ? eq : !eq;
        }
        /* A fact that is no version is as good as unknown. */
        if (!is_version(fact, flen))
                return true;
        return cmp_holds(t->cmp, version_cmp(fact, flen, t->val, t->len));
}

/*
 * Walks one expression. With f == NULL only checks the syntax of every term:
 * returns 0, or -EINVAL with the bad term in *bad, *badlen. Otherwise
 * evaluates: returns 1 when some clause holds for these facts (stopping
 * there), or when there is no clause at all, else 0.
 */
static int walk_expr(const char *expr, const struct facts *f, const char **bad, size_t *badlen)
{
        const char *p = expr;
        bool any = false;

        for (;;) {
                const char *clause;
                size_t clen;
                bool holds = true;

                while (is_blank(*p))
                        p++;
                if (*p == '\0')
                        break;
                any = true;
                clause = p;
                while (*p != '\0' && !is_blank(*p))
                        p++;
                clen = (size_t)(p - clause);

                /* Terms: clause[start..end) between commas; an empty one is an error. */
                for (size_t start = 0; start <= clen;) {
                        size_t end = start;
                        struct term t;

                        while (end < clen && clause[end] != ',')
                                end++;
                        if (parse_term(clause + start, end - start, &t) < 0) {
                                *bad = clause;
                                *badlen = clen;
                                if (end > start) {
                                        *bad = clause + start;
                                        *badlen = end - start;
                                }
                                return -EINVAL;
                        }
                        if (f != NULL && holds && !term_holds(&t, f))
                                holds = false;
                        start = end + 1;
                }
                if (f != NULL && holds)
                        return 1;
        }
        if (f == NULL)
                return 0;
        return any ? 0 : 1;
}

static int check_syntax(const char *expr, struct nvcr_err *err)
{
        const char *bad = NULL;
        size_t len, badlen = 0;

        if (expr == NULL)
                return nvcr_err_set(err, EINVAL, "invalid expression");
        len = strnlen(expr, MAX_EXPR_LEN + 1);
        if (len > MAX_EXPR_LEN)
                return nvcr_err_set(err, EINVAL, "invalid expression: longer than %d bytes",
                                    MAX_EXPR_LEN);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)expr[i];

                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return nvcr_err_set(err, EINVAL,
                                            "invalid expression: control character 0x%02x", c);
        }
        if (walk_expr(expr, NULL, &bad, &badlen) < 0)
                return nvcr_err_set(err, EINVAL, "invalid expression: %.*s", (int)badlen, bad);
        return 0;
}

static int unsatisfied(const char *expr, struct nvcr_err *err)
{
        size_t n;

        while (is_blank(*expr))
                expr++;
        n = 0;
        while (expr[n] != '\0' && !is_blank(expr[n]))
                n++;
        if (n >= strlen(CUDA_GE) && strncmp(expr, CUDA_GE, strlen(CUDA_GE)) == 0)
                return nvcr_err_set(err, EPERM, "unsatisfied condition: %.*s" CUDA_GE_HINT, (int)n,
                                    expr);
        return nvcr_err_set(err, EPERM, "unsatisfied condition: %.*s", (int)n, expr);
}

/* Every expression holds for these facts. */
static int check_all(const char *const *exprs, size_t nexprs, const struct facts *f,
                     struct nvcr_err *err)
{
        const char *bad;
        size_t badlen;

        for (size_t i = 0; i < nexprs; i++)
                if (walk_expr(exprs[i], f, &bad, &badlen) == 0)
                        return unsatisfied(exprs[i], err);
        return 0;
}

static void gpu_facts(const struct nvcr_inventory *inv, const struct nvcr_gpu *gpu,
                      struct facts *f)
{
        f->cuda = inv != NULL ? inv->cuda_version : NULL;
        f->driver = inv != NULL ? inv->driver_version : NULL;
        f->arch = gpu != NULL ? gpu->arch : NULL;
        f->brand = gpu != NULL ? gpu->brand : NULL;
}

int nvcr_require_check(const struct nvcr_inventory *inv, const struct nvcr_selection *sel,
                       const char *const *exprs, size_t nexprs, struct nvcr_err *err)
{
        struct facts f;
        size_t ngpus, nmigs;
        int r;

        if (nexprs == 0)
                return 0;
        if (nexprs > MAX_EXPRS)
                return nvcr_err_set(err, E2BIG, "too many requirements");
        if (exprs == NULL)
                return nvcr_err_set(err, EINVAL, "invalid expression");
        for (size_t i = 0; i < nexprs; i++) {
                r = check_syntax(exprs[i], err);
                if (r < 0)
                        return r;
        }

        ngpus = sel != NULL && sel->gpus != NULL ? sel->ngpus : 0;
        nmigs = sel != NULL && sel->mig_parents != NULL ? sel->nmigs : 0;
        for (size_t i = 0; i < ngpus; i++) {
                gpu_facts(inv, sel->gpus[i], &f);
                r = check_all(exprs, nexprs, &f, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < nmigs; i++) {
                gpu_facts(inv, sel->mig_parents[i], &f);
                r = check_all(exprs, nexprs, &f, err);
                if (r < 0)
                        return r;
        }
        if (ngpus == 0 && nmigs == 0) {
                gpu_facts(inv, NULL, &f);
                return check_all(exprs, nexprs, &f, err);
        }
        return 0;
}

bool nvcr_requires_need_nvml(const char *const *exprs, size_t nexprs)
{
        static const char *const keys[] = {"cuda", "arch", "brand"};

        for (size_t i = 0; exprs != NULL && i < nexprs; i++)
                for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
                        if (exprs[i] != NULL && strcasestr(exprs[i], keys[k]) != NULL)
                                return true;
        return false;
}
