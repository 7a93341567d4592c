/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device selection: the reference grammar of --device / NVIDIA_VISIBLE_DEVICES
 * turned into a set of GPUs and MIG devices of the inventory.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/macro.h"
#include "driver/procfs.h"

#define MAX_TOKEN 256

struct picked {
        bool *gpus; /* by index */
        bool **migs; /* [gpu][mig] */
};

static bool is_decimal(const char *s)
{
        if (*s == '\0')
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char)*s))
                        return false;
        return true;
}

static int parse_index(const char *s, size_t *ret)
{
        char *end;
        unsigned long v;

        if (!is_decimal(s) || strlen(s) > 9)
                return -EINVAL;
        v = strtoul(s, &end, 10);
        *ret = v;
        return 0;
}

static void pick_gpu(const struct nvcr_inventory *inv, struct picked *p, size_t i, bool migs)
{
        p->gpus[i] = true;
        if (migs)
                for (size_t j = 0; j < inv->gpus[i].nmigs; j++)
                        p->migs[i][j] = true;
}

/* "GPU-<uuid>": exact (case-insensitive) match first, else a unique prefix. */
static int pick_gpu_uuid(const struct nvcr_inventory *inv, struct picked *p, const char *tok,
                         struct nvcr_err *err)
{
        size_t found = SIZE_MAX, len = strlen(tok);

        for (size_t i = 0; i < inv->ngpus; i++) {
                if (inv->gpus[i].uuid && strcasecmp(inv->gpus[i].uuid, tok) == 0) {
                        pick_gpu(inv, p, i, false);
                        return 0;
                }
        }
        for (size_t i = 0; i < inv->ngpus; i++) {
                if (!inv->gpus[i].uuid || strncasecmp(inv->gpus[i].uuid, tok, len) != 0)
                        continue;
                if (found != SIZE_MAX)
                        return nvcr_err_set(err, EINVAL, "%s: ambiguous device", tok);
                found = i;
        }
        if (found == SIZE_MAX)
                return nvcr_err_set(err, ENOENT, "%s: unknown device", tok);
        pick_gpu(inv, p, found, false);
        return 0;
}

static int pick_mig(struct picked *p, size_t gpu, size_t mig)
{
        p->gpus[gpu] = true; /* a MIG device needs its parent's node */
        p->migs[gpu][mig] = true;
        return 0;
}

/* "MIG-<uuid>", or the old "MIG-GPU-<uuid>/<gi>/<ci>" form. */
static int pick_mig_uuid(const struct nvcr_inventory *inv, struct picked *p, const char *tok,
                         struct nvcr_err *err)
{
        char parent[MAX_TOKEN];
        unsigned gi, ci;

        for (size_t i = 0; i < inv->ngpus; i++)
                for (size_t j = 0; j < inv->gpus[i].nmigs; j++)
                        if (inv->gpus[i].migs[j].uuid &&
                            strcasecmp(inv->gpus[i].migs[j].uuid, tok) == 0)
                                return pick_mig(p, i, j);
        if (sscanf(tok, "MIG-%255[^/]/%u/%u", parent, &gi, &ci) == 3) {
                for (size_t i = 0; i < inv->ngpus; i++) {
                        if (!inv->gpus[i].uuid || strcasecmp(inv->gpus[i].uuid, parent) != 0)
                                continue;
                        for (size_t j = 0; j < inv->gpus[i].nmigs; j++)
                                if (inv->gpus[i].migs[j].gi == gi && inv->gpus[i].migs[j].ci == ci)
                                        return pick_mig(p, i, j);
                }
        }
        return nvcr_err_set(err, ENOENT, "%s: unknown device", tok);
}

static int pick_bus_id(const struct nvcr_inventory *inv, struct picked *p, const char *tok,
                       struct nvcr_err *err)
{
        _cleanup_free_ char *norm = NULL;

        if (procfs_normalize_bus_id(tok, &norm, NULL) < 0)
                return nvcr_err_set(err, ENOENT, "%s: unknown device", tok);
        for (size_t i = 0; i < inv->ngpus; i++) {
                if (strcasecmp(inv->gpus[i].bus_id, norm) == 0) {
                        pick_gpu(inv, p, i, false);
                        return 0;
                }
        }
        return nvcr_err_set(err, ENOENT, "%s: unknown device", tok);
}

/* "<gpu index>:<mig index>" */
static int pick_gpu_mig_index(const struct nvcr_inventory *inv, struct picked *p,
                              const char *tok, struct nvcr_err *err)
{
        char a[16], b[16];
        size_t gi, mi;

        if (sscanf(tok, "%15[0-9]:%15[0-9]", a, b) != 2 || strlen(a) + strlen(b) + 1 != strlen(tok) ||
            parse_index(a, &gi) < 0 || parse_index(b, &mi) < 0 || gi >= inv->ngpus ||
            mi >= inv->gpus[gi].nmigs)
                return nvcr_err_set(err, ENOENT, "%s: unknown device", tok);
        return pick_mig(p, gi, mi);
}

static int pick_token(const struct nvcr_inventory *inv, struct picked *p, const char *tok,
                      bool *all, struct nvcr_err *err)
{
        size_t idx;

        if (strcasecmp(tok, "all") == 0) {
                *all = true;
                for (size_t i = 0; i < inv->ngpus; i++)
                        pick_gpu(inv, p, i, true);
                return 0;
        }
        if (strcasecmp(tok, "none") == 0)
                return 0;
        if (strncasecmp(tok, "GPU-", 4) == 0)
                return pick_gpu_uuid(inv, p, tok, err);
        if (strncasecmp(tok, "MIG-", 4) == 0)
                return pick_mig_uuid(inv, p, tok, err);
        if (is_decimal(tok)) {
                if (parse_index(tok, &idx) < 0 || idx >= inv->ngpus)
                        return nvcr_err_set(err, ENOENT, "%s: unknown device", tok);
                pick_gpu(inv, p, idx, false);
                return 0;
        }
        if (strchr(tok, '.') != NULL)
                return pick_bus_id(inv, p, tok, err);
        if (strchr(tok, ':') != NULL)
                return pick_gpu_mig_index(inv, p, tok, err);
        return nvcr_err_set(err, ENOENT, "%s: unknown device", tok);
}

static void picked_free(const struct nvcr_inventory *inv, struct picked *p)
{
        if (p->migs)
                for (size_t i = 0; i < inv->ngpus; i++)
                        free(p->migs[i]);
        free(p->migs);
        free(p->gpus);
}

static int picked_init(const struct nvcr_inventory *inv, struct picked *p)
{
        p->gpus = calloc(inv->ngpus + 1, sizeof(*p->gpus));
        p->migs = calloc(inv->ngpus + 1, sizeof(*p->migs));
        if (!p->gpus || !p->migs)
                return -ENOMEM;
        for (size_t i = 0; i < inv->ngpus; i++) {
                p->migs[i] = calloc(inv->gpus[i].nmigs + 1, sizeof(**p->migs));
                if (p->migs[i] == NULL)
                        return -ENOMEM;
        }
        return 0;
}

static int build_selection(const struct nvcr_inventory *inv, const struct picked *p,
                           struct nvcr_selection *sel)
{
        size_t nmig = 0;

        for (size_t i = 0; i < inv->ngpus; i++)
                for (size_t j = 0; j < inv->gpus[i].nmigs; j++)
                        nmig += p->migs[i][j];
        sel->gpus = calloc(inv->ngpus + 1, sizeof(*sel->gpus));
        sel->migs = calloc(nmig + 1, sizeof(*sel->migs));
        sel->mig_parents = calloc(nmig + 1, sizeof(*sel->mig_parents));
        if (!sel->gpus || !sel->migs || !sel->mig_parents)
                return -ENOMEM;
        for (size_t i = 0; i < inv->ngpus; i++) {
                if (p->gpus[i])
                        sel->gpus[sel->ngpus++] = &inv->gpus[i];
                for (size_t j = 0; j < inv->gpus[i].nmigs; j++) {
                        if (!p->migs[i][j])
                                continue;
                        sel->migs[sel->nmigs] = &inv->gpus[i].migs[j];
                        sel->mig_parents[sel->nmigs++] = &inv->gpus[i];
                }
        }
        return 0;
}

static int next_token(const char **p, char *tok, struct nvcr_err *err)
{
        const char *s = *p, *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);

        while (len > 0 && isspace((unsigned char)*s)) {
                s++;
                len--;
        }
        while (len > 0 && isspace((unsigned char)s[len - 1]))
                len--;
        if (len >= MAX_TOKEN)
                return nvcr_err_set(err, EINVAL, "%.32s…: device id too long", s);
        memcpy(tok, s, len);
        tok[len] = '\0';
        *p = end ? end + 1 : s + strlen(s);
        return 0;
}

int nvcr_select_devices(const struct nvcr_inventory *inv, const char *list,
                        struct nvcr_selection **ret, struct nvcr_err *err)
{
        struct picked p = {0};
        struct nvcr_selection *sel = calloc(1, sizeof(*sel));
        const char *cur = list ? list : "";
        char tok[MAX_TOKEN];
        int r = sel ? picked_init(inv, &p) : -ENOMEM;

        while (r == 0 && *cur != '\0') {
                r = next_token(&cur, tok, err);
                if (r == 0 && tok[0] != '\0')
                        r = pick_token(inv, &p, tok, &sel->all, err);
        }
        if (r == 0)
                r = build_selection(inv, &p, sel);
        picked_free(inv, &p);
        if (r == -ENOMEM)
                nvcr_err_set(err, ENOMEM, "out of memory");
        if (r < 0) {
                nvcr_selection_free(sel);
                return r;
        }
        *ret = sel;
        return 0;
}

void nvcr_selection_free(struct nvcr_selection *sel)
{
        if (sel == NULL)
                return;
        free(sel->gpus);
        free(sel->migs);
        free(sel->mig_parents);
        free(sel);
}

bool nvcr_devices_need_nvml(const char *list)
{
        for (const char *s = list; s && *s; s++)
                if (strncasecmp(s, "MIG-", 4) == 0)
                        return true;
        return false;
}
