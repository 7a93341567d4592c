/* SPDX-License-Identifier: Apache-2.0 */
/* The spec model: freeing, versions, and the entry points per format. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cdi/spec-internal.h"
#include "cdi/spec.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/macro.h"

/* Versions the CDI library defines and we can read. 0.1.0/0.2.0 predate the
   format podman and containerd understand; 1.0.0 adds only fields we keep
   out of our model (netDevices), which the decoder refuses. */
const char *const cdi_spec_versions[] = {
        "0.3.0", "0.4.0", "0.5.0", "0.6.0", "0.7.0", "0.8.0", NULL,
};

static void annotations_free(struct cdi_annotation *a, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(a[i].key);
                free(a[i].value);
        }
        free(a);
}

void cdi_spec_clear(struct cdi_spec *spec)
{
        if (spec == NULL)
                return;
        free(spec->cdi_version);
        free(spec->kind);
        annotations_free(spec->annotations, spec->nannotations);
        for (size_t i = 0; i < spec->ndevices; i++) {
                struct cdi_spec_device *d = &spec->devices[i];

                free(d->name);
                annotations_free(d->annotations, d->nannotations);
                cdi_edits_clear(&d->edits);
                free(d->gids);
        }
        free(spec->devices);
        cdi_edits_clear(&spec->edits);
        free(spec->gids);
        memset(spec, 0, sizeof(*spec));
}

void cdi_spec_free(struct cdi_spec *spec)
{
        cdi_spec_clear(spec);
        free(spec);
}

bool cdi_spec_version_known(const char *v)
{
        for (size_t i = 0; cdi_spec_versions[i] != NULL; i++)
                if (strcmp(cdi_spec_versions[i], v) == 0)
                        return true;
        return false;
}

static bool edits_need_040(const struct cdi_edits *e)
{
        for (size_t i = 0; i < e->nmounts; i++)
                if (e->mounts[i].type != NULL && e->mounts[i].type[0] != '\0')
                        return true;
        return false;
}

static bool edits_need_050(const struct cdi_edits *e)
{
        for (size_t i = 0; i < e->nnodes; i++)
                if (e->nodes[i].host_path != NULL && e->nodes[i].host_path[0] != '\0')
                        return true;
        return false;
}

const char *cdi_spec_min_version(const struct cdi_spec *spec)
{
        const char *cls = spec->kind != NULL ? strchr(spec->kind, '/') : NULL;
        bool v040 = edits_need_040(&spec->edits), v050 = edits_need_050(&spec->edits);
        bool v060 = spec->nannotations > 0 || (cls != NULL && strchr(cls + 1, '.') != NULL);
        bool v070 = spec->ngids > 0;

        for (size_t i = 0; i < spec->ndevices; i++) {
                const struct cdi_spec_device *d = &spec->devices[i];
                char c = d->name != NULL ? d->name[0] : 'a';

                v040 = v040 || edits_need_040(&d->edits);
                v050 = v050 || edits_need_050(&d->edits) ||
                       !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
                v060 = v060 || d->nannotations > 0;
                v070 = v070 || d->ngids > 0;
        }
        if (v070)
                return "0.7.0";
        if (v060)
                return "0.6.0";
        if (v050)
                return "0.5.0";
        if (v040)
                return "0.4.0";
        return "0.3.0";
}

int cdi_spec_format_from_name(const char *path, enum cdi_format *ret)
{
        const char *dot = strrchr(path, '.');

        if (dot == NULL || strchr(dot, '/') != NULL)
                return -EINVAL;
        if (strcmp(dot, ".json") == 0)
                *ret = CDI_FORMAT_JSON;
        else if (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0)
                *ret = CDI_FORMAT_YAML;
        else
                return -EINVAL;
        return 0;
}

int cdi_spec_parse(const char *buf, size_t len, enum cdi_format format, const char *what,
                   struct cdi_spec *out, struct nvcr_err *err)
{
        __attribute__((cleanup(json_putp))) struct json_object *doc = NULL;
        struct cdi_spec spec = {0};
        int r;

        memset(out, 0, sizeof(*out));
        if (len > CDI_SPEC_MAX_SIZE)
                return nvcr_err_set(err, EFBIG, "%s: larger than %u bytes", what,
                                    CDI_SPEC_MAX_SIZE);
        if (format == CDI_FORMAT_JSON)
                r = cdi_json_text_parse(buf, len, what, &doc, err);
        else
                r = cdi_yaml_text_parse(buf, len, what, &doc, err);
        if (r < 0)
                return r;
        r = cdi_spec_from_json(doc, what, &spec, err);
        if (r >= 0)
                r = cdi_spec_validate(&spec, what, err);
        if (r < 0) {
                cdi_spec_clear(&spec);
                return r;
        }
        *out = spec;
        return 0;
}

int cdi_spec_read_file(const char *path, struct cdi_spec *out, struct nvcr_err *err)
{
        _cleanup_free_ char *buf = NULL;
        enum cdi_format fmt = CDI_FORMAT_YAML;
        size_t len = 0;
        int r;

        memset(out, 0, sizeof(*out));
        /* Anything not .json is YAML, as the CDI library reads it (JSON is YAML too). */
        (void)cdi_spec_format_from_name(path, &fmt);
        r = read_file_at(AT_FDCWD, path, CDI_SPEC_MAX_SIZE, &buf, &len, err);
        if (r < 0)
                return r;
        return cdi_spec_parse(buf, len, fmt, path, out, err);
}

int cdi_spec_to_text(const struct cdi_spec *spec, enum cdi_format format, char **ret,
                     size_t *ret_len, struct nvcr_err *err)
{
        __attribute__((cleanup(json_putp))) struct json_object *doc = NULL;
        const char *version = spec->cdi_version != NULL ? spec->cdi_version
                                                        : cdi_spec_min_version(spec);
        const char *s;
        size_t n;
        char *copy;

        doc = cdi_spec_to_json(spec, version);
        if (doc == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        if (format == CDI_FORMAT_YAML)
                return cdi_yaml_emit(doc, ret, ret_len, err);
        s = json_object_to_json_string_length(
                doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
                &n);
        if (s == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        copy = malloc(n + 2);
        if (copy == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        memcpy(copy, s, n);
        copy[n] = '\n';
        copy[n + 1] = '\0';
        *ret = copy;
        if (ret_len != NULL)
                *ret_len = n + 1;
        return 0;
}
