/* SPDX-License-Identifier: Apache-2.0 */
/* The plan as JSON: what `configure --dry-run --format=json` prints. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "plan/plan.h"

static const char *const mount_types[] = {
        [PLAN_MOUNT_DRIVER_FILE] = "driver-file",
        [PLAN_MOUNT_DEVICE] = "device",
        [PLAN_MOUNT_IPC] = "ipc",
        [PLAN_MOUNT_PROC] = "proc",
        [PLAN_MOUNT_IMAGE_FILE] = "image-file",
};

/* The mount options each kind gets (security.md §4 item 13). */
static const char *const mount_options[] = {
        [PLAN_MOUNT_DRIVER_FILE] = "ro,nosuid,nodev",
        [PLAN_MOUNT_DEVICE] = "ro,nosuid,noexec",
        [PLAN_MOUNT_IPC] = "nosuid,nodev,noexec",
        [PLAN_MOUNT_PROC] = "ro,nosuid,nodev,noexec",
        [PLAN_MOUNT_IMAGE_FILE] = "ro,nosuid,nodev",
};

static void put_str(json_object *o, const char *k, const char *v)
{
        json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static json_object *mounts_json(const struct nvcr_plan *p, bool devices)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < p->nmounts; i++) {
                const struct plan_mount *m = &p->mounts[i];
                json_object *o;

                if ((m->type == PLAN_MOUNT_DEVICE) != devices)
                        continue;
                o = json_object_new_object();
                put_str(o, "source", m->source);
                put_str(o, "target", m->target);
                put_str(o, "type", mount_types[m->type]);
                put_str(o, "options", mount_options[m->type]);
                if (m->is_dir)
                        json_object_object_add(o, "directory", json_object_new_boolean(1));
                if (devices) {
                        json_object_object_add(o, "major", json_object_new_int64(m->major));
                        json_object_object_add(o, "minor", json_object_new_int64(m->minor));
                }
                json_object_array_add(a, o);
        }
        return a;
}

static json_object *masks_json(const struct nvcr_plan *p)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < p->nmasks; i++) {
                const struct plan_tmpfs *m = &p->masks[i];
                json_object *o = json_object_new_object(), *files = json_object_new_array();

                put_str(o, "target", m->target);
                put_str(o, "type", "tmpfs");
                put_str(o, "options", "ro,nosuid,nodev,noexec");
                {
                        char mode[16];

                        (void)snprintf(mode, sizeof(mode), "%04o", m->mode);
                        put_str(o, "mode", mode);
                }
                for (size_t j = 0; j < m->nfiles; j++)
                        json_object_array_add(files, json_object_new_string(m->files[j].name));
                json_object_object_add(o, "files", files);
                json_object_array_add(a, o);
        }
        return a;
}

int nvcr_plan_to_json(const struct nvcr_plan *p, char **ret, struct nvcr_err *err)
{
        json_object *root = json_object_new_object(), *a;
        const char *s;

        if (root == NULL)
                return nvcr_err_set(err, ENOMEM, "out of memory");
        put_str(root, "rootfs", p->rootfs);
        json_object_object_add(root, "pid", json_object_new_int64(p->pid));
        json_object_object_add(root, "uid", json_object_new_int64(p->uid));
        json_object_object_add(root, "gid", json_object_new_int64(p->gid));
        put_str(root, "driver_version", p->driver_version);
        put_str(root, "library_dir", p->libdir);
        put_str(root, "library32_dir", p->lib32dir);
        json_object_object_add(root, "masks", masks_json(p));
        json_object_object_add(root, "devices", mounts_json(p, true));
        json_object_object_add(root, "mounts", mounts_json(p, false));
        a = json_object_new_array();
        for (size_t i = 0; i < p->nsymlinks; i++) {
                json_object *o = json_object_new_object();

                put_str(o, "path", p->symlinks[i].path);
                put_str(o, "target", p->symlinks[i].target);
                json_object_array_add(a, o);
        }
        json_object_object_add(root, "symlinks", a);
        a = json_object_new_array();
        for (size_t i = 0; i < p->nrules; i++) {
                char rule[64];

                (void)snprintf(rule, sizeof(rule), "c %u:%u rw", p->rules[i].major,
                               p->rules[i].minor);
                json_object_array_add(a, json_object_new_string(rule));
        }
        json_object_object_add(root, "cgroup_rules", a);
        if (p->ldconfig != NULL) {
                json_object *o = json_object_new_object();

                a = json_object_new_array();
                for (size_t i = 0; i < p->nldconfig_dirs; i++)
                        json_object_array_add(a, json_object_new_string(p->ldconfig_dirs[i]));
                put_str(o, "path", p->ldconfig);
                json_object_object_add(o, "directories", a);
                json_object_object_add(root, "ldconfig", o);
        } else {
                json_object_object_add(root, "ldconfig", NULL);
        }
        s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        *ret = s ? strdup(s) : NULL;
        json_object_put(root);
        return *ret ? 0 : nvcr_err_set(err, ENOMEM, "out of memory");
}
